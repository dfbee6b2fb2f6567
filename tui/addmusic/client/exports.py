"""Export as one job: read the latest draft, submit the render, remember its id on disk, poll,
and download — and later collect renders that an earlier run left behind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..protocol.errors import ApiError
from ..protocol.renderplan import RenderPlanNote
from .api import ApiClient, ConnectionLost
from .files import PendingRender, PendingRenders, unique_path

PhaseProgress = Callable[[str, float], None]  # ("render" | "download", percent)


def pending_store(client: ApiClient) -> PendingRenders:
    return PendingRenders(client.settings.folders.data / "pending_renders.json")


@dataclass
class ExportHandle:
    """What a caller needs to tell the user where a running render can be collected."""

    job_id: str = ""
    dest: Path | None = None
    phase: str = ""  # "render" while the engine works, "download" once it is done


COLLECT_HINT = "`addmusic-tui collect` saves it to {dest}"


async def export(client: ApiClient, dest: Path, *, quality: str = "high", overwrite: bool = False,
                 progress: PhaseProgress | None = None, handle: ExportHandle | None = None,
                 queued: Callable[[int], None] | None = None, started: Callable[[], None] | None = None,
                 smart: bool = True, planned: Callable[[RenderPlanNote], None] | None = None) -> Path:
    """Render the session's draft and save it at `dest`; `queued(n)` hears "n renders ahead",
    `started()` that a render heard waiting has begun, `planned(plan)` how the engine makes the
    picture (when it says); `smart=False` asks for the whole picture re-encoded (`--no-smart`)."""
    state = await client.state()
    if not state.draft.exportable:
        raise ApiError("Nothing to export yet: upload a clip first.")
    job_id = client.new_render_id()
    pending = pending_store(client)
    # remembered before it is sent: if the answer is lost, the render may still run, and
    # `collect` finds it (or learns that the server never got it)
    pending.add(PendingRender(job_id, client.account_key, client.require_session().session_id, str(dest), quality))
    if handle is not None:
        handle.job_id, handle.dest, handle.phase = job_id, dest, "render"
    try:
        status = await client.submit_render(state.draft, quality, job_id=job_id, smart=smart)
    except ConnectionLost as exc:  # never sent twice on its own: it may be running already
        raise ApiError(f"{exc} The export may have started anyway; if it did, "
                       f"{COLLECT_HINT.format(dest=dest)} when it is done.") from None
    except ApiError:
        pending.remove(job_id)  # refused: nothing runs
        raise
    if status.job_id != job_id:  # a server may name the job itself: remember the name it polls by
        pending.add(PendingRender(status.job_id, client.account_key, client.require_session().session_id,
                                  str(dest), quality))
        pending.remove(job_id)
        if handle is not None:
            handle.job_id = status.job_id
    return await _finish(client, pending, status.job_id, dest, overwrite, progress, handle, queued, started,
                         planned)


async def _finish(client: ApiClient, pending: PendingRenders, job_id: str, dest: Path, overwrite: bool,
                  progress: PhaseProgress | None, handle: ExportHandle | None = None,
                  queued: Callable[[int], None] | None = None, started: Callable[[], None] | None = None,
                  planned: Callable[[RenderPlanNote], None] | None = None
                  ) -> Path:
    try:
        status = await client.wait_render(job_id, (lambda p: progress("render", p)) if progress else None,
                                          queued=queued, started=started, planned=planned)
    except ApiError as exc:
        if not isinstance(exc, ConnectionLost) and _gone(exc):
            pending.remove(job_id)
            raise
        raise ApiError(f"{exc} The render goes on; {COLLECT_HINT.format(dest=dest)} when it is done.") from None
    if status.status != "completed":
        pending.remove(job_id)
        reason = status.error or f"the render was {status.status}"
        raise ApiError(f"Export failed: {reason}. Nothing was saved.")
    if not status.url:
        pending.remove(job_id)
        raise ApiError("The render finished but the server gave no download link.")
    if handle is not None:
        handle.phase = "download"
    try:
        path = await client.save_render(status, dest, (lambda p: progress("download", p)) if progress else None,
                                        overwrite=overwrite)
    except ApiError as exc:
        if "already exists" in str(exc):
            raise
        raise ApiError(f"{exc} The render is done and kept on the server; "
                       f"{COLLECT_HINT.format(dest=dest)}.") from None
    pending.remove(job_id)
    return path


def _gone(exc: ApiError) -> bool:
    return exc.status == 404 or "not found" in str(exc).lower()


async def collect_pending(client: ApiClient, progress: PhaseProgress | None = None
                          ) -> list[tuple[PendingRender, Path | ApiError]]:
    """Finish every render this origin still owes us, saving each without overwriting anything."""
    pending = pending_store(client)
    results: list[tuple[PendingRender, Path | ApiError]] = []
    for item in pending.for_origin(client.account_key):
        try:
            dest = unique_path(Path(item.dest))
            results.append((item, await _finish(client, pending, item.job_id, dest, False, progress)))
        except ApiError as exc:
            if _gone(exc):
                pending.remove(item.job_id)  # the server no longer knows it: nothing to collect
            results.append((item, exc))
    return results
