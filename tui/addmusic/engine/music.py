"""The composer: original background music of an exact length, synthesised with numpy.

Why synthesis instead of a library of tracks: no audio assets to ship, no licence questions, and
the music can be made exactly as long as the video (whole bars plus a final-chord tail), with a
beat grid the renderer can sync cuts and accents to.

A style is data (tempo range, mode, chord-progression bank, drum grooves, bass rhythm, instrument
patches, layers by energy). ``compose`` turns a style, a duration and a seed into an arrangement
(intro, sections, breakdowns, fills, a final chord), then renders it chunk by chunk into one
preallocated stereo buffer: each note is rendered once (vectorised, cached by patch, pitch and
length) and added wherever it recurs; a decimated FFT reverb runs per chunk; the bus gets a gentle
compressor and a soft limiter. Memory stays near the size of the output itself.
"""

from __future__ import annotations

import re
import unicodedata
import wave
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# --------------------------------------------------------------------------------------------
# Styles as data
# --------------------------------------------------------------------------------------------

MODES: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
}


@dataclass(frozen=True)
class Patch:
    """An instrument voice: a wavetable ("wave") or two-operator FM ("fm") oscillator with ADSR.

    ``wave`` voices crossfade from a bright table to a darker one with time constant
    ``bright_tau`` — a cheap stand-in for a closing low-pass filter envelope.
    """

    kind: str = "wave"
    wave: str = "saw"
    harmonics: int = 24
    dark_tilt: float = 1.5
    bright_tau: float = 0.3
    attack: float = 0.005
    decay: float = 0.3
    sustain: float = 0.6
    release: float = 0.2
    voices: int = 1
    detune: float = 0.0  # cents between outer voices
    vibrato: float = 0.0  # cents
    fm_ratio: float = 1.0
    fm_index: float = 0.0
    fm_tau: float = 0.5
    gain: float = 1.0


PATCHES: dict[str, Patch] = {
    "epiano": Patch(kind="fm", fm_ratio=1.0, fm_index=1.6, fm_tau=0.35, attack=0.003, decay=0.9,
                    sustain=0.25, release=0.35, gain=0.9),
    "bell": Patch(kind="fm", fm_ratio=3.5, fm_index=2.2, fm_tau=0.25, attack=0.002, decay=0.6,
                  sustain=0.0, release=0.6, gain=0.55),
    "piano": Patch(wave="piano", harmonics=18, dark_tilt=1.8, bright_tau=0.25, attack=0.002,
                   decay=1.1, sustain=0.0, release=0.4, gain=0.85),
    "guitar": Patch(wave="guitar", harmonics=20, dark_tilt=2.0, bright_tau=0.12, attack=0.002,
                    decay=0.8, sustain=0.0, release=0.15, gain=0.7),
    "keys": Patch(wave="organ", harmonics=10, dark_tilt=0.6, bright_tau=0.5, attack=0.004,
                  decay=0.5, sustain=0.5, release=0.12, gain=0.55),
    "strings": Patch(wave="saw", harmonics=20, dark_tilt=1.8, bright_tau=1e9, attack=0.45, decay=1.0,
                     sustain=0.85, release=0.8, voices=3, detune=14, vibrato=7, gain=0.42),
    "pad": Patch(wave="saw", harmonics=14, dark_tilt=2.4, bright_tau=1e9, attack=0.25, decay=1.0,
                 sustain=0.8, release=0.7, voices=3, detune=10, gain=0.4),
    "supersaw": Patch(wave="saw", harmonics=24, dark_tilt=1.0, bright_tau=0.25, attack=0.01, decay=0.25,
                      sustain=0.55, release=0.15, voices=5, detune=22, gain=0.33),
    "stab": Patch(wave="square", harmonics=16, dark_tilt=1.6, bright_tau=0.08, attack=0.003, decay=0.18,
                  sustain=0.25, release=0.08, voices=2, detune=8, gain=0.45),
    "bass": Patch(wave="saw", harmonics=16, dark_tilt=2.2, bright_tau=0.08, attack=0.004, decay=0.3,
                  sustain=0.7, release=0.08, gain=0.9),
    "subbass": Patch(wave="tri", harmonics=7, dark_tilt=0.5, bright_tau=0.2, attack=0.006, decay=0.5,
                     sustain=0.8, release=0.1, gain=1.0),
    "synthbass": Patch(wave="saw", harmonics=20, dark_tilt=2.0, bright_tau=0.05, attack=0.002,
                       decay=0.15, sustain=0.5, release=0.05, voices=2, detune=6, gain=0.75),
    "pluckbass": Patch(wave="guitar", harmonics=12, dark_tilt=2.0, bright_tau=0.08, attack=0.003,
                       decay=0.6, sustain=0.15, release=0.1, gain=1.0),
    "lead": Patch(wave="square", harmonics=14, dark_tilt=1.8, bright_tau=0.15, attack=0.01, decay=0.3,
                  sustain=0.6, release=0.12, vibrato=12, gain=0.38),
    "flute": Patch(wave="tri", harmonics=9, dark_tilt=0.4, bright_tau=0.4, attack=0.04, decay=0.4,
                   sustain=0.75, release=0.15, vibrato=14, gain=0.5),
    "pluck": Patch(wave="saw", harmonics=22, dark_tilt=2.2, bright_tau=0.05, attack=0.002, decay=0.22,
                   sustain=0.0, release=0.1, voices=2, detune=10, gain=0.5),
    "horn": Patch(wave="saw", harmonics=16, dark_tilt=2.2, bright_tau=1e9, attack=0.09, decay=0.6,
                  sustain=0.8, release=0.25, vibrato=9, voices=2, detune=6, gain=0.45),
}


@dataclass(frozen=True)
class Layer:
    """One part of the arrangement: what it plays, with which patch, and from which energy up.

    ``rhythm`` is a 16-step grid per bar: a note character starts a note, ``-`` holds it, ``.``
    rests. For bass the note characters name the chord degree (R root, 3, 5, 8 octave).
    """

    role: str  # "chords" | "bass" | "melody" | "arp"
    patch: str
    rhythm: str = "x---------------"
    min_energy: float = 0.0
    gain: float = 1.0
    pan: float = 0.0
    send: float = 0.25
    center: int = 60  # MIDI register centre
    strum: float = 0.0  # seconds between chord notes (guitar strums)


@dataclass(frozen=True)
class Style:
    """Everything that makes a style sound like itself, as data."""

    key: str
    label: str
    tempo: tuple[float, float]
    mode: str
    chord_size: int  # 3 triads, 4 sevenths, 5 ninths
    progressions: tuple[tuple[int, ...], ...]  # scale degrees (0-based), one chord per bar
    grooves: tuple[dict[str, str], ...]  # drum name -> 16-step velocity grid
    layers: tuple[Layer, ...]
    swing: float = 0.5  # 0.5 straight; position of the off-16th within its 8th
    humanize: float = 0.004  # seconds of timing jitter
    reverb: float = 1.6  # seconds (RT60)
    wet: float = 0.25
    drum_gain: float = 0.8
    texture: str = ""  # "vinyl" adds crackle and hiss
    roots: tuple[int, ...] = (0, 2, 5, 7, 9)  # allowed key roots (pitch classes)
    melody_density: float = 0.55
    fill: dict[str, str] = field(default_factory=dict)


