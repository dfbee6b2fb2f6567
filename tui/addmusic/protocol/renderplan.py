"""How the local engine makes an export's picture, as its render poll answers carry it.

An addmusic extension of the render poll (docs/API.md, "Local engine: limits, errors and render
ids"): `"plan": {"mode": "copy" | "smart" | "encode", "reason": "...", "reencoded": 0.067}` once
the engine has planned the render. The cloud never sends it; a poll without it, or with a shape
this version does not know, simply has no plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PLAN_KEY = "plan"
MODES = ("copy", "smart", "encode")


@dataclass(frozen=True)
class RenderPlanNote:
    mode: str  # "copy": the video packets copied; "smart": a share re-encoded; "encode": all of it
    reason: str  # why some or all of the picture is re-encoded ("" for copy)
    reencoded: float  # the share of frames re-encoded, 0-1

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "reason": self.reason, "reencoded": round(self.reencoded, 4)}

    @classmethod
    def from_json(cls, data: Any) -> RenderPlanNote | None:
        """None unless `data` is a plan this version knows (an optional key: never an error)."""
        if not isinstance(data, dict) or data.get("mode") not in MODES:
            return None
        share = data.get("reencoded")
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
            share = {"copy": 0.0, "encode": 1.0}.get(data["mode"])
            if share is None:
                return None
        reason = data.get("reason")
        return cls(data["mode"], reason.strip() if isinstance(reason, str) else "", float(share))

    def line(self) -> str:
        """One line for people: "Smart render: 6.7 % re-encoded (titles are drawn on the picture)"."""
        why = f" ({self.reason})" if self.reason else ""
        if self.mode == "copy":
            return "Video copied: nothing re-encoded"
        if self.mode == "smart":
            return f"Smart render: {100 * self.reencoded:.1f} % re-encoded{why}"
        return f"Full re-encode{why}"
