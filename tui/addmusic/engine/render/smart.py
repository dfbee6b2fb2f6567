"""Smart rendering: copy the groups of pictures that do not change, re-encode the ones that do.

`split` is the decision, plain data from the packet index: the timeline's frames cut into
stretches at IDR keyframes; a stretch is re-encoded when a title shows in it, when it starts at a
cut that is not on a keyframe (up to the next keyframe only), or when it ends at a cut that
would leave a B-frame without the picture it refers to. `assemble` writes the MP4: copied
packets straight from the source, re-encoded stretches from the part files (one per core, each
stretch starting on an IDR of its own), the audio from the audio render, with timestamps
re-based onto the timeline. Several clips with the same
H.264 settings (the same SPS/PPS) join the same way: each clip's stretches come from its own file,
placed at the clip's start on the timeline.

Compatibility (avc1 and parameter sets). The copied stretches keep the source's SPS/PPS; x264
writes its own for the re-encoded stretches, and a stream may switch parameter sets only at an
IDR picture, which is where every re-encoded stretch starts and every copied one resumes. We
keep the `avc1` sample entry, which every player knows (`avc3`, which allows parameter sets only
in-band, is unknown to older QuickTime, some TVs and hardware players), and make the re-encoded
stretches' sets coexist with the source's: x264 numbers them with an id the source does not use
(`sps-id`), and both sets go into the avcC record, so a reader that configures its decoder from
the sample entry has them all. The same sets are also repeated in-band before each re-encoded
IDR, byte-identical to those in the avcC (which the format allows for avc1), for decoders that
only take the first SPS from the sample entry.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from .source import (
    NAL_IDR,
    AvcConfig,
    Packet,
    StreamFacts,
    nal_types,
    parameter_set_ids,
    parse_avcc,
    reframe,
    ue_id,
    with_length,
)

# Above this share of re-encoded frames the parts cost as much as a full re-encode: do that.
MAX_SMART_SHARE = 0.8


class SmartError(Exception):
    """The parts cannot be joined safely; the caller falls back to a full re-encode."""


@dataclass
class Stretch:
    kind: str  # "copy" | "encode"
    first: int  # pts of the stretch's first frame (source time base)
    end: int  # pts bound, exclusive
    frames: int
    pts: list[int]  # the frames' pts in presentation order
    first_dts: int = 0  # decode timestamp of the first frame in the source (a copied IDR's)
    part: Path | None = None  # the re-encoded file, for "encode" (it may hold other stretches too)
    part_first: int = 0  # where the stretch's frames start in that file
    source: StreamFacts | None = None  # the clip the frames come from (set by the planner)
    shift: int = 0  # output pts = source pts - shift (places the clip on the timeline)

    @property
    def encode(self) -> bool:
        return self.kind == "encode"


def split(packets: list[Packet], start: int, end: int, dirty: list[tuple[int, int]]) -> list[Stretch]:
    """Stretches covering the frames with start <= pts < end (source time base). `dirty` are
    pts ranges that must be re-encoded (titles). Raises SmartError when nothing is in range."""
    frames = sorted(p.pts for p in packets if start <= p.pts < end)
    if not frames:
        raise SmartError("no frames in the range")
    idrs = {p.pts for p in packets if p.idr}
    dts_of = {p.pts: p.dts for p in packets}
    units: list[list[int]] = []
    for pts in frames:
        if not units or pts in idrs:
            units.append([pts])
        else:
            units[-1].append(pts)
    stretches: list[Stretch] = []
    for i, unit in enumerate(units):
        bound = units[i + 1][0] if i + 1 < len(units) else end
        needs = (
            unit[0] not in idrs
            or any(a < bound and b > unit[0] for a, b in dirty)
            or (i == len(units) - 1 and not _clean_tail(packets, unit[0], end))
        )
        kind = "encode" if needs else "copy"
        if stretches and stretches[-1].kind == kind:
            last = stretches[-1]
            last.end, last.frames, last.pts = bound, last.frames + len(unit), last.pts + unit
        else:
            stretches.append(Stretch(kind, unit[0], bound, len(unit), list(unit), dts_of[unit[0]]))
    return stretches


def _clean_tail(packets: list[Packet], gop_start: int, end: int) -> bool:
    """True when cutting the GOP at `end` keeps a decode-order prefix of it: then no kept
    picture refers to a dropped one (references only point to pictures decoded earlier)."""
    gop: list[Packet] = []
    inside = False
    for p in packets:
        if p.pts == gop_start and p.idr:
            inside = True
        elif inside and p.idr:
            break
        if inside:
            gop.append(p)
    kept = [p.pts < end for p in gop]
    return all(kept) or kept == sorted(kept, reverse=True)


def share_encoded(stretches: list[Stretch]) -> float:
    total = sum(s.frames for s in stretches)
    return sum(s.frames for s in stretches if s.encode) / max(1, total)


def free_parameter_set_id(extradata: bytes) -> int:
    used = parameter_set_ids(parse_avcc(extradata))
    return next(i for i in range(1, 32) if i not in used)


# ---------------------------------------------------------------------------------------------
# Writing the file


def _timed(packet: av.Packet, seconds_per_tick: float) -> tuple[float, av.Packet]:
    return (packet.dts if packet.dts is not None else packet.pts or 0) * seconds_per_tick, packet


def assemble(stretches: list[Stretch], audio: Path | None, output: Path) -> None:
    """Write `output`: the video stretches in order, each from its own source (copied) or part
    (re-encoded), at its place on the timeline (`Stretch.shift`), and the audio file's stream
    copied as it is. Raises SmartError when the parts do not fit (wrong frame count, unusable or
    differing parameter sets)."""
    source = stretches[0].source
    assert source is not None and all(s.source is not None for s in stretches)
    if any(s.source.extradata != source.extradata or s.source.time_base != source.time_base
           for s in stretches if s.source is not None):
        raise SmartError("the clips' H.264 parameter sets differ")
    config = parse_avcc(source.extradata)
    tb = source.time_base
    parts: dict[int, list[av.Packet]] = {}
    extra_sps: list[bytes] = []
    extra_pps: list[bytes] = []
    files: dict[Path, tuple[list[av.Packet], AvcConfig]] = {}
    for i, s in enumerate(stretches):
        if s.encode:
            parts[i] = _part_packets(s, config.length_size, files, extra_sps, extra_pps)
    merged = parse_avcc(source.extradata)
    for nal in extra_sps:
        if nal not in merged.sps:
            merged.sps.append(nal)
    for nal in extra_pps:
        if nal not in merged.pps:
            merged.pps.append(nal)
    sps_ids = [ue_id(n[4:]) for n in merged.sps]
    pps_ids = [ue_id(n[1:]) for n in merged.pps]
    if len(set(sps_ids)) != len(sps_ids) or len(set(pps_ids)) != len(pps_ids):
        raise SmartError("the re-encoded stretches' parameter sets collide")
    with contextlib.ExitStack() as stack:
        template = stack.enter_context(av.open(str(source.path)))
        out = stack.enter_context(av.open(str(output), "w", format="mp4", options={"movflags": "+faststart"}))
        vs = out.add_stream_from_template(template.streams.video[0], opaque=True)
        vs.codec_context.extradata = merged.to_bytes()
        vs.time_base = tb
        audio_packets: Iterator[tuple[float, av.Packet]] = iter(())
        if audio is not None:
            actx = stack.enter_context(av.open(str(audio)))
            astream = actx.streams.audio[0]
            aout = out.add_stream_from_template(astream)
            audio_tick = float(astream.time_base)

            def audio_iter() -> Iterator[tuple[float, av.Packet]]:
                for packet in actx.demux(astream):
                    if packet.size:
                        packet.stream = aout
                        yield _timed(packet, audio_tick)

            audio_packets = audio_iter()
        video = _video_packets(stretches, parts, vs, tb)
        _interleave(out, video, audio_packets)


def _part_packets(s: Stretch, length_size: int, files: dict[Path, tuple[list[av.Packet], AvcConfig]],
                  sps: list[bytes], pps: list[bytes]) -> list[av.Packet]:
    """The re-encoded stretch's packets from its part file (read once into `files`), parameter
    sets noted, framed like the source's, the sets repeated in-band before its IDR."""
    assert s.part is not None
    if s.part not in files:
        with av.open(str(s.part)) as part:
            stream = part.streams.video[0]
            cfg = parse_avcc(bytes(stream.codec_context.extradata or b""))
            files[s.part] = [p for p in part.demux(stream) if p.size], cfg
        sps += cfg.sps
        pps += cfg.pps
    packets, cfg = files[s.part]
    mine = packets[s.part_first:s.part_first + s.frames]
    if len(mine) != s.frames:
        raise SmartError(f"re-encoded stretch has {len(mine)} frames, expected {s.frames}")
    in_band = b"".join(with_length(n, length_size) for n in cfg.sps + cfg.pps)
    result = []
    for i, packet in enumerate(mine):
        data = reframe(bytes(packet), cfg.length_size, length_size)
        if i == 0:
            data = in_band + data
        fresh = av.Packet(data)
        if packet.is_keyframe:
            fresh.is_keyframe = True
        result.append(fresh)
    if not result[0].is_keyframe or NAL_IDR not in nal_types(bytes(mine[0]), cfg.length_size):
        raise SmartError("re-encoded stretch does not start with an IDR picture")
    return result


