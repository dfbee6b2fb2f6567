"""The app as a user feels it, measured from outside through tmux, against baselines timed in the same run.

Run: /work/venv/bin/python benchmarks/bench_ui.py [--runs 5] [--keys 40] [--stream-seconds 6] [--idle-seconds 11]
     [--seed 1] [--echo-only]

1. Start-up: N cold starts, each in a fresh tmux session (100x30) with a fresh ADDMUSIC_HOME, so the
   engine starts cold too (it is stopped from its lock file after every run). The pane is polled
   every ~10 ms: first paint is the first capture that shows the app ("addmusic" or the footer),
   Ready the first that shows "Ready!". Baselines: a minimal Textual app (Header, Static, Footer)
   written to a temp file and timed the same way, and `sh -c 'echo'` (the floor of the method).
   After each cold run the app starts again on the same home while its engine still runs (warm).
2. Key echo: a loopback stub of the API (`--api-url`) streams a 2,000-chunk reply over a few
   seconds; while it streams, single characters are typed with `send-keys -l` and the composer
   is polled every ~2 ms until it shows them. Baseline: the same keys on the idle app (before the
   reply, and again after it with the long reply in the chat).
3. Memory: a full job on the local engine (paste a generated 10 s clip, "add background music at
   30%", "export"), then VmRSS of the app's python process and of the engine from /proc.
   Baseline: the minimal Textual app's VmRSS. Before the job, keys are typed on the idle app for
   --idle-seconds, long enough to cross the app's 5 s engine watchdog twice.

Byte-code is cached (in a temp PYTHONPYCACHEPREFIX) as for an installed app; when the environment
sets PYTHONDONTWRITEBYTECODE, the cold start is also timed the way this environment launches it.

Everything talks to a private tmux server (`tmux -L bench-ui-<pid>`) through one control-mode
client, so a poll is a line written and a block read (~0.1 ms), not a process spawned. Every
tmux session, engine, stub server and temp dir is removed at the end, also on errors and Ctrl+C.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

TMUX = shutil.which("tmux") or "/usr/bin/tmux"
COLS, ROWS = 100, 30
PAINT_POLL_S = 0.010
ECHO_POLL_S = 0.002
KEY_SEQUENCE = "qzxjvkwqzxjvkpqzxjvkyqzxjvkfqzxjvkgqzxjvkbqzxjvkm"  # no word of the app or reply has it
APP_MARKERS = ("addmusic", "palette")  # the status bar or the footer
MINIMAL_MARKERS = ("minimal-baseline", "palette")
FLOOR_MARKERS = ("addmusic",)
TARGET_PAINT_RATIO = 1.5
TARGET_READY_S = 1.5
TARGET_ECHO_MS = 50.0

MINIMAL_APP = '''\
from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static


class MinimalApp(App[None]):
    TITLE = "minimal-baseline"
    BINDINGS = [("ctrl+q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("The smallest Textual app: a header, a line of text and a footer.")
        yield Footer()


if __name__ == "__main__":
    MinimalApp().run()
'''


class BenchError(Exception):
    pass


# --- tmux through one control-mode client ----------------------------------------------------------


def tmux_quote(arg: str) -> str:
    """One word for tmux's command parser (`;`, `#`, `$`, `~` and quotes lose their meaning)."""
    if "'" not in arg:
        return f"'{arg}'"
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'


