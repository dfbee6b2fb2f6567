"""Decoding a file's audio to a numpy array with PyAV, at the rate and layout the caller needs.

The beat analysis wants mono at a low rate (a few MB for a long song); the song fitter wants the
song at the output rate in stereo. Both go through here so a file PyAV cannot read fails in one
place with one sentence.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np


class AudioDecodeError(Exception):
    """A file without usable audio; the message is a sentence meant for the user."""


def decode_audio(path: str | Path, rate: int, channels: int = 1, *, max_seconds: float | None = None) -> np.ndarray:
    """The first audio stream of ``path`` as float32, shape (n,) for mono or (n, channels).

    Resampling and downmixing are done by libswresample inside PyAV, so the array is built once at
    its final size. ``max_seconds`` stops early (a probe of a very long file).
    """
    layout = {1: "mono", 2: "stereo"}.get(channels)
    if layout is None:
        raise ValueError("channels must be 1 or 2")
    path = Path(path)
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise AudioDecodeError(f"{path.name} could not be opened as media ({exc.__class__.__name__}).") from None
    with container:
        if not container.streams.audio:
            raise AudioDecodeError(f"{path.name} has no sound to use as music.")
        stream = container.streams.audio[0]
        stream.thread_type = "AUTO"
        resampler = av.AudioResampler(format="flt", layout=layout, rate=rate)
        limit = None if max_seconds is None else int(max_seconds * rate)
        chunks: list[np.ndarray] = []
        got = 0
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1, channels))
                    got += chunks[-1].shape[0]
                if limit is not None and got >= limit:
                    break
            else:
                for out in resampler.resample(None):
                    chunks.append(out.to_ndarray().reshape(-1, channels))
        except av.error.FFmpegError as exc:
            if not chunks:
                raise AudioDecodeError(f"{path.name}: its sound could not be decoded ({exc}).") from None
            # a damaged tail: keep what decoded, the caller sees the shorter length
    data = np.concatenate(chunks) if chunks else np.zeros((0, channels), np.float32)
    if limit is not None:
        data = data[:limit]
    data = np.ascontiguousarray(data, dtype=np.float32)
    return data[:, 0].copy() if channels == 1 else data
