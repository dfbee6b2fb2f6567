"""Pure operations on drafts that several families share. Each returns a new draft."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from addmusic.protocol.draft import AUDIO, TEXT, VIDEO, Draft, Segment, Track


def new_hex() -> str:
    return uuid.uuid4().hex[:12]


def music_segments(d: Draft) -> list[Segment]:
    return [s for t in d.tracks_of(AUDIO) for s in t.segments]


def video_segments(d: Draft) -> list[Segment]:
    return [s for t in d.tracks_of(VIDEO) for s in t.segments]


def titles(d: Draft) -> list[Segment]:
    """Titles by start time: title 1 is the first on screen."""
    return sorted((s for t in d.tracks_of(TEXT) for s in t.segments), key=lambda s: (s.start, s.end))


def has_video(d: Draft) -> bool:
    return bool(video_segments(d))


def insert_track(d: Draft, track: Track) -> None:
    """Keep tracks in type order (video, music, titles) so the summary reads naturally."""
    index = 0
    for i, existing in enumerate(d.tracks):
        if existing.type <= track.type:
            index = i + 1
    d.tracks.insert(index, track)


def put_music(seg: Segment) -> Callable[[Draft], Draft]:
    """The music track holds a fresh copy of `seg` and nothing else (added or replaced)."""
    def apply(draft: Draft) -> Draft:
        out = draft.copy()
        fresh = Segment.from_json(seg.to_json())
        audio = out.tracks_of(AUDIO)
        if audio:
            audio[0].segments = [fresh]
        else:
            insert_track(out, Track(AUDIO, [fresh]))
        return out

    return apply


def map_music(fn: Callable[[Segment], None]) -> Callable[[Draft], Draft]:
    def apply(draft: Draft) -> Draft:
        d = draft.copy()
        for seg in music_segments(d):
            fn(seg)
        return d

    return apply


def map_video(fn: Callable[[Segment], None]) -> Callable[[Draft], Draft]:
    def apply(draft: Draft) -> Draft:
        d = draft.copy()
        for seg in video_segments(d):
            fn(seg)
        return d

    return apply


def set_meta(**values: object) -> Callable[[Draft], Draft]:
    def apply(draft: Draft) -> Draft:
        d = draft.copy()
        d.meta = {**d.meta, **values}
        return d

    return apply


def remove_tracks(track_type: int) -> Callable[[Draft], Draft]:
    def apply(draft: Draft) -> Draft:
        d = draft.copy()
        d.tracks = [t for t in d.tracks if t.type != track_type]
        return d

    return apply


# --- keep / cut, in source time ---------------------------------------------------------------

SourceRange = tuple[str, int, int]  # (segment src, source in, source out), ms


def source_ranges(d: Draft, start: int, end: int) -> list[SourceRange]:
    """The source stretches behind the timeline window [start, end) of `d`'s video."""
    out: list[SourceRange] = []
    for seg in video_segments(d):
        s, e = max(seg.start, start), min(seg.end, end)
        if e > s:
            out.append((seg.src, seg.source_in + s - seg.start, seg.source_in + e - seg.start))
    return out


def cut_sources(removed: list[SourceRange]) -> Callable[[Draft], Draft]:
    """Remove these source stretches from the video; later clips close the gap, and music and
    titles follow the timeline (a time inside a removed stretch moves to where the cut is)."""

    def apply(draft: Draft) -> Draft:
        d = draft.copy()
        old_to_new: list[tuple[int, int, int]] = []  # kept (old timeline start, end, new start)
        for track in d.tracks_of(VIDEO):
            kept: list[Segment] = []
            cursor = 0
            for seg in sorted(track.segments, key=lambda s: s.start):
                pieces = [(seg.source_in, seg.source_in + seg.duration)]
                for src, a, b in removed:
                    if src != seg.src:
                        continue
                    nxt = []
                    for p0, p1 in pieces:
                        if b <= p0 or a >= p1:
                            nxt.append((p0, p1))
                            continue
                        if a > p0:
                            nxt.append((p0, a))
                        if b < p1:
                            nxt.append((b, p1))
                    pieces = nxt
                for i, (p0, p1) in enumerate(pieces):
                    piece = Segment.from_json(seg.to_json())
                    if i:
                        piece.id = f"{seg.id}_{i}"
                    piece.source_in, piece.duration, piece.start = p0, p1 - p0, cursor
                    piece.waveform = None
                    old_to_new.append((seg.start + p0 - seg.source_in, seg.start + p1 - seg.source_in, cursor))
                    cursor += p1 - p0
                    kept.append(piece)
            track.segments = kept
        new_end = max((s.end for s in video_segments(d)), default=0)

        def remap(t: int) -> int:
            for a, b, n in old_to_new:
                if a <= t <= b:
                    return n + t - a
            later = [n for a, _, n in old_to_new if a > t]
            return min(later) if later else new_end

        for track in d.tracks:
            if track.type == VIDEO:
                continue
            kept = []
            for seg in track.segments:
                s, e = remap(seg.start), remap(seg.end)
                if e - s <= 0:
                    continue
                if track.type != TEXT:
                    seg.waveform = None
                seg.start, seg.duration = s, e - s
                seg.fade_in, seg.fade_out = min(seg.fade_in, seg.duration), min(seg.fade_out, seg.duration)
                kept.append(seg)
            track.segments = kept
        d.tracks = [t for t in d.tracks if t.segments or t.type == VIDEO]
        d.duration = new_end
        if d.meta.get("xf"):  # a reel with crossfades: clips overlap again where they now meet
            from .reelops import relay

            relay(d)
        return d

    return apply
