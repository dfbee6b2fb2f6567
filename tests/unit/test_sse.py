"""The SSE reader: httpx-sse underneath, plus the one tolerance DESIGN.md measured (a last event
without a trailing blank line), each with a test that shows why."""

from __future__ import annotations

import httpx
import pytest
from httpx_sse import EventSource

from addmusic.client.sse import SSEMessage, iter_sse


def stream(*chunks: bytes) -> httpx.Response:
    async def body():  # type: ignore[no-untyped-def]
        for chunk in chunks:
            yield chunk

    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body(),
                          request=httpx.Request("POST", "http://127.0.0.1/run_sse"))


async def read(*chunks: bytes) -> list[SSEMessage]:
    return [m async for m in iter_sse(stream(*chunks))]


async def test_events_comments_ids_and_split_chunks() -> None:
    got = await read(b": ping\n\nevent: heartbeat\ndata: {}\n\nid: 3\n\nda", b"ta: a\ndata: b\n", b"\ndata:x\n\n")
    assert got == [
        SSEMessage("heartbeat", "{}"),
        SSEMessage("", ""),  # after an `id:` a blank line is an empty event: parse_event calls it a heartbeat
        SSEMessage("", "a\nb"),
        SSEMessage("", "x"),
    ]


async def test_a_last_event_without_blank_line_is_still_delivered() -> None:
    # Why the tolerance: httpx-sse alone drops it (the SSE spec says an unfinished event is not
    # dispatched), but a server that closes right after its final data line means it.
    tail = b'data: {"type": "text", "content": "Done."}'
    plain = [sse.data async for sse in EventSource(stream(b"data: first\n\n", tail)).aiter_sse()]
    assert plain == ["first"]
    assert await read(b"data: first\n\n", tail) == [SSEMessage("", "first"), SSEMessage("", tail[6:].decode())]


async def test_crlf_and_cr_line_ends() -> None:
    assert await read(b"data: a\r\n\r\ndata: b\r\rdata:\r\n\r\n") == [
        SSEMessage("", "a"), SSEMessage("", "b"), SSEMessage("", "")]


async def test_unicode_line_separators_inside_json_stay_in_the_line() -> None:
    # Why httpx-sse: a model's text may hold U+2028 or U+0085 raw inside the JSON (JSON does not
    # escape them); httpx's own line reader splits lines there and the event's JSON breaks.
    data = '{"content": {"parts": [{"text": "one\u2028two\u0085three"}]}}'
    assert await read(f"data: {data}\n\n".encode()) == [SSEMessage("", data)]
    lines = [line async for line in stream(f"data: {data}\n\n".encode()).aiter_lines()]
    assert lines[0] != f"data: {data}"  # what the previous hand-written reader was given


async def test_a_cut_stream_raises_and_delivers_no_half_event() -> None:
    async def body():  # type: ignore[no-untyped-def]
        yield b"data: whole\n\ndata: {\"half"
        raise httpx.RemoteProtocolError("peer closed connection")

    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body(),
                              request=httpx.Request("POST", "http://127.0.0.1/run_sse"))
    got: list[SSEMessage] = []
    with pytest.raises(httpx.RemoteProtocolError):
        async for message in iter_sse(response):
            got.append(message)
    assert got == [SSEMessage("", "whole")]
