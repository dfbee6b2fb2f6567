"""Running the engine: bind the socket ourselves (port 0 gives a free port with no pick-then-bind
race), hold the data dir's lock file with our port and pid so front ends find us, exit when idle,
and never hang on open streams at shutdown."""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
import socket
import stat
import sys
from pathlib import Path

from ..protocol.local import LOCK_NAME, read_lock


class AlreadyRunning(Exception):
    pass


def make_private(data_dir: Path) -> None:
    """Everything the engine writes is its owner's alone: a umask for the process (files 0600 and
    folders 0700 from their creation, SQLite's WAL and SHM included), and a one-time tightening of
    what an earlier version left readable. Tokens, uploads and renders live here."""
    os.umask(0o077)
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    renders = data_dir / "renders"
    for root, dirs, files in os.walk(data_dir):
        for name in dirs:
            _tighten(Path(root) / name, 0o700)
        for name in files:
            if not _saved_by_link(Path(root) / name, renders):
                _tighten(Path(root) / name, 0o600)
    _tighten(data_dir, 0o700)


def _tighten(path: Path, mode: int) -> None:
    try:
        st = path.lstat()
        if not stat.S_ISLNK(st.st_mode) and stat.S_IMODE(st.st_mode) & 0o077:
            os.chmod(path, stat.S_IMODE(st.st_mode) & ~0o077 | (mode & 0o700))
    except OSError:
        pass


def _saved_by_link(path: Path, renders: Path) -> bool:
    """A render with a second name: saved by a hard link (client/files.py), it is the user's
    export too, one inode with the user's mode, which is not the engine's to change. The folders
    above it keep it private here."""
    try:
        return path.is_relative_to(renders) and path.lstat().st_nlink > 1
    except OSError:
        return False


def _hold_lock(data_dir: Path) -> int:
    make_private(data_dir)
    fd = os.open(data_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        info = read_lock(data_dir) or {}
        raise AlreadyRunning(
            f"An engine already runs for {data_dir} (pid {info.get('pid')}, port {info.get('port')})."
        ) from None
    return fd


def _write_lock(fd: int, host: str, port: int) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps({"pid": os.getpid(), "host": host, "port": port}).encode(), 0)


def serve(data_dir: Path, host: str = "127.0.0.1", port: int = 0) -> None:
    """Run the engine in the foreground until Ctrl+C, SIGTERM or the idle timeout."""
    import uvicorn

    from .server import EngineConfig, build_app

    fd = _hold_lock(data_dir)
    if not _is_loopback(host):
        print(f"Warning: listening on {host} lets other machines reach this engine. Anyone who can reach "
              "the port can get a free token and use its credits, uploads and renders; there is no "
              "TLS. Use the default 127.0.0.1 unless you know the network.", file=sys.stderr, flush=True)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        os.close(fd)
        raise SystemExit(f"Cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(128)
    bound_port = sock.getsockname()[1]
    config = EngineConfig.from_env(data_dir)
    app, engine = build_app(config)
    server = uvicorn.Server(uvicorn.Config(
        app, log_level="info", lifespan="on", timeout_graceful_shutdown=3, access_log=False))

    async def main() -> None:
        async def exit_when_idle() -> None:
            await engine.should_exit.wait()
            server.should_exit = True

        idle = asyncio.create_task(exit_when_idle())
        try:
            await server.serve(sockets=[sock])
        finally:
            idle.cancel()

    _write_lock(fd, host, bound_port)
    print(f"addmusic engine listening on http://{host}:{bound_port} (data: {data_dir})", flush=True)
    try:
        asyncio.run(main())
    finally:
        os.ftruncate(fd, 0)
        os.close(fd)
        sock.close()


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(argv: list[str] | None = None) -> int:
    """`python -m addmusic.engine --data-dir D [--host H] [--port P]` — what front ends spawn."""
    import argparse

    parser = argparse.ArgumentParser(prog="addmusic-engine")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return run(args.data_dir, args.host, args.port)


def run(data_dir: Path, host: str, port: int) -> int:
    """serve() as a command: 0 when stopped, 1 when another engine owns the data dir, 130 on Ctrl+C."""
    try:
        serve(data_dir, host, port)
    except AlreadyRunning as exc:
        print(exc, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0
