"""The export's sound: the clips' own sound at their level, the music, ducking, and the master.

Usually one ffmpeg run: the mix's loudness is predicted from facts measured where each input
was made (soundfacts.py), so the run mixes, applies one fixed gain and a limiter at the ceiling,
measures the result with ffmpeg's `ebur128` (ITU-R BS.1770, true peak by oversampling) and
encodes AAC; a measurement that missed the target is corrected by another run. Without facts,
two runs: the first mixes to a float WAV and measures it, the second applies the gain (a limiter
only when the measured true peak says the gain would push it over the ceiling) and encodes.
One-pass `loudnorm` would cost about 3 s per minute of sound and changes the gain as it goes.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from addmusic.protocol.draft import Segment

from .graph import AUDIO_FORMAT, SAMPLE_RATE, mix, music_chain, seconds

DEFAULT_LOUDNESS = -14.0
TRUE_PEAK_CEILING_DB = -1.0
# The limiter works on samples at 48 kHz; AAC and the peaks between samples add up to ~0.8 dB on
# hard-limited music, so it holds samples this far below the true-peak ceiling. Some sound gains
# more in AAC (1.4 dB measured on a synthetic clip under drum-less music): the encoded sound's true
# peak is measured when it could be over, and the run repeated with the limiter that much lower.
LIMITER_CEILING_DB = -2.2
# The encoded sound's sample peak is read by the run that encodes it (plan.ENCODED_LOOK); its
# true peak (0.50 s for a minute of AAC) is measured only when the samples come this close
# to the ceiling (peaks between the samples of 48 kHz music after AAC's low-pass stay well under it).
INTERSAMPLE_MARGIN_DB = 0.6
SAMPLE_PEAK_METER = "volumedetect"
_MAX_VOLUME = re.compile(r"max_volume:\s*(-?[\d.]+|-inf) dB")
LOUDNESS_TOLERANCE = 0.2  # LU; the product promises 0.5
LIMIT_CHECKS = 4
MAX_GAIN_DB = 30.0  # a near-silent mix is not blown up into noise
DEFAULT_DUCK_DB = 12.0
METER = "ebur128=peak=true"  # ITU-R BS.1770 integrated loudness and true peak, summary at the end
# The run that encodes meters sample peaks: ebur128's 4x-oversampled true peak runs in the graph's
# one thread and cost 0.7 s of a 2.0 s minute-long export (wall, 2 cores); what counts is the
# encoded sound's peak (AAC moves it), which that run reads too (plan.ENCODED_LOOK).
ONE_PASS_METER = "ebur128=peak=sample"
# One run mixes, masters, measures and encodes when the inputs' loudness is known beforehand
# (soundfacts.py); a run whose measurement misses the target by more than this is done again.
ONE_PASS_TOLERANCE = 0.4  # LU; the product promises 0.5, AAC moves it by a few hundredths
ONE_PASS_TRIES = 5  # loudness corrections, and a lower limiter when AAC went over the ceiling
# Ducking: the clip's own sound, band-limited to voices, opens a gate on a copy of the music that
# is subtracted from it, so the music drops by exactly duck_db while someone speaks.
DUCK_THRESHOLD = 0.02  # -34 dBFS RMS in the voice band
DUCK_ATTACK_MS, DUCK_RELEASE_MS = 20, 250


@dataclass
class Loudness:
    integrated: float  # LUFS
    peak: float  # dBFS: the true peak (dBTP) from METER, the sample peak from ONE_PASS_METER


_SUMMARY_I = re.compile(r"^\s*I:\s+(-?[\d.]+|-inf)\s+LUFS", re.M)
_SUMMARY_PEAK = re.compile(r"^\s*Peak:\s+(-?[\d.]+|-inf)\s+dBFS", re.M)


def parse_ebur128(log: str) -> Loudness | None:
    """The summary ffmpeg's ebur128 filter prints when it ends."""
    summary = log[log.rfind("Summary:"):] if "Summary:" in log else ""
    i, peak = _SUMMARY_I.search(summary), _SUMMARY_PEAK.search(summary)
    if not i or not peak:
        return None
    return Loudness(float(i.group(1)), float(peak.group(1)))


def parse_max_volume(log: str) -> float | None:
    """The sample peak (dBFS) ffmpeg's volumedetect filter prints when it ends."""
    found = _MAX_VOLUME.findall(log)
    return float(found[-1]) if found else None


