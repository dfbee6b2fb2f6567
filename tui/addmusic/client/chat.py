"""One chat turn as the user experiences it: reply text exactly once, each model reply its own
paragraph, a line per applied edit, "⏳ Still working..." on a timer while nothing shows, a sentence
for every way the backend can stop, and at the end the timeline read from the server — with a
summary of what changed when the reply had no text, failed or was cut.

The stream closing is the only end of a turn (an ADK server sends no end event). A message is
never re-sent: once the request went out, any failure ends in a state read.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..protocol import api
from ..protocol.draft import Draft, draft_diff
from ..protocol.errors import ApiError, message_for
from ..protocol.events import (
    ChatEvent,
    FinalText,
    Heartbeat,
    Metadata,
    ModelStopped,
    StreamError,
    TextChunk,
    ToolCall,
    ToolResult,
)
from .api import ApiClient, Retryable, SessionState
from .sse import iter_sse

log = logging.getLogger(__name__)

STILL_WORKING = "⏳ Still working..."

# Function calls ADK makes itself to ask the user something; this app cannot answer them yet.
ADK_QUESTIONS = {"adk_request_confirmation": "your confirmation", "adk_request_credential": "a sign-in",
                 "adk_request_input": "your answer"}


@dataclass(frozen=True)
class TextDelta:
    text: str
    new_reply: bool = False  # a new model reply starts here (`text` then begins with a paragraph break)


@dataclass(frozen=True)
class EditApplied:
    name: str

    @property
    def line(self) -> str:
        return f"applying edit: {self.name.replace('_', ' ')}…"


@dataclass(frozen=True)
class StillWorking:
    elapsed_s: float


@dataclass(frozen=True)
class TurnFailed:
    message: str


@dataclass
class TurnDone:
    text: str  # all reply text shown
    complete: bool  # the turn ran to its end: not cut, capped or failed
    state: SessionState | None
    changes: list[str] = field(default_factory=list)
    note: str = ""  # what the user should know about how the turn ended
    metadata: dict[str, Any] = field(default_factory=dict)  # customMetadata of the last complete event

    @property
    def summary(self) -> str:
        return self.state.draft.summary() if self.state else ""

    @property
    def unmatched(self) -> list[str]:
        """Clauses the local engine did not understand (`customMetadata.addmusic.unmatched`)."""
        own = self.metadata.get("addmusic")
        items = own.get("unmatched") if isinstance(own, dict) else None
        return [str(i) for i in items] if isinstance(items, list) else []


TurnEvent = TextDelta | EditApplied | StillWorking | TurnFailed | TurnDone


@dataclass
class _End:
    broken: str = ""  # why the stream ended early, if it did


class _Replies:
    """Reply text exactly once, each model reply its own paragraph.

    ADK streams a model call as chunks and then one complete event repeating them, all with the
    call's event id; the next call has a new id. Chunks are matched against the next complete text
    whatever its id (some servers give every event a new one)."""

    def __init__(self) -> None:
        self.shown: list[str] = []
        self.reply: str | None = None  # id of the reply shown last
        self.pending = ""  # chunks shown that no complete event has repeated yet
        self.new_reply = False  # whether the text returned last starts a new reply

    def chunk(self, item: TextChunk) -> str:
        starts_new = not self.pending and item.reply and item.reply != self.reply
        self.pending += item.text
        self.reply = item.reply or self.reply
        return self._show(item.text, new_paragraph=bool(starts_new))

    def final(self, item: FinalText) -> str:
        if self.pending:
            text = item.text[len(self.pending):] if item.text.startswith(self.pending) else ""
            if not item.text.startswith(self.pending):
                log.info("complete reply differs from its streamed chunks; keeping what was shown")
            self.pending, new_paragraph = "", False
        else:
            text, new_paragraph = item.text, not item.reply or item.reply != self.reply
        self.reply = item.reply or self.reply
        return self._show(text, new_paragraph)

    def _show(self, text: str, new_paragraph: bool) -> str:
        self.new_reply = bool(text) and new_paragraph and bool(self.shown)
        if not text:
            return ""
        if self.new_reply:
            so_far = "".join(self.shown)
            text = ("" if so_far.endswith("\n\n") else "\n" if so_far.endswith("\n") else "\n\n") + text
        self.shown.append(text)
        return text

    @property
    def text(self) -> str:
        return "".join(self.shown)


@dataclass
class _Outcome:
    """What the turn said beyond its text: for the closing note."""

    failed: bool = False
    waiting: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)


def _safe_error(message: str) -> str:
    """Server error text for people: never raw JSON."""
    text = message.strip()
    if not text or text.startswith(("{", "[")) or len(text) > 300:
        return "The backend could not finish this request."
    return text


async def chat_turn(client: ApiClient, message: str, before: Draft | None = None) -> AsyncIterator[TurnEvent]:
    """Send `message` and yield what the user should see, ending with one TurnDone."""
    session = client.require_session()
    if before is None:
        with contextlib.suppress(ApiError):
            before = (await client.state()).draft
    queue: asyncio.Queue[ChatEvent | _End | ApiError] = asyncio.Queue()
    body = {"app_name": api.APP_NAME, "user_id": "me", "session_id": session.session_id,
            "new_message": {"role": "user", "parts": [{"text": message}]}, "streaming": True}
    reader = asyncio.create_task(_read_stream(client, body, queue))
    replies = _Replies()
    outcome = _Outcome()
    calls_seen: set[str] = set()
    started = last_shown = time.monotonic()
    notice_every = client.settings.still_working_s
    deadline = started + client.settings.chat_cap_s
    end = _End()
    try:
        while True:
            now = time.monotonic()
            next_notice = last_shown + notice_every if notice_every > 0 else deadline
            try:
                item = await asyncio.wait_for(queue.get(), timeout=max(0.0, min(next_notice, deadline) - now))
            except TimeoutError:
                if time.monotonic() >= deadline:
                    end = _End(broken="The reply took longer than 15 minutes; stopped listening.")
                    break
                last_shown = time.monotonic()  # the timer restarts after each notice
                yield StillWorking(time.monotonic() - started)
                continue
            if isinstance(item, ApiError):
                yield TurnFailed(str(item))
                return
            if isinstance(item, _End):
                end = item
                break
            shown: TurnEvent | None = None
            if isinstance(item, TextChunk | FinalText):
                text = replies.chunk(item) if isinstance(item, TextChunk) else replies.final(item)
                shown = TextDelta(text, replies.new_reply) if text else None
            elif isinstance(item, ToolCall):
                if item.call_id and item.call_id in calls_seen:
                    continue  # the same call again (some servers repeat it): one line per edit
                calls_seen.add(item.call_id)
                if item.name in ADK_QUESTIONS:
                    outcome.waiting.append(ADK_QUESTIONS[item.name])
                    continue
                if item.long_running:
                    outcome.waiting.append(item.name.replace("_", " "))
                shown = EditApplied(item.name)
            elif isinstance(item, ModelStopped):
                outcome.failed = True
                log.info("model stopped: %s %s", item.code, item.detail)
                shown = TurnFailed(item.sentence)
            elif isinstance(item, StreamError):
                outcome.failed = True
                shown = TurnFailed(_safe_error(item.message))
            elif isinstance(item, Metadata):
                outcome.metadata = item.data
            elif isinstance(item, Heartbeat | ToolResult):
                pass  # results show in the state read at the end; heartbeats only keep the line open
            if shown is not None:
                last_shown = time.monotonic()
                yield shown
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reader
    if replies.pending and not end.broken:
        end = _End(broken="The reply ended early.")  # chunks whose complete event never came: cut
    yield await _finish(client, before, replies.text, end, outcome)


async def _finish(client: ApiClient, before: Draft | None, text: str, end: _End, outcome: _Outcome) -> TurnDone:
    """Read the timeline after the turn; summarise the change when the reply cannot be trusted."""
    complete = not end.broken and not outcome.failed
    try:
        state = await client.state()
    except ApiError as exc:
        return TurnDone(text, complete, None, note=f"Could not read the timeline after this turn: {exc}",
                        metadata=outcome.metadata)
    changes = draft_diff(before, state.draft) if before is not None else []
    done = TurnDone(text, complete, state, changes, metadata=outcome.metadata)
    if end.broken:
        done.note = f"{end.broken} The message was not re-sent; this is the timeline now."
    elif outcome.failed:
        done.note = "The timeline changed before it stopped:" if changes else "The timeline did not change."
    elif outcome.waiting:
        done.note = (f"Still waiting on {_words(outcome.waiting)} after this reply; this is the timeline "
                     "as it stands. Ask again later for the result.")
    elif not text.strip():
        done.note = "Done." if changes else "The backend replied without text and changed nothing."
    return done


def _words(names: list[str]) -> str:
    unique = list(dict.fromkeys(names))
    return unique[0] if len(unique) == 1 else ", ".join(unique[:-1]) + " and " + unique[-1]


def _detail_error(status: int, body: Any) -> ApiError | Retryable | None:
    """FastAPI's own error answer (`{"detail": …}`), which an ADK server gives before the stream
    opens instead of the envelope: 404 for an unknown session, 422 for a body it cannot read."""
    if not isinstance(body, dict) or "detail" not in body or "code" in body:
        return None
    detail = body["detail"]
    if status == 404 and isinstance(detail, str) and "session not found" in detail.lower():
        return Retryable("session")
    if status >= 500:
        return ApiError(message_for(None, status), status=status)
    if status == 422 or not isinstance(detail, str) or len(detail) > 200 or "{" in detail:
        return ApiError(f"The server could not read this chat request (HTTP {status}). Nothing was sent to "
                        "the model; check that the app is up to date.", status=status)
    return ApiError(f"The server refused this chat request: {detail.strip().rstrip('.')}.", status=status)


async def _read_stream(client: ApiClient, body: dict[str, Any], queue: asyncio.Queue[Any]) -> None:
    """POST /run_sse and put parsed events on `queue`; errors before the stream opens may be
    retried (nothing was processed), errors after it opened only end the turn."""
    from ..protocol.events import parse_event

    timeout = httpx.Timeout(30.0, connect=10.0, read=None)  # heartbeats may be minutes apart
    retried: set[str] = set()
    while True:
        try:
            await client.ensure_token()
            headers = {**client.headers(), "Accept": "text/event-stream"}
            async with client.http.stream("POST", client.url(api.RUN_SSE), json=body, headers=headers,
                                          timeout=timeout) as response:
                content_type = response.headers.get("content-type", "")
                if response.status_code != 200 or "text/event-stream" not in content_type:
                    await response.aread()
                    with contextlib.suppress(ValueError):
                        error = _detail_error(response.status_code, response.json())
                        if error is not None:
                            raise error
                    client.parse_response(response)  # raises the error the answer carries
                    await queue.put(ApiError("The server did not open a reply stream."))
                    return
                async for sse in iter_sse(response):
                    for event in parse_event(sse.event, sse.data):
                        await queue.put(event)
            await queue.put(_End())
            return
        except Retryable as retry:
            try:  # nothing was processed yet: the request may be sent again once per kind
                await client.handle_retry(retry, retried)
            except ApiError as exc:
                await queue.put(exc)
                return
        except ApiError as exc:
            await queue.put(exc)
            return
        except httpx.ConnectError:
            await queue.put(ApiError(f"Cannot reach {client.describe()}. Nothing was sent."))
            return
        except httpx.TransportError as exc:
            log.info("chat stream ended early: %s", type(exc).__name__)
            await queue.put(_End(broken="The connection dropped before the reply finished."))
            return
        except json.JSONDecodeError:
            await queue.put(_End(broken="The reply stream was garbled."))
            return
