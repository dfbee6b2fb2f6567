"""One httpx.AsyncClient speaking the NemoVideo agent API (API.md) to the cloud or the local
engine alike: credentials, attribution headers, the error table, and every endpoint.

Results are typed objects; errors are `ApiError` whose text is safe to show. The UI and the CLI
never build requests themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx

from .. import __version__
from ..config import Settings, is_loopback, origin_of
from ..protocol import api
from ..protocol.draft import Draft
from ..protocol.errors import (
    BAD_TOKEN,
    NO_CREDITS,
    SESSION_NOT_FOUND,
    ApiError,
    message_for,
    no_credits_message,
)
from ..protocol.renderplan import PLAN_KEY, RenderPlanNote
from .credentials import Credentials, CredentialStore
from .launcher import LOCAL_ENGINE_KEY

log = logging.getLogger(__name__)

Progress = Callable[[float], None]


@dataclass
class Session:
    session_id: str
    task_id: str = ""
    user_id: str = ""


@dataclass
class Balance:
    available: int
    frozen: int
    total: int


@dataclass
class SessionState:
    session_id: str
    draft: Draft
    video_infos: list[dict[str, Any]] = field(default_factory=list)
    canvas: dict[str, Any] = field(default_factory=dict)


@dataclass
class UploadedFile:
    filename: str
    file_type: str
    media_id: str
    duration: float
    width: int
    height: int


@dataclass
class RenderStatus:
    job_id: str
    status: str
    progress: float
    url: str | None = None
    error: str | None = None
    ahead: int | None = None  # renders in front of this one while it waits (local engine)
    plan: RenderPlanNote | None = None  # how the picture is made, once planned (local engine)
    path: str | None = None  # the finished file where the local engine keeps it (docs/API.md)

    @property
    def finished(self) -> bool:
        return self.status in api.TERMINAL_RENDER_STATES


class SessionLost(ApiError):
    """The server forgot the session; a new one is already in place (`client.session`)."""


class ConnectionLost(ApiError):
    """The request may or may not have reached the server (no answer came back)."""


# Idempotent calls (credits, state, poll, cancel, download) ride out a blip: a connection reset or
# a 502/503/504 is tried again with exponential backoff and full jitter, at most RETRY_ATTEMPTS more
# times (about 15 s in all), honouring Retry-After. Chat turns, uploads and render submissions never
# repeat on their own: the user is told instead.
RETRY_STATUSES = frozenset({502, 503, 504})
RETRY_ATTEMPTS = 5
RETRY_BASE_S, RETRY_CAP_S, RETRY_AFTER_CAP_S = 0.5, 8.0, 60.0


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds (HTTP dates are not used by these servers), or None."""
    seconds = _number(value, -1.0)
    return min(RETRY_AFTER_CAP_S, seconds) if seconds >= 0 else None


class Retryable(Exception):
    """Internal: the call may be sent once more after the fix this carries was applied."""

    def __init__(self, reason: str, wait: float = 0.0) -> None:
        super().__init__(reason)
        self.reason, self.wait = reason, wait


