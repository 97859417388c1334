"""``rushes ingest``, ``rushes status``, ``rushes info``, ``rushes analyzers``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from rushes.cli.main import library_option, print_json, run_command
from rushes.cli.progress import IngestProgress

__all__ = ["register"]


def _human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def print_report(report: dict[str, Any]) -> None:
    s = report["summary"]
    click.echo(f"job {report['job']} {report['state']}: {s['inputs']} input(s), {s['ok']} ok, "
               f"{s['failed']} failed" + (f", {s['pending']} pending" if s["pending"] else "")
               + f" in {s['wall_s']:.1f} s")
    for item in report["inputs"]:
        if item["status"] == "failed":
            err = str(item.get("error"))
            prefix = f"{item['path']}: "
            click.echo(f"  FAILED {item['path']}: {err[len(prefix):] if err.startswith(prefix) else err}")
    for item in report["inputs"]:
        for w in item.get("warnings") or []:
            click.echo(f"  warning {item['path']}: {w}")


def register(cli: click.Group) -> None:
    @cli.command("ingest")
    @click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
    @library_option
    @click.option("--analyzers", "-a",
                  help="Comma-separated analyzers (default: the default set; see `rushes analyzers`).")
    @click.option("--workers", "-j", type=click.IntRange(1, 64), help="Parallel files (default: number of cores).")
    @click.option("--engine", type=click.Choice(["serial", "process"]), help="Execution engine (default: automatic).")
    @click.option("--retries", type=click.IntRange(0, 10), default=2, show_default=True,
                  help="Retries of transient failures (exponential backoff).")
    @click.option("--force", is_flag=True, help="Recompute even when cached results exist.")
    @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
    @click.option("--no-progress", is_flag=True, help="No progress bars.")
    @run_command
    def ingest(paths: tuple[Path, ...], library: Path, analyzers: str | None, workers: int | None,
               engine: str | None, retries: int, force: bool, as_json: bool, no_progress: bool) -> None:
        """Add PATHS (files or folders) to the library and run the analyzers on them.

        Finished work is cached: rerunning (after a crash, a kill or a new analyzer version)
        computes only what is missing. Exit code 1 means it completed with failures.
        """
        from rushes.library import Library

        names = [a.strip() for a in analyzers.split(",") if a.strip()] if analyzers else None
        with Library(library) as lib, IngestProgress(enabled=not no_progress and not as_json) as bar:
            report = lib.ingest(list(paths), analyzers=names, workers=workers, engine=engine,
                                retries=retries, force=force, progress=bar)
        if as_json:
            print_json(report.to_dict())
        else:
            print_report(report.to_dict())
        sys.exit(int(report.exit_code))

    @cli.command("status")
    @library_option
    @click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
    @run_command
    def status(library: Path, as_json: bool) -> None:
        """Summary of the library: media, tracks, analyzers, recent jobs, failures."""
        from rushes.library import Library

        with Library(library, create=False) as lib:
            st = lib.status()
        if as_json:
            print_json(st)
            return
        click.echo(f"library {st['library']}")
        click.echo(f"  media: {st['media']} ({', '.join(f'{k}: {v}' for k, v in st['media_by_kind'].items())}), "
                   f"{_human_bytes(st['bytes'])}, {st['duration_s'] / 60:.1f} min")
        for name, a in st["analyzers"].items():
            click.echo(f"  {name:<14} {a['results']:>5} file(s)  {a['wall_s']:8.1f} s  model calls {a['model_calls']}")
        if st["tracks"]:
            click.echo("  tracks: " + ", ".join(f"{k} ({v})" for k, v in st["tracks"].items()))
        click.echo(f"  failures recorded: {st['failures']}")
        for j in st["jobs"][:5]:
            items = ", ".join(f"{k} {v}" for k, v in sorted(j["items"].items()))
            click.echo(f"  job {j['id']:>3} {j['kind']} {j['state']:<12} {items}")

    @cli.command("info")
    @click.argument("media")
    @library_option
    @click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
    @run_command
    def info(media: str, library: Path, as_json: bool) -> None:
        """Everything known about one MEDIA (id, fingerprint prefix, path or file name).

        A path to a file that is not in the library is probed directly.
        """
        from rushes.errors import QueryError, StoreError
        from rushes.library import Library

        data: dict[str, Any]
        try:
            with Library(library, create=False) as lib:
                data = lib.info(media)
        except (QueryError, StoreError):
            p = Path(media)
            if not p.is_file():
                raise
            from rushes.media import fingerprint, probe

            info_ = probe(p)
            tc = info_.start_timecode()
            data = {"path": str(p.absolute()), "in_library": False, "fingerprint": fingerprint(p),
                    "probe": info_.to_dict(), "start_timecode": None if tc is None else str(tc)}
        if as_json:
            print_json(data)
            return
        probe_ = data["probe"]
        click.echo(f"{data['path']}")
        click.echo(f"  fingerprint {data['fingerprint']}" + ("" if data.get("in_library", True)
                                                              else "  (not in the library)"))
        dur = probe_.get("duration")
        click.echo(f"  {probe_['kind']} · {probe_['container']} · {_human_bytes(probe_['size'])}"
                   + (f" · {float(eval_fraction(dur)):.3f} s" if dur else ""))
        for v in probe_["video"]:
            click.echo(f"  video #{v['index']}: {v['codec']} {v['width']}x{v['height']} @ {v['frame_rate']} fps"
                       + (" VFR" if v["vfr"] else "") + (f" rotated {v['rotation']}°" if v["rotation"] else ""))
        for a in probe_["audio"]:
            click.echo(f"  audio #{a['index']}: {a['codec']} {a['sample_rate']} Hz {a['channels']} ch ({a['layout']})")
        if data.get("start_timecode"):
            click.echo(f"  start timecode {data['start_timecode']}")
        for a in data.get("analyzers", []):
            click.echo(f"  {a['analyzer']:<14} v{a['version']}  {a['wall_s'] or 0:.2f} s")
        if data.get("tracks"):
            click.echo("  tracks: " + ", ".join(f"{k} ({v})" for k, v in data["tracks"].items()))

    @cli.command("analyzers")
    @click.option("--json", "as_json", is_flag=True)
    @run_command
    def analyzers_cmd(as_json: bool) -> None:
        """List the analyzers, their parameters and defaults."""
        from rushes.pipeline.registry import all_analyzers

        rows: list[dict[str, Any]] = []
        for name, cls in all_analyzers().items():
            rows.append({"name": name, "version": cls.version, "default": cls.default,
                         "requires": list(cls.requires), "media": sorted(cls.media_kinds),
                         "description": cls.description,
                         "params": {k: str(v) for k, v in cls.param_fields().items()}})
        if as_json:
            print_json(rows)
            return
        for r in rows:
            click.echo(f"{r['name']:<14} v{r['version']}{' (default)' if r['default'] else ''}  {r['description']}")
            for k, v in r["params"].items():
                click.echo(f"    {k} = {v}")


def eval_fraction(text: str) -> float:
    from fractions import Fraction

    return float(Fraction(text))

