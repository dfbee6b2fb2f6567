"""A composed piece's stems, kept so a layer can be lowered or dropped without composing again.

``compose(..., stems=Writer(folder, sr))`` stores each layer's stem as it is handed over: what
the layer puts into the bus compressor (after its pan, high-pass, reverb send and the tone; see
mixdown._stems). They are pre-bus, not post-bus, on purpose: a mix without the drums must not
keep the compressor's pumping and the limiter's gain that the drums caused in the other layers,
and its level must be set again (dropping a layer lowers the loudness). So ``remix`` sums them
at the asked levels and runs the bus again (compressor, master to -14 LUFS under -1 dBTP, the
ring-out's fade): the result has every guarantee a composed piece has, and at full levels it is
the composed piece. Stems are FLAC, 16-bit, each scaled to its own peak (the scale in the
manifest): 30 s of rock are 8.5 MB (24-bit: 17.3 MB), and a remix at full levels differs from the
piece by at most 5e-5 (under 2 steps of the piece's own 16-bit wav; RMS -81 dB under the music).
Kept for tracks up to ``long.LONG_S``; loops and longer pieces are composed again instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import soundfile as sf

from . import long
from .arrange import STING_BELOW_S
from .mixdown import remaster, ring_out_fade
from .score import ROLES

if TYPE_CHECKING:
    from . import Composition

F32 = np.float32
MANIFEST = "manifest.json"
FORMAT = 1  # bumped when the folder's layout changes: an older folder is not read
# the facts of the piece a remix keeps (its samples, levels and loudness are its own)
_FACTS = ("sample_rate", "tempo", "beats", "downbeats", "sections", "hits", "style", "key", "tonic", "mode",
          "bar_energy", "tail_s")


def kept_for(duration_s: float, loop: bool) -> bool:
    """Whether stems are kept for a piece of this length and kind."""
    return not loop and 0 < duration_s <= long.LONG_S


class Writer:
    """The ``stems`` callback of ``compose``: each stem to ``<folder>.<id>.part/<role>.flac`` as
    it comes (one stem in memory at a time); ``finish`` renames the folder into place, so a
    reader sees all the stems or none (another session may be making the same ones)."""

    def __init__(self, folder: Path, sample_rate: int) -> None:
        self.folder = Path(folder)
        self.sample_rate = int(sample_rate)
        self.part = self.folder.with_name(f"{self.folder.name}.{uuid.uuid4().hex[:8]}.part")
        _sweep(self.folder.parent)
        self.part.mkdir(parents=True)
        self.scales: dict[str, float] = {}

    def __call__(self, role: str, x: np.ndarray) -> None:
        peak = float(np.abs(x).max()) if len(x) else 0.0
        scale = peak / 0.99 if peak > 0 else 1.0  # pre-bus levels may pass full scale
        data = np.ascontiguousarray(x, dtype=F32) * F32(1.0 / scale)
        sf.write(self.part / f"{role}.flac", data, self.sample_rate, format="FLAC", subtype="PCM_16")
        self.scales[role] = scale

    def finish(self, comp: Composition) -> None:
        facts = {k: getattr(comp, k) for k in _FACTS}
        manifest = {"format": FORMAT, "frames": len(comp.samples), "scales": self.scales, **facts}
        (self.part / MANIFEST).write_text(json.dumps(manifest))
        try:
            os.rename(self.part, self.folder)
        except OSError:  # made meanwhile by another turn: theirs is the same music
            self.abort()

    def abort(self) -> None:
        shutil.rmtree(self.part, ignore_errors=True)


def _sweep(cache: Path, older_than_s: float = 3600.0) -> None:
    """Remove half-made stem folders an engine left when it stopped (a daemon thread is not
    waited for): an hour old is long past any composition."""
    now = time.time()
    with contextlib.suppress(OSError):
        for part in cache.glob("*.stems.*.part"):
            with contextlib.suppress(OSError):
                if now - part.stat().st_mtime > older_than_s:
                    shutil.rmtree(part, ignore_errors=True)


def manifest(folder: Path) -> dict | None:
    """The folder's manifest when every stem it names is there, else None."""
    with contextlib.suppress(OSError, ValueError):
        info = json.loads((Path(folder) / MANIFEST).read_text())
        if info.get("format") == FORMAT and all((Path(folder) / f"{r}.flac").is_file() for r in info["scales"]):
            return info
    return None


def size_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in Path(folder).iterdir() if p.is_file())


def remix(folder: Path, layers: dict[str, float]) -> Composition:
    """The piece with each layer at ``layers[role]`` (0-100, absent = 100; the lo-fi texture is
    not a layer and stays), mastered again: returned as a Composition with the piece's facts."""
    from . import Composition

    info = manifest(folder)
    if info is None:
        raise FileNotFoundError(f"no stems in {folder}")
    unknown = sorted(set(layers) - set(ROLES))
    if unknown:
        raise ValueError(f"unknown layer {unknown[0]!r}: use {', '.join(ROLES)}")
    sr, frames = int(info["sample_rate"]), int(info["frames"])
    levels = {role: float(np.clip(layers.get(role, 100), 0, 100)) / 100.0 for role in info["scales"]
              if role != "texture"}
    wanted = [(role, levels.get(role, 1.0) * scale) for role, scale in info["scales"].items()
              if levels.get(role, 1.0) > 0.0]  # a dropped layer is not even read

    def decode(role: str) -> np.ndarray:  # libsndfile releases the GIL: two stems decode at once
        return sf.read(Path(folder) / f"{role}.flac", dtype="float32", always_2d=True)[0]

    bus = np.zeros((2, frames), F32)
    with ThreadPoolExecutor(max_workers=2) as pool:  # decoding is about half of a remix's time
        for (_role, gain), data in zip(wanted, pool.map(decode, [r for r, _ in wanted]), strict=True):
            for c in range(2):
                bus[c] += data[:, c] * F32(gain)
            del data
    tail_s = float(info["tail_s"])
    fade = ring_out_fade(frames, sr, tail_s, frames / sr < STING_BELOW_S)
    block_power = remaster(bus, sr, fade)
    facts = {k: info[k] for k in _FACTS}
    facts["sections"] = [tuple(s) for s in facts["sections"]]
    return Composition(samples=bus.T, levels=levels, block_power=block_power, **facts)
