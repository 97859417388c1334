"""``rushes shots FILES``, ``rushes eval shots`` and ``rushes calibrate shots``: thin click layers over
:mod:`rushes.shots`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from rushes.cli.main import calibrate_group, eval_group, print_json, run_command
from rushes.errors import QueryError

__all__ = ["register"]

_MODES = click.Choice(["classical", "learned", "fused"])
_FORMATS = click.Choice(["csv", "json", "edl", "otio", "fcpxml"])


def _base_params(library: Path | None, mode: str | None) -> Any:
    """Defaults, then the library's ``[analyzers.shots]`` overrides (calibration), then ``--mode``."""
    from rushes.pipeline.analyzer import params_from_mapping
    from rushes.shots import ShotParams

    values: dict[str, Any] = {}
    if library is not None and (library / "config.toml").exists():
        import tomllib

        try:
            cfg = tomllib.loads((library / "config.toml").read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise QueryError(f"{library}/config.toml: invalid config ({exc})") from exc
        section = cfg.get("analyzers", {}).get("shots", {})
        values = dict(section) if isinstance(section, dict) else {}
    if values:
        from rushes.analyzers.shots import ShotsAnalyzer

        params = params_from_mapping(ShotsAnalyzer, values)
    else:
        params = ShotParams()
    return replace(params, mode=mode) if mode else params


def run_shots(files: tuple[str, ...], mode: str | None, formats: tuple[str, ...], out: Path | None,
              library: Path | None, groups: bool) -> list[dict[str, Any]]:
    """Detect shots in every file and write the requested exports; one summary dict per file."""
    from rushes.library import expand_inputs
    from rushes.media import probe
    from rushes.shots import detect_shots, shot_table, write_shots

    params = _base_params(library, mode)
    params = replace(params, groups=groups and params.groups)
    paths = expand_inputs(files)
    if not paths:
        raise QueryError("no media files given")
    summaries: list[dict[str, Any]] = []
    for path in paths:
        info = probe(path)
        if info.primary_video is None:
            summaries.append({"file": path, "skipped": "no video stream"})
            continue
        result = detect_shots(path, params, info=info)
        thumbs: dict[int, str] = {}
        written: list[str] = []
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            if params.thumbnails and result.reps:
                tdir = out / f"{Path(path).stem}_shots"
                tdir.mkdir(exist_ok=True)
                for si, blob in result.reps.items():
                    name = tdir / f"shot_{si + 1:04d}.jpg"
                    name.write_bytes(blob)
                    thumbs[si] = str(name.relative_to(out))
        table = shot_table(result, info, path, thumbs)
        if out is not None:
            for fmt in formats:
                written.append(str(write_shots(table, fmt, out)))
        summaries.append({
            "file": path,
            "mode": params.mode,
            "frames": result.frames,
            "edit_rate": f"{table.rate.numerator}/{table.rate.denominator}",
            "start_timecode": str(table.start_tc),
            "shots": [{"shot": r.number, "start_frame": r.start_frame, "end_frame": r.end_frame,
                       "start": float(r.start_s), "end": float(r.end_s), "start_tc": table.tc(r.edit_in),
                       "transition_in": r.transition_in, "group": r.group} for r in table.rows],
            "transitions": table.transitions,
            "metrics": {k: v for k, v in result.metrics.items() if k not in ("phash", "group_scores")},
            "outputs": written,
        })
    return summaries


@click.command("shots")
@click.argument("files", nargs=-1, required=True)
@click.option("--mode", type=_MODES, default=None, help="Detector: classical, learned or fused (default).")
@click.option("--format", "formats", type=_FORMATS, multiple=True, default=("csv",), show_default=True,
              help="Export format (repeatable).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for exports and thumbnails (nothing is written without it).")
@click.option("--library", "-L", type=click.Path(file_okay=False, path_type=Path), default=None,
              envvar="RUSHES_LIBRARY", help="Use this library's calibrated [analyzers.shots] settings.")
@click.option("--groups/--no-groups", default=True, show_default=True, help="Group near-duplicate shots.")
@click.option("--json", "as_json", is_flag=True, help="Print the shots of every file as JSON.")
@run_command
def shots_command(files: tuple[str, ...], mode: str | None, formats: tuple[str, ...], out: Path | None,
                  library: Path | None, groups: bool, as_json: bool) -> None:
    """Detect the shots of FILES: cuts, dissolves, fades, near-duplicate groups; export them."""
    summaries = run_shots(files, mode, formats, out, library, groups)
    if as_json:
        print_json(summaries)
        return
    for s in summaries:
        if "skipped" in s:
            click.echo(f"{s['file']}: skipped ({s['skipped']})")
            continue
        m = s["metrics"]
        click.echo(f"{s['file']}: {len(s['shots'])} shots, {m.get('cuts', 0)} cuts, {m.get('gradual', 0)} gradual, "
                   f"{m.get('groups', '-')} groups ({s['mode']})")
        for sh in s["shots"]:
            click.echo(f"  {sh['shot']:4d}  {sh['start_tc']}  frames {sh['start_frame']}-{sh['end_frame']}  "
                       f"{sh['transition_in']:<8} group {sh['group']}")
        for path in s["outputs"]:
            click.echo(f"  wrote {path}")


@click.command("shots")
@click.option("--truth", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="Truth JSON (format of shared/data/gt/shot_boundaries.json).")
@click.option("--media", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True,
              help="Folder holding the truth's files.")
@click.option("--mode", type=_MODES, default="fused", show_default=True)
@click.option("--tolerance", type=click.IntRange(0, 100), default=2, show_default=True,
              help="Frames a predicted cut may be off by.")
@click.option("--exclude", multiple=True, help="Truth file name to leave out (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (top-level precision/recall/f1).")
@run_command
def eval_shots(truth: Path, media: Path, mode: str, tolerance: int, exclude: tuple[str, ...], as_json: bool) -> None:
    """Precision/recall/F1 of cut detection over every truth file found in --media."""
    from rushes.shots import evaluate_shots

    res = evaluate_shots(truth, media, mode, tolerance, exclude=exclude)
    if as_json:
        print_json(res)
        return
    click.echo(f"mode {mode}, ±{tolerance} frames: cuts P {res['precision']:.3f} R {res['recall']:.3f} "
               f"F1 {res['f1']:.3f} (tp {res['tp']}, fp {res['fp']}, fn {res['fn']})")
    g = res["gradual"]
    click.echo(f"gradual: {g['detected']}/{g['truth']} found, {g['typed']} typed right, {g['false']} false")
    for name, f in res["files"].items():
        flag = "" if not (f["false_cuts"] or f["missed_cuts"]) else \
            f"  false {f['false_cuts']} missed {f['missed_cuts']}"
        click.echo(f"  {name}: tp {f['tp']} fp {f['fp']} fn {f['fn']}, gradual "
                   f"{len(f['predicted_gradual'])} predicted / {len(f['truth_gradual'])} true{flag}")
    if res["missing"]:
        click.echo(f"not found in {media}: {', '.join(res['missing'])}")


@click.command("shots")
@click.argument("marks", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--media", type=click.Path(exists=True, path_type=Path), required=True,
              help="The marked file, or a folder holding the files the marks name.")
@click.option("--library", "-L", type=click.Path(file_okay=False, path_type=Path),
              default=Path("rushes-library"), show_default=True, envvar="RUSHES_LIBRARY",
              help="Library whose config.toml receives the thresholds.")
@click.option("--partial", is_flag=True, help="The marks are some of the cuts, not all of them.")
@click.option("--tolerance", type=click.IntRange(0, 100), default=2, show_default=True)
@click.option("--dry-run", is_flag=True, help="Report, do not save.")
@click.option("--json", "as_json", is_flag=True)
@run_command
def calibrate_shots_cmd(marks: Path, media: Path, library: Path, partial: bool, tolerance: int, dry_run: bool,
                        as_json: bool) -> None:
    """Tune the cut thresholds on MARKS (CSV or Audacity labels) and save them to the library."""
    from rushes.media import probe
    from rushes.shots import calibrate_shots, read_marks, save_calibration

    default = media.name if media.is_file() else None
    rate = probe(media, scan_vfr=False).frame_rate if media.is_file() else None
    marked = read_marks(marks, default, rate)
    files: dict[str, Path] = {}
    for name in marked:
        cand = media if media.is_file() and name == media.name else (media / name if media.is_dir() else None)
        if cand is None or not cand.is_file():
            raise QueryError(f"marked file {name!r} not found under {media}")
        files[name] = cand
    res = calibrate_shots(marked, files, _base_params(library if library.exists() else None, None),
                          tolerance_frames=tolerance, partial=partial)
    if not dry_run:
        res["saved"] = str(save_calibration(library, res["values"]))
    if as_json:
        print_json(res)
        return
    b, a = res["before"], res["after"]
    click.echo(f"before: F1 {b['f1']:.3f} (tp {b['tp']}, fp {b['fp']}, fn {b['fn']})")
    click.echo(f"after:  F1 {a['f1']:.3f} (tp {a['tp']}, fp {a['fp']}, fn {a['fn']}) with "
               + ", ".join(f"{k}={v}" for k, v in res["values"].items()))
    if "saved" in res:
        click.echo(f"saved to {res['saved']} [analyzers.shots]")


def register(cli: click.Group) -> None:
    """Add ``shots`` to the CLI and to its ``eval`` and ``calibrate`` groups."""
    cli.add_command(shots_command)
    eval_group.add_command(eval_shots)
    calibrate_group.add_command(calibrate_shots_cmd)
