"""The SSE reader: comments are reported, multi-line data joins, a last event without a trailing
blank line is still delivered (the httpx-sse pitfall DESIGN.md measured)."""

from __future__ import annotations

from addmusic.client.sse import SSEMessage, iter_sse


async def lines(*items: str):  # type: ignore[no-untyped-def]
    for item in items:
        yield item


async def read(*items: str) -> list[SSEMessage]:
    return [m async for m in iter_sse(lines(*items))]


async def test_events_comments_and_tail() -> None:
    got = await read(": ping", "", "event: heartbeat", "data: {}", "", "id: 3", "", "data: a", "data: b", "",
                     "data:no-space", "data: last")
    assert got == [
        SSEMessage("", "ping", comment=True),
        SSEMessage("heartbeat", "{}"),
        SSEMessage("", "a\nb"),
        SSEMessage("", "no-space\nlast"),
    ]


async def test_crlf_and_empty_data() -> None:
    assert await read("data:\r\n", "\r\n") == [SSEMessage("", "")]
