"""Every `data:` shape of API.md parses into the small set of typed events."""

from __future__ import annotations

import json

import pytest

from addmusic.protocol.events import (
    FinalText,
    Heartbeat,
    StreamError,
    TextChunk,
    ToolCall,
    ToolResult,
    TurnComplete,
    parse_event,
)

ADK_PARTIAL = {"id": "1", "invocationId": "i", "author": "nemo", "timestamp": 1.0, "partial": True,
               "content": {"role": "model", "parts": [{"text": "Hel"}]}}
ADK_FINAL = {"id": "2", "invocationId": "i", "author": "nemo", "partial": False, "turnComplete": True,
             "content": {"role": "model", "parts": [{"text": "Hello"}]}}
ADK_CALL = {"content": {"parts": [{"functionCall": {"id": "c", "name": "add_bgm", "args": {"v": 30}}}]}}
ADK_RESPONSE = {"content": {"parts": [{"functionResponse": {"id": "c", "name": "add_bgm",
                                                            "response": {"ok": True}}}]}}


@pytest.mark.parametrize(("event", "data", "expected"), [
    ("", json.dumps(ADK_PARTIAL), [TextChunk("Hel")]),
    ("", json.dumps(ADK_FINAL), [FinalText("Hello"), TurnComplete()]),
    ("", json.dumps(ADK_CALL), [ToolCall("add_bgm", {"v": 30})]),
    ("", json.dumps(ADK_RESPONSE), [ToolResult("add_bgm", {"ok": True})]),
    ("", '{"type": "text", "content": "Done!"}', [FinalText("Done!")]),
    ("", '{"type": "tool_call", "name": "x", "args": {"a": 1}}', [ToolCall("x", {"a": 1})]),
    ("", '{"type": "tool_result", "name": "x", "result": 3}', [ToolResult("x", 3)]),
    ("", '{"type": "heartbeat"}', [Heartbeat()]),
    ("heartbeat", "", [Heartbeat()]),
    ("", "", [Heartbeat()]),
    ("", '{"error": "quota exceeded"}', [StreamError("quota exceeded")]),
    ("", '{"errorCode": "X", "errorMessage": "model overloaded"}', [StreamError("model overloaded")]),
    ("", "{not json", []),
    ("", "[1, 2]", []),
    ("", '{"type": "mystery"}', []),
    ("", '{"content": {"parts": [{"text": "thinking", "thought": true}]}}', []),
])
def test_shapes(event: str, data: str, expected: list) -> None:
    assert parse_event(event, data) == expected
