"""The stream of one chat turn, read raw from the real engine over loopback: events are grouped
into model replies by their `id` the way ADK groups them (every chunk of one reply and its final
event share an id; the next reply has a new one), which is how the client tells replies apart."""

from __future__ import annotations

import json
from pathlib import Path

from addmusic.client.api import ApiClient
from addmusic.client.launcher import LOCAL_ENGINE_KEY
from addmusic.protocol import api
from conftest import EngineProcess, make_settings


async def raw_turn(client: ApiClient, message: str) -> list[dict]:
    session = client.require_session()
    body = {"app_name": api.APP_NAME, "user_id": "me", "session_id": session.session_id,
            "new_message": {"role": "user", "parts": [{"text": message}]}, "streaming": True}
    headers = {**client.headers(), "Accept": "text/event-stream"}
    events: list[dict] = []
    async with client.http.stream("POST", client.url(api.RUN_SSE), json=body, headers=headers, timeout=60) as response:
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if line.startswith("data:"):
                events.append(json.loads(line[5:]))
    return events


def parts_of(event: dict) -> list[dict]:
    return event.get("content", {}).get("parts", [])


async def test_events_of_one_reply_share_an_id(engine: EngineProcess, isolated_home: Path, short_clip: Path) -> None:
    client = ApiClient(engine.url, make_settings(isolated_home, engine.url), account_key=LOCAL_ENGINE_KEY)
    try:
        await client.new_session()
        await client.upload(short_clip)
        events = await raw_turn(client, "add upbeat music at 30% and a title 'Day one' for 2 seconds")
        calls = [e for e in events if any("functionCall" in p for p in parts_of(e))]
        responses = [e for e in events if any("functionResponse" in p for p in parts_of(e))]
        text = [e for e in events if any("text" in p for p in parts_of(e))]
        assert len(calls) == 2 and len(responses) == 2
        chunks = [e for e in text if e.get("partial")]
        final = events[-1]
        assert final.get("turnComplete") and len(chunks) >= 2  # the reply came in several chunks
        reply_ids = {e["id"] for e in [*chunks, final]}
        assert len(reply_ids) == 1, "the chunks of the reply and its final event must share one id"
        other_ids = [e["id"] for e in [*calls, *responses]]
        assert len(set(other_ids)) == len(other_ids) and not set(other_ids) & reply_ids  # each is its own event
        assert all(e["invocationId"] == final["invocationId"] for e in events)  # one turn

        again = await raw_turn(client, "make it square")
        assert again[-1]["id"] not in reply_ids  # the next turn's reply is a new reply
    finally:
        await client.aclose()
