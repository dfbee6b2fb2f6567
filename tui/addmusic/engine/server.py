"""The local engine's HTTP surface: every endpoint of API.md with the same envelope, token checks,
attribution checks, sessions, credits, uploads, chat over SSE and render jobs."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import re
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ..protocol import api
from ..protocol.api import TERMINAL_RENDER_STATES
from ..protocol.draft import VIDEO, Draft, Segment, Track
from ..protocol.errors import BAD_TOKEN, FILE_TOO_LARGE, NO_CREDITS, SESSION_NOT_FOUND, UNSUPPORTED_FILE
from ..protocol.formats import MAX_UPLOAD_BYTES
from ..protocol.renderplan import PLAN_KEY
from . import validate
from .jobs import RenderQueue, store_retrying
from .media import MediaInfo
from .store import Job, Store, User
from .turns import TurnResult, run_turn, stream_turn
from .uploads import DISK_FULL, ReceivedFile, UploadRejected, check_room, clear_spool, receive_files

log = logging.getLogger(__name__)

NOT_EXPORTABLE = 3001
DRAFT_REJECTED = 3002
MEDIA_UNUSABLE = 4003  # a supported type that cannot be used: damaged, empty, too long
MAX_JSON_BODY = 256 * 1024  # sessions, chat turns
MAX_RENDER_BODY = 2 * 1024 * 1024  # a render request carries its draft: 400 segments fit many times over
LOOPBACK_HOSTS = ("127.0.0.1", "::1")
MAX_POLL_WAIT_S = 10.0  # a held render poll (`?wait=`) answers within this, whatever was asked
IMAGE_SECONDS = 3000  # a still image becomes a 3 s shot


def _env_number(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass
class EngineConfig:
    data_dir: Path
    credits: int = 10_000
    heartbeat_s: float = 10.0
    token_ttl_s: float = 7 * 24 * 3600
    idle_exit_s: float = 600.0
    quiet: bool = False  # reply with no text, as ~30% of cloud turns do (for tests and demos)
    think_s: float = 0.0  # extra time per turn, to show a slow backend's heartbeats (tests, demos)

    @classmethod
    def from_env(cls, data_dir: Path) -> EngineConfig:
        return cls(
            data_dir=data_dir,
            credits=int(_env_number("ADDMUSIC_ENGINE_CREDITS", 10_000)),
            heartbeat_s=max(0.05, _env_number("ADDMUSIC_HEARTBEAT_S", 10.0)),
            token_ttl_s=_env_number("ADDMUSIC_ENGINE_TOKEN_TTL_S", 7 * 24 * 3600),
            idle_exit_s=_env_number("ADDMUSIC_ENGINE_IDLE_S", 600.0),
            quiet=os.environ.get("ADDMUSIC_ENGINE_QUIET", "") not in ("", "0"),
            think_s=_env_number("ADDMUSIC_ENGINE_THINK_S", 0.0),
        )


class Failure(Exception):
    def __init__(self, code: int, message: str, status: int = 200) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def ok(data: Any) -> JSONResponse:
    return JSONResponse({"code": 0, "message": "ok", "data": data})


def fail(code: int, message: str, status: int = 200) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "data": None}, status_code=status)


class Engine:
    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self.store = Store(config.data_dir / "engine.db", starting_credits=config.credits)
        self.media_dir = config.data_dir / "media"
        self.music_dir = config.data_dir / "music"
        removed = clear_spool(self.media_dir / "spool")  # before front ends can find this engine
        if removed:
            log.info("removed %d upload leftovers of an interrupted run", removed)
        self.renders = RenderQueue(self.store, config.data_dir / "renders", self.music_path)
        self.renders.end_orphans()  # before front ends can find this engine
        self.open_requests = 0
        self.last_activity = time.monotonic()
        self.should_exit = asyncio.Event()
        self.session_locks: dict[str, asyncio.Lock] = {}
        self.background: set[asyncio.Future[Any]] = set()

    def music_path(self, media_id: str) -> Path:
        return self.music_dir / f"{media_id}.wav"

    # --- checks shared by the routes -----------------------------------------------------

    @staticmethod
    def client_id(request: Request) -> str:
        client_id = request.headers.get("x-client-id", "").strip()
        if not client_id:
            raise Failure(400, "missing X-Client-Id", status=400)
        return client_id

    def user(self, request: Request) -> User:
        self.client_id(request)
        auth = request.headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        user = self.store.user_for_token(token) if token else None
        if user is None:
            raise Failure(BAD_TOKEN, "token invalid or expired", status=401)
        return user

    @staticmethod
    def attributed(request: Request) -> bool:
        return all(request.headers.get(h) for h in api.ATTRIBUTION_HEADERS)

    def session(self, session_id: str, user: User) -> dict[str, Any]:
        session = self.store.session(session_id, user.user_id)
        if session is None:
            raise Failure(SESSION_NOT_FOUND, "session not found", status=404)
        return session

    def lock_for(self, session_id: str) -> asyncio.Lock:
        return self.session_locks.setdefault(session_id, asyncio.Lock())

    # --- routes --------------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        return ok({"engine": "addmusic", "pid": os.getpid()})

    async def anonymous_token(self, request: Request) -> Response:
        user = self.store.user_for_client(self.client_id(request))
        token, expires = self.store.issue_token(user.user_id, self.config.token_ttl_s)
        return ok({"token": token, "user_id": user.user_id, "expires_at": int(expires),
                   "credits": user.available})

    async def create_session(self, request: Request) -> Response:
        user = self.user(request)
        body = await _json_body(request)
        language = str(body.get("language") or "en")
        return ok(self.store.create_session(user.user_id, str(body.get("task_name") or "project"), language))

    async def credits(self, request: Request) -> Response:
        user = self.user(request)
        return ok({"available": user.available, "frozen": user.frozen, "total": user.available + user.frozen})

    async def state(self, request: Request) -> Response:
        user = self.user(request)
        session = self.session(request.path_params["sid"], user)
        return ok({k: session[k] for k in ("session_id", "task_id", "task_name", "state")})

    async def run_sse(self, request: Request) -> Response:
        user = self.user(request)
        body = await _json_body(request)
        session = self.session(str(body.get("session_id") or ""), user)
        message = _message_text(body)
        if not self.store.freeze(user.user_id, 1):
            raise Failure(NO_CREDITS, "no credits left", status=403)
        sid = session["session_id"]
        lock = self.lock_for(sid)
        try:
            await lock.acquire()  # turns of one session run one after another
        except BaseException:
            self.store.settle(user.user_id, 1, charge=False)
            raise
        session = self.store.session(sid, user.user_id) or session  # an earlier turn may have changed it

        async def finish() -> TurnResult:
            # Independent of the response: the edit lands even when the client hangs up mid-turn.
            charged = False
            try:
                if self.config.think_s:
                    await asyncio.sleep(self.config.think_s)
                history = await store_retrying(lambda: self.store.history(sid), "read the edit history")
                result = await asyncio.to_thread(
                    run_turn, message, session["state"], session["language"], self.music_dir,
                    history, self.media_dir)

                def save() -> None:  # one transaction each; a locked one is rolled back whole
                    if result.changed:
                        self.store.save_state(sid, result.state)
                    for seqs, undone in result.marks:  # the turn's undo/redo, then its own edit
                        self.store.mark_undone(sid, seqs, undone)

                await store_retrying(save, "save the turn's edit")
                if result.record:
                    await store_retrying(lambda: self.store.record_edit(sid, *result.record), "record the edit")
                charged = result.changed
                return result
            finally:
                try:  # a locked database delays the settlement; credits are never left frozen
                    await store_retrying(lambda: self.store.settle(user.user_id, 1, charge=charged),
                                         "settle the turn's credit")
                finally:
                    lock.release()

        work = asyncio.ensure_future(finish())
        self.background.add(work)
        work.add_done_callback(self.background.discard)
        body_stream = stream_turn(work, self.config.heartbeat_s, quiet=self.config.quiet)
        return StreamingResponse(body_stream, media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def upload(self, request: Request) -> Response:
        user = self.user(request)
        session = self.session(request.path_params["sid"], user)
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("application/json"):
            raise Failure(UNSUPPORTED_FILE, "The local engine cannot fetch URLs; upload the file itself.")
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_UPLOAD_BYTES + 1024 * 1024:
            raise Failure(FILE_TOO_LARGE, "The file is larger than 500 MB. Compress or trim it first.")
        expected = int(length) if length and length.isdigit() else 0
        spool = self.media_dir / "spool"
        try:
            check_room(spool, expected)
            received = await receive_files(content_type, request.stream(), spool, expected_bytes=expected)
        except UploadRejected as exc:
            raise Failure(exc.code, str(exc), status=507 if exc.code == DISK_FULL else 200) from None
        if not received:
            raise Failure(UNSUPPORTED_FILE, "No file was attached to the upload.")
        async with self.lock_for(session["session_id"]):
            session = self.session(session["session_id"], user)
            try:
                files = [await self._add_media(session, item, user.user_id) for item in received]
            finally:
                for item in received:
                    item.path.unlink(missing_ok=True)
            self.store.save_state(session["session_id"], session["state"])
        return ok({"files": files, "session_state_applied": True})

    async def _add_media(self, session: dict[str, Any], item: ReceivedFile, user_id: str) -> dict[str, Any]:
        from .media import MediaError, audio_peaks, probe

        media_id = item.digest[:16]
        suffix = Path(item.filename).suffix.lower() or ".bin"
        target = self.media_dir / f"{media_id}{suffix}"
        moved = not target.exists()
        if moved:
            shutil.move(str(item.path), target)
        try:
            info = await asyncio.to_thread(probe, target)
        except MediaError as exc:
            if moved:
                from .render import soundfacts

                soundfacts.remove(target)  # nothing of a refused upload stays on disk, facts included
            # the real reason (damaged, empty, too long), not "file type not supported"
            raise Failure(MEDIA_UNUSABLE, str(exc).replace(target.name, item.filename)) from None
        record = {k: v for k, v in dataclasses.asdict(info).items() if k != "path"}
        self.store.add_media(media_id, session["session_id"], target, record)
        from .render.run import remember_facts, remember_picture

        ahead = [remember_facts(target)] if info.has_audio else []  # the export masters in one run
        if info.kind == "video" and info.video_codec == "h264":
            ahead.append(remember_picture(target))  # and plans a copy without reading the clip again
        for work in ahead:
            task = asyncio.ensure_future(work)
            self.background.add(task)
            task.add_done_callback(self.background.discard)
        state = session["state"]
        draft = Draft.from_json(state.get("draft"))
        listed: dict[str, Any] = {
            "media_id": media_id, "filename": item.filename, "kind": info.kind,
            "duration": info.duration_ms / 1000, "width": info.width, "height": info.height,
            "fps": info.fps, "has_audio": info.has_audio}
        if info.kind == "audio":
            # offered, not applied: the draft is unchanged until the user says "use my song"; its
            # waveform shows now, its tempo once the analysis (in the background) has run
            listed["wf"] = await asyncio.to_thread(audio_peaks, target, 120)
            self._spawn(self._analyse_song(session["session_id"], user_id, media_id, target))
        else:
            duration = info.duration_ms if info.kind == "video" else IMAGE_SECONDS
            _append(draft, VIDEO, Segment(id=f"v_{media_id[:8]}", label=item.filename, src=media_id,
                                          duration=duration))
            if draft.meta.get("xf"):  # crossfades on: the new clip overlaps the last one like the others
                from .interpreter.reelops import relay

                relay(draft)
            if not draft.meta.get("title"):
                draft.meta["title"] = Path(item.filename).stem
        draft.duration = draft.end
        state["draft"] = draft.to_json()
        state.setdefault("video_infos", []).append(listed)
        return {"filename": item.filename, "file_type": info.kind, "cdn_url": f"/media/{media_id}",
                "duration": info.duration_ms / 1000, "width": info.width, "height": info.height,
                "fps": info.fps, "hash": media_id}

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self.background.add(task)  # keeps the engine from idling out while it runs
        task.add_done_callback(self.background.discard)

    async def _analyse_song(self, session_id: str, user_id: str, media_id: str, path: Path) -> None:
        """A song's beats and tempo, once per file (cached next to it), then its `bpm` in the
        session's listing. Off the event loop; a turn that needs it first waits for the same run."""
        from .songs import song_analysis

        try:
            analysis = await asyncio.to_thread(song_analysis, path)
        except Exception as exc:  # a song that cannot be analysed still plays; it only has no beat
            log.warning("cannot analyse %s: %s", path.name, exc)
            return
        bpm = round(analysis.tempo, 1) if analysis.tempo else None
        async with self.lock_for(session_id):
            session = self.store.session(session_id, user_id)
            if session is None:
                return
            state = session["state"]
            for listed in state.get("video_infos") or []:
                if listed.get("media_id") == media_id and listed.get("kind") == "audio":
                    listed["bpm"] = bpm
            self.store.save_state(session_id, state)

    async def submit_render(self, request: Request) -> Response:
        user = self.user(request)
        if not self.attributed(request):
            raise Failure(402, "export blocked: missing attribution headers", status=402)
        body = await _json_body(request, limit=MAX_RENDER_BODY)
        job_id = str(body.get("id") or "")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,80}", job_id):
            raise Failure(1, "render id missing or malformed", status=400)
        existing = self.store.job(user.user_id, job_id)  # ids are per owner: another's never collides
        if existing is not None:
            return ok(self._job_view(existing, request))
        session = self.session(str(body.get("sessionId") or ""), user)
        draft_raw = body.get("draft") or session["state"].get("draft")
        try:
            draft = validate.parse(draft_raw)
            if not draft.exportable:
                raise Failure(NOT_EXPORTABLE, "Nothing to export yet: upload a clip first.")
            generated = session["state"].get("generated_media")
            generated = generated if isinstance(generated, dict) else {}
            uploads = {media_id: MediaInfo(path=path, **info)
                       for media_id, (path, info) in self.store.media(session["session_id"]).items()}
            sources = validate.resolve(draft, uploads, generated, self.music_path)
            validate.check_bounds(draft, sources, generated)
        except validate.DraftRejected as exc:
            raise Failure(DRAFT_REJECTED, str(exc), status=422) from None
        output = body.get("output") if isinstance(body.get("output"), dict) else {}
        quality = "preview" if output.get("quality") == "preview" else "high"
        cost = validate.cost_for(draft.end, quality)  # frozen now; the real output length is charged
        if not self.store.freeze(user.user_id, cost):
            raise Failure(NO_CREDITS, "no credits left", status=403)
        job = Job(job_id, user.user_id, session["session_id"], draft.to_json(), quality, "pending", 0.0,
                  None, None, cost, smart=output.get("smart") is not False)
        try:
            self.renders.submit(job)
        except BaseException:
            self.store.settle(user.user_id, cost, charge=False)
            raise
        return ok(self._job_view(job, request))

    async def render_status(self, request: Request) -> Response:
        job = self._own_job(request)
        wait = _held_poll_seconds(request.query_params.get("wait"))
        if wait and job.status not in TERMINAL_RENDER_STATES:
            await self.renders.wait_end(job, wait)  # answered when it ends, or with its progress
            job = self._own_job(request)
        return ok(self._job_view(job, request))

    async def cancel_render(self, request: Request) -> Response:
        job = self._own_job(request)
        self.renders.cancel(job)
        return ok(self._job_view(self.store.job(job.user_id, job.job_id) or job, request))

    async def download(self, request: Request) -> Response:
        job = self._own_job(request)
        if job.status == "completed" and not (job.output and Path(job.output).is_file()):
            raise Failure(1, "This render was removed from the engine (a finished render is kept a week, or "
                             "an hour after its download). Export again.", status=410)
        if job.status != "completed":
            raise Failure(1, "render not finished", status=404)
        with contextlib.suppress(sqlite3.Error):  # only starts the clean-up clock
            self.store.mark_downloaded(job.user_id, job.job_id)
        return FileResponse(job.output, media_type="video/mp4", filename=f"{job.job_id}.mp4")

    def _own_job(self, request: Request) -> Job:
        user = self.user(request)
        job = self.store.job(user.user_id, request.path_params["job_id"])
        if job is None:
            raise Failure(1, "render job not found", status=404)
        return job

    def _job_view(self, job: Job, request: Request) -> dict[str, Any]:
        unsaved = self.renders.outcome_not_saved(job)
        if unsaved is not None and unsaved[0] != "completed":  # ended while the store could not record it
            job = dataclasses.replace(job, status=unsaved[0], error=unsaved[1])
        view: dict[str, Any] = {"id": job.job_id, "status": job.status, "progress": job.progress}
        if job.status == "completed":
            view["output"] = {"url": str(request.url_for("download", job_id=job.job_id))}
            if job.output and request.client is not None and request.client.host in LOOPBACK_HOSTS:
                view["output"]["path"] = job.output  # a front end on this machine may link it (API.md)
        if job.status == "pending":
            ahead = self.renders.ahead(job)
            if ahead is not None:
                view["ahead"] = ahead  # jobs rendering or queued before this one
        if job.error:
            view["error"] = job.error
        plan = self.renders.plan_of(job)
        if plan is not None:  # an addmusic extension: how the picture is made (protocol/renderplan.py)
            view[PLAN_KEY] = plan.to_json()
        return view

    # --- lifecycle -----------------------------------------------------------------------

    @property
    def idle(self) -> bool:
        # a turn whose client hung up still finishes its edit (and a client may be polling for it)
        return self.open_requests == 0 and not self.renders.busy and not self.background

    async def watch_idle(self) -> None:
        while True:
            await asyncio.sleep(min(15.0, max(0.2, self.config.idle_exit_s / 4)))
            if not self.idle:
                self.last_activity = time.monotonic()
            elif time.monotonic() - self.last_activity > self.config.idle_exit_s:
                log.info("idle for %.0f s with nothing queued: exiting", self.config.idle_exit_s)
                self.should_exit.set()
                return


