"""The track view: the pure timeline renderer (output line, ruler, rows to scale, waveforms,
details, widths)
and the widget inside a real Textual app, plus snapshots of how it looks."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from typing import Any

import pytest
from rich.text import Text
from textual.app import App, ComposeResult

from addmusic.protocol.draft import Draft
from addmusic.ui.widgets.trackview import (
    EMPTY_HINT,
    LABEL_WIDTH,
    TrackView,
    detail_lines,
    output_facts,
    render_timeline,
    ruler_labels,
)

BLOCKS = "▁▂▃▄▅▆▇█"
WAVE = [int(50 + 45 * math.sin(i / 4)) for i in range(120)]


def make_draft(*tracks: tuple[int, list[dict[str, Any]]], d: int = 10000) -> Draft:
    return Draft.from_json({"t": [{"tt": tt, "sg": sg} for tt, sg in tracks], "d": d})


def example(wf: list[int] | None = WAVE) -> Draft:
    """The API.md example: a 10 s clip, Lo-fi at 35 % with a waveform, a 3 s title."""
    return make_draft(
        (0, [{"id": "v1", "n": "city timelapse", "st": 0, "d": 10000}]),
        (1, [{"id": "m1", "n": "Lo-fi", "st": 0, "d": 10000, "v": 35, "wf": wf}]),
        (7, [{"id": "t1", "tx": "Urban Dreams", "st": 0, "d": 3000}]),
    )


def plain(lines: list[Text]) -> list[str]:
    return [line.plain for line in lines]


def below_output(draft: Draft, width: int, **options: Any) -> list[Text]:
    """The timeline without its output line(s) on top: the ruler first."""
    from addmusic.ui.widgets.trackview import _wrap

    lines = render_timeline(draft, width, **options)
    return lines[len(_wrap(" · ".join(output_facts(draft)), width)):]


def row_of(lines: list[Text], name: str) -> str:
    return next(line.plain for line in lines if line.plain[2:LABEL_WIDTH].strip() == name)


# ------------------------------------------------------------------------------------ ruler


@pytest.mark.parametrize("width", [40, 80, 200])
@pytest.mark.parametrize("end", [1200, 10000, 13400, 95000, 3_725_000])
def test_ruler_labels_fit_and_never_collide(width: int, end: int) -> None:
    draft = make_draft((0, [{"n": "a.mp4", "st": 0, "d": end}]), d=end)
    ruler = plain(below_output(draft, width))[0]
    assert ruler[:LABEL_WIDTH].strip() == ""
    tokens = ruler[LABEL_WIDTH:].split()
    if end < 60_000:
        assert tokens[0] == "0" and tokens[-1].endswith("s")
        assert all(not t.endswith("s") for t in tokens[:-1])
        values = [float(t.rstrip("s")) for t in tokens]
        for label in tokens:  # API.md number format: at most one decimal, no trailing .0
            assert re.fullmatch(r"\d+(\.[1-9])?s?", label), label
    else:  # past a minute every label is a clock in whole seconds: 0:00 0:30 1:00 ... 1:35
        assert tokens[0] in ("0:00", "0:00:00")
        for label in tokens:
            assert re.fullmatch(r"(\d+:)?\d+:\d\d", label), label
        values = [sum(int(p) * 60 ** i for i, p in enumerate(reversed(t.split(":")))) for t in tokens]
    assert values == sorted(values) and len(set(values)) == len(values)
    # Labels sit at their tick (or right-aligned at the edge) with air between them.
    area = width - LABEL_WIDTH
    placed = ruler_labels(end, area)
    assert [label for _, label in placed] == tokens
    for (start, label), (next_start, _) in zip(placed, placed[1:], strict=False):
        assert start + len(label) + 2 <= next_start


def test_ruler_uses_a_readable_step_at_80_columns() -> None:
    tokens = plain(below_output(example(), 80))[0].split()
    assert tokens == ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10s"]
    assert plain(below_output(example(), 40))[0].split() == ["0", "2", "4", "6", "8", "10s"]


def test_ruler_ticks_line_up_with_segment_starts() -> None:
    draft = make_draft((0, [{"n": "a.mp4", "st": 0, "d": 5000}, {"n": "b.mp4", "st": 5000, "d": 5000}]))
    lines = plain(below_output(draft, 80))
    assert lines[0].index(" 5 ") + 1 == lines[1].index("▏b.mp4")


# ------------------------------------------------------------------------------------- rows


def test_segment_positions_are_proportional() -> None:
    draft = make_draft((7, [{"tx": "Later", "st": 5000, "d": 5000}]), (0, [{"n": "clip.mp4", "st": 0, "d": 10000}]))
    for width in (40, 80, 200):
        row = row_of(render_timeline(draft, width), "Title")
        area = width - LABEL_WIDTH
        assert row[:LABEL_WIDTH].strip() == "T Title"
        assert row[LABEL_WIDTH:].index('"Later"') == pytest.approx(area / 2, abs=1)
        assert row[LABEL_WIDTH:LABEL_WIDTH + area // 2 - 1].strip() == ""


def test_labels_are_truncated_with_an_ellipsis_at_80_columns() -> None:
    name = "a very long file name from the phone camera roll 2024-07-15 at the beach.mp4"
    draft = make_draft((0, [{"n": name, "st": 0, "d": 3000}, {"n": "b.mp4", "st": 3000, "d": 7000}]),
                       (7, [{"tx": "A title far too long for one second", "st": 9000, "d": 1000}]))
    lines = render_timeline(draft, 80)
    video = row_of(lines, "Video")
    first = video[LABEL_WIDTH:LABEL_WIDTH + 22]
    assert first.startswith("▏a very long") and first.endswith("…")
    assert "▏b.mp4 3-10s" in video
    assert row_of(lines, "Title").rstrip().endswith("…")


def test_video_clips_alternate_styles_and_show_cuts() -> None:
    draft = make_draft((0, [{"n": f"c{i}.mp4", "st": i * 2500, "d": 2500} for i in range(4)]))
    row = below_output(draft, 80)[1]
    assert row.plain.count("▏") == 4
    styles = [str(span.style) for span in row.spans if span.start >= LABEL_WIDTH]
    assert len(styles) == 4 and styles[0] == styles[2] != styles[1] == styles[3]


def test_several_segments_on_one_track_keep_their_order_and_times() -> None:
    draft = make_draft((0, [{"n": "b.mp4", "st": 10000, "d": 6000}, {"n": "a.mp4", "st": 0, "d": 10000}]), d=16000)
    video = row_of(render_timeline(draft, 80), "Video")
    assert video.index("▏a.mp4 0-10s") < video.index("▏b.mp4 10-16s")
    assert video[LABEL_WIDTH:].index("▏b.mp4") == pytest.approx(72 * 10 / 16, abs=1)


def test_bgm_label_shows_volume_and_ducking() -> None:
    draft = make_draft((1, [{"n": "Lo-fi", "st": 0, "d": 10000, "v": 35, "duck": True}]))
    bgm = row_of(render_timeline(draft, 80), "BGM")
    assert bgm.startswith("♪ BGM")
    assert "Lo-fi 35% 0-10s ducked" in bgm
    assert "Lo-fi 100%" in row_of(render_timeline(make_draft((1, [{"n": "Lo-fi", "d": 10000}])), 80), "BGM")


def test_waveform_follows_the_peaks() -> None:
    rising = list(range(0, 101, 1))
    draft = make_draft((1, [{"n": "Up", "st": 0, "d": 10000, "wf": rising}]))
    for width in (40, 80, 200):
        bgm = row_of(render_timeline(draft, width), "BGM")
        heights = [BLOCKS.index(c) for c in bgm[LABEL_WIDTH:] if c in BLOCKS]
        assert len(heights) >= (width - LABEL_WIDTH) // 2
        assert heights == sorted(heights)
        assert heights[0] < heights[-1] == len(BLOCKS) - 1


def test_waveform_takes_the_loudest_peak_in_each_column() -> None:
    spike = [0] * 120
    spike[61] = 100
    bgm = row_of(render_timeline(make_draft((1, [{"n": "S", "d": 10000, "wf": spike}])), 80), "BGM")
    assert "█" in bgm and bgm.count("█") == 1


def test_plain_bar_without_a_waveform_and_fades_scale_it() -> None:
    bgm = row_of(render_timeline(example(wf=None), 80), "BGM")
    bar = [c for c in bgm[LABEL_WIDTH:] if c in BLOCKS]
    assert len(bar) > 40 and len(set(bar)) == 1
    faded = make_draft((1, [{"n": "Calm", "d": 10000, "fi": 3000, "fo": 3000}]))
    bgm = row_of(render_timeline(faded, 80), "BGM")[LABEL_WIDTH:]
    heights = [BLOCKS.index(c) for c in bgm if c in BLOCKS]
    assert heights[0] == 0 and heights[-1] == 0 and max(heights) > 2
    assert bgm.index("Calm") > 10  # the label sits after the fade-in ramp, which stays visible


def test_waveform_height_follows_the_volume() -> None:
    def tallest(volume: int) -> int:
        draft = make_draft((1, [{"n": "M", "d": 10000, "v": volume, "wf": [90] * 120}]))
        return max(BLOCKS.index(c) for c in row_of(render_timeline(draft, 80), "BGM") if c in BLOCKS)

    assert tallest(100) > tallest(60) > tallest(20)
    muted = make_draft((1, [{"n": "M", "d": 10000, "v": 0, "wf": [90] * 120}]))
    row = row_of(render_timeline(muted, 80), "BGM")
    assert "M muted" in row and not any(c in BLOCKS for c in row)


def test_output_line_says_canvas_fill_loudness_and_clip_sound() -> None:
    vertical = example()
    vertical.meta.update({"width": 1080, "height": 1920})
    assert plain(render_timeline(vertical, 80))[0] == \
        "9:16 · 1080x1920 · blurred fill · −14 LUFS mastered · clip sound 100%"
    vertical.meta.update({"fill": "bars", "loudness": -16, "xf": 500})
    vertical.tracks[0].segments[0].volume = 0
    assert plain(render_timeline(vertical, 120))[0] == \
        "9:16 · 1080x1920 · black bars · −16 LUFS mastered · 0.5s crossfades · clip sound muted"
    assert plain(render_timeline(example(), 80, clip_size=(1920, 1080)))[0] == \
        "16:9 · 1920x1080 · clip's own size · −14 LUFS mastered · clip sound 100%"


def test_clip_sound_shows_on_the_clip_when_not_full() -> None:
    draft = make_draft((0, [{"n": "a.mp4", "d": 5000, "v": 40}, {"n": "b.mp4", "st": 5000, "d": 5000}]))
    lines = plain(render_timeline(draft, 100))
    assert lines[0].endswith("clip sound per clip")
    assert "▏a.mp4 sound 40% 0-5s" in row_of(render_timeline(draft, 100), "Video")


def test_details_say_style_tempo_energy_layers_fades_ducking_and_titles() -> None:
    draft = make_draft(
        (0, [{"n": "a.mp4", "d": 10000}]),
        (1, [{"n": "Upbeat pop", "d": 10000, "v": 30, "fi": 1000, "fo": 2500, "duck": True, "style": "upbeat",
              "bpm": 120, "energy": "build", "layers": {"drums": 0, "bass": 60}}]),
        (7, [{"tx": "Day one", "d": 2000, "pos": "top", "size": "large", "color": "yellow"}]))
    assert detail_lines(draft) == [
        "♪ Upbeat pop: upbeat · 120 bpm · builds up · no drums · bass 60% · fade in 1s, out 2.5s · "
        "ducks under speech (−12 dB)",
        'T "Day one": top · 0-2s · large · yellow',
    ]
    lines = plain(render_timeline(draft, 80))
    assert lines[-1] == 'T "Day one": top · 0-2s · large · yellow'
    assert " ".join(lines[-3:-1]) == detail_lines(draft)[0]  # wrapped, nothing lost
    assert all(line.rstrip() == line for line in lines[-3:])
    assert '"Day one" top 0-2s' in row_of(render_timeline(draft, 200), "Title")


def test_empty_draft_is_a_friendly_hint() -> None:
    assert plain(render_timeline(Draft(), 80)) == [EMPTY_HINT]
    assert "ctrl+o" in EMPTY_HINT
    empty_track = make_draft((0, []))
    assert plain(render_timeline(empty_track, 80)) == [EMPTY_HINT]
    narrow = plain(render_timeline(Draft(), 30))
    assert len(narrow) > 1 and " ".join(narrow) == EMPTY_HINT


def test_empty_track_next_to_a_full_one() -> None:
    draft = make_draft((0, [{"n": "a.mp4", "d": 10000}]), (1, []))
    assert "(empty)" in row_of(render_timeline(draft, 80), "BGM")


def test_max_rows_summarises_the_rest() -> None:
    draft = make_draft(*[(0, [{"n": f"v{i}.mp4", "d": 10000}]) for i in range(3)],
                       (1, [{"n": "Lo-fi", "d": 10000}]), (7, [{"tx": "Hi", "d": 2000}]))
    lines = plain(below_output(draft, 80, max_rows=2))
    assert sum(1 for line in lines if line.startswith("► Video")) == 2
    assert lines[3].strip() == "+3 more tracks: Video, BGM, Title"
    assert lines[-1] == 'T "Hi": center · 0-2s · medium'


def test_max_lines_shrinks_the_details_then_the_rows() -> None:
    draft = example()
    draft.tracks[1].segments[0].fade_in = 1500
    draft.tracks[1].segments[0].extra = {"style": "lofi", "bpm": 80, "energy": "calm", "layers": {"drums": 40}}
    draft.tracks[1].segments[0].duck = True
    assert len(render_timeline(draft, 80)) == 8  # output, ruler, 3 rows, music details on 2 lines, title
    lines = plain(render_timeline(draft, 80, max_lines=7))
    assert len(lines) == 7 and lines[-1].endswith("…") and lines[4].startswith("T Title")
    lines = plain(render_timeline(draft, 80, max_lines=5))
    assert len(lines) == 5 and lines[3].strip().startswith("+2 more")
    assert lines[0].startswith("clip's own size")  # the output line stays


@pytest.mark.parametrize("width", [1, 12, 20, 40, 80, 200])
def test_lines_never_exceed_the_width(width: int) -> None:
    wide = make_draft((0, [{"n": "海边日落的视频片段很长很长.mp4", "st": 0, "d": 4000},
                           {"n": "b", "st": 4000, "d": 1}]),
                      (1, [{"n": "欢快的音乐", "st": 0, "d": 10000, "v": 35, "wf": WAVE, "duck": True, "fi": 1500}]),
                      (7, [{"tx": "夏天 2024", "st": 100, "d": 300}]), (5, [{"n": "mystery", "d": 10000}]))
    for draft in (example(), example(wf=None), wide, Draft()):
        for max_rows in (None, 1):
            lines = render_timeline(draft, width, max_rows=max_rows)
            assert lines
            assert all(line.cell_len <= width for line in lines), [line.plain for line in lines]
            if width >= 20 and draft.exportable:  # rows are exactly as wide as the view
                assert all(line.cell_len == width for line in below_output(draft, width, max_rows=max_rows)[:2])


def test_importing_the_view_stays_light() -> None:
    """The UI must start fast: no engine, numpy, PyAV or server code behind the track view."""
    code = ("import sys, addmusic.ui.widgets.trackview; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'av', 'starlette', 'uvicorn') "
            "or m.startswith('addmusic.engine')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ------------------------------------------------------------------------------- the widget


class TrackApp(App[None]):
    """Just the track view, as the main screen lays it out."""

    def __init__(self, draft: Draft | None = None) -> None:
        super().__init__()
        self._initial = draft

    def compose(self) -> ComposeResult:
        yield TrackView(self._initial, id="tracks")


async def test_widget_draws_what_it_is_shown() -> None:
    app = TrackApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(TrackView)
        assert view.can_focus and view.border_title == "Timeline"
        assert EMPTY_HINT in str(view.render())
        assert view.size.height >= 1
        draft = example()
        view.show(draft)
        await pilot.pause()
        assert view.draft is draft
        rendered = view.render()
        assert isinstance(rendered, Text)
        expected = render_timeline(draft, view.content_size.width)
        assert rendered.plain.split("\n") == plain(expected)
        assert view.size.height == len(expected)
        assert view.content_size.width == 80 - 4  # round border and one column of padding each side
        await pilot.press("tab")
        assert app.focused is view


async def test_widget_follows_its_width() -> None:
    app = TrackApp(example())
    async with app.run_test(size=(120, 24)) as pilot:
        view = app.query_one(TrackView)
        assert view.render().plain.split("\n")[1] == plain(render_timeline(example(), 116))[1]
        await pilot.resize_terminal(60, 24)
        await pilot.pause()
        assert view.content_size.width == 56
        assert view.render().plain.split("\n") == plain(render_timeline(example(), 56))


async def test_widget_uses_theme_styles_not_ansi_defaults() -> None:
    app = TrackApp(example())
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(TrackView)
        dark_video = view.get_component_rich_style("trackview--video")
        assert dark_video.bgcolor is not None
        app.theme = "textual-light"
        await pilot.pause()
        light_video = view.get_component_rich_style("trackview--video")
        assert light_video.bgcolor != dark_video.bgcolor


async def test_widget_shrinks_to_a_max_height() -> None:
    many = make_draft(*[(0, [{"n": f"v{i}.mp4", "d": 10000}]) for i in range(12)])
    app = TrackApp(many)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(TrackView)
        view.styles.max_height = 8
        view.refresh(layout=True)
        await pilot.pause()
        lines = view.render().plain.split("\n")
        assert len(lines) == 6 == view.content_size.height
        assert lines[0].startswith("clip's own size")
        assert lines[-1].strip().startswith("+")


def test_snapshot_80x24(snap_compare: Any) -> None:
    draft = make_draft(
        (0, [{"id": "v1", "n": "beach.mp4", "st": 0, "d": 5500}, {"id": "v2", "n": "city timelapse.mp4",
                                                                   "st": 5500, "d": 4500}]),
        (1, [{"id": "m1", "n": "Lo-fi", "st": 0, "d": 10000, "v": 35, "wf": WAVE, "fi": 1500, "fo": 2000,
              "duck": True}]),
        (7, [{"id": "t1", "tx": "Urban Dreams", "st": 500, "d": 3000}]),
    )
    assert snap_compare(TrackApp(draft), terminal_size=(80, 24))


def test_snapshot_120x36(snap_compare: Any) -> None:
    assert snap_compare(TrackApp(example()), terminal_size=(120, 36))
