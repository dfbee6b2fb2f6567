"""The renderer: its decisions read from the plan, its results decoded from real ffmpeg output."""

from __future__ import annotations

import asyncio
import os
import re
import signal
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from addmusic.engine.media import MediaInfo, probe
from addmusic.engine.render import FONT, RenderError, RenderPlan, build_plan, run_render
from addmusic.engine.render.encoder import FULL_PRESET, encoder_threads
from addmusic.engine.render.plan import master_step
from addmusic.engine.render.source import X264_PROFILES
from addmusic.protocol.draft import Draft
from conftest import run_ffmpeg

CLIP_MS = 4000
TONE_HZ, MUSIC_HZ = 1000, 300  # the clip's own "speech" and the music, told apart by frequency
SILENT = (2.5, 3.5)  # seconds of the clip where its own sound is silent
SPEECH = (0.5, 1.5)  # seconds where it is not
TITLE = "It's 100% \"ours\": [a,b]; c\\d"  # every character the filter graph cares about


@pytest.fixture(scope="session")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small inputs: a 4 s 640x360 clip whose sound is a tone for 2 s then silence, a silent clip,
    a still image, a 6 s music WAV, and a file that only pretends to be a clip."""
    d = tmp_path_factory.mktemp("render-src")
    paths = {k: d / k for k in ("clip.mp4", "mute.mp4", "still.png", "music.wav", "broken.mp4")}
    run_ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=4",
        "-f", "lavfi", "-i", f"aevalsrc='if(lt(t,2),0.3*sin(2*PI*{TONE_HZ}*t),0)':s=48000:d=4",
        "-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-c:a", "aac", "-b:a", "128k",
        "-shortest", str(paths["clip.mp4"]),
    )
    run_ffmpeg("-f", "lavfi", "-i", "testsrc2=s=640x360:r=25:d=3", "-c:v", "libx264", "-preset", "ultrafast",
            str(paths["mute.mp4"]))
    run_ffmpeg("-f", "lavfi", "-i", "testsrc2=s=800x600", "-frames:v", "1", str(paths["still.png"]))
    run_ffmpeg("-f", "lavfi", "-i", f"aevalsrc='0.4*sin(2*PI*{MUSIC_HZ}*t)|0.4*sin(2*PI*{MUSIC_HZ}*t)':s=48000:d=6",
            str(paths["music.wav"]))
    paths["broken.mp4"].write_bytes(b"\x00\x00\x00\x18ftypisom" + os.urandom(4000))
    return paths


@pytest.fixture(scope="session")
def media(sources: dict[str, Path]) -> dict[str, MediaInfo]:
    return {"clip": probe(sources["clip.mp4"]), "mute": probe(sources["mute.mp4"]),
            "still": probe(sources["still.png"])}


@pytest.fixture
def music(sources: dict[str, Path]) -> dict[str, Path]:
    return {"song": sources["music.wav"]}


def _draft(*tracks: dict[str, Any], **meta: Any) -> Draft:
    return Draft.from_json({"t": list(tracks), "m": meta})


def _video(*segments: dict[str, Any]) -> dict[str, Any]:
    return {"tt": 0, "sg": list(segments) or [{"id": "v1", "src": "clip", "st": 0, "d": CLIP_MS}]}


def _bgm(**keys: Any) -> dict[str, Any]:
    return {"tt": 1, "sg": [{"id": "m1", "src": "song", "st": 0, "d": CLIP_MS, "v": 50, **keys}]}


def _title(**keys: Any) -> dict[str, Any]:
    return {"tt": 7, "sg": [{"id": "t1", "st": 1000, "d": 1500, "tx": TITLE, **keys}]}


def _plan(draft: Draft, media: dict[str, MediaInfo], music: dict[str, Path], tmp_path: Path,
          **kw: Any) -> RenderPlan:
    return build_plan(draft, media, music, tmp_path / "out.mp4.part", workdir=tmp_path, **kw)


def _render(draft: Draft, media: dict[str, MediaInfo], music: dict[str, Path], tmp_path: Path,
            **kw: Any) -> tuple[RenderPlan, Path]:
    plan = _plan(draft, media, music, tmp_path, **kw)
    asyncio.run(run_render(plan))
    return plan, plan.output


def _duration(path: Path) -> float:
    with av.open(str(path)) as c:
        return c.duration / 1_000_000


def _audio(path: Path) -> np.ndarray:
    """The file's sound as mono 48 kHz floats."""
    with av.open(str(path)) as c:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=48000)
        chunks = [f.to_ndarray().reshape(-1) for fr in c.decode(audio=0) for f in resampler.resample(fr)]
    return np.concatenate(chunks)


