"""Running a plan: the sound and the picture side by side, then the file written from the parts.

Every ffmpeg process starts in `spawn_ffmpeg`, so the engine's process policy (children that die
with the engine) lives in one place.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import av

from .. import procs
from . import audio as sound
from . import song, soundfacts
from .encoder import encoder_threads
from .plan import (
    MASTER_SPEED,
    RenderError,
    RenderPlan,
    Step,
    check_step,
    encoded_peak_step,
    master_step,
    one_pass_step,
)
from .smart import SmartError, assemble, split
from .source import index, scan

log = logging.getLogger(__name__)

STDERR_TAIL_LINES = 6
TERMINATE_GRACE_S = 6.0  # x264 flushes its lookahead on SIGTERM: ~2 s for 1080x1920 on a busy machine
ASSEMBLY_SPEED = 300.0  # × real time, to weigh progress


async def spawn_ffmpeg(argv: list[str]) -> asyncio.subprocess.Process:
    """The one place an ffmpeg process is started: it dies with the engine, and is recorded so a
    restarted engine can end an orphan of this one."""
    return await procs.spawn(
        *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


async def _lines(stream: asyncio.StreamReader | None, handle: Callable[[str], None]) -> None:
    """Feed complete lines to `handle`, reading in chunks so an over-long line cannot stall the
    pipe (StreamReader.readline raises on lines above its limit)."""
    if stream is None:
        return
    pending = b""
    while chunk := await stream.read(65536):
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            handle(raw.decode("utf-8", "replace").rstrip("\r"))
        pending = pending[-65536:]
    if pending:
        handle(pending.decode("utf-8", "replace"))


async def _stop(proc: asyncio.subprocess.Process) -> None:
    """SIGTERM lets ffmpeg close its files; SIGKILL if it is still there after the grace time."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), TERMINATE_GRACE_S)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()


async def _stop_draining(proc: asyncio.subprocess.Process, readers: asyncio.Future[Any]) -> None:
    await _stop(proc)
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await asyncio.wait_for(readers, TERMINATE_GRACE_S)  # ffmpeg is gone: its pipes end now


async def _read_to_end(proc: asyncio.subprocess.Process, *pipes: Coroutine[Any, Any, None]) -> int:
    """Read the process's pipes to their end, then its exit code. The pipes are read to their end
    even when cancelled: asyncio pauses a pipe whose reader stopped reading, its end is then never
    seen, and proc.wait() never returns (a cancel that hung for good in the test suite); a
    cancel stops ffmpeg first, and a second cancel must not leave it running."""
    readers = asyncio.gather(*pipes)
    try:
        await asyncio.shield(readers)
        return await proc.wait()
    except asyncio.CancelledError:
        stopper = asyncio.ensure_future(_stop_draining(proc, readers))
        while not stopper.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(stopper)
        raise


async def _run_step(step: Step, ffmpeg: str, report: Callable[[float], None]) -> str:
    """One ffmpeg run, reporting its own 0-1; returns its log when it keeps one (info level)."""
    try:
        proc = await spawn_ffmpeg(step.args(ffmpeg))
    except OSError as exc:
        raise RenderError(f"ffmpeg could not be started: {exc}") from exc
    keep_all = step.log_level != "error"
    lines: list[str] = []
    tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)

    def on_stderr(line: str) -> None:
        if keep_all:
            lines.append(line)
        if line.strip() and (not keep_all or "error" in line.lower()):
            tail.append(line.strip()[:300])

    def on_stdout(line: str) -> None:
        key, _, value = line.partition("=")
        try:
            if step.frames and key == "frame":
                report(min(1.0, int(value) / step.frames))
            elif step.duration_ms and key in ("out_time_us", "out_time_ms"):  # both microseconds
                report(min(1.0, int(value) / (step.duration_ms * 1000)))
        except ValueError:  # "N/A" before the first frame
            pass

    code = await _read_to_end(proc, _lines(proc.stdout, on_stdout), _lines(proc.stderr, on_stderr))
    if code != 0:
        detail = " / ".join(tail) or "no error message"
        raise RenderError(f"Rendering failed (ffmpeg exit code {code}): {detail}")
    report(1.0)
    return "\n".join(lines)


