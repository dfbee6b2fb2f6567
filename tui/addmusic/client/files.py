"""The client's file work: checks before an upload, downloads that never overwrite and never leave
half a file behind, output names, and the render ids remembered on disk."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from ..protocol.errors import FILE_TOO_LARGE, UNSUPPORTED_FILE, ApiError, message_for
from ..protocol.formats import MAX_UPLOAD_BYTES, SNIFF_BYTES, check_file_kind, kind_of_extension
from .jsonfile import private_dir, read_json, write_json

Progress = Callable[[float], None]


FREE_SPACE_MARGIN = 16 * 1024 * 1024  # left free on the user's disk after a download


class DownloadInterrupted(ApiError):
    """A download that may work when tried again (connection lost, cut short, HTTP 502-504)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return min(60.0, max(0.0, float(response.headers.get("Retry-After", ""))))
    except ValueError:
        return None


def display_name(path: Path | str) -> str:
    """A file name safe to print and to send: undecodable bytes (a non-UTF-8 name) shown as �."""
    name = Path(path).name
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def shown_path(path: Path | str) -> str:
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def check_upload(path: Path) -> str:
    """The media kind of `path`, or an ApiError saying what is wrong — before any byte is sent."""
    shown, name = shown_path(path), display_name(path)
    if not path.exists():
        raise ApiError(f"{shown} does not exist.")
    if not path.is_file():
        raise ApiError(f"{shown} is not a file.")
    if kind_of_extension(path.name) is None:
        raise ApiError(f"{name}: {message_for(UNSUPPORTED_FILE, None)}", code=UNSUPPORTED_FILE)
    size = path.stat().st_size
    if size > MAX_UPLOAD_BYTES:
        raise ApiError(f"{name} is {size / 1e6:.0f} MB. {message_for(FILE_TOO_LARGE, None)}",
                       code=FILE_TOO_LARGE)
    if size == 0:
        raise ApiError(f"{name} is empty.", code=UNSUPPORTED_FILE)
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        raise ApiError(f"Cannot read {name}: {exc.strerror}.") from None
    kind = check_file_kind(path.name, head)
    if kind is None:
        raise ApiError(f"{name} does not look like a video, image or audio file. "
                       f"{message_for(UNSUPPORTED_FILE, None)}", code=UNSUPPORTED_FILE)
    return kind


def unique_path(path: Path) -> Path:
    """`path`, or `stem-1.ext`, `stem-2.ext`, … — the first that does not exist."""
    if not path.exists():
        return path
    for n in range(1, 10_000):
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        if not candidate.exists():
            return candidate
    raise ApiError(f"Too many files named like {path.name} in {path.parent}.")


def output_name(first_clip: str | Path) -> str:
    return f"{Path(first_clip).stem}-music.mp4"


def _destination(dest: Path, overwrite: bool) -> tuple[Path, Path]:
    """Where a render is saved, and its folder (made): refused when the file is there already."""
    dest = dest.expanduser()
    if dest.exists() and not overwrite:
        raise ApiError(f"{dest} already exists.")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ApiError(f"Cannot create {dest.parent}: {exc.strerror}.") from None
    return dest, dest.parent


async def download_to(http: httpx.AsyncClient, url: str, dest: Path, headers: dict[str, str],
                      progress: Progress | None, *, overwrite: bool) -> Path:
    """Stream `url` into a temporary file beside `dest`, then move it into place."""
    dest, folder = _destination(dest, overwrite)
    timeout = httpx.Timeout(60.0, connect=10.0, read=120.0)
    try:
        async with http.stream("GET", url, headers=headers, timeout=timeout) as response:
            if response.status_code in (502, 503, 504):
                raise DownloadInterrupted(f"The download failed (HTTP {response.status_code}).",
                                          retry_after=_retry_after(response))
            if response.status_code != 200:
                raise ApiError(f"The download failed (HTTP {response.status_code}).", status=response.status_code)
            total = int(response.headers.get("Content-Length") or 0)
            free = shutil.disk_usage(folder).free
            if total and total + FREE_SPACE_MARGIN > free:
                raise ApiError(f"Not enough disk space in {folder}: the video needs {total / 1e6:.0f} MB, and "
                               f"{FREE_SPACE_MARGIN // 1_000_000} MB are kept free besides; {free / 1e6:.0f} MB "
                               "are free. Free some space and try again.")
            fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{dest.name}.", suffix=".part")
            tmp = Path(tmp_name)
            try:
                with os.fdopen(fd, "wb") as out:
                    received = 0
                    async for chunk in response.aiter_bytes(1024 * 1024):
                        out.write(chunk)
                        received += len(chunk)
                        if progress and total:
                            progress(min(100.0, 100.0 * received / total))
                if total and received != total:
                    raise DownloadInterrupted("The download was cut short.")
                _move_into_place(tmp, dest, overwrite)
            except OSError as exc:
                raise ApiError(f"Cannot write {dest}: {exc.strerror}. Check free space and permissions.") from None
            finally:
                tmp.unlink(missing_ok=True)
    except httpx.TransportError as exc:
        raise DownloadInterrupted(f"The download was interrupted ({type(exc).__name__}).") from None
    if progress:
        progress(100.0)
    return dest


