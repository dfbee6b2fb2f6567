"""The user's own song and cutting to the beat, settled at turn time (after the interpreter's
edits, around the composer): the analysis an edit needs is read here, never in the interpreter.

- A song on the music track (an audio upload, or a video's own sound) gets its in-point resolved
  (``pick: "chorus"`` → the most energetic stretch on a downbeat; ``pick: "after_intro"`` → the
  first downbeat where the song reaches its level, then dropped), its ``d`` kept within the
  timeline (``end_early``: within what the song has left) and its waveform drawn from the song.
- Composed music that follows the cuts gets ``cuts``: clip boundaries plus each clip's scene cuts.
- "Sync to the beat" (meta ``sync``: the cuts follow the beat from now on) rolls each clip
  boundary onto the nearest beat of the music as heard on the timeline (``snap_to_beats``); where
  a roll has no footage to use, the clip before is trimmed onto a beat that is earlier by at most
  half a beat (the reel gets that much shorter). Once synced, a change of music re-snaps the cuts
  to the new beats; an edit that moves the cuts themselves turns the sync off, and the reply says so.

Analyses are cached as JSON next to the upload (``<media>.beats.json``, ``<media>.scenes.json``),
written whole (aside, then renamed), so each file is analysed once.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..protocol.draft import AUDIO, TEXT, VIDEO, Draft, Segment
from .analysis.beats import ENERGY_RATE, BeatAnalysis, analyse_file
from .beatsync import ClipSpan, snap_to_beats

log = logging.getLogger(__name__)

BEATS_SIDECAR = ".beats.json"
SCENES_SIDECAR = ".scenes.json"
ON_BEAT_S = 0.035  # a boundary this close to a beat is on it (a frame at 30 fps, and the analysis)
STILL_MEDIA_S = 3600.0  # a still image can be shown as long as wanted
INTRO_LEVEL = 0.5  # the intro ends where a bar first reaches half the song's typical bar energy
MIN_CLIP_S = 0.5

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock(path: Path) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(str(path), threading.Lock())


def _write_whole(path: Path, data: Any) -> None:
    part = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}.part")
    part.write_text(json.dumps(data))
    os.replace(part, path)


def song_analysis(path: Path) -> BeatAnalysis:
    """The song's beats, downbeats and energy, computed once per file (cached next to it)."""
    sidecar = path.with_name(path.name + BEATS_SIDECAR)
    with _lock(sidecar):  # the upload's background analysis and a turn never both compute it
        if sidecar.is_file():
            try:
                return BeatAnalysis.from_json(json.loads(sidecar.read_text()))
            except (ValueError, KeyError, TypeError):
                log.warning("unreadable analysis %s: analysing again", sidecar.name)
        analysis = analyse_file(path)
        _write_whole(sidecar, analysis.to_json())
        return analysis


def scene_cuts(path: Path) -> list[float]:
    """A video's scene cuts, seconds from its first frame, computed once per file."""
    from .analysis.scenes import SceneError, detect_cuts

    sidecar = path.with_name(path.name + SCENES_SIDECAR)
    with _lock(sidecar):
        if sidecar.is_file():
            try:
                return [float(c) for c in json.loads(sidecar.read_text())["cuts"]]
            except (ValueError, KeyError, TypeError):
                pass
        try:
            cuts = detect_cuts(path).cuts
        except SceneError as exc:
            log.info("no scene cuts for %s: %s", path.name, exc)
            cuts = []
        _write_whole(sidecar, {"cuts": cuts})
        return cuts


# --------------------------------------------------------------------------------------------
# Where things are
# --------------------------------------------------------------------------------------------