STYLES: dict[str, Style] = {
    "lofi": Style(
        key="lofi", label="Lo-fi", tempo=(72.0, 88.0), mode="dorian", chord_size=4,
        progressions=((0, 3, 6, 2), (0, 3, 0, 3), (3, 4, 0, 0), (1, 4, 0, 6)),
        grooves=(
            {"kick": "X......x..X.....", "snare": "....X.......X...", "hat": "x.g.x.g.x.g.x.gx"},
            {"kick": "X.....X...x.....", "snare": "....X.......X..g", "hat": "x.x.x.x.x.x.x.x."},
        ),
        fill={"kick": "X.....X...x.x...", "snare": "....X.......X.gx", "hat": "x.x.x.x.x.x....."},
        layers=(
            Layer("chords", "epiano", "x---------x-----", 0.0, 0.8, 0.0, 0.3, 62),
            Layer("bass", "subbass", "R-----.R--5-.R-.", 0.4, 0.9, 0.0, 0.0, 40),
            Layer("melody", "flute", "", 0.7, 0.55, 0.2, 0.35, 74),
        ),
        swing=0.6, humanize=0.008, reverb=1.4, wet=0.22, texture="vinyl", melody_density=0.4,
    ),
    "upbeat": Style(
        key="upbeat", label="Upbeat pop", tempo=(112.0, 128.0), mode="major", chord_size=3,
        progressions=((0, 4, 5, 3), (5, 3, 0, 4), (0, 3, 5, 4), (3, 0, 4, 5)),
        grooves=(
            {"kick": "X...x...X...x...", "snare": "....X.......X...", "clap": "....x.......x...",
             "hat": "x.x.x.x.x.x.x.x."},
            {"kick": "X...x..xX...x...", "snare": "....X.......X...", "hat": "xgxgxgxgxgxgxgxg",
             "ohat": "..............x."},
        ),
        fill={"kick": "X...x...X.x.x...", "snare": "....X...x.xxXXXX", "hat": "x.x.x.x........."},
        layers=(
            Layer("chords", "keys", "..x-..x-..x-..x-", 0.0, 0.75, -0.25, 0.2, 64),
            Layer("chords", "pad", "x---------------", 0.0, 0.45, 0.25, 0.3, 60),
            Layer("bass", "bass", "R.8.R.8.R.8.R.58", 0.45, 0.8, 0.0, 0.0, 40),
            Layer("melody", "pluck", "", 0.7, 0.55, 0.15, 0.3, 76),
        ),
        swing=0.5, humanize=0.003, reverb=1.2, wet=0.18, melody_density=0.65,
    ),
    "cinematic": Style(
        key="cinematic", label="Cinematic", tempo=(76.0, 96.0), mode="minor", chord_size=3,
        progressions=((0, 5, 2, 6), (0, 5, 3, 4), (5, 6, 0, 0), (0, 3, 5, 6)),
        grooves=(
            {"tom": "X.....x...X.x...", "kick": "X.......X.......", "snare": "............x..."},
            {"tom": "X..x..x.X..x.xx.", "kick": "X.......X.......", "shaker": "x.x.x.x.x.x.x.x."},
        ),
        fill={"tom": "X.x.x.x.XxXxXXXX", "kick": "X.......X......."},
        layers=(
            Layer("chords", "strings", "x---------------", 0.0, 0.9, 0.0, 0.45, 60),
            Layer("arp", "piano", "0.1.2.3.0.1.2.3.", 0.3, 0.55, 0.2, 0.4, 72),
            Layer("bass", "horn", "R---------------", 0.45, 0.7, 0.0, 0.2, 40),
            Layer("melody", "horn", "", 0.85, 0.5, -0.1, 0.45, 67),
        ),
        swing=0.5, humanize=0.004, reverb=2.8, wet=0.35, drum_gain=0.9, melody_density=0.35,
    ),
    "acoustic": Style(
        key="acoustic", label="Acoustic", tempo=(92.0, 112.0), mode="major", chord_size=3,
        progressions=((0, 4, 5, 3), (0, 3, 0, 4), (0, 5, 3, 4), (3, 0, 4, 0)),
        grooves=(
            {"kick": "X.......X.x.....", "rim": "....x.......x...", "shaker": "xgxgxgxgxgxgxgxg"},
            {"kick": "X.....x.X.......", "rim": "....x.......x..g", "shaker": "x.x.x.x.x.x.x.x."},
        ),
        fill={"kick": "X.......X.x.x...", "rim": "....x...x.x.x.x.", "shaker": "xgxgxgxg........"},
        layers=(
            Layer("chords", "guitar", "x.x.x-x.x.x.x-x.", 0.0, 0.85, -0.2, 0.2, 58, strum=0.012),
            Layer("bass", "pluckbass", "R---..5-R---..5-", 0.45, 0.75, 0.0, 0.0, 40),
            Layer("melody", "flute", "", 0.7, 0.5, 0.25, 0.3, 74),
        ),
        swing=0.55, humanize=0.006, reverb=1.3, wet=0.2, drum_gain=0.7, melody_density=0.5,
    ),
    "electronic": Style(
        key="electronic", label="Electronic", tempo=(120.0, 128.0), mode="minor", chord_size=3,
        progressions=((0, 5, 2, 6), (0, 6, 5, 6), (5, 6, 0, 0), (0, 0, 5, 6)),
        grooves=(
            {"kick": "X...X...X...X...", "clap": "....X.......X...", "hat": "gxgxgxgxgxgxgxgx",
             "ohat": "..x...x...x...x."},
            {"kick": "X...X...X...X...", "clap": "....X.......X..x", "ohat": "..x...x...x...x.",
             "hat": "x.xxx.xxx.xxx.xx"},
        ),
        fill={"kick": "X...X...X.X.XXXX", "clap": "....X...x.x.xxxx", "hat": "xxxxxxxx........"},
        layers=(
            Layer("chords", "supersaw", "x-..x-..x-..x-..", 0.0, 0.6, 0.0, 0.35, 62),
            Layer("bass", "synthbass", "..R...R...R...R.", 0.45, 0.85, 0.0, 0.0, 40),
            Layer("arp", "pluck", "0120120101201201", 0.6, 0.45, 0.3, 0.35, 74),
        ),
        swing=0.5, humanize=0.0, reverb=1.8, wet=0.22, drum_gain=0.85,
    ),
    "chill": Style(
        key="chill", label="Chill", tempo=(84.0, 100.0), mode="major", chord_size=4,
        progressions=((0, 3, 0, 3), (5, 3, 0, 4), (1, 4, 0, 5), (3, 2, 1, 0)),
        grooves=(
            {"kick": "X.......X.x.....", "rim": "....x.......x...", "hat": "..x...x...x...x."},
            {"kick": "X.........x.....", "rim": "....x.......x...", "shaker": "x.g.x.g.x.g.x.g."},
        ),
        fill={"kick": "X.......X.x.....", "rim": "....x.....x.x.x.", "hat": "..x...x........."},
        layers=(
            Layer("chords", "pad", "x---------------", 0.0, 0.8, 0.0, 0.4, 60),
            Layer("chords", "epiano", "x-----x-----x---", 0.3, 0.5, -0.2, 0.3, 64),
            Layer("bass", "subbass", "R-------R---5---", 0.4, 0.85, 0.0, 0.0, 40),
            Layer("melody", "bell", "", 0.65, 0.55, 0.25, 0.45, 79),
        ),
        swing=0.53, humanize=0.005, reverb=2.2, wet=0.3, drum_gain=0.6, melody_density=0.35,
    ),
    "piano": Style(
        key="piano", label="Emotional piano", tempo=(64.0, 80.0), mode="minor", chord_size=3,
        progressions=((0, 5, 2, 6), (0, 3, 5, 4), (5, 3, 0, 4), (0, 5, 3, 6)),
        grooves=(
            {"kick": "X.......X.......", "rim": "....x.......x..."},
        ),
        layers=(
            Layer("arp", "piano", "0.1.2.1.3.1.2.1.", 0.0, 0.7, -0.1, 0.4, 60),
            Layer("chords", "strings", "x---------------", 0.5, 0.45, 0.2, 0.5, 60),
            Layer("bass", "piano", "R-------5-------", 0.0, 0.6, -0.1, 0.3, 43),
            Layer("melody", "piano", "", 0.6, 0.6, 0.1, 0.45, 76),
        ),
        swing=0.5, humanize=0.006, reverb=2.5, wet=0.33, drum_gain=0.45, melody_density=0.4,
    ),
}

