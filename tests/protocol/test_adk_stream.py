"""Cloud turns as Google's Agent Development Kit really streams them: the client against ADK's own
API server, Runner and Gemini model class (tests/adk_server.py), asserting what the user sees."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from addmusic.client.api import ApiClient
from addmusic.client.chat import EditApplied, StillWorking, TextDelta, TurnDone, TurnFailed, chat_turn
from addmusic.protocol.events import STOP_SENTENCES
from conftest import make_settings

BGM_ADDED = ["BGM added: Lo-fi (0-10s, 35%)"]
WITH_BGM = "Timeline (2 tracks): 1. Video: a.mp4 (0-10s) 2. BGM: Lo-fi (0-10s, 35%)"
VIDEO_ONLY = "Timeline (1 track): 1. Video: a.mp4 (0-10s)"


@pytest.fixture(scope="module")
def adk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # google-adk is imported once per test session (about two seconds on an idle machine); its
    # server runs only while this module's tests do
    from adk_server import AdkServer

    server = AdkServer(tmp_path_factory.mktemp("adk")).start()
    yield server.url
    server.stop()


async def open_client(url: str, home: Path, still_working_s: float = 60.0) -> ApiClient:
    client = ApiClient(url, make_settings(home, url, still_working_s=still_working_s))
    await client.new_session()
    return client


async def turn(url: str, home: Path, message: str, still_working_s: float = 60.0) -> list:
    client = await open_client(url, home, still_working_s)
    try:
        return [event async for event in chat_turn(client, message)]
    finally:
        await client.aclose()


def seen(events: list) -> list[tuple[str, str]]:
    """The turn as the user sees it (as ui/app.py and the CLI show it), minus the timer's notices."""
    out: list[tuple[str, str]] = []
    for event in events:
        if isinstance(event, TextDelta):
            out.append(("text", event.text))
        elif isinstance(event, EditApplied):
            out.append(("edit", event.line))
        elif isinstance(event, TurnFailed):
            out.append(("error", event.message))
        elif isinstance(event, TurnDone):
            out.append(("note", event.note))
            if not event.text.strip() or not event.complete:  # the changes are listed when the reply can't say
                out.extend(("change", change) for change in event.changes)
            out.append(("timeline", event.summary))
    return out


def assert_no_json(events: list) -> None:
    for kind, words in seen(events):
        assert "{" not in words and "Error:" not in words and "errorCode" not in words, (kind, words)


def done_of(events: list) -> TurnDone:
    assert isinstance(events[-1], TurnDone)
    return events[-1]


async def test_streamed_text_is_shown_live_once(adk: str, isolated_home: Path) -> None:
    events = await turn(adk, isolated_home, "stream lo-fi please")
    assert seen(events) == [("text", "Added "), ("text", "Lo-fi music "), ("text", "at 35%."),
                            ("note", ""), ("timeline", VIDEO_ONLY)]
    assert done_of(events).complete and done_of(events).text == "Added Lo-fi music at 35%."


async def test_thoughts_and_empty_parts_are_not_shown(adk: str, isolated_home: Path) -> None:
    events = await turn(adk, isolated_home, "thinking about music")
    assert [words for kind, words in seen(events) if kind == "text"] == ["Added Lo-fi music."]


async def test_text_tool_call_text_gives_two_paragraphs_and_one_edit_line(adk: str, isolated_home: Path) -> None:
    events = await turn(adk, isolated_home, "tool add lo-fi")
    assert seen(events) == [
        ("text", "Adding "), ("text", "music."),
        ("edit", "applying edit: add bgm…"),  # streamed as a chunk and again complete: once
        ("text", "\n\nLo-fi music "), ("text", "added at 35%."),  # a new model call: a new paragraph
        ("note", ""), ("timeline", WITH_BGM)]
    assert done_of(events).complete and done_of(events).changes == BGM_ADDED
    assert [e.new_reply for e in events if isinstance(e, TextDelta)] == [False, False, True, False]


async def test_state_delta_only_ends_normally_with_the_change(adk: str, isolated_home: Path) -> None:
    events = await turn(adk, isolated_home, "state change only")
    assert seen(events) == [("note", "Done."), ("change", BGM_ADDED[0]), ("timeline", WITH_BGM)]
    assert done_of(events).complete  # no turnComplete ever comes: the stream closing is the end


async def test_silent_tool_gets_still_working_notices(adk: str, isolated_home: Path) -> None:
    started = time.monotonic()
    events = await turn(adk, isolated_home, "silent beat analysis", still_working_s=0.3)
    elapsed = time.monotonic() - started
    assert seen(events) == [("edit", "applying edit: analyse beats…"), ("text", "Beats found."),
                            ("note", ""), ("timeline", VIDEO_ONLY)]
    kinds = [type(e).__name__ for e in events]
    edit, text = kinds.index("EditApplied"), kinds.index("TextDelta")
    notices = [e for e in events[edit:text] if isinstance(e, StillWorking)]
    assert notices  # the tool is silent for 1.2 s against a 0.3 s timer
    assert len([e for e in events if isinstance(e, StillWorking)]) <= elapsed / 0.3 + 1  # a timer, not a flood


