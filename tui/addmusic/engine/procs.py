"""Child processes (ffmpeg) that cannot outlive the engine.

Three guards, because `kill -9` of the engine runs no clean-up code at all:
- each child starts in its own session (a process group of its own, so a Ctrl+C aimed at a
  terminal's foreground group is the engine's to handle, and the whole group can be ended);
- on Linux each child asks the kernel for SIGKILL when its parent dies (PR_SET_PDEATHSIG);
- each child is written to a registry file with its start time, so the next engine for the same
  data dir can find one that escaped (another OS, a death between fork and prctl) and end it.
  The start time and the command line are checked before any kill: a pid reused by an unrelated
  process is never touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

REGISTRY_NAME = "children.json"
_PR_SET_PDEATHSIG = 1

_registry: PidRegistry | None = None
_waiters: set[asyncio.Task[None]] = set()


def death_signal_setter() -> Any:
    """A preexec function arming the parent-death signal (Linux), or None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None
    prctl = libc.prctl
    parent = os.getpid()

    def arm() -> None:
        # runs in the child between fork and exec: only async-signal-safe work here
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the engine died before the signal was armed
            os._exit(1)

    return arm


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (/proc/<pid>/stat field 22), or None."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    # the command name (field 2) may hold spaces or parentheses: split after its last ")"
    fields = raw[raw.rfind(b")") + 2:].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


def command_line(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


class PidRegistry:
    """A small JSON file of {pid: {"start": ticks, "exe": argv0, "engine": engine pid}}.

    Only one engine runs per data dir (its lock file), so one writer at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, data: dict[str, dict[str, Any]]) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
            os.replace(tmp, self.path)
        except OSError as exc:  # a full disk must not stop a render; the death signal still holds
            log.warning("cannot record child processes in %s: %s", self.path, exc)

    def add(self, pid: int, exe: str) -> None:
        data = self._read()
        data[str(pid)] = {"start": start_time(pid), "exe": exe, "engine": os.getpid()}
        self._write(data)

    def remove(self, pid: int) -> None:
        data = self._read()
        if data.pop(str(pid), None) is not None:
            self._write(data)

    def entries(self) -> dict[str, dict[str, Any]]:
        return self._read()

    def end_orphans(self, grace_s: float = 2.0) -> list[int]:
        """End every recorded child that is still the same process (same start time, same program)
        and not ours; return their pids. The registry is emptied."""
        ended: list[int] = []
        for key, entry in self._read().items():
            try:
                pid = int(key)
            except ValueError:
                continue
            if pid == os.getpid() or entry.get("engine") == os.getpid():
                continue
            if not _same_process(pid, entry):
                continue
            log.warning("ending pid %s (%s) left running by an earlier engine", pid, entry.get("exe"))
            _kill_group(pid, signal.SIGTERM)
            if not _wait_gone(pid, grace_s):
                _kill_group(pid, signal.SIGKILL)
                _wait_gone(pid, grace_s)
            ended.append(pid)
        self._write({})
        return ended


def _same_process(pid: int, entry: dict[str, Any]) -> bool:
    started = start_time(pid)
    if started is None or started != entry.get("start"):
        return False  # gone, or the pid now belongs to someone else
    argv = command_line(pid)
    exe = str(entry.get("exe") or "")
    return bool(argv) and bool(exe) and argv[0] == exe


def _kill_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        try:
            os.killpg(pid, sig)  # children lead their own group
        except ProcessLookupError:
            os.kill(pid, sig)


def _wait_gone(pid: int, timeout_s: float) -> bool:
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it if it happens to be our own child
        state = _proc_state(pid)
        if state is None or state == "Z":
            return True
        time.sleep(0.02)
    return False


def _proc_state(pid: int) -> str | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    return raw[raw.rfind(b")") + 2:].split()[0].decode()


def registry() -> PidRegistry | None:
    return _registry


def use_registry(path: Path | None) -> PidRegistry | None:
    """Record children spawned from now on in `path` (None: stop recording)."""
    global _registry
    _registry = PidRegistry(path) if path is not None else None
    return _registry


async def spawn(*argv: str, **kwargs: Any) -> asyncio.subprocess.Process:
    """asyncio.create_subprocess_exec for children that must die with the engine."""
    proc = await asyncio.create_subprocess_exec(
        *argv, start_new_session=True, preexec_fn=death_signal_setter(), **kwargs)
    registry = _registry
    if registry is not None:
        registry.add(proc.pid, argv[0])

        async def forget() -> None:
            with contextlib.suppress(Exception):
                await proc.wait()
            registry.remove(proc.pid)

        task = asyncio.ensure_future(forget())
        _waiters.add(task)
        task.add_done_callback(_waiters.discard)
    return proc
