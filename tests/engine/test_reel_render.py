"""Reels and the user's own song, read back from rendered files with PyAV (issue 9).

Several generated clips of different sizes, frame rates, pixel formats, pixel shapes, rotation and
sound layouts make one reel whose length is the timeline's to the frame; crossfades are blends
where the draft asks for them and hard cuts where it does not; stills of every image format show
for their length, one slowly zooming; a generated song longer and shorter than the video is cut
or looped to end with the video; a reel synced with beatsync has its cuts on the song's beats.
Measured figures are printed (run with -s to see them).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from addmusic.engine.analysis.beats import BeatAnalysis, analyse_file
from addmusic.engine.analysis.scenes import detect_cuts
from addmusic.engine.beatsync import ClipSpan, snap_to_beats
from addmusic.engine.media import MediaInfo, probe
from addmusic.engine.render import build_plan, run_render
from addmusic.engine.render import song as song_fit
from addmusic.engine.songfit import plan_fit
from addmusic.protocol.draft import Draft

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "analysis"))
from songgen import make_song, write_wav  # noqa: E402

from conftest import run_ffmpeg

SR = 48000
BPM = 112.0  # beats that do not fall on the 30 fps frame grid


def _clip(path: Path, colour: str, size: str, fps: str, seconds: float, audio: list[str] | None,
          extra: tuple[str, ...] = (), post: str = "") -> Path:
    """A clip of one colour with a small moving square (so the encoder sees motion) and a tone."""
    graph = (f"color=c={colour}:s={size}:r={fps}:d={seconds}[bg];color=c=white:s=16x16:r={fps}[sq];"
             f"[bg][sq]overlay=x='mod(t*40,64)':y=4:shortest=1{post}[v]")
    inputs: list[str] = []
    maps = ["-map", "[v]"]
    if audio:
        inputs += ["-f", "lavfi", "-i", audio[0]]
        graph += f";[0:a]{audio[1]}[a]"
        maps += ["-map", "[a]", "-c:a", "aac"]
    run_ffmpeg(*inputs, "-filter_complex", graph, *maps, "-c:v", "libx264", "-preset", "ultrafast", *extra,
            "-t", str(seconds), str(path))
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("reel-src")
    out = {
        # 640x360 30 fps, stereo 48 kHz, 440 Hz
        "wide": _clip(d / "wide.mp4", "red", "640x360", "30", 4,
                      ["sine=f=440:r=48000:d=4", "aformat=channel_layouts=stereo"]),
        # square 25 fps yuv444p, mono 44.1 kHz, 660 Hz
        "square": _clip(d / "square.mp4", "green", "480x480", "25", 4,
                        ["sine=f=660:r=44100:d=4", "aformat=channel_layouts=mono"], ("-pix_fmt", "yuv444p")),
        # anamorphic 720x480 with 32:27 pixels (shown 16:9), 24 fps, no sound
        "anamorphic": _clip(d / "anamorphic.mp4", "yellow", "720x480", "24", 4, None, post=",setsar=32/27"),
        # red, blue, lime and magenta 320x180 30 fps for crossfades and syncing, each with its own tone
        **{name: _clip(d / f"{name}.mp4", colour, "320x180", "30", 4,
                       [f"sine=f={hz}:r=48000:d=4", "aformat=channel_layouts=stereo"])
           for name, colour, hz in (("r", "red", 440), ("g", "lime", 660), ("b", "blue", 990), ("m", "magenta", 550))},
    }
    # a phone clip: stored 640x360 top red / bottom blue, 29.97 fps, 5.1 sound at 880 Hz, with a
    # display matrix that turns it upright (shown 360x640, the halves side by side)
    stored = d / "stored.mp4"
    run_ffmpeg("-f", "lavfi", "-i", "color=c=red:s=640x180:r=30000/1001:d=4", "-f", "lavfi", "-i",
            "color=c=blue:s=640x180:r=30000/1001:d=4", "-f", "lavfi", "-i", "sine=f=880:r=48000:d=4",
            "-filter_complex", "[0:v][1:v]vstack[v];[2:a]aformat=channel_layouts=5.1[a]", "-map", "[v]", "-map", "[a]",
            "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-t", "4", str(stored))
    out["phone"] = d / "phone.mp4"
    run_ffmpeg("-display_rotation", "90", "-i", str(stored), "-c", "copy", str(out["phone"]))
    # stills: 400x300 (4:3), a distinct colour each with a white square in the middle
    for ext, colour in (("jpg", "orange"), ("png", "purple"), ("webp", "teal"), ("gif", "navy")):
        run_ffmpeg("-f", "lavfi", "-i", f"color=c={colour}:s=400x300", "-vf",
                "drawbox=x=160:y=110:w=80:h=80:c=white:t=fill", "-frames:v", "1", str(d / f"still.{ext}"))
        out[ext] = d / f"still.{ext}"
    return out


def _draft(videos: list[dict], audios: list[dict] | None = None, **meta: Any) -> Draft:
    tracks = [{"tt": 0, "sg": videos}]
    if audios:
        tracks.append({"tt": 1, "sg": audios})
    return Draft.from_json({"t": tracks, "m": meta})


def _render(draft: Draft, media: dict[str, MediaInfo], tmp_path: Path, **kw: Any):
    plan = build_plan(draft, media, {}, tmp_path / "out.mp4", workdir=tmp_path / "work", **kw)
    asyncio.run(run_render(plan))
    return plan, plan.output


def _frames(path: Path) -> tuple[list[np.ndarray], list[float], float]:
    """Every frame as RGB (decoding must not fail), their times, and the stream's frame rate."""
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        frames, times = [], []
        for frame in c.decode(stream):
            frames.append(frame.to_ndarray(format="rgb24").astype(np.float32))
            times.append(float(frame.time))
        return frames, times, float(stream.average_rate)


