"""Extract the composer's instrument samples from the FluidR3Mono General MIDI SoundFont.

    apt-get install fluidr3mono-gm-soundfont      # Debian, MIT licence
    python tools/extract_samples.py [SF3] [OUT]

Writes one Ogg file per distinct sample (SF3 samples already are Ogg streams: copied byte for
byte, no re-encoding), `index.json` (per instrument: zones with key and velocity ranges, root key,
tuning, loop points, filter cutoff and attenuation per velocity layer) and the font's licence into
OUT (default tui/addmusic/engine/music/samples). Running it again reproduces the folder.
"""

from __future__ import annotations

import io
import json
import shutil
import sys
from pathlib import Path

import soundfile

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sf2 import (  # noqa: E402
    GEN_ATTACK,
    GEN_ATTENUATION,
    GEN_COARSE,
    GEN_FINE,
    GEN_INSTRUMENT,
    GEN_KEYRANGE,
    GEN_LOOPEND_OFS,
    GEN_LOOPSTART_OFS,
    GEN_RELEASE,
    GEN_ROOT_KEY,
    GEN_SAMPLE,
    GEN_SAMPLE_MODES,
    GEN_VELRANGE,
    SoundFont,
)

DEFAULT_FONT = "/usr/share/sounds/sf3/FluidR3Mono_GM.sf3"
DEFAULT_LICENCE = "/usr/share/doc/fluidr3mono-gm-soundfont/copyright"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "tui/addmusic/engine/music/samples"
GEN_FILTER_FC = 8

# our instrument name -> (bank, program, which of the preset's instruments: the first is the left
# channel where a preset pairs a left and a right instrument; the font is mono per instrument)
INSTRUMENTS: dict[str, tuple[int, int]] = {
    "piano": (0, 0),
    "epiano": (0, 4),
    "vibes": (0, 11),
    "nylon": (0, 24),
    "steel": (0, 25),
    "overdrive": (0, 29),
    "acoustic_bass": (0, 32),
    "electric_bass": (0, 33),
    "strings": (0, 48),
    "brass": (0, 61),
    "flute": (0, 73),
    "saw_lead": (0, 81),
}
# drum name -> General MIDI key in the standard kit (bank 128, program 0)
DRUMS: dict[str, int] = {
    "kick": 36, "rim": 37, "snare": 38, "clap": 39, "snare2": 40, "tom_low": 41, "hat": 42,
    "tom_mid": 45, "hat_pedal": 44, "ohat": 46, "tom_high": 48, "crash": 49, "ride": 51,
    "tambourine": 54, "shaker": 82, "maracas": 70,
}


def timecents(v: int | None) -> float | None:
    return None if v is None else round(2.0 ** (v / 1200.0), 4)


def merged(*zones) -> dict:
    """Instrument generators: the global zone's defaults overridden by the zone's own."""
    out: dict = {}
    for z in zones:
        if z is not None:
            out.update(z.gens)
    return out