DEFAULT_STYLE = "lofi"

# Mood words -> style. ASCII keywords match as whole words; CJK keywords as substrings.
_MOODS: dict[str, tuple[str, ...]] = {
    "lofi": ("lofi", "lo fi", "hip hop", "hiphop", "jazz", "jazzy", "study", "studying", "chillhop",
             "beats", "cozy", "lazy", "retro", "vintage", "coffee", "低保真", "嘻哈", "爵士", "学习",
             "复古", "咖啡"),
    "upbeat": ("upbeat", "happy", "cheerful", "fun", "funny", "joy", "joyful", "pop", "bright",
               "positive", "party", "summer", "playful", "uplifting", "sunny", "celebration",
               "欢快", "快乐", "开心", "愉快", "活泼", "阳光", "喜庆", "流行", "轻快"),
    "cinematic": ("cinematic", "epic", "dramatic", "trailer", "heroic", "powerful", "inspiring",
                  "orchestral", "adventure", "grand", "suspense", "tense", "dark", "mysterious",
                  "movie", "film", "史诗", "电影", "震撼", "大气", "激昂", "宏大", "紧张", "悬疑", "壮丽"),
    "acoustic": ("acoustic", "folk", "guitar", "warm", "travel", "country", "family", "nature",
                 "morning", "vlog", "吉他", "民谣", "温暖", "旅行", "自然", "清新"),
    "electronic": ("electronic", "energetic", "energy", "dance", "edm", "club", "techno", "house",
                   "hype", "workout", "sport", "sports", "intense", "fast", "gaming", "synth",
                   "电子", "动感", "激情", "运动", "燃", "劲爆", "蹦迪"),
    "chill": ("chill", "relax", "relaxing", "relaxed", "calm", "peaceful", "ambient", "soft",
              "mellow", "smooth", "easy", "serene", "dreamy", "tranquil", "sleep", "spa",
              "轻松", "放松", "舒缓", "安静", "平静", "悠闲", "柔和", "治愈", "惬意"),
    "piano": ("sad", "melancholy", "melancholic", "emotional", "romantic", "love", "tender",
              "touching", "sentimental", "piano", "moving", "memories", "heartfelt", "bittersweet",
              "nostalgic", "wedding", "悲伤", "伤感", "难过", "浪漫", "感人", "抒情", "钢琴", "温柔",
              "回忆", "思念", "爱情", "婚礼"),
}


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[\s\-_/]+", " ", text).strip()


def style_for(mood: str | None) -> str:
    """Map free mood words (English or Chinese) to a style key; unknown or empty -> "lofi".

    The longest matching keyword wins, so "chillhop" is lo-fi although it contains "chill".
    """
    if not mood:
        return DEFAULT_STYLE
    text = _normalise(mood)
    for key, st in STYLES.items():
        if text in (key, st.label.lower()):
            return key
    best: tuple[int, int, str] | None = None  # (length, -position, style)
    for key, words in _MOODS.items():
        for word in words:
            if word.isascii():
                m = re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", text)
                pos = m.start() if m else -1
            else:
                pos = text.find(word)
            if pos >= 0:
                cand = (len(word), -pos, key)
                if best is None or cand[:2] > best[:2]:
                    best = cand
    return best[2] if best else DEFAULT_STYLE


def style_label(style: str) -> str:
    """Human label for a style key ("lofi" -> "Lo-fi"); unknown keys are title-cased."""
    st = STYLES.get(style)
    return st.label if st else style.replace("_", " ").title()


# --------------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------------


@dataclass
class Composition:
    """Rendered music plus what the renderer needs to sync to it."""

    samples: np.ndarray  # shape (n, 2), float32, peak <= 0.98
    sample_rate: int
    tempo: float  # bpm actually used
    beats: list[float]  # beat times in seconds (the last is the final chord's downbeat)
    style: str

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


# --------------------------------------------------------------------------------------------
# Synthesis primitives (vectorised, float32)
# --------------------------------------------------------------------------------------------

_TABLE_SIZE = 2048
_F32 = np.float32


def _midi_hz(m: float) -> float:
    return 440.0 * 2.0 ** ((m - 69) / 12.0)


