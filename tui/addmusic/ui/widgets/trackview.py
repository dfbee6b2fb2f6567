"""The track view: the current edit drawn as a timeline (ruler, one row per track, waveforms,
then the one-line summary), so people see what a chat turn changed without reading JSON.

`render_timeline` is pure (a draft and a width in, Rich `Text` lines out) so it can be tested and
reused by a plain console; `TrackView` only feeds it its own width and the theme's styles.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.cells import cell_len, get_character_cell_size
from rich.style import Style
from rich.text import Text
from textual.app import RenderResult
from textual.widget import Widget

from addmusic.protocol.draft import AUDIO, TEXT, VIDEO, Draft, Segment, Track, format_seconds

EMPTY_HINT = "No clips yet — drop a video file here or press ctrl+o to upload."

LABEL_WIDTH = 8  # "► Video " — icon, space, name, and one column of air before the segments
_MIN_AREA = 8  # narrower than this and a timeline says nothing: show the summary only
_ICONS = {VIDEO: "►", AUDIO: "♪", TEXT: "T"}  # text-presentation symbols: one cell everywhere
_BLOCKS = "▁▂▃▄▅▆▇█"
_PLAIN_LEVEL = 50  # height of the bar drawn where the engine sent no waveform
_CUT = "▏"  # a thin line at the start of every video clip, so cuts show even without colour
# Ruler steps (ms) tried in order; the first whose labels do not collide wins.
_STEPS = (100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000,
          900_000, 1_800_000, 3_600_000)
_RULER_GAP = 2  # spaces kept between ruler labels

# Style keys understood by render_timeline; TrackView maps each to the component class
# `trackview--<key>`. These defaults are plain ANSI colours so a console in 16 colours (or a
# light terminal) still reads them.
STYLE_KEYS = ("ruler", "label", "video", "video-alt", "audio", "audio-label", "title", "other", "empty",
              "summary")
DEFAULT_STYLES: dict[str, Style] = {
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
        ticks = list(range(0, end + 1, step))
        labels = [format_seconds(t) for t in ticks]
        labels[-1] += "s"
        starts = _place_labels(ticks, labels, end, area)
        if starts is None:
            continue
        if ticks[-1] != end and format_seconds(ticks[-1]) != format_seconds(end):
            # Say where the timeline ends too, when that fits after the last tick.
            with_end = [*labels[:-1], labels[-1][:-1], f"{format_seconds(end)}s"]
            end_starts = _place_labels([*ticks, end], with_end, end, area)
            if end_starts is not None:
                return list(zip(end_starts, with_end, strict=True))
        return list(zip(starts, labels, strict=True))
    label = f"{format_seconds(end)}s"
    return [(max(0, area - cell_len(label)), _fit(label, area))]


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


# ------------------------------------------------------------------------------------ segments


def _peaks_per_column(seg: Segment, columns: int) -> list[float]:
    """The waveform resampled to `columns`: the loudest peak falling into each column (so a short
    transient is not averaged away), then scaled down over the fades."""
    peaks = seg.waveform if seg.waveform else None
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
        values.append(value * max(0.0, min(1.0, gain)))
    return values


def waveform_blocks(seg: Segment, columns: int) -> str:
    """The segment's audio as `columns` block characters ▁..█ (a flat bar without a waveform)."""
    return "".join(_BLOCKS[min(len(_BLOCKS) - 1, int(v * len(_BLOCKS) / 100))] for v in
                   _peaks_per_column(seg, columns))


def _span(seg: Segment) -> str:
    return f"{format_seconds(seg.start)}-{format_seconds(seg.end)}s"


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


def _block_cell(track: Track, seg: Segment, width: int, style: Style) -> Text:
    """A video clip, a title or an unknown segment: a coloured block with its label inside."""
    if track.type == VIDEO:
        body = _CUT + _with_optional(width - 1, _name(track, seg), _span(seg)) if width > 1 else _CUT
    else:
        body = _with_optional(width, _name(track, seg), _span(seg))
    return Text(_pad(body, width), style)


