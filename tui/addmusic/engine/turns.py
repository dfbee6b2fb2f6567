"""One chat turn on the engine: interpret the message, apply the edits, make the music they ask
for, and describe it all as an ADK-style event stream with heartbeats while the work runs."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..protocol.draft import AUDIO, Draft
from ..protocol.events import adk_event, call_part, response_part, text_part

log = logging.getLogger(__name__)

HELP = (
    "Tell me what you want, for example: \"add upbeat background music at 30%\", "
    "\"add a title 'Summer 2024' for 3 seconds\", \"make it vertical for Reels\", "
    "\"lower the music to 20%\", or \"export\"."
)


@dataclass
class TurnResult:
    state: dict[str, Any]
    calls: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)  # tool, args, result
    reply: str = ""
    changed: bool = False


def materialise_music(draft: Draft, generated: dict[str, Any], music_dir: Path) -> None:
    """Compose every generated track the draft names that has no audio of the right length yet,
    and attach its waveform. Runs in a worker thread (numpy)."""
    from .music import compose, peaks, write_wav

    for track in draft.tracks_of(AUDIO):
        for seg in track.segments:
            if not seg.src.startswith("gen_"):
                continue
            needed = seg.source_in + seg.duration
            entry = generated.get(seg.src)
            path = music_dir / f"{seg.src}.wav"
            if not entry or entry.get("duration_ms") != needed or not path.is_file():
                style = str(seg.extra.get("style") or "lofi")
                seed = int(seg.extra.get("seed") or zlib.crc32(seg.src.encode()))
                comp = compose(max(needed, 100) / 1000, style, seed=seed)
                music_dir.mkdir(parents=True, exist_ok=True)
                write_wav(path, comp)
                entry = {"id": seg.src, "type": "music", "style": style, "label": seg.label,
                         "duration_ms": needed, "tempo": round(comp.tempo, 1),
                         "beats": [round(b, 3) for b in comp.beats], "wf": peaks(comp.samples, 120)}
                generated[seg.src] = entry
            seg.waveform = entry.get("wf")


def run_turn(message: str, state: dict[str, Any], language: str, music_dir: Path) -> TurnResult:
    """The whole turn's work, off the event loop."""
    from .agent import interpret

    draft = Draft.from_json(state.get("draft"))
    result = TurnResult(state=state)
    interp = interpret(message, draft, language=language)
    sentences: list[str] = []
    for edit in interp.edits:
        draft = edit.apply(draft)
        result.calls.append((edit.tool, edit.args, edit.reply))
        sentences.append(edit.reply)
    sentences.extend(interp.replies)
    if interp.unmatched:
        quoted = "; ".join(f"“{c}”" for c in interp.unmatched)
        sentences.append(f"I didn't understand {quoted}. {HELP}")
    if not sentences:
        sentences.append(HELP)
    if interp.edits:
        generated = dict(state.get("generated_media") or {})
        materialise_music(draft, generated, music_dir)
        live = {s.src for t in draft.tracks for s in t.segments}
        state["generated_media"] = {k: v for k, v in generated.items() if k in live}
        state["draft"] = draft.to_json()
        state["canvas_config"] = {k: draft.meta[k] for k in ("width", "height") if k in draft.meta}
        result.changed = True
    # The timeline summary is the client's to print (it reads state after every turn).
    result.reply = " ".join(sentences)
    return result


def sse(payload: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()


HEARTBEAT = b": heartbeat\n\n"


async def stream_turn(work: asyncio.Future[TurnResult], heartbeat_s: float, *,
                      quiet: bool) -> AsyncIterator[bytes]:
    """Heartbeats while `work` runs, then a call and response per edit, the reply as partial
    chunks, and one final event that repeats the whole reply (ADK streaming)."""
    invocation = "e-" + uuid.uuid4().hex[:12]
    yield HEARTBEAT  # the stream is open: the client knows the turn has started
    while True:
        done, _ = await asyncio.wait({work}, timeout=heartbeat_s)
        if done:
            break
        yield HEARTBEAT
    try:
        result = work.result()
    except Exception as exc:  # the turn's work failed: say so in the stream, not with a 500
        log.exception("chat turn failed")
        yield sse({"error": f"The engine could not apply that: {exc}"})
        return
    for i, (tool, args, outcome) in enumerate(result.calls):
        call_id = f"call_{i}"
        yield sse(adk_event(invocation, [call_part(call_id, tool, args)]))
        yield sse(adk_event(invocation, [response_part(call_id, tool, {"status": "ok", "result": outcome})]))
    if quiet:
        yield sse(adk_event(invocation, [], turn_complete=True))
        return
    words = result.reply.split(" ")
    chunk_size = 4
    for i in range(0, len(words), chunk_size):
        piece = " ".join(words[i:i + chunk_size]) + (" " if i + chunk_size < len(words) else "")
        yield sse(adk_event(invocation, [text_part(piece)], partial=True))
        await asyncio.sleep(0)
    yield sse(adk_event(invocation, [text_part(result.reply)], turn_complete=True))
