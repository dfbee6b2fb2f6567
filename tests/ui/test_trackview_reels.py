"""The track view tells the truth for reels and songs (issue 9 draft keys, docs/API.md): each
clip by name, stills marked, crossfades drawn where clips overlap, beat sync, the user's song
with its file name, in-point and fit, its real waveform from the upload, and an uploaded song
that is only offered. Drafts and `video_infos` are built here as the engine sends them."""

from __future__ import annotations

from typing import Any

import pytest
from rich.cells import cell_len
from rich.text import Text
from textual.app import App, ComposeResult

from addmusic.protocol.draft import Draft
from addmusic.ui.widgets.trackview import LABEL_WIDTH, TrackView, detail_lines, output_facts, render_timeline

BLOCKS = "▁▂▃▄▅▆▇█"
QUIET_THEN_LOUD = [5] * 50 + [100] * 50  # a 20 s song: quiet first half, loud second half


def reel(*, xf: int = 0, sync: bool = False, song: dict[str, Any] | None = None) -> Draft:
    """beach.mp4 (0-4 s), photo.jpg as a 3 s still with zoom, city.mp4 (6 s); with `xf`, each clip
    after the first starts `xf` before the previous one ends (the contract)."""
    clips = [("v1", "beach.mp4", "m1", 4000, {}), ("v2", "photo.jpg", "m2", 3000, {"zoom": True}),
             ("v3", "city.mp4", "m3", 6000, {})]
    segments, start = [], 0
    for seg_id, name, src, duration, extra in clips:
        segments.append({"id": seg_id, "n": name, "src": src, "st": start, "d": duration, **extra})
        start += duration - xf
    end = start + xf
    tracks: list[dict[str, Any]] = [{"tt": 0, "sg": segments}]
    if song is not None:
        tracks.append({"tt": 1, "sg": [{"id": "a1", "n": "summer.mp3", "src": "s1", "st": 0, "d": end, **song}]})
    meta: dict[str, Any] = {"xf": xf} if xf else {}
    if sync:
        meta["sync"] = True
    return Draft.from_json({"t": tracks, "d": end, "m": meta})


def media(song_seconds: float = 20.0, wf: list[int] | None = QUIET_THEN_LOUD, *,
          extra_song: bool = False) -> list[dict[str, Any]]:
    infos: list[dict[str, Any]] = [
        {"media_id": "m1", "filename": "beach.mp4", "kind": "video", "duration": 4.0, "width": 640, "height": 360},
        {"media_id": "m2", "filename": "photo.jpg", "kind": "image", "duration": 0, "width": 800, "height": 600},
        {"media_id": "m3", "filename": "city.mp4", "kind": "video", "duration": 6.0, "width": 640, "height": 360},
        {"media_id": "s1", "filename": "summer.mp3", "kind": "audio", "duration": song_seconds, "wf": wf,
         "bpm": 120},
    ]
    if extra_song:
        infos.append({"media_id": "s2", "filename": "demo take.wav", "kind": "audio", "duration": 8.0,
                      "wf": [100] * 40, "bpm": 96})
    return infos


def lines(draft: Draft, width: int = 116, **options: Any) -> list[str]:
    return [line.plain for line in render_timeline(draft, width, **options)]


def row(plain: list[str], label: str) -> str:
    return next(line for line in plain if line[:LABEL_WIDTH].strip() == label)


def area(row_text: str) -> str:
    return row_text[LABEL_WIDTH:]


# --------------------------------------------------------------------------------- the video row


def test_each_clip_is_named_on_the_video_row_and_the_still_is_marked() -> None:
    shown = lines(reel(), media=media())
    video = area(row(shown, "► Video"))
    assert video.index("beach.mp4") < video.index("photo.jpg") < video.index("city.mp4")
    assert video[video.index("photo.jpg") - 1] == "▣"  # the still's mark instead of the cut line
    assert video[video.index("beach.mp4") - 1] == "▏" and video[video.index("city.mp4") - 1] == "▏"
    assert "photo.jpg (still, slow zoom) 4-7s" in "\n".join(shown)
    assert "╳" not in video  # hard cuts: nothing drawn between the clips


def test_a_still_is_known_by_its_name_when_the_state_has_no_media() -> None:
    video = area(row(lines(reel()), "► Video"))
    assert video[video.index("photo.jpg") - 1] == "▣"


def test_crossfades_are_drawn_where_clips_overlap_and_labelled() -> None:
    draft = reel(xf=1000)  # clips at 0-4 s, 3-6 s, 5-11 s
    width = 8 + 110  # 10 columns a second
    shown = lines(draft, width, media=media())
    video = area(row(shown, "► Video"))
    assert [i for i, ch in enumerate(video) if ch == "╳"] == [*range(30, 40), *range(50, 60)]
    assert "1s crossfades" in shown[0]
    assert "1s crossfades" in "\n".join(shown[-3:])
    assert video[40] == "▣" and video[60] == "▏"  # each clip starts where the crossfade into it ends


def test_a_short_crossfade_still_takes_a_column_at_80_columns() -> None:
    video = area(row(lines(reel(xf=100), 76, media=media()), "► Video"))
    assert video.count("╳") >= 2  # one at each of the two joins


def test_synced_to_the_beat_is_said() -> None:
    assert "synced to beat" in output_facts(reel(sync=True))
    assert "synced to beat" not in output_facts(reel())
    assert any("cuts synced to the beat" in line for line in detail_lines(reel(sync=True)))


# ---------------------------------------------------------------------------------- the song row


