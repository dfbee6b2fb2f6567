"""Probing and waveforms on real files made with the bundled ffmpeg."""

from __future__ import annotations

from pathlib import Path

import pytest

from addmusic.engine.media import MediaError, MediaInfo, audio_peaks, probe
from conftest import run_ffmpeg


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A clip whose sound is a tone for 2 s then silence, a silent clip, a still, a song, a
    phone-style rotated clip, and files that are not usable media."""
    d = tmp_path_factory.mktemp("media")
    out = {name: d / name for name in (
        "clip.mp4", "mute.webm", "still.png", "song.wav", "rotated.mp4", "subs.mkv", "fake.mp4",
        "empty.wav",
    )}
    run_ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=s=320x180:r=30:d=4",
        "-f", "lavfi", "-i", "aevalsrc='if(lt(t,2),0.5*sin(2*PI*1000*t),0)':s=48000:d=4",
        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", str(out["clip.mp4"]),
    )
    run_ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=2", "-c:v", "libvpx", "-b:v", "200k",
            str(out["mute.webm"]))
    run_ffmpeg("-f", "lavfi", "-i", "testsrc2=s=400x300", "-frames:v", "1", str(out["still.png"]))
    run_ffmpeg("-f", "lavfi", "-i", "sine=f=440:d=3:r=44100", str(out["song.wav"]))
    run_ffmpeg("-display_rotation:v:0", "90", "-i", str(out["clip.mp4"]), "-c", "copy", str(out["rotated.mp4"]))
    srt = d / "subs.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nhello\n", encoding="utf-8")
    run_ffmpeg("-i", str(srt), str(out["subs.mkv"]))
    out["fake.mp4"].write_text("this is not a video at all\n" * 40, encoding="utf-8")
    out["empty.wav"].write_bytes(out["song.wav"].read_bytes()[:44])  # a header and no sound
    return out


def test_probe_video_with_sound(files: dict[str, Path]) -> None:
    info = probe(files["clip.mp4"])
    assert info == MediaInfo(
        path=files["clip.mp4"], kind="video", duration_ms=info.duration_ms, width=320, height=180,
        fps=30.0, has_audio=True, has_video=True, video_codec="h264", audio_codec="aac",
    )
    assert abs(info.duration_ms - 4000) <= 60


def test_probe_video_without_sound(files: dict[str, Path]) -> None:
    info = probe(files["mute.webm"])
    assert (info.kind, info.width, info.height, info.fps) == ("video", 320, 240, 25.0)
    assert info.has_video and not info.has_audio and info.audio_codec == ""
    assert info.video_codec == "vp8"
    assert abs(info.duration_ms - 2000) <= 60


def test_probe_image_has_no_duration(files: dict[str, Path]) -> None:
    info = probe(files["still.png"])
    assert (info.kind, info.duration_ms, info.width, info.height) == ("image", 0, 400, 300)
    assert not info.has_audio


def test_probe_audio(files: dict[str, Path]) -> None:
    info = probe(files["song.wav"])
    assert (info.kind, info.has_video, info.width, info.height) == ("audio", False, 0, 0)
    assert info.audio_codec.startswith("pcm_") and abs(info.duration_ms - 3000) <= 10


def test_probe_reports_the_displayed_size_of_rotated_clips(files: dict[str, Path]) -> None:
    info = probe(files["rotated.mp4"])
    assert (info.width, info.height) == (180, 320)


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("fake.mp4", "not a video, image or audio file"),
        ("subs.mkv", "neither a picture nor sound"),
        ("missing.mp4", "was not found"),
        ("empty.wav", ""),  # a header without sound: any one-line sentence naming the file
    ],
)
def test_probe_refuses_unusable_files_in_words(files: dict[str, Path], name: str, words: str) -> None:
    path = files.get(name, files["clip.mp4"].parent / name)
    with pytest.raises(MediaError) as caught:
        probe(path)
    message = str(caught.value)
    assert message.startswith(name)
    assert words in message
    assert "Errno" not in message and "\n" not in message and len(message) < 200


def test_audio_peaks_follow_the_sound(files: dict[str, Path]) -> None:
    peaks = audio_peaks(files["clip.mp4"], n=40)
    assert peaks is not None and len(peaks) == 40
    assert all(0 <= p <= 100 for p in peaks)
    loud, quiet = peaks[2:18], peaks[22:]  # tone at half scale for 2 s, then silence
    assert min(loud) >= 45 and sorted(loud)[len(loud) // 2] <= 55  # AAC adds the odd overshoot
    assert max(quiet) <= 2


def test_audio_peaks_default_count_and_no_audio(files: dict[str, Path]) -> None:
    peaks = audio_peaks(files["song.wav"])
    assert peaks is not None and len(peaks) == 120
    assert audio_peaks(files["mute.webm"]) is None
    assert audio_peaks(files["still.png"]) is None
