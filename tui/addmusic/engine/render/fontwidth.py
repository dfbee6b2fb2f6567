"""Text widths from the title font's own advance widths, so titles are sized to fit exactly.

Reads the TrueType tables it needs (head, hhea, hmtx, cmap format 4) with struct; no font
library is needed for widths alone. Kerning is ignored: it only ever narrows Latin text.
"""

from __future__ import annotations

import struct
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=4)
def _advances(font: Path) -> tuple[dict[int, float], float]:
    """Per code point its advance in em, and the widest advance as the fallback."""
    data = Path(font).read_bytes()
    count = struct.unpack(">H", data[4:6])[0]
    tables = {}
    for i in range(count):
        tag, _, offset, length = struct.unpack(">4sIII", data[12 + 16 * i: 28 + 16 * i])
        tables[tag.decode("latin-1")] = (offset, length)
    units = struct.unpack(">H", data[tables["head"][0] + 18: tables["head"][0] + 20])[0]
    metrics = struct.unpack(">H", data[tables["hhea"][0] + 34: tables["hhea"][0] + 36])[0]
    hmtx = tables["hmtx"][0]
    widths = [struct.unpack(">H", data[hmtx + 4 * g: hmtx + 4 * g + 2])[0] for g in range(metrics)]

    def advance(glyph: int) -> float:
        return widths[min(glyph, metrics - 1)] / units

    cmap = tables["cmap"][0]
    n = struct.unpack(">H", data[cmap + 2: cmap + 4])[0]
    result: dict[int, float] = {}
    for i in range(n):
        platform, encoding, offset = struct.unpack(">HHI", data[cmap + 4 + 8 * i: cmap + 12 + 8 * i])
        sub = cmap + offset
        if (platform, encoding) not in ((3, 1), (0, 3)) or struct.unpack(">H", data[sub: sub + 2])[0] != 4:
            continue
        segs = struct.unpack(">H", data[sub + 6: sub + 8])[0] // 2
        ends = struct.unpack(f">{segs}H", data[sub + 14: sub + 14 + 2 * segs])
        starts_at = sub + 16 + 2 * segs
        starts = struct.unpack(f">{segs}H", data[starts_at: starts_at + 2 * segs])
        deltas = struct.unpack(f">{segs}h", data[starts_at + 2 * segs: starts_at + 4 * segs])
        range_at = starts_at + 4 * segs
        ranges = struct.unpack(f">{segs}H", data[range_at: range_at + 2 * segs])
        for k in range(segs):
            for code in range(starts[k], min(ends[k], 0x2FFF) + 1):
                if ranges[k] == 0:
                    glyph = (code + deltas[k]) & 0xFFFF
                else:
                    at = range_at + 2 * k + ranges[k] + 2 * (code - starts[k])
                    glyph = struct.unpack(">H", data[at: at + 2])[0]
                    glyph = (glyph + deltas[k]) & 0xFFFF if glyph else 0
                if glyph:
                    result[code] = advance(glyph)
        break
    return result, max(widths) / units


def text_width_em(text: str, font: Path) -> float:
    """The line's width in em at size 1 (unknown characters count as the widest glyph)."""
    table, widest = _advances(font)
    return sum(table.get(ord(ch), widest) for ch in text)