class Tmux:
    """A private tmux server driven by one `tmux -C` client: each command is a line written and its
    %begin…%end block read back. The client sits in its own small session so it never sizes the
    measured sessions."""

    def __init__(self, env: dict[str, str]) -> None:
        self.socket = f"bench-ui-{os.getpid()}"
        self.proc = subprocess.Popen(
            [TMUX, "-L", self.socket, "-f", "/dev/null", "-C", "new-session", "-s", "bench-ctl", "-x", "80",
             "-y", "24", "sleep 86400"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
            text=True, encoding="utf-8", errors="replace", bufsize=1)
        self._read_block()  # the reply to the client's own new-session
        self.socket_path = Path(self.cmd("display-message", "-p", "#{socket_path}")[0])
        self.cmd("set-option", "-g", "remain-on-exit", "on")  # keep a crashed app's last screen for the report

    def _read_block(self) -> tuple[bool, list[str]]:
        assert self.proc.stdout is not None
        lines: list[str] = []
        inside = False
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise BenchError("the tmux control client exited")
            line = line.rstrip("\n")
            if not inside:
                if line.startswith("%begin"):
                    inside, lines = True, []
                continue  # a notification between replies
            if line.startswith(("%end", "%error")):
                return line.startswith("%end"), lines
            lines.append(line)

    def cmd(self, *args: str, check: bool = True) -> list[str]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(" ".join(tmux_quote(a) for a in args) + "\n")
        self.proc.stdin.flush()
        ok, lines = self._read_block()
        if not ok and check:
            raise BenchError(f"tmux {args[0]}: {' '.join(lines)}")
        return lines

    def new_session(self, name: str, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        extra: list[str] = []
        for key, value in env.items():
            extra += ["-e", f"{key}={value}"]
        self.cmd("new-session", "-d", "-s", name, "-x", str(COLS), "-y", str(ROWS), "-c", str(cwd), *extra, *argv)

    def capture(self, name: str) -> list[str]:
        return self.cmd("capture-pane", "-p", "-t", f"={name}:")

    def display(self, name: str, fmt: str) -> str:
        lines = self.cmd("display-message", "-p", "-t", f"={name}:", fmt)
        return lines[0] if lines else ""

    def send_literal(self, name: str, text: str) -> None:
        self.cmd("send-keys", "-t", f"={name}:", "-l", text)

    def send_key(self, name: str, key: str) -> None:
        self.cmd("send-keys", "-t", f"={name}:", key)

    def paste(self, name: str, text: str) -> None:
        self.cmd("set-buffer", "-b", "bench", "--", text)
        self.cmd("paste-buffer", "-p", "-d", "-b", "bench", "-t", f"={name}:")  # -p: bracketed, as a drop

    def kill_session(self, name: str) -> None:
        self.cmd("kill-session", "-t", f"={name}", check=False)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.cmd("kill-server", check=False)
        with contextlib.suppress(Exception):
            assert self.proc.stdin is not None
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        subprocess.run([TMUX, "-L", self.socket, "kill-server"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        with contextlib.suppress(AttributeError, OSError):
            self.socket_path.unlink()  # tmux leaves its socket file behind


# --- processes --------------------------------------------------------------------------------------


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError, ValueError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def status_kib(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def find_python(root: int, want: str, avoid: str = "\0") -> int | None:
    """The first process, breadth first from `root`, whose command line mentions `want`."""
    queue = [root]
    while queue:
        pid = queue.pop(0)
        line = cmdline(pid)
        if want in line and avoid not in line:
            return pid
        queue += children(pid)
    return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop_pid(pid: int, timeout: float = 5.0) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    if alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def lock_info(home: Path) -> dict | None:
    try:
        info = json.loads((home / "data" / "engine" / "engine.lock").read_text())
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and isinstance(info.get("pid"), int) else None


def engine_pid(home: Path) -> int | None:
    """The engine of this home, checked against /proc so a reused pid is never signalled."""
    info = lock_info(home)
    if info is None:
        return None
    pid = info["pid"]
    line = cmdline(pid)
    return pid if alive(pid) and "addmusic.engine" in line and str(home) in line else None


def stop_engine(home: Path) -> None:
    pid = engine_pid(home)
    if pid is not None:
        stop_pid(pid)


# --- the stub API for the streaming test -----------------------------------------------------------


@dataclass
class StubApi:
    """Just enough of the API on 127.0.0.1: a token, a session, credits, an empty timeline, and a
    long reply on /run_sse paced over `seconds`."""

    chunks: int = 2000
    seconds: float = 6.0
    paragraph_every: int = 40
    unknown: list[str] = field(default_factory=list)  # requests it had no answer for
    stream_started: float | None = None
    stream_ended: float | None = None
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        stub = self
        routes = {
            ("POST", "/api/auth/anonymous-token"): {"token": "nmv_usr_x", "user_id": "anon_1",
                                                     "expires_at": 4102444800},
            ("POST", "/api/tasks/me/with-session/nemo_agent"): {"session_id": "s1", "task_id": "t1"},
            ("GET", "/api/credits/balance/simple"): {"available": 100, "frozen": 0, "total": 100},
            ("GET", "/api/state/nemo_agent/me/s1/latest"): {"session_id": "s1", "state": {"draft": {"t": [], "d": 0}}},
        }

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
                pass

            def _answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                path = urlsplit(self.path).path
                if method == "POST" and path == "/run_sse":
                    self._stream()
                    return
                data = routes.get((method, path))
                if data is None:
                    stub.unknown.append(f"{method} {path}")
                body = {"code": 0, "data": data} if data is not None else {"code": 404, "message": "not here"}
                raw = json.dumps(body).encode()
                self.send_response(200 if data is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                self._answer("GET")

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                self._answer("POST")

            def _chunk(self, text: str) -> None:
                raw = text.encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(raw), raw))

            def _stream(self) -> None:
                self.close_connection = True
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Transfer-Encoding", "chunked")
                self.send_header("Connection", "close")
                self.end_headers()
                pieces: list[str] = []
                start = stub.stream_started = time.perf_counter()
                step = stub.seconds / stub.chunks
                try:
                    for i in range(stub.chunks):
                        if stub.stop.is_set():
                            return
                        piece = f"word{i}" + ("\n\n" if (i + 1) % stub.paragraph_every == 0 else " ")
                        pieces.append(piece)
                        event = {"content": {"role": "model", "parts": [{"text": piece}]}, "partial": True}
                        self._chunk(f"data: {json.dumps(event)}\n\n")
                        delay = start + (i + 1) * step - time.perf_counter()
                        if delay > 0:
                            time.sleep(delay)
                    final = {"content": {"parts": [{"text": "".join(pieces)}]}, "turnComplete": True}
                    self._chunk(f"data: {json.dumps(final)}\n\n")
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                except OSError:
                    return
                finally:
                    stub.stream_ended = time.perf_counter()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def last_word(self) -> str:
        return f"word{self.chunks - 1}"

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


# --- the bench ---------------------------------------------------------------------------------------


@dataclass
class StartResult:
    paint: float | None = None
    ready: float | None = None
    lock: float | None = None
    rss_kib: int | None = None


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.root = Path(tempfile.mkdtemp(prefix="bench-ui-"))
        self.homes: list[Path] = []
        self.app_pids: set[int] = set()
        self.engine_pids: set[int] = set()
        self.stub: StubApi | None = None
        self.minimal = self.root / "minimal_app.py"
        self.minimal.write_text(MINIMAL_APP)
        self.work = self.root / "cwd"
        self.work.mkdir()
        self.counter = 0
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("ADDMUSIC_", "NEMO_", "TMUX")) and k not in ("TEXTUAL",)}
        # As an installed app runs: byte-code cached. Here it goes to a temp prefix, so the repo gets no
        # __pycache__ and an inherited PYTHONDONTWRITEBYTECODE does not make every start compile the app.
        self.no_bytecode = env.pop("PYTHONDONTWRITEBYTECODE", "")
        env["PYTHONPYCACHEPREFIX"] = str(self.root / "pycache")
        self.env = env
        try:
            self.tmux = Tmux(env)
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise
        script = Path(sys.executable).with_name("addmusic-tui")
        self.app_argv = [str(script)] if script.is_file() else [sys.executable, "-m", "addmusic.cli"]
        self.notes: list[str] = []

    # --- helpers -------------------------------------------------------------------------------

    def fresh_home(self) -> Path:
        home = Path(tempfile.mkdtemp(prefix="home-", dir=self.root))
        self.homes.append(home)
        return home

    def session_name(self, kind: str) -> str:
        self.counter += 1
        return f"{kind}-{self.counter}"

    def screen(self, name: str) -> str:
        return "\n".join(self.tmux.capture(name))

    def wait_screen(self, name: str, predicate: Callable[[str], bool], timeout: float, what: str,
                    interval: float = PAINT_POLL_S) -> float:
        start = time.perf_counter()
        while True:
            text = self.screen(name)
            now = time.perf_counter()
            if predicate(text):
                return now
            if now - start > timeout:
                raise BenchError(f"timed out after {timeout:.0f} s waiting for {what}; the screen:\n{text}")
            time.sleep(interval)

    def pane_pid(self, name: str) -> int:
        return int(self.tmux.display(name, "#{pane_pid}"))

    def app_pid(self, name: str, want: str = "addmusic") -> int | None:
        pid = find_python(self.pane_pid(name), want, avoid="addmusic.engine")
        if pid is not None:
            self.app_pids.add(pid)
        return pid

    def quit(self, name: str, *, keys: bool = True) -> None:
        """ctrl+q as a user quits, then the session goes; a process that lingers is stopped (the
        engine is left to its own clean-up)."""
        procs = {p: cmdline(p) for p in self._tree(self.pane_pid(name))}
        if keys:
            self.tmux.send_key(name, "C-q")
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and self.tmux.display(name, "#{pane_dead}") != "1":
                time.sleep(0.02)
        self.tmux.kill_session(name)
        for pid, line in procs.items():
            if line and "addmusic.engine" not in line and alive(pid) and cmdline(pid) == line:
                stop_pid(pid, 2.0)

    def _tree(self, root: int) -> set[int]:
        seen, queue = set(), [root]
        while queue:
            pid = queue.pop()
            if pid not in seen:
                seen.add(pid)
                queue += children(pid)
        return seen

    def track_engine(self, home: Path) -> None:
        pid = engine_pid(home)
        if pid is not None:
            self.engine_pids.add(pid)

    # --- 1. start-up ----------------------------------------------------------------------------

    def time_start(self, kind: str, argv: list[str], markers: Iterable[str], *, home: Path | None = None,
                   ready: str | None = None, rss: bool = False, quit_keys: bool = True,
                   timeout: float = 60.0) -> StartResult:
        name = self.session_name(kind)
        env = {"ADDMUSIC_HOME": str(home)} if home else {}
        watch_lock = home is not None and lock_info(home) is None  # a cold start: the app starts the engine
        result = StartResult()
        t0 = time.perf_counter()
        self.tmux.new_session(name, argv, env, self.work)
        while True:
            text = self.screen(name)
            now = time.perf_counter() - t0
            if result.paint is None and any(m in text for m in markers):
                result.paint = now
            if ready and result.ready is None and ready in text:
                result.ready = now
            if watch_lock and home is not None and result.lock is None and lock_info(home) is not None:
                result.lock = now
            if result.paint is not None and (ready is None or result.ready is not None):
                break
            if now > timeout:
                self.tmux.kill_session(name)
                raise BenchError(f"{kind}: timed out after {timeout:.0f} s; the screen:\n{text}")
            time.sleep(PAINT_POLL_S)
        if rss:
            time.sleep(0.5)  # let it settle as a user would see it
            pid = find_python(self.pane_pid(name), argv[-1])
            result.rss_kib = status_kib(pid, "VmRSS") if pid else None
        if home is not None:
            self.track_engine(home)
        self.quit(name, keys=quit_keys)
        return result

    def startup(self) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {k: [] for k in (
            "floor", "minimal_paint", "minimal_rss", "cold_paint", "cold_ready", "cold_lock", "warm_paint",
            "warm_ready", "nocache_paint", "nocache_ready")}
        floor_argv = ["/bin/sh", "-c", "echo addmusic; exec sleep 600"]
        minimal_argv = [sys.executable, str(self.minimal)]
        # One discarded round first: byte-code caches written, files in the page cache.
        self.time_start("warmup-minimal", minimal_argv, MINIMAL_MARKERS)
        home = self.fresh_home()
        self.time_start("warmup-app", self.app_argv, APP_MARKERS, home=home, ready="Ready!")
        stop_engine(home)
        for i in range(self.args.runs):
            print(f"  start-up round {i + 1}/{self.args.runs}", file=sys.stderr, flush=True)
            floor = self.time_start("floor", floor_argv, FLOOR_MARKERS, quit_keys=False)
            out["floor"].append(floor.paint or 0.0)
            minimal = self.time_start("minimal", minimal_argv, MINIMAL_MARKERS, rss=True)
            out["minimal_paint"].append(minimal.paint or 0.0)
            if minimal.rss_kib:
                out["minimal_rss"].append(minimal.rss_kib)
            home = self.fresh_home()
            cold = self.time_start("cold", self.app_argv, APP_MARKERS, home=home, ready="Ready!")
            out["cold_paint"].append(cold.paint or 0.0)
            out["cold_ready"].append(cold.ready or 0.0)
            if cold.lock is not None:
                out["cold_lock"].append(cold.lock)
            if engine_pid(home) is None:
                self.notes.append(f"round {i + 1}: no engine was running after the cold start")
            warm = self.time_start("warm", self.app_argv, APP_MARKERS, home=home, ready="Ready!")
            out["warm_paint"].append(warm.paint or 0.0)
            out["warm_ready"].append(warm.ready or 0.0)
            stop_engine(home)
            if self.no_bytecode:  # as this environment launches it: the app's own modules compiled at each start
                argv = [shutil.which("env") or "/usr/bin/env", "-u", "PYTHONPYCACHEPREFIX",
                        f"PYTHONDONTWRITEBYTECODE={self.no_bytecode}", *self.app_argv]
                home = self.fresh_home()
                plain = self.time_start("nocache", argv, APP_MARKERS, home=home, ready="Ready!")
                out["nocache_paint"].append(plain.paint or 0.0)
                out["nocache_ready"].append(plain.ready or 0.0)
                stop_engine(home)
        return out

    def import_costs(self) -> dict[str, list[float]]:
        """Wall time of the imports each app needs before it can paint (fresh interpreter each)."""
        code = ("import time; t = time.perf_counter(); {imp}; "
                "print(time.perf_counter() - t)")
        imports = {
            "import_app": "import addmusic.cli, addmusic.ui.app",
            "import_minimal": "import textual.app; from textual.widgets import Footer, Header, Static",
            "python": "pass",
        }
        out: dict[str, list[float]] = {k: [] for k in imports}
        out["interpreter"] = []
        for _ in range(self.args.runs):
            for key, imp in imports.items():
                t0 = time.perf_counter()
                done = subprocess.run([sys.executable, "-c", code.format(imp=imp)], capture_output=True, text=True,
                                      check=True, cwd=self.work, env=self.env)
                total = time.perf_counter() - t0
                if key == "python":
                    out["interpreter"].append(total)
                else:
                    out[key].append(float(done.stdout.strip()))
        return out

    def import_profile(self, statement: str) -> dict[str, float]:
        """Seconds of `python -X importtime` self time per module, the median over --runs runs."""
        samples: dict[str, list[float]] = {}
        for _ in range(self.args.runs):
            done = subprocess.run([sys.executable, "-X", "importtime", "-c", statement], capture_output=True,
                                  text=True, check=True, cwd=self.work, env=self.env)
            for line in done.stderr.splitlines():
                match = re.match(r"import time:\s+(\d+) \|\s+\d+ \| \s*(\S+)", line)
                if match:
                    samples.setdefault(match.group(2), []).append(int(match.group(1)) / 1e6)
        return {module: statistics.median(values) for module, values in samples.items()}

    def import_extra(self) -> list[tuple[float, int, str]]:
        """What the app imports that the minimal app does not, by top-level package: (s, modules, name)."""
        app = self.import_profile("import addmusic.cli, addmusic.ui.app")
        minimal = self.import_profile("import textual.app; from textual.widgets import Footer, Header, Static")
        groups: dict[str, list[float]] = {}
        for module, seconds in app.items():
            if module not in minimal:
                groups.setdefault(module.split(".")[0], []).append(seconds)
        return sorted(((sum(v), len(v), k) for k, v in groups.items()), reverse=True)

    # --- 2. key echo ------------------------------------------------------------------------------

    @staticmethod
    def composer_text(text: str) -> str:
        """The composer's content: the rows of the last box on the screen, borders and padding cut."""
        lines = text.splitlines()
        tops = [i for i, line in enumerate(lines) if line.lstrip().startswith("╭")]
        if not tops:
            return ""
        rows: list[str] = []
        for line in lines[tops[-1] + 1:]:
            if line.lstrip().startswith("╰"):
                break
            rows.append(line.strip().strip("│").strip())
        return "".join(rows)

    def echo(self, name: str, typed: str, char: str, watch: str | None = None,
             seen: dict[str, float] | None = None, timeout: float = 10.0) -> tuple[float, float, float]:
        """Type one character; (sent at, latency in s, shown at). `watch` text is noted in `seen` when
        it first appears in any capture."""
        expected = typed + char
        t0 = time.perf_counter()
        self.tmux.send_literal(name, char)
        while True:
            text = self.screen(name)
            now = time.perf_counter()
            if watch and seen is not None and watch not in seen and watch in text:
                seen[watch] = now
            if self.composer_text(text) == expected:
                return t0, now - t0, now
            if now - t0 > timeout:
                raise BenchError(f"key {char!r} not echoed within {timeout:.0f} s; composer shows "
                                 f"{self.composer_text(text)!r}")
            time.sleep(ECHO_POLL_S)

    def type_idle(self, name: str, typed: str, count: int = 0, seconds: float = 0.0) -> tuple[list[float], str]:
        """`count` keys, or keys for `seconds` (the composer is cleared every 80), ~20 ms apart."""
        latencies: list[float] = []
        start = time.perf_counter()
        while len(latencies) < count or time.perf_counter() - start < seconds:
            if seconds and len(typed) >= 80:
                typed = self.clear_composer(name)
            char = KEY_SEQUENCE[len(typed) % len(KEY_SEQUENCE)]
            _, latency, _ = self.echo(name, typed, char)
            typed += char
            latencies.append(latency)
            time.sleep(0.02)  # a fast typist: one key every ~20 ms plus the echo
        return latencies, typed

    def clear_composer(self, name: str) -> str:
        self.tmux.send_key(name, "C-u")  # TextArea: delete to the start of the line
        self.wait_screen(name, lambda s: self.composer_text(s).startswith("Type what you want"), 10,
                         "the composer to clear", interval=ECHO_POLL_S)
        return ""

    def key_echo(self) -> dict[str, object]:
        stub = self.stub = StubApi(chunks=2000, seconds=self.args.stream_seconds)
        home = self.fresh_home()
        name = self.session_name("stream")
        self.tmux.new_session(name, [*self.app_argv, "--api-url", stub.url], {"ADDMUSIC_HOME": str(home)}, self.work)
        self.wait_screen(name, lambda s: "Ready!" in s, 60, '"Ready!" against the stub API')
        pid = self.app_pid(name)
        if pid is None:
            raise BenchError("cannot find the app's python process under the tmux pane")
        time.sleep(0.3)
        idle_before, typed = self.type_idle(name, "", self.args.keys)
        typed = self.clear_composer(name)
        self.tmux.send_literal(name, "tell me a story")
        sent = time.perf_counter()
        self.tmux.send_key(name, "Enter")
        word = re.compile(r"\bword\d+")
        first_word = self.wait_screen(name, lambda s: bool(word.search(s)), 30, "the reply to start",
                                      interval=ECHO_POLL_S)
        cpu_start = cpu_seconds(pid)
        seen: dict[str, float] = {}
        # irregular gaps, as a person types (30 ms bursts to pauses of twice the mean): the app draws
        # the reply between keys, and evenly spaced keys could fall into step with that
        mean_gap = self.args.stream_seconds * 0.85 / self.args.keys
        gaps = random.Random(self.args.seed)
        during: list[float] = []
        after: list[float] = []
        due = first_word
        for _ in range(self.args.keys):
            due = max(due + gaps.uniform(0.03, 2 * mean_gap - 0.03), time.perf_counter())
            while time.perf_counter() < due:
                time.sleep(0.001)
            char = KEY_SEQUENCE[len(typed) % len(KEY_SEQUENCE)]
            t_sent, latency, _ = self.echo(name, typed, char, watch=stub.last_word, seen=seen)
            typed += char
            last_shown = seen.get(stub.last_word)
            (during if last_shown is None or t_sent < last_shown else after).append(latency)
        if stub.last_word not in seen:
            seen[stub.last_word] = self.wait_screen(name, lambda s: stub.last_word in s, 60,
                                                    "the end of the reply", interval=ECHO_POLL_S)
        cpu_used = cpu_seconds(pid) - cpu_start
        self.wait_screen(name, lambda s: "thinking" not in s, 30, "the turn to end")
        time.sleep(0.3)
        idle_after, typed = self.type_idle(name, typed, self.args.keys)
        self.quit(name)
        if stub.unknown:
            asked = ", ".join(sorted(set(stub.unknown)))
            self.notes.append(f"the app asked the stub for what it does not serve: {asked}")
        stream_s = (stub.stream_ended or 0) - (stub.stream_started or 0)
        return {
            "idle_before": idle_before, "during": during, "after": after, "idle_after": idle_after,
            "first_word": first_word - sent, "stream_s": stream_s,
            "cpu": cpu_used / max(1e-6, seen[stub.last_word] - first_word),
            "tail_lag": seen[stub.last_word] - (stub.stream_ended or seen[stub.last_word]),
        }

    # --- 3. memory after a full job --------------------------------------------------------------

    def memory(self, minimal_rss: list[float]) -> dict[str, object]:
        from addmusic.sample import make_sample

        clips = self.root / "clips"
        clips.mkdir()
        clip = make_sample(clips / "beach.mp4", 10.0)
        home = self.fresh_home()
        name = self.session_name("job")
        t0 = time.perf_counter()
        self.tmux.new_session(name, self.app_argv, {"ADDMUSIC_HOME": str(home)}, self.work)
        ready = self.wait_screen(name, lambda s: "Ready!" in s, 60, '"Ready!"')
        self.track_engine(home)
        time.sleep(0.5)
        pid = self.app_pid(name)
        if pid is None:
            raise BenchError("cannot find the app's python process under the tmux pane")
        rss_ready = status_kib(pid, "VmRSS")
        # idle typing for longer than the app's 5 s engine watchdog, which a short burst can miss
        local_echo, _ = self.type_idle(name, "", seconds=self.args.idle_seconds)
        self.clear_composer(name)
        steps: dict[str, float] = {"ready": ready - t0}
        t = time.perf_counter()
        self.tmux.paste(name, f"'{clip}'")
        steps["upload"] = self.wait_screen(name, lambda s: "Uploaded" in s, 120, '"Uploaded"') - t
        t = time.perf_counter()
        self.tmux.send_literal(name, "add background music at 30%")
        self.tmux.send_key(name, "Enter")
        steps["music"] = self.wait_screen(name, lambda s: "BGM" in self.timeline_text(s), 300,
                                          'the timeline to show "BGM"') - t
        t = time.perf_counter()
        self.tmux.send_literal(name, "export")
        self.tmux.send_key(name, "Enter")
        steps["export"] = self.wait_screen(name, lambda s: "Saved " in s, 600, '"Saved "') - t
        time.sleep(0.5)
        rss_app = status_kib(pid, "VmRSS")
        hwm_app = status_kib(pid, "VmHWM")
        epid = engine_pid(home)
        rss_engine = status_kib(epid, "VmRSS") if epid else None
        hwm_engine = status_kib(epid, "VmHWM") if epid else None
        app_cmd = cmdline(pid)
        self.quit(name)
        stop_engine(home)
        return {"steps": steps, "rss_ready": rss_ready, "rss_app": rss_app, "hwm_app": hwm_app,
                "rss_engine": rss_engine, "hwm_engine": hwm_engine, "rss_minimal": minimal_rss,
                "app_cmd": app_cmd, "local_echo": local_echo}

    @staticmethod
    def timeline_text(text: str) -> str:
        lines = text.splitlines()
        for i, line in enumerate(lines):
            if line.lstrip().startswith("╭") and "Timeline" in line:
                rows = []
                for row in lines[i + 1:]:
                    if row.lstrip().startswith("╰"):
                        break
                    rows.append(row)
                return "\n".join(rows)
        return ""

    # --- clean-up ------------------------------------------------------------------------------

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self.stub is not None:
                self.stub.close()
        with contextlib.suppress(Exception):
            self.tmux.close()
        for pid in self.app_pids:
            if alive(pid) and "addmusic" in cmdline(pid):
                stop_pid(pid, 2.0)
        for home in self.homes:
            with contextlib.suppress(Exception):
                self.track_engine(home)
                stop_engine(home)
        # any process still naming one of our temp dirs (an engine started by an app we killed early)
        for proc in Path("/proc").glob("[0-9]*"):
            pid = int(proc.name)
            if pid != os.getpid() and str(self.root) in cmdline(pid):
                stop_pid(pid, 2.0)
        for pid in self.engine_pids:
            if alive(pid) and "addmusic.engine" in cmdline(pid):
                stop_pid(pid, 2.0)
        shutil.rmtree(self.root, ignore_errors=True)

    def leftovers(self) -> list[int]:
        return [p for p in self.engine_pids | self.app_pids if alive(p) and "addmusic" in cmdline(p)]


# --- the report ------------------------------------------------------------------------------------


def fmt_s(v: float) -> str:
    return f"{v:.3f} s"


def fmt_ms(v: float) -> str:
    return f"{v * 1000:.1f} ms"


def fmt_mib(kib: float | None) -> str:
    return "n/a" if kib is None else f"{kib / 1024:.1f} MiB"


def stats(values: list[float], fmt: Callable[[float], str]) -> tuple[str, str, str]:
    if not values:
        return ("n/a", "", "")
    return fmt(statistics.median(values)), fmt(min(values)), fmt(max(values))


def print_table(rows: list[tuple[str, ...]]) -> None:
    headers = ("metric", "median", "min", "max", "baseline (same run)", "target", "")
    table = [headers, *rows]
    widths = [max(len(r[i]) for r in table if len(r) > i) for i in range(len(headers))]
    for r in table:
        cells = [r[i] if i < len(r) else "" for i in range(len(headers))]
        line = f"{cells[0]:<{widths[0]}}  " + "  ".join(
            f"{c:>{w}}" for c, w in zip(cells[1:4], widths[1:4], strict=True))
        line += f"  {cells[4]:<{widths[4]}}  {cells[5]:<{widths[5]}}  {cells[6]}"
        print(line.rstrip())
        if r is headers:
            print("-" * len(line.rstrip()))


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def report(args: argparse.Namespace, start: dict[str, list[float]], imports: dict[str, list[float]],
           breakdown: list[tuple[float, int, str]], echo: dict, mem: dict, notes: list[str]) -> None:
    import textual

    med = statistics.median
    paint_base = med(start["minimal_paint"])
    paint_target = TARGET_PAINT_RATIO * paint_base
    rows: list[tuple[str, ...]] = []
    rows.append(("1. first paint, cold (fresh home, engine cold)", *stats(start["cold_paint"], fmt_s),
                 f"{fmt_s(paint_base)} minimal Textual app", f"<= {TARGET_PAINT_RATIO}x = {fmt_s(paint_target)}",
                 verdict(med(start["cold_paint"]) <= paint_target)))
    rows.append(("   first paint, warm engine", *stats(start["warm_paint"], fmt_s), f"{fmt_s(paint_base)} minimal",
                 f"<= {fmt_s(paint_target)}", verdict(med(start["warm_paint"]) <= paint_target)))
    if start["nocache_paint"]:
        rows.append(("   first paint, cold, no byte-code cache (*)", *stats(start["nocache_paint"], fmt_s),
                     f"{fmt_s(paint_base)} minimal", f"<= {fmt_s(paint_target)}",
                     verdict(med(start["nocache_paint"]) <= paint_target)))
    rows.append(('   "Ready!", cold engine', *stats(start["cold_ready"], fmt_s), "",
                 f"< {TARGET_READY_S} s", verdict(med(start["cold_ready"]) < TARGET_READY_S)))
    rows.append(('   "Ready!", warm engine (same home)', *stats(start["warm_ready"], fmt_s), "",
                 f"< {TARGET_READY_S} s", verdict(med(start["warm_ready"]) < TARGET_READY_S)))
    if start["nocache_ready"]:
        rows.append(('   "Ready!", cold, no byte-code cache (*)', *stats(start["nocache_ready"], fmt_s), "",
                     f"< {TARGET_READY_S} s", verdict(med(start["nocache_ready"]) < TARGET_READY_S)))
    rows.append(("   engine lock file written (cold)", *stats(start["cold_lock"], fmt_s), "", "", ""))
    rows.append(("   minimal Textual app, first paint", *stats(start["minimal_paint"], fmt_s), "(the baseline)",
                 "", ""))
    rows.append(("   floor: sh echo in a new pane", *stats(start["floor"], fmt_s), "(tmux + polling)", "", ""))
    rows.append(("   python -c pass (wall)", *stats(imports["interpreter"], fmt_s), "", "", ""))
    rows.append(("   import addmusic.cli + addmusic.ui.app", *stats(imports["import_app"], fmt_s),
                 f"{fmt_s(med(imports['import_minimal']))} textual App+widgets", "", ""))
    idle = echo["idle_before"]
    during = echo["during"]
    rows.append(("2. key echo while streaming: worst", fmt_ms(max(during)) if during else "n/a", "", "",
                 f"{fmt_ms(max(idle))} idle (worst)", f"< {TARGET_ECHO_MS:.0f} ms",
                 verdict(bool(during) and max(during) * 1000 < TARGET_ECHO_MS)))
    rows.append(("   key echo while streaming: all keys", *stats(during, fmt_ms), f"{fmt_ms(med(idle))} idle (median)",
                 f"< {TARGET_ECHO_MS:.0f} ms", verdict(bool(during) and med(during) * 1000 < TARGET_ECHO_MS)))
    rows.append(("   key echo, idle before the reply", *stats(idle, fmt_ms), "(the baseline)", "", ""))
    rows.append(("   key echo, idle after it (long chat)", *stats(echo["idle_after"], fmt_ms), "", "", ""))
    rows.append((f"   key echo, idle, local engine ({args.idle_seconds:.0f} s)", *stats(mem["local_echo"], fmt_ms),
                 f"{len(mem['local_echo'])} keys", "", ""))
    if echo["after"]:
        rows.append(("   keys sent after the reply was drawn", *stats(echo["after"], fmt_ms), "", "", ""))
    rows.append(("   app CPU while the reply is drawn", f"{echo['cpu'] * 100:.0f} %", "", "", "of one core", "", ""))
    rows.append(("   Enter -> first reply word on screen", fmt_s(echo["first_word"]), "", "", "", "", ""))
    rows.append(("   last word on screen after stream end", fmt_s(echo["tail_lag"]), "", "",
                 f"stream lasted {echo['stream_s']:.2f} s", "", ""))
    minimal_rss = mem["rss_minimal"]
    rows.append(("3. RSS of the app after the full job", fmt_mib(mem["rss_app"]), "", "",
                 f"{fmt_mib(med(minimal_rss) if minimal_rss else None)} minimal Textual app", "", ""))
    rows.append(("   RSS of the app at Ready!", fmt_mib(mem["rss_ready"]), "", "", "", "", ""))
    rows.append(("   peak RSS of the app (VmHWM)", fmt_mib(mem["hwm_app"]), "", "", "", "", ""))
    rows.append(("   RSS of the engine after the job", fmt_mib(mem["rss_engine"]), "", "",
                 f"peak {fmt_mib(mem['hwm_engine'])}", "", ""))

    print()
    print(f"addmusic-tui UI benchmark: tmux {COLS}x{ROWS} pane polled every {PAINT_POLL_S * 1000:.0f} ms "
          f"(keys every {ECHO_POLL_S * 1000:.0f} ms), {args.runs} cold starts, {args.keys} keys per phase, "
          f"{echo_count(echo)}")
    print(f"Python {platform.python_version()}, Textual {textual.__version__}, {os.cpu_count()} CPUs, "
          f"{platform.system()} {platform.release()}")
    print()
    print_table(rows)
    print()
    steps = mem["steps"]
    print("full job on the local engine: " + ", ".join(
        f"{k} {steps[k]:.2f} s" for k in ("ready", "upload", "music", "export"))
          + f" (app process: {mem['app_cmd'].strip()})")
    total = sum(t for t, _, _ in breakdown)
    print(f"imports the app adds over the minimal Textual app (python -X importtime self time, median): "
          f"{total * 1000:.0f} ms in {sum(n for _, n, _ in breakdown)} modules; the largest packages:")
    for seconds, count, package in breakdown[:8]:
        print(f"  {seconds * 1000:7.1f} ms  {package} ({count} modules)")
    if start["nocache_paint"]:
        print("(*) as this environment launches it: PYTHONDONTWRITEBYTECODE is set, so the editable addmusic "
              "package (no __pycache__) is compiled at every start; all other rows run with byte-code cached "
              "in a temp PYTHONPYCACHEPREFIX, as an installed app does.")
    for note in notes:
        print(f"note: {note}")


def echo_count(echo: dict) -> str:
    return (f"{len(echo['during'])} keys during a {echo['stream_s']:.1f} s stream of 2,000 chunks"
            + (f" ({len(echo['after'])} after it)" if echo["after"] else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="cold starts (and baseline starts) to time")
    parser.add_argument("--keys", type=int, default=40, help="characters typed per key-echo phase")
    parser.add_argument("--echo-only", action="store_true", help="run only the key-echo phase (2)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the irregular gaps between keys while streaming")
    parser.add_argument("--stream-seconds", type=float, default=6.0, help="how long the stub's reply lasts")
    parser.add_argument("--idle-seconds", type=float, default=11.0,
                        help="how long to type on the idle app on the local engine (covers two 5 s watchdog ticks)")
    args = parser.parse_args()
    if args.runs < 1 or args.keys < 1:
        parser.error("--runs and --keys must be at least 1")

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    bench = Bench(args)
    try:
        if args.echo_only:
            echo = bench.key_echo()
        else:
            print("1/3 start-up", file=sys.stderr, flush=True)
            start = bench.startup()
            imports = bench.import_costs()
            breakdown = bench.import_extra()
            print("2/3 key echo while a reply streams", file=sys.stderr, flush=True)
            echo = bench.key_echo()
            print("3/3 memory after a full job", file=sys.stderr, flush=True)
            mem = bench.memory(start["minimal_rss"])
    except BenchError as exc:
        print(f"bench_ui: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench_ui: interrupted.", file=sys.stderr)
        return 130
    finally:
        bench.close()
        left = bench.leftovers()
        if left:
            print(f"bench_ui: processes still running after clean-up: {left}", file=sys.stderr)
    if args.echo_only:
        report_echo(echo)
    else:
        report(args, start, imports, breakdown, echo, mem, bench.notes)
    return 0


def report_echo(echo: dict) -> None:
    """The key-echo phase alone (--echo-only), for trying a change to the streaming path quickly."""
    print(echo_count(echo))
    for label, values in (("while streaming", echo["during"]), ("idle before", echo["idle_before"]),
                          ("idle after", echo["idle_after"])):
        median, low, high = stats(values, fmt_ms)
        print(f"key echo {label:<16} median {median:>9}  min {low:>9}  max {high:>9}")
    worst = max(echo["during"]) * 1000 if echo["during"] else float("inf")
    print(f"worst while streaming < {TARGET_ECHO_MS:.0f} ms: {verdict(worst < TARGET_ECHO_MS)}; "
          f"app CPU {echo['cpu'] * 100:.0f} %")


if __name__ == "__main__":
    sys.exit(main())