def _band_db(samples: np.ndarray, hz: float, span: tuple[float, float]) -> float:
    """Level (dB) of one frequency in a stretch of time: the music and the clip's tone are
    measured apart even when they play together."""
    part = samples[int(span[0] * 48000): int(span[1] * 48000)]
    spectrum = np.abs(np.fft.rfft(part * np.hanning(part.size)))
    freqs = np.fft.rfftfreq(part.size, 1 / 48000)
    band = spectrum[(freqs > hz * 0.9) & (freqs < hz * 1.1)]
    return 20 * np.log10(np.sqrt(np.sum(band**2)) + 1e-9)


def _frame(path: Path, t: float) -> np.ndarray:
    with av.open(str(path)) as c:
        for frame in c.decode(video=0):
            if frame.time is not None and frame.time >= t:
                return frame.to_ndarray(format="rgb24").astype(np.int16)
    raise AssertionError(f"no frame at {t}s in {path}")


# -- decisions, from the plan alone ---------------------------------------------------------


def test_plan_copies_video_when_the_picture_is_unchanged(media, music, tmp_path) -> None:
    plan = _plan(_draft(_video(), _bgm(duck=True)), media, music, tmp_path)
    assert plan.mode == "copy" and not plan.reencode_video and plan.video == [] and plan.share == 0
    assert plan.source is not None and plan.source.path == media["clip"].path
    graph = plan.mix.filter_complex
    assert "amix=inputs=2:duration=first:normalize=0" in graph  # ducked music: dry minus gated copy
    assert "sidechaingate" in graph and "ebur128=peak=true" in graph
    assert "loudnorm" not in graph
    args = plan.mix.args("ffmpeg")
    for flag in ("-y", "-nostats", "-hide_banner"):
        assert flag in args
    assert args[args.index("-progress") + 1] == "pipe:1" and args[-1] == str(plan.mix.output)
    master = master_step(plan, 3.0, True).args("ffmpeg")
    assert master[master.index("-b:a") + 1] == "192k" and master[master.index("-ar") + 1] == "48000"
    assert master[master.index("-t") + 1] == "4.000"
    assert "volume=3.00dB,alimiter" in master[master.index("-af") + 1]
    assert "alimiter" not in master_step(plan, 3.0, False).args("ffmpeg")[master.index("-af") + 1]


@pytest.mark.parametrize(
    ("change", "mode", "why"),
    [
        ({"video": {"in": 500, "d": 3500}, "end": 3500}, "smart", "between keyframes"),
        ({"title": True}, "smart", "titles"),
        ({"video": {"st": 500}}, "encode", "placed later"),
        ({"meta": {"width": 1080, "height": 1920}}, "encode", "shape"),
        ({"quality": "preview"}, "encode", "preview"),
        ({"end": 6000}, "encode", "past the end"),
    ],
)
def test_plan_reencodes_what_the_picture_changes(media, music, tmp_path, change, mode, why) -> None:
    seg = {"id": "v1", "src": "clip", "st": 0, "d": CLIP_MS, **change.get("video", {})}
    tracks = [_video(seg), _bgm(d=change.get("end", CLIP_MS))]
    if change.get("title"):
        tracks.append(_title())
    plan = _plan(_draft(*tracks, **change.get("meta", {})), media, music, tmp_path,
                 quality=change.get("quality", "high"))
    assert plan.mode == mode and why in plan.reason
    assert all("libx264" in step.codec_args for step in plan.video) and plan.video
    if mode == "smart":
        assert 0 < plan.share < 0.8 and plan.fallback and "smart render" in plan.describe()


def test_a_canvas_larger_than_the_clip_scales_it_up(media, music, tmp_path) -> None:
    plan = _plan(_draft(_video(), _bgm(), width=1920, height=1080), media, music, tmp_path)
    assert plan.mode == "encode" and "size" in plan.reason
    assert "scale=1920:1080" in plan.video[0].filter_complex  # 640x360 is 16:9 already: scaled, no bars