@dataclass
class Media:
    """The session's uploads by id, and where their files are."""

    infos: dict[str, dict[str, Any]]
    media_dir: Path

    @classmethod
    def of(cls, state: dict[str, Any], media_dir: Path) -> Media:
        infos = {str(i.get("media_id")): i for i in state.get("video_infos") or [] if isinstance(i, dict)}
        return cls(infos, media_dir)

    def path(self, media_id: str) -> Path | None:
        info = self.infos.get(media_id)
        if info is None:
            return None
        suffix = Path(str(info.get("filename") or "")).suffix.lower() or ".bin"
        path = self.media_dir / f"{media_id}{suffix}"
        return path if path.is_file() else None

    def analysis(self, media_id: str) -> BeatAnalysis | None:
        path = self.path(media_id)
        if path is None:
            return None
        try:
            return song_analysis(path)
        except Exception as exc:  # a file PyAV cannot decode: the song plays as is, without beats
            log.warning("cannot analyse %s: %s", path.name, exc)
            return None


def is_song(seg: Segment) -> bool:
    return bool(seg.src) and not seg.src.startswith("gen_")


def video_end(d: Draft) -> int:
    return max((s.end for t in d.tracks_of(VIDEO) for s in t.segments), default=0)


def _music(d: Draft) -> list[Segment]:
    return [s for t in d.tracks_of(AUDIO) for s in t.segments]


def _clips(d: Draft) -> list[Segment]:
    return sorted((s for t in d.tracks_of(VIDEO) for s in t.segments), key=lambda s: s.start)


# --------------------------------------------------------------------------------------------
# Songs: in-point, length, waveform
# --------------------------------------------------------------------------------------------

def intro_end(analysis: BeatAnalysis) -> float:
    """The first downbeat whose bar reaches half the song's typical bar energy (0 when the song
    starts at its level or has no downbeats)."""
    db, e = analysis.downbeats, analysis.energy
    if len(db) < 2 or len(e) == 0:
        return 0.0
    edges = np.append(db, analysis.duration)
    bars = [float(e[int(a * ENERGY_RATE):max(int(a * ENERGY_RATE) + 1, int(b * ENERGY_RATE))].mean())
            for a, b in zip(edges[:-1], edges[1:], strict=True)]
    typical = float(np.median(bars))
    for start, level in zip(db, bars, strict=True):
        if level >= INTRO_LEVEL * typical:
            return float(start) if start > 0.5 else 0.0
    return 0.0


def _fit_plan(analysis: BeatAnalysis, seg: Segment):  # type: ignore[no-untyped-def]
    from .songfit import FitError, plan_fit

    try:
        return plan_fit(analysis, seg.duration / 1000, start=seg.source_in / 1000,
                        mode="end_early" if seg.extra.get("fit") == "end_early" else "loop")
    except (FitError, ValueError):
        return None


def settle_songs(d: Draft, media: Media, notes: list[str], say: Callable[..., str]) -> None:
    """In-points, lengths and waveforms of the songs on the music track."""
    end = video_end(d)
    for seg in _music(d):
        if not is_song(seg):
            continue
        info = media.infos.get(seg.src) or {}
        song_ms = int(round(float(info.get("duration") or 0) * 1000))
        pick = seg.extra.get("pick")
        analysis = media.analysis(seg.src) if (pick or seg.waveform is None) else None
        if pick == "after_intro":
            seg.extra.pop("pick", None)
            if analysis is not None:
                seg.source_in = int(round(intro_end(analysis) * 1000))
                notes.append(say("intro_at", at=_clock(seg.source_in)) if seg.source_in
                             else say("no_intro"))
        if seg.start >= end:
            seg.start = max(0, end - 500)
        room = max(0, end - seg.start)
        if seg.duration <= 0 or seg.duration > room:
            seg.duration = room  # music never makes the video longer
        if pick == "chorus" and analysis is not None:
            seg.source_in = int(round(analysis.chorus_start(seg.duration / 1000) * 1000))
        if seg.extra.get("fit") == "end_early" and song_ms:
            seg.duration = max(0, min(seg.duration, song_ms - seg.source_in))
        seg.fade_in, seg.fade_out = min(seg.fade_in, seg.duration), min(seg.fade_out, seg.duration)
        if seg.waveform is None and not isinstance(info.get("wf"), list) and (path := media.path(seg.src)):
            info["wf"] = _peaks(path)  # a clip's own sound used as the music: its peaks, listed once
        seg.waveform = _song_waveform(seg, info, analysis)