class _Progress:
    """Parallel runs weighed into one 0-100 that never goes back and reaches 100 only at the end."""

    def __init__(self, weights: dict[str, float], sink: Callable[[float], None] | None) -> None:
        self.weights, self.done, self.sink, self.best = weights, dict.fromkeys(weights, 0.0), sink, 0.0

    def part(self, name: str) -> Callable[[float], None]:
        self.weights.setdefault(name, 0.0)  # unplanned runs (loudness checks) weigh nothing
        self.done.setdefault(name, 0.0)

        def report(fraction: float) -> None:
            self.done[name] = max(self.done[name], fraction)
            total = sum(self.weights.values()) or 1.0
            pct = min(99.9, 100 * sum(self.weights[k] * self.done[k] for k in self.weights) / total)
            if pct > self.best + 0.05:
                self.best = pct
                if self.sink is not None:
                    self.sink(round(pct, 1))
        return report


async def run_render(plan: RenderPlan, on_progress: Callable[[float], None] | None = None, *,
                     ffmpeg: str | None = None) -> None:
    """Run the plan, reporting 0-100 (never backwards, 100 only once the file is written).
    Cancelling stops ffmpeg and removes the partial output and the intermediate files."""
    if ffmpeg is None:
        import imageio_ffmpeg  # deferred: finding the binary is not free and only renders need it

        ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    plan.output.parent.mkdir(parents=True, exist_ok=True)
    seconds = plan.duration_ms / 1000
    weights = {"mix": plan.mix.weight, "master": seconds / MASTER_SPEED, "assemble": seconds / ASSEMBLY_SPEED}
    weights |= {s.name: s.weight for s in plan.video}
    if plan.songs:
        weights["songs"] = song.SECONDS_PER_FIT * len(plan.songs)
    whole = whole_copy(plan)
    if whole is not None:
        weights["assemble"] = 0.0  # the sound's run writes the file
    progress = _Progress(weights, on_progress)
    try:
        if whole is None:
            await _together(_sound(plan, ffmpeg, progress), _picture(plan, ffmpeg, progress))
            await asyncio.to_thread(_write, plan)
        elif not await _sound(plan, ffmpeg, progress, picture=whole):  # mastered in two runs: join them
            await asyncio.to_thread(_write, plan)
    except SmartError as exc:  # the parts would not join: the same job as a full re-encode
        log.warning("smart render of %s fell back to a full re-encode: %s", plan.output, exc)
        plan.mode, plan.reason = "encode", f"smart rendering could not join the parts ({exc})"
        plan.video, plan.source, plan.stretches = plan.fallback, None, []
        progress.weights |= {s.name: s.weight for s in plan.video}
        progress.done |= {s.name: 0.0 for s in plan.video}
        try:
            await _picture(plan, ffmpeg, progress)
            await asyncio.to_thread(_write, plan)
        except BaseException:
            _remove(plan.output)
            raise
    except BaseException:
        _remove(plan.output)
        raise
    finally:
        for path in plan.temp_files:
            _remove(path)
    if on_progress is not None:
        on_progress(100.0)


