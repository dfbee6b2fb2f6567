"""The export masters in one ffmpeg run when its inputs' loudness is known (render/soundfacts.py):
the prediction is checked against ffmpeg's own ebur128 on real mixes, with and without ducking,
and a render that measured its inputs once runs ffmpeg once for its sound the next time."""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from addmusic.engine.media import probe
from addmusic.engine.music import compose, loudness
from addmusic.engine.render import build_plan, run_render, soundfacts
from addmusic.engine.render import run as render_run
from addmusic.protocol.draft import Draft
from conftest import FFMPEG, run_ffmpeg


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("facts")
    clip, music = d / "clip.mp4", d / "music.wav"
    # speech-like bursts (band-passed pink noise, on half the time) under a small picture
    run_ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x180:r=30:d=12", "-f", "lavfi", "-i",
            "anoisesrc=color=pink:amplitude=0.25:r=48000:d=12", "-filter_complex",
            "[1:a]bandpass=f=800:width_type=o:w=2,volume='gt(sin(2*PI*0.3*t),0)':eval=frame,"
            "aformat=channel_layouts=stereo[a]", "-map", "0:v", "-map", "[a]", "-c:v", "libx264",
            "-preset", "ultrafast", "-c:a", "aac", "-b:a", "160k", "-shortest", str(clip))
    run_ffmpeg("-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=0.3:r=48000:d=12", "-af",
            "lowpass=f=6000,tremolo=f=2:d=0.6,aformat=channel_layouts=stereo", str(music))
    return {"clip": clip, "music": music}


def _draft(duck: bool, volume: int = 35) -> Draft:
    return Draft.from_json({"t": [{"tt": 0, "sg": [{"id": "v", "src": "c", "st": 0, "d": 12000}]},
                                  {"tt": 1, "sg": [{"id": "m", "src": "m", "st": 0, "d": 12000, "v": volume,
                                                    "fi": 1000, "fo": 2000, "duck": duck}]}]})


def _ebur128(args: list[str]) -> float:
    log = subprocess.run(args, capture_output=True, text=True).stderr
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", log)[-1])


@pytest.mark.parametrize("duck", [False, True])
def test_the_predicted_loudness_of_the_mix_is_what_ffmpeg_measures(inputs, tmp_path, duck) -> None:
    media = {"c": probe(inputs["clip"])}
    plan = build_plan(_draft(duck), media, {"m": inputs["music"]}, tmp_path / "o.mp4", workdir=tmp_path)
    facts = {p: asyncio.run(render_run._measure(p, FFMPEG)) for p in {lay.path for lay in plan.sound_layers}}
    predicted, _ = soundfacts.predict(plan.sound_layers, facts, plan.duration_ms)
    measured = _ebur128(plan.mix.args(FFMPEG)[:-1] + ["-f", "null", "-"])  # the real mix, measured
    assert predicted == pytest.approx(measured, abs=0.3)
    for p in facts:  # kept next to the file for the next export
        assert soundfacts.load(p) is not None


def test_facts_fed_in_pieces_equal_facts_of_the_whole() -> None:
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((48000 * 70 + 123, 2)) * 0.1).astype(np.float32)
    x[:, 1] *= np.sin(np.linspace(0, 40, len(x))).astype(np.float32)
    whole = soundfacts.from_samples(x)
    builder = soundfacts.Builder()
    raw = x.astype("<f4").tobytes()
    for s in range(0, len(raw), 1 << 20):
        builder.feed(raw[s:s + (1 << 20)])
    pieces = builder.finish()
    assert len(pieces.power) == len(whole.power)
    assert np.allclose(pieces.power, whole.power, rtol=1e-3)
    assert np.allclose(pieces.peak, whole.peak)
    assert loudness.gated(pieces.power) == pytest.approx(loudness.lufs(x, 48000), abs=0.02)


def test_a_composed_piece_brings_its_facts() -> None:
    comp = compose(20, "upbeat", seed=2)
    facts = soundfacts.of_music(comp.block_power, comp.chunks())
    assert loudness.gated(facts.power) == pytest.approx(loudness.lufs(comp.samples, 48000), abs=0.05)
    assert facts.peak.max() == pytest.approx(np.abs(comp.samples).max(), rel=1e-6)


def test_known_inputs_are_mixed_mastered_and_encoded_in_one_run(inputs, tmp_path, monkeypatch) -> None:
    runs: list[str] = []
    real = render_run._run_step

    async def counting(step, ffmpeg, report):
        runs.append(step.name)
        return await real(step, ffmpeg, report)

    monkeypatch.setattr(render_run, "_run_step", counting)
    media = {"c": probe(inputs["clip"])}
    for p in inputs.values():
        asyncio.run(render_run.remember_facts(p))
    plan = build_plan(_draft(True), media, {"m": inputs["music"]}, tmp_path / "o.mp4", workdir=tmp_path / "w")
    asyncio.run(run_render(plan))
    # one run makes the sound; a look at the encoded file's peak (it writes nothing) may follow
    assert [name for name in runs if name != "encoded peak"] == ["master"]
    log = subprocess.run([FFMPEG, "-hide_banner", "-nostats", "-i", str(plan.output), "-af", "ebur128=peak=true",
                          "-f", "null", "-"], capture_output=True, text=True).stderr
    integrated = float(re.findall(r"I:\s+(-?[\d.]+) LUFS", log)[-1])
    peak = float(re.findall(r"Peak:\s+(-?[\d.]+) dBFS", log)[-1])
    assert integrated == pytest.approx(-14, abs=0.5) and peak <= -1.0


