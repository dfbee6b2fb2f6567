"""What smart rendering needs to know about a source video stream, read by demuxing only.

PyAV reads the packets' timestamps and keyframe flags without decoding a single picture (about
30 ms for a minute of 1080p), and the few bytes of H.264 syntax needed to tell an IDR picture (a
closed GOP: nothing after it refers to anything before it) from a mere "keyframe" flag.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av

_NAL_IDR = 5
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

    @property
    def signature(self) -> tuple:
        """Streams with equal signatures can be joined packet for packet."""
        return (self.time_base, self.width, self.height, self.pix_fmt, self.extradata, self.sar)


def _nal_types(data: bytes, length_size: int) -> list[int]:
    types, pos = [], 0
    while pos + length_size <= len(data):
        size = int.from_bytes(data[pos:pos + length_size], "big")
        pos += length_size
        if size <= 0 or pos + size > len(data):
            break
        types.append(data[pos] & 0x1F)
        pos += size
    return types


# Recent scans by file identity: the upload scans its clip in the background (render/run.py,
# remember_picture), and every export of that clip then plans without demuxing it again.
_SCANNED: dict[tuple[str, int, int], StreamFacts] = {}
SCANS_KEPT = 8
_SCANNED_LOCK = threading.Lock()


def file_key(path: Path) -> tuple[str, int, int]:
    """A file's identity for caches: path, size and modification time (the engine's media are
    named by their content and never change in place)."""
    st = Path(path).stat()
    return str(Path(path).resolve()), st.st_size, st.st_mtime_ns


def scan(path: Path) -> StreamFacts:
    """Demux the first video stream; raises av.FFmpegError/OSError/ValueError on unreadable files.
    The same unchanged file is scanned once (the result is shared: callers do not change it)."""
    key = file_key(path)
    known = _SCANNED.get(key)
    if known is None:
        known = _scan(Path(path))
        with _SCANNED_LOCK:  # scans run in worker threads too
            _SCANNED[key] = known
            while len(_SCANNED) > SCANS_KEPT:
                del _SCANNED[next(iter(_SCANNED))]
    return known


def _scan(path: Path) -> StreamFacts:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        ctx = stream.codec_context
        extradata = bytes(ctx.extradata or b"")
        avcc = parse_avcc(extradata) if extradata[:1] == b"\x01" else None
        length_size = avcc.length_size if avcc else 4
        packets: list[Packet] = []
        b_frames = False
        for packet in container.demux(stream):
            if packet.size == 0 or packet.pts is None or packet.dts is None or packet.is_discard:
                continue
            idr = bool(packet.is_keyframe) and _NAL_IDR in _nal_types(bytes(packet), length_size)
            if packets and packet.pts < packets[-1].pts:
                b_frames = True
            packets.append(Packet(int(packet.pts), int(packet.dts), idr))
        sar = stream.sample_aspect_ratio or Fraction(1)
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
            packets=packets,
            has_b_frames=b_frames,
        )


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