async def _together(*jobs: Coroutine[Any, Any, object]) -> None:
    """Run side by side; when one fails or all are cancelled, stop the others and wait for them,
    so no ffmpeg outlives the render."""
    tasks = [asyncio.ensure_future(job) for job in jobs]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def _sound(plan: RenderPlan, ffmpeg: str, progress: _Progress, *, picture: Path | None = None) -> bool:
    """The sound in one run when its loudness can be predicted (soundfacts.py), checked by the
    meter of the run that encodes it and done again with a corrected gain when it missed; else
    measured first and mastered in a second run. With `picture` (a clip copied whole, see
    `whole_copy`) the one run also copies its picture and writes the output itself: True then."""
    for n, fit in enumerate(plan.songs):  # the user's songs, fitted to the video (cached)
        try:
            await asyncio.to_thread(song.prepare, fit)
        except song.SongError as exc:
            raise RenderError(str(exc)) from exc
        progress.part("songs")((n + 1) / len(plan.songs))
    predicted = await _predict(plan, ffmpeg)
    if predicted is None:
        await _sound_measured_first(plan, ffmpeg, progress)
        return False
    level, peak = predicted
    gain = min(sound.MAX_GAIN_DB, plan.loudness - level) if level > -69 else 0.0
    tried: list[tuple[float, float]] = []
    ceiling = sound.LIMITER_CEILING_DB
    written = plan.output if picture else plan.master

    async def one_run(attempt: int) -> tuple[sound.Loudness, str]:
        report = _both(progress.part("mix"), progress.part("master")) if attempt == 0 \
            else progress.part(f"master {attempt}")  # the first run does the work of both planned ones
        step = one_pass_step(plan, gain, ceiling)
        started = time.perf_counter()
        summary = await _run_step(step if picture is None else with_picture(step, picture, plan.output), ffmpeg,
                                  report)
        measured = sound.parse_ebur128(summary)
        if measured is None:
            raise RenderError("Rendering failed: the sound could not be measured for mastering.")
        log.info("sound predicted %.1f LUFS (peak %.1f dBFS), gain %.1f dB, limiter %.1f dBFS: measured %.1f LUFS, "
                 "%.1f dBFS peak (ffmpeg %.2f s%s)", level, peak, gain, ceiling, measured.integrated, measured.peak,
                 time.perf_counter() - started, ", picture copied" if picture else "")
        return measured, summary

    over: float | None = None  # the last run's encoded peak over the ceiling, once looked at
    for attempt in range(sound.ONE_PASS_TRIES):
        measured, summary = await one_run(attempt)
        over = None
        if level <= -69 or abs(measured.integrated - plan.loudness) <= sound.ONE_PASS_TOLERANCE \
                or gain >= sound.MAX_GAIN_DB:
            over = await _encoded_peak_over(written, summary, ffmpeg)
            if not over:
                return picture is not None
            ceiling -= over + 0.1  # the same loudness, limited that much lower
            continue
        tried.append((gain, measured.integrated))
        if len(tried) > 1 and abs(tried[-1][0] - tried[-2][0]) > 0.05:
            (g0, i0), (g1, i1) = tried[-2], tried[-1]
            slope = min(1.0, max(0.25, (i1 - i0) / (g1 - g0)))
        else:
            slope = 1.0 if measured.integrated < plan.loudness or peak + gain < sound.LIMITER_CEILING_DB else 0.8
        gain = min(sound.MAX_GAIN_DB, gain + (plan.loudness - measured.integrated) / slope)
    log.warning("the sound of %s is %.1f LUFS after %d runs (target %.1f)", plan.output, measured.integrated,
                sound.ONE_PASS_TRIES, plan.loudness)
    if over is None:  # the last run missed the loudness: its peak is not looked at yet
        over = await _encoded_peak_over(written, summary, ffmpeg)
    if over:  # the loudness as it came, but never a file over the true-peak ceiling
        ceiling -= over + 0.1
        await one_run(sound.ONE_PASS_TRIES)
    return picture is not None


def whole_copy(plan: RenderPlan) -> Path | None:
    """The clip whose picture is the output's, every packet of it from the first, unchanged and
    starting the timeline (the plain "add music to my clip" export); None otherwise. Then one
    ffmpeg run can mix the sound and copy the picture (`with_picture`), where joining copied
    and re-encoded stretches needs smart.assemble."""
    source, stretches = plan.source, plan.stretches
    if plan.mode != "copy" or plan.joined != 1 or source is None or not stretches or not source.packets:
        return None
    if any(s.encode or s.source is not source for s in stretches):
        return None
    start = round(source.start_time / source.time_base)  # ffmpeg's timestamps count from here
    first = min(p.pts for p in source.packets)
    if stretches[0].first != first or first != start or stretches[0].shift != first:
        return None  # a trimmed start, a picture that starts after the sound, or a placed clip
    if sum(s.frames for s in stretches) != len(source.packets):
        return None  # a trimmed end
    return source.path


def with_picture(step: Step, clip: Path, output: Path) -> Step:
    """The sound's run writing the output itself: the clip's picture stream copied as it is
    beside the mastered sound. The sound's graph ends it at the timeline's end (atrim), so the
    sound's own `-t` goes, or it could drop a copied frame; the file starts with its index
    (faststart), like smart.assemble's."""
    codec = list(step.codec_args)
    if "-t" in codec:
        at = codec.index("-t")
        del codec[at:at + 2]
    picture = len(step.inputs)
    return dataclasses.replace(
        step, inputs=[*step.inputs, ["-i", str(clip)]],
        maps=[*step.maps, "-map", f"{picture}:v:0"],
        codec_args=["-c:v", "copy", *codec, "-map_metadata", "-1", "-movflags", "+faststart"], output=output)