def _copied(s: Stretch) -> Iterator[tuple[av.Packet, int]]:
    """The source packets of a copied stretch in decode order, each with its decode time from the
    index (Matroska stores none, and after a seek ffmpeg cannot always guess them): from its IDR
    up to the next IDR at or after its end, leaving out a cut tail (split checked those come last
    in decode order). A seek lands on the keyframe at or before the stretch, so a later stretch
    or a clip used twice is reached without demuxing what lies before it."""
    assert s.source is not None
    dts_of = s.source.dts_of
    with av.open(str(s.source.path)) as src:
        stream = src.streams.video[0]
        src.seek(s.first, stream=stream, backward=True, any_frame=False)
        started = False
        for packet in src.demux(stream):
            if not packet.size or packet.pts is None or packet.is_discard:
                continue
            if packet.pts < s.first and not started:
                continue  # before the stretch: an earlier re-encoded stretch or the trim
            if started and packet.is_keyframe and packet.pts >= s.end:
                return
            started = True
            if packet.pts >= s.end:
                continue
            dts = dts_of.get(packet.pts)
            if dts is None:
                raise SmartError("a copied packet is not in the clip's index")
            yield packet, dts


def _video_packets(stretches: list[Stretch], parts: dict[int, list[av.Packet]],
                   out_stream: av.video.stream.VideoStream, tb: Fraction) -> Iterator[tuple[float, av.Packet]]:
    """Copied packets and re-encoded ones in decode order, on the timeline, with decode
    timestamps kept increasing across every join."""
    last_dts: int | None = None
    tick = float(tb)
    for i, s in enumerate(stretches):
        if s.encode:
            # x264 writes these without B-frames (decode order = display order); their decode
            # times are set back by the next copied GOP's own delay so they stay below its first
            nxt = stretches[i + 1] if i + 1 < len(stretches) else None
            copied_next = nxt is not None and not nxt.encode
            upper = nxt.first_dts - nxt.shift if copied_next else None
            delay = nxt.first - nxt.first_dts if copied_next else 0
            for packet, pts in zip(parts[i], s.pts, strict=True):
                pts -= s.shift
                dts = pts - delay
                if last_dts is not None and dts <= last_dts:
                    dts = last_dts + 1
                if dts > pts or (upper is not None and dts >= upper):
                    raise SmartError("decode timestamps cannot stay in order across the join")
                last_dts = dts
                packet.pts, packet.dts = pts, dts
                packet.time_base = tb
                packet.stream = out_stream
                yield _timed(packet, tick)
            continue
        for packet, dts in _copied(s):
            pts, dts = packet.pts - s.shift, dts - s.shift
            if last_dts is not None and dts <= last_dts:
                raise SmartError("copied packets would go back in decode time")
            last_dts = dts
            packet.pts, packet.dts = pts, dts
            packet.stream = out_stream
            yield _timed(packet, tick)


def _interleave(out: av.container.OutputContainer, video: Iterator[tuple[float, av.Packet]],
                audio: Iterator[tuple[float, av.Packet]]) -> None:
    """Mux both streams in decode-time order so the muxer never buffers much."""
    a = next(audio, None)
    for v in video:
        while a is not None and a[0] <= v[0]:
            out.mux(a[1])
            a = next(audio, None)
        out.mux(v[1])
    while a is not None:
        out.mux(a[1])
        a = next(audio, None)
