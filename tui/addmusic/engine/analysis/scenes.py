"""A video's scene cuts, from frame differences on a tiny grey copy decoded with PyAV.

Every frame is decoded (a cut must be found to the frame) with frame threads, and scaled by
libswscale straight to 64×36 grey, so a 1080p clip costs little more than its bare decode. A cut
is a frame whose difference from the previous one is large in absolute terms and several times
the differences on either side of it, so fast motion and camera shake (large but sustained
differences) do not count. The luma histogram distance is mixed in so a cut between two shots of similar layout
but different light still shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

WIDTH, HEIGHT = 64, 36
HIST_BINS = 16
MIN_SCORE = 0.10  # a cut changes at least this much (mean |Δ| of grey 0..1, mixed with histogram)
NEIGHBOUR_RATIO = 3.0  # ...and at least this many times the typical change around it
NEIGHBOURS = 6  # frames each side that define "around it"
MIN_SHOT_S = 0.25  # two cuts closer than this are one (a flash, a glitch)


class SceneError(Exception):
    """A file whose picture cannot be read; the message is a sentence meant for the user."""


@dataclass
class SceneCuts:
    cuts: list[float]  # seconds from the first frame, each the first frame of a new shot
    duration: float  # from the first frame to the end of the last
    fps: float
    frames: int


def detect_cuts(path: str | Path) -> SceneCuts:
    """Scene cuts of the first video stream of ``path``."""
    path = Path(path)
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise SceneError(f"{path.name} could not be opened as a video ({exc.__class__.__name__}).") from None
    with container:
        if not container.streams.video:
            raise SceneError(f"{path.name} has no picture to find cuts in.")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"  # frame threads: the decode is the whole cost
        times: list[float] = []
        scores: list[float] = []
        previous: np.ndarray | None = None
        prev_hist: np.ndarray | None = None
        last_duration = 0.0
        try:
            for frame in container.decode(stream):
                if frame.time is None:
                    continue
                grey = frame.to_ndarray(width=WIDTH, height=HEIGHT, format="gray",
                                        interpolation="AREA").astype(np.float32) / 255.0
                hist = np.bincount(np.minimum((grey * HIST_BINS).astype(np.int64), HIST_BINS - 1).ravel(),
                                   minlength=HIST_BINS) / grey.size
                if previous is not None:
                    pixel = float(np.mean(np.abs(grey - previous)))
                    histogram = 0.5 * float(np.abs(hist - prev_hist).sum())
                    scores.append(0.5 * pixel + 0.5 * histogram)
                else:
                    scores.append(0.0)
                times.append(float(frame.time))
                previous, prev_hist = grey, hist
                if frame.duration and frame.time_base:
                    last_duration = float(frame.duration * frame.time_base)
        except av.error.FFmpegError as exc:
            if not times:
                raise SceneError(f"{path.name}: its picture could not be decoded ({exc}).") from None
        fps = _fps(stream, times)
    if not times:
        return SceneCuts(cuts=[], duration=0.0, fps=fps, frames=0)
    start = times[0]
    rel = np.asarray(times) - start
    cuts = pick_cuts(np.asarray(scores), rel, fps)
    duration = float(rel[-1] + (last_duration or (1.0 / fps if fps else 0.0)))
    return SceneCuts(cuts=cuts, duration=duration, fps=fps, frames=len(times))


def pick_cuts(scores: np.ndarray, times: np.ndarray, fps: float) -> list[float]:
    """The frames whose change score stands out (see the module's note), as times."""
    n = len(scores)
    cuts: list[float] = []
    for i in range(1, n):
        s = scores[i]
        if s < MIN_SCORE:
            continue
        # the busier side: the start or end of sustained motion is not a cut
        before, after = scores[max(1, i - NEIGHBOURS):i], scores[i + 1:i + 1 + NEIGHBOURS]
        typical = max(float(np.median(side)) if len(side) else 0.0 for side in (before, after))
        if s < NEIGHBOUR_RATIO * typical:
            continue
        if i + 1 < n and scores[i + 1] > s:
            continue  # the next frame changes more: the cut is there
        if cuts and times[i] - cuts[-1] < MIN_SHOT_S:
            continue
        cuts.append(round(float(times[i]), 6))
    return cuts


def _fps(stream: av.video.stream.VideoStream, times: list[float]) -> float:
    for rate in (stream.average_rate, stream.guessed_rate):
        if rate and 0 < float(rate) <= 240:
            return float(rate)
    if len(times) > 1:
        return (len(times) - 1) / max(1e-9, times[-1] - times[0])
    return 0.0
