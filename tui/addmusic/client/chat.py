"""One chat turn as the user experiences it: reply text exactly once, a line per applied edit,
"⏳ Still working..." on a timer while no text comes, and at the end the timeline read from the
server — with a summary of what changed when the reply had no text or the stream was cut.

A message is never re-sent: once the request went out, any failure ends in a state read.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx

from ..protocol import api
from ..protocol.draft import Draft, draft_diff
from ..protocol.errors import ApiError
from ..protocol.events import ChatEvent, FinalText, Heartbeat, StreamError, TextChunk, ToolCall, TurnComplete
from .api import ApiClient, Retryable, SessionState
from .sse import iter_sse

log = logging.getLogger(__name__)

STILL_WORKING = "⏳ Still working..."


@dataclass(frozen=True)
class TextDelta:
    text: str


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
    complete: bool  # the server ended the turn (not a cut or capped stream)
    state: SessionState | None
    changes: list[str] = field(default_factory=list)
    note: str = ""  # what the user should know about how the turn ended
    unmatched: list[str] = field(default_factory=list)  # clauses the engine did not understand (customMetadata)

    @property
    def summary(self) -> str:
        return self.state.draft.summary() if self.state else ""


TurnEvent = TextDelta | EditApplied | StillWorking | TurnFailed | TurnDone


@dataclass
class _End:
    broken: str = ""  # why the stream ended early, if it did


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
    shown: list[str] = []
    partial = ""  # ADK partial chunks shown since the last complete text
    complete = False
    started = last_text = time.monotonic()
    notice_every = client.settings.still_working_s
    deadline = started + client.settings.chat_cap_s
    end = _End()
    unmatched: list[str] = []
    try:
        while True:
            now = time.monotonic()
            next_notice = last_text + notice_every if notice_every > 0 else deadline
            try:
                item = await asyncio.wait_for(queue.get(), timeout=max(0.0, min(next_notice, deadline) - now))
            except TimeoutError:
                if time.monotonic() >= deadline:
                    end = _End(broken="The reply took longer than 15 minutes; stopped listening.")
                    break
                last_text = time.monotonic()  # the timer restarts after each notice
                yield StillWorking(time.monotonic() - started)
                continue
            if isinstance(item, ApiError):
                yield TurnFailed(str(item))
                return
            if isinstance(item, _End):
                end = item
                break
            if isinstance(item, TextChunk):
                partial += item.text
                shown.append(item.text)
                last_text = time.monotonic()
                yield TextDelta(item.text)
            elif isinstance(item, FinalText):
                text = item.text
                if partial:  # ADK repeats the streamed chunks whole: show only what is new
                    text = text[len(partial):] if text.startswith(partial) else ""
                    partial = ""
                elif shown and not shown[-1].endswith("\n"):
                    text = "\n\n" + text
                complete = True
                if text:
                    shown.append(text)
                    last_text = time.monotonic()
                    yield TextDelta(text)
            elif isinstance(item, TurnComplete):
                complete = True
                unmatched = _unmatched(item.metadata)
            elif isinstance(item, ToolCall):
                yield EditApplied(item.name)
            elif isinstance(item, StreamError):
                yield TurnFailed(_safe_error(item.message))
                complete = True
            elif isinstance(item, Heartbeat):
                pass
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reader
    if partial:
        complete = False  # chunks without the final event: the stream was cut
    done = await _finish(client, before, "".join(shown), complete, end)
    done.unmatched = unmatched
    yield done


def _unmatched(metadata: dict) -> list[str]:
    """`customMetadata.addmusic.unmatched` of the final event, tolerating any shape."""
    own = metadata.get("addmusic") if isinstance(metadata, dict) else None
    items = own.get("unmatched") if isinstance(own, dict) else None
    return [str(i) for i in items] if isinstance(items, list) else []


async def _finish(client: ApiClient, before: Draft | None, text: str, complete: bool, end: _End) -> TurnDone:
    """Read the timeline after the turn; summarise the change when the reply cannot be trusted."""
    try:
        state = await client.state()
    except ApiError as exc:
        return TurnDone(text, complete and not end.broken, None,
                        note=f"Could not read the timeline after this turn: {exc}")
    changes = draft_diff(before, state.draft) if before is not None else []
    done = TurnDone(text, complete and not end.broken, state, changes)
    if end.broken:
        done.note = f"{end.broken} The message was not re-sent; this is the timeline now."
    elif not done.complete:
        done.note = "The reply ended early. The message was not re-sent; this is the timeline now."
    elif not text.strip():
        done.note = "Done." if changes else "The backend replied without text and changed nothing."
    return done


async def _read_stream(client: ApiClient, body: dict, queue: asyncio.Queue) -> None:
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
                    client.parse_response(response)  # raises the error the answer carries
                    await queue.put(ApiError("The server did not open a reply stream."))
                    return
                async for sse in iter_sse(response.aiter_lines()):
                    if sse.comment:
                        await queue.put(Heartbeat())
                        continue
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
