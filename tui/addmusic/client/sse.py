"""Server-Sent Events of a chat reply, read with httpx-sse.

httpx-sse splits lines only where SSE says (CR, LF, CRLF); httpx's own line reader also splits on
U+2028, U+0085 and the like, which a model's text may hold raw inside a JSON `data:` line.

One tolerance is added around it (DESIGN.md): httpx-sse drops a last event that has no blank line
after it, as the SSE spec says, but a server that simply closes after its final `data:` line means
that event — so the body is given a closing blank line before httpx-sse reads it. A stream cut in
the middle raises from httpx instead, so a half event is never delivered.

Comments (`: ping`) and `id:`/`retry:` lines carry nothing the chat needs: a broken stream is never
resumed (a message is never re-sent), and "still working" runs on a timer of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
from httpx_sse import EventSource


@dataclass(frozen=True)
class SSEMessage:
    event: str  # "" for the default "message"
    data: str


async def iter_sse(response: httpx.Response) -> AsyncIterator[SSEMessage]:
    """The events of an opened `text/event-stream` response (check its status first)."""
    async for sse in EventSource(_closed_with_blank_line(response)).aiter_sse():
        yield SSEMessage("" if sse.event == "message" else sse.event, sse.data)


def _closed_with_blank_line(response: httpx.Response) -> httpx.Response:
    """The same response, its body ending in a blank line once the server closes it."""

    async def body() -> AsyncIterator[bytes]:
        tail = b""
        async for chunk in response.aiter_bytes():  # already decoded: drop Content-Encoding below
            tail = (tail + chunk)[-4:]
            yield chunk
        if not tail.endswith((b"\n\n", b"\r\r", b"\r\n\r\n")):  # only what is missing: no empty events
            yield b"\n" if tail.endswith((b"\n", b"\r")) else b"\n\n"

    headers = [(k, v) for k, v in response.headers.multi_items()
               if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
    return httpx.Response(response.status_code, headers=headers, content=body(), request=response.request)
