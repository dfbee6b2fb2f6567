"""A clip copied whole under new music is written by the sound's own ffmpeg run (run.whole_copy):
the same picture packets, at the same times, as the Python remux (smart.assemble) writes, and the
same mastered sound; anything trimmed or joined still goes through the remux."""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path
from typing import Any

import av
import pytest

from addmusic.engine.media import probe
from addmusic.engine.render import build_plan, run_render
from addmusic.engine.render import run as render_run
from addmusic.protocol.draft import Draft
from conftest import FFMPEG, run_ffmpeg


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 6 s clip with B-frames and a keyframe every second, with sound; a music bed."""
    d = tmp_path_factory.mktemp("whole")
    clip, music = d / "clip.mp4", d / "music.wav"
    run_ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x180:r=30:d=6", "-f", "lavfi", "-i",
            "anoisesrc=color=pink:amplitude=0.2:r=48000:d=6", "-map", "0:v", "-map", "1:a",
            "-c:v", "libx264", "-preset", "veryfast", "-bf", "2", "-g", "30", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "128k", "-shortest", str(clip))
    run_ffmpeg("-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=0.3:r=48000:d=6", "-af",
            "lowpass=f=6000,aformat=channel_layouts=stereo", str(music))
    return {"clip": clip, "music": music}


def _draft(source_in: int = 0, duration: int = 6000) -> Draft:
    return Draft.from_json({"t": [
        {"tt": 0, "sg": [{"id": "v", "src": "c", "st": 0, "d": duration, "in": source_in}]},
        {"tt": 1, "sg": [{"id": "m", "src": "m", "st": 0, "d": duration, "v": 40}]}]})


def _plan(inputs: dict[str, Path], tmp: Path, draft: Draft) -> Any:
    return build_plan(draft, {"c": probe(inputs["clip"])}, {"m": inputs["music"]}, tmp / "out.mp4",
                      workdir=tmp / "work")


def _picture(path: Path) -> list[tuple[int | None, int | None, bytes]]:
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        return [(p.pts, p.dts, bytes(p)) for p in c.demux(stream) if p.size]


def _loudness(path: Path) -> tuple[float, float]:
    log = subprocess.run([FFMPEG, "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=peak=true",
                          "-f", "null", "-"], capture_output=True, text=True).stderr
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", log)[-1]), float(re.findall(r"Peak:\s+(-?[\d.]+) dBFS", log)[-1])


def test_only_an_untrimmed_single_clip_is_copied_by_the_sounds_run(inputs, tmp_path) -> None:
    plan = _plan(inputs, tmp_path, _draft())
    assert plan.mode == "copy" and render_run.whole_copy(plan) == inputs["clip"]
    trimmed_start = _plan(inputs, tmp_path, _draft(source_in=1000, duration=5000))  # starts on a keyframe
    assert trimmed_start.mode == "copy" and render_run.whole_copy(trimmed_start) is None
    trimmed_end = _plan(inputs, tmp_path, _draft(duration=4000))  # ends before a keyframe: still copied
    assert trimmed_end.mode == "copy" and render_run.whole_copy(trimmed_end) is None


def test_the_one_run_output_equals_the_remuxed_one(inputs, tmp_path, monkeypatch) -> None:
    runs: list[str] = []
    real = render_run._run_step

    async def counting(step, ffmpeg, report):  # type: ignore[no-untyped-def]
        if step.output != "-":  # a look at the encoded sound's peak writes nothing
            runs.append(str(step.output))
        return await real(step, ffmpeg, report)

    monkeypatch.setattr(render_run, "_run_step", counting)
    one = _plan(inputs, tmp_path / "one", _draft())
    progress: list[float] = []
    asyncio.run(run_render(one, progress.append))
    assert runs == [str(one.output)]  # one ffmpeg run wrote the file itself
    assert progress[-1] == 100.0 and progress == sorted(progress)

    monkeypatch.setattr(render_run, "whole_copy", lambda plan: None)
    runs.clear()
    remuxed = _plan(inputs, tmp_path / "remux", _draft())
    asyncio.run(run_render(remuxed))
    assert runs == [str(remuxed.master)]  # the sound alone, then smart.assemble

    assert _picture(one.output) == _picture(remuxed.output) == _picture(inputs["clip"])
    with av.open(str(one.output)) as a, av.open(str(remuxed.output)) as b:
        assert a.streams.audio[0].frames == b.streams.audio[0].frames
        assert abs(a.duration - b.duration) <= 25_000  # microseconds: one AAC frame
    integrated, peak = _loudness(one.output)
    assert integrated == pytest.approx(-14, abs=0.5) and peak <= -1.0
    with open(one.output, "rb") as f:  # the index first, like the remux's (faststart)
        head = f.read(4096)
    assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat"))