def test_plan_quality_settings(media, music, tmp_path) -> None:
    high = _plan(_draft(_video(), _title()), media, music, tmp_path)
    preview = _plan(_draft(_video(), _bgm(), width=1080, height=1920), media, music, tmp_path,
                    quality="preview")
    for step in high.video:  # smart: the re-encoded stretches match the copied source
        args = step.codec_args
        assert args[args.index("-preset") + 1] == "ultrafast" and args[args.index("-crf") + 1] == "20"
        assert args[args.index("-profile:v") + 1] == X264_PROFILES[high.source.profile]
        assert "bframes=0" in args[args.index("-x264-params") + 1]
    full = _plan(_draft(_video(), _title()), media, music, tmp_path, smart=False).video[0].codec_args
    assert full[full.index("-preset") + 1] == FULL_PRESET and full[full.index("-crf") + 1] == "20"
    assert full[full.index("-threads") + 1] == str(encoder_threads())
    assert "-pix_fmt" in full and "yuv420p" in full
    (step,) = preview.video
    assert step.codec_args[step.codec_args.index("-preset") + 1] == "ultrafast"
    assert step.codec_args[step.codec_args.index("-crf") + 1] == "30"
    # 9:16 at 360 px high, even width: the picture and the blurred bands above and below it
    assert sum(int(h) for h in re.findall(r"scale=202:(\d+)", step.filter_complex)) == 360


def test_plan_scales_large_sources_down_and_not_small_ones_up(media, music, tmp_path) -> None:
    big = MediaInfo(Path("/x/uhd.mp4"), "video", 4000, 3840, 2160, 30.0, True, True, "h264", "aac")
    tall = MediaInfo(Path("/x/tall.mp4"), "video", 4000, 2160, 3840, 30.0, True, True, "h264", "aac")
    vp8 = MediaInfo(Path("/x/web.webm"), "video", 4000, 640, 360, 30.0, True, True, "vp8", "vorbis")
    hevc = MediaInfo(Path("/x/phone.mov"), "video", 4000, 1280, 720, 30.0, True, True, "hevc", "aac")
    for info, scale in ((big, "scale=1920:1080"), (tall, "scale=1080:1920"), (vp8, "scale=640:360"),
                        (hevc, "scale=1280:720")):
        plan = _plan(_draft(_video({"src": "s", "st": 0, "d": 4000}), _bgm()), {"s": info}, music, tmp_path)
        assert plan.reencode_video and scale in plan.video[0].filter_complex


def test_plan_loudness_target(media, music, tmp_path) -> None:
    assert _plan(_draft(_video(), _bgm()), media, music, tmp_path).loudness == -14  # mastered by default
    assert _plan(_draft(_video(), _bgm(), loudness=-16), media, music, tmp_path).loudness == -16
    assert _plan(_draft(_video(), _bgm(), loudness="loud"), media, music, tmp_path).loudness == -14


def test_titles_reach_drawtext_through_a_file_never_raw(media, music, tmp_path) -> None:
    for smart in (True, False):
        plan = _plan(_draft(_video(), _title(pos="top")), media, music, tmp_path, smart=smart)
        for step in plan.video:
            argv = step.args("ffmpeg")
            assert not any(TITLE in arg or "100%" in arg or "ours" in arg for arg in argv)
        graph = plan.video[-1].filter_complex
        assert "expansion=none" in graph and "textfile=" in graph
        assert f"fontfile={FONT}" in graph and FONT.is_file()
        assert "y=h*0.080" in graph
    (text_file,) = plan.text_files
    assert text_file.parent == tmp_path
    assert text_file.read_text(encoding="utf-8").replace("\n", " ") == TITLE


def test_title_font_must_exist(media, music, tmp_path) -> None:
    with pytest.raises(RenderError, match="font"):
        _plan(_draft(_video(), _title()), media, music, tmp_path, font=tmp_path / "nope.ttf")


def test_unrenderable_drafts_are_refused_in_words(media, music, tmp_path) -> None:
    with pytest.raises(RenderError, match="empty"):
        _plan(_draft(), media, music, tmp_path)
    with pytest.raises(RenderError, match="upload it again"):
        _plan(_draft(_video({"src": "gone", "n": "beach.mp4", "st": 0, "d": 1000})), media, music, tmp_path)
    with pytest.raises(RenderError, match="missing"):
        _plan(_draft(_video(), {"tt": 1, "sg": [{"src": "nosuch", "st": 0, "d": 1000}]}), media, music, tmp_path)


# -- results, decoded from real renders -----------------------------------------------------