def _number(value: Any, default: float = 0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


class ApiClient:
    def __init__(self, api_url: str, settings: Settings, *, account_key: str | None = None,
                 transport: httpx.AsyncBaseTransport | None = None):
        self.api_url = api_url.rstrip("/")
        self.origin = origin_of(self.api_url)
        # Credentials and pending renders are kept per origin; the local engine gets a new port at
        # each start, so it is known by a stable key instead.
        self.account_key = account_key or self.origin
        self.settings = settings
        self.cloud_like = not is_loopback(self.api_url)
        # this front end's own engine (not the cloud, nor a server given by --api-url): it may
        # hold polls and hand over finished files on this machine (docs/API.md, local engine)
        self.local_engine = account_key == LOCAL_ENGINE_KEY and not self.cloud_like
        self.store = CredentialStore(settings.folders.data / "credentials.json")
        # NEMO_TOKEN / NEMO_CLIENT_ID are for the cloud or an explicit --api-url, not the local engine
        self.creds: Credentials = self.store.load(self.account_key, use_env=settings.api_url is not None)
        self.session: Session | None = None
        self.http = httpx.AsyncClient(
            timeout=httpx.Timeout(30.0, connect=10.0),
            trust_env=self.cloud_like,  # never send a loopback request through a proxy
            verify=True if self.cloud_like else False,  # loopback is plain http: skip loading the CA bundle
            transport=transport,
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    # --- requests --------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return urljoin(self.api_url + "/", path.lstrip("/"))

    def _absolute(self, url: str) -> str:
        """A download URL as the server gave it: absolute, or a path on this server."""
        return url if url.startswith(("http://", "https://")) else self.url(url)

    def headers(self, *, auth: bool = True) -> dict[str, str]:
        headers = {
            "X-Skill-Source": api.SKILL_SOURCE,
            "X-Skill-Version": __version__,
            "X-Skill-Platform": self.settings.skill_platform,
        }
        if self.creds.client_id:
            headers["X-Client-Id"] = self.creds.client_id
        if auth and self.creds.token:
            headers["Authorization"] = f"Bearer {self.creds.token}"
        return headers

    def _headers_for(self, url: str) -> dict[str, str]:
        """Credentials go only to the API's own origin, never to a download host elsewhere."""
        return self.headers() if origin_of(url) == self.origin else {}

    def parse_response(self, response: httpx.Response) -> Any:
        """The `data` of a response, or the right exception for API.md's error table."""
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        message = str(body.get("message") or "") if isinstance(body, dict) else ""
        if status == 400 and "client" in message.lower():
            raise Retryable("client-id")
        if status == 429:
            retry_after = _number(response.headers.get("Retry-After"), self.settings.rate_limit_wait_s)
            raise Retryable("rate-limit", wait=retry_after)
        if status == 402:
            raise ApiError(message_for(None, 402), status=402)
        if status == 507 and message and "{" not in message:  # the engine's disk is full: say how much it needs
            raise ApiError(message[:300], status=507)
        if not isinstance(body, dict):
            if status >= 400:
                raise ApiError(message_for(None, status), status=status)
            raise ApiError("The server sent an answer this app cannot read.", status=status)
        code = body.get("code")
        if "success" in body and code is None:  # tolerated render shape
            if body.get("success") is False:
                error = body.get("error")
                text = error.get("message") if isinstance(error, dict) else error
                raise ApiError(message_for(None, status, str(text or "")), status=status)
            code = 0
        code = int(_number(code, 0 if status < 400 else -1))
        if code == BAD_TOKEN:
            raise Retryable("token")
        if code == NO_CREDITS:
            raise ApiError(no_credits_message(self.creds.user_id, self.creds.anonymous), code=code, status=status)
        if code == SESSION_NOT_FOUND:
            raise Retryable("session")
        if code != 0 or status >= 400:
            raise ApiError(message_for(code or None, status, message), code=code, status=status)
        data = body.get("data")
        return data if data is not None else {k: v for k, v in body.items() if k not in ("code", "message")}

    retry_base_s = RETRY_BASE_S  # instance attributes in tests, to keep them quick
    retry_attempts = RETRY_ATTEMPTS

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return retry_after
        return random.uniform(0, min(RETRY_CAP_S, self.retry_base_s * 2 ** attempt))

    async def _call(self, method: str, path: str, *, auth: bool = True, json: Any = None,
                    build: Callable[[], dict[str, Any]] | None = None,
                    timeout: httpx.Timeout | None = None, idempotent: bool = False) -> Any:
        """Send with the retries API.md allows: once after re-auth (1001), once after sending a
        client id (HTTP 400), once after a rate limit (429); and for idempotent calls, a bounded
        backoff over connection errors and 502/503/504."""
        retried: set[str] = set()
        blips = 0
        while True:
            if auth:
                await self.ensure_token()
            kwargs = build() if build else {}
            if json is not None:
                kwargs["json"] = json
            try:
                response = await self.http.request(
                    method, self.url(path), headers=self.headers(auth=auth),
                    timeout=timeout or httpx.USE_CLIENT_DEFAULT, **kwargs)
                if idempotent and response.status_code in RETRY_STATUSES and blips < self.retry_attempts:
                    wait = self.backoff(blips, retry_after_seconds(response.headers.get("Retry-After")))
                    blips += 1
                    log.info("%s %s: HTTP %d, trying again in %.1f s", method, path, response.status_code, wait)
                    await asyncio.sleep(wait)
                    continue
                return self.parse_response(response)
            except Retryable as retry:
                await self.handle_retry(retry, retried)
            except httpx.TransportError as exc:  # timeouts included
                # a refused connection is rarely a blip (nothing listens): tried once more only
                limit = 1 if isinstance(exc, httpx.ConnectError) else self.retry_attempts
                if idempotent and blips < limit:
                    wait = self.backoff(blips)
                    blips += 1
                    log.info("%s %s: %s, trying again in %.1f s", method, path, type(exc).__name__, wait)
                    await asyncio.sleep(wait)
                    continue
                if isinstance(exc, httpx.TimeoutException):
                    raise ConnectionLost("The server did not answer in time. Check the connection and "
                                         "try again.") from None
                raise ConnectionLost(f"Cannot reach {self.describe()}: {type(exc).__name__}.") from None

    async def handle_retry(self, retry: Retryable, retried: set[str]) -> None:
        """Apply the fix a retryable answer calls for, once per kind; raise when it comes back."""
        if retry.reason in retried:
            raise self.final_error(retry) from None
        retried.add(retry.reason)
        await self.recover(retry)

    def final_error(self, retry: Retryable) -> ApiError:
        if retry.reason == "token":
            if self.creds.from_env:
                return ApiError("NEMO_TOKEN was rejected by the server. Check it, or unset it to use a "
                                "free anonymous token.", code=BAD_TOKEN)
            return ApiError(message_for(BAD_TOKEN, None), code=BAD_TOKEN)
        if retry.reason == "rate-limit":
            return ApiError(message_for(None, 429), status=429)
        if retry.reason == "session":
            return ApiError(message_for(SESSION_NOT_FOUND, None), code=SESSION_NOT_FOUND)
        return ApiError(message_for(None, 400), status=400)

    async def recover(self, retry: Retryable) -> None:
        if retry.reason == "client-id":
            self.creds = self.store.ensure_client_id(self.account_key, self.creds)
        elif retry.reason == "rate-limit":
            log.info("rate limited: retrying once in %.0f s", retry.wait)
            await asyncio.sleep(retry.wait)
        elif retry.reason == "token":
            if self.creds.from_env:
                raise self.final_error(retry)
            self.creds.token = ""
            await self.ensure_token()
        elif retry.reason == "session":
            await self.new_session()
            raise SessionLost(message_for(SESSION_NOT_FOUND, None), code=SESSION_NOT_FOUND)

    def describe(self) -> str:
        return "the local engine" if not self.cloud_like else (httpx.URL(self.api_url).host or self.api_url)

    # --- credentials and session -----------------------------------------------------------

    async def ensure_token(self) -> None:
        if self.creds.usable():
            return
        self.creds = self.store.ensure_client_id(self.account_key, self.creds)
        data = await self._call("POST", api.ANONYMOUS_TOKEN, auth=False)
        token = data.get("token") if isinstance(data, dict) else None
        if not token:
            raise ApiError("The server did not issue a sign-in token. Try again later.")
        self.creds.token = str(token)
        self.creds.user_id = str(data.get("user_id") or "")
        expires = _number(data.get("expires_at"), 0)
        self.creds.expires_at = expires / 1000 if expires > 1e11 else expires  # ms or s
        self.store.save(self.account_key, self.creds)

    async def new_session(self) -> Session:
        data = await self._call("POST", api.SESSION, json={"task_name": "project",
                                                            "language": self.settings.language})
        if not isinstance(data, dict) or not data.get("session_id"):
            raise ApiError("The server did not start a session. Try again.")
        self.session = Session(str(data["session_id"]), str(data.get("task_id") or ""),
                               str(data.get("user_id") or self.creds.user_id))
        if self.session.user_id and not self.creds.user_id:
            self.creds.user_id = self.session.user_id
        return self.session

    def require_session(self) -> Session:
        if self.session is None:
            raise ApiError("No session yet: connect first.")
        return self.session

    # --- plain endpoints -------------------------------------------------------------------

    async def credits(self) -> Balance:
        data = await self._call("GET", api.CREDITS, idempotent=True)
        available = int(_number(data.get("available")))
        frozen = int(_number(data.get("frozen")))
        return Balance(available, frozen, int(_number(data.get("total"), available + frozen)))

    async def state(self) -> SessionState:
        session = self.require_session()
        data = await self._call("GET", api.state_path(session.session_id), idempotent=True)
        state = data.get("state") if isinstance(data.get("state"), dict) else data
        return SessionState(
            session_id=str(data.get("session_id") or session.session_id),
            draft=Draft.from_json(state.get("draft")),
            video_infos=[v for v in state.get("video_infos") or [] if isinstance(v, dict)],
            canvas=state.get("canvas_config") if isinstance(state.get("canvas_config"), dict) else {},
        )

    async def upload(self, path: Path, progress: Progress | None = None) -> UploadedFile:
        """Send one file, streamed from disk; checked first by extension, content and size."""
        from .files import check_upload, display_name

        kind = check_upload(path)
        name = display_name(path)  # a non-UTF-8 name cannot go into the form as it is
        session = self.require_session()
        size = path.stat().st_size

        def build() -> dict[str, Any]:
            handle = _ProgressReader(path, size, progress)
            return {"files": {"files": (name, handle, _mime(kind, path))}}

        timeout = httpx.Timeout(60.0, connect=10.0, write=300.0, read=600.0)
        data = await self._call("POST", api.upload_path(session.session_id), build=build, timeout=timeout)
        files = data.get("files") if isinstance(data, dict) else None
        if not files:
            raise ApiError(f"The server accepted {name} but reported no file.")
        first = files[0]
        return UploadedFile(
            filename=str(first.get("filename") or name), file_type=str(first.get("file_type") or kind),
            media_id=str(first.get("hash") or ""), duration=_number(first.get("duration")),
            width=int(_number(first.get("width"))), height=int(_number(first.get("height"))),
        )

    # --- render ------------------------------------------------------------------------------

    @staticmethod
    def new_render_id() -> str:
        return f"render_{int(time.time() * 1000)}"

    async def submit_render(self, draft: Draft, quality: str = "high", job_id: str | None = None, *,
                            smart: bool = True) -> RenderStatus:
        """Submit once; a lost answer raises ConnectionLost (the render may have started).
        `smart=False` asks for the whole picture re-encoded (docs/API.md `output.smart`)."""
        session = self.require_session()
        job_id = job_id or self.new_render_id()
        output: dict[str, Any] = {"format": "mp4", "quality": quality}
        if not smart:
            output["smart"] = False
        body = {"id": job_id, "sessionId": session.session_id, "draft": draft.to_json(), "output": output}
        data = await self._call("POST", api.RENDER, json=body)
        return _render_status(data, job_id)

    async def render_status(self, job_id: str, *, wait: float = 0.0) -> RenderStatus:
        """The job now; with `wait` (the local engine only: its held poll, see docs/API.md) the
        engine answers as soon as the job ends, or after `wait` seconds."""
        path = api.render_path(job_id)
        if wait > 0 and self.local_engine:
            path += f"?wait={wait:g}"
        return _render_status(await self._call("GET", path, idempotent=True), job_id)

    async def cancel_render(self, job_id: str) -> RenderStatus:
        return _render_status(await self._call("POST", api.cancel_path(job_id), idempotent=True), job_id)

    async def wait_render(self, job_id: str, progress: Progress | None = None,
                          sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                          queued: Callable[[int], None] | None = None,
                          started: Callable[[], None] | None = None,
                          planned: Callable[[RenderPlanNote], None] | None = None) -> RenderStatus:
        """Poll until the render ends; `queued(n)` hears "n renders ahead" whenever n changes,
        `started()` when a job that was heard waiting leaves the queue, `planned(plan)` how the
        engine makes the picture whenever that changes (a server that does not say: never)."""
        interval = self.settings.poll_interval(self.api_url)
        held = self.local_engine  # it holds the poll until the job ends or `interval` passes
        clock = asyncio.get_running_loop().time
        last_ahead: int | None = None
        last_plan: RenderPlanNote | None = None
        while True:
            asked = clock()
            status = await self.render_status(job_id, wait=interval if held else 0.0)
            if planned and status.plan is not None and status.plan != last_plan:
                last_plan = status.plan
                planned(status.plan)
            if queued and status.ahead is not None and status.ahead != last_ahead:
                last_ahead = status.ahead
                queued(status.ahead)
            elif status.ahead is None and last_ahead is not None:
                last_ahead = None
                if started:
                    started()
            if progress:
                progress(min(100.0, max(0.0, status.progress)))
            if status.finished:
                return status
            # a server that answered at once (it does not hold polls) is asked again only after
            # the interval; one that held the poll is asked again straight away
            rest = interval - (clock() - asked) if held else interval
            if rest > 0.01:
                await sleep(rest)

    async def save_render(self, status: RenderStatus, dest: Path, progress: Progress | None = None, *,
                          overwrite: bool = False) -> Path:
        """Save a finished render at `dest`: linked from the local engine's own folder when it is
        on this filesystem (no bytes sent), else downloaded from its URL."""
        from .files import link_into_place

        local = self._engine_file(status.path)
        if local is None or not status.url or not link_into_place(local, dest, overwrite):
            return await self.download(status.url or "", dest, progress, overwrite=overwrite)
        absolute = self._absolute(status.url)
        with contextlib.suppress(httpx.HTTPError):  # tells the engine it was fetched (its clean-up clock)
            await self.http.head(absolute, headers=self._headers_for(absolute), timeout=5.0)
        if progress:
            progress(100.0)
        return dest.expanduser()

    def _engine_file(self, path: str | None) -> Path | None:
        """`path` when this client started or found the local engine (so it runs on this machine)
        and it names a file in that engine's folder; None otherwise."""
        if not path or not self.local_engine or not self.settings.uses_local_engine:
            return None
        folder = self.settings.folders.engine.resolve()
        try:
            file = Path(path).resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        return file if file.is_relative_to(folder) and file.is_file() else None

    async def download(self, url: str, dest: Path, progress: Progress | None = None, *,
                       overwrite: bool = False) -> Path:
        """Download into `dest`, starting over after an interrupted transfer or a 502/503/504
        (a download is idempotent: nothing is kept of a failed try)."""
        from .files import DownloadInterrupted, download_to

        absolute = self._absolute(url)
        attempt = 0
        while True:
            try:
                return await download_to(self.http, absolute, dest, self._headers_for(absolute), progress,
                                         overwrite=overwrite)
            except DownloadInterrupted as exc:
                if attempt >= self.retry_attempts:
                    raise
                wait = self.backoff(attempt, exc.retry_after)
                attempt += 1
                log.info("download interrupted (%s), trying again in %.1f s", exc, wait)
                await asyncio.sleep(wait)


class _ProgressReader:
    """A file handle httpx can stream from, reporting how much has been read (sent)."""

    def __init__(self, path: Path, size: int, progress: Progress | None) -> None:
        self._file = path.open("rb")
        self._size = max(1, size)
        self._progress = progress
        self._sent = 0

    def fileno(self) -> int:  # lets httpx compute Content-Length without reading
        return self._file.fileno()

    def seek(self, offset: int, whence: int = 0) -> int:
        pos = self._file.seek(offset, whence)
        self._sent = pos
        return pos

    def tell(self) -> int:
        return self._file.tell()

    def read(self, n: int = -1) -> bytes:
        chunk = self._file.read(n)
        self._sent += len(chunk)
        if self._progress:
            self._progress(min(100.0, 100.0 * self._sent / self._size))
        if not chunk:
            self._file.close()
        return chunk


def _mime(kind: str, path: Path) -> str:
    ext = path.suffix.lower().lstrip(".")
    return {"video": f"video/{'quicktime' if ext == 'mov' else ext}", "image": f"image/{ext}",
            "audio": f"audio/{ext}"}.get(kind, "application/octet-stream")


def _render_status(data: Any, job_id: str) -> RenderStatus:
    """Accept every poll shape API.md tolerates: fields in `data`, at top level, or nested."""
    if not isinstance(data, dict):
        return RenderStatus(job_id, "processing", 0.0)
    inner: dict[str, Any] = data["data"] if isinstance(data.get("data"), dict) else data
    output: dict[str, Any] = inner["output"] if isinstance(inner.get("output"), dict) else {}
    url = output.get("url") or inner.get("outputUrl") or data.get("outputUrl")
    if not url and isinstance(data.get("output"), dict):
        url = data["output"].get("url")
    status = str(inner.get("status") or data.get("status") or "processing").lower()
    status = {"done": "completed", "success": "completed", "succeeded": "completed", "error": "failed",
              "canceled": "cancelled", "queued": "pending", "running": "processing"}.get(status, status)
    progress = _number(inner.get("progress", data.get("progress")), 0.0)
    error = inner.get("error") or data.get("error")
    if isinstance(error, dict):
        error = error.get("message")
    ahead = inner.get("ahead")
    path = output.get("path")
    return RenderStatus(str(inner.get("id") or job_id), status, 100.0 if status == "completed" else progress,
                        str(url) if url else None, str(error) if error else None,
                        int(ahead) if isinstance(ahead, int) and not isinstance(ahead, bool) and ahead >= 0
                        else None, RenderPlanNote.from_json(inner.get(PLAN_KEY)),
                        path if isinstance(path, str) and path else None)
