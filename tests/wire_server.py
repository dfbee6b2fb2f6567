"""A tiny HTTP/1.1 server for contract tests: it answers with literal bytes written from API.md.

It imports nothing from `addmusic`, so the client's parsing is checked against the contract and
not against the engine's own encoder. A test scripts each route as a list of steps: bytes to send
or seconds to wait; the connection closes after the last step (the SSE "end of turn").
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field

Step = bytes | float
Handler = Callable[["Request"], list[Step]]


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body or b"null")


def response(status: int, body: bytes | str, content_type: str = "application/json",
             extra_headers: str = "") -> list[Step]:
    """A whole non-streamed answer with Content-Length."""
    payload = body.encode() if isinstance(body, str) else body
    reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 404: "Not Found",
              429: "Too Many Requests", 500: "Internal Server Error"}.get(status, "Status")
    head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(payload)}\r\n{extra_headers}Connection: close\r\n\r\n")
    return [head.encode() + payload]


def sse_head() -> bytes:
    """The start of a streamed answer with no length: the body ends when the server closes."""
    return (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
            b"Connection: close\r\n\r\n")


def ok(data_json: str) -> list[Step]:
    return response(200, '{"code": 0, "message": "ok", "data": ' + data_json + "}")


@dataclass
class WireServer:
    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    port: int = 0
    _server: asyncio.AbstractServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def on(self, method: str, path: str, handler: Handler | list[Step]) -> None:
        self.routes[(method, path)] = handler if callable(handler) else (lambda _req, steps=handler: steps)

    def seen(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    async def start(self) -> WireServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await self._read(reader)
            if request is None:
                return
            self.requests.append(request)
            handler = self.routes.get((request.method, request.path))
            steps = handler(request) if handler else response(404, '{"code": 404, "message": "no route"}')
            for step in steps:
                if isinstance(step, (int, float)):
                    await asyncio.sleep(step)
                else:
                    writer.write(step)
                    await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    @staticmethod
    async def _read(reader: asyncio.StreamReader) -> Request | None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        body = b""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int((await reader.readline()).strip() or b"0", 16)
                if size == 0:
                    await reader.readline()
                    break
                body += await reader.readexactly(size)
                await reader.readline()
        elif headers.get("content-length"):
            body = await reader.readexactly(int(headers["content-length"]))
        return Request(method, target.split("?")[0], headers, body)