def measured_cents(data, rate: int, midi: float) -> float | None:
    """How far the recording's pitch sits from the pitch the font says it has, in cents: a
    harmonic-sum search (first four partials, +-60 cents in 1-cent steps) over up to a second of
    the sustained part. None when the sample is too short or has no clear pitch (drums)."""
    import numpy as np

    start = min(len(data) // 4, int(0.15 * rate))
    seg = np.asarray(data[start:start + rate], dtype=np.float64)
    if len(seg) < int(0.1 * rate):
        return None
    seg = seg * np.hanning(len(seg))
    n = 1 << (8 * len(seg) - 1).bit_length()
    spec = np.log(np.abs(np.fft.rfft(seg, n)) + 1e-9)
    f0 = 440.0 * 2.0 ** ((midi - 69) / 12.0)
    cents = np.arange(-60, 61)
    score = np.zeros(len(cents))
    for k in range(1, 5):
        bins = np.round(k * f0 * 2.0 ** (cents / 1200.0) * n / rate).astype(int)
        if bins[-1] >= len(spec):
            break
        score += spec[bins]
    best = int(np.argmax(score))
    if best in (0, len(cents) - 1):
        return None  # at the edge of the search: no reliable answer
    return float(cents[best])


def zone_record(sf: SoundFont, gens: dict, pgens: dict, files: dict, out: Path) -> dict:
    s = sf.samples[gens[GEN_SAMPLE]]
    sid = gens[GEN_SAMPLE]
    if sid not in files:
        raw = sf.sample_bytes(s)
        name = f"s{sid:04d}.ogg" if s.compressed else f"s{sid:04d}.wav"
        if s.compressed:
            (out / name).write_bytes(raw)
            frames = soundfile.info(io.BytesIO(raw)).frames
        else:  # an SF2 font: store the 16-bit frames as Ogg through soundfile
            import numpy as np
            pcm = np.frombuffer(raw, "<i2").astype("float32") / 32768.0
            name = f"s{sid:04d}.ogg"
            soundfile.write(out / name, pcm, s.rate, format="OGG", subtype="VORBIS")
            frames = len(pcm)
        files[sid] = (name, frames)
    name, frames = files[sid]
    base = 0 if s.compressed else s.start
    loop = None
    if gens.get(GEN_SAMPLE_MODES, 0) in (1, 3):
        ls = s.loop_start - base + gens.get(GEN_LOOPSTART_OFS, 0) + 32768 * gens.get(45, 0)
        le = s.loop_end - base + gens.get(GEN_LOOPEND_OFS, 0) + 32768 * gens.get(50, 0)
        if 0 <= ls < le <= frames and le - ls >= 8:
            loop = [ls, le]
    root = gens.get(GEN_ROOT_KEY, -1)
    root = s.pitch if root is None or root < 0 else root
    tune = s.correction + 100 * (gens.get(GEN_COARSE, 0) + pgens.get(GEN_COARSE, 0)) \
        + gens.get(GEN_FINE, 0) + pgens.get(GEN_FINE, 0)
    fc = gens.get(GEN_FILTER_FC, 13500) + pgens.get(GEN_FILTER_FC, 0)
    pcm, _ = soundfile.read(out / name, dtype="float32")
    pcm = pcm if pcm.ndim == 1 else pcm.mean(axis=1)
    if loop is not None:  # measure what a held note plays: the sample, then its loop repeated
        import numpy as np
        reps = int(1.4 * s.rate / (loop[1] - loop[0])) + 1
        pcm = np.concatenate([pcm[:loop[1]], np.tile(pcm[loop[0]:loop[1]], reps)])
    off = measured_cents(pcm, s.rate, root - tune / 100.0)  # the raw recording before tuning
    return {
        "file": name, "frames": frames, "rate": s.rate,
        # the measured deviation of the recording once the font's tuning is applied: the sampler
        # corrects it (a few of FluidR3's samples sit 20-50 cents off their nominal pitch)
        "measured_cents": None if off is None else round(off, 1),
        "keys": list(gens.get(GEN_KEYRANGE, (0, 127))),
        "vel": list(pgens.get(GEN_VELRANGE) or gens.get(GEN_VELRANGE) or (0, 127)),
        "root": int(root), "tune_cents": int(tune), "loop": loop,
        "filter_hz": None if fc >= 13500 else round(8.176 * 2.0 ** (fc / 1200.0), 1),
        "attenuation_db": round((gens.get(GEN_ATTENUATION, 0) + pgens.get(GEN_ATTENUATION, 0)) / 10.0, 2),
        "attack_s": timecents(gens.get(GEN_ATTACK)), "release_s": timecents(gens.get(GEN_RELEASE)),
    }


def main(argv: list[str]) -> int:
    font = argv[1] if len(argv) > 1 else DEFAULT_FONT
    out = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUT
    sf = SoundFont(font)
    if out.exists():
        for f in out.glob("*.ogg"):
            f.unlink()
    out.mkdir(parents=True, exist_ok=True)
    files: dict[int, tuple[str, int]] = {}
    index: dict = {"source": Path(font).name, "licence": "LICENSE-FluidR3Mono.txt",
                   "instruments": {}, "drums": {}}
    for name, (bank, program) in INSTRUMENTS.items():
        preset = sf.preset(bank, program)
        first_inst = preset.zones[0].gens[GEN_INSTRUMENT]
        zones = []
        for pz in preset.zones:
            if pz.gens[GEN_INSTRUMENT] != first_inst:
                continue  # the right-hand twin of a left/right pair
            pgens = merged(preset.global_zone, pz)
            inst = sf.instruments[first_inst]
            for iz in inst.zones:
                zones.append(zone_record(sf, merged(inst.global_zone, iz), pgens, files, out))
        index["instruments"][name] = {"preset": preset.name, "bank": bank, "program": program, "zones": zones}
    kit = sf.preset(128, 0)
    for drum, key in DRUMS.items():
        zones = []
        for pz in kit.zones:
            lo, hi = pz.gens.get(GEN_KEYRANGE, (0, 127))
            if not lo <= key <= hi:
                continue
            pgens = merged(kit.global_zone, pz)
            inst = sf.instruments[pz.gens[GEN_INSTRUMENT]]
            for iz in inst.zones:
                g = merged(inst.global_zone, iz)
                klo, khi = g.get(GEN_KEYRANGE, (0, 127))
                if klo <= key <= khi:
                    zones.append(zone_record(sf, g, pgens, files, out))
        if not zones:
            raise SystemExit(f"drum key {key} ({drum}) not in {font}")
        index["drums"][drum] = {"key": key, "zones": zones}
    shutil.copyfile(DEFAULT_LICENCE, out / "LICENSE-FluidR3Mono.txt")
    (out / "index.json").write_text(json.dumps(index, indent=1) + "\n")
    size = sum(f.stat().st_size for f in out.iterdir())
    print(f"{len(files)} samples, {size / 1e6:.2f} MB in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