def _peaks(path: Path) -> list[int] | None:
    from .media import MediaError, audio_peaks

    try:
        return audio_peaks(path, 120)
    except MediaError:
        return None


def _song_waveform(seg: Segment, info: dict[str, Any], analysis: BeatAnalysis | None) -> list[int] | None:
    """The song's own peaks under the segment: where the fit plays each moment from."""
    peaks = info.get("wf")
    song_s = float(info.get("duration") or 0)
    if not isinstance(peaks, list) or not peaks or song_s <= 0 or seg.duration <= 0:
        return None
    plan = _fit_plan(analysis, seg) if analysis is not None else None
    out = []
    for k in range(120):
        t = (k + 0.5) * seg.duration / 1000 / 120
        at = plan.song_time(t) if plan is not None else seg.source_in / 1000 + t
        if at is None or at >= song_s:
            out.append(0)
            continue
        out.append(int(peaks[min(len(peaks) - 1, int(at / song_s * len(peaks)))]))
    return out


def _clock(ms: int) -> str:
    s = int(round(ms / 1000))
    return f"{s // 60}:{s % 60:02d}"


# --------------------------------------------------------------------------------------------
# Beats on the timeline
# --------------------------------------------------------------------------------------------

def timeline_beats(d: Draft, generated: dict[str, Any], media: Media) -> np.ndarray | None:
    """The music's beats where they are heard on the timeline, seconds; None without music (or
    without a beat to find)."""
    music = _music(d)
    if not music:
        return None
    seg = music[0]
    start, length = seg.start / 1000, seg.duration / 1000
    if is_song(seg):
        analysis = media.analysis(seg.src)
        plan = _fit_plan(analysis, seg) if analysis is not None else None
        if plan is None or len(analysis.beats) < 2:
            return None
        return plan.output_times(analysis.beats) + start
    beats = (generated.get(seg.src) or {}).get("beats")
    if not beats:
        return None
    b = np.asarray(beats, float) - seg.source_in / 1000
    b = b[(b >= 0) & (b < length)]
    return b + start if len(b) >= 2 else None


# --------------------------------------------------------------------------------------------
# Cut to the beat
# --------------------------------------------------------------------------------------------

@dataclass
class SyncResult:
    moved: list[float]  # |delta| of each boundary that moved, s
    on_beat: int  # boundaries on a beat after the sync (moved or already there)
    stayed: list[str]  # why the others stayed
    shortened_ms: int = 0  # how much shorter the reel got from trims


def _spans(d: Draft, media: Media) -> list[tuple[Segment, ClipSpan]]:
    xf = int(d.meta.get("xf") or 0)
    clips = _clips(d)
    out = []
    for i, seg in enumerate(clips):
        info = media.infos.get(seg.src) or {}
        media_s = STILL_MEDIA_S if info.get("kind") == "image" else float(info.get("duration") or 0) or (
            (seg.source_in + seg.duration) / 1000)
        # with crossfades the cut is where the next clip starts to show; the overlap is put back after
        overlap = xf if i + 1 < len(clips) else 0
        out.append((seg, ClipSpan(seg.start / 1000, (seg.duration - overlap) / 1000, seg.source_in / 1000,
                                  media_s - overlap / 1000)))
    return out