def _both(*parts: Callable[[float], None]) -> Callable[[float], None]:
    def report(fraction: float) -> None:
        for part in parts:
            part(fraction)
    return report


async def _predict(plan: RenderPlan, ffmpeg: str) -> tuple[float, float] | None:
    """The mix's loudness and peak from the inputs' facts; inputs measured for the first time
    here (one decode each) keep their facts for the next export."""
    facts: dict[Path, soundfacts.Facts] = {}
    for layer in plan.sound_layers:
        if layer.path in facts:
            continue
        known = await asyncio.to_thread(soundfacts.load, layer.path)
        if known is None:
            known = await _measure(layer.path, ffmpeg)
            if known is None:
                return None
        facts[layer.path] = known
    return soundfacts.predict(plan.sound_layers, facts, plan.duration_ms)


async def remember_facts(path: Path, ffmpeg: str | None = None) -> None:
    """Measure an uploaded file's sound for the exports to come (started at upload, in the
    background: the first export then masters in one run too)."""
    if ffmpeg is None:
        import imageio_ffmpeg

        ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    try:
        if await asyncio.to_thread(soundfacts.load, path) is None:
            await _measure(path, ffmpeg)
    except Exception:  # a nicety: the export measures what is missing
        log.warning("the sound of %s could not be measured ahead", path, exc_info=True)


async def remember_picture(path: Path) -> None:
    """Index an uploaded clip for copying and decode its last pictures (the check a copied
    export relies on), in the background at upload: its exports then start at once."""
    from ..verify import OutputInvalid, check_tail

    try:
        await asyncio.to_thread(index, path)
        await asyncio.to_thread(check_tail, path)
    except (OutputInvalid, OSError, ValueError, IndexError, av.FFmpegError):  # the export finds and says it
        log.info("the picture of %s could not be checked ahead", path, exc_info=True)


_measuring: dict[Path, tuple[asyncio.Future[soundfacts.Facts | None], list[int]]] = {}


async def _measure(path: Path, ffmpeg: str) -> soundfacts.Facts | None:
    """One measurement per file at a time: an export waits for the one its upload started. It
    stops (ffmpeg too) when everyone waiting for it was cancelled."""
    if path not in _measuring:
        future = asyncio.ensure_future(_measure_now(path, ffmpeg))
        _measuring[path] = (future, [0])
        future.add_done_callback(lambda _f: _measuring.pop(path, None))
    running, waiting = _measuring[path]
    waiting[0] += 1
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        if waiting[0] == 1 and not running.done():  # nobody else waits for it
            running.cancel()
            with contextlib.suppress(BaseException):
                await running  # its ffmpeg is stopped before the render says it is
        raise
    finally:
        waiting[0] -= 1


async def _measure_now(path: Path, ffmpeg: str) -> soundfacts.Facts | None:
    try:
        proc = await spawn_ffmpeg(soundfacts.decode_command(ffmpeg, path))
    except OSError:
        return None
    builder = soundfacts.Builder()

    async def read_sound() -> None:
        assert proc.stdout is not None
        while chunk := await proc.stdout.read(1 << 22):
            await asyncio.to_thread(builder.feed, chunk)  # numpy work off the event loop

    if await _read_to_end(proc, read_sound(), _lines(proc.stderr, lambda line: None)) != 0:
        return None
    facts = await asyncio.to_thread(builder.finish)
    with contextlib.suppress(OSError):
        await asyncio.to_thread(soundfacts.save, path, facts)
    return facts