class _Tables:
    """Single-cycle wavetables, band-limited per pitch so high notes do not alias."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, float, int], np.ndarray] = {}

    def get(self, wave_name: str, tilt: float, nh: int) -> np.ndarray:
        key = (wave_name, round(tilt, 3), nh)
        tab = self._cache.get(key)
        if tab is None:
            k = np.arange(1, nh + 1, dtype=np.float64)
            if wave_name == "saw":
                amp = 1.0 / k
            elif wave_name == "square":
                amp = np.where(k % 2 == 1, 1.0 / k, 0.0)
            elif wave_name == "tri":
                amp = np.where(k % 2 == 1, 1.0 / k**2, 0.0) * np.where((k // 2) % 2 == 0, 1.0, -1.0)
            elif wave_name == "piano":
                amp = k**-1.1 * (1.0 - 0.6 * (k % 7 == 0))
            elif wave_name == "guitar":  # plucked about a fifth of the way along the string
                amp = np.abs(np.sin(np.pi * k / 5.3)) / k
            elif wave_name == "organ":
                amp = np.zeros(nh)
                for h, a in ((1, 1.0), (2, 0.55), (3, 0.35), (4, 0.25), (6, 0.12), (8, 0.08)):
                    if h <= nh:
                        amp[h - 1] = a
            else:
                amp = (k == 1).astype(np.float64)
            amp = amp * k**-tilt
            ph = np.linspace(0.0, 2 * np.pi, _TABLE_SIZE + 1)
            tab = (np.sin(np.outer(ph, k)) @ amp).astype(_F32)
            tab /= max(float(np.abs(tab).max()), 1e-9)
            self._cache[key] = tab
        return tab


def _phase(freq: float, n: int, sr: int, phase0: float, vib: np.ndarray | None) -> np.ndarray:
    """Oscillator phase as 32-bit fixed point: wraps for free and costs integer ops only."""
    inc = freq / sr * 2.0**32
    if vib is None:
        ph = np.arange(n, dtype=np.uint32) * np.uint32(int(inc) & 0xFFFFFFFF)
    else:
        ph = np.cumsum((vib * inc).astype(np.uint32), dtype=np.uint32)
    ph += np.uint32(int(phase0 * 2.0**32) & 0xFFFFFFFF)
    return ph


_FRAC_BITS = 32 - 11  # 2048-entry tables


def _osc(table: np.ndarray, ph: np.ndarray) -> np.ndarray:
    """Read a wavetable at fixed-point phases ``ph`` with linear interpolation."""
    i = ph >> np.uint32(_FRAC_BITS)
    frac = (ph & np.uint32((1 << _FRAC_BITS) - 1)).astype(_F32) * _F32(1.0 / (1 << _FRAC_BITS))
    a = table[i]
    return a + (table[i + 1] - a) * frac


def _adsr(p: Patch, gate: int, n: int, sr: int) -> np.ndarray:
    """Attack (linear), exponential decay toward sustain, exponential release after the gate."""
    t = np.arange(n, dtype=_F32) / _F32(sr)
    a = max(p.attack, 1e-4)
    env = np.where(t < a, t / a, p.sustain + (1.0 - p.sustain) * np.exp(-(t - a) / p.decay)).astype(_F32)
    if gate < n:
        g = env[gate - 1] if gate > 0 else _F32(0.0)
        env[gate:] = g * np.exp(-(t[gate:] - t[gate]) / max(p.release, 1e-3))
    tail = min(n, int(0.004 * sr))  # no click when the buffer stops
    if tail > 1:
        env[-tail:] *= np.linspace(1.0, 0.0, tail, dtype=_F32)
    return env


class _Voices:
    """Renders and caches notes: a note recurs many times, so it is synthesised only once."""

    def __init__(self, sr: int, rng: np.random.Generator) -> None:
        self.sr = sr
        self.rng = rng
        self.tables = _Tables()
        self.cache: dict[tuple, np.ndarray] = {}

    def note(self, patch_name: str, midi: float, gate: int, release: float | None = None) -> np.ndarray:
        key = (patch_name, midi, gate, release)
        w = self.cache.get(key)
        if w is None:
            w = self._render(PATCHES[patch_name], midi, gate, release)
            self.cache[key] = w
        return w

    def chord(self, patch_name: str, notes: tuple[int, ...], gate: int, release: float | None,
              strum: int) -> np.ndarray:
        """A whole chord as one cached waveform (strum offsets baked in): chords recur every few
        bars, so mixing one array per hit instead of one per note saves most of the adding."""
        key = ("chord", patch_name, notes, gate, release, strum)
        w = self.cache.get(key)
        if w is None:
            parts = [self.note(patch_name, m, gate, release) for m in notes]
            w = np.zeros(max(len(x) for x in parts) + strum * (len(parts) - 1), _F32)
            for k, x in enumerate(parts):
                w[k * strum:k * strum + len(x)] += x
            w *= _F32(1.0 / np.sqrt(len(parts)))
            self.cache[key] = w
        return w

    def _render(self, p: Patch, midi: float, gate: int, release: float | None) -> np.ndarray:
        sr = self.sr
        if release is not None:
            p = Patch(**{**p.__dict__, "release": release})
        n = gate + int(min(3.0 * p.release, 6.0) * sr)
        freq = _midi_hz(midi)
        t = np.arange(n, dtype=_F32) / _F32(sr)
        if p.kind == "fm":
            idx = p.fm_index * np.exp(-t / _F32(p.fm_tau))
            two_pi = _F32(2 * np.pi / 2.0**32)
            mod = np.sin(_phase(freq * p.fm_ratio, n, sr, 0.0, None).astype(_F32) * two_pi)
            car = _phase(freq, n, sr, 0.0, None)
            sig = np.sin(car.astype(_F32) * two_pi + idx * mod)
            sig += _F32(0.25) * np.sin((car * np.uint32(2)).astype(_F32) * two_pi) * np.exp(-t / _F32(0.6))
        else:
            nh = max(1, min(p.harmonics, int(0.45 * sr / freq)))
            bright = self.tables.get(p.wave, 0.0, nh)
            dark = self.tables.get(p.wave, p.dark_tilt, nh)
            vib = None
            if p.vibrato > 0:
                depth = (2 ** (p.vibrato / 1200.0) - 1.0) * np.clip((t - 0.25) / 0.4, 0.0, 1.0)
                vib = 1.0 + depth * np.sin(_F32(2 * np.pi * 5.2) * t)
            sig_d = np.zeros(n, _F32)
            sig_b = np.zeros(n, _F32) if p.bright_tau < 1e8 else None
            for v in range(p.voices):
                cents = 0.0 if p.voices == 1 else p.detune * (v / (p.voices - 1) - 0.5)
                ph = _phase(freq * 2 ** (cents / 1200.0), n, sr, float(self.rng.random()), vib)
                sig_d += _osc(dark, ph)
                if sig_b is not None:
                    sig_b += _osc(bright, ph)
            sig = sig_d
            if sig_b is not None:  # bright -> dark: the filter envelope
                sig_b -= sig_d
                sig_b *= np.exp(-t / _F32(p.bright_tau))
                sig += sig_b
            sig *= _F32(1.0 / np.sqrt(p.voices))
        sig *= _adsr(p, gate, n, sr) * _F32(p.gain)
        return sig.astype(_F32, copy=False)


def _smooth(x: np.ndarray, k: int) -> np.ndarray:
    """Moving average of length k (a crude low-pass)."""
    if k <= 16:
        return np.convolve(x, np.full(k, 1.0 / k, dtype=_F32))[: len(x)].astype(_F32, copy=False)
    c = np.cumsum(np.concatenate([np.zeros(k, x.dtype), x]), dtype=np.float64)
    return ((c[k:] - c[:-k]) / k).astype(_F32)


def _hp(x: np.ndarray, k: int) -> np.ndarray:
    return x - _smooth(x, k)


def _drum(name: str, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Synthesise one drum hit: pitched decays for the skins, filtered noise for the rest."""

    def tt(sec: float) -> np.ndarray:
        return np.arange(int(sec * sr), dtype=_F32) / _F32(sr)

    def noise(n: int) -> np.ndarray:
        return rng.standard_normal(n).astype(_F32)

    if name in ("kick", "tom"):
        f_hi, f_lo, dec = (150.0, 47.0, 0.32) if name == "kick" else (105.0, 62.0, 0.55)
        t = tt(dec * 3.0)
        f = f_lo + (f_hi - f_lo) * np.exp(-t / (0.03 if name == "kick" else 0.06))
        body = np.sin(2 * np.pi * np.cumsum(f, dtype=np.float64) / sr).astype(_F32) * np.exp(-t / dec)
        click = _hp(noise(len(t)), 6) * np.exp(-t / 0.0025) * _F32(0.35 if name == "kick" else 0.2)
        if name == "tom":
            click += _smooth(noise(len(t)), 30) * np.exp(-t / 0.08) * _F32(2.0)
        sig = np.tanh(1.6 * (body + click)) / np.tanh(1.6)
    elif name == "snare":
        t = tt(0.45)
        tone = (np.sin(2 * np.pi * 185 * t) + 0.5 * np.sin(2 * np.pi * 330 * t)) * np.exp(-t / 0.045)
        sig = 0.55 * tone + 0.8 * _hp(noise(len(t)), 5) * np.exp(-t / 0.12)
    elif name == "clap":
        t = tt(0.4)
        raw = noise(len(t))
        bp = _smooth(raw, 3) - _smooth(raw, 14)
        env = sum(np.where(t >= d, np.exp(-(t - d) / 0.005), 0.0) for d in (0.0, 0.011, 0.022))
        env = env + 0.6 * np.where(t >= 0.03, np.exp(-(t - 0.03) / 0.09), 0.0)
        sig = bp * env.astype(_F32) * _F32(1.8)
    elif name in ("hat", "ohat", "crash"):
        dec = {"hat": 0.03, "ohat": 0.22, "crash": 1.1}[name]
        t = tt(dec * 4.5)
        metal = sum(np.sign(np.sin(2 * np.pi * f * 1.7 * t)) for f in (205.3, 304.4, 369.6, 522.7, 540.0, 800.0))
        raw = 0.6 * metal.astype(_F32) / 6.0 + noise(len(t))
        sig = np.diff(np.diff(raw, prepend=0.0), prepend=0.0) * np.exp(-t / dec) * _F32(0.35)
        if name == "crash":
            sig *= np.minimum(t / 0.002, 1.0)
    elif name == "shaker":
        t = tt(0.15)
        sig = np.diff(noise(len(t)), prepend=0.0) * np.minimum(t / 0.012, 1.0) * np.exp(-t / 0.035) * _F32(0.3)
    elif name == "rim":
        t = tt(0.08)
        sig = (np.sin(2 * np.pi * 1750 * t) + 0.7 * np.sin(2 * np.pi * 820 * t)) * np.exp(-t / 0.012)
        sig = 0.8 * sig + 0.4 * _hp(noise(len(t)), 3) * np.exp(-t / 0.004)
    else:
        raise ValueError(f"unknown drum {name!r}")
    sig = np.asarray(sig, dtype=_F32)
    fade = min(len(sig), int(0.003 * sr))
    sig[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=_F32)
    return sig


