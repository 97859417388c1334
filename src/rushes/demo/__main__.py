"""``python -m rushes.demo OUT_DIR``: write a synthetic day of dailies and its ``truth.json``."""

from __future__ import annotations

import argparse
import sys
import time
from fractions import Fraction
from pathlib import Path

from rushes.demo.reel import generate_reel
from rushes.errors import RushesError
from rushes.timecode import parse_rate


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, generate the reel, print a one-line summary per file."""
    parser = argparse.ArgumentParser(
        prog="python -m rushes.demo",
        description="Generate synthetic camera files (slates, claps, 'action'/'cut') with ground truth.",
    )
    parser.add_argument("out_dir", type=Path, help="folder to write the media files and truth.json into")
    parser.add_argument("--files", type=int, default=2, help="number of camera files (default 2)")
    parser.add_argument("--takes", type=int, default=2, help="takes per file (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--fps", type=parse_rate, default=Fraction(24),
                        help="frame rate, e.g. 24, 25, 24000/1001 or 23.976")
    parser.add_argument("--segment-seconds", type=float, default=None,
                        help="scale the take layout: setup = s, action-to-cut = 2 s")
    parser.add_argument("--snr", type=float, default=None, dest="snr_db",
                        help="distant director: speech this many dB above a noise bed")
    parser.add_argument("--confusers", action="store_true", help="add near-miss dialogue inside takes")
    parser.add_argument("--set-calls", action="store_true", help="add 'rolling', 'speed', 'mark', 'reset'")
    parser.add_argument("--container", choices=("mp4", "mov"), default="mp4")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    try:
        truth = generate_reel(
            args.out_dir,
            files=args.files,
            takes_per_file=args.takes,
            seed=args.seed,
            width=args.width,
            height=args.height,
            fps=args.fps,
            director_snr_db=args.snr_db,
            segment_seconds=args.segment_seconds,
            confusers=args.confusers,
            set_calls=args.set_calls,
            container=args.container,
            progress=lambda msg: print(msg, file=sys.stderr),
        )
    except (RushesError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return int(getattr(exc, "exit_code", 2))
    for name, f in truth.files.items():
        takes = ", ".join(f"{t.scene}/{t.take}" for t in f.takes)
        print(f"{args.out_dir / name}  {f.duration:.2f}s  roll {f.roll}  takes {takes}")
    print(f"{args.out_dir / 'truth.json'}  ({time.perf_counter() - started:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