def test_copy_render_keeps_the_video_stream(media, music, tmp_path) -> None:
    progress: list[float] = []
    plan = _plan(_draft(_video(), _bgm()), media, music, tmp_path)
    asyncio.run(run_render(plan, progress.append))
    assert abs(_duration(plan.output) - CLIP_MS / 1000) < 0.1
    with av.open(str(media["clip"].path)) as src, av.open(str(plan.output)) as out:
        sv, ov = src.streams.video[0], out.streams.video[0]
        assert (ov.codec_context.name, ov.width, ov.height) == (sv.codec_context.name, sv.width, sv.height)
        src_packets = [bytes(p) for p in src.demux(sv) if p.size]
        out_packets = [bytes(p) for p in out.demux(ov) if p.size]
    assert len(out_packets) == len(src_packets) and out_packets == src_packets
    assert progress and progress[-1] == 100.0 and progress == sorted(progress)
    assert all(p <= 99.9 for p in progress[:-1])


def test_music_is_mixed_under_the_clip_at_its_volume(media, music, tmp_path) -> None:
    """The volume sets the balance between music and the clip's sound (the master sets the level)."""
    balance = {}
    for v in (30, 80):
        _, out = _render(_draft(_video(), _bgm(v=v)), media, music, tmp_path / str(v))
        sound = _audio(out)
        balance[v] = _band_db(sound, MUSIC_HZ, SILENT) - _band_db(sound, TONE_HZ, SPEECH)
    assert balance[80] - balance[30] == pytest.approx(20 * np.log10(80 / 30), abs=1.0)


def test_ducking_lowers_music_by_duck_db_under_the_clips_sound(media, music, tmp_path) -> None:
    """Against the clip's own sound in the same file (each export is mastered on its own)."""
    def music_vs_clip(sound: np.ndarray, span: tuple[float, float]) -> float:
        return _band_db(sound, MUSIC_HZ, span) - _band_db(sound, TONE_HZ, SPEECH)

    sound = {duck: _audio(_render(_draft(_video(), _bgm(v=60, duck=duck)), media, music,
                                  tmp_path / str(duck))[1]) for duck in (False, True)}
    under_speech = music_vs_clip(sound[False], SPEECH) - music_vs_clip(sound[True], SPEECH)
    back = music_vs_clip(sound[False], (2.5, 2.9)) - music_vs_clip(sound[True], (2.5, 2.9))  # speech ends at 2 s
    assert under_speech >= 10
    assert abs(back) < 1.5


def test_fades_and_placement(media, music, tmp_path) -> None:
    _, out = _render(_draft(_video(), _bgm(st=2000, d=2000, fi=0, fo=1000)), media, music, tmp_path)
    sound = _audio(out)
    before = _band_db(sound, MUSIC_HZ, (0.5, 1.5))
    held = _band_db(sound, MUSIC_HZ, (2.2, 2.8))
    fading = _band_db(sound, MUSIC_HZ, (3.6, 3.95))
    assert held - before > 30  # nothing before its start
    assert held - fading > 6


def test_titles_change_pixels_only_while_shown(media, music, tmp_path) -> None:
    _, out = _render(_draft(_video(), _title(pos="center")), media, music, tmp_path)
    assert abs(_duration(out) - CLIP_MS / 1000) < 0.1
    band = slice(140, 220)  # the middle rows, where a centred title sits in 360 px

    def diff(t: float) -> float:
        return float(np.abs(_frame(out, t)[band] - _frame(media["clip"].path, t)[band]).mean())

    assert diff(1.75) > 8 * max(diff(0.4), diff(3.5), 0.5)


def test_vertical_canvas_is_1080x1920(media, music, tmp_path) -> None:
    draft = _draft(_video({"src": "clip", "st": 0, "d": 1000}), _bgm(d=1000), width=1080, height=1920)
    _, out = _render(draft, media, music, tmp_path)
    with av.open(str(out)) as c:
        v = c.streams.video[0]
        assert (v.width, v.height) == (1080, 1920)
    assert abs(_duration(out) - 1.0) < 0.1
    frame = _frame(out, 0.5)
    assert frame[:400].std() > 5  # the blurred copy fills the top, not black bars


def test_preview_is_360p(media, music, tmp_path) -> None:
    draft = _draft(_video(), _bgm(), width=1080, height=1920)
    _, out = _render(draft, media, music, tmp_path, quality="preview")
    with av.open(str(out)) as c:
        v = c.streams.video[0]
        assert (v.width, v.height) == (202, 360)
    assert abs(_duration(out) - CLIP_MS / 1000) < 0.1


