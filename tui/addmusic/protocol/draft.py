"""The short-key draft JSON (API.md "Draft JSON"): a typed view that tolerates unknown and
missing keys, round-trips what it does not understand, and summarises itself for people.

Both sides use it: the engine edits drafts, the client reads them for the track view and the
summary after a turn with no text.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

VIDEO, AUDIO, TEXT = 0, 1, 7
TRACK_NAMES = {VIDEO: "Video", AUDIO: "BGM", TEXT: "Title"}

# Segment keys this side understands; everything else is carried along untouched in `extra`.
_SEGMENT_KEYS = ("id", "n", "src", "st", "d", "in", "v", "fi", "fo", "duck", "tx", "pos", "wf")


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(round(float(value)))
    except (TypeError, ValueError, OverflowError):  # OverflowError: Infinity
        return default


@dataclass
class Segment:
    id: str = ""
    label: str = ""  # "n"
    src: str = ""
    start: int = 0  # "st", ms on the timeline
    duration: int = 0  # "d", ms
    source_in: int = 0  # "in", ms into the source
    volume: int | None = None  # "v", 0-100 (audio)
    fade_in: int = 0  # "fi", ms
    fade_out: int = 0  # "fo", ms
    duck: bool = False
    text: str = ""  # "tx"
    position: str = ""  # "pos"
    waveform: list[int] | None = None  # "wf", peaks 0-100
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def end(self) -> int:
        return self.start + self.duration

    @property
    def level(self) -> int:
        """The volume in percent as it plays: an absent `v` is full level."""
        return 100 if self.volume is None else self.volume

    @classmethod
    def from_json(cls, raw: Any) -> Segment:
        if not isinstance(raw, dict):
            return cls()
        wf = raw.get("wf")
        waveform = [max(0, min(100, _int(p))) for p in wf] if isinstance(wf, list) else None
        volume = raw.get("v")
        return cls(
            id=str(raw.get("id") or ""),
            label=str(raw.get("n") or ""),
            src=str(raw.get("src") or ""),
            start=max(0, _int(raw.get("st"))),
            duration=max(0, _int(raw.get("d"))),
            source_in=max(0, _int(raw.get("in"))),
            volume=None if volume is None else max(0, min(100, _int(volume, 100))),
            fade_in=max(0, _int(raw.get("fi"))),
            fade_out=max(0, _int(raw.get("fo"))),
            duck=bool(raw.get("duck", False)),
            text=str(raw.get("tx") or ""),
            position=str(raw.get("pos") or ""),
            waveform=waveform,
            extra={k: v for k, v in raw.items() if k not in _SEGMENT_KEYS},
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.extra)
        out.update({"id": self.id, "st": self.start, "d": self.duration})
        optional = {
            "n": self.label, "src": self.src, "in": self.source_in, "v": self.volume,
            "fi": self.fade_in, "fo": self.fade_out, "duck": self.duck, "tx": self.text,
            "pos": self.position, "wf": self.waveform,
        }
        out.update({k: v for k, v in optional.items() if v not in (None, "", 0, False)})
        if self.volume == 0:  # muted is a value, not an absence (absent reads as 100)
            out["v"] = 0
        return out


@dataclass
class Track:
    type: int  # "tt"
    segments: list[Segment] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return TRACK_NAMES.get(self.type, f"Track type {self.type}")

    @property
    def end(self) -> int:
        return max((s.end for s in self.segments), default=0)

    @classmethod
    def from_json(cls, raw: Any) -> Track:
        if not isinstance(raw, dict):
            return cls(type=-1)
        segments = raw.get("sg")
        return cls(
            type=_int(raw.get("tt"), -1),
            segments=[Segment.from_json(s) for s in segments] if isinstance(segments, list) else [],
            extra={k: v for k, v in raw.items() if k not in ("tt", "sg")},
        )

    def to_json(self) -> dict[str, Any]:
        return {**self.extra, "tt": self.type, "sg": [s.to_json() for s in self.segments]}


@dataclass
class Draft:
    tracks: list[Track] = field(default_factory=list)
    duration: int = 0  # "d", ms
    meta: dict[str, Any] = field(default_factory=dict)  # "m": title, width, height
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, raw: Any) -> Draft:
        if not isinstance(raw, dict):
            return cls()
        tracks = raw.get("t")
        meta = raw.get("m")
        return cls(
            tracks=[Track.from_json(t) for t in tracks] if isinstance(tracks, list) else [],
            duration=max(0, _int(raw.get("d"))),
            meta=dict(meta) if isinstance(meta, dict) else {},
            extra={k: v for k, v in raw.items() if k not in ("t", "d", "m")},
        )

    def to_json(self) -> dict[str, Any]:
        return {**self.extra, "t": [t.to_json() for t in self.tracks], "d": self.duration, "m": self.meta}

    def copy(self) -> Draft:
        return copy.deepcopy(self)

    @property
    def exportable(self) -> bool:
        return any(t.segments for t in self.tracks)

    @property
    def end(self) -> int:
        """The timeline's length: the declared duration, or the last segment's end."""
        return max([self.duration] + [t.end for t in self.tracks])

    def tracks_of(self, track_type: int) -> list[Track]:
        return [t for t in self.tracks if t.type == track_type]

    def summary(self) -> str:
        return timeline_summary(self)


def format_seconds(ms: int) -> str:
    """Seconds with at most one decimal and no trailing `.0` (API.md): 2500 → "2.5"."""
    tenths = int(ms / 100 + 0.5)  # half up: 10.05 s reads 10.1, as people round
    whole, frac = divmod(tenths, 10)
    return f"{whole}" if frac == 0 else f"{whole}.{frac}"


def _clock(ms: int) -> str:
    """Whole seconds as `1:12` or `1:02:03`."""
    minutes, seconds = divmod(int(ms / 1000 + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def format_duration(ms: int) -> str:
    """A length or a time, written one way everywhere: `9s`, `9.5s` under a minute (at most one
    decimal, no trailing `.0`), then `1:12` or `1:02:03` (whole seconds)."""
    if int(ms / 100 + 0.5) < 600:
        return f"{format_seconds(ms)}s"
    return _clock(ms)


def format_span(start: int, end: int) -> str:
    """A stretch of the timeline: `0-10s`, `2.5-7s`; past a minute both ends as clocks: `0:50-1:12`."""
    if int(end / 100 + 0.5) < 600:
        return f"{format_seconds(start)}-{format_seconds(end)}s"
    return f"{_clock(start)}-{_clock(end)}"


def describe_segment(track: Track, seg: Segment) -> str:
    """One segment as the summary shows it: `Lo-fi (0-10s, 35%)`, `"Urban Dreams" (0-3s)`."""
    span = format_span(seg.start, seg.end)
    if track.type == TEXT:
        label = f'"{seg.text or seg.label}"'
    else:
        label = seg.label or seg.src or "untitled"
    if track.type == AUDIO:
        volume = seg.level
        return f"{label} ({span}, {volume}%)"
    return f"{label} ({span})"


def describe_track(track: Track) -> str:
    if not track.segments:
        return f"{track.name}: empty"
    return f"{track.name}: " + ", ".join(describe_segment(track, s) for s in track.segments)


def timeline_summary(draft: Draft) -> str:
    """`Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) ...`"""
    n = len(draft.tracks)
    if n == 0:
        return "Timeline (0 tracks): empty"
    noun = "track" if n == 1 else "tracks"
    body = " ".join(f"{i}. {describe_track(t)}" for i, t in enumerate(draft.tracks, 1))
    return f"Timeline ({n} {noun}): {body}"


def _segment_key(track: Track, index: int, seg: Segment) -> tuple[int, str]:
    return (track.type, seg.id or f"#{index}")


def draft_diff(before: Draft, after: Draft) -> list[str]:
    """What changed between two drafts, in words: `BGM added: Lo-fi (0-10s, 35%)`.

    Segments are matched by track type and segment id (position when there is no id), so a
    volume change reads as a change, not as a removal plus an addition.
    """

    def index(draft: Draft) -> dict[tuple[int, str], tuple[Track, Segment]]:
        found: dict[tuple[int, str], tuple[Track, Segment]] = {}
        for track in draft.tracks:
            for i, seg in enumerate(track.segments):
                found[_segment_key(track, i, seg)] = (track, seg)
        return found

    old, new = index(before), index(after)
    lines: list[str] = []
    for key, (track, seg) in new.items():
        if key not in old:
            lines.append(f"{track.name} added: {describe_segment(track, seg)}")
            continue
        old_track, old_seg = old[key]
        was, now = describe_segment(old_track, old_seg), describe_segment(track, seg)
        if was != now:
            lines.append(f"{track.name} changed: {was} → {now}")
        elif old_seg.to_json() != seg.to_json():
            lines.append(f"{track.name} changed: {now} (fades, ducking or position)")
    for key, (track, seg) in old.items():
        if key not in new:
            lines.append(f"{track.name} removed: {describe_segment(track, seg)}")
    if before.meta.get("width") != after.meta.get("width") or before.meta.get("height") != after.meta.get(
        "height"
    ):
        w, h = after.meta.get("width"), after.meta.get("height")
        if w and h:
            lines.append(f"Canvas changed: {w}x{h}")
    return lines
