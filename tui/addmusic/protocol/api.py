"""Paths, headers and constants of the NemoVideo agent API (API.md), named once for both sides."""

from __future__ import annotations

APP_NAME = "nemo_agent"
SKILL_SOURCE = "add-music-to-best"

ANONYMOUS_TOKEN = "/api/auth/anonymous-token"
SESSION = "/api/tasks/me/with-session/nemo_agent"
RUN_SSE = "/run_sse"
CREDITS = "/api/credits/balance/simple"
RENDER = "/api/render/proxy/lambda"


def upload_path(session_id: str) -> str:
    return f"/api/upload-video/nemo_agent/me/{session_id}"


def state_path(session_id: str) -> str:
    return f"/api/state/nemo_agent/me/{session_id}/latest"


def render_path(job_id: str) -> str:
    return f"{RENDER}/{job_id}"


def cancel_path(job_id: str) -> str:
    return f"{RENDER}/{job_id}/cancel"


ATTRIBUTION_HEADERS = ("X-Skill-Source", "X-Skill-Version", "X-Skill-Platform")
TERMINAL_RENDER_STATES = ("completed", "failed", "cancelled")
