"""The client against literal wire bytes written from API.md (tests/wire_server.py): every error
code, every tolerated event and poll shape. Nothing here is produced by the engine's encoder."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from addmusic.client.api import ApiClient, ApiError, SessionLost
from addmusic.client.chat import EditApplied, StillWorking, TextDelta, TurnDone, TurnFailed, chat_turn
from addmusic.client.exports import export
from conftest import make_settings
from wire_server import Request, WireServer, ok, response, sse_head

TOKEN = "nmv_usr_SECRETSECRET"
SESSION = '{"task_id": "t1", "session_id": "s1", "user_id": "anon_42"}'
STATE_EMPTY = '{"session_id": "s1", "state": {"draft": {"t": [{"tt": 0, "sg": [{"id": "v", "n": "a.mp4", "st": 0, "d": 10000}]}], "d": 10000}}}'  # noqa: E501
STATE_BGM = '{"session_id": "s1", "state": {"draft": {"t": [{"tt": 0, "sg": [{"id": "v", "n": "a.mp4", "st": 0, "d": 10000}]}, {"tt": 1, "sg": [{"id": "m", "n": "Lo-fi", "st": 0, "d": 10000, "v": 35}]}], "d": 10000}}}'  # noqa: E501


@pytest.fixture
async def wire() -> WireServer:
    server = await WireServer().start()
    server.on("POST", "/api/auth/anonymous-token",
              ok(f'{{"token": "{TOKEN}", "user_id": "anon_42", "expires_at": 4102444800, "credits": 100}}'))
    server.on("POST", "/api/tasks/me/with-session/nemo_agent", ok(SESSION))
    server.on("GET", "/api/state/nemo_agent/me/s1/latest", ok(STATE_EMPTY))
    yield server
    await server.stop()


@pytest.fixture
async def client(wire: WireServer, isolated_home: Path) -> ApiClient:
    api = ApiClient(wire.url, make_settings(isolated_home, wire.url, still_working_s=0.3))
    yield api
    await api.aclose()


async def collect(client: ApiClient, message: str = "add music") -> list:
    return [event async for event in chat_turn(client, message)]


# --- credentials and headers -------------------------------------------------------------------


async def test_every_call_carries_attribution_and_client_id(wire: WireServer, client: ApiClient,
                                                            isolated_home: Path) -> None:
    wire.on("GET", "/api/credits/balance/simple", ok('{"available": 90, "frozen": 10, "total": 100}'))
    await client.new_session()
    balance = await client.credits()
    assert (balance.available, balance.frozen, balance.total) == (90, 10, 100)
    token_call = wire.seen("/api/auth/anonymous-token")[0]
    assert "authorization" not in token_call.headers
    client_id = token_call.headers["x-client-id"]
    for request in wire.requests:
        assert request.headers["x-skill-source"] == "add-music-to-best"
        assert request.headers["x-skill-version"]
        assert request.headers["x-skill-platform"] == "unknown"
        assert request.headers["x-client-id"] == client_id
    for request in wire.requests[1:]:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
    stored = isolated_home / "data" / "credentials.json"
    assert stat.S_IMODE(os.stat(stored).st_mode) == 0o600
    record = json.loads(stored.read_text())[f"http://127.0.0.1:{wire.port}"]
    assert record["client_id"] == client_id and record["token"] == TOKEN


async def test_client_id_survives_restarts(wire: WireServer, isolated_home: Path) -> None:
    first = ApiClient(wire.url, make_settings(isolated_home, wire.url))
    await first.new_session()
    await first.aclose()
    second = ApiClient(wire.url, make_settings(isolated_home, wire.url))
    second.creds.token = ""  # force a new token: the client id must stay
    await second.new_session()
    await second.aclose()
    ids = {r.headers["x-client-id"] for r in wire.requests}
    assert len(ids) == 1
    assert len(wire.seen("/api/auth/anonymous-token")) == 2


async def test_expired_token_is_renewed_once_with_same_client_id(wire: WireServer, client: ApiClient) -> None:
    answers = iter([response(401, '{"code": 1001, "message": "token expired"}'),
                    ok('{"available": 5, "frozen": 0, "total": 5}')])
    wire.on("GET", "/api/credits/balance/simple", lambda _r: next(answers))
    await client.new_session()
    assert (await client.credits()).available == 5
    assert len(wire.seen("/api/auth/anonymous-token")) == 2
    assert len({r.headers["x-client-id"] for r in wire.requests}) == 1


async def test_rejected_nemo_token_is_reported_not_replaced(wire: WireServer, isolated_home: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEMO_TOKEN", "nmv_usr_USERS_OWN")
    wire.on("POST", "/api/tasks/me/with-session/nemo_agent", response(200, '{"code": 1001, "message": "bad"}'))
    api = ApiClient(wire.url, make_settings(isolated_home, wire.url))
    with pytest.raises(ApiError, match="NEMO_TOKEN was rejected"):
        await api.new_session()
    await api.aclose()
    assert wire.seen("/api/auth/anonymous-token") == []
    assert wire.requests[0].headers["authorization"] == "Bearer nmv_usr_USERS_OWN"
    api.store.save(api.account_key, api.creds)  # even when saved, the user's own token is not stored
    assert "USERS_OWN" not in (isolated_home / "data" / "credentials.json").read_text()


async def test_missing_client_id_answer_makes_one_and_retries(wire: WireServer, client: ApiClient) -> None:
    answers = iter([response(400, '{"code": 400, "message": "missing X-Client-Id"}'),
                    ok('{"available": 1, "frozen": 0, "total": 1}')])
    wire.on("GET", "/api/credits/balance/simple", lambda _r: next(answers))
    await client.ensure_token()
    client_id = client.creds.client_id
    assert (await client.credits()).available == 1
    assert client.creds.client_id == client_id  # an existing id is never replaced


async def test_session_not_found_starts_a_new_session(wire: WireServer, client: ApiClient) -> None:
    await client.new_session()
    wire.on("GET", "/api/state/nemo_agent/me/s1/latest", response(404, '{"code": 1002, "message": "gone"}'))
    wire.on("POST", "/api/tasks/me/with-session/nemo_agent", ok('{"task_id": "t2", "session_id": "s2"}'))
    with pytest.raises(SessionLost, match="new one was started"):
        await client.state()
    assert client.session is not None and client.session.session_id == "s2"


async def test_no_credits_shows_registration_url_for_anonymous(wire: WireServer, client: ApiClient) -> None:
    wire.on("GET", "/api/credits/balance/simple", response(200, '{"code": 2001, "message": "no credits"}'))
    await client.new_session()
    with pytest.raises(ApiError) as info:
        await client.credits()
    assert "https://nemovideo.com/register?bind=anon_42" in str(info.value)


async def test_no_credits_for_registered_user_says_top_up(wire: WireServer, isolated_home: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEMO_TOKEN", "nmv_usr_REGISTERED")
    wire.on("GET", "/api/credits/balance/simple", response(200, '{"code": 2001, "message": "no credits"}'))
    api = ApiClient(wire.url, make_settings(isolated_home, wire.url))
    with pytest.raises(ApiError, match="Top up credits in your account"):
        await api.credits()
    await api.aclose()


async def test_free_plan_export_block_402(wire: WireServer, client: ApiClient) -> None:
    wire.on("POST", "/api/render/proxy/lambda", response(402, '{"code": 402, "message": "payment required"}'))
    await client.new_session()
    with pytest.raises(ApiError, match="Register or upgrade your plan to unlock export."):
        await export(client, Path("/tmp/never.mp4"))


async def test_rate_limit_retries_once_after_retry_after(wire: WireServer, client: ApiClient) -> None:
    answers = iter([response(429, '{"message": "slow down"}', extra_headers="Retry-After: 0.1\r\n"),
                    ok('{"available": 3, "frozen": 0, "total": 3}')])
    wire.on("GET", "/api/credits/balance/simple", lambda _r: next(answers))
    assert (await client.credits()).available == 3
    wire.on("GET", "/api/credits/balance/simple",
            response(429, '{"message": "slow down"}', extra_headers="Retry-After: 0.1\r\n"))
    with pytest.raises(ApiError, match="rate-limiting"):
        await client.credits()


async def test_server_error_is_a_sentence_not_json(wire: WireServer, client: ApiClient) -> None:
    wire.on("GET", "/api/credits/balance/simple", response(500, "<html>oops</html>", "text/html"))
    with pytest.raises(ApiError) as info:
        await client.credits()
    assert "HTTP 500" in str(info.value) and "<html>" not in str(info.value)


async def test_unreachable_server_is_reported(isolated_home: Path) -> None:
    api = ApiClient("http://127.0.0.1:9", make_settings(isolated_home, "http://127.0.0.1:9"))
    with pytest.raises(ApiError, match="Cannot reach"):
        await api.credits()
    await api.aclose()


# --- uploads: checked before sending -------------------------------------------------------------


async def test_unsupported_and_fake_files_are_refused_before_sending(wire: WireServer, client: ApiClient,
                                                                     tmp_path: Path) -> None:
    await client.new_session()
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    fake = tmp_path / "fake.mp4"
    fake.write_text("this is not a video at all")
    huge = tmp_path / "huge.mp4"
    with huge.open("wb") as handle:  # sparse: 501 MB on paper, nothing on disk
        handle.write(b"\x00\x00\x00\x18ftypmp42")
        handle.truncate(501 * 1024 * 1024)
    with pytest.raises(ApiError, match="mp4, mov, avi, webm, mkv, jpg, png, gif, webp, mp3, wav, m4a, aac"):
        await client.upload(text)
    with pytest.raises(ApiError, match="does not look like a video"):
        await client.upload(fake)
    with pytest.raises(ApiError, match="Compress it or trim it"):
        await client.upload(huge)
    assert wire.seen("/api/upload-video/nemo_agent/me/s1") == []


async def test_upload_streams_multipart_with_progress(wire: WireServer, client: ApiClient, short_clip: Path) -> None:
    wire.on("POST", "/api/upload-video/nemo_agent/me/s1", ok(
        '{"files": [{"filename": "short.mp4", "file_type": "video", "cdn_url": "https://cdn/x", "duration": 3, '
        '"width": 320, "height": 240, "fps": 30, "hash": "h1"}], "session_state_applied": true}'))
    await client.new_session()
    seen: list[float] = []
    uploaded = await client.upload(short_clip, seen.append)
    assert (uploaded.media_id, uploaded.width, uploaded.duration) == ("h1", 320, 3.0)
    request = wire.seen("/api/upload-video/nemo_agent/me/s1")[0]
    assert request.headers["content-type"].startswith("multipart/form-data")
    assert b'name="files"; filename="short.mp4"' in request.body
    assert short_clip.read_bytes() in request.body
    assert seen and seen[-1] == 100.0


async def test_server_side_4001_and_4002_are_explained(wire: WireServer, client: ApiClient, short_clip: Path) -> None:
    await client.new_session()
    path = "/api/upload-video/nemo_agent/me/s1"
    wire.on("POST", path, response(200, '{"code": 4001, "message": "unsupported"}'))
    with pytest.raises(ApiError, match="Supported formats"):
        await client.upload(short_clip)
    wire.on("POST", path, response(200, '{"code": 4002, "message": "too large"}'))
    with pytest.raises(ApiError, match="Compress it or trim it"):
        await client.upload(short_clip)


# --- chat stream shapes --------------------------------------------------------------------------

ADK = ('data: {"id": "e1", "invocationId": "i1", "author": "nemo_agent", "partial": true, '
       '"content": {"role": "model", "parts": [{"text": "%s"}]}}\n\n')


def adk_partial(text: str) -> bytes:
    return (ADK % text).encode()


def adk_final(text: str) -> bytes:
    return ('data: {"id": "e9", "invocationId": "i1", "author": "nemo_agent", "partial": false, '
            '"turnComplete": true, "content": {"role": "model", "parts": [{"text": "%s"}]}}\n\n' % text).encode()


def texts(events: list) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


async def test_adk_partials_are_shown_live_and_final_not_repeated(wire: WireServer, client: ApiClient) -> None:
    call = (b'data: {"content": {"role": "model", "parts": [{"functionCall": {"id": "c1", "name": "add_bgm", '
            b'"args": {"volume": 35}}}]}}\n\n')
    result = (b'data: {"content": {"role": "model", "parts": [{"functionResponse": {"id": "c1", "name": "add_bgm", '
              b'"response": {"ok": true}}}]}}\n\n')
    wire.on("POST", "/run_sse", [sse_head(), call, result, adk_partial("Added "), 0.05, adk_partial("Lo-fi music."),
                                 adk_final("Added Lo-fi music.")])
    wire.on("GET", "/api/state/nemo_agent/me/s1/latest", ok(STATE_BGM))
    await client.new_session()
    events = await collect(client)
    assert texts(events) == "Added Lo-fi music."
    assert [e.name for e in events if isinstance(e, EditApplied)] == ["add_bgm"]
    done = events[-1]
    assert isinstance(done, TurnDone) and done.complete and done.note == ""
    assert done.summary == "Timeline (2 tracks): 1. Video: a.mp4 (0-10s) 2. BGM: Lo-fi (0-10s, 35%)"
    request = wire.seen("/run_sse")[0]
    body = request.json()
    assert body == {"app_name": "nemo_agent", "user_id": "me", "session_id": "s1",
                    "new_message": {"role": "user", "parts": [{"text": "add music"}]}, "streaming": True}
    assert request.headers["accept"] == "text/event-stream"


async def test_simple_form_and_every_heartbeat_shape(wire: WireServer, client: ApiClient) -> None:
    wire.on("POST", "/run_sse", [
        sse_head(), b": keep-alive\n\n", b"event: heartbeat\ndata: {}\n\n", b"data:\n\n",
        b'data: {"type": "heartbeat"}\n\n', b"id: 7\n\n", b"data: {broken json\n\n",
        b'data: {"type": "tool_call", "name": "set_volume", "args": {"v": 20}}\n\n',
        b'data: {"type": "tool_result", "name": "set_volume", "result": {"ok": true}}\n\n',
        b'data: {"type": "text", "content": "Music lowered to 20%."}',  # no trailing blank line
    ])
    await client.new_session()
    events = await collect(client)
    assert texts(events) == "Music lowered to 20%."
    assert [e.name for e in events if isinstance(e, EditApplied)] == ["set_volume"]
    assert isinstance(events[-1], TurnDone) and events[-1].complete


async def test_heartbeats_only_give_still_working_on_a_timer(wire: WireServer, client: ApiClient) -> None:
    # comment heartbeats that no event parser reports, for ~1 s; notices every 0.3 s
    wire.on("POST", "/run_sse", [sse_head()] + [b": ping\n\n", 0.1] * 10 + [adk_final("Done.")])
    wire.on("GET", "/api/state/nemo_agent/me/s1/latest", ok(STATE_BGM))
    await client.new_session()
    events = await collect(client)
    notices = [e for e in events if isinstance(e, StillWorking)]
    assert 2 <= len(notices) <= 5  # one per 0.3 s of a ~1 s wait, not one per heartbeat (10)
    assert texts(events) == "Done."
    first_text = next(i for i, e in enumerate(events) if isinstance(e, TextDelta))
    assert all(isinstance(e, StillWorking) for e in events[:first_text])


async def test_no_text_turn_reads_state_and_summarises_change(wire: WireServer, client: ApiClient) -> None:
    states = iter([ok(STATE_EMPTY), ok(STATE_BGM)])
    wire.on("GET", "/api/state/nemo_agent/me/s1/latest", lambda _r: next(states))
    wire.on("POST", "/run_sse", [sse_head(), b": hb\n\n",
                                 b'data: {"content": {"parts": []}, "turnComplete": true}\n\n'])
    await client.new_session()
    events = await collect(client)
    done = events[-1]
    assert texts(events) == ""
    assert isinstance(done, TurnDone) and done.complete
    assert done.changes == ["BGM added: Lo-fi (0-10s, 35%)"]
    assert done.note == "Done."


async def test_cut_stream_is_never_resent_and_ends_in_state(wire: WireServer, client: ApiClient) -> None:
    states = iter([ok(STATE_EMPTY), ok(STATE_BGM)])
    wire.on("GET", "/api/state/nemo_agent/me/s1/latest", lambda _r: next(states))
    wire.on("POST", "/run_sse", [sse_head(), adk_partial("Adding mu")])  # closes without the final event
    await client.new_session()
    events = await collect(client)
    done = events[-1]
    assert texts(events) == "Adding mu"
    assert isinstance(done, TurnDone) and not done.complete
    assert "not re-sent" in done.note
    assert done.changes == ["BGM added: Lo-fi (0-10s, 35%)"]
    assert len(wire.seen("/run_sse")) == 1


async def test_error_event_is_shown_without_json(wire: WireServer, client: ApiClient) -> None:
    wire.on("POST", "/run_sse", [sse_head(), b'data: {"error": "The edit could not be applied."}\n\n'])
    await client.new_session()
    events = await collect(client)
    failures = [e.message for e in events if isinstance(e, TurnFailed)]
    assert failures == ["The edit could not be applied."]


async def test_chat_refused_before_streaming_is_an_error(wire: WireServer, client: ApiClient) -> None:
    wire.on("POST", "/run_sse", response(200, '{"code": 2001, "message": "no credits"}'))
    await client.new_session()
    events = await collect(client)
    assert isinstance(events[-1], TurnFailed)
    assert "register?bind=anon_42" in events[-1].message


async def test_expired_token_before_stream_opens_is_renewed(wire: WireServer, client: ApiClient) -> None:
    answers = iter([response(401, '{"code": 1001, "message": "expired"}'), [sse_head(), adk_final("Hi.")]])
    wire.on("POST", "/run_sse", lambda _r: next(answers))
    await client.new_session()
    events = await collect(client)
    assert texts(events) == "Hi."
    assert len(wire.seen("/api/auth/anonymous-token")) == 2


# --- render poll shapes and downloads -----------------------------------------------------------

POLL_SHAPES = [
    '{"code": 0, "data": {"id": "R", "status": "completed", "progress": 100, "output": {"url": "%s"}}}',
    '{"code": 0, "data": {"id": "R", "status": "completed", "progress": 100, "outputUrl": "%s"}}',
    '{"success": true, "data": {"id": "R", "status": "completed", "output": {"url": "%s"}}, "error": null}',
    '{"id": "R", "status": "completed", "progress": 100, "outputUrl": "%s"}',
    '{"success": true, "data": {"status": "completed", "outputUrl": "%s"}, "error": null}',
]


@pytest.mark.parametrize("shape", POLL_SHAPES)
async def test_every_poll_shape_downloads(wire: WireServer, client: ApiClient, tmp_path: Path, shape: str) -> None:
    video = b"\x00\x00\x00\x18ftypmp42" + os.urandom(200_000)
    wire.on("POST", "/api/render/proxy/lambda", ok('{"id": "R", "status": "pending", "progress": 0}'))
    polls = iter([ok('{"id": "R", "status": "processing", "progress": 40}')])

    def poll(request: Request) -> list:
        return next(polls, None) or response(200, shape % f"{wire.url}/files/out.mp4")

    wire.on("GET", "/api/render/proxy/lambda/R", poll)
    wire.on("GET", "/files/out.mp4", response(200, video, "video/mp4"))
    await client.new_session()
    phases: list[tuple[str, float]] = []
    dest = tmp_path / "out.mp4"
    path = await export(client, dest, progress=lambda phase, pct: phases.append((phase, pct)))
    assert path == dest and dest.read_bytes() == video
    assert ("render", 40.0) in phases and phases[-1] == ("download", 100.0)
    submitted = wire.seen("/api/render/proxy/lambda")[0].json()
    assert submitted["id"].startswith("render_") and submitted["id"][7:].isdigit()
    assert submitted["sessionId"] == "s1" and submitted["output"] == {"format": "mp4", "quality": "high"}
    assert submitted["draft"]["t"][0]["tt"] == 0
    assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob(".*.part"))


async def test_the_plan_in_a_poll_is_optional_and_heard_once_per_change(wire: WireServer, client: ApiClient,
                                                                       tmp_path: Path) -> None:
    wire.on("POST", "/api/render/proxy/lambda", ok('{"id": "R", "status": "pending", "progress": 0}'))
    smart = '"plan": {"mode": "smart", "reason": "titles are drawn on the picture", "reencoded": 0.0667}'
    polls = iter([ok('{"id": "R", "status": "processing", "progress": 10}'),  # the cloud: no plan
                  ok('{"id": "R", "status": "processing", "progress": 20, "plan": "odd"}'),  # unknown: ignored
                  ok('{"id": "R", "status": "processing", "progress": 40, %s}' % smart),
                  ok('{"id": "R", "status": "processing", "progress": 60, %s}' % smart),
                  ok('{"id": "R", "status": "processing", "progress": 80, "plan": {"mode": "encode", '
                     '"reason": "smart rendering could not join the parts"}}')])

    def poll(request: Request) -> list:
        return next(polls, None) or ok('{"id": "R", "status": "completed", "outputUrl": "%s"}'
                                       % f"{wire.url}/files/out.mp4")

    wire.on("GET", "/api/render/proxy/lambda/R", poll)
    wire.on("GET", "/files/out.mp4", response(200, b"\x00\x00\x00\x18ftypmp42" + os.urandom(1000), "video/mp4"))
    await client.new_session()
    heard: list[str] = []
    await export(client, tmp_path / "out.mp4", planned=lambda plan: heard.append(plan.line()))
    assert heard == ["Smart render: 6.7 % re-encoded (titles are drawn on the picture)",
                     "Full re-encode (smart rendering could not join the parts)"]


async def test_failed_render_reports_reason(wire: WireServer, client: ApiClient, tmp_path: Path) -> None:
    wire.on("POST", "/api/render/proxy/lambda", ok('{"id": "R", "status": "pending", "progress": 0}'))
    wire.on("GET", "/api/render/proxy/lambda/R", ok('{"id": "R", "status": "failed", "error": "codec exploded"}'))
    await client.new_session()
    with pytest.raises(ApiError, match="codec exploded"):
        await export(client, tmp_path / "x.mp4")
    assert not (tmp_path / "x.mp4").exists()


async def test_download_never_overwrites_and_never_leaks_credentials(wire: WireServer, client: ApiClient,
                                                                     tmp_path: Path) -> None:
    other = await WireServer().start()  # a CDN on another origin
    other.on("GET", "/cdn/out.mp4", response(200, b"video-bytes", "video/mp4"))
    try:
        existing = tmp_path / "keep.mp4"
        existing.write_bytes(b"precious")
        with pytest.raises(ApiError, match="already exists"):
            await client.download(f"{other.url}/cdn/out.mp4", existing)
        assert existing.read_bytes() == b"precious"
        await client.ensure_token()
        fresh = await client.download(f"{other.url}/cdn/out.mp4", tmp_path / "new.mp4")
        assert fresh.read_bytes() == b"video-bytes"
        cdn_request = other.requests[-1]
        assert "authorization" not in cdn_request.headers and "x-client-id" not in cdn_request.headers
    finally:
        await other.stop()


async def test_truncated_download_leaves_nothing(wire: WireServer, client: ApiClient, tmp_path: Path) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n"
    wire.on("GET", "/files/cut.mp4", [head, b"x" * 100])
    with pytest.raises(ApiError, match="interrupted|cut short"):
        await client.download(f"{wire.url}/files/cut.mp4", tmp_path / "cut.mp4")
    assert list(tmp_path.iterdir()) == []