@pytest.mark.parametrize(("song", "seconds", "words"), [
    ({"in": 45000}, 50.0, ["summer.mp3", "from 0:45", "loops"]),  # 5 s left of a 13 s reel: it loops
    ({"in": 45000, "fit": "end_early"}, 50.0, ["summer.mp3", "from 0:45", "ends early"]),
    ({"in": 30000, "pick": "chorus"}, 120.0, ["summer.mp3", "chorus", "cut to fit"]),
    ({}, 13.0, ["summer.mp3"]),  # exactly as long as the video: nothing to say
])
def test_the_song_row_says_its_file_in_point_and_fit(song: dict[str, Any], seconds: float,
                                                     words: list[str]) -> None:
    shown = lines(reel(song=song), 160, media=media(seconds))
    bgm = row(shown, "♪ BGM")
    for word in words:
        assert word in bgm
    said = " ".join(words)
    for absent in ("loops", "ends early", "cut to fit", "chorus", "from "):
        if absent not in said:
            assert absent not in bgm
    details = next(line for line in shown if line.startswith("♪ summer.mp3:"))
    assert "your song" in details and all(word in details for word in words[1:])


def test_the_song_row_shows_the_real_waveform_from_its_in_point() -> None:
    """The upload's peaks, cut to what plays: from 10 s of the quiet-then-loud song it is all loud;
    from 5 s, the first half of a 10 s segment is quiet and the second loud."""
    clip = {"media_id": "m1", "filename": "beach.mp4", "kind": "video", "duration": 10.0}
    song = {"media_id": "s1", "filename": "summer.mp3", "kind": "audio", "duration": 20.0, "wf": QUIET_THEN_LOUD}
    for source_in, expect_quiet_start in ((10000, False), (5000, True)):
        draft = Draft.from_json({"t": [
            {"tt": 0, "sg": [{"id": "v1", "n": "beach.mp4", "src": "m1", "st": 0, "d": 10000}]},
            {"tt": 1, "sg": [{"id": "a1", "n": "x", "src": "s1", "st": 0, "d": 10000, "in": source_in}]}],
            "d": 10000})
        bgm = area(row(lines(draft, 8 + 100, media=[clip, song]), "♪ BGM"))
        waves = [ch for ch in bgm if ch in BLOCKS]
        assert waves, bgm
        tail = bgm[-20:]
        assert set(tail) == {"█"}, tail  # the loud part, at full volume
        if expect_quiet_start:
            assert "▁" in bgm[:50]
        else:
            assert "▁" not in bgm


def test_an_uploaded_song_not_used_is_offered_with_its_waveform() -> None:
    draft = reel()
    shown = lines(draft, 116, media=media(8.0, list(range(100))))
    song = row(shown, "♪ Song")
    assert "offered: summer.mp3" in song
    assert len({ch for ch in song if ch in BLOCKS}) >= 4  # its own shape (a rising ramp), not a flat bar
    offered_columns = len(area(song).rstrip())
    assert 8 * 108 // 13 - 1 <= offered_columns <= 8 * 108 // 13 + 1  # 8 s of a 13 s timeline
    assert any('summer.mp3 (8s, 120 bpm): uploaded, not used yet — say "use my song"' in line for line in shown)
    used = reel(song={})
    assert not any(line[:LABEL_WIDTH].strip() == "♪ Song" for line in lines(used, 116, media=media(8.0)))


def test_an_offered_song_shows_before_any_clip() -> None:
    shown = lines(Draft(), 76, media=media()[3:])
    assert shown[0].startswith("No clips yet")
    song = row(shown, "♪ Song")
    assert "offered: summer.mp3" in song and "█" in song


def test_several_offered_songs_count_as_rows() -> None:
    shown = lines(reel(song={}), 116, media=media(extra_song=True), max_rows=2)
    assert any("+1 more track: offered demo take.wav" in line for line in shown)


# --------------------------------------------------------------------------------------- widths


@pytest.mark.parametrize("width", [30, 50, 76, 116])
def test_reel_lines_never_exceed_the_width_and_cut_labels_end_with_an_ellipsis(width: int) -> None:
    long = reel(xf=500, sync=True, song={"in": 45000})
    long.tracks[0].segments[2].label = "a very long clip name from the phone camera roll.mp4"
    shown = lines(long, width, media=media(50.0, extra_song=True))
    assert all(cell_len(line) <= width for line in shown)
    if width >= 50:
        video = area(row(shown, "► Video"))
        assert "…" in video  # the long name was cut, and says so
        song = row(shown, "♪ Song")
        assert "offered" in song


class TrackApp(App[None]):
    def compose(self) -> ComposeResult:
        yield TrackView(id="tracks")


async def test_the_widget_draws_the_media_it_is_shown() -> None:
    app = TrackApp()
    async with app.run_test(size=(120, 30)) as pilot:
        view = app.query_one(TrackView)
        view.show(reel(xf=500), None, media(extra_song=True))
        await pilot.pause()
        rendered = view.render()
        assert isinstance(rendered, Text)
        expected = lines(reel(xf=500), view.content_size.width, media=media(extra_song=True))
        assert rendered.plain.split("\n") == expected
        assert "offered: summer.mp3" in rendered.plain and "╳" in rendered.plain


def test_music_longer_than_the_clips_is_said_on_the_output_line() -> None:
    """An engine that let an uploaded song set the length (the file is then longer than its
    pictures): the output line says so instead of leaving it to the ruler."""
    draft = reel(song={})
    draft.tracks[1].segments[0].duration = 49_500
    draft.duration = 49_500
    assert "runs 36.5s past the last clip" in output_facts(draft)
    assert not any("past the last clip" in fact for fact in output_facts(reel(song={})))