def test_clips_stills_and_gaps_are_joined_in_timeline_order(media, music, tmp_path) -> None:
    draft = _draft(
        _video({"src": "clip", "st": 0, "d": 1000, "in": 2000},
               {"src": "still", "st": 1500, "d": 1000},
               {"src": "mute", "st": 2500, "d": 1500}),
        _bgm(),
    )
    plan, out = _render(draft, media, music, tmp_path)
    assert plan.reencode_video and "concat=n=4" in plan.video[0].filter_complex
    # the still is read once and repeated in the graph (fitted once, not once per frame)
    assert plan.video[0].inputs[1][:1] == ["-i"] and "loop=loop=29:size=1" in plan.video[0].filter_complex
    assert abs(_duration(out) - 4.0) < 0.1
    with av.open(str(out)) as c:
        assert (c.streams.video[0].width, c.streams.video[0].height) == (640, 360)
    assert np.abs(_frame(out, 0.5) - _frame(media["clip"].path, 2.5)).mean() < 6  # cut from its in-point
    assert _frame(out, 1.25).max() < 40  # the gap is black
    assert _frame(out, 2.0).std() > 20  # the still is there


def test_a_clip_shorter_than_its_segment_holds_its_last_frame(media, music, tmp_path) -> None:
    plan, out = _render(_draft(_video({"src": "clip", "st": 0, "d": 5000}), _bgm(d=5000)), media, music, tmp_path)
    assert plan.reencode_video and "tpad" in plan.video[0].filter_complex
    assert abs(_duration(out) - 5.0) < 0.1
    assert np.abs(_frame(out, 4.8) - _frame(media["clip"].path, 3.95)).mean() < 6


def test_clip_without_sound_gets_music_alone(media, music, tmp_path) -> None:
    draft = _draft(_video({"src": "mute", "st": 0, "d": 3000}), _bgm(d=3000, v=50), loudness=-14)
    plan, out = _render(draft, media, music, tmp_path)
    assert not plan.reencode_video
    assert abs(_duration(out) - 3.0) < 0.1
    assert _band_db(_audio(out), MUSIC_HZ, (1.0, 2.0)) > _band_db(_audio(out), 2 * MUSIC_HZ + 50, (1.0, 2.0)) + 30


def test_music_only_draft_renders_over_black(media, music, tmp_path) -> None:
    _, out = _render(_draft(_bgm(d=1000)), media, music, tmp_path)
    with av.open(str(out)) as c:
        assert (c.streams.video[0].width, c.streams.video[0].height) == (1920, 1080)
        assert c.streams.audio
    assert abs(_duration(out) - 1.0) < 0.1
    assert _frame(out, 0.5).max() < 20


def test_broken_input_raises_a_readable_error(sources, music, tmp_path) -> None:
    fake = {"b": MediaInfo(sources["broken.mp4"], "video", 4000, 640, 360, 30.0, True, True, "h264", "aac")}
    plan = _plan(_draft(_video({"src": "b", "st": 0, "d": 4000}), _bgm()), fake, music, tmp_path)
    with pytest.raises(RenderError) as caught:
        asyncio.run(run_render(plan))
    message = str(caught.value)
    assert message.startswith("Rendering failed") and "broken.mp4" in message
    assert len(message) < 1500 and message.count("\n") == 0
    assert not plan.output.exists()


async def test_cancel_stops_ffmpeg_and_removes_the_partial_file(media, music, tmp_path, monkeypatch) -> None:
    started: list[asyncio.subprocess.Process] = []
    real_exec = asyncio.create_subprocess_exec

    async def spy(*args: Any, **kw: Any) -> asyncio.subprocess.Process:
        proc = await real_exec(*args, **kw)
        started.append(proc)
        return proc

    monkeypatch.setattr(asyncio, "create_subprocess_exec", spy)
    # a long still on a tall canvas: slow enough to be caught mid-render
    draft = _draft(_video({"src": "still", "st": 0, "d": 600_000}), width=1080, height=1920)
    plan = _plan(draft, media, music, tmp_path)
    picture = Path(plan.video[0].output)
    seen: list[float] = []
    task = asyncio.create_task(run_render(plan, seen.append))
    for _ in range(200):
        await asyncio.sleep(0.05)
        if seen and picture.exists():
            break
    assert seen and picture.exists(), "ffmpeg never got going"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert started
    for proc in started:
        assert proc.returncode is not None and proc.returncode != -signal.SIGKILL  # asked, not killed
        with pytest.raises(ProcessLookupError):
            os.kill(proc.pid, 0)
    assert not plan.output.exists()
    assert not any(path.exists() for path in plan.temp_files)  # no intermediate file left behind