def master_gain(measured: Loudness | None, target: float) -> tuple[float, bool]:
    """The gain in dB that brings the mix to `target`, and whether a limiter is needed."""
    if measured is None or not math.isfinite(measured.integrated) or measured.integrated < -69:
        return 0.0, False  # silence stays silence
    gain = min(MAX_GAIN_DB, target - measured.integrated)
    return gain, measured.peak + gain > LIMITER_CEILING_DB


def master_filter(gain_db: float, limit: bool, ceiling_db: float = LIMITER_CEILING_DB) -> str:
    chain = [f"volume={gain_db:.2f}dB"]
    if limit:
        ceiling = 10 ** (ceiling_db / 20)
        chain.append(f"alimiter=limit={ceiling:.4f}:attack=5:release=80:level=0:latency=1")
    chain.append(AUDIO_FORMAT)
    return ",".join(chain)


def duck_depth(seg: Segment) -> float:
    try:
        depth = float(seg.extra.get("duck_db", DEFAULT_DUCK_DB))
    except (TypeError, ValueError):
        depth = DEFAULT_DUCK_DB
    return min(40.0, max(1.0, depth)) if math.isfinite(depth) else DEFAULT_DUCK_DB


def _duck(music: str, sidechain: str, depth_db: float, tag: str) -> list[str]:
    keep = 1 - 10 ** (-depth_db / 20)
    return [
        f"{music}asplit=2[dry{tag}][wet{tag}]",
        # the gate's detector sticks open on digital silence: a -94 dBFS noise floor keeps it sane
        f"{sidechain}highpass=f=200,lowpass=f=4000[band{tag}]",
        f"anoisesrc=r={SAMPLE_RATE}:a=0.00002:c=white[floor{tag}]",
        f"[band{tag}][floor{tag}]amix=inputs=2:duration=first:normalize=0[voice{tag}]",
        f"[wet{tag}][voice{tag}]sidechaingate=threshold={DUCK_THRESHOLD}:ratio=9000:range=0.001:"
        f"attack={DUCK_ATTACK_MS}:release={DUCK_RELEASE_MS}:knee=1[gated{tag}]",
        f"[gated{tag}]volume={-keep:.4f}[neg{tag}]",
        f"[dry{tag}][neg{tag}]amix=inputs=2:duration=first:normalize=0[ducked{tag}]",
    ]


def mix_graph(clip: str | None, music: list[tuple[str, Segment]], end_ms: int) -> tuple[list[str], str]:
    """Music under the clips' own sound (which stays at its level), ducked ones lowered while the
    clip's sound is loud, everything padded to the timeline and measured: label of the result."""
    chains: list[str] = []
    pad = f"apad=whole_dur={seconds(end_ms)}"
    finals: list[str] = []
    ducked = [i for i, (_, seg) in enumerate(music) if seg.duck and clip is not None]
    plain = [f"[m{i}]" for i in range(len(music)) if i not in ducked]
    for i, (src, seg) in enumerate(music):
        chains.append(music_chain(src, seg, str(i)))
    if clip is not None:
        if ducked:
            sidechains = "".join(f"[sc{i}]" for i in ducked)
            chains.append(f"{clip}{pad},asplit={1 + len(ducked)}[orig]{sidechains}")
            finals.append("[orig]")
        else:
            finals.append(clip)
    for i in ducked:
        chains.append(f"[m{i}]{pad}[mp{i}]")
        chains += _duck(f"[mp{i}]", f"[sc{i}]", duck_depth(music[i][1]), str(i))
        finals.append(f"[ducked{i}]")
    if plain:
        chains.append(mix(plain, "mplain"))
        finals.append("[mplain]")
    if not finals:
        chains.append(f"anullsrc=r={SAMPLE_RATE}:cl=stereo,atrim=duration={seconds(end_ms)}[silence]")
        finals.append("[silence]")
    chains.append(mix(finals, "mixed"))
    chains.append(f"[mixed]{pad},atrim=duration={seconds(end_ms)},{AUDIO_FORMAT},{METER}[aout]")
    return chains, "[aout]"


def mastered_graph(mix_graph_text: str, gain_db: float, ceiling_db: float = LIMITER_CEILING_DB) -> str:
    """The mix graph with the master (gain and limiter) before its meter: mixed, mastered and
    measured (loudness and sample peak) in the run that encodes it."""
    tail = f"{METER}[aout]"
    if not mix_graph_text.endswith(tail):
        raise ValueError("the mix graph does not end in its meter")
    return f"{mix_graph_text[:-len(tail)]}{master_filter(gain_db, True, ceiling_db)},{ONE_PASS_METER}[aout]"
