"""The client against the real local engine on loopback: every endpoint, token expiry, heartbeats,
no-text turns, credits, renders, restarts — real HTTP, real ffmpeg."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import av
import httpx
import pytest

from addmusic.client.api import ApiClient, ApiError
from addmusic.client.chat import StillWorking, TextDelta, TurnDone, TurnFailed, chat_turn
from addmusic.client.exports import collect_pending, export, pending_store
from addmusic.client.launcher import LOCAL_ENGINE_KEY, ensure_engine, running_engine
from addmusic.protocol.renderplan import RenderPlanNote
from conftest import EngineProcess, make_settings


async def open_client(engine: EngineProcess, home: Path, **overrides: object) -> ApiClient:
    client = ApiClient(engine.url, make_settings(home, engine.url, **overrides), account_key=LOCAL_ENGINE_KEY)
    await client.new_session()
    return client


async def turn(client: ApiClient, message: str) -> list:
    return [event async for event in chat_turn(client, message)]


def text_of(events: list) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


async def test_full_job_over_loopback(engine: EngineProcess, isolated_home: Path, short_clip: Path,
                                      tmp_path: Path) -> None:
    client = await open_client(engine, isolated_home)
    try:
        start = await client.credits()
        uploaded = await client.upload(short_clip)
        assert (uploaded.file_type, uploaded.width, uploaded.height) == ("video", 320, 240)
        assert abs(uploaded.duration - 3.0) < 0.1
        state = await client.state()
        assert state.draft.summary() == "Timeline (1 track): 1. Video: short.mp4 (0-3s)"

        events = await turn(client, "add upbeat background music at 30% and a title 'Day one' for 2 seconds")
        reply = text_of(events)
        done = events[-1]
        assert isinstance(done, TurnDone) and done.complete
        assert reply.count("30%") == 1 and reply.count('"Day one"') == 1  # each text once
        assert done.summary.startswith("Timeline (3 tracks): 1. Video: short.mp4 (0-3s) 2. BGM: ")
        assert ", 30%)" in done.summary and '3. Title: "Day one" (0-2s)' in done.summary
        music = done.state.draft.tracks[1].segments[0]
        assert music.waveform and len(music.waveform) == 120 and max(music.waveform) > 10
        assert (await client.credits()).available == start.available - 1

        dest = tmp_path / "out.mp4"
        phases: list[str] = []
        plans: list[RenderPlanNote] = []
        path = await export(client, dest, progress=lambda phase, _pct: phases.append(phase), planned=plans.append)
        assert path == dest and "render" in phases and "download" in phases
        # the local engine says how it made the picture: the title is drawn, so not copied
        assert plans and plans[-1].mode in ("smart", "encode") and "titles are drawn" in plans[-1].reason
        assert 0 < plans[-1].reencoded <= 1
        with av.open(str(dest)) as container:
            assert container.streams.video[0].codec_context.name == "h264"
            assert container.streams.audio[0].codec_context.name == "aac"
            assert abs(float(container.duration / av.time_base) - 3.0) < 0.1
        assert pending_store(client).all() == []
        with pytest.raises(ApiError, match="already exists"):
            await export(client, dest)
    finally:
        await client.aclose()


async def test_unmatched_request_is_named_back(engine: EngineProcess, isolated_home: Path, short_clip: Path) -> None:
    client = await open_client(engine, isolated_home)
    try:
        await client.upload(short_clip)
        start = await client.credits()
        events = await turn(client, "teleport the cat")
        assert "teleport the cat" in text_of(events)
        assert (await client.credits()).available == start.available  # nothing applied, nothing charged
    finally:
        await client.aclose()


async def test_token_expiry_mid_session_renews_with_same_client(engine_factory, isolated_home: Path) -> None:
    engine = engine_factory(ADDMUSIC_ENGINE_TOKEN_TTL_S="1")
    client = await open_client(engine, isolated_home)
    try:
        client_id = client.creds.client_id
        old_token = client.creds.token
        client.creds.expires_at = time.time() + 3600  # believe the token is good: the server decides
        await asyncio.sleep(1.2)
        balance = await client.credits()  # engine answers 1001; the client renews and retries once
        assert balance.total > 0
        assert client.creds.token != old_token and client.creds.client_id == client_id
        session = client.require_session()
        await client.state()  # the session belongs to the same anonymous user
        assert client.require_session() is session
    finally:
        await client.aclose()


async def test_heartbeat_only_turn_shows_still_working(engine_factory, isolated_home: Path,
                                                       short_clip: Path) -> None:
    engine = engine_factory(ADDMUSIC_HEARTBEAT_S="0.05", ADDMUSIC_ENGINE_THINK_S="1.2")
    client = await open_client(engine, isolated_home, still_working_s=0.4)
    try:
        await client.upload(short_clip)
        started = time.monotonic()
        events = await turn(client, "add background music")
        took = time.monotonic() - started
        notices = [e for e in events if isinstance(e, StillWorking)]
        # a timer (one per 0.4 s of the turn, however long composing takes on a busy machine), not the
        # heartbeats (one per 0.05 s: eight times as many)
        assert 2 <= len(notices) <= took / 0.4 + 1
        assert "music" in text_of(events)
    finally:
        await client.aclose()


async def test_no_text_turn_is_summarised_from_state(engine_factory, isolated_home: Path, short_clip: Path) -> None:
    engine = engine_factory(ADDMUSIC_ENGINE_QUIET="1")
    client = await open_client(engine, isolated_home)
    try:
        await client.upload(short_clip)
        events = await turn(client, "add lofi music at 40%")
        done = events[-1]
        assert text_of(events) == ""
        assert isinstance(done, TurnDone) and done.complete
        assert len(done.changes) == 1 and done.changes[0].startswith("BGM added: ")
        assert done.changes[0].endswith("(0-3s, 40%)")
    finally:
        await client.aclose()


async def test_out_of_credits_gives_registration_url(engine_factory, isolated_home: Path) -> None:
    engine = engine_factory(ADDMUSIC_ENGINE_CREDITS="0")
    client = await open_client(engine, isolated_home)
    try:
        events = await turn(client, "add music")
        failure = next(e for e in events if isinstance(e, TurnFailed))
        assert f"https://nemovideo.com/register?bind={client.creds.user_id}" in failure.message
        assert client.creds.user_id.startswith("anon_")
    finally:
        await client.aclose()


async def test_engine_enforces_headers_and_content_checks(engine: EngineProcess, isolated_home: Path,
                                                          tmp_path: Path) -> None:
    client = await open_client(engine, isolated_home)
    sid = client.require_session().session_id
    try:
        async with httpx.AsyncClient(base_url=engine.url, trust_env=False) as raw:
            no_id = await raw.post("/api/auth/anonymous-token")
            assert no_id.status_code == 400 and "X-Client-Id" in no_id.json()["message"]
            auth = {"Authorization": f"Bearer {client.creds.token}", "X-Client-Id": client.creds.client_id}
            bare = await raw.post("/api/render/proxy/lambda", headers=auth,
                                  json={"id": "render_1", "sessionId": sid, "draft": {}})
            assert bare.status_code == 402
            fake = await raw.post(f"/api/upload-video/nemo_agent/me/{sid}", headers=client.headers(),
                                  files={"files": ("clip.mp4", b"not a video, just text", "video/mp4")})
            assert fake.json()["code"] == 4001
            gone = await raw.get("/api/state/nemo_agent/me/nope/latest", headers=client.headers())
            assert gone.json()["code"] == 1002
    finally:
        await client.aclose()


async def test_oversized_chunked_upload_is_stopped_while_streaming(engine: EngineProcess, isolated_home: Path) -> None:
    client = await open_client(engine, isolated_home)
    sid = client.require_session().session_id
    boundary = "b0undary"
    chunk = bytes(1024 * 1024)

    async def body():  # type: ignore[no-untyped-def]
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.mp4\"\r\n"
               "Content-Type: video/mp4\r\n\r\n").encode() + b"\x00\x00\x00\x18ftypmp42"
        for _ in range(501):
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    try:
        async with httpx.AsyncClient(trust_env=False, timeout=60) as raw:
            headers = {**client.headers(), "Content-Type": f"multipart/form-data; boundary={boundary}"}
            answer = await raw.post(f"{engine.url}/api/upload-video/nemo_agent/me/{sid}", headers=headers,
                                    content=body())
        assert answer.json()["code"] == 4002
        spool = engine.data_dir / "media" / "spool"
        assert not spool.exists() or list(spool.iterdir()) == []
    finally:
        await client.aclose()


async def test_cancel_returns_frozen_credits(engine: EngineProcess, isolated_home: Path, clip_with_gap: Path) -> None:
    client = await open_client(engine, isolated_home)
    try:
        await client.upload(clip_with_gap)
        await turn(client, "make it vertical")  # forces a full re-encode: slow enough to cancel
        before = await client.credits()
        status = await client.submit_render((await client.state()).draft)
        held = await client.credits()
        assert held.frozen > 0 and held.available < before.available
        cancelled = await client.cancel_render(status.job_id)
        assert cancelled.status == "cancelled"
        after = await client.credits()
        assert (after.available, after.frozen) == (before.available, before.frozen)
    finally:
        await client.aclose()


async def test_render_interrupted_by_stop_reruns_after_restart(engine_factory, isolated_home: Path,
                                                              clip_with_gap: Path, tmp_path: Path) -> None:
    engine = engine_factory("persist")
    client = await open_client(engine, isolated_home)
    await client.upload(clip_with_gap)
    await turn(client, "make it square")
    status = await client.submit_render((await client.state()).draft)
    from addmusic.client.files import PendingRender

    pending_store(client).add(PendingRender(status.job_id, client.account_key, client.require_session().session_id,
                                            str(tmp_path / "later.mp4")))
    await client.aclose()
    # SIGTERM: a clean shutdown (uvicorn re-raises the signal once done), not a kill after the timeout
    assert engine.stop() in (0, -signal.SIGTERM)

    again = EngineProcess(engine.data_dir, {"ADDMUSIC_HEARTBEAT_S": "0.2"})
    try:
        client = ApiClient(again.url, make_settings(isolated_home, again.url), account_key=LOCAL_ENGINE_KEY)
        results = await collect_pending(client)
        assert [str(r) for _, r in results] == [str(tmp_path / "later.mp4")]
        with av.open(str(tmp_path / "later.mp4")) as container:
            stream = container.streams.video[0]
            assert (stream.codec_context.width, stream.codec_context.height) == (1080, 1080)
        await client.aclose()
    finally:
        again.stop()


async def test_two_front_ends_share_one_engine_and_it_exits_when_idle(isolated_home: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADDMUSIC_ENGINE_IDLE_S", "1")
    engine_dir = isolated_home / "data" / "engine"
    first, second = await asyncio.gather(ensure_engine(engine_dir), ensure_engine(engine_dir))
    assert first == second
    assert await running_engine(engine_dir) == first
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and await running_engine(engine_dir):
        await asyncio.sleep(0.2)
    assert await running_engine(engine_dir) is None
