"""The `addmusic-tui` command: the app (default), `run`, `credits`, `collect`, `engine`, `music`.

Exit codes: 0 success, 1 failure (one line on stderr says why), 2 bad usage, 130 Ctrl+C.
Reply text goes to stdout as it streams; notices and progress go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import Any, TextIO

from . import __version__
from .config import CLOUD_URL, Settings, load_settings

SUBCOMMANDS = ("run", "credits", "collect", "engine", "music")


class Interrupted(Exception):
    pass


# --- argument parsing ------------------------------------------------------------------------


def _backend_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--api-url", metavar="URL", help="speak to this API server instead of the local engine")
    group.add_argument("--cloud", action="store_true", help=f"use the NemoVideo cloud ({CLOUD_URL})")
    parser.add_argument("--language", metavar="CODE", help="reply language for new sessions (e.g. en, zh)")
    parser.add_argument("--debug", action="store_true", help="write a debug log (tokens redacted)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="addmusic-tui",
        description="Add music to video clips by typing what you want. Runs offline on a local engine by "
                    "default; --cloud uses NemoVideo.",
        epilog="commands: run (headless job), credits (print balance), collect (save renders left "
               "running), engine (run the local engine in the foreground), music (render one piece of "
               "music to a WAV). `addmusic-tui COMMAND --help`.",
    )
    parser.add_argument("--version", action="version", version=f"addmusic-tui {__version__}")
    _backend_options(parser)
    parser.add_argument("--sample", action="store_true", help="start with a generated sample clip")
    parser.add_argument("files", nargs="*", type=Path, metavar="FILE", help="clips to upload at start")
    return parser


# `run` exits with this when some instruction was not understood (after doing the rest), so
# scripts notice; --keep-going keeps 0.
NOT_UNDERSTOOD_EXIT = 3


def build_subparser(command: str) -> argparse.ArgumentParser:
    if command == "run":
        parser = argparse.ArgumentParser(
            prog="addmusic-tui run",
            description="Upload clips, send each message in turn, and optionally export the result.",
            epilog="Exit codes: 0 done; 1 a request or export failed; 2 bad arguments; "
                   f"{NOT_UNDERSTOOD_EXIT} a message was not (fully) understood — the rest was done and exported "
                   "(--keep-going: 0); 130 interrupted.")
        _backend_options(parser)
        parser.add_argument("files", nargs="*", type=Path, metavar="FILE")
        parser.add_argument("-m", "--message", action="append", required=True, metavar="TEXT",
                            help="what you want, e.g. \"add background music at 30%%\" (repeatable)")
        parser.add_argument("-o", "--output", type=Path, metavar="OUT",
                            help="export to this MP4 (with --each: a folder)")
        parser.add_argument("--each", action="store_true",
                            help="batch: every FILE gets its own session, the same messages and its own render")
        parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")
        parser.add_argument("--sample", action="store_true", help="use a generated sample clip as FILE")
        parser.add_argument("--preview", action="store_true", help="export a quick low-resolution preview")
        parser.add_argument("--no-smart", dest="smart", action="store_false",
                            help="re-encode the whole picture (default: smart rendering re-encodes only the "
                                 "stretches a title or a cut changes and copies the rest)")
        parser.add_argument("--keep-going", action="store_true",
                            help=f"exit 0 even when a message was not understood (default: exit {NOT_UNDERSTOOD_EXIT})")
        return parser
    if command == "engine":
        parser = argparse.ArgumentParser(prog="addmusic-tui engine",
                                         description="Run the local engine in the foreground.")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--debug", action="store_true")
        return parser
    parser = argparse.ArgumentParser(
        prog=f"addmusic-tui {command}",
        description={"credits": "Print the credit balance and exit.",
                     "collect": "Save renders that an earlier run left running."}[command])
    _backend_options(parser)
    return parser


# --- shared set-up -----------------------------------------------------------------------------


def apply_options(settings: Settings, args: argparse.Namespace) -> None:
    if getattr(args, "cloud", False):
        settings.api_url = CLOUD_URL
    elif getattr(args, "api_url", None):
        settings.api_url = args.api_url
    if getattr(args, "language", None):
        settings.language = args.language


def setup_logging(settings: Settings, args: argparse.Namespace, name: str) -> None:
    if getattr(args, "debug", False):
        from .logs import setup_debug_log

        path = setup_debug_log(settings.folders.log, name)
        print(f"Debug log: {path}", file=sys.stderr)


async def open_client(settings: Settings) -> Any:
    from .client.api import ApiClient
    from .client.launcher import LOCAL_ENGINE_KEY, ensure_engine

    if settings.api_url:
        return ApiClient(settings.api_url, settings)
    return ApiClient(await ensure_engine(settings.folders.engine), settings, account_key=LOCAL_ENGINE_KEY)


def sample_clip(settings: Settings) -> Path:
    from .sample import make_sample

    path = settings.folders.cache / "sample.mp4"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        make_sample(path)
    return path


class Reporter:
    """Progress and notices on stderr: a live line on a terminal, a few lines in a log."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self.last: tuple[str, int] = ("", -1)

    def progress(self, label: str, pct: float) -> None:
        step = int(pct) if self.live else int(pct // 25) * 25
        if (label, step) == self.last:
            return
        self.last = (label, step)
        if self.live:
            end = "\n" if pct >= 100 else ""
            self.stream.write(f"\r{label} {pct:5.1f}%{end}")
        else:
            self.stream.write(f"{label} {step}%\n")
        self.stream.flush()

    def note(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()


# --- commands ------------------------------------------------------------------------------------


async def cmd_credits(settings: Settings) -> int:
    client = await open_client(settings)
    try:
        balance = await client.credits()
    finally:
        await client.aclose()
    print(f"Credits: {balance.available:,} available · {balance.frozen:,} frozen · {balance.total:,} total")
    return 0


async def cmd_collect(settings: Settings) -> int:
    from .client.exports import collect_pending

    client = await open_client(settings)
    reporter = Reporter(sys.stderr)
    try:
        results = await collect_pending(client, reporter.progress)
    finally:
        await client.aclose()
    if not results:
        print("Nothing to collect: no renders are pending.")
        return 0
    failed = 0
    for item, outcome in results:
        if isinstance(outcome, Path):
            print(outcome)
        else:
            failed += 1
            print(f"{item.job_id}: {outcome}", file=sys.stderr)
    return 1 if failed else 0


async def run_one(client: Any, files: list[Path], messages: list[str], output: Path | None, *,
                  overwrite: bool, quality: str, reporter: Reporter, out: TextIO, state: dict,
                  smart: bool = True) -> Path | None:
    """One session: upload, chat, export. Raises ApiError with a sentence for the user."""
    from .client.chat import EditApplied, StillWorking, TextDelta, TurnDone, TurnFailed, chat_turn
    from .client.exports import ExportHandle, export
    from .protocol.errors import ApiError

    await client.new_session()
    for path in files:
        uploaded = await client.upload(path, lambda p, n=path.name: reporter.progress(f"Uploading {n}", p))
        reporter.note(f"Uploaded {uploaded.filename}")
    before = (await client.state()).draft
    for message in messages:
        failed = ""
        async for event in chat_turn(client, message, before):
            if isinstance(event, TextDelta):
                out.write(event.text)
                out.flush()
            elif isinstance(event, EditApplied):
                reporter.note(f"  {event.line}")
            elif isinstance(event, StillWorking):
                reporter.note("⏳ Still working...")
            elif isinstance(event, TurnFailed):
                failed = event.message
            elif isinstance(event, TurnDone):
                if event.unmatched:
                    state.setdefault("unmatched", []).extend(event.unmatched)
                if event.text and not event.text.endswith("\n"):
                    out.write("\n")
                if event.note:
                    reporter.note(event.note)
                if not event.text.strip() or not event.complete:
                    for line in event.changes:
                        reporter.note(f"  {line}")
                if event.state:
                    before = event.state.draft
                    out.write(event.summary + "\n")
                    out.flush()
        if failed:
            raise ApiError(failed)
    if output is None:
        return None
    handle = ExportHandle()
    state["export"] = handle
    path = await export(client, output, quality=quality, overwrite=overwrite, handle=handle, smart=smart,
                        progress=lambda phase, p: reporter.progress(
                            "Rendering" if phase == "render" else "Downloading", p),
                        queued=lambda ahead: reporter.note(
                            f"Queued, {ahead} ahead" if ahead else "Queued, next to render"),
                        planned=lambda plan: reporter.note(plan.line()))
    state.pop("export", None)
    return path


async def cmd_run(settings: Settings, args: argparse.Namespace, state: dict) -> int:
    from .client.files import output_name
    from .protocol.errors import ApiError

    files: list[Path] = list(args.files)
    if args.sample:
        files.insert(0, sample_clip(settings))
    if not files:
        print("addmusic-tui run: give at least one FILE (or --sample)", file=sys.stderr)
        return 2
    quality = "preview" if args.preview else "high"
    jobs: list[tuple[list[Path], Path | None]]
    if args.each:
        if args.output and args.output.exists() and not args.output.is_dir():
            print(f"With --each, -o must be a folder; {args.output} is a file.", file=sys.stderr)
            return 2
        folder = args.output
        jobs = [([f], folder / output_name(f) if folder else None) for f in files]
    else:
        jobs = [(files, args.output)]
    for _, output in jobs:
        if output is not None and output.exists() and not args.overwrite:
            print(f"{output} already exists (use --overwrite to replace it).", file=sys.stderr)
            return 1
    reporter = Reporter(sys.stderr)
    client = await open_client(settings)
    failures = 0
    try:
        for job_files, output in jobs:
            try:
                path = await run_one(client, job_files, args.message, output, overwrite=args.overwrite,
                                     quality=quality, reporter=reporter, out=sys.stdout, state=state,
                                     smart=args.smart)
            except ApiError as exc:
                failures += 1
                name = f"{job_files[0].name}: " if args.each else ""
                print(f"{name}{exc}", file=sys.stderr)
                continue
            if path is not None:
                print(path.resolve())
    finally:
        await client.aclose()
    if failures:
        return 1
    not_understood = state.get("unmatched") or []
    if not_understood and not args.keep_going:
        quoted = "; ".join(f"“{u}”" for u in not_understood)
        print(f"Not understood (nothing was done for it): {quoted}. Exit {NOT_UNDERSTOOD_EXIT}; "
              "--keep-going exits 0.", file=sys.stderr)
        return NOT_UNDERSTOOD_EXIT
    return 0


def cmd_engine(args: argparse.Namespace, settings: Settings) -> int:
    from .engine.lifecycle import run

    setup_logging(settings, args, "engine")
    return run(settings.folders.engine, args.host, args.port)


def _run_async(coro_factory: Any, state: dict | None = None) -> int:
    """Run a command; the first Ctrl+C during a render says how to collect it, the second exits."""
    state = state if state is not None else {}

    async def main() -> int:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        presses = 0

        def on_sigint() -> None:
            nonlocal presses
            presses += 1
            handle = state.get("export")
            if presses == 1 and handle is not None and handle.job_id:
                if handle.phase == "download":
                    print(f"\nThe render is done; stopping now leaves it on the engine, and `addmusic-tui "
                          f"collect` saves it to {handle.dest}. Press Ctrl+C again to stop the download.",
                          file=sys.stderr)
                else:
                    print(f"\nThe render goes on in the engine. Collect it later with `addmusic-tui collect` "
                          f"(saves to {handle.dest}). Press Ctrl+C again to stop waiting.", file=sys.stderr)
                return
            assert task is not None
            task.cancel()

        loop.add_signal_handler(signal.SIGINT, on_sigint)
        try:
            return await coro_factory(state)
        except asyncio.CancelledError:
            raise Interrupted() from None
        finally:
            loop.remove_signal_handler(signal.SIGINT)

    try:
        return asyncio.run(main())
    except (Interrupted, KeyboardInterrupt):
        print("Interrupted.", file=sys.stderr)
        return 130


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    settings = load_settings()
    if argv and argv[0] in SUBCOMMANDS:
        for problem in settings.problems:  # the app says these in its chat
            print(problem, file=sys.stderr)
        command = argv.pop(0)
        if command == "music":
            from .music_cli import main as music_main

            return music_main(argv)
        args = build_subparser(command).parse_args(argv)
        if command == "engine":
            return cmd_engine(args, settings)
        apply_options(settings, args)
        setup_logging(settings, args, command)
        from .protocol.errors import ApiError

        try:
            if command == "credits":
                return _run_async(lambda state: cmd_credits(settings))
            if command == "collect":
                return _run_async(lambda state: cmd_collect(settings))
            return _run_async(lambda state: cmd_run(settings, args, state))
        except ApiError as exc:
            print(exc, file=sys.stderr)
            return 1
    args = build_parser().parse_args(argv)
    apply_options(settings, args)
    setup_logging(settings, args, "app")
    return run_app(settings, args)


def run_app(settings: Settings, args: argparse.Namespace) -> int:
    missing = [f for f in args.files if not f.is_file()]
    if missing:
        print(f"{missing[0]} is not a file.", file=sys.stderr)
        return 2
    from .ui.app import AddMusicApp

    AddMusicApp(settings, args.files, sample=args.sample).run()
    return 0


HEADLESS = ("run", "credits", "collect")


def entry() -> None:
    """The `addmusic-tui` command. After a headless command has said everything (its files are
    written and closed, its logs flushed here), the process ends without the interpreter's
    tear-down of every module it loaded: half a second at the end of `run` on a busy machine."""
    code = main()
    if sys.argv[1:2] and sys.argv[1] in HEADLESS:
        import logging
        import os

        logging.shutdown()
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    entry()
