"""`addmusic-tui run` end to end, as a user runs it: a real process that starts the local engine
by itself, uploads, chats, renders with ffmpeg and downloads."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest

from conftest import stop_detached_engine


@pytest.fixture
def cli_env(isolated_home: Path) -> Iterator[dict[str, str]]:
    env = {**os.environ, "ADDMUSIC_ENGINE_IDLE_S": "60"}
    yield env
    stop_detached_engine(isolated_home)


def run_cli(env: dict[str, str], *args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "addmusic.cli", *map(str, args)], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def audio_db(path: Path, start: float, end: float) -> float:
    """RMS level in dBFS of the file's audio between two times."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        chunks = [frame.to_ndarray() for frame in container.decode(stream)]
        rate = stream.codec_context.sample_rate
    samples = np.concatenate(chunks, axis=1)[:, int(start * rate):int(end * rate)]
    return 20 * np.log10(np.sqrt(np.mean(samples.astype(np.float64) ** 2)) + 1e-12)


def video_facts(path: Path) -> tuple[str, int, int, float]:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        return (video.codec_context.name, video.codec_context.width, video.codec_context.height,
                float(container.duration / av.time_base))


def test_music_under_a_silent_stretch_at_two_volumes(cli_env: dict[str, str], clip_with_gap: Path,
                                                     tmp_path: Path) -> None:
    quiet, loud = tmp_path / "quiet.mp4", tmp_path / "loud.mp4"
    first = run_cli(cli_env, "run", clip_with_gap, "-m", "add background music at 30%", "-o", quiet)
    assert first.returncode == 0, first.stderr
    assert "Timeline (2 tracks): 1. Video: gap.mp4 (0-10s) 2. BGM: " in first.stdout
    assert first.stdout.strip().splitlines()[-1] == str(quiet)
    assert "Uploaded gap.mp4" in first.stderr
    second = run_cli(cli_env, "run", clip_with_gap, "-m", "add background music at 80%", "-o", loud)
    assert second.returncode == 0, second.stderr

    source = video_facts(clip_with_gap)
    for output in (quiet, loud):
        codec, width, height, duration = video_facts(output)
        assert (codec, width, height) == source[:3]  # the video stream is copied, not re-encoded
        assert abs(duration - source[3]) <= 0.1
    assert audio_db(clip_with_gap, 4.5, 6.5) < -90  # the source is digitally silent there
    quiet_db = audio_db(quiet, 4.5, 6.5)
    assert quiet_db > -45, "music must be audible in the silent stretch"
    # every export is mastered to the same loudness: the volume sets the balance between the
    # music (alone in the silent stretch) and the whole mix where the clip has its own sound
    balance = {out: audio_db(out, 4.5, 6.5) - audio_db(out, 1.0, 3.5) for out in (quiet, loud)}
    assert balance[loud] - balance[quiet] >= 4


def test_existing_output_is_kept_without_overwrite(cli_env: dict[str, str], short_clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    out.write_bytes(b"keep me")
    result = run_cli(cli_env, "run", short_clip, "-m", "add music", "-o", out)
    assert result.returncode == 1
    assert "already exists" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert out.read_bytes() == b"keep me"
    replaced = run_cli(cli_env, "run", short_clip, "-m", "add music", "-o", out, "--overwrite")
    assert replaced.returncode == 0, replaced.stderr
    assert video_facts(out)[0] == "h264"


def test_bad_usage_and_bad_files(cli_env: dict[str, str], tmp_path: Path) -> None:
    assert run_cli(cli_env, "run", "x.mp4").returncode == 2  # no -m
    assert run_cli(cli_env, "--cloud", "--api-url", "http://x").returncode == 2
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    result = run_cli(cli_env, "run", notes, "-m", "add music")
    assert result.returncode == 1
    assert "Supported formats" in result.stderr
    assert "Traceback" not in result.stderr


def test_each_is_batch_mode_and_a_failure_does_not_stop_the_rest(cli_env: dict[str, str], short_clip: Path,
                                                                  tmp_path: Path) -> None:
    beach = tmp_path / "beach.mp4"
    beach.write_bytes(short_clip.read_bytes())
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 5000)  # looks like MP4, is not
    out = tmp_path / "reels"
    result = run_cli(cli_env, "run", broken, beach, "--each", "-m", "add chill music", "-o", out)
    assert result.returncode == 1
    assert "broken.mp4: " in result.stderr
    assert (out / "beach-music.mp4").is_file()
    assert not (out / "broken-music.mp4").exists()
    assert video_facts(out / "beach-music.mp4")[0] == "h264"


