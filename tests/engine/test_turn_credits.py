"""Issue 8, item 3 for chat turns: a database held under an exclusive lock by another process
while a turn finishes delays the turn's save and its credit settlement (retried with backoff, as
the render worker does), never loses them and never leaves the credit frozen."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from addmusic.client.api import ApiClient
from addmusic.client.chat import chat_turn
from addmusic.client.launcher import LOCAL_ENGINE_KEY
from conftest import make_settings


async def test_a_locked_database_delays_the_turns_settlement_and_loses_nothing(
        engine_factory, isolated_home: Path, short_clip: Path) -> None:
    engine = engine_factory("engine", ADDMUSIC_ENGINE_THINK_S="0.5")
    client = ApiClient(engine.url, make_settings(isolated_home, engine.url), account_key=LOCAL_ENGINE_KEY)
    try:
        await client.new_session()
        await client.upload(short_clip)
        start = await client.credits()

        async def turn() -> None:
            async for _event in chat_turn(client, "add upbeat background music"):
                pass

        running = asyncio.ensure_future(turn())
        await asyncio.sleep(0.2)  # the turn has started and frozen its credit; now lock the database
        holder = sqlite3.connect(engine.data_dir / "engine.db", timeout=10, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock past the turn's end
        try:
            for _ in range(600):  # until the turn meets the lock (composing takes a while on a busy machine)
                if "retrying" in engine.log.read_text():
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.5)  # several retries
            assert not running.done()  # the turn waits for the database instead of failing
        finally:
            holder.execute("COMMIT")
            holder.close()
        await asyncio.wait_for(running, 60)
        balance = await client.credits()
        assert balance.frozen == 0 and balance.available == start.available - 1  # settled and charged
        assert "BGM" in (await client.state()).draft.summary()  # the edit landed
        async for _event in chat_turn(client, "make it calmer"):  # the session is not stuck
            pass
        assert (await client.credits()).frozen == 0
    finally:
        await client.aclose()
    assert "retrying" in engine.log.read_text()  # logged, not silent
