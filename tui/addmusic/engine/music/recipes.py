"""One arrangement recipe per style key of ``engine/styles.py``: tempo range, harmony, groove,
instruments and energy curve, as data. The composer reads nothing else about a style."""

from __future__ import annotations

from dataclasses import dataclass

from addmusic.engine.styles import LABELS

MODES: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
}
SECTIONS = ("intro", "main", "lift", "breakdown", "final")


@dataclass(frozen=True)
class Part:
    """One instrument line. ``role`` is the layer it belongs to (drums/bass/harmony/melody);
    ``play`` how it plays: block chords, strums, arpeggios, a bass line or the melody.

    ``rhythm`` is a 16-step grid per bar: a character starts a note, ``-`` holds it, ``.`` rests.
    For "bass" the characters are chord degrees (R root, 3, 5, 8 octave); for "arp" digits index
    the chord's notes upwards. A part plays in sections whose energy is at least ``min_energy``.
    """

    role: str
    play: str  # "block" | "strum" | "arp" | "drone" (tonic and fifth) | "bass" | "melody"
    instrument: str
    rhythm: str = "x---------------"
    center: int = 60  # MIDI register centre
    min_energy: float = 0.0
    level_db: float = 0.0  # trim within its layer
    pan: float = 0.0
    send: float = 0.2
    double: bool = False  # a second, delayed take on the other side: a wide stereo part
    alt: str = ""  # a second rhythm, on alternate bars: repeats that are not copies
    lift: str = ""  # the rhythm in lifted sections (lift, final), when it differs


@dataclass(frozen=True)
class Recipe:
    key: str
    tempo: tuple[float, float]
    mode: str
    progressions: tuple[tuple[int, ...], ...]  # scale degrees, one chord per bar
    grooves: dict[str, dict[str, str]]  # section kind ("main", "lift", "break", "fill") -> drum grids
    parts: tuple[Part, ...]
    energy: dict[str, float]  # section kind -> energy 0..1
    chord_size: int = 3
    swing: float = 0.5  # where the off-16th falls inside its 8th
    humanize_ms: float = 6.0
    reverb_s: float = 1.6
    wet: float = 0.18
    roots: tuple[int, ...] = (0, 2, 4, 5, 7, 9)
    melody_density: float = 0.55
    calm: bool = False  # darker and sparser: the tests compare these against the energetic ones
    texture: str = ""  # "vinyl": crackle and hiss
    drum_level_db: float = 0.0
    presence_db: float = 0.0  # master tone: a bell around 3.5 kHz (calm, dark styles need a little)
    low_db: float = 0.0  # master tone: a shelf under 120 Hz


_HAT8 = "x.x.x.x.x.x.x.x."
_HAT16 = "xgxgxgxgxgxgxgxg"

