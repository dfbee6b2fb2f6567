"""What every export guarantees, measured on rendered files: the formats, the master (loudness and
true peak with ffmpeg's ebur128), ducking under real synthetic speech, and titles that stay
inside the safe area on rendered frames."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import av
import imageio_ffmpeg
import numpy as np
import pytest

from addmusic.engine.media import MediaInfo, probe
from addmusic.engine.render import RenderError, build_plan, run_render
from addmusic.protocol.draft import Draft
from conftest import FFMPEG, run_ffmpeg

MUSIC_HZ = 300


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("output-src")
    paths = {k: d / k for k in ("hevc.mp4", "small.mp4", "music.wav", "speech.mp4", "speech.wav")}
    run_ffmpeg("-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=2", "-f", "lavfi", "-i", "sine=f=500:d=2",
            "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=none", "-tag:v", "hvc1",
            "-c:a", "aac", "-shortest", str(paths["hevc.mp4"]))
    run_ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=2", "-c:v", "libx264", "-preset", "ultrafast",
            str(paths["small.mp4"]))
    # music: a loud chord with drum-like clicks, so the limiter has peaks to hold
    run_ffmpeg("-f", "lavfi", "-i",
            f"aevalsrc='0.3*sin(2*PI*{MUSIC_HZ}*t)+0.2*sin(2*PI*450*t)+0.5*exp(-30*mod(t,0.5))*sin(2*PI*90*t)'"
            ":s=48000:d=8", "-ac", "2", str(paths["music.wav"]))
    # a clip whose own sound is speech from 1.0 s to about 3 s, silence around it
    if shutil.which("espeak-ng"):
        subprocess.run(["espeak-ng", "-w", str(paths["speech.wav"]), "-s", "150",
                        "Hello there, this is a test of ducking under speech."], check=True)
        speech_input = ["-i", str(paths["speech.wav"])]
    else:  # a speech-like stand-in: a buzzy 140 Hz voice with syllable-rate bursts
        speech_input = ["-f", "lavfi", "-i",
                        "aevalsrc='0.3*sgn(sin(2*PI*140*t))*gt(sin(2*PI*4*t),0)':s=22050:d=2.5"]
    run_ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x180:r=30:d=6", *speech_input,
            "-filter_complex", "[1:a]adelay=1000:all=1,apad,atrim=duration=6,aresample=48000[a]",
            "-map", "0:v", "-map", "[a]", "-c:v", "libx264", "-preset", "ultrafast", "-g", "30",
            "-c:a", "aac", "-b:a", "160k", str(paths["speech.mp4"]))
    return paths


def _draft(*tracks: dict[str, Any], **meta: Any) -> Draft:
    return Draft.from_json({"t": list(tracks), "m": meta})


def _render(draft: Draft, media: dict[str, MediaInfo], music: dict[str, Path], tmp_path: Path, **kw: Any) -> Path:
    plan = build_plan(draft, media, music, tmp_path / "out.mp4", workdir=tmp_path / "work", **kw)
    asyncio.run(run_render(plan))
    assert not any(p.exists() for p in plan.temp_files)
    return plan.output


def _loudness(path: Path) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) of the file's sound, by ffmpeg's ebur128."""
    done = subprocess.run([FFMPEG, "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a",
                           "-af", "ebur128=peak=true", "-f", "null", "-"], capture_output=True, text=True)
    summary = done.stderr[done.stderr.rfind("Summary:"):]
    i = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))
    return i, peak


def _audio(path: Path, layout: str = "mono") -> np.ndarray:
    with av.open(str(path)) as c:
        resampler = av.AudioResampler(format="flt", layout=layout, rate=48000)
        return np.concatenate([f.to_ndarray().reshape(-1) for fr in c.decode(audio=0) for f in resampler.resample(fr)])


