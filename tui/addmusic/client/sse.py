"""A small Server-Sent Events reader over httpx's line iterator.

Written here rather than taken from httpx-sse because of what DESIGN.md measured there: a last
event without a trailing blank line was dropped, and comments came back as empty events. Here a
comment is reported as a comment (it is a heartbeat), and whatever is pending at the end of the
stream is still delivered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass


@dataclass(frozen=True)
class SSEMessage:
    event: str  # "" for the default "message"
    data: str
    comment: bool = False


async def iter_sse(lines: AsyncIterator[str]) -> AsyncIterator[SSEMessage]:
    event, data, pending = "", [], False
    async for raw in lines:
        line = raw.rstrip("\r\n")
        if line == "":
            if pending:
                yield SSEMessage(event, "\n".join(data))
            event, data, pending = "", [], False
            continue
        if line.startswith(":"):
            yield SSEMessage("", line[1:].strip(), comment=True)
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            data.append(value)
            pending = True
        elif name == "event":
            event, pending = value, True
        # "id" and "retry" need no handling: a broken stream is never resumed (never re-sent)
    if pending:
        yield SSEMessage(event, "\n".join(data))