async def _sound_measured_first(plan: RenderPlan, ffmpeg: str, progress: _Progress) -> None:
    summary = await _run_step(plan.mix, ffmpeg, progress.part("mix"))
    measured = sound.parse_ebur128(summary)
    if measured is None:
        raise RenderError("Rendering failed: the sound could not be measured for mastering.")
    gain, limit = sound.master_gain(measured, plan.loudness)
    log.info("mix measured %.1f LUFS, %.1f dBTP: gain %.1f dB%s", measured.integrated, measured.peak,
             gain, ", limited" if limit else "")
    # Limiting peaky sound (speech) takes loudness away with the peaks: measure the limited mix
    # and make up the difference by the secant method (loudness against gain), a few quick passes.
    tried: list[tuple[float, float]] = [(gain, measured.integrated + gain)]  # unlimited: 1 dB per dB
    for attempt in range(sound.LIMIT_CHECKS if limit else 0):
        check = await _run_step(check_step(plan, gain), ffmpeg, progress.part(f"check {attempt}"))
        limited = sound.parse_ebur128(check)
        if limited is None or abs(limited.integrated - plan.loudness) <= sound.LOUDNESS_TOLERANCE:
            break
        (g0, i0), (g1, i1) = tried[-1], (gain, limited.integrated)
        slope = (i1 - i0) / (g1 - g0) if abs(g1 - g0) > 0.05 and len(tried) > 1 else 0.6
        tried.append((g1, i1))
        gain = min(sound.MAX_GAIN_DB, gain + (plan.loudness - i1) / min(1.0, max(0.25, slope)))
        log.info("limited mix measured %.1f LUFS: gain now %.1f dB", limited.integrated, gain)
    ceiling = sound.LIMITER_CEILING_DB
    for attempt in range(sound.ONE_PASS_TRIES):
        part = progress.part("master" if attempt == 0 else f"master {attempt}")
        summary = await _run_step(master_step(plan, gain, limit, ceiling), ffmpeg, part)
        over = await _encoded_peak_over(plan.master, summary, ffmpeg)
        if not over:
            return
        limit, ceiling = True, ceiling - over - 0.1
    log.warning("the sound of %s is over the true-peak ceiling after %d runs", plan.output, sound.ONE_PASS_TRIES)


async def _encoded_peak_over(path: Path, summary: str, ffmpeg: str) -> float:
    """How far the encoded sound's true peak is over the ceiling (0 when it is not). AAC can add
    over a decibel to a limited peak: the run that encoded it read the sample peak of its output
    (plan.ENCODED_LOOK); the true peak is measured only when those samples come close enough to
    the ceiling for the peaks between them to pass it."""
    samples = sound.parse_max_volume(summary)  # None if the run did not say: the true peak is measured
    if samples is not None and samples <= sound.TRUE_PEAK_CEILING_DB - sound.INTERSAMPLE_MARGIN_DB:
        return 0.0
    encoded = sound.parse_ebur128(await _run_step(encoded_peak_step(path), ffmpeg, lambda _fraction: None))
    if encoded is None or encoded.peak <= sound.TRUE_PEAK_CEILING_DB:
        return 0.0
    log.info("the encoded sound of %s peaks at %.2f dBTP: limited again, lower", path, encoded.peak)
    return encoded.peak - sound.TRUE_PEAK_CEILING_DB


async def _picture(plan: RenderPlan, ffmpeg: str, progress: _Progress) -> None:
    if plan.mode != "smart":
        for step in plan.video:
            await _run_step(step, ffmpeg, progress.part(step.name))
        return
    # Re-encoded stretches are short (a second or two each): one x264 spreads them badly over the
    # cores (its frame threads wait on a lookahead it never fills) and every run pays its start
    # and its seek, so they run side by side, as many at once as there are cores.
    slots = asyncio.Semaphore(encoder_threads())

    async def part(step: Step) -> None:
        async with slots:
            await _run_step(step, ffmpeg, progress.part(step.name))

    await _together(*(part(step) for step in plan.video))


def _write(plan: RenderPlan) -> None:
    """The output file from the picture (copied and re-encoded stretches) and the sound."""
    if plan.mode == "encode":
        picture = scan(Path(plan.video[0].output))
        first = min(p.pts for p in picture.packets)
        stretches = split(picture.packets, first, 1 << 62, [])
        if any(s.encode for s in stretches):
            raise RenderError("Rendering failed: the re-encoded picture has no keyframe at its start.")
        for s in stretches:
            s.source, s.shift = picture, first
        assemble(stretches, plan.master, plan.output)
    else:
        assemble(plan.stretches, plan.master, plan.output)
