"""One chat turn on the engine: interpret the message, apply its edits and history commands, make
the music they ask for, and describe it all as an ADK-style event stream with heartbeats while the
work runs. Every turn that changes the draft becomes one history entry (undo/redo/start over)."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import json
import logging
import os
import shutil
import threading
import time
import uuid
import zlib
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..protocol.draft import AUDIO, VIDEO, Draft, Segment, Track
from ..protocol.events import adk_event, call_part, response_part, text_part
from . import songs
from .interpreter import HistoryCommand, interpret, unmatched_reply
from .interpreter.families.song import say as song_say
from .interpreter.replies import examples, say
from .store import HistoryEntry

log = logging.getLogger(__name__)


@dataclass
class TurnResult:
    state: dict[str, Any]
    calls: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)  # tool, args, result
    reply: str = ""
    changed: bool = False
    unmatched: list[str] = field(default_factory=list)
    record: tuple[str, list[str], dict[str, Any], dict[str, Any]] | None = None  # sentence, tools, before, after
    marks: list[tuple[list[int], bool]] = field(default_factory=list)  # history rows to mark (un)done
    history: dict[str, Any] = field(default_factory=dict)  # for customMetadata

    @property
    def metadata(self) -> dict[str, Any]:
        return {"addmusic": {"unmatched": self.unmatched, "history": self.history}}


# Bumped whenever the composer's output changes, so a cached piece from an older composer is never reused.
COMPOSER_VERSION = 4  # 4: a dropped layer no longer shifts the random timing of the others


def _cache_key(style: str, seed: int, needed: int, options: dict[str, Any]) -> str:
    raw = json.dumps([COMPOSER_VERSION, style, seed, needed, options], sort_keys=True)
    return hashlib.sha1(raw.encode()).hexdigest()[:20]


def _layer_levels(raw: Any) -> dict[str, int]:
    """The draft's `layers` without the roles at full level (absent = 100): the same music has
    one key however it got there ("no drums", then "drums back")."""
    if not isinstance(raw, dict):
        return {}
    return {str(role): level for role, level in sorted(raw.items()) if level != 100}


def materialise_music(draft: Draft, generated: dict[str, Any], music_dir: Path) -> None:
    """Compose every generated track the draft names that has no audio of the right length yet,
    and attach its waveform. The same style, seed, length and options give the same audio, so a
    composition is kept by those and reused (undo, redo and a second session cost nothing).
    A change of `layers` only is mixed from the piece's stems (music/stems.py) when they are
    kept: made after the piece's first reply, in the background (see ``StemsAhead``), or by the
    turn that needs them. Runs in a worker thread (numpy)."""
    with AHEAD.busy():  # stems made ahead wait for this turn's music
        _materialise(draft, generated, music_dir)


def _materialise(draft: Draft, generated: dict[str, Any], music_dir: Path) -> None:
    from .music import cachetrim, stems
    from .render import soundfacts

    for track in draft.tracks_of(AUDIO):
        for seg in track.segments:
            if not seg.src.startswith("gen_"):
                continue
            needed = seg.source_in + seg.duration
            seconds = max(needed, 100) / 1000
            style = str(seg.extra.get("style") or "lofi")
            seed = int(seg.extra.get("seed") or zlib.crc32(seg.src.encode()))
            options = {k: seg.extra[k] for k in ("bpm", "energy") if seg.extra.get(k) is not None}
            if seg.extra.get("follow_cuts") and seg.extra.get("cuts"):
                # the cut times in the composition's own time, for its sections to land on
                options["section_times"] = [round((int(c) - seg.start + seg.source_in) / 1000, 3)
                                            for c in seg.extra["cuts"] if seg.start < int(c) < seg.end]
            if seg.extra.get("loop") is True:
                options["loop"] = True  # a seamless loop (docs/API.md)
            layers = _layer_levels(seg.extra.get("layers"))
            base_key = _cache_key(style, seed, needed, options)
            key = _cache_key(style, seed, needed, {**options, "layers": layers}) if layers else base_key
            piece = _Piece(music_dir / "cache", base_key, seconds, style, seed, json.dumps(options, sort_keys=True))
            with_stems = stems.kept_for(seconds, bool(options.get("loop")))
            entry = generated.get(seg.src)
            path = music_dir / f"{seg.src}.wav"
            cached_wav = music_dir / "cache" / f"{key}.wav"
            cached_meta = music_dir / "cache" / f"{key}.json"
            if entry and entry.get("key") == key and _same_file(path, cached_wav):
                cachetrim.touch(cached_meta)
                seg.waveform = entry.get("wf")
                if with_stems:
                    AHEAD.schedule(piece)
                continue
            if cached_wav.is_file() and cached_meta.is_file():
                cachetrim.touch(cached_meta)
                info = json.loads(cached_meta.read_text())
            elif layers and with_stems:  # a mix of the piece's stems: no composing again
                folder = AHEAD.stems_for(piece)
                info = _keep(music_dir / "cache", key, stems.remix(folder, layers))
            else:
                from .music import compose

                info = _keep(music_dir / "cache", key, compose(seconds, style, seed=seed, **options,
                                                               **({"layers": layers} if layers else {})))
            if with_stems:
                AHEAD.schedule(piece)
            music_dir.mkdir(parents=True, exist_ok=True)
            soundfacts.remove(path)  # the old piece and its loudness facts
            try:
                os.link(cached_wav, path)
                soundfacts.link(cached_wav, path)
            except OSError:
                shutil.copyfile(cached_wav, path)
            generated[seg.src] = {"id": seg.src, "type": "music", "style": style, "label": seg.label,
                                  "duration_ms": needed, "key": key, **info}
            seg.waveform = info.get("wf")


def _same_file(path: Path, cached: Path) -> bool:
    """Whether the session's file is the kept one (after an undo it may still be the later music's)."""
    try:
        return os.path.samefile(path, cached)
    except OSError:  # either is missing
        return False


def _keep(cache: Path, key: str, comp: Any) -> dict[str, Any]:
    """Write a composed or remixed piece to the cache (wav, loudness facts, facts for the draft)
    and return those facts; the cache is then trimmed to its budget (music/cachetrim.py). Turns
    of other sessions may make the same key at the same time: each file appears whole (written
    aside, then renamed), never half-written to a reader."""
    from .music import cachetrim, peaks, write_wav
    from .render import soundfacts

    cache.mkdir(parents=True, exist_ok=True)
    cached_wav, cached_meta = cache / f"{key}.wav", cache / f"{key}.json"
    part = uuid.uuid4().hex[:8]
    wav_part = cached_wav.with_name(f"{key}.{part}.part.wav")
    write_wav(wav_part, comp)
    os.replace(wav_part, cached_wav)
    if comp.block_power is not None:  # the export predicts its loudness from these
        with contextlib.suppress(OSError):
            soundfacts.save(cached_wav, soundfacts.of_music(comp.block_power, comp.chunks()))
    info = {"tempo": round(comp.tempo, 1), "beats": [round(b, 3) for b in comp.beats],
            "sections": [round(t, 3) for t, _name in comp.sections], "wf": peaks(comp.samples, 120)}
    meta_part = cached_meta.with_name(f"{key}.{part}.part.json")
    meta_part.write_text(json.dumps(info))
    os.replace(meta_part, cached_meta)
    cachetrim.trim(cache)
    return info


@dataclass(frozen=True)
class _Piece:
    """A composition (without layer levels) whose stems may be made."""

    cache: Path
    key: str
    seconds: float
    style: str
    seed: int
    options_json: str  # compose's options (hashable: the piece is a queue entry)

    @property
    def folder(self) -> Path:
        return self.cache / f"{self.key}.stems"

    def make_stems(self, between: Callable[[], None] = lambda: None) -> None:
        """Compose the piece again with its stems kept (and keep the piece if it is not yet);
        `between` is called before each stem is written (where the work can pause)."""
        from .music import cachetrim, compose, stems

        if stems.manifest(self.folder) is not None:
            return
        writer = stems.Writer(self.folder, 48000)

        def write(role: str, x: Any) -> None:
            between()
            writer(role, x)

        try:
            comp = compose(self.seconds, self.style, seed=self.seed, stems=write, **json.loads(self.options_json))
            writer.finish(comp)
        except BaseException:
            writer.abort()
            raise
        if not (self.cache / f"{self.key}.wav").is_file():
            _keep(self.cache, self.key, comp)  # trims the cache too
        else:
            cachetrim.trim(self.cache)  # the stems are about half a piece's size again


class StemsAhead:
    """Stems made after the reply, one piece at a time, in a daemon thread (composing with stems
    costs about 2.3 times a composition: the reply must not wait for it). A job starts only while
    no turn is making music; a turn that needs stems being made waits for them (the same work,
    already under way), and one that needs stems only queued makes them itself. The thread keeps
    the engine's priority: a lowered one would hold the GIL for long stretches on a busy machine
    and stall the event loop (heartbeats, other sessions).
    Exports come first too: a job starts only once the engine has been quiet (no turn, no render)
    for QUIET_S, so the export a reply is followed by (`addmusic-tui run`) starts first, and a job
    under way pauses between stems while a render runs (its 3 s of composing on 2 cores made a
    60 s "add music" export 0.3-0.9 s slower), unless a turn is waiting for that very piece."""

    MAX_QUEUED = 2
    QUIET_S = 1.0

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active: Counter[str] = Counter()  # "turn"s making music and "render"s running right now
        self.last_busy = 0.0  # time.monotonic() when the last turn or render ended
        self.wanted = False  # a turn waits for the piece being made: it does not pause
        self.queue: list[_Piece] = []
        self.running: tuple[_Piece, threading.Event] | None = None  # the piece, set when it is done
        self.wake = threading.Condition(self.lock)
        self.thread: threading.Thread | None = None
        self.enabled = os.environ.get("ADDMUSIC_STEMS_AHEAD", "1") != "0"

    def schedule(self, piece: _Piece) -> None:
        from .music import stems

        if not self.enabled or stems.manifest(piece.folder) is not None:
            return
        with self.lock:
            if piece in self.queue or (self.running and self.running[0] == piece):
                return
            self.queue.append(piece)
            del self.queue[:-self.MAX_QUEUED]  # the latest pieces are the ones a layer edit comes to
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="stems-ahead", daemon=True)
                self.thread.start()
            self.wake.notify()

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        """Around a turn that makes music: no stems job starts meanwhile."""
        with self._counting("turn"):
            yield

    @contextlib.contextmanager
    def rendering(self) -> Iterator[None]:
        """Around a render: no stems job starts, and one under way pauses between stems."""
        with self._counting("render"):
            yield

    @contextlib.contextmanager
    def _counting(self, kind: str) -> Iterator[None]:
        with self.lock:
            self.active[kind] += 1
        try:
            yield
        finally:
            with self.lock:
                self.active[kind] -= 1
                self.last_busy = time.monotonic()
                self.wake.notify_all()

    def _busy(self) -> bool:
        return any(self.active.values())

    def _pause(self) -> None:
        with self.lock:
            while self.active["render"] and not self.wanted:
                self.wake.wait()

    def stems_for(self, piece: _Piece) -> Path:
        """The piece's stem folder, made now if the background has not made it yet."""
        from .music import cachetrim, stems

        done = None
        with self.lock:
            if piece in self.queue:
                self.queue.remove(piece)
            if self.running and self.running[0] == piece:
                done = self.running[1]
        if done is not None:
            with self.lock:
                self.wanted = True
                self.wake.notify_all()
            try:
                done.wait()
            finally:
                with self.lock:
                    self.wanted = False
        if stems.manifest(piece.folder) is None:  # not made ahead, or that job failed
            piece.make_stems()
        cachetrim.touch(piece.folder)  # in use: the cache's trim leaves it
        return piece.folder

    def _run(self) -> None:
        while True:
            with self.lock:
                while not self.queue or self._busy() or time.monotonic() - self.last_busy < self.QUIET_S:
                    # woken by a schedule or a turn or render ending; else once it may be quiet enough
                    self.wake.wait(self.QUIET_S if self.queue and not self._busy() else None)
                piece = self.queue.pop(0)
                done = threading.Event()
                self.running = (piece, done)
            try:
                piece.make_stems(between=self._pause)
            except Exception as exc:  # a full disk, a removed folder: the turn that needs them makes them
                log.info("stems of %s not made ahead: %s", piece.key, exc)
            finally:
                with self.lock:
                    self.running = None
                done.set()

    def idle(self, timeout_s: float = 60.0) -> bool:
        """Wait until nothing is queued or running (tests and benchmarks)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.lock:
                if not self.queue and self.running is None:
                    return True
            time.sleep(0.05)
        return False


AHEAD = StemsAhead()


def clips_only(state: dict[str, Any]) -> dict[str, Any]:
    """"start over": the uploaded clips at full length, nothing else."""
    draft = Draft()
    video, audio = Track(VIDEO), Track(AUDIO)
    for info in state.get("video_infos") or []:
        media_id = str(info.get("media_id") or "")
        duration = int(round(float(info.get("duration") or 0) * 1000)) or 3000
        name = str(info.get("filename") or media_id)
        if info.get("kind") == "audio":
            continue  # an uploaded song is offered, not applied ("use my song" puts it on)
        else:
            video.segments.append(Segment(id=f"v_{media_id[:8]}", label=name, src=media_id, start=video.end,
                                          duration=duration))
            draft.meta.setdefault("title", Path(name).stem)
    draft.tracks = [t for t in (video, audio) if t.segments]
    draft.duration = draft.end
    out = copy.deepcopy(state)
    out["draft"] = draft.to_json()
    out["canvas_config"] = {}
    return out


_TARGETS = {"title": ("add_title", "edit_title"), "music": ("add_background_music", "change_music"),
            "cut": ("keep_cut",), "vertical": ("set_canvas",), "shape": ("set_canvas",),
            "标题": ("add_title", "edit_title"), "字幕": ("add_title", "edit_title"),
            "音乐": ("add_background_music", "change_music"), "剪": ("keep_cut",), "竖屏": ("set_canvas",)}


def _apply_history(cmd: HistoryCommand, state: dict[str, Any], entries: list[HistoryEntry], lang: str,
                   result: TurnResult) -> tuple[dict[str, Any], str]:
    done = [e for e in entries if not e.undone]
    if cmd.kind == "start_over":
        return clips_only(state), say("started_over", lang)
    if cmd.kind in ("undo", "undo_to"):
        if cmd.kind == "undo_to":
            words = cmd.target.lower()
            tools = next((v for k, v in _TARGETS.items() if k in words), ())
            hits = [e for e in done if any(t in e.tools for t in tools) or words in e.sentence.lower()]
            if not hits:
                return state, say("no_such_step", lang, target=cmd.target)
            undo = [e for e in done if e.seq >= hits[-1].seq]
        else:
            undo = done[-cmd.count:] if cmd.count > 0 else []
        if not undo:
            return state, say("nothing_to_undo", lang)
        for e in undo:
            e.undone = True
        result.marks.append(([e.seq for e in undo], True))
        what = "; ".join(f"“{e.sentence}”" for e in reversed(undo))
        return copy.deepcopy(undo[0].before), say("undone", lang, what=what)
    undone = [e for e in entries if e.undone]
    if not undone:
        return state, say("nothing_to_redo", lang)
    e = undone[0]
    e.undone = False
    result.marks.append(([e.seq], False))
    return copy.deepcopy(e.after), say("redone", lang, what=f"“{e.sentence}”")


def run_turn(message: str, state: dict[str, Any], language: str, music_dir: Path,
             history: list[HistoryEntry] | None = None, media_dir: Path | None = None) -> TurnResult:
    """The whole turn's work, off the event loop. `history` is the session's edit history; what
    the turn does to it comes back in `record` and `marks` for the caller to store."""
    entries = copy.deepcopy(history or [])
    result = TurnResult(state=state)
    original = copy.deepcopy(state)
    draft = Draft.from_json(state.get("draft"))
    last = next((e for e in reversed(entries) if not e.undone), None)
    interp = interpret(message, draft, language=language, sources=list(state.get("video_infos") or []),
                       previous=last.tools[-1] if last and last.tools else "")
    sentences: list[str] = []
    working = state
    start_over = False
    for step in interp.steps:
        if step.history is not None:
            working, sentence = _apply_history(step.history, working, entries, interp.lang, result)
            start_over = start_over or step.history.kind == "start_over"
            sentences.append(sentence)
    draft = Draft.from_json(working.get("draft"))
    before_edits = draft.copy()
    tools: list[str] = ["start_over"] if start_over else []
    for edit in interp.edits:
        draft = edit.apply(draft)
        result.calls.append((edit.tool, edit.args, edit.reply))
        sentences.append(edit.reply)
        tools.append(edit.tool)
    sentences.extend(interp.replies)
    result.unmatched = list(interp.unmatched)
    if interp.unmatched:
        sentences.append(unmatched_reply(interp, bool(interp.edits)))
    if not sentences:
        sentences.append(f"{say('help', interp.lang)} {say('try', interp.lang, examples=examples(interp.lang))}")
    new_state = copy.deepcopy(working)
    if interp.edits or working is not state:
        generated = dict(new_state.get("generated_media") or {})
        notes = songs.settle(
            draft, before_edits, new_state, generated, media_dir or music_dir.parent / "media",
            lambda: materialise_music(draft, generated, music_dir),
            lambda key, **values: song_say(key, interp.lang, **values),
            sync_asked="sync_to_beat" in tools, edited=bool(interp.edits))
        sentences.extend(notes)
        live = {s.src for t in draft.tracks for s in t.segments}
        new_state["generated_media"] = {k: v for k, v in generated.items() if k in live}
        new_state["draft"] = draft.to_json()
        new_state["canvas_config"] = {k: draft.meta[k] for k in ("width", "height") if k in draft.meta}
        result.state = new_state
        result.changed = True
        if tools:  # edits (and start over) are recorded; undo and redo only move through the record
            result.record = (message, tools, original if not result.marks else copy.deepcopy(working), new_state)
            if result.marks and interp.edits:
                result.record = (message, tools, copy.deepcopy(working), new_state)
    undo_left = sum(1 for e in entries if not e.undone) + (1 if result.record else 0)
    redo_left = 0 if result.record else sum(1 for e in entries if e.undone)
    result.history = {"undo": undo_left, "redo": redo_left}
    result.reply = " ".join(s for s in sentences if s)
    return result


def sse(payload: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()


HEARTBEAT = b": heartbeat\n\n"


def _event_id() -> str:
    return uuid.uuid4().hex[:12]


async def stream_turn(work: asyncio.Future[TurnResult], heartbeat_s: float, *,
                      quiet: bool) -> AsyncIterator[bytes]:
    """Heartbeats while `work` runs, then a call and response per edit, the reply as partial
    chunks, and one final event that repeats the whole reply (ADK streaming) and carries
    `customMetadata.addmusic` (what was not understood, the history's state)."""
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
    # As ADK does: each model reply has one event id shared by all its events (the text reply's
    # partial chunks and its final event), and a new reply has a new id; a tool's response is an
    # event of its own.
    for i, (tool, args, outcome) in enumerate(result.calls):
        call_id = f"call_{i}"
        yield sse(adk_event(invocation, [call_part(call_id, tool, args)], event_id=_event_id()))
        yield sse(adk_event(invocation, [response_part(call_id, tool, {"status": "ok", "result": outcome})],
                            event_id=_event_id()))
    reply_id = _event_id()
    if quiet:
        final = adk_event(invocation, [], turn_complete=True, event_id=reply_id)
        final["customMetadata"] = result.metadata
        yield sse(final)
        return
    words = result.reply.split(" ")
    chunk_size = 4
    for i in range(0, len(words), chunk_size):
        piece = " ".join(words[i:i + chunk_size]) + (" " if i + chunk_size < len(words) else "")
        yield sse(adk_event(invocation, [text_part(piece)], partial=True, event_id=reply_id))
        await asyncio.sleep(0)
    final = adk_event(invocation, [text_part(result.reply)], turn_complete=True, event_id=reply_id)
    final["customMetadata"] = result.metadata
    yield sse(final)
