"""Several clips joined by copying: clips with the same H.264 settings are joined packet for
packet, only the stretches from a mid-GOP cut to the next keyframe (and the titles' GOPs) are
re-encoded; anything else is one full re-encode, and the plan says why."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from addmusic.engine.media import probe
from addmusic.engine.render import build_plan, run_render
from addmusic.engine.render.encoder import encoder_threads
from addmusic.engine.render.plan import MIN_PART_FRAMES
from addmusic.engine.render.source import scan
from addmusic.protocol.draft import Draft
from conftest import FFMPEG, run_ffmpeg

SIZE = "480x270"
CLIP_S = 4
PICTURES = ("testsrc2", "smptebars", "testsrc")

# GOP structure -> (frame rate, encoder options, with sound)
STRUCTURES: dict[str, tuple[int, list[str], bool]] = {
    "fixed_gop_bframes_30": (30, ["-g", "30", "-bf", "2"], True),
    "scene_cuts_25": (25, ["-g", "600", "-keyint_min", "5", "-bf", "3"], True),
    "no_bframes_60_mute": (60, ["-g", "45", "-bf", "0"], False),
}


def _make(path: Path, picture: str, fps: int, options: list[str], sound: bool, size: str = SIZE) -> Path:
    if picture == "scenes":  # keyframes where the picture cuts (x264's scenecut)
        video = (f"testsrc2=s={size}:r={fps}:d=1.3[a];smptebars=s={size}:r={fps}:d=1.1[b];"
                 f"testsrc=s={size}:r={fps}:d={CLIP_S - 2.4},hue=h=90[c];[a][b][c]concat=n=3:v=1:a=0,"
                 "format=yuv420p[v]")
    else:
        video = f"{picture}=s={size}:r={fps}:d={CLIP_S},format=yuv420p[v]"
    args = ["-filter_complex", video, "-map", "[v]"]
    if sound:
        args = ["-f", "lavfi", "-i", f"sine=f=330:d={CLIP_S}", *args, "-map", "0:a", "-c:a", "aac"]
    # one camera's colour description for all (lavfi's sources tag theirs differently)
    colour = ["-color_range", "tv", "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709"]
    run_ffmpeg(*args, "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", *colour, *options,
            "-t", str(CLIP_S), str(path))
    return path


@pytest.fixture(scope="module")
def reels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    folder = tmp_path_factory.mktemp("join-src")
    made = {}
    for name, (fps, options, sound) in STRUCTURES.items():
        pictures = ("scenes", "testsrc2", "scenes") if name.startswith("scene") else PICTURES[:3]
        made[name] = [_make(folder / f"{name}_{i}.mp4", p, fps, options, sound) for i, p in enumerate(pictures)]
    return made


def _draft(pieces: list[tuple[str, int, int]], titles: list[tuple[int, int]] = (), **meta: Any) -> Draft:
    """Clips (src, in ms, duration ms) back to back; titles (start, duration) on the timeline."""
    segs, at = [], 0
    for i, (src, in_ms, d_ms) in enumerate(pieces):
        segs.append({"id": f"v{i}", "src": src, "st": at, "d": d_ms, "in": in_ms})
        at += d_ms
    tracks: list[dict[str, Any]] = [{"tt": 0, "sg": segs}]
    if titles:
        tracks.append({"tt": 7, "sg": [{"id": f"t{i}", "st": st, "d": d, "tx": "Big Title", "pos": "center",
                                        "fi": 1, "fo": 1} for i, (st, d) in enumerate(titles)]})
    return Draft.from_json({"t": tracks, "m": meta})


def _decoded(path: Path) -> dict[int, np.ndarray]:
    with av.open(str(path)) as c:
        return {frame.pts: frame.to_ndarray(format="yuv420p") for frame in c.decode(video=0)}


def _clean_decode(path: Path) -> str:
    done = subprocess.run([FFMPEG, "-hide_banner", "-v", "error", "-i", str(path), "-f", "null", "-"],
                          capture_output=True, text=True)
    return done.stdout + done.stderr


def _render(draft: Draft, media: dict, tmp_path: Path, smart: bool = True):
    plan = build_plan(draft, media, {}, tmp_path / "out.mp4", workdir=tmp_path / "w", smart=smart)
    if plan.mode != "encode":
        asyncio.run(run_render(plan))
    return plan


# (in ms, duration ms) of the three clips in timeline order (clip 0 used twice), and titles
JOINS = {
    "cuts_off_keyframes": ([(0, 530, 1700), (1, 1210, 1500), (0, 0, 1400), (2, 300, 2000)], [(2500, 800)]),
    "whole_clips": ([(0, 0, CLIP_S * 1000), (1, 0, CLIP_S * 1000), (0, 0, CLIP_S * 1000)], []),
}


@pytest.mark.parametrize("structure", list(STRUCTURES))
@pytest.mark.parametrize("job", list(JOINS))
def test_clips_are_joined_by_copying_all_but_the_changed_stretches(reels, tmp_path, structure, job) -> None:
    paths = reels[structure]
    media = {f"c{i}": probe(p) for i, p in enumerate(paths)}
    layout, titles = JOINS[job]
    if structure.startswith("scene") and job == "cuts_off_keyframes":
        # x264 put one keyframe in these, at the cut 2.44 s in (the one at 1.3 s went unnoticed)
        layout, titles = [(0, 2000, 2000), (1, 0, 4000), (2, 2200, 1800)], [(1000, 400)]
    fps = STRUCTURES[structure][0]
    pieces = [(f"c{k}", in_ms, d) for k, in_ms, d in layout]
    plan = _render(_draft(pieces, titles), media, tmp_path)
    assert plan.joined == len(pieces)
    if job == "whole_clips":
        assert plan.mode == "copy" and plan.share == 0, plan.describe()
    else:
        assert plan.mode == "smart" and 0 < plan.share < 0.8, plan.describe()
        assert "between keyframes" in plan.reason and "titles" in plan.reason
        # one ffmpeg run per core, each re-encoding its share of the stretches into one file
        assert len(plan.video) == min(encoder_threads(), sum(s.encode for s in plan.stretches))
    assert "clips joined" in plan.describe()
    out = plan.output
    assert _clean_decode(out) == ""

    # the frames the timeline holds: each clip's from its in-point for its duration
    expected: list[tuple[Path, int]] = []
    for k, in_ms, d_ms in layout:
        facts = scan(paths[k])
        tb = facts.time_base
        first = round((facts.start_time + in_ms / 1000) / tb)
        last = round((facts.start_time + (in_ms + d_ms) / 1000) / tb)
        expected += [(paths[k], pts) for pts in sorted(p.pts for p in facts.packets if first <= p.pts < last)]
    sources = {p: _decoded(p) for p in paths}
    with av.open(str(out)) as c:
        frames = [(f.to_ndarray(format="yuv420p"), float(f.time)) for f in c.decode(video=0)]
        assert abs(c.duration / 1e6 - sum(d for _, _, d in layout) / 1000) <= 1 / fps + 0.03
        assert bool(c.streams.audio)
    assert len(frames) == len(expected)  # the timeline's frames, no more, no fewer
    times = [t for _, t in frames]
    assert times == sorted(times) and times[0] == pytest.approx(0, abs=1e-3)

    # the plan's stretches hold exactly those frames in that order, each copied or re-encoded
    assert [(s.source.path, pts) for s in plan.stretches for pts in s.pts] == expected
    encoded = [s.encode for s in plan.stretches for _ in s.pts]
    assert any(encoded) == (job != "whole_clips")
    copied = 0
    for (pic, t), (path, pts), reencoded in zip(frames, expected, encoded, strict=True):
        src = sources[path][pts]
        if not reencoded:
            assert np.array_equal(pic, src), f"copied frame at {t:.3f}s differs from {path.name} pts {pts}"
            copied += 1
            continue
        inside = [(a / 1000, (a + d) / 1000) for a, d in titles if a / 1000 + 0.05 <= t <= (a + d) / 1000 - 0.05]
        height = pic.shape[0] * 2 // 3  # yuv420p planes stacked: the luma rows come first
        if inside:
            middle = slice(height * 2 // 5, height * 3 // 5)  # around the centred title
            changed = np.abs(pic[middle].astype(int) - src[middle].astype(int)) > 40
            assert changed.sum() > 300, f"no title at {t:.2f}s"
        elif not any(a / 1000 - 0.05 <= t <= (a + d) / 1000 + 0.05 for a, d in titles):
            mse = np.mean((pic[:height].astype(float) - src[:height].astype(float)) ** 2)
            assert 10 * np.log10(255**2 / max(mse, 1e-9)) > 35, f"re-encoded frame at {t:.2f}s is not the source's"
    assert copied / len(frames) == pytest.approx(1 - plan.share, abs=1e-9)


def test_what_cannot_be_joined_is_reencoded_whole_and_the_plan_says_why(reels, tmp_path) -> None:
    a, b = reels["fixed_gop_bframes_30"][:2]
    other_rate = reels["scene_cuts_25"][1]
    bigger = _make(tmp_path / "big.mp4", "testsrc2", 30, ["-g", "30", "-bf", "2"], True, size="640x360")
    other_settings = _make(tmp_path / "crf.mp4", "testsrc2", 30, ["-g", "30", "-bf", "0", "-refs", "1"], True)
    still = tmp_path / "still.png"
    run_ffmpeg("-f", "lavfi", "-i", f"testsrc2=s={SIZE}:d=1", "-frames:v", "1", str(still))
    media = {"a": probe(a), "b": probe(b), "rate": probe(other_rate), "big": probe(bigger),
             "set": probe(other_settings), "img": probe(still)}
    cases = [
        (_draft([("a", 0, 2000), ("b", 0, 2000)], xf=500), "crossfade"),
        (_draft([("a", 0, 2000), ("rate", 0, 2000)]), "frame rate"),
        (_draft([("a", 0, 2000), ("big", 0, 2000)]), "size or shape"),
        (_draft([("a", 0, 2000), ("set", 0, 2000)]), "H.264 settings"),
        (_draft([("a", 0, 2000), ("img", 0, 2000)]), "still image"),
    ]
    for draft, why in cases:
        plan = build_plan(draft, media, {}, tmp_path / "o.mp4", workdir=tmp_path / "w")
        assert plan.mode == "encode" and why in plan.reason, plan.reason
        assert plan.video and all("libx264" in step.codec_args for step in plan.video)
    gap = Draft.from_json({"t": [{"tt": 0, "sg": [{"id": "1", "src": "a", "st": 0, "d": 1500},
                                                    {"id": "2", "src": "b", "st": 2000, "d": 1500}]}], "m": {}})
    plan = build_plan(gap, media, {}, tmp_path / "o.mp4", workdir=tmp_path / "w")
    assert plan.mode == "encode" and "gaps" in plan.reason
    off = build_plan(_draft([("a", 530, 1500), ("b", 0, 2000)]), media, {}, tmp_path / "o.mp4",
                     workdir=tmp_path / "w", smart=False)
    assert off.mode == "encode" and "smart rendering is off" in off.reason and "between keyframes" in off.reason


def test_joined_stream_keeps_the_sources_settings_and_progress_covers_every_part(reels, tmp_path) -> None:
    paths = reels["fixed_gop_bframes_30"]
    media = {f"c{i}": probe(p) for i, p in enumerate(paths)}
    plan = build_plan(_draft([("c0", 530, 1700), ("c1", 1210, 1500), ("c2", 0, 2000)], [(500, 500)]), media, {},
                      tmp_path / "out.mp4", workdir=tmp_path / "w")
    assert plan.mode == "smart" and len(plan.video) == 2  # a cut head with the title's GOP after it; a cut head
    progress: list[float] = []
    asyncio.run(run_render(plan, progress.append))
    assert progress == sorted(progress) and progress[-1] == 100.0 and len(progress) > len(plan.video)
    src, out = scan(paths[0]), scan(plan.output)
    assert (out.width, out.height, out.pix_fmt, out.profile, out.level, out.sar, out.time_base) == \
        (src.width, src.height, src.pix_fmt, src.profile, src.level, src.sar, src.time_base)
    dts = [p.dts for p in out.packets]
    assert dts == sorted(set(dts))  # decode times strictly increase across every join


def test_a_long_reencoded_stretch_is_shared_out_over_the_cores(reels, tmp_path) -> None:
    source = reels["fixed_gop_bframes_30"][0]  # an IDR every second
    facts = scan(source)
    plan = build_plan(_draft([("c", 0, CLIP_S * 1000)], [(0, 3000)]), {"c": probe(source)}, {},
                      tmp_path / "out.mp4", workdir=tmp_path / "w")
    encoded = [s for s in plan.stretches if s.encode]
    cores = encoder_threads()
    assert len(plan.video) == len(encoded) == min(cores, 90 // MIN_PART_FRAMES)
    assert sum(s.frames for s in encoded) == 90  # the title's three GOPs, whole
    idrs = {p.pts for p in facts.packets if p.idr}
    assert all(s.first in idrs for s in encoded)  # split where the source has a keyframe
    asyncio.run(run_render(plan))
    assert _clean_decode(plan.output) == ""
    with av.open(str(plan.output)) as c:
        assert sum(1 for _ in c.decode(video=0)) == len(facts.packets)
