"""What the session's uploads (`video_infos`, docs/API.md) tell the track view: which clip is a
still, which music is the user's own song (its file, in-point, how it fits the video, its real
waveform), and which uploaded songs are only offered. Pure functions over dicts, so the track
view can be tested with states built by hand."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from addmusic.protocol.draft import AUDIO, Draft, Segment, format_duration

Media = Mapping[str, Any]  # one `video_infos` entry
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif"})


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


def media_index(media: Iterable[Media] | None) -> dict[str, Media]:
    """The uploads by media id (the segments' `src`)."""
    return {str(m.get("media_id")): m for m in media or () if isinstance(m, Mapping) and m.get("media_id")}


def is_still(seg: Segment, info: Media | None) -> bool:
    """An image shown as a still segment: known by its upload's kind, its `zoom` key or its name."""
    if info is not None and info.get("kind"):
        return info.get("kind") == "image"
    return "zoom" in seg.extra or PurePath(seg.label or "").suffix.lower() in IMAGE_SUFFIXES


def still_facts(seg: Segment) -> str:
    return "still, slow zoom" if seg.extra.get("zoom") else "still"


def is_own_song(seg: Segment, info: Media | None) -> bool:
    """Music from an upload (a song, or a clip's sound), not composed (`gen_…`)."""
    return info is not None or bool(seg.src and not seg.src.startswith("gen_"))


def song_length_ms(info: Media | None) -> int | None:
    seconds = _number(info.get("duration")) if info is not None else None
    return int(seconds * 1000) if seconds and seconds > 0 else None


def in_point(seg: Segment) -> str:
    """Where the song starts: `chorus` (chosen as the chorus) or `from 0:45`; empty at its start."""
    if seg.extra.get("pick") == "chorus":
        return "chorus"
    if seg.source_in > 0:
        return f"from {song_time(seg.source_in)}"
    return ""


def song_time(ms: int) -> str:
    """A time into a song, as people say it for songs: `0:45`, `1:02.5`, `1:02:03`."""
    tenths = int(ms / 100 + 0.5)
    seconds, tenth = divmod(tenths, 10)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    clock = f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
    return f"{clock}.{tenth}" if tenth else clock


def fit(seg: Segment, info: Media | None, timeline_ms: int) -> str:
    """How the song meets the video's length: `loops`, `ends early`, `cut to fit`, or empty
    when it is exactly as long (or its length is unknown and nothing was asked)."""
    length = song_length_ms(info)
    asked = str(seg.extra.get("fit") or "loop")
    if length is None:
        return "ends early" if asked == "end_early" else ""
    available = length - seg.source_in
    if available < timeline_ms - 50:  # shorter than the video (50 ms: rounding of the probe)
        return "ends early" if asked == "end_early" else "loops"
    if available > seg.duration + 50:
        return "cut to fit"
    return ""


def song_peaks(seg: Segment, info: Media | None, points: int = 120) -> list[int] | None:
    """The song's own waveform (`wf` of its upload, peaks 0–100 over the whole file) cut to the
    stretch the segment plays: from its in-point, looped when the song is shorter (`fit: loop`),
    silent after its end otherwise. None when the upload has no waveform."""
    wf = info.get("wf") if info is not None else None
    length = song_length_ms(info)
    if not isinstance(wf, list) or not wf or length is None or seg.duration <= 0:
        return None
    peaks = [max(0, min(100, int(_number(p) or 0))) for p in wf]
    loop = str(seg.extra.get("fit") or "loop") == "loop"
    start = min(seg.source_in, length - 1)
    span = max(1, length - start)
    out: list[int] = []
    for k in range(points):
        t = (k + 0.5) * seg.duration / points  # ms into the stretch played
        if t >= span:
            if not loop:
                out.append(0)
                continue
            t %= span
        index = min(len(peaks) - 1, int((start + t) * len(peaks) / length))
        out.append(peaks[index])
    return out


@dataclass(frozen=True)
class OfferedSong:
    """An uploaded song the draft does not use yet (offered, not applied)."""

    name: str
    length_ms: int | None
    peaks: list[int] | None
    bpm: float | None

    def facts(self) -> str:
        parts = [format_duration(self.length_ms)] if self.length_ms else []
        if self.bpm:
            parts.append(f"{self.bpm:g} bpm")
        return f" ({', '.join(parts)})" if parts else ""


def offered_songs(draft: Draft, media: Iterable[Media] | None) -> list[OfferedSong]:
    used = {s.src for t in draft.tracks_of(AUDIO) for s in t.segments}
    songs: list[OfferedSong] = []
    for info in media or ():
        if not isinstance(info, Mapping) or info.get("kind") != "audio" or info.get("media_id") in used:
            continue
        wf = info.get("wf")
        peaks = [max(0, min(100, int(_number(p) or 0))) for p in wf] if isinstance(wf, list) and wf else None
        bpm = _number(info.get("bpm"))
        songs.append(OfferedSong(str(info.get("filename") or info.get("media_id") or "song"), song_length_ms(info),
                                 peaks, bpm if bpm and bpm > 0 else None))
    return songs
