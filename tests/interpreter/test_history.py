"""Edits with history over the real engine: every turn that edits is recorded with its sentence;
undo, redo, "undo the last two", "go back to before the title", start over; the reply says what
was restored; it all survives an engine restart; the final event carries customMetadata."""

from __future__ import annotations

from pathlib import Path

from addmusic.client.api import ApiClient
from addmusic.client.chat import TurnDone, chat_turn
from addmusic.client.launcher import LOCAL_ENGINE_KEY
from conftest import make_settings


async def say(client: ApiClient, message: str) -> TurnDone:
    events = [e async for e in chat_turn(client, message)]
    done = events[-1]
    assert isinstance(done, TurnDone)
    return done


def kinds(done: TurnDone) -> list[int]:
    assert done.state is not None
    return [t.type for t in done.state.draft.tracks]


async def test_undo_redo_and_start_over_survive_a_restart(engine_factory, isolated_home: Path,
                                                         short_clip: Path) -> None:  # type: ignore[no-untyped-def]
    engine = engine_factory("history")
    settings = make_settings(isolated_home, engine.url)
    client = ApiClient(engine.url, settings, account_key=LOCAL_ENGINE_KEY)
    await client.new_session()
    session = client.require_session()
    await client.upload(short_clip)
    assert kinds(await say(client, "add lofi music at 30%")) == [0, 1]
    assert kinds(await say(client, 'add a title "Hi"')) == [0, 1, 7]
    undone = await say(client, "undo")
    assert kinds(undone) == [0, 1] and 'Undid “add a title "Hi"”' in undone.text
    assert kinds(await say(client, "redo")) == [0, 1, 7]
    await client.aclose()

    engine.stop()  # history lives in the store: a new engine process knows it
    engine = engine_factory("history")
    client = ApiClient(engine.url, settings, account_key=LOCAL_ENGINE_KEY)
    client.session = session  # the same session, on the restarted engine
    back = await say(client, "go back to before the title")
    assert kinds(back) == [0, 1]
    both = await say(client, "redo")
    assert kinds(both) == [0, 1, 7]
    two = await say(client, "undo the last two")
    assert kinds(two) == [0]
    partly = await say(client, "add jazz and teleport the cat")
    assert kinds(partly) == [0, 1] and partly.unmatched == ["teleport the cat"]  # from customMetadata
    over = await say(client, "start over")
    assert kinds(over) == [0] and over.state is not None
    assert [s.label for s in over.state.draft.tracks[0].segments] == ["short.mp4"]
    await client.aclose()