def _held_poll_seconds(raw: str | None) -> float:
    """The `wait` of a render poll, bounded; 0 (answer at once) when absent or not a number."""
    try:
        seconds = float(raw or 0)
    except ValueError:
        return 0.0
    return min(MAX_POLL_WAIT_S, seconds) if seconds > 0 else 0.0  # NaN and negatives: at once


def _append(draft: Draft, track_type: int, seg: Segment) -> None:
    tracks = draft.tracks_of(track_type)
    if not tracks:
        track = Track(type=track_type)
        if track_type == VIDEO:
            draft.tracks.insert(0, track)
        else:
            draft.tracks.append(track)
        tracks = [track]
    track = tracks[0]
    seg.start = track.end
    if any(s.id == seg.id for s in track.segments):
        seg.id = f"{seg.id}_{len(track.segments)}"
    track.segments.append(seg)


async def _json_body(request: Request, limit: int = MAX_JSON_BODY) -> dict[str, Any]:
    """The JSON object a request carries, read no further than `limit` bytes."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise Failure(1, f"request body larger than {limit // 1024} KB", status=413)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Failure(1, f"request body larger than {limit // 1024} KB", status=413)
        chunks.append(chunk)
    try:
        body = json.loads(b"".join(chunks))
    except (ValueError, RecursionError):
        raise Failure(1, "request body is not JSON", status=400) from None
    return body if isinstance(body, dict) else {}


def _message_text(body: dict[str, Any]) -> str:
    message = body.get("new_message")
    parts = message.get("parts") if isinstance(message, dict) else None
    texts = [p.get("text") for p in parts or [] if isinstance(p, dict) and isinstance(p.get("text"), str)]
    return " ".join(texts).strip()


class ActivityMiddleware:
    """Counts open requests (SSE streams included) so the idle timer never ends a live turn."""

    def __init__(self, app: Any, engine: Engine) -> None:
        self.app, self.engine = app, engine

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path") == "/health":
            # health checks come from front ends looking for an engine: they do not keep it alive
            await self.app(scope, receive, send)
            return
        self.engine.open_requests += 1
        self.engine.last_activity = time.monotonic()
        try:
            await self.app(scope, receive, send)
        finally:
            self.engine.open_requests -= 1
            self.engine.last_activity = time.monotonic()


def build_app(config: EngineConfig) -> tuple[Any, Engine]:
    engine = Engine(config)

    def route(path: str, handler: Any, method: str, name: str | None = None) -> Route:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request)
            except Failure as exc:
                return fail(exc.code, exc.message, exc.status)
            except sqlite3.OperationalError as exc:
                # another process holds the database, or its disk is full: say so, and let the
                # client's retry (it honours Retry-After) try again instead of a bare 500
                log.warning("%s %s: store unavailable: %s", request.method, request.url.path, exc)
                busy = "locked" in str(exc).lower() or "busy" in str(exc).lower()
                message = ("the engine's database is busy; try again" if busy
                           else "the engine cannot write its database (is its disk full?)")
                return JSONResponse({"code": 5030, "message": message, "data": None}, status_code=503,
                                    headers={"Retry-After": "1"})

        return Route(path, endpoint, methods=[method], name=name or handler.__name__)

    routes = [
        route("/health", engine.health, "GET"),
        route(api.ANONYMOUS_TOKEN, engine.anonymous_token, "POST"),
        route(api.SESSION, engine.create_session, "POST"),
        route(api.RUN_SSE, engine.run_sse, "POST"),
        route(api.upload_path("{sid}"), engine.upload, "POST"),
        route(api.CREDITS, engine.credits, "GET"),
        route(api.state_path("{sid}"), engine.state, "GET"),
        route(api.RENDER, engine.submit_render, "POST"),
        route(api.render_path("{job_id}"), engine.render_status, "GET"),
        route(api.cancel_path("{job_id}"), engine.cancel_render, "POST"),
        route("/api/render/download/{job_id}", engine.download, "GET", name="download"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):  # type: ignore[no-untyped-def]
        engine.renders.start()
        watcher = asyncio.create_task(engine.watch_idle())
        try:
            yield
        finally:
            watcher.cancel()
            await engine.renders.stop()
            engine.store.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    return ActivityMiddleware(app, engine), engine