def test_unknown_inputs_fall_back_to_measuring_first(inputs, tmp_path, monkeypatch) -> None:
    async def cannot_measure(path, ffmpeg):
        return None

    monkeypatch.setattr(render_run, "_measure", cannot_measure)
    monkeypatch.setattr(soundfacts, "load", lambda path: None)
    media = {"c": probe(inputs["clip"])}
    plan = build_plan(_draft(False, 80), media, {"m": inputs["music"]}, tmp_path / "o.mp4", workdir=tmp_path / "w")
    asyncio.run(run_render(plan))
    log = subprocess.run([FFMPEG, "-hide_banner", "-nostats", "-i", str(plan.output), "-af", "ebur128",
                          "-f", "null", "-"], capture_output=True, text=True).stderr
    assert float(re.findall(r"I:\s+(-?[\d.]+) LUFS", log)[-1]) == pytest.approx(-14, abs=0.5)


async def test_a_cancelled_export_stops_the_measurement_it_started(inputs, tmp_path, monkeypatch) -> None:
    started: list[asyncio.subprocess.Process] = []
    real_exec = asyncio.create_subprocess_exec

    async def spy(*args, **kw):  # type: ignore[no-untyped-def]
        proc = await real_exec(*args, **kw)
        started.append(proc)
        return proc

    monkeypatch.setattr(asyncio, "create_subprocess_exec", spy)
    monkeypatch.setattr(soundfacts, "load", lambda path: None)
    slow = tmp_path / "slow.wav"  # ten minutes of sound: its measurement is still running when cancelled
    run_ffmpeg("-f", "lavfi", "-i", "anoisesrc=r=48000:d=600", "-ac", "2", str(slow))
    task = asyncio.ensure_future(render_run._measure(slow, FFMPEG))
    for _ in range(100):
        await asyncio.sleep(0.05)
        if started:
            break
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert started and all(proc.returncode is not None for proc in started)
    assert slow not in render_run._measuring


def test_removing_a_media_file_removes_its_facts(tmp_path) -> None:
    media = tmp_path / "clip.wav"
    media.write_bytes(b"RIFF....")
    soundfacts.save(media, soundfacts.from_samples(np.zeros((4800, 2), np.float32)))
    sidecar = media.with_name(media.name + soundfacts.SUFFIX)
    assert sidecar.is_file() and soundfacts.load(media) is not None
    soundfacts.remove(media)
    assert not media.exists() and not sidecar.exists()
    soundfacts.remove(media)  # nothing left to remove: no error


def test_a_replaced_piece_of_music_keeps_no_facts_of_the_old_one(tmp_path, monkeypatch) -> None:
    from addmusic.engine.turns import materialise_music

    def draft(seed: int) -> Draft:
        return Draft.from_json({"t": [{"tt": 1, "sg": [{"id": "m", "src": "gen_a", "st": 0, "d": 3000,
                                                        "style": "lofi", "seed": seed}]}]})

    generated: dict = {}
    materialise_music(draft(1), generated, tmp_path)
    piece = tmp_path / "gen_a.wav"
    sidecar = piece.with_name(piece.name + soundfacts.SUFFIX)
    assert soundfacts.load(piece) is not None  # linked from the composer's cache with its facts

    def no_links(src, dst):  # type: ignore[no-untyped-def]  # a filesystem without hard links: copied
        raise OSError("hard links not supported")

    monkeypatch.setattr("os.link", no_links)
    materialise_music(draft(2), generated, tmp_path)
    assert piece.is_file() and not sidecar.exists()  # the old piece's facts went with it


async def test_a_refused_upload_leaves_no_facts_behind(engine_factory, isolated_home, tmp_path) -> None:
    import hashlib
    import os

    from addmusic.client.api import ApiClient
    from addmusic.client.launcher import LOCAL_ENGINE_KEY
    from addmusic.protocol.errors import ApiError
    from conftest import make_settings

    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypisom" + os.urandom(4000))
    engine = engine_factory("engine")
    media = engine.data_dir / "media"
    media.mkdir(parents=True, exist_ok=True)
    # facts an earlier file of this name left (the media id is the content's digest)
    stale = media / f"{hashlib.sha256(broken.read_bytes()).hexdigest()[:16]}.mp4{soundfacts.SUFFIX}"
    stale.write_bytes(b"old facts")
    client = ApiClient(engine.url, make_settings(isolated_home, engine.url), account_key=LOCAL_ENGINE_KEY)
    try:
        await client.new_session()
        with pytest.raises(ApiError):
            await client.upload(broken)
    finally:
        await client.aclose()
    assert not stale.exists() and not [p for p in media.iterdir() if p.is_file()]