def _audio_cell(track: Track, seg: Segment, width: int, wave_style: Style, label_style: Style) -> Text:
    """An audio segment: its waveform, with the label laid over it where it hides the least (after
    the fade-in ramp when there is room, so the ramp stays visible)."""
    wave = waveform_blocks(seg, width)
    volume = 100 if seg.volume is None else seg.volume
    room = width - min(6, width // 3)  # leave some waveform visible next to the label
    label = _with_optional(room, f"{_name(track, seg)} {volume}%", _span(seg), "ducked" if seg.duck else "")
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


def _track_row(track: Track, end: int, area: int, styles: Mapping[str, Style]) -> Text:
    icon = _ICONS.get(track.type, "·")
    row = Text(_pad(f"{icon} {track.name}", LABEL_WIDTH - 1) + " ", styles["label"])
    if not track.segments:
        row.append(_pad("(empty)", area), styles["empty"])
        return row
    cursor = 0
    clip = 0
    for seg in sorted(track.segments, key=lambda s: (s.start, s.end)):
        if cursor >= area:
            break
        c0 = max(cursor, _column(seg.start, end, area))
        c1 = min(area, max(c0 + 1, _column(seg.end, end, area)))
        if c0 > cursor:
            row.append(" " * (c0 - cursor))
        width = c1 - c0
        if track.type == AUDIO:
            row.append_text(_audio_cell(track, seg, width, styles["audio"], styles["audio-label"]))
        else:
            if track.type == VIDEO:
                key = "video" if clip % 2 == 0 else "video-alt"
            else:
                key = "title" if track.type == TEXT else "other"
            row.append_text(_block_cell(track, seg, width, styles[key]))
        clip += 1
        cursor = c1
    if cursor < area:
        row.append(" " * (area - cursor))
    return row


def _more_line(hidden: list[Track], width: int, style: Style) -> Text:
    noun = "track" if len(hidden) == 1 else "tracks"
    names = ", ".join(t.name for t in hidden)
    return Text(_fit(f"  +{len(hidden)} more {noun}: {names}", width), style)


def render_timeline(draft: Draft, width: int, *, max_rows: int | None = None, max_lines: int | None = None,
                    styles: Mapping[str, Style] | None = None) -> list[Text]:
    """The draft as lines no wider than `width` cells: a ruler, one row per track (at most
    `max_rows`, the rest counted on a "+N more" line) and the summary, wrapped. `max_lines` caps
    the total (the summary shrinks first, then track rows). `styles` overrides DEFAULT_STYLES."""
    style = {**DEFAULT_STYLES, **(styles or {})}
    if width <= 0 or (max_lines is not None and max_lines <= 0):
        return []
    if not draft.exportable:
        hint = _wrap(EMPTY_HINT, width)
        return [Text(line, style["empty"]) for line in hint[: max_lines or None]]
    summary = _wrap(draft.summary(), width)
    area = width - LABEL_WIDTH
    if area < _MIN_AREA:
        lines = summary if max_lines is None else _ellipsise_lines(summary, max_lines, width)
        return [Text(line, style["summary"]) for line in lines]

    tracks = draft.tracks
    shown = len(tracks) if max_rows is None else max(0, min(len(tracks), max_rows))
    if max_lines is not None:
        def total(rows: int, summary_lines: int) -> int:
            return 1 + rows + (1 if rows < len(tracks) else 0) + summary_lines

        summary_lines = len(summary)
        while summary_lines > 1 and total(shown, summary_lines) > max_lines:
            summary_lines -= 1
        while shown > 0 and total(shown, summary_lines) > max_lines:
            shown -= 1
        if total(shown, summary_lines) > max_lines:  # not even a ruler and the summary fit
            return [Text(line, style["summary"]) for line in _ellipsise_lines(summary, max_lines, width)]
        summary = _ellipsise_lines(summary, summary_lines, width)

    end = max(1, draft.end)
    lines = [_ruler_line(end, area, style["ruler"])]
    lines += [_track_row(track, end, area, style) for track in tracks[:shown]]
    if shown < len(tracks):
        lines.append(_more_line(tracks[shown:], width, style["empty"]))
    lines += [Text(line, style["summary"]) for line in summary]
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
        /* ANSI themes: the terminal's own palette decides, so use the pairs that read in any
           16-colour palette, light or dark (text colours are explicit, not the default). */
        &:ansi > .trackview--video { background: ansi_blue; color: ansi_bright_white; }
        &:ansi > .trackview--video-alt { background: ansi_cyan; color: ansi_black; }
        &:ansi > .trackview--audio { color: ansi_green; }
        &:ansi > .trackview--title { background: ansi_yellow; color: ansi_black; }
        &:ansi > .trackview--other { background: ansi_magenta; color: ansi_bright_white; }
    }
    """

    BORDER_TITLE = "Timeline"

    def __init__(self, draft: Draft | None = None, *, max_rows: int | None = None, name: str | None = None,
                 id: str | None = None, classes: str | None = None, disabled: bool = False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._draft = draft if draft is not None else Draft()
        self.max_rows = max_rows

    @property
    def draft(self) -> Draft:
        return self._draft

    def show(self, draft: Draft) -> None:
        """Draw `draft` from now on; the height may change, so the layout is refreshed too."""
        self._draft = draft
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
        return max(1, len(render_timeline(self._draft, width, max_rows=self.max_rows, max_lines=self._max_lines())))

    def render(self) -> RenderResult:
        width = self.content_size.width
        lines = render_timeline(self._draft, width, max_rows=self.max_rows, max_lines=self._max_lines(),
                                styles=self._styles())
        text = Text("\n").join(lines)
        text.no_wrap = True
        text.overflow = "crop"
        return text
