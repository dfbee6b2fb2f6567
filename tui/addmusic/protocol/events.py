"""Chat stream events: every `data:` shape API.md lists, parsed into a small set of types.

The engine builds ADK-style payloads with the helpers at the bottom; the client parses whatever
the server sends with `parse_event`. A malformed event is logged and skipped: one bad line must not
end a 15-minute turn.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TextChunk:
    """A piece of reply text to show now; a later FinalText repeats the whole (ADK partial)."""

    text: str


@dataclass(frozen=True)
class FinalText:
    """A complete piece of reply text."""

    text: str


@dataclass(frozen=True)
class ToolCall:
    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ToolResult:
    name: str
    result: Any = None


@dataclass(frozen=True)
class Heartbeat:
    pass


@dataclass(frozen=True)
class TurnComplete:
    """The server said the turn is over (ADK `turnComplete`). `metadata` is the final event's
    `customMetadata` (the local engine puts `{"addmusic": {"unmatched": [...], "history": {...}}}` there)."""

    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StreamError:
    message: str


ChatEvent = TextChunk | FinalText | ToolCall | ToolResult | Heartbeat | TurnComplete | StreamError


def parse_event(event_name: str, data: str) -> list[ChatEvent]:
    """Turn one SSE event (its `event:` name and joined `data:` lines) into typed events."""
    if event_name == "heartbeat":
        return [Heartbeat()]
    if not data.strip():
        return [Heartbeat()]  # an empty data line is the server saying "still here"
    try:
        payload = json.loads(data)
    except json.JSONDecodeError:
        log.warning("skipping malformed chat event (%d bytes)", len(data))
        return []
    if not isinstance(payload, dict):
        log.warning("skipping chat event that is not an object")
        return []
    if isinstance(payload.get("type"), str):
        return _parse_simple(payload)
    return _parse_adk(payload)


def _parse_simple(payload: dict[str, Any]) -> list[ChatEvent]:
    kind = payload.get("type")
    if kind == "text":
        content = payload.get("content")
        return [FinalText(content)] if isinstance(content, str) and content else []
    if kind == "tool_call":
        args = payload.get("args")
        return [ToolCall(str(payload.get("name") or "tool"), args if isinstance(args, dict) else {})]
    if kind == "tool_result":
        return [ToolResult(str(payload.get("name") or "tool"), payload.get("result"))]
    if kind == "heartbeat":
        return [Heartbeat()]
    if kind == "error":
        return [StreamError(_error_text(payload.get("message") or payload.get("error")))]
    log.warning("skipping chat event of unknown type %r", kind)
    return []


def _error_text(value: Any) -> str:
    return value if isinstance(value, str) and value else "The backend reported an error."


def _parse_adk(payload: dict[str, Any]) -> list[ChatEvent]:
    events: list[ChatEvent] = []
    if payload.get("error"):
        return [StreamError(_error_text(payload["error"]))]
    if payload.get("errorCode") or payload.get("errorMessage"):
        events.append(StreamError(_error_text(payload.get("errorMessage") or payload.get("errorCode"))))
    partial = bool(payload.get("partial"))
    content = payload.get("content")
    parts = content.get("parts") if isinstance(content, dict) else None
    for part in parts if isinstance(parts, list) else []:
        if not isinstance(part, dict):
            continue
        if isinstance(part.get("text"), str) and part["text"]:
            if part.get("thought"):
                continue  # model reasoning, not reply text
            events.append(TextChunk(part["text"]) if partial else FinalText(part["text"]))
        elif isinstance(part.get("functionCall"), dict):
            call = part["functionCall"]
            args = call.get("args")
            events.append(ToolCall(str(call.get("name") or "tool"), args if isinstance(args, dict) else {}))
        elif isinstance(part.get("functionResponse"), dict):
            resp = part["functionResponse"]
            events.append(ToolResult(str(resp.get("name") or "tool"), resp.get("response")))
    if payload.get("turnComplete"):
        meta = payload.get("customMetadata")
        events.append(TurnComplete(meta if isinstance(meta, dict) else {}))
    return events


# --- building ADK events (the engine's side) -------------------------------------------------


def adk_event(invocation_id: str, parts: list[dict[str, Any]], *, partial: bool = False,
              turn_complete: bool = False, author: str = "nemo_agent") -> dict[str, Any]:
    event: dict[str, Any] = {
        "id": uuid.uuid4().hex[:12],
        "invocationId": invocation_id,
        "author": author,
        "timestamp": time.time(),
        "content": {"role": "model", "parts": parts},
    }
    if partial:
        event["partial"] = True
    if turn_complete:
        event["turnComplete"] = True
    return event


def text_part(text: str) -> dict[str, Any]:
    return {"text": text}


def call_part(call_id: str, name: str, args: dict[str, Any]) -> dict[str, Any]:
    return {"functionCall": {"id": call_id, "name": name, "args": args}}


def response_part(call_id: str, name: str, response: Any) -> dict[str, Any]:
    return {"functionResponse": {"id": call_id, "name": name, "response": response}}
