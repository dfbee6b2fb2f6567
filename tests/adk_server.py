"""A cloud stand-in built from Google's Agent Development Kit itself (the `google-adk` test extra).

`/run_sse` is ADK's own `ApiServer` FastAPI route with its own Runner and in-memory services, so
every byte the client reads is serialised by ADK. The root agent is a custom `BaseAgent` that picks
a scenario from the first word of the user's message: some scenarios yield `Event` objects of its
own, the others run a real `LlmAgent` with ADK's own `Gemini` model class and real function tools.
That Gemini model talks to a scripted Gemini REST endpoint on this same server
(`:streamGenerateContent?alt=sse`), so ADK's own streaming aggregator turns the scripted chunks into
the partial-then-final events a real model call gives.

Around it, the three NemoVideo calls the client needs for a chat turn (anonymous token, session,
state) read and write the ADK session, so a tool's `stateDelta` is what the state call returns.

Importing ADK takes a second or more: load this module once per test session.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from google.adk.agents import BaseAgent, InvocationContext, LlmAgent
from google.adk.artifacts import InMemoryArtifactService
from google.adk.auth.credential_service.in_memory_credential_service import InMemoryCredentialService
from google.adk.cli.api_server import ApiServer
from google.adk.cli.utils.base_agent_loader import BaseAgentLoader
from google.adk.evaluation.local_eval_set_results_manager import LocalEvalSetResultsManager
from google.adk.evaluation.local_eval_sets_manager import LocalEvalSetsManager
from google.adk.events import Event, EventActions
from google.adk.memory import InMemoryMemoryService
from google.adk.models import Gemini
from google.adk.sessions import InMemorySessionService
from google.adk.tools import FunctionTool, LongRunningFunctionTool, ToolContext
from google.genai import types

APP = "nemo_agent"
USER = "me"
MODEL = "gemini-2.5-flash"

VIDEO = {"tt": 0, "sg": [{"id": "v", "n": "a.mp4", "src": "h1", "st": 0, "d": 10000}]}
BGM = {"tt": 1, "sg": [{"id": "m", "n": "Lo-fi", "src": "gen_1", "st": 0, "d": 10000, "v": 35}]}
DRAFT_EMPTY = {"t": [VIDEO], "d": 10000, "m": {"title": "project"}}
DRAFT_BGM = {"t": [VIDEO, BGM], "d": 10000, "m": {"title": "project"}}


# --- the scripted Gemini endpoint ---------------------------------------------------------------
# Each scenario is a list of model calls; each call a list of GenerateContentResponse chunks as
# Gemini's REST API streams them. Which call is meant: how many tool results the request carries.

def _chunk(*parts: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": list(parts)}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    return {"candidates": [candidate], "modelVersion": MODEL, **extra}


def _text(text: str, **flags: Any) -> dict[str, Any]:
    return {"text": text, **flags}


def _call(name: str, **args: Any) -> dict[str, Any]:
    return {"functionCall": {"name": name, "args": args}}


GEMINI_SCRIPTS: dict[str, list[list[dict[str, Any]]]] = {
    "stream": [[_chunk(_text("Added ")), _chunk(_text("Lo-fi music ")), _chunk(_text("at 35%."), finish="STOP")]],
    "thinking": [[_chunk(_text("The user wants music.", thought=True)), _chunk(_text("")),
                  _chunk(_text("Added Lo-fi music."), finish="STOP")]],
    "tool": [
        [_chunk(_text("Adding ")), _chunk(_text("music.")), _chunk(_call("add_bgm", style="lofi"), finish="STOP")],
        [_chunk(_text("Lo-fi music ")), _chunk(_text("added at 35%."), finish="STOP")],
    ],
    "silent": [
        [_chunk(_call("analyse_beats", seconds=1.2), finish="STOP")],
        [_chunk(_text("Beats found."), finish="STOP")],
    ],
    "render": [
        [_chunk(_text("Starting the render.")), _chunk(_call("start_render", quality="high"), finish="STOP")],
        [_chunk(_text("The render is running."), finish="STOP")],
    ],
    "safety": [[_chunk(_text("I"), finish="SAFETY")]],
    "maxtokens": [[_chunk(_text("Here is a very long ")), _chunk(_text("answer that"), finish="MAX_TOKENS")]],
    "malformed": [[_chunk(finish="MALFORMED_FUNCTION_CALL")]],
    "blocked": [[{"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "modelVersion": MODEL}]],
    "empty": [[_chunk(_text(""), finish="STOP")]],
}


def _scenario_of(text: str) -> str:
    return text.split()[0].lower() if text.split() else ""


def _gemini_call(body: dict[str, Any]) -> tuple[str, int]:
    """Which scenario and which model call of it this request is."""
    contents = body.get("contents") or []
    user_texts = [p["text"] for c in contents if c.get("role") == "user" for p in c.get("parts", [])
                  if isinstance(p.get("text"), str)]
    answered = 0
    for content in reversed(contents):
        parts = content.get("parts", [])
        if any("text" in p for p in parts) and content.get("role") == "user":
            break
        answered += sum(1 for p in parts if "functionResponse" in p)
    return _scenario_of(user_texts[-1] if user_texts else ""), answered


async def gemini_stream(request: Request) -> StreamingResponse:
    scenario, call = _gemini_call(await request.json())
    chunks = GEMINI_SCRIPTS[scenario][call]

    async def body() -> AsyncGenerator[bytes, None]:
        for chunk in chunks:
            yield b"data: " + json.dumps(chunk).encode() + b"\r\n\r\n"
            await asyncio.sleep(0.01)

    return StreamingResponse(body(), media_type="text/event-stream")


# --- tools: real ADK function tools ---------------------------------------------------------------

def add_bgm(style: str, tool_context: ToolContext) -> dict[str, Any]:
    """Adds background music in the given style."""
    tool_context.state["draft"] = DRAFT_BGM
    return {"ok": True, "track": "Lo-fi"}


async def analyse_beats(seconds: float) -> dict[str, Any]:
    """Finds the beats of the music (takes a while and says nothing meanwhile)."""
    await asyncio.sleep(seconds)
    return {"beats": 24}


def start_render(quality: str) -> dict[str, Any]:
    """Starts a render that finishes long after this turn."""
    return {"status": "pending", "job": "render_1"}


def _editor(base_url: str) -> LlmAgent:
    model = Gemini(model=MODEL, base_url=base_url, client_kwargs={"api_key": "test-key", "vertexai": False})
    return LlmAgent(name="editor", model=model, instruction="Edit the user's video.",
                    tools=[FunctionTool(add_bgm), FunctionTool(analyse_beats), LongRunningFunctionTool(start_render)])


# --- the root agent: scenarios ----------------------------------------------------------------------

class ScenarioAgent(BaseAgent):
    """Yields ADK events of its own for some scenarios and hands the others to the LLM editor."""

    async def _run_async_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        parts = ctx.user_content.parts if ctx.user_content and ctx.user_content.parts else []
        scenario = _scenario_of(" ".join(p.text or "" for p in parts))
        if scenario == "state":  # an edit with no words at all: only a state delta
            yield Event(invocation_id=ctx.invocation_id, author=self.name,
                        actions=EventActions(state_delta={"draft": DRAFT_BGM}))
        elif scenario == "metadata":  # what the local engine's final event carries
            yield Event(invocation_id=ctx.invocation_id, author=self.name,
                        content=types.ModelContent(parts=[types.Part.from_text(text="Volume set.")]),
                        custom_metadata={"addmusic": {"unmatched": ["make it sparkle"]}})
        elif scenario == "error":  # an error event of the agent's own, without errorMessage
            yield Event(invocation_id=ctx.invocation_id, author=self.name, error_code="RECITATION")
        elif scenario == "crash":
            yield Event(invocation_id=ctx.invocation_id, author=self.name,
                        content=types.ModelContent(parts=[types.Part.from_text(text="Working on it.")]))
            raise RuntimeError("render farm unreachable")
        else:
            async for event in self.sub_agents[0].run_async(ctx):
                yield event


class ScenarioLoader(BaseAgentLoader):
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def load_agent(self, agent_name: str) -> BaseAgent:
        if agent_name != APP:
            raise ValueError(f"no agent {agent_name}")
        return ScenarioAgent(name=APP, sub_agents=[_editor(self.base_url)])

    def list_agents(self) -> list[str]:
        return [APP]


# --- the NemoVideo calls around it ---------------------------------------------------------------

def _ok(data: dict[str, Any]) -> JSONResponse:
    return JSONResponse({"code": 0, "message": "ok", "data": data})


def build_app(base_url: str, work_dir: Path) -> FastAPI:
    sessions = InMemorySessionService()
    server = ApiServer(
        agent_loader=ScenarioLoader(base_url), session_service=sessions, memory_service=InMemoryMemoryService(),
        artifact_service=InMemoryArtifactService(), credential_service=InMemoryCredentialService(),
        eval_sets_manager=LocalEvalSetsManager(agents_dir=str(work_dir)),
        eval_set_results_manager=LocalEvalSetResultsManager(agents_dir=str(work_dir)), agents_dir=str(work_dir))
    app = server.get_fast_api_app()

    @app.post("/api/auth/anonymous-token")
    async def token() -> JSONResponse:
        return _ok({"token": "nmv_usr_adk", "user_id": "anon_adk", "expires_at": time.time() + 3600, "credits": 100})

    @app.post("/api/tasks/me/with-session/nemo_agent")
    async def new_session() -> JSONResponse:
        session = await sessions.create_session(app_name=APP, user_id=USER, state={"draft": DRAFT_EMPTY})
        return _ok({"task_id": "t_" + session.id, "session_id": session.id, "user_id": "anon_adk"})

    @app.get("/api/state/nemo_agent/me/{session_id}/latest")
    async def state(session_id: str) -> JSONResponse:
        session = await sessions.get_session(app_name=APP, user_id=USER, session_id=session_id)
        if session is None:
            return JSONResponse({"code": 1002, "message": "session not found"})
        return _ok({"session_id": session_id, "state": {"draft": session.state.get("draft")}})

    app.add_api_route(f"/v1beta/models/{MODEL}:streamGenerateContent", gemini_stream, methods=["POST"])
    return app


class AdkServer:
    """ADK's app under uvicorn on a loopback port, in a thread with its own event loop."""

    def __init__(self, work_dir: Path) -> None:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(build_app(self.url, work_dir), host="127.0.0.1", port=self.port,
                                log_level="warning", lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="adk-server", daemon=True)

    def start(self) -> AdkServer:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the ADK test server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
