"""Export as one job: read the latest draft, submit the render, remember its id on disk, poll,
and download — and later collect renders that an earlier run left behind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..protocol.errors import ApiError
from .api import ApiClient
from .files import PendingRender, PendingRenders, unique_path

PhaseProgress = Callable[[str, float], None]  # ("render" | "download", percent)


def pending_store(client: ApiClient) -> PendingRenders:
    return PendingRenders(client.settings.folders.data / "pending_renders.json")


@dataclass
class ExportHandle:
    """What a caller needs to tell the user where a running render can be collected."""

    job_id: str = ""
    dest: Path | None = None


async def export(client: ApiClient, dest: Path, *, quality: str = "high", overwrite: bool = False,
                 progress: PhaseProgress | None = None, handle: ExportHandle | None = None) -> Path:
    state = await client.state()
    if not state.draft.exportable:
        raise ApiError("Nothing to export yet: upload a clip first.")
    status = await client.submit_render(state.draft, quality)
    pending = pending_store(client)
    pending.add(PendingRender(status.job_id, client.account_key, client.require_session().session_id,
                              str(dest), quality))
    if handle is not None:
        handle.job_id, handle.dest = status.job_id, dest
    return await _finish(client, pending, status.job_id, dest, overwrite, progress)


async def _finish(client: ApiClient, pending: PendingRenders, job_id: str, dest: Path, overwrite: bool,
                  progress: PhaseProgress | None) -> Path:
    status = await client.wait_render(job_id, (lambda p: progress("render", p)) if progress else None)
    if status.status != "completed":
        pending.remove(job_id)
        reason = status.error or f"the render was {status.status}"
        raise ApiError(f"Export failed: {reason}. Nothing was saved.")
    if not status.url:
        pending.remove(job_id)
        raise ApiError("The render finished but the server gave no download link.")
    path = await client.download(status.url, dest, (lambda p: progress("download", p)) if progress else None,
                                 overwrite=overwrite)
    pending.remove(job_id)
    return path


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
            if exc.status == 404 or "not found" in str(exc).lower():
                pending.remove(item.job_id)  # the server no longer knows it: nothing to collect
            results.append((item, exc))
    return results
