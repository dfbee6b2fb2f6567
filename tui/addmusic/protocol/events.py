"""Chat stream events: every `data:` shape API.md lists, parsed into a small set of types.

The shapes follow what Google's ADK API server really sends (`google-adk` 2.x, `/run_sse`): each
event is `Event.model_dump(exclude_none=True, by_alias=True)`, so keys are camelCase and absent
when unset (`partial` too). In streaming mode one model call gives chunks with `partial: true` and
then one complete event that repeats them whole, all sharing one `id`; a function call is in both,
and so is an `errorCode`. Only the complete event counts for calls and errors; chunks are a display
hint. There is no end event: the stream closing ends the turn.

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
    """A piece of reply text to show now; the reply's complete event repeats it (ADK partial)."""

    text: str
    reply: str = ""  # the ADK event id: one per model call ("" when the server sends none)


@dataclass(frozen=True)
class FinalText:
    """The complete text of one event (all its text parts, thoughts left out)."""

    text: str
    reply: str = ""


@dataclass(frozen=True)
class ToolCall:
    name: str
    args: dict[str, Any] = field(default_factory=dict)
    call_id: str = ""
    long_running: bool = False  # listed in `longRunningToolIds`: it goes on after the turn


@dataclass(frozen=True)
class ToolResult:
    name: str
    result: Any = None


@dataclass(frozen=True)
class Heartbeat:
    pass


@dataclass(frozen=True)
class ModelStopped:
    """ADK `errorCode` (a model finish reason such as SAFETY, or one of ADK's own codes)."""

    code: str
    detail: str = ""  # `errorMessage`: for the log, shown only for a code this table lacks

    @property
    def sentence(self) -> str:
        return stop_sentence(self.code, self.detail)


@dataclass(frozen=True)
class StreamError:
    """The server gave up on the turn mid-stream (`{"error": …}`); `message` is safe to show."""

    message: str


@dataclass(frozen=True)
class Metadata:
    """`customMetadata` of a complete event (the local engine's final event carries `addmusic`)."""

    data: dict[str, Any]


ChatEvent = TextChunk | FinalText | ToolCall | ToolResult | Heartbeat | ModelStopped | StreamError | Metadata

# What each `errorCode` means for the person at the keyboard. Gemini finish reasons
# (google.genai FinishReason / BlockedReason) and ADK's own codes; anything else falls back below.
_BLOCKED = "The request was blocked by the service's content rules. Rephrase it and try again."
STOP_SENTENCES: dict[str, str] = {
    "SAFETY": "The model stopped because its safety filter flagged the reply. Rephrase the request and try again.",
    "MAX_TOKENS": "The reply was cut off at the model's length limit. Ask for less at once, or say \"continue\".",
    "MALFORMED_FUNCTION_CALL": "The model tried an edit it could not put into a valid command, so that edit was "
                               "not applied. Try again, or ask for one change at a time.",
    "UNEXPECTED_TOOL_CALL": "The model asked for a tool this backend does not offer, so that edit was not applied. "
                            "Try rephrasing.",
    "TOO_MANY_TOOL_CALLS": "The model tried too many edits in one go and was stopped. Ask for fewer changes at once.",
    "RECITATION": "The model stopped because the reply was too close to existing published text. Rephrase the "
                  "request and try again.",
    "LANGUAGE": "The model cannot answer in the language of this request. Try English.",
    "SPII": "The reply was stopped because it contained personal information.",
    "BLOCKLIST": _BLOCKED, "PROHIBITED_CONTENT": _BLOCKED, "JAILBREAK": _BLOCKED, "MODEL_ARMOR": _BLOCKED,
    "IMAGE_SAFETY": _BLOCKED, "IMAGE_PROHIBITED_CONTENT": _BLOCKED,
    "MODEL_RETURNED_NO_CONTENT": "The model returned an empty answer. Try again, or rephrase the request.",
    "INVOCATION_ABORTED": "The backend stopped this request before it finished.",
}