RECIPES: dict[str, Recipe] = {
    "upbeat": Recipe(
        key="upbeat", tempo=(112.0, 126.0), mode="major",
        progressions=((0, 4, 5, 3), (0, 3, 0, 4), (0, 5, 3, 4), (0, 3, 4, 0)),
        grooves={
            "main": {"kick": "X.....x.X.......", "snare": "....X.......X...", "hat": _HAT8},
            "lift": {"kick": "X...x...X...x..x", "snare": "....X.......X...", "clap": "....x.......x...",
                     "hat": _HAT16, "ohat": "..............x.", "tambourine": "....x.......x..."},
            "break": {"kick": "X...............", "hat": "x...x...x...x..."},
            "fill": {"kick": "X.....x.X.......", "snare": "....X...x.xxXXXX", "hat": "x.x.x.x........."},
        },
        parts=(
            Part("harmony", "strum", "steel", "x.x.x-x.x.x.x-x.", 55, 0.0, -2.0, -0.45, 0.15, double=True),
            Part("harmony", "arp", "piano", "0.1.2.0.1.2.0.1.", 72, 0.0, -4.0, 0.35, 0.2,
                 alt="0.1.2.3.2.1.0.2."),
            Part("harmony", "block", "strings", "x---------------", 62, 0.75, -8.0, 0.0, 0.3, double=True),
            Part("bass", "bass", "electric_bass", "R.8.R.8.R.8.R.58", 40, 0.3, 0.0, 0.0, 0.0),
            Part("melody", "melody", "vibes", "", 76, 0.6, -2.0, 0.15, 0.25),
        ),
        energy={"intro": 0.4, "main": 0.7, "lift": 0.9, "breakdown": 0.45, "final": 1.0},
        humanize_ms=5.0, reverb_s=1.3, wet=0.15, melody_density=0.65, presence_db=2.5,
    ),
    "lofi": Recipe(
        key="lofi", tempo=(72.0, 88.0), mode="major", chord_size=4,
        progressions=((1, 4, 0, 0), (0, 5, 1, 4), (0, 3, 0, 4), (0, 1, 4, 0)),
        grooves={
            "main": {"kick": "X......x..X.....", "snare": "....X.......X...", "hat": "x.g.x.g.x.g.x.gx"},
            "lift": {"kick": "X......x..X...x.", "snare": "....X.......X..g", "hat": _HAT8,
                     "shaker": "..x...x...x...x."},
            "break": {"kick": "X.........X.....", "hat": "x...x...x...x..."},
            "fill": {"kick": "X.....X...x.x...", "snare": "....X.......X.gx", "hat": "x.x.x.x.x.x....."},
        },
        parts=(
            Part("harmony", "block", "fm_keys", "x-----x---x-----", 62, 0.0, -1.0, -0.35, 0.25, double=True),
            Part("harmony", "arp", "epiano", "..0...1...2...1.", 72, 0.0, -7.0, 0.4, 0.25),
            Part("bass", "bass", "acoustic_bass", "R-----.R--5-.R-.", 40, 0.35, 0.0, 0.0, 0.0),
            Part("melody", "melody", "flute", "", 74, 0.6, -4.0, 0.2, 0.3),
        ),
        energy={"intro": 0.4, "main": 0.65, "lift": 0.8, "breakdown": 0.45, "final": 0.85},
        swing=0.6, humanize_ms=9.0, reverb_s=1.4, wet=0.2, melody_density=0.4, texture="vinyl",
        presence_db=5.0, low_db=-5.0,
    ),
    "cinematic": Recipe(
        key="cinematic", tempo=(76.0, 96.0), mode="minor",
        progressions=((0, 5, 2, 6), (0, 5, 3, 4), (5, 6, 0, 0), (0, 3, 5, 6)),
        grooves={
            "main": {"tom_low": "X.....x...X.x...", "kick": "X.......X......."},
            "lift": {"tom_low": "X..x..x.X..x.xx.", "tom_mid": "......x.......x.", "kick": "X.......X.......",
                     "snare": "............X...", "crash": "X..............."},
            "break": {"kick": "X..............."},
            "fill": {"tom_low": "X.x.x.x.XxXxXXXX", "tom_mid": "..x.x.x.x.x.x.x.", "kick": "X.......X......."},
        },
        parts=(
            Part("harmony", "block", "strings", "x---------------", 60, 0.0, 0.0, -0.2, 0.4, double=True),
            Part("harmony", "arp", "piano", "0.1.2.1.0.1.2.1.", 72, 0.0, -5.0, 0.35, 0.35,
                 alt="0.1.2.3.2.1.2.3."),
            Part("bass", "bass", "strings", "R---------------", 40, 0.45, -2.0, 0.0, 0.2),
            Part("melody", "melody", "brass", "", 67, 0.7, -3.0, -0.1, 0.35),
        ),
        energy={"intro": 0.35, "main": 0.6, "lift": 0.9, "breakdown": 0.4, "final": 1.0},
        humanize_ms=5.0, reverb_s=2.6, wet=0.28, melody_density=0.35, drum_level_db=-2.0,
    ),
    "acoustic": Recipe(
        key="acoustic", tempo=(92.0, 112.0), mode="major",
        progressions=((0, 4, 5, 3), (0, 3, 0, 4), (0, 5, 3, 4), (3, 0, 4, 0)),
        grooves={
            "main": {"kick": "X.......X.x.....", "rim": "....x.......x...", "shaker": _HAT16},
            "lift": {"kick": "X.....x.X.x.....", "snare": "....X.......X...", "shaker": _HAT16,
                     "tambourine": "....x.......x..."},
            "break": {"shaker": _HAT8},
            "fill": {"kick": "X.......X.x.x...", "snare": "....x...x.x.x.xx", "shaker": "xgxgxgxg........"},
        },
        parts=(
            Part("harmony", "strum", "nylon", "x.x.x-x.x.x.x-x.", 55, 0.0, 0.0, -0.45, 0.15, double=True),
            Part("harmony", "arp", "steel", "0.2.1.2.0.2.1.2.", 64, 0.5, -6.0, 0.45, 0.15),
            Part("bass", "bass", "acoustic_bass", "R---..5-R---..5-", 40, 0.4, 0.0, 0.0, 0.0),
            Part("melody", "melody", "flute", "", 74, 0.6, -4.0, 0.2, 0.25),
        ),
        energy={"intro": 0.4, "main": 0.65, "lift": 0.85, "breakdown": 0.45, "final": 0.95},
        swing=0.55, humanize_ms=7.0, reverb_s=1.3, wet=0.15, melody_density=0.5, presence_db=3.0,
    ),
    "electronic": Recipe(
        key="electronic", tempo=(120.0, 128.0), mode="minor",
        progressions=((0, 5, 3, 4), (0, 3, 0, 4), (0, 5, 0, 4), (0, 0, 5, 4)),
        grooves={
            "main": {"kick": "X...X...X...X...", "clap": "....X.......X...", "hat": "..x...x...x...x."},
            "lift": {"kick": "X...X...X...X...", "clap": "....X.......X...", "ohat": "..x...x...x...x.",
                     "hat": "xxgxxxgxxxgxxxgx"},
            "break": {"hat": "..x...x...x...x."},
            "fill": {"kick": "X...X...X.X.XXXX", "clap": "....X...x.x.xxxx", "hat": "xxxxxxxx........"},
        },
        parts=(
            Part("harmony", "block", "supersaw", "x-..x-..x-..x-..", 62, 0.55, -5.0, 0.0, 0.25, double=True),
            Part("harmony", "arp", "pluck", "0120120101201201", 72, 0.0, -3.0, 0.6, 0.3),
            Part("harmony", "drone", "pad", "x---------------", 60, 0.0, -5.0, -0.3, 0.3, double=True),
            Part("bass", "bass", "synth_bass", "..R...R...R...R.", 40, 0.45, 0.0, 0.0, 0.0),
            Part("melody", "melody", "lead", "", 74, 0.8, -7.0, -0.45, 0.25),
        ),
        energy={"intro": 0.4, "main": 0.7, "lift": 0.95, "breakdown": 0.4, "final": 1.0},
        humanize_ms=2.5, reverb_s=1.8, wet=0.24, melody_density=0.6, presence_db=5.0,
    ),
    "chill": Recipe(
        key="chill", tempo=(84.0, 98.0), mode="major", chord_size=4,
        progressions=((0, 3, 0, 3), (0, 5, 3, 4), (1, 4, 0, 0), (0, 3, 0, 4)),
        grooves={
            "main": {"kick": "X.......X.x.....", "rim": "....x.......x...", "shaker": "x.g.x.g.x.g.x.g."},
            "lift": {"kick": "X.........x.....", "rim": "....x.......x...", "hat": "..x...x...x...x.",
                     "shaker": "x.g.x.g.x.g.x.g."},
            "break": {"shaker": "x...x...x...x..."},
            "fill": {"kick": "X.......X.x.....", "rim": "....x.....x.x.x.", "shaker": "x.x.x.x........."},
        },
        parts=(
            Part("harmony", "block", "pad", "x---------------", 60, 0.0, -6.0, 0.0, 0.35, double=True),
            Part("harmony", "arp", "epiano", "0...1...2...1...", 67, 0.0, -1.0, -0.35, 0.3,
                 alt="0...1...2.3.1..."),
            Part("bass", "bass", "electric_bass", "R-------R---5---", 40, 0.4, -1.0, 0.0, 0.0),
            Part("melody", "melody", "vibes", "", 79, 0.6, -4.0, 0.3, 0.35),
        ),
        energy={"intro": 0.35, "main": 0.55, "lift": 0.7, "breakdown": 0.4, "final": 0.75},
        swing=0.54, humanize_ms=7.0, reverb_s=2.2, wet=0.25, melody_density=0.35, calm=True,
        drum_level_db=-3.0, presence_db=8.0, low_db=-5.0,
    ),
    "piano": Recipe(
        key="piano", tempo=(64.0, 80.0), mode="minor",
        progressions=((0, 5, 3, 4), (0, 3, 0, 4), (0, 5, 0, 4), (0, 3, 5, 4)),
        grooves={"main": {}, "lift": {}, "break": {}, "fill": {}},
        parts=(
            Part("harmony", "arp", "piano", "0...2...1...2...", 57, 0.0, 0.0, -0.35, 0.35,
                 alt="0...1...2.1.3...", lift="0.1.2.1.0.1.2.3."),
            Part("harmony", "block", "strings", "x---------------", 60, 0.8, -10.0, 0.35, 0.45, double=True),
            Part("bass", "bass", "piano", "R-------5-------", 43, 0.0, -3.0, -0.1, 0.3),
            Part("melody", "melody", "piano", "", 72, 0.5, -1.0, 0.15, 0.35),
        ),
        energy={"intro": 0.35, "main": 0.55, "lift": 0.85, "breakdown": 0.4, "final": 0.9},
        humanize_ms=9.0, reverb_s=2.4, wet=0.28, melody_density=0.4, calm=True, presence_db=-4.0,
    ),
    "hiphop": Recipe(
        key="hiphop", tempo=(84.0, 96.0), mode="minor", chord_size=4,
        progressions=((0, 5, 3, 4), (0, 0, 5, 6), (0, 3, 0, 4), (5, 4, 0, 0)),
        grooves={
            "main": {"kick": "X.....X...X.....", "snare": "....X.......X...", "hat": _HAT16},
            "lift": {"kick": "X.....X...X..x..", "snare": "....X.......X...", "clap": "....x.......x...",
                     "hat": "xgxgxgxxxgxgxgxx", "ohat": "......x........."},
            "break": {"hat": _HAT8},
            "fill": {"kick": "X.....X...X.x.x.", "snare": "....X.......X.XX", "hat": "xxxxxxxxxxxx...."},
        },
        parts=(
            Part("harmony", "block", "epiano", "x-------x---x---", 62, 0.0, -1.0, -0.35, 0.2, double=True),
            Part("harmony", "arp", "strings", "0---1---2---1---", 72, 0.6, -8.0, 0.4, 0.3),
            Part("bass", "bass", "sub", "R-----R---R-----", 36, 0.3, 0.0, 0.0, 0.0),
            Part("melody", "melody", "flute", "", 76, 0.65, -5.0, 0.25, 0.25),
        ),
        energy={"intro": 0.4, "main": 0.75, "lift": 0.9, "breakdown": 0.45, "final": 0.95},
        swing=0.56, humanize_ms=6.0, reverb_s=1.2, wet=0.14, melody_density=0.5,
    ),
    "rock": Recipe(
        key="rock", tempo=(110.0, 140.0), mode="major",
        progressions=((0, 3, 0, 4), (0, 4, 3, 0), (0, 0, 3, 4), (0, 3, 4, 4)),
        grooves={
            "main": {"kick": "X.....x.X.......", "snare": "....X.......X...", "hat": _HAT8},
            "lift": {"kick": "X.x...x.X.x.....", "snare": "....X.......X...", "ride": _HAT8,
                     "ohat": "..............x."},
            "break": {"kick": "X.......X.......", "hat": "x...x...x...x..."},
            "fill": {"kick": "X.......X.......", "snare": "....X...xxxx", "tom_high": "........xx..",
                     "tom_low": "............XXXX"},
        },
        parts=(
            Part("harmony", "strum", "overdrive", "x-.xx-.xx-.xx-.x", 52, 0.0, -1.0, -0.55, 0.1, double=True),
            Part("harmony", "arp", "piano", "0...1...2...1...", 67, 0.6, -8.0, 0.4, 0.15),
            Part("bass", "bass", "electric_bass", "R.R.R.R.R.R.R.R.", 40, 0.3, 0.0, 0.0, 0.0),
            Part("melody", "melody", "brass", "", 72, 0.75, -6.0, 0.2, 0.2),
        ),
        energy={"intro": 0.45, "main": 0.75, "lift": 0.95, "breakdown": 0.5, "final": 1.0},
        humanize_ms=5.0, reverb_s=1.2, wet=0.12, melody_density=0.5, roots=(0, 2, 4, 7, 9),
    ),
    "jazz": Recipe(
        key="jazz", tempo=(108.0, 144.0), mode="major", chord_size=4,
        progressions=((1, 4, 0, 0), (1, 4, 0, 5), (2, 5, 1, 4), (0, 5, 1, 4)),
        grooves={
            "main": {"ride": "x..gx.gxx..gx.gx", "hat_pedal": "....x.......x...", "kick": "X..............."},
            "lift": {"ride": "x..gx.gxx..gx.gx", "hat_pedal": "....x.......x...", "snare": "......g.......g.",
                     "kick": "X.........g....."},
            "break": {"ride": "x...x...x...x..."},
            "fill": {"ride": "x..gx.gxx.......", "snare": "........g.x.xgxx", "kick": "X..........X...."},
        },
        parts=(
            Part("harmony", "block", "epiano", "..x-....x-..x-..", 62, 0.0, -1.0, -0.4, 0.2, double=True,
                 alt="x-....x-...x-..."),
            Part("bass", "bass", "acoustic_bass", "R...3...5...8...", 40, 0.0, 0.0, 0.0, 0.05),
            Part("melody", "melody", "vibes", "", 76, 0.45, -3.0, 0.35, 0.25),
            Part("melody", "melody", "brass", "", 70, 0.85, -9.0, -0.25, 0.25),
        ),
        energy={"intro": 0.4, "main": 0.65, "lift": 0.85, "breakdown": 0.45, "final": 0.9},
        swing=0.64, humanize_ms=7.0, reverb_s=1.5, wet=0.16, melody_density=0.6, presence_db=3.0,
    ),
    "corporate": Recipe(
        key="corporate", tempo=(100.0, 118.0), mode="major",
        progressions=((0, 4, 5, 3), (3, 0, 4, 5), (5, 3, 0, 4), (0, 5, 3, 4)),
        grooves={
            "main": {"kick": "X.......X.......", "clap": "....X.......X...", "hat": _HAT8},
            "lift": {"kick": "X.......X...x...", "clap": "....X.......X...", "hat": _HAT16,
                     "tambourine": "....x.......x..."},
            "break": {"hat": _HAT8},
            "fill": {"kick": "X.......X.......", "clap": "....X...x.x.XXXX", "hat": "x.x.x.x........."},
        },
        parts=(
            Part("harmony", "arp", "piano", "0.1.2.1.0.1.2.1.", 64, 0.0, -1.0, -0.3, 0.2,
                 alt="0.1.2.3.0.1.2.3."),
            Part("harmony", "strum", "steel", "x.x.x.x.x.x.x.x.", 55, 0.5, -5.0, 0.45, 0.15, double=True),
            Part("harmony", "block", "strings", "x---------------", 60, 0.75, -8.0, -0.3, 0.3, double=True),
            Part("bass", "bass", "electric_bass", "R.R.R.R.R.R.R.R.", 40, 0.4, -1.0, 0.0, 0.0),
            Part("melody", "melody", "vibes", "", 79, 0.65, -4.0, 0.25, 0.25),
        ),
        energy={"intro": 0.4, "main": 0.65, "lift": 0.85, "breakdown": 0.45, "final": 1.0},
        humanize_ms=4.0, reverb_s=1.5, wet=0.16, melody_density=0.55,
    ),
    "ambient": Recipe(
        key="ambient", tempo=(60.0, 76.0), mode="major",
        progressions=((0, 3, 0, 4), (0, 5, 3, 0), (0, 3, 5, 4), (0, 4, 0, 3)),
        grooves={"main": {}, "lift": {"shaker": "x...x...x...x..."}, "break": {}, "fill": {}},
        parts=(
            Part("harmony", "block", "pad", "x---------------", 60, 0.0, -3.0, -0.35, 0.5),
            Part("harmony", "block", "pad", "x---------------", 55, 0.0, -8.0, 0.3, 0.5),
            Part("harmony", "arp", "vibes", "0...1...2...1...", 79, 0.0, 1.0, 0.45, 0.5,
                 alt="0...2...1...3..."),
            Part("bass", "bass", "sub", "R---------------", 36, 0.4, -4.0, 0.0, 0.0),
            Part("melody", "melody", "piano", "", 79, 0.5, -6.0, -0.3, 0.5),
        ),
        energy={"intro": 0.3, "main": 0.5, "lift": 0.65, "breakdown": 0.35, "final": 0.7},
        humanize_ms=10.0, reverb_s=3.5, wet=0.35, melody_density=0.25, calm=True, drum_level_db=-6.0,
        presence_db=9.0, low_db=-8.0,
    ),
}

assert set(RECIPES) == set(LABELS), "every style key needs exactly one recipe"
