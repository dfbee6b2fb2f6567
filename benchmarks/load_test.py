"""Load on the local engine: 4 clients (4 users) submit 20 renders at once over loopback.

Run: python benchmarks/load_test.py [--clients 4] [--renders 20] [--keep DIR]

Reports, from one run:
- the baseline: one render of the same draft alone on the same engine (seconds);
- wall time for all renders and throughput (renders a minute), against 20 x the baseline;
- peak memory: the engine's own peak RSS (VmHWM) and the highest sampled RSS of the engine with
  its ffmpeg children;
- nothing lost: every render completed, every credit settled (none left frozen), and every output
  decodes in full with no libav error and the planned duration.
Not a test: timings depend on the machine and its load (a shared 2-core box gives noisy numbers).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import av.logging

from addmusic.client.api import ApiClient
from addmusic.client.chat import chat_turn
from addmusic.client.launcher import LOCAL_ENGINE_KEY
from addmusic.config import Folders, Settings
from addmusic.protocol.draft import TEXT, Segment, Track
from addmusic.protocol.local import read_lock
from addmusic.sample import make_sample


def start_engine(data_dir: Path, log: Path) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([sys.executable, "-m", "addmusic.engine", "--data-dir", str(data_dir)],
                               stdout=log.open("wb"), stderr=subprocess.STDOUT,
                               env={**os.environ, "ADDMUSIC_ENGINE_IDLE_S": "3600"})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        info = read_lock(data_dir)
        if info and info.get("pid") == process.pid:
            return process, f"http://127.0.0.1:{info['port']}"
        time.sleep(0.05)
    raise SystemExit("the engine did not start")


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


async def sample_memory(pid: int, stop: asyncio.Event, peak: list[int]) -> None:
    while not stop.is_set():
        total = rss_kib(pid) + sum(rss_kib(c) for c in children(pid))
        peak[0] = max(peak[0], total)
        await asyncio.sleep(0.2)


def decodes(path: Path) -> tuple[bool, float, int]:
    """(decoded without error, seconds of picture, libav errors)."""
    av.logging.set_level(av.logging.ERROR)
    end, failed = 0.0, False
    with av.logging.Capture() as logs, av.open(str(path)) as container:
        try:
            for frame in container.decode(video=0, audio=0):
                if frame.time is not None and isinstance(frame, av.VideoFrame):
                    end = max(end, float(frame.time))
        except av.FFmpegError:
            failed = True
    return not failed and not logs, end, len(logs)


async def prepare(url: str, home: Path, clip: Path) -> tuple[ApiClient, object]:
    folders = Folders(home / "config", home / "data", home / "cache", home / "log")
    client = ApiClient(url, Settings(folders=folders, api_url=url, render_poll_s=0.25),
                       account_key=LOCAL_ENGINE_KEY)
    await client.new_session()
    await client.upload(clip)
    async for _ in chat_turn(client, "add upbeat background music at 30%"):
        pass
    draft = (await client.state()).draft
    # a title forces the slow path (the picture re-encoded), as most real edits do
    draft.tracks.append(Track(type=TEXT, segments=[Segment(id="t", text="Load test", duration=2000)]))
    return client, draft


async def render_one(client: ApiClient, draft: object, dest: Path) -> tuple[str, Path | None]:
    job = await client.submit_render(draft)  # type: ignore[arg-type]
    status = await client.wait_render(job.job_id)
    if status.status != "completed" or not status.url:
        return status.error or status.status, None
    return "completed", await client.download(status.url, dest)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--renders", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=6.0, help="clip length")
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="load-test-"))
    folder.mkdir(parents=True, exist_ok=True)
    clip = make_sample(folder / "clip.mp4", args.seconds, width=640, height=360)
    engine, url = start_engine(folder / "engine", folder / "engine.log")
    try:
        clients = [await prepare(url, folder / f"home{i}", clip) for i in range(args.clients)]
        start_credits = [(await c.credits()).available for c, _ in clients]

        t0 = time.perf_counter()
        outcome, _ = await render_one(clients[0][0], clients[0][1], folder / "baseline.mp4")
        baseline = time.perf_counter() - t0
        assert outcome == "completed", outcome

        stop, peak = asyncio.Event(), [0]
        sampler = asyncio.create_task(sample_memory(engine.pid, stop, peak))
        t0 = time.perf_counter()
        jobs = [render_one(*clients[n % args.clients], folder / f"out{n:02d}.mp4") for n in range(args.renders)]
        results = await asyncio.gather(*jobs, return_exceptions=True)
        wall = time.perf_counter() - t0
        stop.set()
        await sampler

        completed = [r[1] for r in results if isinstance(r, tuple) and r[1] is not None]
        problems = [r if isinstance(r, BaseException) else r[0] for r in results
                    if not (isinstance(r, tuple) and r[1] is not None)]
        decoded = [decodes(p) for p in completed]
        clean = sum(1 for ok, end, _ in decoded if ok and end >= args.seconds - 0.2)
        frozen = [(await c.credits()).frozen for c, _ in clients]
        spent = [s - (await c.credits()).available for s, (c, _) in zip(start_credits, clients, strict=True)]
        engine_peak = peak_kib(engine.pid)
        for client, _ in clients:
            await client.aclose()
    finally:
        engine.terminate()
        engine.wait(timeout=15)

    print(f"machine: {os.cpu_count()} CPUs (shared with other work: timings are noisy)")
    print(f"baseline: one {args.seconds:g} s render alone: {baseline:.2f} s")
    print(f"load: {args.renders} renders from {args.clients} clients at once: {wall:.2f} s wall "
          f"({args.renders / wall * 60:.1f} renders/min; {args.renders} x baseline = {args.renders * baseline:.1f} s)")
    print(f"memory: engine peak RSS {engine_peak / 1024:.0f} MiB; engine + ffmpeg highest sampled RSS "
          f"{peak[0] / 1024:.0f} MiB")
    print(f"completed: {len(completed)}/{args.renders}; decode cleanly to full length: {clean}/{len(completed)}")
    print(f"credits: frozen after the run {frozen} (want all 0); spent per client {spent}")
    if problems:
        print("problems:", *problems, sep="\n  ")
    lost = args.renders - len(completed)
    sys.exit(0 if lost == 0 and clean == len(completed) and not any(frozen) else 1)


if __name__ == "__main__":
    asyncio.run(main())