def link_into_place(src: Path, dest: Path, overwrite: bool) -> bool:
    """Save a finished render that the local engine wrote on this filesystem as a hard link to
    it: nothing copied, the engine's file untouched, and `dest` appears whole or not at all.
    False when it cannot be linked (another filesystem, no hard links): download it then."""
    dest, folder = _destination(dest, overwrite)
    target = dest if not overwrite else folder / f".{dest.name}.{os.getpid()}.{time.monotonic_ns()}.part"
    try:
        os.link(src, target)  # never overwrites: fails if the name appeared meanwhile
    except FileExistsError:
        if target == dest:
            raise ApiError(f"{dest} already exists.") from None
        return False
    except OSError:
        return False
    with contextlib.suppress(OSError):  # the user's file, not the engine's private one (one inode)
        os.chmod(target, shareable_mode())
    if target != dest:
        try:
            os.replace(target, dest)
        except OSError as exc:
            raise ApiError(f"Cannot write {dest}: {exc.strerror}. Check free space and permissions.") from None
        finally:  # gone after a rename; left when `dest` was this very file already (rename does nothing then)
            target.unlink(missing_ok=True)
    return True


def shareable_mode() -> int:
    """An export's permissions: a new file's under the user's umask (mkstemp's and the engine's
    are 0600, which would hide an export from the user's other accounts and tools)."""
    mask = 0o022
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                mask = int(line.split()[1], 8)
    return 0o666 & ~mask


def _move_into_place(tmp: Path, dest: Path, overwrite: bool) -> None:
    os.chmod(tmp, shareable_mode())
    if overwrite:
        os.replace(tmp, dest)
        return
    try:
        os.link(tmp, dest)  # fails if dest appeared meanwhile: never overwrite
    except FileExistsError:
        raise ApiError(f"{dest} already exists.") from None
    except OSError:
        if dest.exists():
            raise ApiError(f"{dest} already exists.") from None
        os.rename(tmp, dest)  # filesystems without hard links


@dataclass
class PendingRender:
    job_id: str
    origin: str
    session_id: str
    dest: str
    quality: str = "high"
    created: float = 0.0


class PendingRenders:
    """Render jobs still running on a server, remembered so quitting never orphans one."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def all(self) -> list[PendingRender]:
        raw = read_json(self.path, [])
        fields = PendingRender.__dataclass_fields__
        return [PendingRender(**{k: v for k, v in item.items() if k in fields})
                for item in raw if isinstance(item, dict) and item.get("job_id")]

    def for_origin(self, origin: str) -> list[PendingRender]:
        return [p for p in self.all() if p.origin == origin]

    def add(self, pending: PendingRender) -> None:
        pending.created = pending.created or time.time()
        with self._locked():
            self._write([p for p in self.all() if p.job_id != pending.job_id] + [pending])

    def remove(self, job_id: str) -> None:
        with self._locked():
            self._write([p for p in self.all() if p.job_id != job_id])

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time across processes (several `run`s, the app, `collect`): each
        read-modify-write sees the one before it, so no running render is forgotten."""
        private_dir(self.path.parent)
        fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _write(self, items: list[PendingRender]) -> None:
        write_json(self.path, [asdict(p) for p in items])
