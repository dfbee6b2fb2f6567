"""The user's own song and cutting to the beat on the real engine over loopback (issue 9): an
uploaded song is offered, not applied (its waveform at once, its tempo after the analysis, cached
next to the upload); "use my song" puts it under the whole video; "sync to the beat" moves the
cuts onto the song's real beats (generated with a known grid) and says how far, in numbers that
match the draft; a new in-point re-snaps them; "follow the cuts" hands the cut times on."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the corpus client and songgen

from conftest import EngineProcess  # noqa: E402
from corpus.engine_client import Engine, make_clip, make_song_file  # noqa: E402
from corpus.flat import flat  # noqa: E402

BPM = 120  # the generated song's beat: every 0.5 s from 0
BEAT = 60 / BPM
FPS = 30


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("song_media")
    return {"a.mp4": make_clip(root / "a.mp4", 6, width=320, height=180, fps=FPS),
            "b.mp4": make_clip(root / "b.mp4", 7, width=320, height=180, fps=FPS),  # different lengths:
            "c.mp4": make_clip(root / "c.mp4", 8, width=320, height=180, fps=FPS),  # different uploads
            "song.mp3": make_song_file(root / "song.mp3", bpm=BPM, bars=12)}  # 24 s


async def _open(engine: EngineProcess) -> Engine:
    client = Engine(engine.url)
    await client.open()
    return client


def _music(state: dict) -> list[dict]:
    return [s for t in state["draft"]["t"] if t["tt"] == 1 for s in t["sg"]]


def _clips(state: dict) -> list[dict]:
    return sorted((s for t in state["draft"]["t"] if t["tt"] == 0 for s in t["sg"]), key=lambda s: s["st"])


async def _bpm(client: Engine, sid: str, timeout: float = 90) -> float | None:
    for _ in range(int(timeout * 4)):
        song = next(i for i in (await client.state(sid))["video_infos"] if i["kind"] == "audio")
        if "bpm" in song:
            return song["bpm"]
        await asyncio.sleep(0.25)
    return None


async def test_an_uploaded_song_is_offered_with_its_waveform_and_tempo(engine: EngineProcess,
                                                                        files: dict[str, Path]) -> None:
    client = await _open(engine)
    try:
        sid = await client.session()
        await client.upload(sid, files["a.mp4"])
        await client.upload(sid, files["song.mp3"])
        state = await client.state(sid)
        assert not _music(state), "a song uploaded with no instruction must not be applied"
        song = next(i for i in state["video_infos"] if i["kind"] == "audio")
        wf = song["wf"]
        assert len(wf) == 120 and all(0 <= p <= 100 for p in wf)
        assert max(wf) >= 30 and min(wf) < max(wf)  # the real audio's peaks, not a flat line
        bpm = await _bpm(client, sid)
        assert bpm is not None and abs(bpm - BPM) < 1.0
        sidecar = engine.data_dir / "media" / f"{song['media_id']}.mp3.beats.json"
        assert sidecar.is_file()  # computed once, next to the upload

        turn = await client.say(sid, "use my song")
        assert "song.mp3" in turn.reply and not turn.metadata.get("unmatched")
        state = await client.state(sid)
        (seg,) = _music(state)
        assert seg["src"] == song["media_id"] and seg["st"] == 0 and seg["d"] == 6000  # the video's length
        assert len(seg["wf"]) == 120 and max(seg["wf"]) > 0
        assert flat(state["draft"], state["video_infos"])["length"] == "6"  # music never makes it longer
    finally:
        await client.aclose()


async def test_use_my_song_without_a_song_says_how_to_upload_one(engine: EngineProcess,
                                                                 files: dict[str, Path]) -> None:
    client = await _open(engine)
    try:
        sid = await client.session()
        await client.upload(sid, files["a.mp4"])
        before = await client.state(sid)
        turn = await client.say(sid, "use my song")
        assert "upload" in turn.reply.lower() and turn.metadata.get("unmatched")
        assert (await client.state(sid))["draft"] == before["draft"]
    finally:
        await client.aclose()


def _boundaries(state: dict) -> list[float]:
    return [s["st"] / 1000 for s in _clips(state)[1:]]


def _off_grid(t: float, offset: float = 0.0) -> float:
    """How far ``t`` is from the song's true beat grid as heard on the timeline."""
    k = round((t - offset) / BEAT)
    return abs(t - (offset + k * BEAT))


