"""``rushes demo``: generate a synthetic day of dailies and run the main job on it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from rushes.cli.ingest_cmd import print_report
from rushes.cli.main import library_option, run_command
from rushes.cli.progress import IngestProgress

__all__ = ["register"]


def register(cli: click.Group) -> None:
    @cli.command("demo")
    @library_option
    @click.option("--footage", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help="Where to write the generated footage (default: <library>/demo-footage).")
    @click.option("--files", type=click.IntRange(1, 20), default=2, show_default=True)
    @click.option("--takes", type=click.IntRange(1, 10), default=2, show_default=True)
    @click.option("--seed", type=int, default=0, show_default=True)
    @run_command
    def demo(library: Path, footage: Path | None, files: int, takes: int, seed: int) -> None:
        """Make a synthetic dailies reel (slates, spoken action/cut) and ingest it."""
        from rushes.demo import generate_reel
        from rushes.library import Library

        out = footage or (library / "demo-footage")
        click.echo(f"generating {files} file(s) x {takes} take(s) into {out} ...")
        generate_reel(out, files=files, takes_per_file=takes, seed=seed)
        with Library(library) as lib, IngestProgress() as bar:
            report = lib.ingest([out], progress=bar)
            print_report(report.to_dict())
            st = lib.status()
        click.echo(f"library {st['library']}: {st['media']} media, tracks: "
                   + ", ".join(f"{k} ({v})" for k, v in st["tracks"].items()))
        click.echo(f"ground truth: {out / 'truth.json'}")
        sys.exit(int(report.exit_code))