def test_credits_command(cli_env: dict[str, str]) -> None:
    result = run_cli({**cli_env, "ADDMUSIC_ENGINE_CREDITS": "250"}, "credits")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Credits: 250 available · 0 frozen · 250 total"


def test_ctrl_c_during_render_says_how_to_collect_and_collect_saves_it(cli_env: dict[str, str],
                                                                       clip_with_gap: Path, tmp_path: Path) -> None:
    out = tmp_path / "vertical.mp4"
    process = subprocess.Popen(
        [sys.executable, "-m", "addmusic.cli", "run", str(clip_with_gap), "-m", "make it vertical", "-o", str(out)],
        env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    for line in process.stderr:  # progress is one line per step when stderr is not a terminal
        if line.startswith("Rendering"):
            break
    process.send_signal(signal.SIGINT)
    message = process.stderr.readline() + process.stderr.readline()
    assert "The render goes on in the engine" in message and "addmusic-tui collect" in message
    process.send_signal(signal.SIGINT)
    assert process.wait(30) == 130
    collected = run_cli(cli_env, "collect")
    assert collected.returncode == 0, collected.stderr
    assert collected.stdout.strip() == str(out)
    assert video_facts(out)[1:3] == (1080, 1920)
    assert run_cli(cli_env, "collect").stdout.strip() == "Nothing to collect: no renders are pending."


def test_engine_command_runs_in_the_foreground_and_refuses_a_second(cli_env: dict[str, str],
                                                                    isolated_home: Path) -> None:
    import time

    import httpx

    from addmusic.protocol.local import read_lock

    engine = subprocess.Popen([sys.executable, "-m", "addmusic.cli", "engine", "--port", "0"], env=cli_env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not (info := read_lock(isolated_home / "data" / "engine")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert info and info["pid"] == engine.pid and info["host"] == "127.0.0.1"
        health = httpx.get(f"http://127.0.0.1:{info['port']}/health", trust_env=False).json()
        assert health["data"]["engine"] == "addmusic"
        second = run_cli(cli_env, "engine", "--port", "0")
        assert second.returncode == 1 and "already runs" in second.stderr
    finally:
        engine.send_signal(signal.SIGINT)
        engine.wait(15)


def test_a_message_not_understood_exits_3_after_doing_the_rest(cli_env: dict[str, str], short_clip: Path) -> None:
    args = ("run", short_clip, "-m", "add music at 20%", "-m", "teleport the cat")
    result = run_cli(cli_env, *args)
    assert result.returncode == 3, result.stderr
    assert "teleport the cat" in result.stderr and "--keep-going" in result.stderr
    assert ", 20%)" in result.stdout  # the understood message was still done
    assert run_cli(cli_env, *args, "--keep-going").returncode == 0


def _video_packets(path: Path) -> set[bytes]:
    with av.open(str(path)) as container:
        return {bytes(p) for p in container.demux(video=0) if p.size}


def test_no_smart_reencodes_the_whole_picture(cli_env: dict[str, str], clip_with_gap: Path, tmp_path: Path) -> None:
    smart, full = tmp_path / "smart.mp4", tmp_path / "full.mp4"
    message = 'title "trip" for 1 second at the beginning'
    assert (done := run_cli(cli_env, "run", clip_with_gap, "-m", message, "-o", smart)).returncode == 0, done.stderr
    # the engine's poll answer says how the picture was made, and run says it in one line
    said = [line for line in done.stderr.splitlines() if line.startswith("Smart render: ")]
    assert len(said) == 1 and said[0].endswith(" % re-encoded (titles are drawn on the picture)"), done.stderr
    assert 0 < float(said[0].split()[2]) < 80
    done = run_cli(cli_env, "run", clip_with_gap, "-m", message, "-o", full, "--no-smart")
    assert done.returncode == 0, done.stderr
    assert "Full re-encode (titles are drawn on the picture; smart rendering is off)" in done.stderr.splitlines()
    source = _video_packets(clip_with_gap)
    # smart: the GOPs after the title are the source's own packets; --no-smart: not one of them
    assert len(_video_packets(smart) & source) > len(source) // 2
    assert not _video_packets(full) & source
    for output in (smart, full):
        assert video_facts(output)[:3] == video_facts(clip_with_gap)[:3]
