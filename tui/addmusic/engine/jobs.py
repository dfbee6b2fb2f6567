"""Render jobs: a queue that runs one ffmpeg at a time (two cores), records progress in the store,
settles frozen credits, and re-runs jobs that a stop interrupted."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from ..protocol.draft import Draft
from .store import Job, Store

log = logging.getLogger(__name__)

FONT = Path(__file__).resolve().parent.parent / "fonts" / "DejaVuSans-Bold.ttf"


class RenderQueue:
    def __init__(self, store: Store, renders_dir: Path, music_path: Callable[[str], Path]) -> None:
        self.store = store
        self.renders_dir = renders_dir
        self.music_path = music_path  # media id -> WAV path of generated music
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.running: dict[str, asyncio.Task[None]] = {}
        self._worker: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def busy(self) -> bool:
        return bool(self.running) or not self.queue.empty()

    def start(self) -> None:
        for job in self.store.jobs_in("pending", "processing"):
            log.info("re-running render %s interrupted by a stop", job.job_id)
            self.store.update_job(job.job_id, status="pending", progress=0.0)
            self.queue.put_nowait(job.job_id)
        self._worker = asyncio.create_task(self._run_forever())

    async def stop(self) -> None:
        """Stop ffmpeg children; their jobs stay pending and run again at the next start."""
        self._stopping = True
        for task in list(self.running.values()):
            task.cancel()
        if self._worker:
            self._worker.cancel()
            await asyncio.gather(self._worker, *self.running.values(), return_exceptions=True)

    def submit(self, job: Job) -> None:
        self.store.add_job(job)
        self.queue.put_nowait(job.job_id)

    def cancel(self, job_id: str) -> None:
        job = self.store.job(job_id)
        if job is None or job.status in ("completed", "failed", "cancelled"):
            return
        self.store.update_job(job_id, status="cancelled")
        self.store.settle(job.user_id, job.cost, charge=False)
        task = self.running.get(job_id)
        if task:
            task.cancel()

    async def _run_forever(self) -> None:
        while True:
            job_id = await self.queue.get()
            job = self.store.job(job_id)
            if job is None or job.status != "pending":
                continue
            task = asyncio.create_task(self._run(job))
            self.running[job_id] = task
            try:
                await task
            except asyncio.CancelledError:
                if self._stopping:
                    raise
                # only the job was cancelled (by the user): go on with the next one
            finally:
                self.running.pop(job_id, None)

    async def _run(self, job: Job) -> None:
        from .media import MediaInfo
        from .render import RenderError, build_plan, run_render

        self.store.update_job(job.job_id, status="processing", progress=0.0)
        out_dir = self.renders_dir / job.job_id
        out_dir.mkdir(parents=True, exist_ok=True)
        final = out_dir / "output.mp4"
        partial = out_dir / "output.partial.mp4"
        try:
            draft = Draft.from_json(job.draft)
            media = {
                media_id: MediaInfo(path=path, **info)
                for media_id, (path, info) in self.store.media(job.session_id).items()
            }
            audio = {s.src: self.music_path(s.src) for t in draft.tracks for s in t.segments
                     if s.src and s.src not in media}
            missing = [src for src, path in audio.items() if not path.is_file()]
            if missing:
                raise RenderError("The music for this edit is missing; ask for the music again.")
            plan = build_plan(draft, media, audio, partial, quality=job.quality, font=FONT, workdir=out_dir)
            last = -1.0

            def on_progress(pct: float) -> None:
                nonlocal last
                if pct - last >= 0.5 or pct >= 100:  # keep store writes few
                    last = pct
                    self.store.update_job(job.job_id, progress=round(pct, 1))

            await run_render(plan, on_progress)
            partial.replace(final)
        except asyncio.CancelledError:
            partial.unlink(missing_ok=True)
            current = self.store.job(job.job_id)
            if current and current.status == "processing":
                self.store.update_job(job.job_id, status="pending", progress=0.0)  # stop, not cancel
            raise
        except (RenderError, OSError, ValueError) as exc:
            log.warning("render %s failed: %s", job.job_id, exc)
            partial.unlink(missing_ok=True)
            message = str(exc) if isinstance(exc, RenderError) else f"The render failed: {exc}"
            self.store.update_job(job.job_id, status="failed", error=message)
            self.store.settle(job.user_id, job.cost, charge=False)
            return
        self.store.update_job(job.job_id, status="completed", progress=100.0, output=str(final))
        self.store.settle(job.user_id, job.cost, charge=True)
