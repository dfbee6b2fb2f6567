"""A generated sample "highlight clip": for newcomers without a video at hand, and for tests.

Why generated: no media assets to ship or license, and tests can ask for exactly what they need
(length, size, a digitally silent stretch in which to hear the music). The picture is a few
2-3 s shots of moving ffmpeg sources with hard cuts; the sound is synthetic speech (glottal pulses
through vowel formants, about four syllables a second, word and phrase pauses) so ducking and
speech detection have something realistic to work on.

numpy is imported inside the functions: the TUI imports this module and must start light.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import wave
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

AUDIO_RATE = 48000
_FONT = Path(__file__).parent / "fonts" / "DejaVuSans-Bold.ttf"

# Vowel formants (F1, F2, F3) in Hz for an adult male voice; scaled up for the higher voice.
_VOWELS = ((730, 1090, 2440), (530, 1840, 2480), (270, 2290, 3010), (570, 840, 2410),
           (300, 870, 2240), (660, 1720, 2410), (490, 1350, 1690))
_BANDWIDTHS = (90.0, 110.0, 170.0)


def make_sample(path: str | Path, seconds: float = 10.0, *, width: int = 1280, height: int = 720, fps: int = 30,
                silent: tuple[float, float] | None = None) -> Path:
    """Write an H.264 (yuv420p) + AAC MP4 of ``seconds`` to ``path`` and return the path.

    ``silent=(a, b)`` makes the clip's own audio digitally silent (zeros) from a to b seconds.
    Without it the talk still has a natural pause of a second or two near the middle (room tone
    only), like a real clip where the music can come up.
    """
    import imageio_ffmpeg

    if seconds <= 0:
        raise ValueError("seconds must be positive")
    if width < 16 or height < 16 or width % 2 or height % 2:
        raise ValueError("width and height must be even and at least 16")
    if silent is not None:
        a, b = silent
        if not 0 <= a < b:
            raise ValueError("silent must be (start, end) with 0 <= start < end")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    frames = max(1, round(seconds * fps))
    with tempfile.TemporaryDirectory(prefix="addmusic-sample-") as tmp:
        wav = Path(tmp) / "speech.wav"
        _write_wav(wav, speech(seconds, silent=silent))
        part = out.with_name(out.name + ".part.mp4")
        cmd = [
            imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-i", str(wav),
            "-filter_complex", _video_graph(frames, width, height, fps),
            "-map", "[v]", "-map", "0:a",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "26", "-pix_fmt", "yuv420p",
            "-profile:v", "high", "-g", str(2 * fps),
            "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-ar", str(AUDIO_RATE),
            "-t", f"{seconds:.6f}", "-movflags", "+faststart", str(part),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            part.unlink(missing_ok=True)
            raise RuntimeError(f"ffmpeg could not make the sample clip: {proc.stderr.strip()[-800:]}")
        os.replace(part, out)
    return out


# --------------------------------------------------------------------------------------------
# Picture
# --------------------------------------------------------------------------------------------


def _font_option() -> str:
    """``:fontfile=...`` for drawtext, or "" (no captions) when the font is missing or its path
    holds characters that filter-graph syntax would need escaped at two levels."""
    path = str(_FONT)
    if not _FONT.exists() or any(c in path for c in ":\\',;[]= "):
        return ""
    return f":fontfile={path}"


def _shot_sources(w: int, h: int, fps: int) -> list[str]:
    """Moving sources, rendered at a quarter of the size and scaled up: cheap to generate, and
    smooth pictures keep the H.264 encode (the slow part) quick."""
    sw, sh = max(16, w // 4 // 2 * 2), max(16, h // 4 // 2 * 2)
    return [
        f"gradients=s={sw}x{sh}:r={fps}:n=4:speed=0.04:type=radial:"
        "c0=0xff5e3a:c1=0xff2a68:c2=0x5856d6:c3=0x1ad6fd",
        f"mandelbrot=s={sw}x{sh}:r={fps}:maxiter=160:start_scale=2.5:end_scale=0.05:"
        "start_x=-0.743643887037151:start_y=0.13182590420533,boxblur=1:1",
        f"testsrc2=s={2 * sw}x{2 * sh}:r={fps},hue=h=40*t:s=1.4",
        f"life=s={sw}x{sh}:r={fps}:mold=12:ratio=0.12:life_color=0x39ff14:death_color=0x7b1fa2:"
        "mold_color=0x1a0033,boxblur=2:1",
        f"cellauto=s={sw}x{sh}:r={fps}:rule=30:scroll=1:random_fill_ratio=0.5,format=rgb24,"
        "colorchannelmixer=rr=1:gg=0.55:bb=0.1,boxblur=1:1",
        f"gradients=s={sw}x{sh}:r={fps}:n=3:speed=0.06:type=linear:c0=0x00c9a7:c1=0x005f73:c2=0xffd166",
    ]


def _video_graph(frames: int, w: int, h: int, fps: int) -> str:
    """One filter graph: 2-3 s shots of different sources with a slow push-in, a flash at each
    cut, a small caption, concatenated to exactly ``frames`` frames."""
    shot_frames = int(2.5 * fps)
    n_shots = max(1, round(frames / shot_frames))
    sizes = [frames // n_shots + (1 if i < frames % n_shots else 0) for i in range(n_shots)]
    sources = _shot_sources(w, h, fps)
    font = _font_option()
    parts = []
    for i, n in enumerate(sizes):
        dur = n / fps
        zoom = 1.12
        # a white flash on each cut, but not on the first frame (it may become the thumbnail)
        flash = f",fade=t=in:st=0:d={min(0.2, dur / 4):.3f}:color=white" if i else ""
        caption = (
            f",drawtext=text='MOMENT {i + 1}'{font}:fontsize={max(12, h // 24)}:fontcolor=white@0.85:"
            f"x={w // 24}:y=h-{h // 8}:box=1:boxcolor=black@0.35:boxborderw={max(4, h // 90)}"
            if font else ""
        )
        parts.append(
            f"{sources[i % len(sources)]},trim=end_frame={n},setpts=PTS-STARTPTS,"
            f"scale={int(w * zoom) // 2 * 2}:{int(h * zoom) // 2 * 2}:flags=bilinear,"
            f"crop={w}:{h}:x='(iw-ow)*t/{dur:.4f}':y='(ih-oh)*(0.5+0.5*sin(t))/2',"
            f"setsar=1,format=yuv420p{flash}"
            f"{caption}[s{i}]"
        )
    labels = "".join(f"[s{i}]" for i in range(n_shots))
    return ";".join(parts) + f";{labels}concat=n={n_shots}:v=1:a=0,fps={fps}[v]"


# --------------------------------------------------------------------------------------------
# Sound
# --------------------------------------------------------------------------------------------


def speech(seconds: float, *, silent: tuple[float, float] | None = None, sample_rate: int = AUDIO_RATE,
           seed: int = 7) -> np.ndarray:
    """Speech-like mono float32 audio: two voices taking turns, phrases of words of syllables.

    Each voiced syllable is a glottal pulse train (falling phrase pitch, stressed bumps) shaped
    by three vowel formants in the frequency domain; some syllables start with a fricative or a
    plosive burst. Faint room tone fills the pauses; ``silent`` becomes exact zeros.
    """
    import numpy as np

    sr = sample_rate
    n = round(seconds * sr)
    rng = np.random.default_rng(seed)
    out = np.zeros(n, dtype=np.float64)
    # pauses the talk must leave free: the forced silence, or else one natural pause
    holes: list[tuple[float, float]] = []
    if silent is not None:
        holes.append((max(0.0, silent[0] - 0.15), silent[1] + 0.15))
    elif seconds >= 6:
        start = 0.55 * seconds
        holes.append((start, start + min(2.0, 0.15 * seconds)))
    t = 0.25
    phrase_no = 0
    while t < seconds - 0.5:
        hole = next(((a, b) for a, b in holes if a - 0.4 < t < b), None)
        if hole is not None:
            t = hole[1] + 0.1
            continue
        limit = min([seconds - 0.15] + [a for a, _ in holes if a > t])
        phrase_len = min(float(rng.uniform(1.4, 3.0)), limit - t)
        if phrase_len < 0.35:
            t = limit + 0.05
            continue
        voice_f0 = 118.0 if phrase_no % 2 == 0 else 205.0
        _phrase(out, t, t + phrase_len, voice_f0, sr, rng)
        t += phrase_len + float(rng.uniform(0.3, 0.7))
        phrase_no += 1
    talking = np.abs(out) > 1e-4 * max(float(np.abs(out).max()), 1e-12)
    if talking.any():  # talk at about -21 dBFS RMS, peaks rounded off below full scale
        out *= 0.09 / float(np.sqrt(np.mean(np.square(out[talking]))))
        out = 0.9 * np.tanh(out / 0.9)
    room = np.convolve(rng.standard_normal(n + 31), np.ones(32) / 32.0, mode="valid")[:n] * 0.004
    out += room
    if silent is not None:
        a, b = (min(n, max(0, round(x * sr))) for x in silent)
        ramp = min(a, round(0.005 * sr))
        if ramp:
            out[a - ramp:a] *= np.linspace(1.0, 0.0, ramp)
        out[a:b] = 0.0
        ramp = min(n - b, round(0.005 * sr))
        if ramp:
            out[b:b + ramp] *= np.linspace(0.0, 1.0, ramp)
    return out.astype(np.float32)


def _phrase(out: np.ndarray, start: float, end: float, f0: float, sr: int, rng: np.random.Generator) -> None:
    """Words of 1-3 syllables (~4 syllables/s) with short gaps; pitch falls over the phrase."""
    t = start
    rising = rng.random() < 0.25  # now and then a question
    while t < end - 0.15:
        for _ in range(int(rng.integers(1, 4))):
            dur = float(rng.uniform(0.17, 0.27))
            if t + dur > end:
                break
            pos = (t - start) / max(end - start, 1e-6)
            contour = 1.0 - 0.18 * pos + (0.25 * max(0.0, pos - 0.7) / 0.3 if rising else 0.0)
            stressed = rng.random() < 0.35
            _syllable(out, t, dur, f0 * contour * (1.15 if stressed else 1.0), 1.0 if stressed else 0.7,
                      sr, rng, scale=1.0 if f0 < 160 else 1.17)
            t += dur
        t += float(rng.uniform(0.04, 0.12))  # between words


def _syllable(out: np.ndarray, t: float, dur: float, f0: float, level: float, sr: int,
              rng: np.random.Generator, scale: float) -> None:
    import numpy as np

    i0 = round(t * sr)
    onset = 0
    kind = rng.random()
    if kind < 0.3:  # fricative ("s", "sh", "f")
        onset = int(rng.uniform(0.04, 0.08) * sr)
        noise = np.diff(rng.standard_normal(onset + 1))
        env = np.sin(np.linspace(0, np.pi, onset)) ** 2
        _add(out, i0, _shape(noise * env * 0.12, sr, ((float(rng.uniform(3500, 6500)), 1800.0, 1.0),)))
    elif kind < 0.55:  # plosive burst ("t", "k", "p") and a short closure
        onset = int(0.03 * sr)
        burst = int(0.012 * sr)
        noise = rng.standard_normal(burst) * np.exp(-np.arange(burst) / (0.003 * sr))
        _add(out, i0 + int(0.015 * sr), _shape(noise * 0.3, sr, ((float(rng.uniform(1500, 4000)), 2500.0, 1.0),)))
    m = int(dur * sr) - onset
    if m <= 0:
        return
    tt = np.arange(m) / sr
    f = f0 * (1.0 + 0.06 * np.sin(np.pi * tt / tt[-1])) * (1.0 + 0.004 * rng.standard_normal(m).cumsum() / np.sqrt(m))
    phase = np.cumsum(f / sr)
    p = phase % 1.0
    # Rosenberg glottal pulse (opening 40 %, closing 16 %, closed the rest), differentiated
    flow = np.where(p < 0.4, 0.5 * (1 - np.cos(np.pi * p / 0.4)),
                    np.where(p < 0.56, np.cos(0.5 * np.pi * (p - 0.4) / 0.16), 0.0))
    source = np.diff(flow, prepend=0.0) * f0 / 60.0 + 0.02 * rng.standard_normal(m)  # + breath
    v = _VOWELS[int(rng.integers(len(_VOWELS)))]
    formants = tuple((fr * scale, bw, g) for fr, bw, g in zip(v, _BANDWIDTHS, (1.0, 0.6, 0.3), strict=True))
    env = np.sin(np.pi * (np.arange(m) + 0.5) / m) ** 0.7  # one loudness hump per syllable
    _add(out, i0 + onset, _shape(source * env * level, sr, formants))


def _shape(x: np.ndarray, sr: int, formants: tuple[tuple[float, float, float], ...]) -> np.ndarray:
    """Filter by resonances (centre Hz, bandwidth Hz, gain) in the frequency domain: one FFT per
    syllable is far cheaper than running IIR filters sample by sample in Python."""
    import numpy as np

    nfft = 1 << (len(x) + 512).bit_length()
    spec = np.fft.rfft(x, nfft)
    f = np.fft.rfftfreq(nfft, 1.0 / sr)
    h = np.full(len(f), 0.02)
    for fc, bw, g in formants:
        h += g / (1.0 + ((f - fc) / (bw / 2.0)) ** 2)
    h *= 1.0 / (1.0 + (f / 5000.0) ** 2)  # lips and room take the edge off
    return np.fft.irfft(spec * h, nfft)[: len(x) + 512]


def _add(out: np.ndarray, i0: int, x: np.ndarray) -> None:
    if i0 >= len(out):
        return
    m = min(len(x), len(out) - i0)
    out[i0:i0 + m] += x[:m]


def _write_wav(path: Path, mono: np.ndarray, sample_rate: int = AUDIO_RATE) -> None:
    import numpy as np

    pcm = np.round(np.clip(mono, -1.0, 1.0) * 32767.0).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())
