"""What smart rendering needs to know about a source video stream, read by demuxing only.

PyAV reads the packets' timestamps and keyframe flags without decoding a single picture (70 to
180 ms for a minute of 1080p on the shared 2-core machine), and the few bytes of H.264 syntax
needed to tell an IDR picture (a closed GOP: nothing after it refers to anything before it) from
a mere "keyframe" flag. An upload never changes, so its index is kept next to it
(``<file>.packets.npz``, tied to its size and modification time, like soundfacts.py) and read
back in about a millisecond by the exports after the first (`index`).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import threading
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

NAL_IDR = 5
# x264 and libavcodec name the H.264 profiles like this; the renderer re-encodes to the same one.
X264_PROFILES = {"Baseline": "baseline", "Constrained Baseline": "baseline", "Main": "main", "High": "high"}


@dataclass(frozen=True)
class Packet:
    pts: int
    dts: int
    idr: bool  # a keyframe that starts a closed GOP: a point the stream can be cut at


@dataclass
class StreamFacts:
    """One H.264 stream as the muxer and x264 need to reproduce it."""

    path: Path
    time_base: Fraction
    start_time: float  # seconds; ffmpeg's -ss counts from here
    width: int
    height: int
    pix_fmt: str
    profile: str
    level: int
    color_range: int
    color_primaries: int
    color_trc: int
    colorspace: int
    sar: Fraction
    extradata: bytes
    packets: list[Packet] = field(default_factory=list)  # decode order, discarded ones left out
    has_b_frames: bool = False

    @functools.cached_property
    def dts_of(self) -> dict[int, int]:
        """Each frame's decode time by its presentation time (pts are unique within a stream)."""
        return {p.pts: p.dts for p in self.packets}

    @property
    def signature(self) -> tuple:
        """Streams with equal signatures can be joined packet for packet."""
        return (self.time_base, self.width, self.height, self.pix_fmt, self.extradata, self.sar)


def nal_types(data: bytes, length_size: int) -> list[int]:
    types, pos = [], 0
    while pos + length_size <= len(data):
        size = int.from_bytes(data[pos:pos + length_size], "big")
        pos += length_size
        if size <= 0 or pos + size > len(data):
            break
        types.append(data[pos] & 0x1F)
        pos += size
    return types


