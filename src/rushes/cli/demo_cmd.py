"""``rushes demo``: generate a synthetic day of dailies and run the main job (triage) on it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from rushes.cli.main import library_option, run_command
from rushes.cli.progress import IngestProgress

__all__ = ["register"]


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def register(cli: click.Group) -> None:
    @cli.command("demo")
    @library_option
    @click.option("--footage", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help="Where to write the generated footage (default: <library>/demo-footage).")
    @click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help="Report folder (default: <library>/reports/demo).")
    @click.option("--files", type=click.IntRange(1, 20), default=2, show_default=True)
    @click.option("--takes", type=click.IntRange(1, 10), default=2, show_default=True)
    @click.option("--seed", type=int, default=0, show_default=True)
    @click.option("--snr", "snr_db", type=click.FloatRange(0, 60), default=None,
                  help="Put the director this many dB above the noise, with reverb (default: clean speech).")
    @click.option("--triage-only", is_flag=True, help="Run only the triage analyzers (not shots, levels, ...).")
    @click.option("--no-progress", is_flag=True, help="No progress bars.")
    @run_command
    def demo(library: Path, footage: Path | None, out_dir: Path | None, files: int, takes: int, seed: int,
             snr_db: float | None, triage_only: bool, no_progress: bool) -> None:
        """Make a synthetic day of dailies and triage it, scored against its ground truth.

        Generates camera files with rendered slates, a spoken "action"/"cut" per take and
        set-up/reset between takes (exact truth in truth.json), runs ``rushes triage`` on them
        (with the library's default analyzers too, unless --triage-only), writes the report
        (report.json, takes.csv, report.html, OTIO/EDL/Audacity exports) and prints how well
        the takes were found. Exit code 1 when some file failed.
        """
        from rushes.cli.triage_cmd import print_triage_report
        from rushes.demo import generate_reel
        from rushes.library import Library
        from rushes.triage.evaluate import evaluate, load_truth
        from rushes.triage.report import write_outputs
        from rushes.triage.run import triage

        footage_dir = footage or (library / "demo-footage")
        report_dir = out_dir or (library / "reports" / "demo")
        click.echo(f"generating {files} file(s) x {takes} take(s) into {footage_dir} ...")
        generate_reel(footage_dir, files=files, takes_per_file=takes, seed=seed, director_snr_db=snr_db)
        with Library(library) as lib, IngestProgress(enabled=not no_progress) as bar:
            report = triage(footage_dir, lib, with_defaults=not triage_only, progress=bar)
            st = lib.status()
        written_report, written, warnings = write_outputs(report, report_dir, exports=("otio", "edl", "audacity"))
        print_triage_report(written_report, written, warnings)
        scores = evaluate(report, load_truth(footage_dir / "truth.json"))
        ev = scores["events"]
        click.echo(f"against the generated truth: archive precision {_num(scores['archive_precision'])}, "
                   f"recall {_num(scores['archive_recall'])}; action recall {_num(ev['action']['recall'])}, "
                   f"cut recall {_num(ev['cut']['recall'])}; takes found "
                   f"{scores['takes']['matched']}/{scores['takes']['truth']}")
        click.echo(f"library {st['library']}: {st['media']} media, tracks: "
                   + ", ".join(f"{k} ({v})" for k, v in st["tracks"].items()))
        click.echo(f"ground truth: {footage_dir / 'truth.json'}")
        click.echo(f"open {report_dir / 'report.html'} in a browser")
        sys.exit(int(report["job"]["exit_code"]))
