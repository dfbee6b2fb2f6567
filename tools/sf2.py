"""A small reader for SoundFont 2 / 3 files (RIFF `sfbk`): presets, instruments, zones, samples.

Written for tools/extract_samples.py. SF3 is SF2 with each sample stored as its own Ogg Vorbis
stream (MuseScore's variant): then a sample header's start/end are byte offsets into `smpl` and
its loop points count decoded frames from the sample's own start.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

# Generator numbers (SoundFont 2.04 §8.1.2) this project uses.
GEN_START_OFS, GEN_END_OFS, GEN_LOOPSTART_OFS, GEN_LOOPEND_OFS = 0, 1, 2, 3
GEN_PAN = 17
GEN_ATTACK, GEN_HOLD, GEN_DECAY, GEN_SUSTAIN, GEN_RELEASE = 34, 35, 36, 37, 38
GEN_INSTRUMENT = 41
GEN_KEYRANGE, GEN_VELRANGE = 43, 44
GEN_ATTENUATION = 48
GEN_COARSE, GEN_FINE = 51, 52
GEN_SAMPLE = 53
GEN_SAMPLE_MODES = 54
GEN_ROOT_KEY = 58
_RANGE_GENS = (GEN_KEYRANGE, GEN_VELRANGE)
_UNSIGNED_GENS = (GEN_INSTRUMENT, GEN_SAMPLE, GEN_SAMPLE_MODES)


@dataclass
class SampleHeader:
    name: str
    start: int
    end: int
    loop_start: int
    loop_end: int
    rate: int
    pitch: int
    correction: int  # cents
    kind: int  # 1 mono, 2 right, 4 left, 8 linked; +0x10 Ogg-compressed (SF3)

    @property
    def compressed(self) -> bool:
        return bool(self.kind & 0x10)


@dataclass
class Zone:
    gens: dict[int, object] = field(default_factory=dict)


@dataclass
class Instrument:
    name: str
    zones: list[Zone]
    global_zone: Zone | None


@dataclass
class Preset:
    name: str
    program: int
    bank: int
    zones: list[Zone]
    global_zone: Zone | None


class SoundFont:
    def __init__(self, path: str | Path) -> None:
        data = Path(path).read_bytes()
        if data[:4] != b"RIFF" or data[8:12] != b"sfbk":
            raise ValueError(f"{path} is not a SoundFont (RIFF sfbk)")
        self._data = data
        chunks = self._list_chunks(12, len(data))
        self.smpl_offset, self.smpl_size = chunks["smpl"]
        pd = {k: data[o:o + n] for k, (o, n) in chunks.items()}
        self.samples = [self._shdr(pd["shdr"][i:i + 46]) for i in range(0, len(pd["shdr"]) - 46, 46)]
        igen = self._gens(pd["igen"])
        pgen = self._gens(pd["pgen"])
        ibag = [struct.unpack_from("<HH", pd["ibag"], i)[0] for i in range(0, len(pd["ibag"]), 4)]
        pbag = [struct.unpack_from("<HH", pd["pbag"], i)[0] for i in range(0, len(pd["pbag"]), 4)]
        inst_rows = [(self._name(pd["inst"][i:i + 20]), struct.unpack_from("<H", pd["inst"], i + 20)[0])
                     for i in range(0, len(pd["inst"]), 22)]
        self.instruments = [
            Instrument(name, *self._zones(ibag, igen, b0, inst_rows[k + 1][1], GEN_SAMPLE))
            for k, (name, b0) in enumerate(inst_rows[:-1])
        ]
        rows = []
        for i in range(0, len(pd["phdr"]), 38):
            name = self._name(pd["phdr"][i:i + 20])
            program, bank, bag = struct.unpack_from("<HHH", pd["phdr"], i + 20)
            rows.append((name, program, bank, bag))
        self.presets = [
            Preset(name, program, bank, *self._zones(pbag, pgen, b0, rows[k + 1][3], GEN_INSTRUMENT))
            for k, (name, program, bank, b0) in enumerate(rows[:-1])
        ]

    def _list_chunks(self, start: int, end: int) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        pos = start
        while pos + 8 <= end:
            cid = self._data[pos:pos + 4].decode("latin-1")
            size = struct.unpack_from("<I", self._data, pos + 4)[0]
            if cid == "LIST":
                out.update(self._list_chunks(pos + 12, pos + 8 + size))
            else:
                out[cid] = (pos + 8, size)
            pos += 8 + size
            if size & 1 and self._data[pos:pos + 1] == b"\0":
                pos += 1  # RIFF pads odd chunks; some SF3 writers do not, so pad only over a zero
        return out

    @staticmethod
    def _name(raw: bytes) -> str:
        return raw.split(b"\0", 1)[0].decode("latin-1").strip()

    def _shdr(self, raw: bytes) -> SampleHeader:
        start, end, ls, le, rate, pitch, corr, _link, kind = struct.unpack_from("<IIIIIBbHH", raw, 20)
        return SampleHeader(self._name(raw[:20]), start, end, ls, le, rate, pitch, corr, kind)

    @staticmethod
    def _gens(raw: bytes) -> list[tuple[int, object]]:
        out: list[tuple[int, object]] = []
        for i in range(0, len(raw), 4):
            oper = struct.unpack_from("<H", raw, i)[0]
            if oper in _RANGE_GENS:
                val: object = (raw[i + 2], raw[i + 3])
            elif oper in _UNSIGNED_GENS:
                val = struct.unpack_from("<H", raw, i + 2)[0]
            else:
                val = struct.unpack_from("<h", raw, i + 2)[0]
            out.append((oper, val))
        return out

    @staticmethod
    def _zones(bags: list[int], gens: list[tuple[int, object]], b0: int, b1: int,
               terminal: int) -> tuple[list[Zone], Zone | None]:
        zones: list[Zone] = []
        global_zone = None
        for b in range(b0, b1):
            zone = Zone(dict(gens[bags[b]:bags[b + 1]]))
            if terminal in zone.gens:
                zones.append(zone)
            elif b == b0:
                global_zone = zone  # a first zone without the terminal generator is global
        return zones, global_zone

    def sample_bytes(self, s: SampleHeader) -> bytes:
        """The raw bytes of one sample: an Ogg stream (SF3) or 16-bit PCM frames (SF2)."""
        if s.compressed:
            return self._data[self.smpl_offset + s.start:self.smpl_offset + s.end]
        return self._data[self.smpl_offset + 2 * s.start:self.smpl_offset + 2 * s.end]

    def preset(self, bank: int, program: int) -> Preset:
        for p in self.presets:
            if p.bank == bank and p.program == program:
                return p
        raise KeyError(f"no preset {bank}:{program}")