def _band_db(samples: np.ndarray, hz: float, span: tuple[float, float]) -> float:
    part = samples[int(span[0] * 48000): int(span[1] * 48000)]
    spectrum = np.abs(np.fft.rfft(part * np.hanning(part.size)))
    freqs = np.fft.rfftfreq(part.size, 1 / 48000)
    band = spectrum[(freqs > hz * 0.97) & (freqs < hz * 1.03)]
    return 20 * np.log10(np.sqrt(np.sum(band**2)) + 1e-9)


def _mp4_layout(path: Path) -> list[str]:
    data, boxes, pos = path.read_bytes(), [], 0
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos:pos + 4], "big")
        boxes.append(data[pos + 4:pos + 8].decode("latin-1"))
        if size < 8:
            break
        pos += size
    return boxes


# -- formats -----------------------------------------------------------------------------------


def test_hevc_is_transcoded_to_h264_with_aac_stereo_and_faststart(files, tmp_path) -> None:
    media = {"c": probe(files["hevc.mp4"])}
    plan = build_plan(_draft({"tt": 0, "sg": [{"src": "c", "st": 0, "d": 2000}]}), media, {},
                      tmp_path / "o.mp4", workdir=tmp_path)
    assert plan.mode == "encode" and "HEVC" in plan.reason
    out = _render(_draft({"tt": 0, "sg": [{"src": "c", "st": 0, "d": 2000}]}), media, {}, tmp_path)
    with av.open(str(out)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        assert (v.codec_context.name, v.codec_context.pix_fmt, v.width, v.height) == ("h264", "yuv420p", 640, 360)
        assert (a.codec_context.name, a.rate, a.channels) == ("aac", 48000, 2)
    layout = _mp4_layout(out)
    assert layout.index("moov") < layout.index("mdat")  # +faststart: playable while downloading


def test_a_1080p_canvas_scales_a_small_clip_up(files, tmp_path) -> None:
    media = {"c": probe(files["small.mp4"])}
    out = _render(_draft({"tt": 0, "sg": [{"src": "c", "st": 0, "d": 1000}]}, width=1920, height=1080),
                  media, {}, tmp_path, quality="high")
    with av.open(str(out)) as c:
        assert (c.streams.video[0].width, c.streams.video[0].height) == (1920, 1080)
        assert c.streams.audio  # a silent track: every export has sound


@pytest.mark.parametrize("fill", ["blur", "bars", "crop"])
def test_fill_modes_on_a_tall_canvas(files, tmp_path, fill) -> None:
    media = {"c": probe(files["small.mp4"])}  # 4:3 into 9:16
    out = _render(_draft({"tt": 0, "sg": [{"src": "c", "st": 0, "d": 500}]}, width=540, height=960, fill=fill),
                  media, {}, tmp_path)
    with av.open(str(out)) as c:
        frame = next(c.decode(video=0)).to_ndarray(format="rgb24").astype(int)
    assert frame.shape[:2] == (960, 540)
    top = frame[:150]
    if fill == "bars":
        assert top.max() < 30  # black above the picture
    else:
        assert top.std() > 5  # picture (blurred or cropped) reaches the top edge
    if fill == "crop":
        assert frame[:, :20].std() > 5 and frame[450:510].std() > 20


def test_unknown_fill_and_colour_are_refused_in_words(files, tmp_path) -> None:
    media = {"c": probe(files["small.mp4"])}
    video = {"tt": 0, "sg": [{"src": "c", "st": 0, "d": 500}]}
    with pytest.raises(RenderError, match="blur, bars or crop"):
        build_plan(_draft(video, fill="stretch"), media, {}, tmp_path / "o.mp4", workdir=tmp_path)
    title = {"tt": 7, "sg": [{"st": 0, "d": 500, "tx": "Hi", "color": "sparkly"}]}
    with pytest.raises(RenderError, match="sparkly"):
        build_plan(_draft(video, title), media, {}, tmp_path / "o.mp4", workdir=tmp_path)


def test_clip_sound_level_and_mute(files, tmp_path) -> None:
    media = {"c": probe(files["speech.mp4"])}
    music = {"m": files["music.wav"]}
    loud = {}
    for v in (100, 0):
        out = _render(_draft({"tt": 0, "sg": [{"src": "c", "st": 0, "d": 4000, "v": v}]},
                             {"tt": 1, "sg": [{"src": "m", "st": 0, "d": 4000, "v": 30}]}),
                      media, music, tmp_path / str(v))
        sound = _audio(out)
        # energy in the voice band away from the music's tones, while the speech plays
        spectrum = np.abs(np.fft.rfft(sound[48000:int(2.5 * 48000)]))
        freqs = np.fft.rfftfreq(int(1.5 * 48000), 1 / 48000)
        voice = (freqs > 1000) & (freqs < 3500)
        loud[v] = 10 * np.log10(np.sum(spectrum[voice] ** 2) / np.sum(spectrum**2))
    assert loud[100] - loud[0] > 20  # v=0: the clip's own sound is gone, the music alone remains


# -- master ------------------------------------------------------------------------------------


@pytest.mark.parametrize("volume", [10, 100])
def test_every_export_is_mastered_whatever_the_music_volume(files, tmp_path, volume) -> None:
    media = {"c": probe(files["speech.mp4"])}
    out = _render(_draft({"tt": 0, "sg": [{"src": "c", "st": 0, "d": 6000}]},
                         {"tt": 1, "sg": [{"src": "m", "st": 0, "d": 6000, "v": volume}]}),
                  media, {"m": files["music.wav"]}, tmp_path)
    integrated, peak = _loudness(out)
    assert integrated == pytest.approx(-14, abs=0.5)
    assert peak <= -1.0
    assert np.abs(_audio(out, "stereo")).max() < 1.0  # no clipped samples


def test_loudness_target_from_the_draft(files, tmp_path) -> None:
    out = _render(_draft({"tt": 1, "sg": [{"src": "m", "st": 0, "d": 6000, "v": 50}]}, loudness=-20),
                  {}, {"m": files["music.wav"]}, tmp_path)
    integrated, peak = _loudness(out)
    assert integrated == pytest.approx(-20, abs=0.5) and peak <= -1.0


def test_ducking_under_speech(files, tmp_path) -> None:
    """Music drops by at least 10 dB while the clip's speech plays and is back within 0.5 s."""
    media = {"c": probe(files["speech.mp4"])}
    sounds = {}
    for duck in (False, True):
        out = _render(_draft({"tt": 0, "sg": [{"src": "c", "st": 0, "d": 6000}]},
                             {"tt": 1, "sg": [{"src": "m", "st": 0, "d": 6000, "v": 40, "duck": duck}]}),
                      media, {"m": files["music.wav"]}, tmp_path / str(duck))
        sounds[duck] = _audio(out)
    # each export is mastered on its own: compare the music where nobody speaks (first 0.8 s)
    reference = _band_db(sounds[False], MUSIC_HZ, (0.1, 0.8)) - _band_db(sounds[True], MUSIC_HZ, (0.1, 0.8))
    speech_end = _speech_end(files["speech.mp4"])
    during = (_band_db(sounds[False], MUSIC_HZ, (1.3, speech_end - 0.2))
              - _band_db(sounds[True], MUSIC_HZ, (1.3, speech_end - 0.2)))
    after = (_band_db(sounds[False], MUSIC_HZ, (speech_end + 0.5, speech_end + 1.0))
             - _band_db(sounds[True], MUSIC_HZ, (speech_end + 0.5, speech_end + 1.0)))
    assert during - reference >= 10
    assert abs(after - reference) < 1.5


def _speech_end(path: Path) -> float:
    sound = _audio(path)
    block = 4800
    levels = [np.sqrt(np.mean(sound[i:i + block] ** 2)) for i in range(0, sound.size - block, block)]
    loud = [i for i, level in enumerate(levels) if level > 0.01]
    return (loud[-1] + 1) * block / 48000


# -- titles that fit -----------------------------------------------------------------------------

LONG = "The most unbelievable sunset over the harbour that we have ever seen together WOW"


@pytest.mark.parametrize(
    ("size", "pos", "text", "title_size"),
    [
        ((1920, 1080), "top", LONG, "large"),
        ((1920, 1080), "bottom", "MMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMM", "medium"),
        ((1080, 1920), "top", LONG, "large"),
        ((1080, 1920), "bottom", LONG, "medium"),
        ((1080, 1920), "center", "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWW", "small"),
    ],
)
def test_titles_stay_inside_the_safe_area(tmp_path, size, pos, text, title_size) -> None:
    """A title over black (no clip): every lit pixel is inside the 5 % margin, and on 9:16 clear of
    the top 12 % and the bottom 25 %."""
    w, h = size
    draft = _draft({"tt": 7, "sg": [{"st": 0, "d": 1000, "tx": text, "pos": pos, "size": title_size,
                                     "color": "#ffcc00", "fi": 1, "fo": 1}]}, width=w, height=h)
    out = _render(draft, {}, {}, tmp_path)
    with av.open(str(out)) as c:
        frame = next(f for f in c.decode(video=0) if f.time >= 0.5).to_ndarray(format="rgb24")
    lit = np.argwhere(frame.max(axis=2) > 40)
    assert lit.size, "no title drawn"
    top, bottom = (0.12, 0.25) if h > w else (0.05, 0.05)
    assert lit[:, 1].min() >= 0.05 * w and lit[:, 1].max() < 0.95 * w
    assert lit[:, 0].min() >= top * h and lit[:, 0].max() < (1 - bottom) * h
    lit_colour = frame[tuple(lit[len(lit) // 2])]
    assert lit_colour[0] > lit_colour[2]  # yellowish, as asked


def test_the_encoded_sample_peak_is_read_from_volumedetect(tmp_path: Path) -> None:
    """The cheap first look at an export's encoded sound: volumedetect's max_volume, from a real run."""
    import subprocess

    from addmusic.engine.render.audio import SAMPLE_PEAK_METER, parse_max_volume

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    run = subprocess.run([ffmpeg, "-hide_banner", "-nostdin", "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
                          "-af", f"volume=-6dB,{SAMPLE_PEAK_METER}", "-f", "null", "-"],
                         capture_output=True, text=True, check=True)
    peak = parse_max_volume(run.stderr)
    assert peak is not None and -24.5 < peak < -23.5  # lavfi's sine is at 1/8 (-18 dBFS), then -6 dB
    assert parse_max_volume("no summary") is None


def test_the_run_that_encodes_reads_the_peak_of_the_sound_it_wrote(tmp_path: Path) -> None:
    """plan.ENCODED_LOOK: the loopback decoder's sample peak is the one a player decodes from the
    file (the same AAC), read from the same run; a loud, bright sound, so AAC moves its peak."""
    from addmusic.engine.render.audio import SAMPLE_PEAK_METER, parse_max_volume
    from addmusic.engine.render.plan import ENCODED_LOOK

    out = tmp_path / "sound.m4a"
    source = "aevalsrc=0.7*sin(2*PI*3000*t)+0.25*sin(2*PI*7100*t)|0.6*sin(2*PI*5000*t):s=48000:d=3"
    run = subprocess.run([FFMPEG, "-hide_banner", "-nostdin", "-y", "-f", "lavfi", "-i", source, "-map", "0:a",
                          "-c:a", "aac", "-aac_coder", "fast", "-b:a", "192k", str(out), *ENCODED_LOOK],
                         capture_output=True, text=True, check=True)
    in_run = parse_max_volume(run.stderr)
    after = parse_max_volume(subprocess.run([FFMPEG, "-hide_banner", "-nostdin", "-i", str(out), "-af",
                                             SAMPLE_PEAK_METER, "-f", "null", "-"],
                                            capture_output=True, text=True, check=True).stderr)
    assert in_run is not None and after is not None
    assert in_run >= after - 0.05 and in_run == pytest.approx(after, abs=0.15)