async def test_sync_moves_the_cuts_onto_the_songs_beats_and_says_how_far(engine: EngineProcess,
                                                                         files: dict[str, Path]) -> None:
    client = await _open(engine)
    try:
        sid = await client.session()
        for name in ("a.mp4", "b.mp4", "c.mp4", "song.mp3"):
            await client.upload(sid, files[name])
        await client.say(sid, "use my song")
        await client.say(sid, "cut the first 1.3 seconds")  # boundaries now at 4.7 and 11.7: off the beat
        before = await client.state(sid)
        assert _boundaries(before) == [4.7, 11.7]
        turn = await client.say(sid, "sync to the beat")
        after = await client.state(sid)
        assert after["draft"]["m"].get("sync") is True
        moved = [abs(a - b) for a, b in zip(_boundaries(after), _boundaries(before), strict=True)]
        # the first cut moves onto a beat (the clip before is trimmed: the next clip has no footage
        # before its start); the second, carried along by the trim, lands on a beat too
        for t in _boundaries(after):
            assert _off_grid(t) <= 0.5 / FPS + 0.02, (t, turn.reply)
        assert max(moved) <= BEAT / 2 + 1e-6
        m = re.search(r"Moved (\d+) cuts? onto the beat by ([\d.]+) s on average, at most ([\d.]+) s", turn.reply)
        assert m, turn.reply
        # the numbers said are the moves made: the first cut moved; the second was already on the
        # beat after the first one's trim carried it
        first = moved[0]
        assert int(m.group(1)) == 1
        assert abs(float(m.group(2)) - first) <= 0.006 and abs(float(m.group(3)) - first) <= 0.006
        assert "shorter" in turn.reply
        length = float(flat(after["draft"], after["video_infos"])["length"])
        assert abs(length - (19.7 - first)) < 0.002
        (seg,) = _music(after)
        assert seg["st"] + seg["d"] <= round(length * 1000)  # the music follows the shorter reel

        # a new in-point moves the beat: the cuts follow it (and the reply says so)
        turn = await client.say(sid, "start the song at 0:00.2")
        again = await client.state(sid)
        assert again["draft"]["m"].get("sync") is True and "new beat" in turn.reply
        for t in _boundaries(again):
            assert _off_grid(t, offset=-0.2) <= 0.5 / FPS + 0.02, (t, turn.reply)

        # trimming the clips afterwards takes the cuts off the beat: the sync is turned off, and said
        turn = await client.say(sid, "cut the last 2 seconds")
        assert (await client.state(sid))["draft"]["m"].get("sync") is None
        assert "no longer on the beat" in turn.reply
    finally:
        await client.aclose()


async def test_sync_without_music_or_with_one_clip_changes_nothing(engine: EngineProcess,
                                                                   files: dict[str, Path]) -> None:
    client = await _open(engine)
    try:
        sid = await client.session()
        await client.upload(sid, files["a.mp4"])
        turn = await client.say(sid, "sync to the beat")
        assert "only one clip" in turn.reply
        await client.upload(sid, files["b.mp4"])
        before = await client.state(sid)
        turn = await client.say(sid, "cut on the beat")
        assert "needs music" in turn.reply
        assert (await client.state(sid))["draft"] == before["draft"]
    finally:
        await client.aclose()


async def test_music_that_follows_the_cuts_carries_the_cut_times(engine: EngineProcess,
                                                                files: dict[str, Path]) -> None:
    client = await _open(engine)
    try:
        sid = await client.session()
        for name in ("a.mp4", "b.mp4"):
            await client.upload(sid, files[name])
        await client.say(sid, "add lofi music")
        turn = await client.say(sid, "make the music follow the cuts")
        state = await client.state(sid)
        (seg,) = _music(state)
        assert seg["follow_cuts"] is True
        assert seg["cuts"] == [6000]  # the clip boundary; the plain-colour clips have no scene cut
        assert "cuts" in turn.reply
        generated = state["generated_media"][seg["src"]]
        assert generated["duration_ms"] == seg["d"]
    finally:
        await client.aclose()


def test_snapping_reply_numbers() -> None:
    """The sentence is made from the moves: count, mean and largest, to the hundredth."""
    from addmusic.engine.interpreter.families.song import say
    from addmusic.engine.songs import SyncResult, _sync_sentence

    result = SyncResult(moved=[0.1, 0.2, 0.21], on_beat=3, stayed=[], shortened_ms=0)
    text = _sync_sentence(result, lambda key, **v: say(key, "en", **v), again=False)
    assert text == "Moved 3 cuts onto the beat by 0.17 s on average, at most 0.21 s."
    zh = _sync_sentence(result, lambda key, **v: say(key, "zh", **v), again=False)
    assert "3个剪辑点" in zh and "0.17" in zh and "0.21" in zh


