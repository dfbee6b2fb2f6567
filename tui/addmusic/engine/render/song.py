"""The user's own song made to fit the video (engine/songfit.py), once per (song, in, length, fit).

The plan only names the fitted WAV (plain data, nothing runs while planning); `prepare` makes it
before the mix, in a worker thread, unless it is already cached. The song's beat analysis comes
from the JSON the upload step may have left next to the song; without it the song is analysed
here and the analysis kept in the cache folder too.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import av

from addmusic.protocol.draft import Segment

from .. import songfit
from ..analysis.beats import BeatAnalysis, analyse_file
from .graph import SAMPLE_RATE
from .source import file_key

log = logging.getLogger(__name__)

FIT_MODES = ("loop", "end_early")
# Where the upload step keeps a song's analysis: "<song file name>.beats.json" beside the song.
SIDECAR_SUFFIX = ".beats.json"
CACHE_VERSION = "1"  # bump when songfit's output for the same inputs changes
SECONDS_PER_FIT = 1.5  # rough cost of analysing and fitting a song, to weigh progress


class SongError(Exception):
    """A song that cannot be fitted; the message is for people."""


@dataclass(frozen=True)
class SongFit:
    source: Path  # the uploaded song (or the video whose sound is the music)
    start_ms: int  # the in-point in the song
    length_ms: int  # the music segment's length on the timeline
    mode: str  # "loop" | "end_early"
    output: Path  # the fitted WAV, exactly length_ms long


def _digest(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:24]


def plan_song(seg: Segment, source: Path, length_ms: int, cache_dir: Path) -> SongFit:
    """What to fit for one music segment; raises SongError for a `fit` the renderer does not know."""
    mode = str(seg.extra.get("fit") or "loop")
    if mode not in FIT_MODES:
        raise SongError(f'Unknown song fit "{mode}"; use loop or end_early.')
    try:
        key = _digest(*file_key(source), seg.source_in, length_ms, mode, SAMPLE_RATE, CACHE_VERSION)
    except OSError as exc:
        raise SongError(f"The song {seg.label or source.name} cannot be read; upload it again.") from exc
    return SongFit(source, seg.source_in, length_ms, mode, Path(cache_dir) / f"fit_{key}.wav")


def _analysis(source: Path, cache_dir: Path) -> BeatAnalysis:
    sidecar = source.with_name(source.name + SIDECAR_SUFFIX)
    cached = cache_dir / f"beats_{_digest(*file_key(source), CACHE_VERSION)}.json"
    for path in (sidecar, cached):
        try:
            return BeatAnalysis.from_json(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            continue
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.info("ignoring the analysis in %s: %s", path, exc)
    analysis = analyse_file(source)
    _write_atomically(cached, json.dumps(analysis.to_json()).encode())
    return analysis


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def prepare(fit: SongFit) -> songfit.FitPlan | None:
    """Make the fitted WAV unless it is cached; returns the fit's plan when it was made now.
    Raises SongError with songfit's sentence when the song cannot be fitted as asked."""
    if fit.output.is_file():
        return None
    cache_dir = fit.output.parent
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = fit.output.with_name(f".{fit.output.stem}.{os.getpid()}.tmp.wav")
    try:
        plan = songfit.fit_file(fit.source, fit.length_ms / 1000, tmp, start=fit.start_ms / 1000, mode=fit.mode,
                                sample_rate=SAMPLE_RATE, analysis=_analysis(fit.source, cache_dir))
        os.replace(tmp, fit.output)
    except songfit.FitError as exc:
        raise SongError(str(exc)) from exc
    except (av.FFmpegError, OSError) as exc:
        raise SongError(f"The song {fit.source.name} could not be read to fit it ({exc}).") from exc
    finally:
        tmp.unlink(missing_ok=True)
    log.info("fitted %s to %.3f s (%s, %d loops, fade from %.2f s)", fit.source.name, plan.timeline, plan.mode,
             plan.loops, plan.fade_start)
    return plan