_DRUM_LEVEL = {"kick": 1.0, "tom": 0.9, "snare": 0.55, "clap": 0.45, "hat": 0.28, "ohat": 0.22,
               "crash": 0.3, "shaker": 0.25, "rim": 0.3}
_DRUM_PAN = {"hat": 0.3, "ohat": 0.3, "shaker": -0.3, "rim": 0.15, "tom": -0.1, "crash": -0.2}
_VEL = {"X": 1.0, "x": 0.78, "o": 0.55, "g": 0.32}


# --------------------------------------------------------------------------------------------
# Arrangement
# --------------------------------------------------------------------------------------------


@dataclass
class _Bar:
    degree: int  # chord root degree
    energy: float  # 0..1
    section: int
    kind: str  # "intro", "A", "B", "break": sections of one kind share a melody
    groove: int
    fill: bool = False
    first_in_section: bool = False
    motif_bar: int = 0  # 0 or 1 within the two-bar melodic phrase
    cadence: bool = False  # last bar of a section: melody resolves


def _choose_bars(duration: float, st: Style, rng: np.random.Generator) -> tuple[int, float, float]:
    """Pick (bars, bpm, tail) so bars*4 beats + tail == duration, bpm inside the style's range."""
    lo, hi = st.tempo
    pref_bpm = lo + (hi - lo) * float(rng.uniform(0.25, 0.75))
    tail_pref = float(np.clip(0.05 * duration + 1.2, 1.5, 4.0))
    tail_min = min(1.2, duration)
    tail_max = max(4.5, 2.0 * tail_pref)
    if duration <= tail_min + 240.0 / hi:
        return 0, pref_bpm, duration
    best: tuple[float, int, float, float] | None = None
    for n in range(0, int(duration * hi / 240.0) + 1):
        if n == 0:
            bpm, tail = pref_bpm, duration
        else:
            bpm = float(np.clip(n * 240.0 / max(duration - tail_pref, 1e-6), lo, hi))
            tail = duration - n * 240.0 / bpm
        cost = abs(bpm - pref_bpm) / (hi - lo) + 0.5 * abs(tail - tail_pref) / tail_pref
        cost += 10.0 * (max(0.0, tail_min - tail) + max(0.0, tail - tail_max))
        if n > 0 and tail <= 0.25:
            continue
        if best is None or cost < best[0]:
            best = (cost, n, bpm, tail)
    assert best is not None
    return best[1], best[2], best[3]


def _arrange(n_bars: int, st: Style, rng: np.random.Generator) -> list[_Bar]:
    """Sections with an energy curve: a softer intro, alternating A/B sections, breakdowns in
    long pieces, drum fills before section changes, a cadence into the final chord."""
    if n_bars == 0:
        return []
    bank = len(st.progressions)
    prog_a = int(rng.integers(bank))
    prog_b = int((prog_a + 1 + rng.integers(bank - 1)) % bank) if bank > 1 else prog_a
    n_grooves = len(st.grooves)
    # (length, energy_start, energy_end, progression, groove)
    # (length, energy at start, energy at end, progression, groove, kind)
    sections: list[tuple[int, float, float, int, int, str]] = []
    if n_bars <= 2:
        sections.append((n_bars, 0.75, 0.9, prog_a, 0, "A"))
    elif n_bars <= 5:
        sections += [(1, 0.45, 0.45, prog_a, 0, "intro"), (n_bars - 1, 0.85, 0.95, prog_a, 0, "A")]
    else:
        intro = 2 if n_bars < 16 else 4
        sections.append((intro, 0.3, 0.6, prog_a, 0, "intro"))
        left = n_bars - intro
        plan = ("A", "B", "A", "B", "break")  # verse/chorus-like alternation, a breakdown now and then
        k = 0
        while left > 0:
            kind = plan[k % len(plan)]
            if kind == "break" and left <= 12:
                kind = "B"
            size = 4 if kind == "break" else 8 if left >= 12 else left if left <= 8 else left - 4
            if size == left:
                kind = "B"  # end on the fullest section
            if kind == "break":
                sections.append((size, 0.45, 0.55, prog_b, 0, kind))
            elif kind == "B":
                sections.append((size, 1.0, 1.0, prog_b, 1 % n_grooves, kind))
            else:
                sections.append((size, 0.82, 0.82, prog_a, 0, kind))
            left -= size
            k += 1
    bars: list[_Bar] = []
    for si, (size, e0, e1, prog, groove, kind) in enumerate(sections):
        chords = st.progressions[prog]
        for b in range(size):
            e = e0 + (e1 - e0) * (b / max(size - 1, 1))
            bars.append(_Bar(
                degree=chords[b % len(chords)], energy=e, section=si, kind=kind, groove=groove,
                fill=(b == size - 1 and si < len(sections) - 1 and size >= 4 and e1 >= 0.6),
                first_in_section=(b == 0), motif_bar=b % 2, cadence=(b == size - 1),
            ))
    return bars


