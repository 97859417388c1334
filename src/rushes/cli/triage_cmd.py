"""``rushes triage`` (takes, archive/discard, savings, report, exports) and ``rushes eval triage``."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from rushes.cli.main import eval_group, library_option, print_json, run_command
from rushes.cli.progress import IngestProgress

__all__ = ["print_triage_report", "register"]


def _dur(s: float | None) -> str:
    if s is None:
        return "?"
    m, sec = divmod(round(float(s)), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def print_triage_report(report: dict[str, Any], written: dict[str, list[Path]], warnings: list[str]) -> None:
    from rushes.triage.report import human_bytes, take_label

    for f in report["files"]:
        status = "" if f["status"] == "ok" else f"  [{f['status']}: {f.get('error') or ''}]"
        click.echo(f"{f['name']}: {len(f['takes'])} take(s), {_dur(f['duration_s'])}, discard "
                   f"{100 * float(f['discard_fraction'] or 0):.1f} % ({human_bytes(f['discard_bytes'])}){status}")
        for t in f["takes"]:
            click.echo(f"  {take_label(t):<14} {t['start']:8.2f}-{t['end']:8.2f} s  "
                       f"{t.get('start_tc') or '':<11} {t['start_rule']} -> {t['end_rule']}")
    tot, sav, b = report["totals"], report["savings"], report["benchmark"]
    click.echo(f"day: {tot['files']} file(s), {tot['takes']} take(s), {_dur(tot['duration_s'])} of footage; archive "
               f"{_dur(tot['archive_s'])}, discard {_dur(tot['discard_s'])} "
               f"({100 * float(tot['discard_fraction']):.1f} %, {human_bytes(tot['discard_bytes'])})")
    click.echo(f"storage saved: {sav['discard_tb']:.6f} TB -> {sav['per_month']:.4f} {sav['currency']}/month, "
               f"{sav['per_year']:.4f} {sav['currency']}/year at {sav['cost_per_tb_month']} {sav['currency']}"
               "/TB-month")
    steps = ", ".join(f"{s['analyzer']} {s['wall_s']:.1f} s" for s in b["steps"])
    click.echo(f"time: {b['wall_s']:.1f} s wall ({b['x_realtime']}x realtime; {b['computed_steps']} step(s) "
               f"computed, {b['cached_steps']} cached); steps: {steps}; model calls {b['model_calls']}")
    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    for kind, paths in written.items():
        for p in paths:
            click.echo(f"{kind}: {p}")


def register(cli: click.Group) -> None:
    """Add ``rushes triage`` and ``rushes eval triage``."""

    @cli.command("triage")
    @click.argument("folder", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
    @library_option
    @click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
                  help="Report folder (default: <library>/reports/<folder name>).")
    @click.option("--pad", type=click.FloatRange(0, 600), default=None,
                  help="Seconds kept before and after every take [default: the takes analyzer's pad_s, 3].")
    @click.option("--cost-per-tb-month", type=click.FloatRange(0), default=23.0, show_default=True,
                  help="Storage cost per TB-month (1 TB = 10^12 bytes) of the discarded footage.")
    @click.option("--currency", default="USD", show_default=True)
    @click.option("--export", "exports", default="",
                  help="Comma-separated extra outputs: otio, edl, audacity.")
    @click.option("--with-defaults", is_flag=True, help="Also run the library's default analyzers.")
    @click.option("--workers", "-j", type=click.IntRange(1, 64), help="Parallel files (default: number of cores).")
    @click.option("--force", is_flag=True, help="Recompute even when cached results exist.")
    @click.option("--json", "as_json", is_flag=True, help="Print the report (rushes.triage/1) as JSON.")
    @click.option("--no-progress", is_flag=True, help="No progress bars.")
    @run_command
    def triage_cmd(folder: tuple[Path, ...], library: Path, out_dir: Path | None, pad: float | None,
                   cost_per_tb_month: float, currency: str, exports: str, with_defaults: bool,
                   workers: int | None, force: bool, as_json: bool, no_progress: bool) -> None:
        """Sort a day of dailies into takes to archive and footage to discard.

        FOLDER (files or folders) is ingested with the triage analyzers (slates, set commands,
        claps, takes); the report — takes with scene/roll/take/camera, where "action" and "cut"
        were called, archive/discard ranges, bytes and storage cost saved, per-step time and
        model calls — is written as report.json, takes.csv and a self-contained report.html,
        plus OTIO / EDL subclips and Audacity label tracks with --export. Exit code 1 when
        some file failed.
        """
        from rushes.library import Library
        from rushes.triage.report import parse_exports, write_outputs
        from rushes.triage.run import triage

        kinds = parse_exports(exports)
        out = out_dir or (library / "reports" / (folder[0].absolute().name or "triage"))
        with Library(library) as lib, IngestProgress(enabled=not no_progress and not as_json) as bar:
            report = triage(list(folder), lib, pad_s=pad, cost_per_tb_month=cost_per_tb_month, currency=currency,
                            with_defaults=with_defaults, workers=workers, force=force, progress=bar)
        written_report, written, warnings = write_outputs(report, out, kinds)
        if as_json:
            print_json(written_report)
        else:
            print_triage_report(written_report, written, warnings)
        sys.exit(int(report["job"]["exit_code"]))

    @eval_group.command("triage")
    @click.option("--truth", required=True, type=click.Path(exists=True, path_type=Path),
                  help='Truth JSON {"files": {NAME: {"takes": [...], "events": [...]}}}, an Audacity label '
                       "track NAME.txt, or a folder of them.")
    @click.option("--media", "media_dir", required=True, type=click.Path(exists=True, path_type=Path),
                  help="The media files (a folder or one file).")
    @click.option("--library", "-L", "library", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help="Library to ingest into (default: a temporary one, deleted afterwards).")
    @click.option("--pad", type=click.FloatRange(0, 600), default=None,
                  help="Seconds of padding of predicted and true takes [default: 3].")
    @click.option("--tolerance", type=click.FloatRange(0), default=3.0, show_default=True,
                  help="Event matching tolerance in seconds.")
    @click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
    @click.option("--report", "report_out", type=click.Path(file_okay=False, path_type=Path),
                  help="Also write the triage report folder here.")
    @click.option("--no-progress", is_flag=True, help="No progress bars.")
    @run_command
    def eval_triage(truth: Path, media_dir: Path, library: Path | None, pad: float | None, tolerance: float,
                    as_json: bool, report_out: Path | None, no_progress: bool) -> None:
        """Score triage on media with ground truth: events at ±3 s (slate, action, cut),
        per-second archive precision/recall (truth padded by the same --pad), slate field accuracy."""
        from rushes.library import Library
        from rushes.triage.evaluate import evaluate, load_truth
        from rushes.triage.report import write_outputs
        from rushes.triage.run import triage

        truth_files = load_truth(truth)
        with tempfile.TemporaryDirectory(prefix="rushes-eval-") as tmp:
            lib_dir = library or Path(tmp) / "library"
            with Library(lib_dir) as lib, IngestProgress(enabled=not no_progress and not as_json) as bar:
                report = triage(media_dir, lib, pad_s=pad, progress=bar)
            if report_out is not None:
                write_outputs(report, report_out)
        scores = evaluate(report, truth_files, pad_s=pad, tolerance_s=tolerance)
        scores["benchmark"] = {k: report["benchmark"][k] for k in ("wall_s", "x_realtime", "model_calls")}
        if as_json:
            print_json(scores)
        else:
            click.echo(f"{scores['files']} file(s), {_dur(scores['duration_s'])}, pad {scores['pad_s']} s, "
                       f"tolerance ±{scores['tolerance_s']} s")
            click.echo(f"archive  precision {scores['archive_precision']:.3f}  recall {scores['archive_recall']:.3f}")
            for kind, ev in scores["events"].items():
                click.echo(f"{kind:<8} precision {ev['precision']:.3f}  recall {ev['recall']:.3f}  "
                           f"(tp {ev['tp']}, fp {ev['fp']}, fn {ev['fn']})")
            fa = scores["field_accuracy"]
            click.echo("fields   " + "  ".join(f"{k} {'-' if v is None else f'{v:.3f}'}" for k, v in fa.items())
                       + f"  over {scores['takes']['matched']} matched take(s)")
            if scores["missing_files"]:
                click.echo("missing from the media: " + ", ".join(scores["missing_files"]), err=True)
        sys.exit(int(report["job"]["exit_code"]))
