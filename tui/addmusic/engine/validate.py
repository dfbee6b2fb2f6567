"""What a render may use and how big it may be, checked before a job is queued (and again before
it runs, against the store as it is then).

Every `src` resolves through the store to media of the requesting user's own session — an upload
of that session or a track generated in it — never through a path taken from the request. The
limits keep one draft from holding the only render worker for hours or the event loop for
seconds; each refusal says what to change.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..protocol.draft import AUDIO, TEXT, VIDEO, Draft, Segment
from .media import MAX_DURATION_MS, MediaInfo

MAX_TIMELINE_MS = MAX_DURATION_MS  # 3 hours: the longest video the engine renders
MAX_TRACKS = 32
MAX_SEGMENTS = 400  # on the whole timeline
MAX_TEXT_CHARS = 500  # one title
MAX_LABEL_CHARS = 300
MAX_JSON_DEPTH = 12
MIN_CANVAS, MAX_CANVAS = 16, 8192  # pixels a side, before the 1080p fit
MAX_ASPECT = 4.0  # 4:1 either way
GENERATED_ID = re.compile(r"gen_[0-9a-f]{6,40}")
KIND_WORDS = {VIDEO: "clip", AUDIO: "music", TEXT: "title"}


class DraftRejected(Exception):
    """A draft the engine will not render; the message says what to change."""


@dataclass
class Sources:
    """What a draft's `src` ids resolve to in one session."""

    media: dict[str, MediaInfo]  # uploads, by media id
    audio: dict[str, Path]  # generated music WAVs, by generated id


