"""Every `data:` shape of API.md, and the ADK shapes read from google-adk's source, parse into the
small set of typed events."""

from __future__ import annotations

import json

import pytest

from addmusic.protocol.events import (
    FinalText,
    Heartbeat,
    Metadata,
    ModelStopped,
    StreamError,
    TextChunk,
    ToolCall,
    ToolResult,
    parse_event,
    stop_sentence,
)

ADK_PARTIAL = {"id": "1", "invocationId": "i", "author": "nemo", "timestamp": 1.0, "partial": True,
               "content": {"role": "model", "parts": [{"text": "Hel"}]}}
ADK_FINAL = {"id": "2", "invocationId": "i", "author": "nemo", "partial": False, "turnComplete": True,
             "content": {"role": "model", "parts": [{"text": "Hello"}]}}
ADK_CALL = {"content": {"parts": [{"functionCall": {"id": "c", "name": "add_bgm", "args": {"v": 30}}}]}}
ADK_RESPONSE = {"content": {"parts": [{"functionResponse": {"id": "c", "name": "add_bgm",
                                                            "response": {"ok": True}}}]}}
CALL_PART = {"functionCall": {"id": "adk-1", "name": "start_render", "args": {}}}


@pytest.mark.parametrize(("event", "data", "expected"), [
    ("", json.dumps(ADK_PARTIAL), [TextChunk("Hel", "1")]),
    ("", json.dumps(ADK_FINAL), [FinalText("Hello", "2")]),  # turnComplete is no end signal
    ("", json.dumps(ADK_CALL), [ToolCall("add_bgm", {"v": 30}, "c")]),
    ("", json.dumps(ADK_RESPONSE), [ToolResult("add_bgm", {"ok": True})]),
    ("", '{"type": "text", "content": "Done!"}', [FinalText("Done!")]),
    ("", '{"type": "tool_call", "name": "x", "args": {"a": 1}}', [ToolCall("x", {"a": 1})]),
    ("", '{"type": "tool_result", "name": "x", "result": 3}', [ToolResult("x", 3)]),
    ("", '{"type": "heartbeat"}', [Heartbeat()]),
    ("heartbeat", "", [Heartbeat()]),
    ("", "", [Heartbeat()]),
    ("", '{"error": "quota exceeded"}', [StreamError("quota exceeded.")]),
    ("", '{"errorCode": "X", "errorMessage": "model overloaded"}', [ModelStopped("X", "model overloaded")]),
    ("", "{not json", []),
    ("", "[1, 2]", []),
    ("", '{"type": "mystery"}', []),
    ("", '{"content": {"parts": [{"text": "thinking", "thought": true}]}}', []),
    # ADK: a function call streamed in a chunk counts only in the complete event
    ("", json.dumps({"id": "m", "partial": True, "content": {"parts": [CALL_PART]}}), []),
    # thoughts and empty text parts are left out; the rest of the event's text is joined
    ("", json.dumps({"id": "m", "content": {"parts": [{"text": "why", "thought": True}, {"text": ""},
                                                      {"text": "Added "}, CALL_PART, {"text": "music."}]}}),
     [FinalText("Added music.", "m"), ToolCall("start_render", {}, "adk-1")]),
    ("", json.dumps({"id": "m", "longRunningToolIds": ["adk-1"], "content": {"parts": [CALL_PART]}}),
     [ToolCall("start_render", {}, "adk-1", long_running=True)]),
    # errorCode comes in the chunk and again in the complete event: once
    ("", '{"id": "m", "partial": true, "errorCode": "MALFORMED_FUNCTION_CALL"}', []),
    ("", '{"id": "m", "partial": false, "errorCode": "SAFETY", "content": {"parts": [{"text": "I"}]}}',
     [FinalText("I", "m"), ModelStopped("SAFETY")]),
    # a mid-stream exception: the message, not the exception's class
    ("", '{"error": "RuntimeError: farm down", "error_details": {"error_type": "RuntimeError", '
         '"error_message": "farm down", "timestamp": 1.0}}',
     [StreamError("The backend stopped with an error: farm down.")]),
    # state and artifact deltas are never shown; customMetadata is kept for the turn's result
    ("", json.dumps({"id": "s", "actions": {"stateDelta": {"draft": {"t": []}}, "artifactDelta": {"a": 1}}}), []),
    ("", json.dumps({"id": "f", "content": {"parts": [{"text": "Ok."}]},
                     "customMetadata": {"addmusic": {"unmatched": ["x"]}}}),
     [FinalText("Ok.", "f"), Metadata({"addmusic": {"unmatched": ["x"]}})]),
])
def test_shapes(event: str, data: str, expected: list) -> None:
    assert parse_event(event, data) == expected


@pytest.mark.parametrize("code", ["SAFETY", "MAX_TOKENS", "MALFORMED_FUNCTION_CALL", "RECITATION", "BLOCKLIST",
                                  "PROHIBITED_CONTENT", "SPII", "LANGUAGE", "UNEXPECTED_TOOL_CALL",
                                  "TOO_MANY_TOOL_CALLS", "MODEL_RETURNED_NO_CONTENT", "INVOCATION_ABORTED",
                                  "max_tokens"])
def test_every_known_stop_reason_is_a_sentence_without_the_code(code: str) -> None:
    sentence = stop_sentence(code, "finish_reason=STOP {raw}")
    assert sentence.endswith(".") and code.upper() not in sentence and "{" not in sentence


def test_unknown_stop_reason_uses_a_readable_message_or_names_the_reason() -> None:
    assert stop_sentence("QUOTA", "Daily quota used up") == "The backend stopped before finishing: Daily quota used up."
    fallback = stop_sentence("WEIRD_THING", '{"raw": 1}')
    assert "WEIRD_THING" in fallback and "{" not in fallback
