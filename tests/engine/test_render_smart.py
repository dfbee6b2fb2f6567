"""Smart rendering on generated clips of several GOP structures: the copied frames are the
source's own, the re-encoded ones carry the title, and the joined stream decodes cleanly."""

from __future__ import annotations

import asyncio
import subprocess
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from addmusic.engine.media import probe
from addmusic.engine.render import build_plan, run_render
from addmusic.engine.render.smart import split
from addmusic.engine.render.source import INDEX_SUFFIX, Packet, index, parse_avcc, scan
from addmusic.protocol.draft import Draft
from conftest import FFMPEG, run_ffmpeg

SIZE = "480x270"

# name -> (frame rate, extra encoder options, picture source, with sound)
CLIPS: dict[str, tuple[int, list[str], str, bool]] = {
    "fixed_gop_30": (30, ["-g", "30", "-bf", "0"], "testsrc2", True),
    "bframes_25": (25, ["-g", "25", "-bf", "3", "-b_strategy", "0"], "testsrc2", True),
    "bframes_60_mute": (60, ["-g", "45", "-bf", "2"], "testsrc2", False),
    # keyframes only where the picture cuts to another scene (x264's scenecut), not on a timer
    "scene_cuts_30": (30, ["-g", "600", "-keyint_min", "5", "-bf", "3"], "scenes", True),
    # Matroska stores no decode times: with B-frames the first packets come without them
    "bframes_30_mkv": (30, ["-g", "45", "-bf", "3"], "testsrc2", True),
}
CLIP_S = 6


def _make(path: Path, fps: int, options: list[str], picture: str, sound: bool) -> None:
    if picture == "scenes":
        video = (f"testsrc2=s={SIZE}:r={fps}:d=1.3[a];smptebars=s={SIZE}:r={fps}:d=1.9[b];"
                 f"testsrc=s={SIZE}:r={fps}:d=2.8,hue=h=90[c];[a][b][c]concat=n=3:v=1:a=0,format=yuv420p[v]")
    else:
        video = f"testsrc2=s={SIZE}:r={fps}:d={CLIP_S},format=yuv420p[v]"
    args = ["-filter_complex", video, "-map", "[v]"]
    if sound:
        args = ["-f", "lavfi", "-i", f"sine=f=440:d={CLIP_S}", *args, "-map", "0:a", "-c:a", "aac"]
    run_ffmpeg(*args, "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", *options,
            "-t", str(CLIP_S), str(path))


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("smart-src")
    paths = {}
    for name, (fps, options, picture, sound) in CLIPS.items():
        paths[name] = folder / (f"{name[:-4]}.mkv" if name.endswith("_mkv") else f"{name}.mp4")
        _make(paths[name], fps, options, picture, sound)
    return paths


def _draft(in_ms: int, d_ms: int, title: tuple[int, int] | None) -> Draft:
    tracks: list[dict[str, Any]] = [{"tt": 0, "sg": [{"id": "v", "src": "c", "st": 0, "d": d_ms, "in": in_ms}]}]
    if title:
        tracks.append({"tt": 7, "sg": [{"id": "t", "st": title[0], "d": title[1], "tx": "Big Title",
                                        "pos": "center", "fi": 1, "fo": 1}]})
    return Draft.from_json({"t": tracks, "m": {}})


def _frames(path: Path) -> tuple[list[np.ndarray], list[float]]:
    with av.open(str(path)) as c:
        pics, times = [], []
        for frame in c.decode(video=0):
            pics.append(frame.to_ndarray(format="yuv420p"))
            times.append(float(frame.time))
        return pics, times


def _clean_decode(path: Path) -> str:
    done = subprocess.run([FFMPEG, "-hide_banner", "-v", "error", "-i", str(path), "-f", "null", "-"],
                          capture_output=True, text=True)
    return done.stdout + done.stderr


