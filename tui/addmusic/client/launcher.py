"""Find the local engine running for this data dir, or start one detached.

Front ends never import the engine: they start it as `python -m addmusic.engine` and find it
through its lock file. A file lock around the check-and-start keeps two front ends starting at
once from launching two engines.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from ..protocol.errors import ApiError
from ..protocol.local import read_lock
from .jsonfile import private_dir

START_TIMEOUT_S = 30.0
LOCAL_ENGINE_KEY = "local-engine"  # the engine's port changes per start; its accounts do not


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def _healthy(url: str, pid: int) -> bool:
    try:
        # plain http on loopback: verify=False skips loading a CA bundle (~20 ms each time)
        async with httpx.AsyncClient(trust_env=False, timeout=2.0, verify=False) as http:
            response = await http.get(f"{url}/health")
        data = response.json().get("data") or {}
        return data.get("engine") == "addmusic" and data.get("pid") == pid
    except (httpx.HTTPError, ValueError, AttributeError):
        return False


async def running_engine(engine_dir: Path) -> str | None:
    info = read_lock(engine_dir)
    if not info or not _alive(int(info.get("pid", 0))):
        return None
    host = info.get("host") or "127.0.0.1"
    host = "127.0.0.1" if host in ("0.0.0.0", "") else host
    url = f"http://{host}:{info['port']}"
    return url if await _healthy(url, int(info["pid"])) else None


async def ensure_engine(engine_dir: Path, log_path: Path | None = None) -> str:
    """The URL of a healthy engine for `engine_dir`, starting one if needed."""
    url = await running_engine(engine_dir)
    if url:
        return url
    private_dir(engine_dir.parent)
    private_dir(engine_dir)
    spawn_lock = os.open(engine_dir / "spawn.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        await asyncio.to_thread(fcntl.flock, spawn_lock, fcntl.LOCK_EX)
        url = await running_engine(engine_dir)  # another front end may have started it meanwhile
        if url:
            return url
        return await _start(engine_dir, log_path or engine_dir / "engine.log")
    finally:
        fcntl.flock(spawn_lock, fcntl.LOCK_UN)
        os.close(spawn_lock)


async def _start(engine_dir: Path, log_path: Path) -> str:
    private_dir(log_path.parent)
    log_fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.fchmod(log_fd, 0o600)  # an engine log from an earlier version may be 0644
    with os.fdopen(log_fd, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "addmusic.engine", "--data-dir", str(engine_dir)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, close_fds=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ApiError(f"The local engine stopped at start-up (exit {process.returncode}). "
                           f"Details: {log_path}")
        info = read_lock(engine_dir)
        if info and info.get("pid") == process.pid:
            url = f"http://127.0.0.1:{info['port']}"
            if await _healthy(url, process.pid):
                return url
        await asyncio.sleep(0.05)
    process.terminate()
    raise ApiError(f"The local engine did not start within {START_TIMEOUT_S:.0f} s. Details: {log_path}")
