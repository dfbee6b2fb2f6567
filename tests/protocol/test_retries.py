"""Issue 8 item 9: one 503 or a dropped connection does not end a command. Idempotent calls
(credits, state, poll, download) are tried again with bounded backoff, honouring Retry-After;
chat turns and render submissions are never sent twice on their own. Faults are real: a loopback
server that answers 503, or closes the connection without a word."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from addmusic.client.api import RETRY_ATTEMPTS, ApiClient, ApiError
from addmusic.client.chat import chat_turn
from addmusic.client.exports import export, pending_store
from conftest import make_settings
from wire_server import Request, WireServer, ok, response

TOKEN = "nmv_usr_SECRETSECRET"
STATE = ('{"session_id": "s1", "state": {"draft": {"t": [{"tt": 0, "sg": [{"id": "v", "n": "a.mp4", "st": 0,'
         ' "d": 10000}]}], "d": 10000}}}')
DROP: list = []  # no bytes at all: the connection closes without an answer
BUSY = response(503, '{"code": 5030, "message": "busy"}', extra_headers="Retry-After: 0\r\n")


@pytest.fixture
async def wire() -> WireServer:
    server = await WireServer().start()
    server.on("POST", "/api/auth/anonymous-token",
              ok(f'{{"token": "{TOKEN}", "user_id": "anon_42", "expires_at": 4102444800, "credits": 100}}'))
    server.on("POST", "/api/tasks/me/with-session/nemo_agent",
              ok('{"task_id": "t1", "session_id": "s1", "user_id": "anon_42"}'))
    server.on("GET", "/api/state/nemo_agent/me/s1/latest", ok(STATE))
    yield server
    await server.stop()


@pytest.fixture
async def client(wire: WireServer, isolated_home: Path) -> ApiClient:
    api = ApiClient(wire.url, make_settings(isolated_home, wire.url))
    api.retry_base_s = 0.01  # the backoff's shape, not its length, is under test
    yield api
    await api.aclose()


def script(*answers: list) -> object:
    """A route that gives these answers in turn, then repeats the last one."""
    queue = list(answers)

    def handler(_request: Request) -> list:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return handler


async def test_idempotent_calls_ride_out_503_and_dropped_connections(wire: WireServer, client: ApiClient) -> None:
    wire.on("GET", "/api/credits/balance/simple",
            script(BUSY, DROP, ok('{"available": 7, "frozen": 0, "total": 7}')))
    assert (await client.credits()).available == 7
    assert len(wire.seen("/api/credits/balance/simple")) == 3
    await client.new_session()
    wire.on("GET", "/api/state/nemo_agent/me/s1/latest", script(DROP, DROP, ok(STATE)))
    assert (await client.state()).draft.exportable


async def test_retry_after_is_honoured(wire: WireServer, client: ApiClient, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    waits: list[float] = []
    real_backoff = client.backoff

    def spy(attempt: int, retry_after: float | None = None) -> float:
        wait = real_backoff(attempt, retry_after)
        waits.append(wait)
        return min(wait, 0.05)  # keep the test quick; the chosen wait is what is checked

    monkeypatch.setattr(client, "backoff", spy)
    wire.on("GET", "/api/credits/balance/simple", script(
        response(503, '{"code": 5030, "message": "busy"}', extra_headers="Retry-After: 7\r\n"),
        ok('{"available": 1, "frozen": 0, "total": 1}')))
    await client.credits()
    assert waits == [7.0]


async def test_retries_are_bounded(wire: WireServer, client: ApiClient) -> None:
    wire.on("GET", "/api/credits/balance/simple", BUSY)
    with pytest.raises(ApiError, match="HTTP 503"):
        await client.credits()
    assert len(wire.seen("/api/credits/balance/simple")) == 1 + RETRY_ATTEMPTS
    waits = [client.backoff(n) for n in range(8) for _ in range(50)]
    assert all(0 <= w <= 8.0 for w in waits)  # full jitter under a cap


async def test_chat_turn_is_never_sent_twice(wire: WireServer, client: ApiClient) -> None:
    await client.new_session()
    wire.on("POST", "/run_sse", DROP)
    events = [e async for e in chat_turn(client, "add music")]
    assert events  # the user is told (a failure event), not silently re-sent
    assert len(wire.seen("/run_sse")) == 1


async def test_lost_submission_is_not_repeated_and_collect_is_named(wire: WireServer, client: ApiClient,
                                                                    tmp_path: Path) -> None:
    await client.new_session()
    wire.on("POST", "/api/render/proxy/lambda", DROP)
    with pytest.raises(ApiError, match=r"may have started anyway; if it did, `addmusic-tui collect` saves it"):
        await export(client, tmp_path / "out.mp4")
    assert len(wire.seen("/api/render/proxy/lambda")) == 1
    remembered = pending_store(client).all()
    assert [p.job_id for p in remembered] == [wire.seen("/api/render/proxy/lambda")[0].json()["id"]]


async def test_export_survives_blips_and_says_the_render_goes_on_when_it_cannot(
        wire: WireServer, client: ApiClient, tmp_path: Path) -> None:
    video = b"\x00\x00\x00\x18ftypmp42" + os.urandom(300_000)
    cut = (b"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
           % len(video)) + video[:1000]  # the transfer breaks off
    await client.new_session()
    wire.on("POST", "/api/render/proxy/lambda", ok('{"id": "R", "status": "pending", "progress": 0}'))
    done = ok('{"id": "R", "status": "completed", "progress": 100, "outputUrl": "%s/files/out.mp4"}' % wire.url)
    wire.on("GET", "/api/render/proxy/lambda/R", script(BUSY, DROP, ok('{"id": "R", "status": "processing"}'), done))
    wire.on("GET", "/files/out.mp4", script([cut], BUSY, response(200, video, "video/mp4")))
    dest = tmp_path / "out.mp4"
    assert await export(client, dest) == dest and dest.read_bytes() == video
    assert len(wire.seen("/api/render/proxy/lambda")) == 1
    assert pending_store(client).all() == []

    wire.on("GET", "/api/render/proxy/lambda/R", BUSY)  # the server stays down while it renders
    with pytest.raises(ApiError, match=r"The render goes on; `addmusic-tui collect` saves it to .*again\.mp4"):
        await export(client, tmp_path / "again.mp4")
    assert [p.job_id for p in pending_store(client).all()] == ["R"]