def snap(d: Draft, beats: np.ndarray, media: Media) -> SyncResult:
    """Move the draft's clip boundaries onto ``beats`` (see the module's note), in place."""
    pairs = _spans(d, media)
    xf = int(d.meta.get("xf") or 0)
    fps = next((float(media.infos.get(s.src, {}).get("fps") or 0) for s, _ in pairs if
                media.infos.get(s.src, {}).get("fps")), 30.0) or 30.0
    spans = [span for _, span in pairs]
    moved: list[float] = []
    stayed: list[str] = []
    on_beat = 0
    shortened = 0.0
    for i in range(len(spans) - 1):
        rolled, moves = snap_to_beats(spans[i:i + 2], beats, fps=fps, min_clip=MIN_CLIP_S)
        move = moves[0]
        if move.beat is not None:
            spans[i:i + 2] = rolled
            on_beat += 1
            if abs(move.delta) > 1e-6:
                moved.append(abs(move.delta))
            continue
        trimmed = _trim_onto_beat(spans, i, beats, fps)
        if trimmed is not None:
            spans = trimmed[0]
            moved.append(trimmed[1])
            shortened += trimmed[1]
            on_beat += 1
        else:
            stayed.append(move.reason)
    for (seg, _), span in zip(pairs, spans, strict=True):
        last = seg is pairs[-1][0]
        seg.start = int(round(span.start * 1000))
        seg.source_in = int(round(span.media_in * 1000))
        seg.duration = int(round(span.duration * 1000)) + (0 if last else xf)
    return SyncResult(moved, on_beat, stayed, int(round(shortened * 1000)))


def _trim_onto_beat(spans: list[ClipSpan], i: int, beats: np.ndarray,
                    fps: float) -> tuple[list[ClipSpan], float] | None:
    """Trim clip ``i``'s end onto the beat before its cut when that beat is the nearest one and
    within half a beat; later clips close up. None when that is not possible."""
    from dataclasses import replace

    if len(beats) < 2:
        return None
    t = spans[i].end
    j = int(np.clip(np.searchsorted(beats, t), 1, len(beats) - 1))
    half = float(np.median(np.diff(beats[max(0, j - 4):j + 4]))) / 2
    nearest = float(beats[np.argmin(np.abs(beats - t))])
    if nearest > t or t - nearest > half + 1e-9:
        return None
    at = round(nearest * fps) / fps
    cut = t - at
    if cut <= 1e-6 or spans[i].duration - cut < MIN_CLIP_S:
        return None
    out = list(spans)
    out[i] = replace(spans[i], duration=spans[i].duration - cut)
    for k in range(i + 1, len(out)):
        out[k] = replace(out[k], start=out[k].start - cut)
    return out, cut


def _fit_to_video(d: Draft) -> None:
    """After the reel got shorter: music and titles end with the picture."""
    end = video_end(d)
    for track in d.tracks:
        if track.type not in (AUDIO, TEXT):
            continue
        kept = []
        for seg in track.segments:
            if seg.start >= end:
                continue
            if seg.end > end:
                seg.duration = end - seg.start
                seg.fade_in, seg.fade_out = min(seg.fade_in, seg.duration), min(seg.fade_out, seg.duration)
                if track.type == AUDIO and not is_song(seg):
                    seg.waveform = None
            kept.append(seg)
        track.segments = kept
    d.duration = end


# --------------------------------------------------------------------------------------------
# Music that follows the cuts
# --------------------------------------------------------------------------------------------

