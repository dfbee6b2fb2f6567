"""`addmusic-tui music`: render one piece of the local composer to a WAV file, to listen to a
style without a video (the engine composes the same way for a clip)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from .engine.styles import LABELS, STYLE_KEYS

MAX_SECONDS = 900.0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="addmusic-tui music",
        description="Compose one piece with the local engine and write it as a 48 kHz stereo WAV "
                    "(mastered to -14 LUFS).",
        epilog="styles: " + ", ".join(f"{k} ({v})" for k, v in LABELS.items()))
    parser.add_argument("--style", required=True, choices=STYLE_KEYS, metavar="NAME",
                        help="one of: " + ", ".join(STYLE_KEYS))
    parser.add_argument("--seconds", required=True, type=float, metavar="N", help="length in seconds")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="another seed, another piece (default 0)")
    parser.add_argument("--bpm", type=float, metavar="B", help="tempo (default: the style's own)")
    parser.add_argument("--energy", choices=("calm", "normal", "high", "build"), help="intensity")
    parser.add_argument("--loop", action="store_true",
                        help="a seamless loop: no intro or ending, the last sample flows into the first")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="OUT", help="the .wav to write")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if not 0 < args.seconds <= MAX_SECONDS:
        print(f"--seconds must be more than 0 and at most {MAX_SECONDS:.0f}.", file=sys.stderr)
        return 2
    if args.bpm is not None and not 30 <= args.bpm <= 300:
        print("--bpm must be between 30 and 300.", file=sys.stderr)
        return 2
    out: Path = args.output
    if out.suffix.lower() != ".wav":
        print(f"{out} should end in .wav: this writes a WAV file.", file=sys.stderr)
        return 2
    if out.exists() and not args.overwrite:
        print(f"{out} already exists; choose another name or add --overwrite.", file=sys.stderr)
        return 1
    if not out.parent.is_dir():
        print(f"The folder {out.parent} does not exist.", file=sys.stderr)
        return 1
    from .engine.music import compose, write_wav

    comp = compose(args.seconds, args.style, seed=args.seed, bpm=args.bpm, energy=args.energy, loop=args.loop)
    # write beside the target, then rename: an interrupted run never leaves half a file at OUT
    fd, tmp = tempfile.mkstemp(prefix=".addmusic-", suffix=".wav", dir=out.parent)
    os.close(fd)
    try:
        write_wav(tmp, comp)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    print(f"Wrote {out}: {LABELS[comp.style]}{' loop' if args.loop else ''}, {comp.duration:.1f} s, "
          f"{comp.tempo:g} bpm, {comp.key}.",
          file=sys.stderr)
    return 0