def _chord_pcs(st: Style, key_root: int, degree: int, size: int | None = None) -> list[int]:
    """Pitch classes of the diatonic chord on ``degree``, stacked in thirds (root first)."""
    scale = MODES[st.mode]
    size = size or st.chord_size
    out = []
    for i in range(size):
        d = degree + 2 * i
        out.append((key_root + scale[d % 7] + 12 * (d // 7)) % 12)
    return out


def _voice(pcs: list[int], center: int, spread: bool) -> list[int]:
    """Close voicing around ``center`` (gives smooth voice leading for free); guitar-like spread
    puts the root below and doubles it."""
    notes = []
    for pc in pcs:
        m = center + ((pc - center) % 12)
        if m - center > 6:
            m -= 12
        notes.append(m)
    notes = sorted(set(notes))
    if spread:
        root = center - 12 + ((pcs[0] - center) % 12)
        notes = sorted(set([root - 12 if root > center - 5 else root] + notes + [notes[0] + 12]))
    return notes


def _bass_note(ch: str, pcs: list[int], center: int) -> int:
    root = center - 6 + ((pcs[0] - (center - 6)) % 12)
    if ch == "5":
        return root + (pcs[2] - pcs[0]) % 12
    if ch == "3":
        return root + (pcs[1] - pcs[0]) % 12
    if ch == "8":
        return root + 12
    return root


def _grid_notes(rhythm: str) -> list[tuple[int, int, str]]:
    """(start step, length in steps, character) for each note in a 16-step grid."""
    out: list[tuple[int, int, str]] = []
    for i, ch in enumerate(rhythm):
        if ch not in "-.":
            j = i + 1
            while j < len(rhythm) and rhythm[j] == "-":
                j += 1
            out.append((i, j - i, ch))
    return out


_CELLS = ("x---", "x-x-", "x--x", "--x-", "x-xx", "x---", "xx-x", "----", "----", "-x-x")


def _motif(rng: np.random.Generator, density: float) -> list[tuple[int, int, int]]:
    """A two-bar melodic idea: (step, length, scale-step move). Reused across a section so the
    melody repeats and varies like a tune rather than wandering."""
    steps: list[int] = []
    for beat in range(8):
        if beat == 7:
            cell = "x---" if rng.random() < 0.5 else "----"
        elif rng.random() > density + 0.2:
            cell = "----"
        else:
            cell = _CELLS[int(rng.integers(len(_CELLS)))]
        steps += [beat * 4 + i for i, c in enumerate(cell) if c == "x"]
    if not steps:
        steps = [0, 8, 12]
    out = []
    for i, s in enumerate(steps):
        end = steps[i + 1] if i + 1 < len(steps) else 32
        length = int(min(end - s, 8))
        move = int(rng.choice((-2, -1, -1, 0, 1, 1, 2, 3, -3)))
        out.append((s, max(length, 1), move))
    return out


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


@dataclass
class _Event:
    onset: int
    make: Callable[[], np.ndarray]
    gain: float
    pan: float
    send: float


def _pan_gains(pan: float) -> tuple[float, float]:
    a = (pan + 1.0) * np.pi / 4.0
    return float(np.cos(a) * np.sqrt(2)), float(np.sin(a) * np.sqrt(2))


def _reverb_ir(st: Style, sr4: int, rng: np.random.Generator) -> np.ndarray:
    """Stereo impulse response at a quarter of the sample rate: decaying dark noise."""
    n = int(st.reverb * sr4)
    t = np.arange(n) / sr4
    env = np.exp(-6.9 * t / st.reverb) * np.clip((t - 0.012) / 0.02, 0.0, 1.0)
    ir = np.stack([_smooth(rng.standard_normal(n).astype(_F32), 3) for _ in range(2)], axis=1) * env[:, None]
    ir /= np.sqrt((ir**2).sum(axis=0, keepdims=True))
    return ir.astype(_F32)


def compose(duration_s: float, style: str = "lofi", *, seed: int = 0, sample_rate: int = 48000,
            **options: object) -> Composition:
    """Compose and render ``duration_s`` seconds of music in ``style`` (unknown styles: lo-fi).

    Deterministic for a given (duration, style, seed, sample_rate); other seeds give another
    key, tempo, progression choice, groove and melody.
    """
    if not duration_s or duration_s <= 0:
        raise ValueError("duration must be positive")
    st = STYLES.get(style) or STYLES[DEFAULT_STYLE]
    sr = int(sample_rate)
    total = int(round(duration_s * sr))
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, zlib.crc32(st.key.encode())])
    n_bars, bpm, _tail = _choose_bars(total / sr, st, rng)
    beat = 60.0 / bpm
    step = beat / 4.0
    body_end = n_bars * 4 * beat
    key_root = int(rng.choice(st.roots))
    bars = _arrange(n_bars, st, rng)
    voices = _Voices(sr, np.random.default_rng(rng.integers(2**32)))
    drum_rng = np.random.default_rng(rng.integers(2**32))
    drum_names = sorted({d for g in st.grooves for d in g} | set(st.fill) | {"crash", "kick"})
    # a few takes of each drum so repeated hits do not sound machine-gunned; more for the busy ones
    kit = {d: [_drum(d, sr, drum_rng) for _ in range(3 if d in ("hat", "shaker") else 2)] for d in drum_names}
    events: list[_Event] = []

    def when(bar: int, s: float) -> float:
        """Time of a 16th step in a bar, with swing on the off-16ths."""
        base = bar * 4 * beat + s * step
        if int(s) % 2 == 1:
            base += (st.swing - 0.5) * 2 * step
        return base

    def add(t: float, make: Callable[[], np.ndarray], gain: float, pan: float, send: float) -> None:
        if st.humanize:
            t += float(rng.normal(0.0, st.humanize * 0.5))
        events.append(_Event(max(0, int(round(t * sr))), make, gain, pan, send))

    def note(patch: str, midi: int, gate_steps: float, release: float | None = None) -> Callable[[], np.ndarray]:
        gate = max(1, int(round(gate_steps * step * sr)))
        return lambda: voices.note(patch, midi, gate, release)

    def chord_of(layer: Layer, notes: list[int], gate_steps: float,
                 release: float | None = None) -> Callable[[], np.ndarray]:
        gate = max(1, int(round(gate_steps * step * sr)))
        strum = int(round(layer.strum * sr))
        return lambda: voices.chord(layer.patch, tuple(notes), gate, release, strum)

    scale = MODES[st.mode]
    motifs: dict[str, list[tuple[int, int, int]]] = {}
    mel_pitch: dict[int, int] = {}
    for bi, bar in enumerate(bars):
        e = bar.energy
        vel = 0.55 + 0.45 * e
        pcs = _chord_pcs(st, key_root, bar.degree)
        for li, layer in enumerate(st.layers):
            if e < layer.min_energy:
                continue
            g = layer.gain * vel
            if layer.role == "chords":
                chord = _voice(pcs, layer.center, spread=layer.strum > 0)
                for s, length, _ in _grid_notes(layer.rhythm):
                    up = layer.strum > 0 and s % 4 == 2
                    add(when(bi, s), chord_of(layer, chord[::-1] if up else chord, length),
                        g * (0.8 if up else 1.0), layer.pan, layer.send)
            elif layer.role == "bass":
                for s, length, ch in _grid_notes(layer.rhythm):
                    add(when(bi, s), note(layer.patch, _bass_note(ch, pcs, layer.center), length * 0.9),
                        g, layer.pan, layer.send)
            elif layer.role == "arp":
                chord = _voice(_chord_pcs(st, key_root, bar.degree, 4), layer.center, spread=False)
                for s, length, ch in _grid_notes(layer.rhythm):
                    idx = int(ch) if ch.isdigit() else 0
                    m = chord[idx % len(chord)] + 12 * (idx // len(chord))
                    add(when(bi, s), note(layer.patch, m, length), g * 0.8, layer.pan, layer.send)
            elif layer.role == "melody":
                if bar.kind not in motifs:
                    motifs[bar.kind] = _motif(np.random.default_rng(rng.integers(2**32)), st.melody_density)
                motif = motifs[bar.kind]
                register = [key_root + o + 12 * k for k in range(11) for o in scale]
                register = [m for m in register if abs(m - layer.center) <= 9]
                cur = mel_pitch.get(li, min(register, key=lambda m: abs(m - layer.center)))
                for s2, length, move in motif:
                    if s2 // 16 != bar.motif_bar:
                        continue
                    s = s2 % 16
                    i = min(range(len(register)), key=lambda j: abs(register[j] - cur))
                    i = int(np.clip(i + move, 0, len(register) - 1))
                    m = register[i]
                    if s % 8 == 0:  # strong beats land on chord tones
                        m = min((r for r in register if r % 12 in pcs), key=lambda r: abs(r - m))
                    if bar.cadence and s2 == motif[-1][0]:
                        m = min((r for r in register if r % 12 == pcs[0]), key=lambda r: abs(r - m))
                        length = 16 - s
                    cur = m
                    add(when(bi, s), note(layer.patch, m, min(length, 16 - s) * 0.92), g, layer.pan, layer.send)
                mel_pitch[li] = cur
        # drums
        if e >= 0.4:
            groove = st.fill if bar.fill and st.fill else st.grooves[bar.groove % len(st.grooves)]
            for dname, grid in groove.items():
                if e < 0.6 and dname not in ("kick", "hat", "shaker", "tom"):
                    continue
                for s, ch in enumerate(grid):
                    if ch in _VEL:
                        hit = kit[dname][int(rng.integers(len(kit[dname])))]
                        level = _DRUM_LEVEL[dname] * _VEL[ch] * st.drum_gain * (0.6 + 0.4 * e)
                        level *= float(rng.uniform(0.9, 1.05))
                        add(when(bi, s), (lambda h=hit: h), level, _DRUM_PAN.get(dname, 0.0), 0.08)
            if bar.first_in_section and bar.section > 0 and e >= 0.8:
                add(when(bi, 0), (lambda: kit["crash"][0]), 0.5 * st.drum_gain, -0.2, 0.15)

    # The final chord: the tonic, held and decaying to silence through the tail.
    tail_n = total - int(round(body_end * sr))
    tail_s = tail_n / sr
    rel = max(tail_s / 6.0, 0.05)
    tonic = _chord_pcs(st, key_root, 0)
    for layer in st.layers:
        if layer.role in ("chords", "arp") or (layer.role == "bass" and n_bars > 0):
            if layer.role == "bass":
                notes = [_bass_note("R", tonic, layer.center)]
            else:
                notes = _voice(tonic, layer.center, spread=layer.strum > 0)
            gate = min(tail_s * 0.25, 1.0) / step
            strummed = layer if layer.strum or layer.role != "arp" else Layer(**{**layer.__dict__, "strum": 0.02})
            add(body_end, chord_of(strummed, notes, gate, rel), layer.gain * 0.9, layer.pan, layer.send)
    if n_bars > 0:
        add(body_end, (lambda: kit["kick"][0]), 0.8 * st.drum_gain, 0.0, 0.05)
        add(body_end, (lambda: kit["crash"][1]), 0.45 * st.drum_gain, -0.2, 0.2)

    out = _render(events, total, sr, st, rng)
    _master(out, sr, int(round(body_end * sr)))
    beats = [round(i * beat, 6) for i in range(n_bars * 4 + 1)] if n_bars else [0.0]
    return Composition(samples=out, sample_rate=sr, tempo=round(bpm, 3), beats=beats, style=st.key)


def _fast_len(n: int) -> int:
    """Smallest 2^a * 3^b >= n: FFT sizes that pocketfft handles quickly, with less padding
    than the next power of two."""
    best = 1 << max(0, (n - 1).bit_length())
    p3 = 1
    while p3 < best:
        p2 = p3
        while p2 < n:
            p2 *= 2
        best = min(best, p2)
        p3 *= 3
    return best


def _render(events: list[_Event], total: int, sr: int, st: Style, rng: np.random.Generator) -> np.ndarray:
    """Sum events into one preallocated buffer, chunk by chunk; collect the reverb send at a
    quarter of the rate (43 MB for 15 minutes) and convolve it block by block at the end."""
    out = np.zeros((total, 2), dtype=_F32)
    events.sort(key=lambda ev: ev.onset)
    onsets = np.array([ev.onset for ev in events], dtype=np.int64)
    chunk = 1 << 18
    longest = 0
    send4 = np.zeros(total // 4 + 2, dtype=_F32)
    tex_rng = np.random.default_rng(rng.integers(2**32))
    bufs = np.zeros((4, 0), dtype=_F32)  # dry L, dry R, send, scratch; reused across chunks
    for c0 in range(0, total, chunk):
        lo, hi = np.searchsorted(onsets, [c0, c0 + chunk])
        evs = events[lo:hi]
        waves = [ev.make() for ev in evs]
        if waves:
            longest = max(longest, max(len(w) for w in waves))
        n = min(total, c0 + chunk + longest) - c0
        n4 = -(-n // 4) * 4
        if bufs.shape[1] < n4:
            bufs = np.zeros((4, n4 + chunk), dtype=_F32)
        else:
            bufs[:3, :n4] = 0.0
        dry_l, dry_r, send, tmp = bufs[0], bufs[1], bufs[2], bufs[3]
        for ev, w in zip(evs, waves, strict=True):
            o = ev.onset - c0
            m = min(len(w), n - o)
            if m <= 0:
                continue
            gl, gr = _pan_gains(max(-1.0, min(1.0, ev.pan)))
            t = tmp[:m]
            w = w[:m]
            # in-place arithmetic into a scratch row: no big temporaries, no page faults
            for dst, g in ((dry_l, gl), (dry_r, gr), (send, ev.send)):
                if g:
                    np.multiply(w, _F32(ev.gain * g), out=t)
                    seg = dst[o:o + m]
                    np.add(seg, t, out=seg)
        if st.texture == "vinyl":
            m = min(chunk, n)
            crackle = _smooth(tex_rng.standard_normal(m, dtype=_F32), 4) * _F32(0.003)
            pos = tex_rng.integers(0, m - 1, int(tex_rng.poisson(3.0 * m / sr)))
            amp = tex_rng.uniform(-0.03, 0.03, len(pos)).astype(_F32)
            crackle[pos] += amp
            crackle[pos + 1] += amp * _F32(0.5)
            dry_l[:m] += crackle
            dry_r[:m] += crackle
        out[c0:c0 + n, 0] += dry_l[:n]
        out[c0:c0 + n, 1] += dry_r[:n]
        q0 = c0 // 4
        s4 = send[:n4].reshape(-1, 4).mean(axis=1)
        m4 = min(len(s4), len(send4) - q0)
        send4[q0:q0 + m4] += s4[:m4]
    _reverb(out, send4, st, sr, rng)
    return out


def _reverb(out: np.ndarray, send4: np.ndarray, st: Style, sr: int, rng: np.random.Generator) -> None:
    """Convolution reverb at a quarter of the rate (the tail is dark anyway and the FFTs get four
    times cheaper), uniform-block overlap-add, linear interpolation back up into ``out``."""
    total = len(out)
    ir = _reverb_ir(st, sr // 4, rng) * _F32(st.wet * 2.0)
    block = 1 << 15
    nfft = _fast_len(block + len(ir) - 1)
    ir_spec = np.fft.rfft(ir, nfft, axis=0).astype(np.complex64)
    ramp = np.arange(4, dtype=_F32) / _F32(4.0)
    for b0 in range(0, len(send4), block):
        seg = send4[b0:b0 + block]
        if not seg.any():
            continue
        spec = np.fft.rfft(seg, nfft)
        wet4 = np.fft.irfft(spec[:, None] * ir_spec, nfft, axis=0)[: len(seg) + len(ir) - 1]
        s0 = 4 * b0
        m = min(len(wet4) - 1, -(-(total - s0) // 4))
        if m <= 0:
            continue
        for ch in range(2):
            y = wet4[: m + 1, ch].astype(_F32)
            up = (y[:-1, None] + (y[1:] - y[:-1])[:, None] * ramp).reshape(-1)
            e = min(total, s0 + len(up))
            out[s0:e, ch] += up[: e - s0]


def _master(out: np.ndarray, sr: int, body_end: int) -> None:
    """Bus processing in place: level to a target loudness, gentle compression, soft limiting,
    and a fade through the final chord's tail so the last sample is silence."""
    total = len(out)
    blk = 256
    nb = -(-total // blk)
    peak = np.zeros(nb, dtype=_F32)
    power = np.zeros(nb, dtype=np.float64)
    step = blk * 4096
    for s in range(0, total, step):
        x = out[s:s + step]
        pad = (-len(x)) % blk
        left, right = x[:, 0], x[:, 1]  # reductions over a length-2 axis are slow: avoid them
        a = np.maximum(np.abs(left), np.abs(right))
        p = left * left + right * right
        if pad:
            a = np.concatenate([a, np.zeros(pad, _F32)])
            p = np.concatenate([p, np.zeros(pad, _F32)])
        peak[s // blk: s // blk + len(a) // blk] = a.reshape(-1, blk).max(axis=1)
        power[s // blk: s // blk + len(p) // blk] = p.reshape(-1, blk).sum(axis=1) / (2 * blk)
    body_blocks = max(1, min(nb, body_end // blk)) if body_end > 0 else nb
    rms = float(np.sqrt(power[:body_blocks].mean())) or 1e-9
    pre = 0.16 / rms  # target about -16 dBFS RMS before compression
    # envelope: held peak with a short look-ahead, then smoothed (≈ 5 ms attack, 120 ms release)
    hold = peak.copy()
    for k in range(1, 5):
        hold[:-k] = np.maximum(hold[:-k], peak[k:])
    win = max(1, int(0.12 * sr / blk))
    env = np.convolve(np.pad(hold, (win, 0), mode="edge"), np.ones(win) / win, mode="valid")[1:]
    env = np.maximum(env, hold * 0.7) * pre
    thr, ratio = 0.5, 2.5
    over = np.maximum(env / thr, 1.0)
    gain = (pre * over ** (1.0 / ratio - 1.0)).astype(_F32)
    g_next = np.append(gain[1:], gain[-1])
    ramp = np.arange(blk, dtype=_F32) / blk
    lim = 0.8
    for s in range(0, total, step):
        b0 = s // blk
        x = out[s:s + step]
        gseg = (gain[b0:b0 + len(x) // blk + 1][:, None]
                + (g_next[b0:b0 + len(x) // blk + 1] - gain[b0:b0 + len(x) // blk + 1])[:, None] * ramp)
        x *= gseg.reshape(-1)[: len(x), None]
        a = np.abs(x)
        hot = a > lim
        if hot.any():
            x[hot] = np.sign(x[hot]) * (lim + (0.98 - lim) * np.tanh((a[hot] - lim) / (0.98 - lim)))
    # fade through the tail: cos^2 over its last 60 %, so the final sample is 0
    tail = total - body_end
    f_len = max(2, int(tail * 0.6)) if body_end > 0 else max(2, int(total * 0.5))
    f_len = min(f_len, total)
    fade = (np.cos(np.linspace(0.0, np.pi / 2, f_len)) ** 2).astype(_F32)
    out[total - f_len:] *= fade[:, None]
    np.clip(out, -0.98, 0.98, out=out)


# --------------------------------------------------------------------------------------------
# Files and waveforms
# --------------------------------------------------------------------------------------------


def write_wav(path: str | Path, comp: Composition) -> None:
    """Write 16-bit PCM stereo with the standard library (ffmpeg reads it without surprises)."""
    data = comp.samples
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(comp.sample_rate)
        step = 1 << 20  # in blocks: a 15-minute track needs no second full-size copy
        for s in range(0, len(data), step):
            block = np.clip(data[s:s + step], -1.0, 1.0) * 32767.0
            w.writeframes(np.round(block).astype("<i2").tobytes())


def peaks(samples: np.ndarray, n: int = 120) -> list[int]:
    """``n`` waveform bars, each the max absolute sample in its bucket as 0-100 % of full scale.

    Absolute level (not scaled to the loudest bucket) so a quiet track looks quiet next to a loud
    one on the timeline. Accepts mono (n,) or multi-channel (n, ch) arrays.
    """
    if n <= 0:
        return []
    x = np.asarray(samples)
    if x.ndim == 1:
        x = x[:, None]
    total = len(x)
    if total == 0:
        return [0] * n
    edges = np.minimum(np.linspace(0, total, n + 1).astype(np.int64)[:-1], total - 1)
    level = np.zeros(n)
    for c in range(x.shape[1]):  # per column: no full-size temporaries for long tracks
        col = x[:, c]
        level = np.maximum(level, np.maximum.reduceat(col, edges))
        level = np.maximum(level, -np.minimum.reduceat(col, edges))
    return [int(v) for v in np.clip(np.round(level * 100.0), 0, 100)]