def check_raw(raw: Any) -> None:
    """Finite numbers and a sane nesting depth anywhere in the submitted JSON."""
    stack: list[tuple[Any, int]] = [(raw, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise DraftRejected("The draft is nested too deeply to be a timeline.")
        if isinstance(value, float) and not math.isfinite(value):
            raise DraftRejected("The draft holds a number that is not finite (Infinity or NaN).")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def _count_segments(raw: Any) -> int:
    tracks = raw.get("t") if isinstance(raw, dict) else None
    if not isinstance(tracks, list):
        return 0
    if len(tracks) > MAX_TRACKS:
        raise DraftRejected(f"The draft has {len(tracks)} tracks; at most {MAX_TRACKS} can be rendered.")
    return sum(len(t["sg"]) for t in tracks if isinstance(t, dict) and isinstance(t.get("sg"), list))


def parse(raw: Any) -> Draft:
    """The draft, once its size and numbers are known to be sane (checked before parsing, so a
    million segments are refused without building a million objects)."""
    check_raw(raw)
    count = _count_segments(raw)
    if count > MAX_SEGMENTS:
        raise DraftRejected(f"The draft has {count} segments; at most {MAX_SEGMENTS} can be rendered.")
    return Draft.from_json(raw)


def _name(seg: Segment, track_type: int) -> str:
    word = KIND_WORDS.get(track_type, "segment")
    shown = (seg.text if track_type == TEXT else seg.label) or seg.src or seg.id or "(unnamed)"
    return f'the {word} "{shown[:60]}"'


def resolve(draft: Draft, uploads: dict[str, MediaInfo], generated: dict[str, Any],
            music_path: Any) -> Sources:
    """Resolve every segment's `src` against the session's own media; raise DraftRejected naming
    the segment (clip, music or title) that points elsewhere."""
    media: dict[str, MediaInfo] = {}
    audio: dict[str, Path] = {}
    for track in draft.tracks:
        for seg in track.segments:
            if seg.duration <= 0:
                continue
            if track.type == TEXT:
                if seg.src:
                    raise DraftRejected(f"{_name(seg, TEXT).capitalize()} cannot name a media file.")
                continue
            if track.type not in (VIDEO, AUDIO):
                if seg.src:
                    raise DraftRejected(f"A segment on track type {track.type} names media; "
                                        "only video and music tracks can.")
                continue
            if not seg.src:
                raise DraftRejected(f"{_name(seg, track.type).capitalize()} names no media.")
            if seg.src in uploads:
                info = uploads[seg.src]
                if track.type == VIDEO and info.kind == "audio":
                    raise DraftRejected(f"{_name(seg, VIDEO).capitalize()} is a sound file; a clip needs a "
                                        "picture. Put it on the music track instead.")
                if track.type == AUDIO and not info.has_audio:
                    raise DraftRejected(f"{_name(seg, AUDIO).capitalize()} has no sound in it.")
                media[seg.src] = info
            elif track.type == AUDIO and seg.src in generated and GENERATED_ID.fullmatch(seg.src):
                path = Path(music_path(seg.src))
                if not path.is_file():
                    raise DraftRejected(f"{_name(seg, AUDIO).capitalize()} is missing; ask for the music again.")
                audio[seg.src] = path
            else:
                where = "uploaded to" if track.type == VIDEO else "uploaded to or made in"
                raise DraftRejected(f"{_name(seg, track.type).capitalize()} was not {where} this session; "
                                    "upload it again.")
    return Sources(media, audio)


def check_bounds(draft: Draft, sources: Sources, generated: dict[str, Any]) -> None:
    """Timeline length, in-points inside their sources, text sizes, canvas shape."""
    if draft.end > MAX_TIMELINE_MS:
        raise DraftRejected(f"The timeline runs {draft.end / 3_600_000:.1f} hours; the engine renders "
                            f"at most {MAX_TIMELINE_MS // 3_600_000} hours.")
    for track in draft.tracks:
        for seg in track.segments:
            if seg.duration <= 0:
                continue
            name = _name(seg, track.type)
            if len(seg.text) > MAX_TEXT_CHARS:
                raise DraftRejected(f"{name.capitalize()} is {len(seg.text)} characters long; a title can "
                                    f"hold {MAX_TEXT_CHARS}.")
            if len(seg.label) > MAX_LABEL_CHARS:
                raise DraftRejected(f"A {KIND_WORDS.get(track.type, 'segment')} name is longer than "
                                    f"{MAX_LABEL_CHARS} characters.")
            length = _source_length(seg, sources, generated)
            if length is not None and seg.source_in >= length:
                raise DraftRejected(f"{name.capitalize()} starts {seg.source_in / 1000:g} s into a source "
                                    f"that lasts {length / 1000:g} s.")
    _check_canvas(draft.meta)
    pictures = [seg for track in draft.tracks_of(VIDEO) for seg in track.segments
                if seg.duration > 0 and seg.src in sources.media and sources.media[seg.src].has_video]
    if not pictures:
        raise DraftRejected("This timeline has no picture: the export is a video, so upload a clip or an "
                            "image first.")


def _source_length(seg: Segment, sources: Sources, generated: dict[str, Any]) -> int | None:
    info = sources.media.get(seg.src)
    if info is not None:
        return None if info.kind == "image" else info.duration_ms
    entry = generated.get(seg.src)
    if isinstance(entry, dict) and isinstance(entry.get("duration_ms"), int | float):
        return int(entry["duration_ms"])
    return None


def _check_canvas(meta: dict[str, Any]) -> None:
    width, height = meta.get("width"), meta.get("height")
    if width in (None, "", 0) and height in (None, "", 0):
        return
    try:
        w, h = int(width), int(height)
    except (TypeError, ValueError, OverflowError):
        raise DraftRejected("The canvas size must be two whole numbers of pixels, like 1080x1920.") from None
    if not (MIN_CANVAS <= w <= MAX_CANVAS and MIN_CANVAS <= h <= MAX_CANVAS):
        raise DraftRejected(f"A {w}x{h} canvas cannot be rendered; each side must be {MIN_CANVAS} to "
                            f"{MAX_CANVAS} pixels.")
    if max(w / h, h / w) > MAX_ASPECT:
        raise DraftRejected(f"A {w}x{h} canvas is too narrow; the sides may differ at most {MAX_ASPECT:g} times.")


def cost_for(duration_ms: int, quality: str) -> int:
    """Credits for a render of this length: 1 a started 30 s (a preview: 1)."""
    return 1 if quality == "preview" else max(1, math.ceil(duration_ms / 30_000))