# (clip, in ms, duration ms, title (start, duration) on the timeline)
JOBS = [
    ("fixed_gop_30", 0, 6000, (2100, 1000)),  # title only
    ("fixed_gop_30", 700, 5000, None),  # trim off a keyframe
    ("bframes_25", 530, 5000, (1500, 1200)),
    ("bframes_60_mute", 410, 5200, (3000, 700)),
    ("scene_cuts_30", 900, 4500, (2500, 600)),
    ("bframes_25", 0, 4700, None),  # cut at the end inside a GOP with B-frames
    ("bframes_30_mkv", 600, 5400, (1500, 500)),
    ("bframes_30_mkv", 0, 6000, (1600, 400)),  # a stretch from a keyframe: the seek lands on it
]


@pytest.mark.parametrize(("clip", "in_ms", "d_ms", "title"), JOBS)
def test_smart_render_copies_all_but_the_changed_stretches(clips, tmp_path, clip, in_ms, d_ms, title) -> None:
    source = clips[clip]
    plan = build_plan(_draft(in_ms, d_ms, title), {"c": probe(source)}, {}, tmp_path / "out.mp4",
                      workdir=tmp_path / "w")
    assert plan.mode in ("smart", "copy"), plan.reason
    if title or in_ms:
        assert plan.mode == "smart" and 0 < plan.share < 0.8
    asyncio.run(run_render(plan))
    out = plan.output
    assert _clean_decode(out) == ""

    facts = scan(source)
    tb = facts.time_base
    first = round((facts.start_time + in_ms / 1000) / tb)
    last = round((facts.start_time + (in_ms + d_ms) / 1000) / tb)
    expected_pts = sorted(p.pts for p in facts.packets if first <= p.pts < last)
    src_pics, _ = _frames(source)
    all_pts = sorted(p.pts for p in facts.packets)
    offset = all_pts.index(expected_pts[0])

    pics, times = _frames(out)
    assert len(pics) == len(expected_pts)  # the timeline's frames, no more, no fewer
    frame_s = float((expected_pts[1] - expected_pts[0]) * tb)
    with av.open(str(out)) as c:
        assert abs(c.duration / 1e6 - d_ms / 1000) <= frame_s + 0.03
        v = c.streams.video[0]
        assert (v.codec_context.name, v.codec_context.pix_fmt) == ("h264", "yuv420p")
        assert bool(c.streams.audio)  # every export has sound, silence if need be
    assert times[0] == pytest.approx(0, abs=1e-3)

    encoded = {pts for s in plan.stretches if s.encode for pts in s.pts}
    title_span = (title[0] / 1000, (title[0] + title[1]) / 1000) if title else None
    for k, (pic, t) in enumerate(zip(pics, times, strict=True)):
        src = src_pics[offset + k]
        if expected_pts[k] not in encoded:
            assert np.array_equal(pic, src), f"copied frame {k} differs from the source"
        elif title_span and title_span[0] + 0.05 <= t <= title_span[1] - 0.05:
            height = pic.shape[0] * 2 // 3  # yuv420p planes stacked: the luma rows come first
            middle = slice(height * 2 // 5, height * 3 // 5)  # around the centred title
            changed = np.abs(pic[middle].astype(int) - src[middle].astype(int)) > 40
            assert changed.sum() > 300, f"no title at {t:.2f}s"
        elif not title_span or not title_span[0] - 0.05 <= t <= title_span[1] + 0.05:
            # re-encoded without a title: the same picture, within coding noise
            mse = np.mean((pic.astype(float) - src.astype(float)) ** 2)
            assert 10 * np.log10(255**2 / max(mse, 1e-9)) > 35


def test_reencoded_stretches_match_the_copied_stream(clips, tmp_path) -> None:
    source = clips["bframes_25"]
    plan = build_plan(_draft(530, 5000, (1500, 1200)), {"c": probe(source)}, {}, tmp_path / "out.mp4",
                      workdir=tmp_path / "w")
    progress: list[float] = []
    asyncio.run(run_render(plan, progress.append))
    assert progress == sorted(progress) and progress[-1] == 100.0 and len(progress) > 3  # both parts
    src, out = scan(source), scan(plan.output)
    assert (out.width, out.height, out.pix_fmt, out.profile, out.level, out.sar, out.time_base) == \
        (src.width, src.height, src.pix_fmt, src.profile, src.level, src.sar, src.time_base)
    config, original = parse_avcc(out.extradata), parse_avcc(src.extradata)
    assert config.sps[: len(original.sps)] == original.sps  # the source's own sets first, unchanged
    assert len(config.sps) == 2 and len(config.pps) == 2  # and the re-encoded stretches' own
    dts = [p.dts for p in out.packets]
    assert dts == sorted(set(dts))  # decode times strictly increase across every join


def test_an_untrimmed_matroska_clip_is_copied_frame_for_frame(clips, tmp_path) -> None:
    source = clips["bframes_30_mkv"]
    facts = scan(source)
    assert facts.packets[0].idr and facts.has_b_frames  # its first frame, whose decode time is not stored
    dts = [p.dts for p in facts.packets]
    assert dts == sorted(set(dts)) and all(p.dts <= p.pts for p in facts.packets)
    plan = build_plan(_draft(0, CLIP_S * 1000, None), {"c": probe(source)}, {}, tmp_path / "out.mp4",
                      workdir=tmp_path / "w")
    assert plan.mode == "copy" and plan.share == 0, plan.describe()
    asyncio.run(run_render(plan))
    assert _clean_decode(plan.output) == ""
    (pics, _), (src_pics, _) = _frames(plan.output), _frames(source)
    assert len(pics) == len(src_pics) == len(facts.packets)
    assert all(np.array_equal(a, b) for a, b in zip(pics, src_pics, strict=True))


def test_the_packet_index_is_kept_beside_the_clip_and_renewed_when_it_changes(clips, tmp_path) -> None:
    source = tmp_path / "clip.mp4"
    source.write_bytes(clips["bframes_25"].read_bytes())
    first = index(source)
    kept = source.with_name(source.name + INDEX_SUFFIX)
    assert kept.is_file() and first == scan(source)
    assert index(source) == first  # read back: the same facts
    source.write_bytes(clips["fixed_gop_30"].read_bytes())  # another clip under the same name
    assert index(source) == scan(source) != first


def test_no_smart_and_unsafe_sources_reencode_everything(clips, tmp_path) -> None:
    info = probe(clips["fixed_gop_30"])
    off = build_plan(_draft(700, 5000, None), {"c": info}, {}, tmp_path / "o.mp4", workdir=tmp_path, smart=False)
    assert off.mode == "encode" and "smart rendering is off" in off.reason and not off.stretches
    wide = build_plan(_draft(0, 6000, (0, 6000)), {"c": info}, {}, tmp_path / "o.mp4", workdir=tmp_path)
    assert wide.mode == "encode" and "100%" in wide.reason
    plain = build_plan(_draft(1000, 4000, None), {"c": info}, {}, tmp_path / "o.mp4", workdir=tmp_path)
    assert plain.mode == "copy" and plain.share == 0  # a trim on a keyframe is copied whole


def test_split_decisions_from_packets_alone() -> None:
    # 10 frames a GOP, IDR every 10 ticks, B-frames: decode order I P B B P B B ...
    packets = []
    for gop in range(4):
        base = gop * 10
        order = [0, 3, 1, 2, 6, 4, 5, 9, 7, 8]
        packets += [Packet(base + k, base + i - 2, k == 0) for i, k in enumerate(order)]
    whole = split(packets, 0, 40, [])
    assert [(s.kind, s.first, s.end) for s in whole] == [("copy", 0, 40)]
    cut = split(packets, 13, 40, [(25, 26)])
    assert [(s.kind, s.first, s.end, s.frames) for s in cut] == [
        ("encode", 13, 30, 17), ("copy", 30, 40, 10)]
    # ending at 38 keeps 0..7 of the last GOP, but 9 is decoded before 7 and 8: re-encode it
    tail = split(packets, 0, 38, [])
    assert [(s.kind, s.first, s.end) for s in tail] == [("copy", 0, 30), ("encode", 30, 38)]
    # ending at 33 keeps I P B B = 30, 33, 31, 32: a decode-order prefix, copied
    assert [s.kind for s in split(packets, 0, 34, [])] == ["copy"]
    assert Fraction(sum(s.frames for s in cut if s.encode), sum(s.frames for s in cut)) == Fraction(17, 27)
