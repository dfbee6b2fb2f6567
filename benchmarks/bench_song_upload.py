"""What an uploaded song costs the engine: the upload itself (probe + the 120-peak waveform, both
before the upload answers) against the beat analysis that runs after it in the background (cached
next to the file, so once per song), on a 3-minute song in mp3 and m4a; and a turn that reads the
cached analysis.

Run: .venv/bin/python benchmarks/bench_song_upload.py [--repeat 3]

Wall and CPU seconds, best of the repeats; the baseline (probe + waveform, what every upload pays)
is measured in the same run. The machine may be shared: compare within one run only.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tui"))
sys.path.insert(0, str(ROOT / "tests" / "analysis"))

import imageio_ffmpeg  # noqa: E402
from songgen import make_song, write_wav  # noqa: E402

from addmusic.engine.media import audio_peaks, probe  # noqa: E402
from addmusic.engine.songs import song_analysis  # noqa: E402

MINUTES = 3.0
BPM = 120


def timed(fn, repeat: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        best_wall = min(best_wall, time.perf_counter() - w)
        best_cpu = min(best_cpu, time.process_time() - c)
    return best_wall, best_cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bars = int(MINUTES * 60 * BPM / 60 / 4)
        song = make_song(BPM, bars, loud_bars=(bars // 2, bars // 2 + 8), seed=3)
        wav = write_wav(root / "song.wav", song.samples, song.sample_rate)
        files = {}
        for ext, codec in (("mp3", ["-b:a", "192k"]), ("m4a", ["-c:a", "aac", "-b:a", "192k"])):
            files[ext] = root / f"song.{ext}"
            subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(wav), "-ac", "2",
                            "-ar", "44100", *codec, str(files[ext])], check=True)
        print(f"{MINUTES:g}-minute song ({song.duration:.1f} s, {BPM} bpm), best of {args.repeat}; wall / CPU seconds")
        print(f"{'file':6} {'upload: probe+peaks':>22} {'analysis (once)':>18} {'cached read':>13}")
        for ext, path in files.items():
            upload = timed(lambda p=path: (probe(p), audio_peaks(p, 120)), args.repeat)

            def fresh(p: Path = path) -> None:
                p.with_name(p.name + ".beats.json").unlink(missing_ok=True)
                song_analysis(p)

            analysis = timed(fresh, args.repeat)
            cached = timed(lambda p=path: song_analysis(p), args.repeat)
            print(f"{ext:6} {upload[0]:10.3f} / {upload[1]:6.3f}   {analysis[0]:8.3f} / {analysis[1]:6.3f}"
                  f"   {cached[0]:.4f} / {cached[1]:.4f}")
        print("The upload answers after probe+peaks; the analysis runs after it, off the event loop.")


if __name__ == "__main__":
    main()
