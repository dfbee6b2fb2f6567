"""Pure operations on a reel of several clips: which clips, in which order, how long a photo shows,
crossfades. Each returns a new draft whose video track is laid out again and whose other tracks
are kept in step.

With no canvas set (`m.width`/`m.height`), the output is the first clip's size (docs/API.md), so an
edit that puts another clip first may change the output's shape: the reply says so.

Keeping in step, on a reel edit: music and titles keep their place on the timeline; what ran to
the old end runs to the new end (a closing title keeps its length and ends at the new end); what
now lies past the end is shortened, or removed when nothing of it is left (the reply says so).
Cuts inside a clip ("cut the first 3 seconds") follow the picture instead: see draftops.cut_sources.

With crossfades (`m.xf`, ms) each clip after the first starts `xf` before the previous one ends
(never more than half of either clip), so the reel is shorter by the overlaps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from addmusic.protocol.draft import AUDIO, TEXT, VIDEO, Draft, Segment, Track

from .clipref import IMAGE_MS, ClipInfo
from .draftops import video_segments

END_TOLERANCE = 50  # ms: a segment ending this close to the end ran to the end
XF_MIN, XF_MAX = 100, 2000


@dataclass
class Outcome:
    """What a reel edit did besides the reel itself, for the reply."""

    draft: Draft
    titles_removed: list[str] = field(default_factory=list)
    canvas_follows: tuple[int, int] | None = None  # the output's new size when it follows a new first clip
    music_end: int | None = None  # where the music now ends, when that moved


def runs(d: Draft) -> list[tuple[str, list[Segment]]]:
    """The reel's clips in timeline order: each clip's source id and its pieces."""
    out: list[tuple[str, list[Segment]]] = []
    for seg in sorted(video_segments(d), key=lambda s: s.start):
        if out and out[-1][0] == seg.src:
            out[-1][1].append(seg)
        else:
            out.append((seg.src, [seg]))
    return out


def order(d: Draft) -> list[str]:
    return [src for src, _ in runs(d)]


def lay_out(d: Draft) -> None:
    """Video segments one after the other in list order; a clip after another clip starts `xf`
    before it ends (pieces of one clip after a cut join without overlap)."""
    xf = int(d.meta.get("xf") or 0)
    for track in d.tracks_of(VIDEO):
        prev: Segment | None = None
        for seg in track.segments:
            if prev is None:
                seg.start = 0
            else:
                overlap = min(xf, prev.duration // 2, seg.duration // 2) if xf and prev.src != seg.src else 0
                seg.start = prev.end - overlap
            prev = seg


def follow(d: Draft, old_end: int) -> tuple[list[str], int | None]:
    """Music and titles after the video changed length from `old_end` (see the module doc).
    Returns the texts of titles removed and the music's new end when it moved."""
    new_end = max((s.end for s in video_segments(d)), default=0)
    removed: list[str] = []
    music_end: int | None = None
    for track in d.tracks:
        if track.type == VIDEO:
            continue
        kept: list[Segment] = []
        for seg in track.segments:
            before = seg.end
            if abs(seg.end - old_end) <= END_TOLERANCE and new_end != old_end:
                if track.type == TEXT and seg.start > 0:
                    seg.start = max(0, new_end - seg.duration)
                seg.duration = new_end - seg.start
            elif seg.end > new_end:
                seg.duration = new_end - seg.start
            if seg.duration <= 0:
                if track.type == TEXT:
                    removed.append(seg.text)
                continue
            seg.fade_in, seg.fade_out = min(seg.fade_in, seg.duration), min(seg.fade_out, seg.duration)
            if track.type == AUDIO and seg.end != before:
                if seg.src.startswith("gen_"):
                    seg.waveform = None  # composed again at its new length
                music_end = seg.end if music_end is None else music_end
            kept.append(seg)
        track.segments = kept
    d.tracks = [t for t in d.tracks if t.segments or t.type == VIDEO]
    d.duration = new_end
    return removed, music_end


def _fresh(info: ClipInfo, volume: int | None, taken: set[str]) -> Segment:
    """A whole upload as one segment (an image: its time on screen)."""
    base = f"v_{info.media_id[:8]}"
    sid, n = base, 1
    while sid in taken:
        sid, n = f"{base}_{n}", n + 1
    taken.add(sid)
    length = info.length if info.kind == "video" else (info.used or IMAGE_MS)
    return Segment(id=sid, label=info.name, src=info.media_id, duration=max(1, length), volume=volume)


def _shared_volume(d: Draft) -> int | None:
    """The clips' own sound level when every clip has the same (a restored clip gets it too)."""
    levels = {s.volume for s in video_segments(d)}
    return levels.pop() if len(levels) == 1 else None


def arrange(d: Draft, srcs: list[str], infos: dict[str, ClipInfo], *, whole: frozenset[str] = frozenset()) -> Outcome:
    """The reel as exactly these clips in this order: a clip already on the reel keeps its pieces
    (its cuts) unless it is in `whole`; one not on it, or in `whole`, comes back at full length."""
    out = d.copy()
    old_end = d.end
    old_first = order(d)[:1]
    pieces = dict(runs(out))
    volume = _shared_volume(out)
    taken = {s.id for s in video_segments(out)}
    segments: list[Segment] = []
    for src in srcs:
        if src in pieces and (src not in whole or infos[src].kind == "image"):
            segments.extend(pieces[src])
        else:
            segments.append(_fresh(infos[src], volume, taken))
    tracks = out.tracks_of(VIDEO)
    if not tracks:
        out.tracks.insert(0, Track(VIDEO))
        tracks = out.tracks_of(VIDEO)
    tracks[0].segments = segments
    for extra in tracks[1:]:
        extra.segments = []
    return _finish(out, old_end, old_first, infos)


def _finish(out: Draft, old_end: int, old_first: list[str], infos: dict[str, ClipInfo]) -> Outcome:
    lay_out(out)
    removed, music_end = follow(out, old_end)
    result = Outcome(out, removed, None, music_end)
    first = order(out)[:1]
    if first != old_first and old_first and first and not (out.meta.get("width") and out.meta.get("height")):
        was, now = infos.get(old_first[0]), infos.get(first[0])
        if was and now and now.width and now.height and (now.width, now.height) != (was.width, was.height):
            result.canvas_follows = (now.width, now.height)  # no canvas set: the output is the first clip's size
    return result


def set_still(d: Draft, src: str, infos: dict[str, ClipInfo], *, duration: int | None = None,
              zoom: bool | None = None) -> Outcome:
    """A photo's time on screen and its slow zoom."""
    out = d.copy()
    old_end = d.end
    for seg in video_segments(out):
        if seg.src != src:
            continue
        if duration is not None:
            seg.source_in, seg.duration = 0, duration
        if zoom is not None:
            if zoom:
                seg.extra["zoom"] = True
            else:
                seg.extra.pop("zoom", None)
    return _finish(out, old_end, order(d)[:1], infos)


def set_crossfade(d: Draft, xf: int, infos: dict[str, ClipInfo]) -> Outcome:
    out = d.copy()
    old_end = d.end
    meta = {k: v for k, v in out.meta.items() if k != "xf"}
    if xf:
        meta["xf"] = xf
    out.meta = meta
    return _finish(out, old_end, order(d)[:1], infos)


def relay(d: Draft) -> Draft:
    """Lay the reel out again after another edit changed its pieces (a cut), keeping in step what
    ran to the end. For callers outside this module (draftops.cut_sources with crossfades)."""
    old_end = max((s.end for s in video_segments(d)), default=0)
    lay_out(d)
    follow(d, old_end)
    return d