@pytest.mark.parametrize(("message", "text", "code"), [
    ("safety check", "I", "SAFETY"),
    ("maxtokens story", "Here is a very long answer that", "MAX_TOKENS"),
    ("malformed call", "", "MALFORMED_FUNCTION_CALL"),  # sent in a chunk and again complete: said once
    ("blocked prompt", "", "PROHIBITED_CONTENT"),
    ("empty answer", "", "MODEL_RETURNED_NO_CONTENT"),
    ("error of the agent", "", "RECITATION"),  # an agent's own error event, without errorMessage
])
async def test_error_codes_are_one_sentence_each(adk: str, isolated_home: Path, message: str, text: str,
                                                 code: str) -> None:
    events = await turn(adk, isolated_home, message)
    shown = seen(events)
    assert "".join(words for kind, words in shown if kind == "text") == text
    assert [item for item in shown if item[0] != "text"] == [
        ("error", STOP_SENTENCES[code]), ("note", "The timeline did not change."), ("timeline", VIDEO_ONLY)]
    assert not done_of(events).complete
    assert_no_json(events)


async def test_agent_exception_mid_stream(adk: str, isolated_home: Path) -> None:
    events = await turn(adk, isolated_home, "crash now")
    assert seen(events) == [("text", "Working on it."),
                            ("error", "The backend stopped with an error: render farm unreachable."),
                            ("note", "The timeline did not change."), ("timeline", VIDEO_ONLY)]
    assert_no_json(events)


async def test_long_running_tool_says_the_turn_waits(adk: str, isolated_home: Path) -> None:
    events = await turn(adk, isolated_home, "render it")
    assert seen(events) == [
        ("text", "Starting the render."), ("edit", "applying edit: start render…"),
        ("text", "\n\nThe render is running."),
        ("note", "Still waiting on start render after this reply; this is the timeline as it stands. "
                 "Ask again later for the result."),
        ("timeline", VIDEO_ONLY)]
    assert done_of(events).complete


async def test_custom_metadata_of_the_final_event_is_on_the_result(adk: str, isolated_home: Path) -> None:
    events = await turn(adk, isolated_home, "metadata please")
    assert seen(events)[0] == ("text", "Volume set.")
    assert done_of(events).metadata == {"addmusic": {"unmatched": ["make it sparkle"]}}


async def test_unknown_session_404_detail_starts_a_new_session(adk: str, isolated_home: Path) -> None:
    client = await open_client(adk, isolated_home)
    try:
        before = (await client.state()).draft
        client.session.session_id = "gone"  # type: ignore[union-attr]  # the server forgot it
        events = [event async for event in chat_turn(client, "stream hello", before)]
        assert [type(e) for e in events] == [TurnFailed]
        assert events[0].message == "The editing session was not found on the server; a new one was started."
        assert client.session is not None and client.session.session_id != "gone"
    finally:
        await client.aclose()


# --- FastAPI's answers before the stream opens, as literal bytes (ADK gives these, not the envelope) ---

@pytest.fixture
async def wire() -> Iterator:
    from wire_server import WireServer, ok

    server = await WireServer().start()
    server.on("POST", "/api/auth/anonymous-token",
              ok('{"token": "nmv_usr_T", "user_id": "anon_1", "expires_at": 4102444800, "credits": 100}'))
    server.on("POST", "/api/tasks/me/with-session/nemo_agent", ok('{"task_id": "t", "session_id": "s1"}'))
    server.on("GET", "/api/state/nemo_agent/me/s1/latest",
              ok('{"session_id": "s1", "state": {"draft": {"t": [], "d": 0}}}'))
    yield server
    await server.stop()


@pytest.mark.parametrize(("status", "body", "expected"), [
    (422, '{"detail":[{"type":"missing","loc":["body","userId"],"msg":"Field required","input":{}}]}',
     "The server could not read this chat request (HTTP 422). Nothing was sent to the model; check that the app "
     "is up to date."),
    (400, '{"detail":"app_name is required when ADK_DEFAULT_APP_NAME is not set"}',
     "The server refused this chat request: app_name is required when ADK_DEFAULT_APP_NAME is not set."),
    (500, '{"detail":"Internal Server Error"}', "The server had a problem (HTTP 500). Try again in a moment."),
])
async def test_fastapi_detail_errors_before_the_stream_are_sentences(wire, isolated_home: Path, status: int,
                                                                     body: str, expected: str) -> None:
    from wire_server import response

    wire.on("POST", "/run_sse", response(status, body))
    client = await open_client(wire.url, isolated_home)
    try:
        events = [event async for event in chat_turn(client, "add music")]
    finally:
        await client.aclose()
    assert [(type(e), e.message) for e in events] == [(TurnFailed, expected)]
    assert len(wire.seen("/run_sse")) == 1  # nothing was processed, but a refused request is not re-sent
