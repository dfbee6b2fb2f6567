"""The track view: the current edit drawn as a timeline, so people see everything that changes
the output file without reading JSON: the output line (canvas, fill, loudness, crossfades, beat
sync, clip sound), a ruler, one row per track (each clip by name, stills marked, crossfades drawn
where clips overlap; waveforms whose height follows the volume and the fades, the user's own song
with its in-point and fit), a row per uploaded song that is only offered, then one line of
details per reel, music and title (style, tempo, energy, layers, fades, ducking; position, time,
size, colour).

`render_timeline` is pure (a draft and a width in, Rich `Text` lines out) so it can be tested and
reused by a plain console; `TrackView` only feeds it its own width and the theme's styles.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from rich.cells import cell_len, get_character_cell_size
from rich.style import Style
from rich.text import Text
from textual.app import RenderResult
from textual.widget import Widget

from addmusic.protocol.draft import (
    AUDIO,
    TEXT,
    VIDEO,
    Draft,
    Segment,
    Track,
    format_duration,
    format_seconds,
    format_span,
)

from .media import (
    Media,
    OfferedSong,
    fit,
    in_point,
    is_own_song,
    is_still,
    media_index,
    offered_songs,
    song_peaks,
    still_facts,
)

EMPTY_HINT_TEMPLATE = "No clips yet — drop a video file here or press {upload} to upload."
EMPTY_HINT = EMPTY_HINT_TEMPLATE.format(upload="ctrl+o")

LABEL_WIDTH = 8  # "► Video " — icon, space, name, and one column of air before the segments
_MIN_AREA = 8  # narrower than this and a timeline says nothing: show the summary only
_ICONS = {VIDEO: "►", AUDIO: "♪", TEXT: "T"}  # text-presentation symbols: one cell everywhere
_BLOCKS = "▁▂▃▄▅▆▇█"
_PLAIN_LEVEL = 50  # height of the bar drawn where the engine sent no waveform
_CUT = "▏"  # a thin line at the start of every video clip, so cuts show even without colour
_STILL = "▣"  # starts a still image instead of the cut line
_XFADE = "╳"  # where two clips overlap: the crossfade
_OFFERED_ROW = "♪ Song"  # the row of an uploaded song the edit does not use (yet)
# Ruler steps (ms) tried in order; the first whose labels do not collide wins.
_STEPS = (100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000,
          900_000, 1_800_000, 3_600_000)
_RULER_GAP = 2  # spaces kept between ruler labels

# Style keys understood by render_timeline; TrackView maps each to the component class
# `trackview--<key>`. These defaults are plain ANSI colours so a console in 16 colours (or a
# light terminal) still reads them.
STYLE_KEYS = ("output", "ruler", "label", "video", "video-alt", "audio", "audio-label", "title", "other", "empty",
              "summary", "xfade", "offered")
DEFAULT_STYLES: dict[str, Style] = {
    "output": Style(bold=True),
    "ruler": Style(dim=True),
    "label": Style(bold=True),
    "video": Style(color="bright_white", bgcolor="blue"),
    "video-alt": Style(color="black", bgcolor="cyan"),
    "audio": Style(color="green"),
    "audio-label": Style(bold=True),
    "title": Style(color="black", bgcolor="yellow"),
    "other": Style(reverse=True),
    "empty": Style(dim=True, italic=True),
    "summary": Style(dim=True),
    "xfade": Style(color="bright_white", bgcolor="magenta"),
    "offered": Style(dim=True),
}


def _fit(text: str, width: int) -> str:
    """`text` cut to `width` cells with a closing … when it did not fit (cell-aware for CJK)."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    out, used = [], 0
    for char in text:
        size = get_character_cell_size(char)
        if used + size > width - 1:
            break
        out.append(char)
        used += size
    return "".join(out) + "…" + " " * (width - 1 - used)  # pad after a wide char that did not fit


