"""Decoding a file's audio to a numpy array with PyAV, at the rate and layout the caller needs.

The beat analysis wants mono at a low rate (a few MB for a long song); the song fitter wants the
song at the output rate in stereo. Both go through here so a file PyAV cannot read fails in one
place with one sentence.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

# sample formats read straight from the decoder's planes: (numpy dtype, planar, scale to ±1)
_DIRECT_FORMATS = {
    "flt": (np.float32, False, 1.0), "fltp": (np.float32, True, 1.0),
    "dbl": (np.float64, False, 1.0), "dblp": (np.float64, True, 1.0),
    "s16": (np.int16, False, 1 / 32768), "s16p": (np.int16, True, 1 / 32768),
    "s32": (np.int32, False, 1 / 2147483648), "s32p": (np.int32, True, 1 / 2147483648),
}


class AudioDecodeError(Exception):
    """A file without usable audio; the message is a sentence meant for the user."""


def _open_audio(path: Path):
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise AudioDecodeError(f"{path.name} could not be opened as media ({exc.__class__.__name__}).") from None
    if not container.streams.audio:
        container.close()
        raise AudioDecodeError(f"{path.name} has no sound to use as music.")
    return container


def decode_mono_native(path: str | Path) -> tuple[np.ndarray, int]:
    """The first audio stream of ``path`` as float32 mono (the channels' mean) at its own rate.

    For the analysis: the decoder's planes are read directly and the channels averaged in numpy,
    a batch of frames at a time, which costs far less than libswresample's per-frame graph on
    1024-sample AAC frames."""
    path = Path(path)
    container = _open_audio(path)
    with container:
        stream = container.streams.audio[0]
        rate = int(stream.codec_context.sample_rate or stream.rate or 48000)
        mono: list[np.ndarray] = []
        batch: list[np.ndarray] = []

        def flush() -> None:
            if batch:
                block = np.concatenate(batch) if len(batch) > 1 else batch[0]
                mono.append(block.mean(axis=1, dtype=np.float32) if block.shape[1] > 1 else block[:, 0])
                batch.clear()

        try:
            for frame in container.decode(stream):
                if batch and batch[-1].shape[1] != frame.layout.nb_channels:
                    flush()  # the layout changed mid-stream
                batch.append(_frame_direct(frame))
                if len(batch) >= 256:
                    flush()
        except av.error.FFmpegError as exc:
            if not batch and not mono:
                raise AudioDecodeError(f"{path.name}: its sound could not be decoded ({exc}).") from None
        flush()
    return (np.concatenate(mono) if mono else np.zeros(0, np.float32)), rate


def _frame_direct(frame: av.AudioFrame) -> np.ndarray:
    """The frame as float32 (n, channels), read from its planes without a resampler."""
    n = frame.samples
    channels = frame.layout.nb_channels
    direct = _DIRECT_FORMATS.get(frame.format.name)
    if direct is None:  # an unusual format: let PyAV convert it
        data = frame.to_ndarray().astype(np.float32)
        return data.reshape(channels, -1).T if frame.format.is_planar else data.reshape(-1, channels)
    dtype, planar, scale = direct
    if planar:
        out = np.empty((n, channels), np.float32)
        for c, plane in enumerate(frame.planes[:channels]):
            out[:, c] = np.frombuffer(plane, dtype, count=n)
    else:
        out = np.frombuffer(frame.planes[0], dtype, count=n * channels).reshape(n, channels).astype(np.float32)
    if scale != 1.0:
        out *= scale
    return out


def decode_audio(path: str | Path, rate: int, channels: int = 1, *, max_seconds: float | None = None) -> np.ndarray:
    """The first audio stream of ``path`` as float32, shape (n,) for mono or (n, channels).

    A stream already at ``rate`` with ``channels`` channels (or any channels, for mono) is read
    straight from the decoder's planes; anything else goes through libswresample inside PyAV.
    ``max_seconds`` stops early (a probe of a very long file).
    """
    layout = {1: "mono", 2: "stereo"}.get(channels)
    if layout is None:
        raise ValueError("channels must be 1 or 2")
    path = Path(path)
    container = _open_audio(path)
    with container:
        stream = container.streams.audio[0]
        stream.thread_type = "AUTO"
        resampler = av.AudioResampler(format="flt", layout=layout, rate=rate)
        limit = None if max_seconds is None else int(max_seconds * rate)
        chunks: list[np.ndarray] = []
        got = 0
        direct: bool | None = None  # decided on the first frame
        try:
            for frame in container.decode(stream):
                if direct is None:
                    direct = frame.sample_rate == rate and (channels == 1 or frame.layout.nb_channels == channels)
                if direct:
                    data = _frame_direct(frame)
                    chunks.append(data.mean(axis=1, keepdims=True) if channels == 1 and data.shape[1] > 1 else data)
                    got += len(data)
                else:
                    for out in resampler.resample(frame):
                        chunks.append(out.to_ndarray().reshape(-1, channels))
                        got += chunks[-1].shape[0]
                if limit is not None and got >= limit:
                    break
            else:
                for out in [] if direct else resampler.resample(None):
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