def _sound(path: Path, rate: int = SR) -> np.ndarray:
    with av.open(str(path)) as c:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        return np.concatenate([f.to_ndarray().reshape(-1) for fr in c.decode(audio=0) for f in resampler.resample(fr)])


def _lengths(path: Path) -> tuple[float, float]:
    """Video length (last frame's time + one frame) and audio length (decoded samples), seconds."""
    _, times, fps = _frames(path)
    return times[-1] + 1 / fps, len(_sound(path)) / SR


def _band_db(samples: np.ndarray, hz: float, span: tuple[float, float]) -> float:
    part = samples[int(span[0] * SR): int(span[1] * SR)]
    spectrum = np.abs(np.fft.rfft(part * np.hanning(part.size)))
    freqs = np.fft.rfftfreq(part.size, 1 / SR)
    return float(20 * np.log10(np.sqrt(np.sum(spectrum[(freqs > hz * 0.97) & (freqs < hz * 1.03)] ** 2)) + 1e-9))


def _rms(samples: np.ndarray, start: float, end: float) -> float:
    part = samples[int(start * SR): int(end * SR)]
    return float(np.sqrt(np.mean(part ** 2))) if part.size else 0.0


# -- several clips ------------------------------------------------------------------------------


def test_mixed_clips_make_one_reel_of_exactly_the_timeline(clips, tmp_path) -> None:
    media = {k: probe(clips[k]) for k in ("wide", "square", "phone", "anamorphic")}
    # odd lengths, so per-clip rounding would drift; the first clip from 0.3 s into its media
    spans = [("wide", 1234, 300), ("square", 1567, 0), ("phone", 1411, 500), ("anamorphic", 1388, 0)]
    videos, t = [], 0
    for src, d, media_in in spans:
        videos.append({"src": src, "st": t, "d": d, "in": media_in})
        t += d
    plan, out = _render(_draft(videos), media, tmp_path)
    assert plan.mode == "encode"
    frames, times, fps = _frames(out)
    with av.open(str(out)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        assert (v.codec_context.name, v.codec_context.pix_fmt, v.width, v.height) == ("h264", "yuv420p", 640, 360)
        assert v.sample_aspect_ratio in (None, 0, 1)
        assert (a.codec_context.name, a.rate, a.channels) == ("aac", SR, 2)
    assert fps == 30
    assert len(frames) == round(t / 1000 * 30)  # every frame decoded, exactly the timeline's count
    video_s, audio_s = _lengths(out)
    print(f"\nreel of 4 mixed clips: timeline {t / 1000:.3f} s, video {video_s:.4f} s, audio {audio_s:.4f} s")
    assert abs(video_s - t / 1000) < 1e-3 and abs(audio_s - t / 1000) <= 1 / 30
    # no black frame anywhere: in every frame most pixels are lit
    assert min(float((f.max(axis=2) > 60).mean()) for f in frames) > 0.9
    # the cuts sit on the timeline's frame grid
    bounds = np.cumsum([d for _, d, _ in spans])[:-1] / 1000
    cuts = detect_cuts(out).cuts
    print("cuts in the file", cuts, "expected", [round(round(b * 30) / 30, 4) for b in bounds])
    assert len(cuts) == 3 and max(abs(c - round(b * 30) / 30) for c, b in zip(cuts, bounds, strict=True)) < 1e-3

    def frame_at(sec: float) -> np.ndarray:
        return frames[int(sec * 30)]

    mids = [(sum(d for _, d, _ in spans[:i]) + spans[i][1] / 2) / 1000 for i in range(4)]
    wide, square, phone, anamorphic = (frame_at(m) for m in mids)
    assert wide[180, 320].tolist() == pytest.approx([254, 0, 0], abs=12)
    assert square[180, 320].tolist() == pytest.approx([0, 128, 0], abs=12) and square[180, 20].mean() < 100  # blur fill
    # upright: the stored top half (red) is on one side of the picture, the bottom half (blue) on the other
    left, right = phone[180, 320 - 50], phone[180, 320 + 50]
    assert {int(np.argmax(left)), int(np.argmax(right))} == {0, 2}
    assert np.abs(phone[60, 320 - 50] - phone[300, 320 - 50]).max() < 12  # same colour top to bottom
    # 32:27 pixels make 720x480 a 16:9 picture: it fills the frame edge to edge, no fill
    assert np.abs(anamorphic[180, 4] - anamorphic[180, 320]).max() < 12
    # every clip's own sound in its own stretch, whatever its layout; the silent clip is silent
    sound = _sound(out)
    for (src, _, _), mid, hz in zip(spans, mids, (440, 660, 880, None), strict=True):
        span = (mid - 0.25, mid + 0.25)
        if hz is None:
            assert _rms(sound, *span) < 1e-3
        else:
            others = max(_band_db(sound, f, span) for f in (440, 660, 880) if f != hz)
            assert _band_db(sound, hz, span) > others + 30, src


def _colour_share(frame: np.ndarray, a: int, b: int) -> float:
    """How far a frame's centre is from colour channel a towards channel b (0 = all a, 1 = all b)."""
    centre = frame[40:140, 100:220].reshape(-1, 3).mean(axis=0)
    return float(centre[b] / max(1.0, centre[a] + centre[b]))


def test_crossfades_blend_over_the_overlap_and_hard_cuts_do_not(clips, tmp_path) -> None:
    media = {k: probe(clips[k]) for k in ("r", "g", "b")}
    # xf 500: each clip starts 0.5 s before the previous one ends
    faded = _draft([{"src": "r", "st": 0, "d": 2000}, {"src": "g", "st": 1500, "d": 2000},
                    {"src": "b", "st": 3000, "d": 2000}], xf=500)
    _, out = _render(faded, media, tmp_path / "faded")
    frames, times, _ = _frames(out)
    assert len(frames) == 150
    overlap = [_colour_share(f, 0, 1) for f, t in zip(frames, times, strict=True) if 1.5 <= t < 2.0]
    print("\nred→green share over the 0.5 s crossfade:", [round(s, 2) for s in overlap])
    assert len(overlap) == 15 and all(np.diff(overlap) > 0)  # a blend that moves from one to the other
    assert 0.3 < overlap[7] < 0.7
    assert _colour_share(frames[int(1.45 * 30)], 0, 1) < 0.02 and _colour_share(frames[int(2.05 * 30)], 0, 1) > 0.98
    # no jump: each frame of the fade moves a fifteenth of the way, give or take
    assert max(np.diff([_colour_share(f, 0, 1) for f in frames[40:70]])) < 0.1
    sound = _sound(out)
    both = (_band_db(sound, 440, (1.65, 1.85)), _band_db(sound, 660, (1.65, 1.85)))
    assert abs(both[0] - both[1]) < 6  # both sounds, about equally, mid-crossfade
    assert _band_db(sound, 440, (1.1, 1.4)) > _band_db(sound, 660, (1.1, 1.4)) + 30

    hard = _draft([{"src": "r", "st": 0, "d": 2000}, {"src": "g", "st": 2000, "d": 2000},
                   {"src": "b", "st": 4000, "d": 1000}])
    _, out = _render(hard, media, tmp_path / "hard")
    frames, times, _ = _frames(out)
    assert len(frames) == 150
    assert _colour_share(frames[59], 0, 1) < 0.02 and _colour_share(frames[60], 0, 1) > 0.98
    assert detect_cuts(out).cuts == pytest.approx([2.0, 4.0], abs=1e-3)
    sound = _sound(out)
    assert _band_db(sound, 440, (1.8, 1.98)) > _band_db(sound, 660, (1.8, 1.98)) + 30
    assert _band_db(sound, 660, (2.02, 2.2)) > _band_db(sound, 440, (2.02, 2.2)) + 30


def test_stills_of_every_format_show_for_their_length_and_one_zooms(clips, tmp_path) -> None:
    media = {k: probe(clips[k]) for k in ("r", "jpg", "png", "webp", "gif")}
    assert all(media[k].kind == "image" for k in ("jpg", "png", "webp", "gif"))
    videos = [{"src": "r", "st": 0, "d": 1000}]
    for i, k in enumerate(("jpg", "png", "webp", "gif")):
        videos.append({"src": k, "st": 1000 * (i + 1), "d": 1000, **({"zoom": True} if k == "png" else {})})
    plan, out = _render(_draft(videos), media, tmp_path)
    assert plan.video[0].filter_complex.count("zoompan") == 1
    frames, _, _ = _frames(out)
    assert len(frames) == 150
    expected = {"jpg": (255, 165, 0), "png": (128, 0, 128), "webp": (0, 128, 128), "gif": (0, 0, 128)}
    for i, k in enumerate(("jpg", "png", "webp", "gif")):
        first, last = frames[30 * (i + 1)], frames[30 * (i + 1) + 29]
        assert first[60, 160].tolist() == pytest.approx(list(expected[k]), abs=20), k  # the image, not black
        white_first, white_last = (first.min(axis=2) > 200).sum(), (last.min(axis=2) > 200).sum()
        if k == "png":
            ratio = white_last / white_first
            print(f"\nzoom: the white square grows {ratio:.3f}x over the still (1.08^2 = 1.166 asked)")
            assert 1.12 < ratio < 1.22
        else:
            # a still stays still (up to the encoder's own noise: ultrafast, the full re-encode's
            # preset, moves a few pixels of a flat area by up to ~10 levels)
            assert np.abs(first - last).mean() < 0.5 and np.abs(first - last).max() <= 16, k


def test_transparent_pixels_of_a_still_are_black_not_the_colour_they_hide(tmp_path) -> None:
    pixels = np.zeros((300, 400, 4), np.uint8)
    pixels[..., 0] = 255  # fully transparent red
    pixels[110:190, 160:240] = 255  # an opaque white square
    raw = tmp_path / "sticker.rgba"
    raw.write_bytes(pixels.tobytes())
    sticker = tmp_path / "sticker.png"
    run_ffmpeg("-f", "rawvideo", "-pix_fmt", "rgba", "-s", "400x300", "-i", str(raw), "-frames:v", "1", str(sticker))
    _, out = _render(_draft([{"src": "s", "st": 0, "d": 500}]), {"s": probe(sticker)}, tmp_path)
    frames, _, _ = _frames(out)
    assert frames[5][20, 20].max() < 20 and frames[5][150, 200].min() > 230


# -- the user's song --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def songs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("songs")
    long, short = make_song(BPM, 16), make_song(BPM, 4)  # 32 s and 8 s of bars, then a 1.5 s tail
    out = {"long": write_wav(d / "long.wav", long.samples, long.sample_rate), "long_song": long,
           "short": write_wav(d / "short.wav", short.samples, short.sample_rate), "short_song": short}
    for seconds in (10, 20):
        out[f"video{seconds}"] = d / f"video{seconds}.mp4"
        run_ffmpeg("-f", "lavfi", "-i", f"testsrc2=s=320x180:r=30:d={seconds}", "-c:v", "libx264", "-preset",
                "ultrafast", "-g", "30", str(out[f"video{seconds}"]))
    return out


def _song_time(heard: np.ndarray, song: np.ndarray, rate: int, t: float, window: float = 0.5) -> float:
    """Which time of the song is heard at output time `t`: the lag of best correlation of a
    window of the output against the whole song (by FFT)."""
    part = heard[int(t * rate): int((t + window) * rate)]
    n = 1 << int(np.ceil(np.log2(len(song) + len(part))))
    corr = np.fft.irfft(np.fft.rfft(song, n) * np.conj(np.fft.rfft(part, n)), n)[: len(song) - len(part)]
    energy = np.concatenate([[0.0], np.cumsum(song.astype(np.float64) ** 2)])
    norm = np.sqrt(energy[len(part):len(part) + len(corr)] - energy[:len(corr)]) + 1e-9
    return float(np.argmax(corr / norm)) / rate


def _song_draft(video_s: int, song: str, **music: Any) -> Draft:
    return _draft([{"src": "v", "st": 0, "d": video_s * 1000}], [{"src": song, "st": 0, "d": video_s * 1000, **music}])


def _fade_gains(heard: np.ndarray, song: np.ndarray, rate: int, song_time: Any, end: float) -> list[float]:
    """The music's gain over the last 0.3 s in 0.1 s blocks, then over the last 20 ms: the level
    heard against the song's own level at the song time heard, relative to the gain 3-4 s before
    the end (the master's gain; the song's own loudness changes from beat to beat)."""

    def gain(start: float, length: float) -> float:
        a = heard[int(start * rate): int((start + length) * rate)]
        at = int(song_time(start) * rate)
        b = song[at: at + len(a)]
        return float(np.sqrt(np.mean(a ** 2)) / (np.sqrt(np.mean(b ** 2)) + 1e-9))

    reference = gain(end - 4.0, 1.0)
    blocks = [end - 0.3 + 0.1 * i for i in range(3)]
    return [gain(t, 0.1) / reference for t in blocks] + [gain(end - 0.02, 0.02) / reference]


def _assert_fades_out(gains: list[float]) -> None:
    assert gains[0] > gains[1] > gains[2] > gains[3] and gains[0] < 0.5 and gains[3] < 0.01


def test_a_longer_song_is_cut_with_a_fade_ending_on_the_last_frame(songs, tmp_path) -> None:
    media = {"v": probe(songs["video10"]), "s": probe(songs["long"])}
    plan, out = _render(_song_draft(10, "s", **{"in": 2000}), media, tmp_path)
    assert [(f.start_ms, f.length_ms, f.mode) for f in plan.songs] == [(2000, 10000, "loop")]
    video_s, audio_s = _lengths(out)
    fit = plan_fit(analyse_file(songs["long"]), 10.0, start=2.0, mode="loop")
    truth = songs["long_song"]
    heard = _sound(out, truth.sample_rate)
    gains = _fade_gains(heard, truth.samples, truth.sample_rate, lambda t: 2.0 + t, 10.0)
    _assert_fades_out(gains)
    downbeat_error = np.min(np.abs(truth.downbeats - 2.0 - fit.fade_start))
    print(f"\nlonger song: video {video_s:.4f} s, audio {audio_s:.4f} s (timeline 10 s); fade from "
          f"{fit.fade_start:.3f} s, {downbeat_error * 1000:.1f} ms from a true downbeat, {fit.phrase_bars} bars in; "
          f"gain over the last 0.3 s (0.1 s blocks) and last 20 ms: {np.round(gains, 4).tolist()}")
    assert fit.mode == "cut" and downbeat_error < 0.03
    assert abs(video_s - 10.0) < 1e-3 and abs(audio_s - 10.0) <= 1 / 30
    # the in-point: what is heard at t is the song at 2 s + t
    errors = np.array([_song_time(heard, truth.samples, truth.sample_rate, t) - 2.0 - t for t in (0.2, 3.1, 6.3)])
    print(f"in-point read back from the file: errors {(errors * 1000).round(2).tolist()} ms")
    assert np.abs(errors).max() < 0.002


def test_a_shorter_song_loops_on_bars_and_ends_with_the_video(songs, tmp_path) -> None:
    media = {"v": probe(songs["video20"]), "s": probe(songs["short"])}
    _, out = _render(_song_draft(20, "s"), media, tmp_path)
    video_s, audio_s = _lengths(out)
    fit = plan_fit(analyse_file(songs["short"]), 20.0, mode="loop")
    truth = songs["short_song"]
    heard = _sound(out, truth.sample_rate)
    gains = _fade_gains(heard, truth.samples, truth.sample_rate, fit.song_time, 20.0)
    _assert_fades_out(gains)
    seams = [p.src for p in fit.pieces[1:]] + [p.src + p.length for p in fit.pieces[:-1]]
    seam_error = max(float(np.min(np.abs(truth.downbeats - s))) for s in seams)
    # read back: the song time heard in the file is where the plan puts it, either side of every seam
    probes = sorted({t for p in fit.pieces for t in (p.dst + 0.1, p.dst + p.length - 0.7)
                     if 0 <= t < fit.fade_start - 0.5})
    errors = np.array([_song_time(heard, truth.samples, truth.sample_rate, t) - fit.song_time(t) for t in probes])
    print(f"\nshorter song: video {video_s:.4f} s, audio {audio_s:.4f} s (timeline 20 s); {fit.loops} loops, seams "
          f"within {seam_error * 1000:.1f} ms of a true downbeat; song time heard vs planned at {len(probes)} "
          f"points either side of the seams: max error {np.abs(errors).max() * 1000:.2f} ms; fade gains "
          f"{np.round(gains, 4).tolist()}")
    assert fit.loops >= 2 and seam_error < 0.03
    assert abs(video_s - 20.0) < 1e-3 and abs(audio_s - 20.0) <= 1 / 30
    assert np.abs(errors).max() < 0.002


def test_a_shorter_song_can_end_early_and_the_video_keeps_its_length(songs, tmp_path) -> None:
    media = {"v": probe(songs["video20"]), "s": probe(songs["short"])}
    _, out = _render(_song_draft(20, "s", fit="end_early"), media, tmp_path)
    video_s, _ = _lengths(out)
    sound = _sound(out)
    fit = plan_fit(analyse_file(songs["short"]), 20.0, mode="end_early")
    print(f"\nend early: song ends at {fit.fade_end:.2f} s, video {video_s:.4f} s")
    assert abs(video_s - 20.0) < 1e-3
    assert _rms(sound, fit.fade_end + 0.1, 20.0) < 1e-4 and _rms(sound, 2.0, 4.0) > 0.05
    assert _rms(sound, fit.fade_end - 0.1, fit.fade_end) < 0.1 * _rms(sound, 2.0, 4.0)


def test_an_unknown_fit_is_refused_in_words(songs, tmp_path) -> None:
    media = {"v": probe(songs["video10"]), "s": probe(songs["long"])}
    with pytest.raises(Exception, match="Unknown song fit"):
        build_plan(_song_draft(10, "s", fit="stretch"), media, {}, tmp_path / "o.mp4", workdir=tmp_path)


def test_fitted_songs_are_cached_and_a_sidecar_analysis_is_used(songs, tmp_path, monkeypatch) -> None:
    from addmusic.protocol.draft import Segment

    source = tmp_path / "mine.wav"
    source.write_bytes(songs["short"].read_bytes())
    analysis = analyse_file(source)
    (tmp_path / ("mine.wav" + song_fit.SIDECAR_SUFFIX)).write_text(json.dumps(analysis.to_json()))

    def no_analysis(path: Any) -> BeatAnalysis:
        raise AssertionError("analysed although the sidecar is there")

    monkeypatch.setattr(song_fit, "analyse_file", no_analysis)
    seg = Segment(src="s", duration=12000, source_in=500)
    fit = song_fit.plan_song(seg, source, 12000, tmp_path / "cache")
    plan = song_fit.prepare(fit)
    assert plan is not None and fit.output.is_file()
    with av.open(str(fit.output)) as c:
        assert c.streams.audio[0].frames == 12 * SR or sum(f.samples for f in c.decode(audio=0)) == 12 * SR
    stamp = fit.output.stat().st_mtime_ns
    again = song_fit.plan_song(seg, source, 12000, tmp_path / "cache")
    assert again.output == fit.output and song_fit.prepare(again) is None and fit.output.stat().st_mtime_ns == stamp
    other = song_fit.plan_song(Segment(src="s", duration=12000, source_in=1000), source, 12000, tmp_path / "cache")
    assert other.output != fit.output


# -- cut to the beat ---------------------------------------------------------------------------


def test_a_synced_reel_cuts_on_the_songs_beats_in_the_rendered_file(clips, songs, tmp_path) -> None:
    media = {k: probe(clips[k]) for k in ("r", "g", "b", "m")}
    media["s"] = probe(songs["long"])
    beats = analyse_file(songs["long"]).beats  # what the engine knows of the song
    lengths = (2.37, 2.21, 2.64, 2.28)
    spans, t = [], 0.0
    for d in lengths:
        spans.append(ClipSpan(start=t, duration=d, media_in=0.6, media_duration=4.0))
        t += d
    synced, moves = snap_to_beats(spans, beats, fps=30)
    assert all(m.beat is not None for m in moves)
    videos = [{"src": k, "st": round(c.start * 1000), "d": round(c.duration * 1000), "in": round(c.media_in * 1000)}
              for k, c in zip(("r", "g", "b", "m"), synced, strict=True)]
    end = videos[-1]["st"] + videos[-1]["d"]
    draft = _draft(videos, [{"src": "s", "st": 0, "d": end}], sync=True)
    _, out = _render(draft, media, tmp_path)
    cuts = np.asarray(detect_cuts(out).cuts)
    truth = songs["long_song"].beats  # the song plays from 0: its true beats are the file's beats
    offsets = np.array([float(np.min(np.abs(truth - c))) for c in cuts])
    before = [float(np.min(np.abs(truth - b))) for b in np.cumsum(lengths)[:-1]]
    print(f"\nsynced reel: cuts in the file {cuts.round(4).tolist()}, off the true beats by "
          f"{(offsets * 1000).round(1).tolist()} ms (before syncing {np.round(before, 3).tolist()} s)")
    assert len(cuts) == 3
    assert offsets.max() < 0.5 * 60 / BPM  # the issue's bar: within a beat (snap allows half)
    assert offsets.max() < 1 / 30 + 0.02  # in fact: to the frame, plus the analysis's own error


def test_a_videos_own_sound_can_be_the_music_and_an_m4a_song_fits_too(clips, songs, tmp_path) -> None:
    m4a = tmp_path / "short.m4a"
    run_ffmpeg("-i", str(songs["short"]), "-c:a", "aac", "-b:a", "160k", str(m4a))
    media = {"v": probe(songs["video20"]), "wide": probe(clips["wide"]), "song": probe(m4a)}
    # the 4 s clip's 440 Hz tone, looped under 20 s (no beat in it: plain-time loops and fade)
    plan, out = _render(_song_draft(20, "wide"), media, tmp_path / "clip-sound")
    assert plan.songs[0].source == clips["wide"]
    video_s, audio_s = _lengths(out)
    sound = _sound(out)
    levels = [_band_db(sound, 440, (t, t + 0.5)) for t in np.arange(0.5, 17.0, 0.5)]
    print(f"\na clip's sound as the music: video {video_s:.4f} s, audio {audio_s:.4f} s, 440 Hz level "
          f"{min(levels):.1f}..{max(levels):.1f} dB over 0.5-17 s")
    assert abs(video_s - 20.0) < 1e-3 and abs(audio_s - 20.0) <= 1 / 30
    assert max(levels) - min(levels) < 6  # the tone all along, looped without holes
    assert _rms(sound, 19.98, 20.0) < 0.01 * _rms(sound, 10.0, 11.0)
    # a compressed song: the same length, the same seams as the WAV it was made from
    _, out = _render(_song_draft(20, "song"), media, tmp_path / "m4a")
    fit = plan_fit(analyse_file(m4a), 20.0, mode="loop")
    truth = songs["short_song"]
    heard = _sound(out, truth.sample_rate)
    probes = [t for p in fit.pieces for t in (p.dst + 0.1, p.dst + p.length - 0.7) if 0 <= t < fit.fade_start - 0.5]
    errors = np.array([_song_time(heard, truth.samples, truth.sample_rate, t) - fit.song_time(t) for t in probes])
    print(f"m4a song: song time heard vs planned, max error {np.abs(errors).max() * 1000:.2f} ms")
    assert abs(_lengths(out)[0] - 20.0) < 1e-3 and np.abs(errors).max() < 0.002


# -- the plan alone (no ffmpeg) -----------------------------------------------------------------


def _info(path: str, kind: str = "video", ms: int = 10_000) -> MediaInfo:
    return MediaInfo(path=Path(path), kind=kind, duration_ms=ms, width=640, height=360, fps=30.0,
                     has_audio=True, has_video=True, video_codec="h264", audio_codec="aac")


def test_pieces_keep_crossfades_shorter_than_either_clip_and_add_up_to_the_timeline() -> None:
    from addmusic.engine.render import reel
    from addmusic.protocol.draft import Segment

    media = {k: _info(f"/nonexistent/{k}.mp4") for k in "abc"}
    segs = [Segment(src="a", start=0, duration=2000), Segment(src="b", start=1500, duration=600),
            Segment(src="c", start=1700, duration=2000)]
    pieces = reel.pieces(segs, media, 4000, crossfade=True)
    assert [(p.start, p.duration, p.overlap) for p in pieces] == [(0, 2000, 0), (1500, 600, 500), (2001, 1699, 99),
                                                                  (3700, 300, 0)]
    # b is crossfaded in over 500 ms and has only 100 ms left: c's fade is cut to what b has
    # after its own (the fades never overlap each other), and c starts later in its media by as
    # much as it starts later on the timeline; black fills the timeline after c
    assert pieces[2].segment.source_in == 301
    assert reel.crossfade_ms({"xf": 5000}) == 2000 and reel.crossfade_ms({"xf": "x"}) == 0
    assert reel.crossfade_ms({}) == 0 and reel.crossfade_ms({"xf": True}) == 0
    fps = reel.Fraction(30000, 1001)
    hard = reel.pieces(segs, media, 4000, crossfade=False)
    frames = [reel.frame_at(p.end, fps) - reel.frame_at(p.start, fps) for p in hard]
    assert sum(frames) == reel.frame_at(4000, fps)