def _pad(text: str, width: int) -> str:
    """Exactly `width` cells: fitted, then padded with spaces."""
    text = _fit(text, width)
    return text + " " * (width - cell_len(text))


def _wrap(text: str, width: int) -> list[str]:
    """Word-wrap by terminal cells (labels may be CJK, which `textwrap` measures wrongly)."""
    if width <= 0:
        return []
    words: list[str] = []
    for word in text.split():
        if words and words[-1][:-1].isdigit() and words[-1].endswith("."):
            words[-1] += f" {word}"  # keep "2. BGM:" together so each item starts its line's word
        else:
            words.append(word)
    lines: list[str] = []
    line = ""
    for word in words:
        candidate = f"{line} {word}" if line else word
        if cell_len(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        while cell_len(word) > width:  # a word longer than the line: fold it by cells
            head, used = "", 0
            for char in word:
                size = get_character_cell_size(char)
                if used + size > width:
                    break
                head += char
                used += size
            if not head:  # a double-width character in a one-cell line
                return lines or [_fit(text, width)]
            lines.append(head)
            word = word[len(head):]
        line = word
    if line:
        lines.append(line)
    return lines


def _ellipsise_lines(lines: list[str], count: int, width: int) -> list[str]:
    """Keep the first `count` lines; the last kept one ends in … when something was dropped."""
    if len(lines) <= count:
        return lines
    kept = lines[:count]
    if kept:
        kept[-1] = _fit(kept[-1] + "…", width).rstrip()
    return kept


def _column(ms: int, end: int, area: int) -> int:
    """A time mapped to a column of the segment area (rounded, so both edges are fair)."""
    return min(area, max(0, int(ms * area / end + 0.5)))


# --------------------------------------------------------------------------------------- ruler


def _place_labels(ticks: list[int], labels: list[str], end: int, area: int) -> list[int] | None:
    """Where each label starts, or None when two would collide. A label starts at its tick; one
    that would run past the right edge is right-aligned to it instead."""
    starts: list[int] = []
    free = 0
    for tick, label in zip(ticks, labels, strict=True):
        size = cell_len(label)
        if size > area:
            return None
        start = min(_column(tick, end, area), area - size)
        if start < free:
            return None
        starts.append(start)
        free = start + size + _RULER_GAP
    return starts


def ruler_labels(end: int, area: int) -> list[tuple[int, str]]:
    """(column, label) pairs for a ruler `area` columns wide over `end` ms: the smallest step
    whose labels fit, `s` after the last label, and the end time itself when there is room."""
    if end <= 0 or area <= 0:
        return []
    for step in _STEPS + tuple(3_600_000 * k for k in (2, 5, 10, 24, 100)):
        if end // step > area:  # more ticks than columns: cannot fit, skip building them
            continue
        if end >= 60_000 and step % 1000:
            continue  # clocks show whole seconds
        ticks = list(range(0, end + 1, step))
        labels = [_tick_label(t, end) for t in ticks]
        labels[-1] = format_duration(ticks[-1]) if end < 60_000 else labels[-1]
        starts = _place_labels(ticks, labels, end, area)
        if starts is None:
            continue
        if ticks[-1] != end and format_duration(ticks[-1]) != format_duration(end):
            # Say where the timeline ends too, when that fits after the last tick.
            with_end = [*labels[:-1], _tick_label(ticks[-1], end), format_duration(end)]
            end_starts = _place_labels([*ticks, end], with_end, end, area)
            if end_starts is not None:
                return list(zip(end_starts, with_end, strict=True))
        return list(zip(starts, labels, strict=True))
    label = format_duration(end)
    return [(max(0, area - cell_len(label)), _fit(label, area))]


def _tick_label(ms: int, end: int) -> str:
    """A ruler tick: bare seconds under a minute (the unit goes on the last label), clocks past it."""
    return format_seconds(ms) if end < 60_000 else format_duration(ms) if ms >= 60_000 else \
        f"0:{int(ms / 1000 + 0.5):02d}"


def _ruler_line(end: int, area: int, style: Style) -> Text:
    line = Text(" " * LABEL_WIDTH)
    cursor = 0
    pieces: list[str] = []
    for start, label in ruler_labels(end, area):
        pieces.append(" " * (start - cursor) + label)
        cursor = start + cell_len(label)
    pieces.append(" " * (area - cursor))
    line.append("".join(pieces), style)
    return line


# ------------------------------------------------------------------------------ the output line

_RATIOS = {(9, 16): "9:16", (16, 9): "16:9", (1, 1): "1:1", (4, 5): "4:5", (5, 4): "5:4", (4, 3): "4:3",
           (3, 4): "3:4", (21, 9): "21:9"}
_FILLS = {"blur": "blurred fill", "bars": "black bars", "crop": "cropped to fill"}
DEFAULT_LOUDNESS = -14.0  # API.md: every export is mastered to this unless the draft says otherwise


def _number(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _ratio(width: int, height: int) -> str:
    from math import gcd

    g = gcd(width, height) or 1
    exact = _RATIOS.get((width // g, height // g))
    if exact:
        return exact
    near = min(_RATIOS, key=lambda r: abs(r[0] / r[1] - width / height))  # 1920x1081 reads 16:9
    return _RATIOS[near] if abs(near[0] / near[1] - width / height) < 0.01 else f"{width / height:.2f}:1"


def _level(value: float) -> str:
    return f"{value:g}".replace("-", "−")  # a real minus sign: "−14 LUFS"


def output_facts(draft: Draft, clip_size: tuple[int, int] | None = None) -> list[str]:
    """What the export will be, in the order people ask about it: canvas and resolution with its
    fill, loudness target, crossfades, the clips' own sound. `clip_size` is the first clip's size,
    which the output keeps when the draft sets no canvas."""
    facts: list[str] = []
    width, height = _number(draft.meta.get("width")), _number(draft.meta.get("height"))
    if width and height and width > 0 and height > 0:
        w, h = int(width), int(height)
        fill = _FILLS.get(str(draft.meta.get("fill") or "blur"), str(draft.meta.get("fill")))
        facts += [_ratio(w, h), f"{w}x{h}", fill]
    elif clip_size:
        facts += [_ratio(*clip_size), f"{clip_size[0]}x{clip_size[1]}", "clip's own size"]
    else:
        facts.append("clip's own size")
    loudness = _number(draft.meta.get("loudness"))
    facts.append(f"{_level(DEFAULT_LOUDNESS if loudness is None else loudness)} LUFS mastered")
    crossfade = _number(draft.meta.get("xf"))
    if crossfade and crossfade > 0:
        facts.append(f"{format_duration(int(crossfade))} crossfades")
    if draft.meta.get("sync") is True:
        facts.append("synced to beat")
    picture_end = max((t.end for t in draft.tracks_of(VIDEO)), default=0)
    if picture_end and draft.end > picture_end + 50:  # the file is longer than its pictures
        facts.append(f"runs {format_duration(draft.end - picture_end)} past the last clip")
    levels = {s.level for t in draft.tracks_of(VIDEO) for s in t.segments}
    if len(levels) == 1:
        level = levels.pop()
        facts.append("clip sound muted" if level == 0 else f"clip sound {level}%")
    elif levels:
        facts.append("clip sound per clip")
    return facts


# ------------------------------------------------------------------------------------ segments


def _peaks_per_column(seg: Segment, columns: int) -> list[float]:
    """The waveform resampled to `columns`: the loudest peak falling into each column (so a short
    transient is not averaged away), then scaled by the volume and down over the fades."""
    peaks = seg.waveform if seg.waveform else None
    # Height follows the volume as loudness is heard (square root of the gain), so music at 30%
    # is drawn at about half height and its fades and shape still show.
    volume = (seg.level / 100) ** 0.5
    values: list[float] = []
    for i in range(columns):
        if peaks is None:
            value = float(_PLAIN_LEVEL)
        else:
            n = len(peaks)
            lo = i * n // columns
            hi = max(lo + 1, (i + 1) * n // columns)  # a partition: each peak counts once
            value = float(max(peaks[lo:hi]))
        # Fades: the level at the column's middle, as a fraction of the segment.
        t = (i + 0.5) / columns * seg.duration
        gain = 1.0
        if seg.fade_in > 0:
            gain = min(gain, t / seg.fade_in)
        if seg.fade_out > 0:
            gain = min(gain, (seg.duration - t) / seg.fade_out)
        values.append(value * volume * max(0.0, min(1.0, gain)))
    return values


def waveform_blocks(seg: Segment, columns: int) -> str:
    """The segment's audio as `columns` block characters ▁..█ (a flat bar without a waveform);
    a muted segment is a row of dots, so it does not look like a quiet one."""
    if seg.level == 0:
        return "·" * columns
    return "".join(_BLOCKS[min(len(_BLOCKS) - 1, int(v * len(_BLOCKS) / 100))] for v in
                   _peaks_per_column(seg, columns))


def _span(seg: Segment) -> str:
    return format_span(seg.start, seg.end)


def _name(track: Track, seg: Segment) -> str:
    if track.type == TEXT:
        return f'"{seg.text or seg.label}"'
    return seg.label or seg.src or "untitled"


def _with_optional(room: int, main: str, *extras: str) -> str:
    """`main` plus as many of `extras` (in order) as fit in `room`; `main` alone is cut with …."""
    text = main
    for extra in extras:
        if extra and cell_len(f"{text} {extra}") <= room:
            text = f"{text} {extra}"
        elif extra:
            break
    return _fit(text, room)


def _clip_sound(seg: Segment) -> str:
    """A clip's own sound, on its block only when it is not the usual 100%."""
    if seg.volume is None or seg.volume == 100:
        return ""
    return "muted" if seg.volume == 0 else f"sound {seg.volume}%"


def _block_cell(track: Track, seg: Segment, width: int, style: Style, still: bool = False) -> Text:
    """A video clip, a title or an unknown segment: a coloured block with its label inside (a
    clip starts with a cut line, a still image with its own mark and the word "still")."""
    if track.type == VIDEO:
        mark = _STILL if still else _CUT
        body = mark + _with_optional(width - 1, _name(track, seg), still_facts(seg) if still else "",
                                     _clip_sound(seg), _span(seg)) if width > 1 else mark
    elif track.type == TEXT:
        body = _with_optional(width, _name(track, seg), seg.position or "center", _span(seg))
    else:
        body = _with_optional(width, _name(track, seg), _span(seg))
    return Text(_pad(body, width), style)


def _audio_cell(track: Track, seg: Segment, width: int, wave_style: Style, label_style: Style,
                info: Media | None = None, end: int = 0) -> Text:
    """An audio segment: its waveform, with the label laid over it where it hides the least (after
    the fade-in ramp when there is room, so the ramp stays visible). The user's own song shows
    its in-point and how it fits the video, and its real waveform from the upload."""
    volume = seg.level
    level = "muted" if volume == 0 else f"{volume}%"
    room = width - min(6, width // 3)  # leave some waveform visible next to the label
    if is_own_song(seg, info):
        name = seg.label or str((info or {}).get("filename") or seg.src)
        if seg.waveform is None:
            seg = replace(seg, waveform=song_peaks(seg, info))
        label = _with_optional(room, f"{name} {level}", in_point(seg), fit(seg, info, end), _span(seg),
                               "ducked" if seg.duck else "")
    else:
        label = _with_optional(room, f"{_name(track, seg)} {level}", _span(seg), "ducked" if seg.duck else "")
    wave = waveform_blocks(seg, width)
    return _overlay(wave, label, seg, width, wave_style, label_style)


def _overlay(wave: str, label: str, seg: Segment, width: int, wave_style: Style, label_style: Style) -> Text:
    size = cell_len(label)
    if size == 0:
        return Text(wave, wave_style)
    fade_cols = int(seg.fade_in * width / seg.duration + 0.5) if seg.duration else 0
    offset = fade_cols if fade_cols and fade_cols + size + 1 <= width else 0
    if offset:
        label = " " + label
        offset -= 1
        size += 1
    if offset + size < width:
        label += " "
        size += 1
    out = Text(wave[:offset], wave_style)
    out.append(label, label_style)
    out.append(wave[offset + size:], wave_style)
    return out


def _track_row(track: Track, end: int, area: int, styles: Mapping[str, Style],
               media: Mapping[str, Media] | None = None) -> Text:
    """One track to scale. On the video row, clips that overlap (crossfades, `xf`) are drawn
    up to where the next one starts, and the overlap itself as ╳ (at least one column)."""
    icon = _ICONS.get(track.type, "·")
    media = media or {}
    row = Text(_pad(f"{icon} {track.name}", LABEL_WIDTH - 1) + " ", styles["label"])
    if not track.segments:
        row.append(_pad("(empty)", area), styles["empty"])
        return row
    segments = sorted(track.segments, key=lambda s: (s.start, s.end))
    cursor = 0
    for clip, seg in enumerate(segments):
        if cursor >= area:
            break
        c0 = max(cursor, _column(seg.start, end, area))
        following = segments[clip + 1] if clip + 1 < len(segments) else None
        overlap = track.type == VIDEO and following is not None and following.start < seg.end
        if overlap:
            assert following is not None
            c1 = min(area, max(c0 + 1, _column(following.start, end, area)))
            x1 = min(area, max(c1 + 1, _column(seg.end, end, area)))
        else:
            c1 = x1 = min(area, max(c0 + 1, _column(seg.end, end, area)))
        if c0 > cursor:
            row.append(" " * (c0 - cursor))
        width = c1 - c0
        info = media.get(seg.src)
        if track.type == AUDIO:
            row.append_text(_audio_cell(track, seg, width, styles["audio"], styles["audio-label"], info, end))
        elif track.type == VIDEO:
            key = "video" if clip % 2 == 0 else "video-alt"
            row.append_text(_block_cell(track, seg, width, styles[key], is_still(seg, info)))
        else:
            row.append_text(_block_cell(track, seg, width, styles["title" if track.type == TEXT else "other"]))
        if x1 > c1:
            row.append(_XFADE * (x1 - c1), styles["xfade"])
        cursor = x1
    if cursor < area:
        row.append(" " * (area - cursor))
    return row


def _offered_row(song: OfferedSong, end: int, area: int, styles: Mapping[str, Style]) -> Text:
    """An uploaded song the edit does not use: its real waveform, as long as it would play from
    the start (never past the timeline), labelled "offered" first so a cut label still says it."""
    row = Text(_pad(_OFFERED_ROW, LABEL_WIDTH - 1) + " ", styles["label"])
    length = min(end, song.length_ms or end)
    width = min(area, max(1, _column(length, end, area)))
    seg = Segment(label=song.name, duration=max(1, length), waveform=song.peaks)
    wave = waveform_blocks(seg, width)
    main, extra = f"offered: {song.name}", "— not used yet"
    room_on, room_after = width - min(6, width // 3), area - width - 1
    if cell_len(main) > room_on and room_after >= min(cell_len(main), 12):
        # a short song: the whole waveform, and the label in the empty row after it
        row.append(wave, styles["offered"])
        row.append(" " + _pad(_with_optional(room_after, main, extra), room_after), styles["offered"])
        return row
    row.append_text(_overlay(wave, _with_optional(room_on, main, extra), seg, width, styles["offered"],
                             styles["offered"]))
    if width < area:
        row.append(" " * (area - width))
    return row


def _more_line(hidden: list[str], width: int, style: Style) -> Text:
    noun = "track" if len(hidden) == 1 else "tracks"
    names = ", ".join(hidden)
    return Text(_fit(f"  +{len(hidden)} more {noun}: {names}", width), style)


# ------------------------------------------------------------------------------------- details

_ENERGY = {"calm": "calm", "high": "high energy", "build": "builds up"}


def music_facts(seg: Segment, info: Media | None = None, end: int = 0) -> list[str]:
    """A music segment's settings that change the sound, beyond its volume and time. The user's
    own song (`info`: its upload) says so, with its in-point and how it fits the `end`."""
    extra = seg.extra
    facts: list[str] = []
    if is_own_song(seg, info):
        facts += [f for f in ("your song", in_point(seg), fit(seg, info, end or seg.end)) if f]
    if extra.get("follow_cuts"):
        facts.append("follows the cuts")
    if extra.get("style"):
        facts.append(str(extra["style"]))
    bpm = _number(extra.get("bpm"))
    if bpm:
        facts.append(f"{bpm:g} bpm")
    energy = str(extra.get("energy") or "")
    if energy and energy != "normal":
        facts.append(_ENERGY.get(energy, energy))
    layers = extra.get("layers")
    if isinstance(layers, dict):
        for role, level in layers.items():
            value = _number(level)
            if value is not None and value < 100:
                facts.append(f"no {role}" if value <= 0 else f"{role} {value:g}%")
    fades = [f"in {format_duration(seg.fade_in)}" if seg.fade_in else "",
             f"out {format_duration(seg.fade_out)}" if seg.fade_out else ""]
    if any(fades):
        facts.append("fade " + ", ".join(f for f in fades if f))
    if seg.duck:
        db = _number(extra.get("duck_db"))
        facts.append(f"ducks under speech ({_level(-abs(db if db is not None else 12))} dB)")
    return facts


def title_facts(seg: Segment) -> list[str]:
    """Where and when a title shows, and how big: everything the frame will show of it."""
    facts = [seg.position or "center", _span(seg), str(seg.extra.get("size") or "medium")]
    if seg.extra.get("color"):
        facts.append(str(seg.extra["color"]))
    return facts


def reel_facts(track: Track, draft: Draft, media: Mapping[str, Media]) -> list[str]:
    """A reel (three clips or more, a still, crossfades or beat sync): each clip in order with
    its time, then crossfades and beat sync — what a row too narrow for every name cannot say.
    Empty for one or two plain clips, whose row says all there is."""
    segments = sorted(track.segments, key=lambda s: (s.start, s.end))
    stills = [is_still(seg, media.get(seg.src)) for seg in segments]
    crossfade = _number(draft.meta.get("xf"))
    synced = draft.meta.get("sync") is True
    if len(segments) < 3 and not any(stills) and not synced and not (crossfade and len(segments) > 1):
        return []
    facts = [f"{_name(track, seg)} {'(' + still_facts(seg) + ') ' if still else ''}{_span(seg)}"
             for seg, still in zip(segments, stills, strict=True)]
    if crossfade and crossfade > 0 and len(segments) > 1:
        facts.append(f"{format_duration(int(crossfade))} crossfades")
    if synced:
        facts.append("cuts synced to the beat")
    return facts


def detail_lines(draft: Draft, media: list[dict[str, Any]] | None = None) -> list[str]:
    """One line per reel, music and title segment and offered song:
    `♪ Upbeat pop: upbeat · 120 bpm · fade in 1s`."""
    lines: list[str] = []
    by_id = media_index(media)
    for track in draft.tracks:
        if track.type == VIDEO:
            facts = reel_facts(track, draft, by_id)
            if facts:
                noun = "clip" if len(track.segments) == 1 else "clips"
                lines.append(f"{_ICONS[VIDEO]} {len(track.segments)} {noun}: " + " · ".join(facts))
            continue
        for seg in track.segments:
            if track.type == AUDIO:
                facts = music_facts(seg, by_id.get(seg.src), draft.end)
            elif track.type == TEXT:
                facts = title_facts(seg)
            else:
                continue
            if facts:
                lines.append(f"{_ICONS[track.type]} {_name(track, seg)}: " + " · ".join(facts))
    for song in offered_songs(draft, media):
        lines.append(f'{_ICONS[AUDIO]} {song.name}{song.facts()}: uploaded, not used yet — say "use my song" '
                     "to put it under the video")
    return lines


def render_timeline(draft: Draft, width: int, *, max_rows: int | None = None, max_lines: int | None = None,
                    styles: Mapping[str, Style] | None = None, clip_size: tuple[int, int] | None = None,
                    empty_hint: str = EMPTY_HINT, media: list[dict[str, Any]] | None = None) -> list[Text]:
    """The draft as lines no wider than `width` cells: the output line, a ruler, one row per
    track and per offered song (at most `max_rows`, the rest counted on a "+N more" line) and
    the details, wrapped. `max_lines` caps the total (the details shrink first, then rows; the
    output line stays). `styles` overrides DEFAULT_STYLES; `clip_size` is the first clip's size;
    `media` the session's uploads (`video_infos`: stills, songs, their waveforms)."""
    style = {**DEFAULT_STYLES, **(styles or {})}
    if width <= 0 or (max_lines is not None and max_lines <= 0):
        return []
    offered = offered_songs(draft, media)
    area = width - LABEL_WIDTH
    if not draft.exportable:
        lines = [Text(line, style["empty"]) for line in _wrap(empty_hint, width)]
        if area >= _MIN_AREA:  # a song uploaded before any clip: its waveform at its own length
            lines += [_offered_row(song, song.length_ms or 1, area, style) for song in offered]
        lines += [Text(line, style["summary"]) for line in
                  (w for line in detail_lines(draft, media) for w in _wrap(line, width))]
        return lines[: max_lines or None]
    output = [Text(line, style["output"]) for line in _wrap(" · ".join(output_facts(draft, clip_size)), width)]
    details = [wrapped for line in detail_lines(draft, media) for wrapped in _wrap(line, width)]
    if area < _MIN_AREA:
        details = _wrap(draft.summary(), width)  # no room for a timeline: say it in words
        lines = output + [Text(line, style["summary"]) for line in details]
        return lines if max_lines is None else lines[:max_lines]

    end = max(1, draft.end)
    by_id = media_index(media)
    rows: list[tuple[str, Callable[[], Text]]] = [
        (track.name, lambda track=track: _track_row(track, end, area, style, by_id)) for track in draft.tracks]
    rows += [(f"offered {song.name}", lambda song=song: _offered_row(song, end, area, style)) for song in offered]
    shown = len(rows) if max_rows is None else max(0, min(len(rows), max_rows))
    if max_lines is not None:
        def total(count: int, detail_count: int) -> int:
            return len(output) + 1 + count + (1 if count < len(rows) else 0) + detail_count

        detail_count = len(details)
        while detail_count > 1 and total(shown, detail_count) > max_lines:
            detail_count -= 1
        while shown > 0 and total(shown, detail_count) > max_lines:
            shown -= 1
        if total(shown, detail_count) > max_lines:  # not even a ruler fits: the output line first
            return output[:max_lines]
        details = _ellipsise_lines(details, detail_count, width)

    lines = [*output, _ruler_line(end, area, style["ruler"])]
    lines += [draw() for _name_, draw in rows[:shown]]
    if shown < len(rows):
        lines.append(_more_line([name for name, _draw in rows[shown:]], width, style["empty"]))
    lines += [Text(line, style["summary"]) for line in details]
    return lines


class TrackView(Widget, can_focus=True):
    """The timeline panel. It draws the draft it is given at whatever width it has; it never
    fetches anything itself (the app calls `show` after every turn)."""

    COMPONENT_CLASSES = {f"trackview--{key}" for key in STYLE_KEYS}

    DEFAULT_CSS = """
    TrackView {
        height: auto;
        min-height: 3;
        border: round $primary 40%;
        border-title-align: left;
        border-title-color: $text-muted;
        padding: 0 1;
        &:focus {
            border: round $primary;
            border-title-color: $text;
        }
        & > .trackview--output { color: $text; text-style: bold; }
        & > .trackview--ruler { color: $text-muted; }
        & > .trackview--label { color: $text; text-style: bold; }
        & > .trackview--video { background: $primary 55%; color: $text; }
        & > .trackview--video-alt { background: $secondary 55%; color: $text; }
        & > .trackview--audio { color: $success; }
        & > .trackview--audio-label { color: $text; text-style: bold; }
        & > .trackview--title { background: $warning 55%; color: $text; }
        & > .trackview--other { background: $accent 40%; color: $text; }
        & > .trackview--empty { color: $text-muted; text-style: italic; }
        & > .trackview--summary { color: $text-muted; }
        & > .trackview--xfade { background: $accent 60%; color: $text; }
        & > .trackview--offered { color: $text-muted; }
        /* ANSI themes: the terminal's own palette decides, so use the pairs that read in any
           16-colour palette, light or dark (text colours are explicit, not the default). */
        &:ansi > .trackview--video { background: ansi_blue; color: ansi_bright_white; }
        &:ansi > .trackview--video-alt { background: ansi_cyan; color: ansi_black; }
        &:ansi > .trackview--audio { color: ansi_green; }
        &:ansi > .trackview--title { background: ansi_yellow; color: ansi_black; }
        &:ansi > .trackview--other { background: ansi_magenta; color: ansi_bright_white; }
        &:ansi > .trackview--xfade { background: ansi_magenta; color: ansi_bright_white; }
    }
    """

    BORDER_TITLE = "Timeline"

    def __init__(self, draft: Draft | None = None, *, max_rows: int | None = None, name: str | None = None,
                 id: str | None = None, classes: str | None = None, disabled: bool = False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._draft = draft if draft is not None else Draft()
        self.clip_size: tuple[int, int] | None = None
        self.media: list[dict[str, Any]] = []
        self.empty_hint = EMPTY_HINT  # the app sets it with the remapped upload key
        self.max_rows = max_rows

    @property
    def draft(self) -> Draft:
        return self._draft

    def show(self, draft: Draft, clip_size: tuple[int, int] | None = None,
             media: list[dict[str, Any]] | None = None) -> None:
        """Draw `draft` from now on (`clip_size`: the first clip's, which a draft without a canvas
        keeps; `media`: the session's uploads, `video_infos`); the height may change, so the
        layout is refreshed too."""
        self._draft = draft
        self.clip_size = clip_size
        self.media = list(media or [])
        self.refresh(layout=True)

    def _styles(self) -> dict[str, Style]:
        return {key: self.get_component_rich_style(f"trackview--{key}") for key in STYLE_KEYS}

    def _max_lines(self) -> int | None:
        """The lines the layout can give (a `max-height` rule), so rows shrink instead of clipping."""
        max_height = self.styles.max_height
        if max_height is None or not max_height.is_cells:
            return None
        return max(1, int(max_height.value) - self.styles.gutter.height)

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return max(1, len(render_timeline(self._draft, width, max_rows=self.max_rows, max_lines=self._max_lines(),
                                          clip_size=self.clip_size, empty_hint=self.empty_hint, media=self.media)))

    def render(self) -> RenderResult:
        width = self.content_size.width
        lines = render_timeline(self._draft, width, max_rows=self.max_rows, max_lines=self._max_lines(),
                                styles=self._styles(), clip_size=self.clip_size, empty_hint=self.empty_hint,
                                media=self.media)
        text = Text("\n").join(lines)
        text.no_wrap = True
        text.overflow = "crop"
        return text
