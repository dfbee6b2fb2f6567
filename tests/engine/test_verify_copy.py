"""The output check for a clip copied whole: every one of the clip's pictures must be there, and the
clip's last group of pictures must decode (checked on the clip itself, while the render runs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from addmusic.engine.verify import Expected, OutputInvalid, check_tail, verify_output
from conftest import run_ffmpeg

FRAMES = 120  # 4 s at 30 fps


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("vcopy") / "clip.mp4"
    run_ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x180:r=30:d=4", "-f", "lavfi", "-i",
            "sine=f=440:r=48000:d=4", "-c:v", "libx264", "-preset", "veryfast", "-g", "30",
            "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", "-movflags", "+faststart", str(path))
    return path


def _expected(frames: int) -> Expected:
    return Expected(4000, audio=True, full_decode=False, fps=30, copied_frames=frames)


def test_a_whole_copy_passes_and_a_short_one_does_not(clip, tmp_path) -> None:
    assert abs(verify_output(clip, _expected(FRAMES)) - 4000) < 100
    short = tmp_path / "short.mp4"  # the last few pictures lost: within the duration's slack
    run_ffmpeg("-i", str(clip), "-map", "0", "-c", "copy", "-frames:v", str(FRAMES - 1), str(short))
    assert abs(verify_output(short, Expected(4000, audio=True, full_decode=False, fps=30)) - 4000) < 100
    with pytest.raises(OutputInvalid, match=f"{FRAMES - 1} of the clip's {FRAMES} frames"):
        verify_output(short, _expected(FRAMES))


def test_a_clip_whose_tail_does_not_decode_is_caught(clip, tmp_path) -> None:
    check_tail(clip)
    data = bytearray(clip.read_bytes())
    for i in range(len(data) - len(data) // 8, len(data) - 200, 31):  # the last pictures' data (index first)
        data[i] ^= 0xFF
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))
    with pytest.raises(OutputInvalid):
        check_tail(damaged)
    with pytest.raises(OutputInvalid):
        check_tail(tmp_path / "missing.mp4")


def test_an_upload_is_indexed_and_its_tail_checked_ahead_once(clip, tmp_path, monkeypatch) -> None:
    import asyncio

    from addmusic import engine
    from addmusic.engine.render import run as render_run
    from addmusic.engine.render import source

    fresh = tmp_path / "upload.mp4"
    fresh.write_bytes(clip.read_bytes())
    decoded: list[Path] = []
    real = engine.verify._decode_tail
    monkeypatch.setattr(engine.verify, "_decode_tail", lambda path: decoded.append(path) or real(path))
    asyncio.run(render_run.remember_picture(fresh))
    assert decoded == [fresh]
    facts = source.index(fresh)
    assert facts is source.index(fresh) and len(facts.packets) == FRAMES  # indexed once, kept
    check_tail(fresh)  # the export's check: already done
    assert decoded == [fresh]
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(4000))
    asyncio.run(render_run.remember_picture(broken))  # a nicety: the export finds and says the problem
    with pytest.raises(OutputInvalid):
        check_tail(broken)