def scan(path: Path) -> StreamFacts:
    """Demux the first video stream; raises av.FFmpegError/OSError/ValueError on unreadable files."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        ctx = stream.codec_context
        extradata = bytes(ctx.extradata or b"")
        avcc = parse_avcc(extradata) if extradata[:1] == b"\x01" else None
        length_size = avcc.length_size if avcc else 4
        pts: list[int] = []
        dts: list[int | None] = []
        idr: list[bool] = []
        for packet in container.demux(stream):
            if packet.size == 0 or packet.pts is None or packet.is_discard:
                continue
            pts.append(int(packet.pts))
            dts.append(None if packet.dts is None else int(packet.dts))
            idr.append(bool(packet.is_keyframe) and NAL_IDR in nal_types(bytes(packet), length_size))
        sar = stream.sample_aspect_ratio or Fraction(1)
        decode = _decode_times(pts, dts)
        return StreamFacts(
            path=Path(path),
            time_base=Fraction(stream.time_base),
            start_time=(container.start_time or 0) / 1_000_000,
            width=ctx.width,
            height=ctx.height,
            pix_fmt=ctx.pix_fmt or "",
            profile=ctx.profile or "",
            level=int(ctx.level or 0),
            color_range=int(ctx.color_range or 0),
            color_primaries=int(ctx.color_primaries or 2),
            color_trc=int(ctx.color_trc or 2),
            colorspace=int(ctx.colorspace or 2),
            sar=Fraction(sar) if sar else Fraction(1),
            extradata=extradata if avcc else b"",
            packets=[Packet(*one) for one in zip(pts, decode, idr, strict=True)],
            has_b_frames=any(b < a for a, b in zip(pts, pts[1:], strict=False)),
        )


def _decode_times(pts: list[int], dts: list[int | None]) -> list[int]:
    """The packets' decode times, filling in those the container does not store. Matroska keeps
    presentation times only, and with B-frames ffmpeg can tell the first packets' decode times
    only once the reorder delay is known: they come as None, and the stream's first IDR with them
    (it was left out, and an untrimmed .mkv clip was planned smart instead of copied). Decode
    times are the presentation times in order, delayed by the reorder depth; the packets before
    the first known one are a frame apart below it. Raises ValueError when they cannot be made
    to increase with every packet and stay at or below its presentation time."""
    if all(d is not None for d in dts):
        result = [int(d) for d in dts if d is not None]
    else:
        ordered = sorted(pts)
        delay = next((i for i, d in enumerate(dts) if d is not None), len(dts))
        step = min((b - a for a, b in zip(ordered, ordered[1:], strict=False) if b > a), default=1)
        result = []
        for i, d in enumerate(dts):
            if d is not None:
                result.append(d)
            elif i >= delay:
                result.append(ordered[i - delay])
            else:
                result.append(ordered[0] - (delay - i) * step)
    if any(b <= a for a, b in zip(result, result[1:], strict=False)) or \
            any(d > p for d, p in zip(result, pts, strict=True)):
        raise ValueError("the stream's decode times do not increase")
    return result


# ---------------------------------------------------------------------------------------------
# The index kept next to an upload

INDEX_SUFFIX = ".packets.npz"
INDEX_VERSION = 1
_SCALARS = ("start_time", "width", "height", "pix_fmt", "profile", "level", "color_range", "color_primaries",
            "color_trc", "colorspace", "has_b_frames")


def _index_path(path: Path) -> Path:
    return path.with_name(path.name + INDEX_SUFFIX)


def _stamp(path: Path) -> list[int]:
    st = path.stat()
    return [INDEX_VERSION, st.st_size, st.st_mtime_ns]


# Recent indexes by file identity, in memory: the upload indexes its clip in the background
# (render/run.py, remember_picture), and every export of that clip then plans without reading it.
_INDEXED: dict[tuple[str, int, int], StreamFacts] = {}
INDEXES_KEPT = 8
_INDEXED_LOCK = threading.Lock()


def file_key(path: Path) -> tuple[str, int, int]:
    """A file's identity for caches: path, size and modification time (the engine's media are
    named by their content and never change in place)."""
    st = Path(path).stat()
    return str(Path(path).resolve()), st.st_size, st.st_mtime_ns


def index(path: Path) -> StreamFacts:
    """`scan`, kept in memory and next to the file for the next export (the result is shared:
    callers do not change it); raises as `scan` does. A file the index cannot be written beside
    (read-only folder) is scanned once per engine run."""
    path = Path(path)
    key = file_key(path)
    facts = _INDEXED.get(key)
    if facts is not None:
        return facts
    facts = _load(path)
    if facts is None:
        facts = scan(path)
        with contextlib.suppress(OSError):
            _save(path, facts)
    with _INDEXED_LOCK:  # indexes are made in worker threads too
        _INDEXED[key] = facts
        while len(_INDEXED) > INDEXES_KEPT:
            del _INDEXED[next(iter(_INDEXED))]
    return facts


def _save(path: Path, facts: StreamFacts) -> None:
    scalars = {k: getattr(facts, k) for k in _SCALARS}
    scalars |= {"time_base": [facts.time_base.numerator, facts.time_base.denominator],
                "sar": [facts.sar.numerator, facts.sar.denominator]}
    target = _index_path(path)
    part = target.with_name(f"{target.name}.{os.getpid()}.part.npz")  # renamed: readers never see half
    np.savez(part, stamp=np.array(_stamp(path), np.int64), facts=np.array(json.dumps(scalars)),
             extradata=np.frombuffer(facts.extradata, np.uint8),
             pts=np.array([p.pts for p in facts.packets], np.int64),
             dts=np.array([p.dts for p in facts.packets], np.int64),
             idr=np.array([p.idr for p in facts.packets], np.bool_))
    os.replace(part, target)


def _load(path: Path) -> StreamFacts | None:
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        with np.load(_index_path(path)) as data:
            if data["stamp"].tolist() != _stamp(path):
                return None
            scalars = json.loads(str(data["facts"]))
            tb, sar = scalars.pop("time_base"), scalars.pop("sar")
            packets = [Packet(*one) for one in zip(data["pts"].tolist(), data["dts"].tolist(),
                                                   data["idr"].tolist(), strict=True)]
            return StreamFacts(path=path, time_base=Fraction(*tb), sar=Fraction(*sar),
                               extradata=data["extradata"].tobytes(), packets=packets, **scalars)
    return None


# ---------------------------------------------------------------------------------------------
# avcC: the MP4 sample entry's H.264 configuration (ISO/IEC 14496-15 5.3.3)


@dataclass
class AvcConfig:
    header: bytes  # version, profile, compatibility, level
    length_size: int
    sps: list[bytes]
    pps: list[bytes]
    tail: bytes  # High-profile extension (chroma format, bit depths, SPS extensions)

    def to_bytes(self) -> bytes:
        out = bytearray(self.header)
        out.append(0xFC | (self.length_size - 1))
        out.append(0xE0 | len(self.sps))
        for nal in self.sps:
            out += len(nal).to_bytes(2, "big") + nal
        out.append(len(self.pps))
        for nal in self.pps:
            out += len(nal).to_bytes(2, "big") + nal
        return bytes(out + self.tail)


def parse_avcc(data: bytes) -> AvcConfig:
    if len(data) < 7 or data[0] != 1:
        raise ValueError("not an avcC record")
    length_size = (data[4] & 3) + 1
    pos = 5
    lists: list[list[bytes]] = []
    for mask in (0x1F, 0xFF):
        count = data[pos] & mask
        pos += 1
        nals = []
        for _ in range(count):
            size = int.from_bytes(data[pos:pos + 2], "big")
            nals.append(bytes(data[pos + 2:pos + 2 + size]))
            pos += 2 + size
        lists.append(nals)
    return AvcConfig(bytes(data[:4]), length_size, lists[0], lists[1], bytes(data[pos:]))


def parameter_set_ids(config: AvcConfig) -> set[int]:
    """Ids in use: an SPS carries its id after profile, constraints and level; a PPS first."""
    ids = {ue_id(nal[4:]) for nal in config.sps}
    ids |= {ue_id(nal[1:]) for nal in config.pps}
    return ids


def ue_id(payload: bytes) -> int:
    bits = "".join(f"{b:08b}" for b in payload[:8])
    zeros = 0
    while zeros < len(bits) and bits[zeros] == "0":
        zeros += 1
    return int(bits[zeros:2 * zeros + 1], 2) - 1


def reframe(data: bytes, from_size: int, to_size: int) -> bytes:
    """Re-write length-prefixed NAL units with another length-field size."""
    if from_size == to_size:
        return data
    out, pos = bytearray(), 0
    while pos + from_size <= len(data):
        size = int.from_bytes(data[pos:pos + from_size], "big")
        pos += from_size
        out += size.to_bytes(to_size, "big") + data[pos:pos + size]
        pos += size
    return bytes(out)


def with_length(nal: bytes, size: int) -> bytes:
    return len(nal).to_bytes(size, "big") + nal
