"""Receive multipart uploads by streaming them to disk, never into memory, and enforce the 500 MB
limit while bytes arrive: Starlette's `request.form()` spools but sets no size limit, and a chunked
upload has no Content-Length to check up front (DESIGN pitfalls)."""

from __future__ import annotations

import errno
import hashlib
import math
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from python_multipart.multipart import MultipartParser, parse_options_header

from ..protocol.errors import FILE_TOO_LARGE, UNSUPPORTED_FILE
from ..protocol.formats import MAX_UPLOAD_BYTES, SNIFF_BYTES, check_file_kind

DISK_FULL = 5070  # with HTTP 507
SPACE_MARGIN = 16 * 1024 * 1024  # the database and the probe need a little room too


class UploadRejected(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class ReceivedFile:
    filename: str
    path: Path
    size: int
    digest: str  # sha256 hex of the content: the media id
    kind: str


@dataclass
class _Part:
    field_name: str = ""
    filename: str = ""
    handle: object | None = None
    path: Path | None = None
    size: int = 0
    head: bytes = b""
    hasher: object = field(default_factory=hashlib.sha256)


# Browsers and httpx write a quote and line breaks in a form's filename as %22, %0A and %0D (the
# HTML form encoding); only these three, so a real "%41" in a name stays as typed.
_FORM_ESCAPES = {"%22": '"', "%0A": " ", "%0D": " ", "%0a": " ", "%0d": " "}


def form_filename(raw: bytes) -> str:
    """The file's name as its owner typed it: no folders, no line breaks, undecodable bytes as �."""
    name = raw.decode("utf-8", "replace")
    for escaped, plain in _FORM_ESCAPES.items():
        name = name.replace(escaped, plain)
    name = name.replace("\r", " ").replace("\n", " ")
    return os.path.basename(name.replace("\\", "/")).strip() or "upload"


async def receive_files(
    content_type: str, body: AsyncIterator[bytes], spool_dir: Path, *, limit: int = MAX_UPLOAD_BYTES,
    expected_bytes: int = 0,
) -> list[ReceivedFile]:
    """Parse a multipart body into files under `spool_dir`; on rejection, a full disk or a client
    that hangs up, nothing is left behind."""
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise UploadRejected(UNSUPPORTED_FILE, "The upload is not multipart/form-data.")
    spool_dir.mkdir(parents=True, exist_ok=True)
    done: list[ReceivedFile] = []
    current = _Part()
    header_name = b""
    headers: dict[bytes, bytes] = {}
    error: UploadRejected | None = None

    def on_part_begin() -> None:
        nonlocal current
        current = _Part()
        headers.clear()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        nonlocal header_name
        header_name += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        headers[header_name.lower()] = headers.get(header_name.lower(), b"") + data[start:end]

    def on_header_end() -> None:
        nonlocal header_name
        header_name = b""

    def on_headers_finished() -> None:
        _, opts = parse_options_header(headers.get(b"content-disposition", b""))
        current.field_name = opts.get(b"name", b"").decode("utf-8", "replace")
        filename = opts.get(b"filename")
        if filename is not None:
            current.filename = form_filename(filename)
            fd, name = tempfile.mkstemp(dir=spool_dir, suffix=".part")
            current.handle = os.fdopen(fd, "wb")
            current.path = Path(name)

    def on_part_data(data: bytes, start: int, end: int) -> None:
        nonlocal error
        if current.handle is None or error is not None:
            return
        chunk = data[start:end]
        current.size += len(chunk)
        if current.size > limit:
            error = UploadRejected(
                FILE_TOO_LARGE, f"{current.filename} is larger than 500 MB. Compress or trim it first."
            )
            return
        if len(current.head) < SNIFF_BYTES:
            current.head += chunk[: SNIFF_BYTES - len(current.head)]
        current.hasher.update(chunk)  # type: ignore[attr-defined]
        current.handle.write(chunk)  # type: ignore[attr-defined]

    def on_part_end() -> None:
        nonlocal error
        if current.handle is None:
            return
        current.handle.close()  # type: ignore[attr-defined]
        current.handle = None
        if error is not None:
            return
        kind = check_file_kind(current.filename, current.head)
        if kind is None:
            error = UploadRejected(UNSUPPORTED_FILE, f"{current.filename} is not a supported media file.")
            return
        assert current.path is not None
        done.append(ReceivedFile(current.filename, current.path, current.size,
                                 current.hasher.hexdigest(), kind))  # type: ignore[attr-defined]

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field,
        "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished, "on_part_data": on_part_data,
        "on_part_end": on_part_end,
    })
    received = 0
    finished = False
    try:
        async for chunk in body:
            received += len(chunk)
            parser.write(chunk)
            if error is not None:
                break
        else:
            parser.finalize()
        finished = error is None
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        error = UploadRejected(DISK_FULL, disk_full_message(spool_dir, max(expected_bytes, received)))
    finally:
        if current.handle is not None:
            try:
                current.handle.close()  # type: ignore[attr-defined]
            except OSError:  # its last bytes did not fit either; the file goes below
                pass
        if not finished:  # refused, disk full, or the client went away (Ctrl+C): nothing stays behind
            for path in [f.path for f in done] + ([current.path] if current.path else []):
                path.unlink(missing_ok=True)
    if error is not None:
        raise error
    return done


def disk_full_message(folder: Path, needed_bytes: int) -> str:
    free = shutil.disk_usage(folder).free if folder.exists() else 0
    need_mb = max(1, math.ceil((needed_bytes + SPACE_MARGIN - free) / 1e6))
    return f"The engine's disk is full (needs {need_mb} MB more). Free some space and upload again."


def check_room(folder: Path, expected_bytes: int) -> None:
    """Refuse before reading a byte when the body cannot fit."""
    folder.mkdir(parents=True, exist_ok=True)
    if expected_bytes and shutil.disk_usage(folder).free < expected_bytes + SPACE_MARGIN:
        raise UploadRejected(DISK_FULL, disk_full_message(folder, expected_bytes))


def clear_spool(spool_dir: Path) -> int:
    """Remove what an interrupted upload (a killed engine) left in the spool; at start-up."""
    removed = 0
    for leftover in spool_dir.glob("*.part") if spool_dir.is_dir() else []:
        leftover.unlink(missing_ok=True)
        removed += 1
    return removed