def test_snap_rolls_when_both_clips_have_footage_and_trims_otherwise() -> None:
    from addmusic.engine.songs import Media, snap
    from addmusic.protocol.draft import Draft, Segment, Track

    infos = {k: {"media_id": k, "kind": "video", "duration": 10.0, "fps": 30} for k in ("x", "y")}
    beats = np.arange(0, 30, 0.5)
    # x shows 0-4.8 of 10 s, y shows 2-8: a roll can move the cut either way
    draft = Draft(tracks=[Track(0, [Segment(id="1", src="x", start=0, duration=4800, source_in=0),
                                    Segment(id="2", src="y", start=4800, duration=6000, source_in=2000)])])
    result = snap(draft, beats, Media(infos, Path("/nonexistent")))
    x, y = draft.tracks[0].segments
    assert result.shortened_ms == 0 and result.on_beat == 1 and result.moved == [pytest.approx(0.2)]
    assert (x.duration, y.start, y.source_in, y.end) == (5000, 5000, 2200, 10800)  # a roll: same length
    # the nearest beat is earlier and y starts at the start of its file: no footage for a roll, so
    # x is trimmed onto the beat and y closes up
    draft = Draft(tracks=[Track(0, [Segment(id="1", src="x", start=0, duration=4700, source_in=0),
                                    Segment(id="2", src="y", start=4700, duration=6000, source_in=0)])])
    result = snap(draft, beats, Media(infos, Path("/nonexistent")))
    x, y = draft.tracks[0].segments
    assert result.shortened_ms == 200 and result.moved == [pytest.approx(0.2)]
    assert (x.duration, y.start, y.source_in, y.duration) == (4500, 4500, 0, 6000)
    # x runs to the end of its file and the nearest beat (10.0) is later: nothing can move; the reason is kept
    draft = Draft(tracks=[Track(0, [Segment(id="1", src="x", start=0, duration=10000 - 200, source_in=200),
                                    Segment(id="2", src="y", start=9800, duration=6000, source_in=0)])])
    infos["x"]["duration"] = 10.0
    result = snap(draft, beats, Media(infos, Path("/nonexistent")))
    assert result.on_beat == 0 and result.moved == [] and result.stayed == [
        "the clips have no more footage on the side of the beat"]


def test_the_cut_times_are_part_of_the_compositions_key(tmp_path: Path) -> None:
    """Following the cuts composes again when the cuts change, and hands them to the composer as
    section times: a section of the music starts within one beat of each cut."""
    from addmusic.engine.turns import materialise_music
    from addmusic.protocol.draft import Draft, Segment, Track

    keys = []
    for cuts in ([7000], [10000]):  # a piece long enough for sections (under 15 s it is a sting)
        seg = Segment(id="m", src="gen_x", start=0, duration=20000,
                      extra={"style": "piano", "seed": 1, "follow_cuts": True, "cuts": cuts})
        draft = Draft(tracks=[Track(1, [seg])], duration=20000)
        generated: dict = {}
        materialise_music(draft, generated, tmp_path)
        info = generated["gen_x"]
        keys.append(info["key"])
        assert (tmp_path / "gen_x.wav").is_file() and info["duration_ms"] == 20000
        beat = 60 / info["tempo"]
        assert min(abs(t - cuts[0] / 1000) for t in info["sections"]) <= beat, (cuts, info["sections"])
    assert keys[0] != keys[1]


async def test_a_clips_own_sound_as_the_music(engine: EngineProcess, files: dict[str, Path]) -> None:
    client = await _open(engine)
    try:
        sid = await client.session()
        for name in ("a.mp4", "b.mp4"):
            await client.upload(sid, files[name])
        turn = await client.say(sid, "use the music from clip 5")
        assert "no clip 5" in turn.reply and not _music(await client.state(sid))
        await client.say(sid, "use the music from clip 2")
        state = await client.state(sid)
        (seg,) = _music(state)
        b = next(i for i in state["video_infos"] if i["filename"] == "b.mp4")
        assert seg["src"] == b["media_id"] and seg["d"] == 13000  # the whole reel, looped
        assert len(seg["wf"]) == 120 and max(seg["wf"]) > 0  # the clip's real sound, drawn
    finally:
        await client.aclose()