def timeline_cuts(d: Draft, media: Media) -> list[int]:
    """Cut times on the timeline, ms: where each clip starts after the first, and the scene cuts
    inside the part of each clip that is used."""
    cuts: set[int] = set()
    xf = int(d.meta.get("xf") or 0)
    clips = _clips(d)
    for i, seg in enumerate(clips):
        if i:
            cuts.add(seg.start + xf // 2)
        info = media.infos.get(seg.src) or {}
        path = media.path(seg.src) if info.get("kind") == "video" else None
        if path is None:
            continue
        for c in scene_cuts(path):
            ms = int(round(c * 1000))
            if seg.source_in < ms < seg.source_in + seg.duration:
                cuts.add(seg.start + ms - seg.source_in)
    end = video_end(d)
    return sorted(c for c in cuts if 0 < c < end)


def settle_cuts(d: Draft, media: Media) -> None:
    for seg in _music(d):
        if seg.extra.get("follow_cuts") and not is_song(seg):
            cuts = timeline_cuts(d, media)
            if seg.extra.get("cuts") != cuts:
                seg.extra["cuts"] = cuts
                seg.waveform = None
        else:
            seg.extra.pop("cuts", None)


# --------------------------------------------------------------------------------------------
# The turn's pass
# --------------------------------------------------------------------------------------------

def _music_key(d: Draft) -> list[Any]:
    keys = ("src", "st", "in", "pick", "fit", "bpm", "style", "seed", "follow_cuts")
    return [{k: s.to_json().get(k) for k in keys} for s in _music(d)]


def _video_key(d: Draft) -> list[Any]:
    return [(s.src, s.start, s.duration, s.source_in) for s in _clips(d)] + [d.meta.get("xf")]


def settle(d: Draft, before: Draft, state: dict[str, Any], generated: dict[str, Any], media_dir: Path,
           compose: Callable[[], None], say: Callable[..., str], *, sync_asked: bool,
           edited: bool = True) -> list[str]:
    """Everything above for one turn's draft, in place; returns the sentences to add to the reply.
    ``compose`` makes the composed music the draft names (``turns.materialise_music``)."""
    media = Media.of(state, media_dir)
    notes: list[str] = []
    settle_songs(d, media, notes, say)
    settle_cuts(d, media)
    compose()
    synced_before = bool(before.meta.get("sync"))
    if not d.meta.get("sync") or not edited:  # undo, redo and start over restore a draft as it was
        return notes
    if not sync_asked:
        if not _music(d):
            d.meta.pop("sync", None)
            notes.append(say("sync_off_no_music"))
            return notes
        if _video_key(d) != _video_key(before):
            d.meta.pop("sync", None)
            notes.append(say("sync_off_cuts_moved"))
            return notes
        if not synced_before or _music_key(d) == _music_key(before):
            return notes
    _pin_tempo(d, generated, compose)
    beats = timeline_beats(d, generated, media)
    if beats is None:
        d.meta.pop("sync", None)
        notes.append(say("sync_no_beat"))
        return notes
    result = snap(d, beats, media)
    if result.on_beat == 0:
        # asked for: the reel stays in sync mode (a new music re-snaps it), and the reply says why
        # nothing could move now
        notes.append(say("sync_none", why=_reasons(result.stayed, say)))
        return notes
    if result.shortened_ms:
        _fit_to_video(d)
    notes.append(_sync_sentence(result, say, again=not sync_asked))
    if result.moved:  # the cuts moved: songs and cut-following music follow them
        settle_songs(d, media, [], say)
        settle_cuts(d, media)
        compose()
    return notes


def _pin_tempo(d: Draft, generated: dict[str, Any], compose: Callable[[], None]) -> None:
    """Composed music picks its tempo to fit its length; synced cuts need a beat that stays put
    when the reel's length changes, so the tempo it has is kept (shown as its bpm)."""
    music = _music(d)
    if not music or is_song(music[0]) or music[0].extra.get("bpm"):
        return
    tempo = (generated.get(music[0].src) or {}).get("tempo")
    if tempo:
        music[0].extra["bpm"] = round(float(tempo), 1)
        music[0].waveform = None
        compose()


def _reasons(stayed: list[str], say: Callable[..., str]) -> str:
    return say("sync_reasons", reasons="; ".join(dict.fromkeys(say("why_" + _REASON_KEYS.get(r, "other"))
                                                                for r in stayed)))


_REASON_KEYS = {"the music has no beat to cut to": "no_beat", "no beat within half a beat": "far",
                "a clip here is too short to move its cut": "short",
                "the clips have no more footage on the side of the beat": "footage"}


def _sync_sentence(result: SyncResult, say: Callable[..., str], *, again: bool) -> str:
    prefix = say("sync_again") + " " if again else ""
    if result.moved:
        text = say("sync_moved", n=len(result.moved), avg=f"{np.mean(result.moved):.2f}",
                   max=f"{max(result.moved):.2f}", cuts=say("cut_word" if len(result.moved) == 1 else "cuts_word"))
    else:
        text = say("sync_already")
    if result.shortened_ms:
        text += " " + say("sync_shorter", s=f"{result.shortened_ms / 1000:.2f}")
    if result.stayed:
        text += " " + say("sync_some_stayed", n=len(result.stayed), why=_reasons(result.stayed, say))
    return prefix + text
