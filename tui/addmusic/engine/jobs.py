"""Render jobs: a queue served by a small pool of workers (the pool follows the CPU count), progress
in the store, credits settled, and jobs that a stop interrupted run again at the next start.

What can go wrong and what happens then:
- the engine is killed mid-render: its ffmpeg dies with it (procs.py); at the next start any
  ffmpeg that escaped is ended, and the job runs again into a new file (one file per attempt,
  so two writers never share one);
- ffmpeg exits 0 with a broken file: the output is verified (verify.py) before it is completed;
- the database is locked by another process or the disk is full: the worker logs it, retries the
  write with backoff, fails the job with a reason when retrying cannot help, and keeps serving;
  a credit settlement that could not be written is kept and written later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ..protocol.renderplan import RenderPlanNote
from . import procs, validate
from .store import Job, Store

log = logging.getLogger(__name__)

FONT = Path(__file__).resolve().parent.parent / "fonts" / "DejaVuSans-Bold.ttf"
TERMINAL = ("completed", "failed", "cancelled")
# Retrying a store write: 0.1 s doubling to 5 s, about two minutes in all, then the write waits
# in memory and is tried again before each later job.
RETRY_FIRST_S, RETRY_MAX_S, RETRY_TOTAL_S = 0.1, 5.0, 120.0
# Finished renders are removed once downloaded (after this grace) or after this age unfetched.
KEEP_DOWNLOADED_S = 3600.0
KEEP_UNFETCHED_S = 7 * 24 * 3600.0
UNSAVED_RETRY_S = 2.0
T = TypeVar("T")
Key = tuple[str, str]  # (user_id, job_id): render ids are unique per owner only


def pool_size() -> int:
    """Renders at once: one per two cores (ffmpeg's encoder is itself threaded), at least one."""
    raw = os.environ.get("ADDMUSIC_RENDER_WORKERS", "")
    if raw.isdigit() and int(raw) > 0:
        return min(16, int(raw))
    return max(1, (os.cpu_count() or 2) // 2)


def transient(exc: BaseException) -> bool:
    """A store error that goes away by itself (another process's lock), not a broken disk."""
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


async def store_retrying(call: Callable[[], T], what: str) -> T:
    """A store call retried while another process holds the database's lock, with backoff and
    jitter (the render worker's and the chat turn's policy); other errors, and a lock held for
    minutes, raise."""
    delay, waited = RETRY_FIRST_S, 0.0
    while True:
        try:
            return call()
        except sqlite3.OperationalError as exc:
            if not transient(exc) or waited >= RETRY_TOTAL_S:
                raise
            log.warning("cannot %s (%s): retrying in %.1f s", what, exc, delay)
            pause = delay * random.uniform(0.5, 1.0)
            await asyncio.sleep(pause)
            waited += pause
            delay = min(RETRY_MAX_S, delay * 2)


def people_words(exc: BaseException) -> str:
    text = str(exc)
    lowered = text.lower()
    if "no space left" in lowered or "disk is full" in lowered or "database or disk is full" in lowered:
        return "The engine's disk is full; free some space and export again."
    return text


@dataclass
class _Outcome:
    status: str
    output: str | None = None
    error: str | None = None
    charged: int | None = None


class RenderQueue:
    def __init__(self, store: Store, renders_dir: Path, music_path: Callable[[str], Path], *,
                 workers: int | None = None) -> None:
        self.store = store
        self.renders_dir = renders_dir
        self.music_path = music_path  # generated media id -> its WAV
        self.workers = workers or pool_size()
        self.queue: asyncio.Queue[Key] = asyncio.Queue()
        self.waiting: list[Key] = []  # queued, in order: for "queued, 2 ahead"
        self.running: dict[Key, asyncio.Task[None]] = {}
        # outcomes the store could not take (full disk): shown to polls and written when it can
        self.unsaved: dict[Key, tuple[_Outcome, Callable[[], None]]] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._stopping = False
        # how each render of this run makes its picture, for its poll answers (kept in memory: a
        # job planned by an earlier engine has none, and the key is optional for clients)
        self.plans: dict[Key, RenderPlanNote] = {}
        self._ends: dict[Key, asyncio.Event] = {}  # held polls wait on these (wait_end)

    @property
    def busy(self) -> bool:
        return bool(self.running) or bool(self.waiting)

    def job_dir(self, job: Job) -> Path:
        return self.renders_dir / job.user_id / job.job_id

    def end_orphans(self) -> list[int]:
        """Record this engine's ffmpeg children from now on, and end any an earlier engine for the
        same data dir left running (they would still be writing into its render folders)."""
        registry = procs.use_registry(self.renders_dir.parent / procs.REGISTRY_NAME)
        ended = registry.end_orphans() if registry is not None else []
        if ended:
            log.warning("ended %d render process(es) an earlier engine left running: %s", len(ended), ended)
        return ended

    def start(self) -> None:
        self.renders_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if procs.registry() is None:
            self.end_orphans()
        for job in self.store.jobs_in("pending", "processing"):
            log.info("re-running render %s interrupted by a stop", job.job_id)
            for stale in self.job_dir(job).glob("*.partial.mp4"):
                stale.unlink(missing_ok=True)
            self.store.update_job(job.user_id, job.job_id, status="pending", progress=0.0)
            self._enqueue((job.user_id, job.job_id))
        self.remove_old_renders()
        self._workers = [asyncio.create_task(self._serve(i)) for i in range(self.workers)]

    async def stop(self) -> None:
        """Stop ffmpeg children; their jobs stay pending and run again at the next start."""
        self._stopping = True
        for task in list(self.running.values()):
            task.cancel()
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, *self.running.values(), return_exceptions=True)
        self._flush_unsaved()

    def _enqueue(self, key: Key) -> None:
        self.waiting.append(key)
        self.queue.put_nowait(key)

    def submit(self, job: Job) -> None:
        self.store.add_job(job)
        self._enqueue((job.user_id, job.job_id))

    def ahead(self, job: Job) -> int | None:
        """How many jobs are in front of this one (rendering or queued earlier); None when it is
        not waiting."""
        key = (job.user_id, job.job_id)
        if key not in self.waiting:
            return None
        return self.waiting.index(key) + len(self.running)

    async def wait_end(self, job: Job, seconds: float) -> None:
        """Return once the job has ended, or after `seconds`: a poll held until there is news
        (the local engine's `?wait=`), so the client hears of the end when it happens."""
        key = (job.user_id, job.job_id)
        event = self._ends.setdefault(key, asyncio.Event())
        current = self.store.job(*key)  # after registering: an end from now on sets the event
        if current is None or current.status in TERMINAL or key in self.unsaved:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)

    def _ended(self, key: Key) -> None:
        event = self._ends.pop(key, None)
        if event is not None:
            event.set()

    def cancel(self, job: Job) -> None:
        current = self.store.job(job.user_id, job.job_id)
        if current is None or current.status in TERMINAL:
            return
        self.store.update_job(job.user_id, job.job_id, status="cancelled")
        self.store.settle(job.user_id, job.cost, charge=False)
        key = (job.user_id, job.job_id)
        self._ended(key)
        with contextlib.suppress(ValueError):
            self.waiting.remove(key)
        task = self.running.get(key)
        if task:
            task.cancel()

    # --- the workers -----------------------------------------------------------------------

    async def _serve(self, number: int) -> None:
        """One worker: never stops on a job's error, only when the engine stops."""
        while True:
            try:
                key = await asyncio.wait_for(self.queue.get(), UNSAVED_RETRY_S if self.unsaved else None)
            except TimeoutError:
                self._flush_unsaved()
                continue
            with contextlib.suppress(ValueError):
                self.waiting.remove(key)
            self._flush_unsaved()
            try:
                job = await store_retrying(lambda k=key: self.store.job(*k), "read the render job")
            except Exception:
                log.exception("render worker %d: cannot read job %s; it runs again at the next start", number, key)
                continue
            if job is None or job.status != "pending":
                continue
            task = asyncio.create_task(self._run(job))
            self.running[key] = task
            try:
                await task
            except asyncio.CancelledError:
                if self._stopping:
                    raise
                # only the job was cancelled (by the user): go on with the next one
            except Exception:
                log.exception("render %s: unexpected error; the worker goes on", job.job_id)
                await self._finish(job, _Outcome("failed", error="The render failed inside the engine; "
                                                  "see the engine log."))
            finally:
                self.running.pop(key, None)
            try:
                self.remove_old_renders()
            except (OSError, sqlite3.Error) as exc:
                log.warning("old renders not cleared: %s", exc)

    def _flush_unsaved(self) -> None:
        for key, (_outcome, write) in list(self.unsaved.items()):
            try:
                write()
            except sqlite3.Error as exc:
                log.warning("the outcome of render %s still cannot be saved (%s); trying again later", key[1], exc)
                return
            del self.unsaved[key]
            log.info("the outcome of render %s is saved now", key[1])

    def outcome_not_saved(self, job: Job) -> tuple[str, str | None] | None:
        """(status, error) of a job that ended while the store could not record it."""
        entry = self.unsaved.get((job.user_id, job.job_id))
        return (entry[0].status, entry[0].error) if entry else None

    async def _finish(self, job: Job, outcome: _Outcome) -> None:
        """Record the outcome and settle the credits; when the store cannot take it, keep both
        for later (credits never stay frozen for a job that has ended)."""

        def write() -> None:
            current = self.store.job(job.user_id, job.job_id)
            if current is not None and current.status == "cancelled":
                return  # cancelled meanwhile: already settled
            fields: dict[str, Any] = {"status": outcome.status, "error": outcome.error}
            if outcome.status == "completed":
                fields.update(progress=100.0, output=outcome.output, finished=time.time())
            self.store.update_job(job.user_id, job.job_id, **fields)
            self.store.settle(job.user_id, job.cost, charge=outcome.status == "completed",
                              charged=outcome.charged)

        try:
            await store_retrying(write, f"save render {job.job_id}")
        except sqlite3.Error as exc:
            log.error("render %s ended %s but cannot be saved (%s); kept to save later", job.job_id,
                      outcome.status, exc)
            self.unsaved[(job.user_id, job.job_id)] = (outcome, write)
        finally:
            self._ended((job.user_id, job.job_id))

    def _progress_writer(self, job: Job) -> Callable[[float], None]:
        last = -1.0

        def on_progress(pct: float) -> None:
            nonlocal last
            if pct - last >= 0.5 or pct >= 100:  # keep store writes few
                try:
                    self.store.update_job(job.user_id, job.job_id, progress=round(pct, 1))
                    last = pct
                except sqlite3.Error as exc:  # progress is a nicety: a locked store must not stop ffmpeg
                    log.debug("progress of %s not saved: %s", job.job_id, exc)

        return on_progress

    async def _run(self, job: Job) -> None:
        from .render import RenderError, build_plan, run_render
        from .render.run import whole_copy
        from .turns import AHEAD
        from .verify import Expected, OutputInvalid, check_tail, verify_output

        attempt = job.attempts + 1
        try:
            await store_retrying(lambda: self.store.update_job(
                job.user_id, job.job_id, status="processing", progress=0.0, attempts=attempt), "start a render")
        except sqlite3.Error as exc:
            log.error("render %s cannot start: %s", job.job_id, exc)
            await self._finish(job, _Outcome("failed", error=people_words(exc)))
            return
        out_dir = self.job_dir(job)
        # each attempt its own files: an ffmpeg left over from a killed engine can never write
        # into the file this attempt hands over
        partial = out_dir / f"attempt-{attempt}.partial.mp4"
        final = out_dir / f"output-{attempt}.mp4"
        clock = _Stages()
        try:
            out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            sources = self._sources(job)
            draft = validate.parse(job.draft)
            validate.check_bounds(draft, sources, self._generated(job))
            plan = build_plan(draft, sources.media, sources.audio, partial, quality=job.quality, font=FONT,
                              workdir=out_dir, smart=job.smart)
            clock.lap("planned")
            log.info("render %s: %s", job.job_id, plan.describe())
            self._note_plan(job, plan)
            whole = whole_copy(plan)
            # a clip copied whole hands its own packets over: its last pictures were decoded at
            # upload (or are now, while the sound renders), and the output's are only counted
            tail = _quietly(asyncio.ensure_future(asyncio.to_thread(check_tail, whole))) if whole else None
            try:
                with AHEAD.rendering():  # the music's stems, made in the background, wait for it
                    await run_render(plan, self._progress_writer(job))
            finally:
                self._note_plan(job, plan)  # a smart render that could not be joined was re-encoded whole
            clock.lap("rendered")
            expected = Expected(
                duration_ms=draft.end,
                audio=_expects_sound(draft, sources),
                full_decode=bool(getattr(plan, "reencode_video", True)),
                fps=_fps(draft, sources),
                copied_frames=len(plan.source.packets) if whole and plan.source else None,
            )
            if tail is not None:
                await tail
            real_ms = await asyncio.to_thread(verify_output, partial, expected)
            clock.lap("verified")
            partial.replace(final)
        except asyncio.CancelledError:
            partial.unlink(missing_ok=True)
            with contextlib.suppress(sqlite3.Error):
                current = self.store.job(job.user_id, job.job_id)
                if current and current.status == "processing":
                    self.store.update_job(job.user_id, job.job_id, status="pending", progress=0.0)  # a stop
            raise
        except (RenderError, validate.DraftRejected) as exc:
            await self._fail(job, partial, people_words(exc))
            return
        except OutputInvalid as exc:
            await self._fail(job, partial, f"The render came out damaged ({exc}); nothing was saved. "
                                           "Export again.")
            return
        except (OSError, ValueError, sqlite3.Error) as exc:
            words = people_words(exc)
            await self._fail(job, partial, words if words != str(exc) else f"The render failed: {exc}")
            return
        charged = validate.cost_for(real_ms if real_ms else draft.end, job.quality)
        await self._finish(job, _Outcome("completed", output=str(final), charged=charged))
        clock.lap("saved")
        log.info("render %s done: %s", job.job_id, clock)

    def _note_plan(self, job: Job, plan: Any) -> None:
        share = 1.0 if plan.mode == "encode" else plan.share
        self.plans[(job.user_id, job.job_id)] = RenderPlanNote(plan.mode, plan.reason, share)

    def plan_of(self, job: Job) -> RenderPlanNote | None:
        return self.plans.get((job.user_id, job.job_id))

    async def _fail(self, job: Job, partial: Path, message: str) -> None:
        log.warning("render %s failed: %s", job.job_id, message)
        partial.unlink(missing_ok=True)
        await self._finish(job, _Outcome("failed", error=message))

    # --- the job's media, through the store ------------------------------------------------

    def _generated(self, job: Job) -> dict[str, Any]:
        session = self.store.session(job.session_id, job.user_id)
        generated = (session or {}).get("state", {}).get("generated_media")
        return generated if isinstance(generated, dict) else {}

    def _sources(self, job: Job) -> validate.Sources:
        """Every src of the job's draft, resolved in the job owner's own session."""
        from .media import MediaInfo

        if self.store.session(job.session_id, job.user_id) is None:
            raise validate.DraftRejected("The session of this render is gone; start a new one.")
        uploads = {media_id: MediaInfo(path=path, **info)
                   for media_id, (path, info) in self.store.media(job.session_id).items()}
        draft = validate.parse(job.draft)
        return validate.resolve(draft, uploads, self._generated(job), self.music_path)

    # --- the renders folder stays bounded --------------------------------------------------

    def remove_old_renders(self, now: float | None = None) -> int:
        """Remove finished renders that were downloaded over an hour ago, or never fetched in a
        week, and every file of failed or cancelled jobs; return how many jobs were cleared."""
        now = time.time() if now is None else now
        cleared = 0
        for job, finished, downloaded in self.store.finished_jobs():
            keep = KEEP_DOWNLOADED_S if downloaded else KEEP_UNFETCHED_S
            folder = self.job_dir(job)
            if job.status == "completed" and now - (downloaded or finished or _mtime(folder, now)) < keep:
                continue
            for item in sorted(folder.rglob("*"), reverse=True):
                with contextlib.suppress(OSError):
                    item.rmdir() if item.is_dir() else item.unlink()
            with contextlib.suppress(OSError):
                folder.rmdir()
            self.store.mark_swept(job.user_id, job.job_id)
            self.plans.pop((job.user_id, job.job_id), None)
            cleared += 1
        return cleared


def _quietly(future: asyncio.Future[T]) -> asyncio.Future[T]:
    """A side check whose result nobody awaits when the render failed first: its error is not
    reported again as never retrieved."""
    future.add_done_callback(lambda f: f.cancelled() or f.exception())
    return future


class _Stages:
    """Seconds per stage of a render, for the log: where an export's time goes."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.laps: list[tuple[str, float]] = []

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps.append((name, now - self.last))
        self.last = now

    def __str__(self) -> str:
        return ", ".join(f"{name} {seconds:.2f} s" for name, seconds in self.laps)


def _mtime(path: Path, default: float) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return default


def _expects_sound(draft: Any, sources: validate.Sources) -> bool:
    from ..protocol.draft import AUDIO, VIDEO

    for track in draft.tracks:
        for seg in track.segments:
            if seg.duration <= 0:
                continue
            if track.type == AUDIO:
                return True
            if track.type == VIDEO and seg.src in sources.media and sources.media[seg.src].has_audio:
                return True
    return False


def _fps(draft: Any, sources: validate.Sources) -> float:
    rates = [info.fps for info in sources.media.values() if info.kind == "video" and info.fps > 0]
    return min(60.0, rates[0]) if rates else 30.0