def stop_sentence(code: str, detail: str = "") -> str:
    known = STOP_SENTENCES.get(code.upper())
    if known:
        return known
    if detail and len(detail) <= 200 and not detail.lstrip().startswith(("{", "[")):
        return f"The backend stopped before finishing: {detail.strip().rstrip('.')}."
    return f"The model stopped before finishing (reason: {code or 'unknown'}). Try again, or rephrase the request."


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
        return [StreamError(error_text(payload.get("message") or payload.get("error")))]
    log.warning("skipping chat event of unknown type %r", kind)
    return []


def error_text(value: Any, details: Any = None) -> str:
    """A sentence for a mid-stream failure. ADK sends an exception as `"error": "RuntimeError: text"`
    with `error_details.error_message` = "text": show the text, not the exception's class name."""
    crashed = isinstance(details, dict)
    if crashed and isinstance(details.get("error_message"), str):
        value = details["error_message"] or value
    elif crashed and isinstance(value, str) and details.get("error_type"):
        value = value.removeprefix(f"{details['error_type']}: ")
    if not isinstance(value, str) or not value.strip() or value.lstrip().startswith(("{", "[")) or len(value) > 300:
        return "The backend could not finish this request."
    text = value.strip()
    text = text if text.endswith((".", "!", "?")) else text + "."
    return f"The backend stopped with an error: {text}" if crashed else text


def _parse_adk(payload: dict[str, Any]) -> list[ChatEvent]:
    if "error" in payload and payload["error"]:  # an exception after the stream opened (HTTP 200)
        return [StreamError(error_text(payload["error"], payload.get("error_details")))]
    reply = str(payload.get("id") or "")
    partial = payload.get("partial") is True  # absent = complete
    long_running = payload.get("longRunningToolIds")
    waits = {str(i) for i in long_running} if isinstance(long_running, list) else set()
    events: list[ChatEvent] = []
    texts: list[str] = []
    content = payload.get("content")
    parts = content.get("parts") if isinstance(content, dict) else None
    for part in parts if isinstance(parts, list) else []:
        if not isinstance(part, dict):
            continue
        text = part.get("text")
        if isinstance(text, str):
            if text and not part.get("thought"):  # thoughts are the model's reasoning, not the reply
                texts.append(text)
        elif isinstance(part.get("functionCall"), dict) and not partial:
            call = part["functionCall"]
            args = call.get("args")
            call_id = str(call.get("id") or "")
            events.append(ToolCall(str(call.get("name") or "tool"), args if isinstance(args, dict) else {},
                                   call_id, bool(call_id) and call_id in waits))
        elif isinstance(part.get("functionResponse"), dict) and not partial:
            resp = part["functionResponse"]
            events.append(ToolResult(str(resp.get("name") or "tool"), resp.get("response")))
    if texts:
        joined = "".join(texts)
        events.insert(0, TextChunk(joined, reply) if partial else FinalText(joined, reply))
    if not partial:
        code = payload.get("errorCode")
        message = payload.get("errorMessage")
        if code or message:
            events.append(ModelStopped(str(code or ""), message if isinstance(message, str) else ""))
        metadata = payload.get("customMetadata")
        if isinstance(metadata, dict) and metadata:
            events.append(Metadata(metadata))
    # `actions` (stateDelta, artifactDelta, …) can be large and is never shown: the turn ends in a
    # state read instead. `turnComplete` is not an end signal either: only the stream closing is.
    return events


# --- building ADK events (the engine's side) -------------------------------------------------


def adk_event(invocation_id: str, parts: list[dict[str, Any]], *, partial: bool = False,
              turn_complete: bool = False, author: str = "nemo_agent", event_id: str = "") -> dict[str, Any]:
    """One ADK event. ADK gives the chunks of one model call and its complete event one shared
    `event_id`; a new id tells the client a new reply starts."""
    event: dict[str, Any] = {
        "id": event_id or uuid.uuid4().hex[:12],
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
