"""``rushes query``, ``rushes patterns run|explore``, ``rushes eval patterns``, ``rushes import vi``."""

from __future__ import annotations

import csv
import hashlib
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import click
import numpy as np

from rushes.cli.main import eval_group, library_option, print_json, run_command
from rushes.errors import QueryError
from rushes.intervals import Intervals

__all__ = ["load_interval_truth", "register"]


def _names_rates(lib: Any) -> tuple[dict[int, str], dict[int, Fraction], dict[int, str]]:
    names, rates, tcs = {}, {}, {}
    for m in lib.catalog.list_media():
        names[m.id] = m.name
        if m.frame_rate:
            rates[m.id] = m.frame_rate
        if m.info.timecode:
            tcs[m.id] = m.info.timecode
    return names, rates, tcs


def _media_filter(lib: Any, media: str | None) -> int | None:
    return None if media is None else int(lib.media(media).id)


def _hits_rows(hits: Intervals, names: dict[int, str]) -> list[dict[str, Any]]:
    return [{"media": r.media, "file": names.get(r.media, str(r.media)), "label": r.label,
             "start": round(r.start_seconds, 6), "end": round(r.end_seconds, 6), "score": round(r.score, 6)}
            for r in hits.sorted()]


def _export(hits: Intervals, lib: Any, csv_out: Path | None, edl_out: Path | None, otio_out: Path | None,
            title: str) -> None:
    from rushes.patterns import write_csv, write_edl, write_otio

    names, rates, tcs = _names_rates(lib)
    if csv_out:
        write_csv(hits, csv_out, names=names, rates=rates)
    rate = next(iter({rates[m] for m in set(hits.media.tolist()) if m in rates}), Fraction(24))
    if edl_out:
        write_edl(hits, edl_out, rate, title=title, names=names, start_timecodes=tcs)
    if otio_out:
        paths = {m.id: m.path for m in lib.catalog.list_media()}
        write_otio(hits, otio_out, rate, durations=lib.catalog.media_durations(), names=names, paths=paths,
                   title=title)


def load_interval_truth(path: Path, names_to_ids: dict[str, int], segment_kind: str | None = None) -> Intervals:
    """Truth intervals from JSON ``{"files": {"NAME": [{"start": s, "end": s, "label"?: l}]}}``
    (or ``{"NAME": {"intervals": [...]}}``), or CSV with columns ``file,start,end[,label]``.

    ``segment_kind``: the JSON is a generated reel's ``truth.json``; its ``segments`` of that kind
    (``slate``, ``setup``, ``scene``, ``reset``) are the truth."""
    rows: list[tuple[int, float, float, str]] = []
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        try:
            doc = json.loads(text)
            files = doc["files"]
            for name, items in files.items():
                if name not in names_to_ids:
                    continue
                if segment_kind is not None:
                    chosen = [it for it in items["segments"] if it.get("kind") == segment_kind]
                else:
                    chosen = items["intervals"] if isinstance(items, dict) else items
                for it in chosen:
                    rows.append((names_to_ids[name], float(it["start"]), float(it["end"]),
                                 str(it.get("label", segment_kind or "hit"))))
        except (KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:
            raise QueryError(f"{path}: truth must be {{\"files\": {{NAME: [{{start, end}}]}}}} ({exc})") from exc
    else:
        reader = csv.DictReader(text.splitlines())
        if not reader.fieldnames or not {"file", "start", "end"} <= set(reader.fieldnames):
            raise QueryError(f"{path}: CSV truth needs the columns file,start,end[,label]")
        for r in reader:
            if r["file"] in names_to_ids:
                rows.append((names_to_ids[r["file"]], float(r["start"]), float(r["end"]), r.get("label") or "hit"))
    if not rows:
        raise QueryError(f"{path}: no truth interval refers to a file in this library")
    media, s, e, lab = zip(*rows, strict=True)
    return Intervals.from_seconds(list(s), list(e), list(lab), media=list(media))


def _note_unknown(src: Any) -> None:
    """Tell the user (on stderr) about selector tracks this library does not hold."""
    note = src.unknown_note()
    if note:
        click.echo(f"note: {note}", err=True)


def register(cli: click.Group) -> None:
    @cli.command("query")
    @click.argument("query")
    @library_option
    @click.option("--media", help="Restrict to one media (id, name or path).")
    @click.option("--json", "as_json", is_flag=True)
    @click.option("--csv", "csv_out", type=click.Path(dir_okay=False, path_type=Path), help="Write hits as CSV.")
    @click.option("--edl", "edl_out", type=click.Path(dir_okay=False, path_type=Path), help="Write hits as EDL.")
    @click.option("--otio", "otio_out", type=click.Path(dir_okay=False, path_type=Path),
                  help="Write hits as OTIO markers.")
    @run_command
    def query(query: str, library: Path, media: str | None, as_json: bool, csv_out: Path | None,
              edl_out: Path | None, otio_out: Path | None) -> None:
        """Temporal query over the library's tracks, e.g. 'black DURING takes:* AND NOT silence:*'.

        Selectors are TRACK:LABEL with * ? wildcards; operators AND OR NOT, parentheses, and Allen
        relations (BEFORE 5s, DURING, OVERLAPS, MEETS, ...). See docs/patterns.md.
        """
        from rushes.library import Library
        from rushes.patterns import CatalogTrackSource, QuerySyntaxError, evaluate_query

        with Library(library, create=False) as lib:
            mid = _media_filter(lib, media)
            src = CatalogTrackSource(lib.catalog, mid)
            try:
                hits = evaluate_query(query, src, mid)
            except QuerySyntaxError as exc:
                raise QueryError(f"{exc}\n{exc.caret()}") from exc
            _note_unknown(src)
            names, _, _ = _names_rates(lib)
            _export(hits, lib, csv_out, edl_out, otio_out, title=query[:60])
        rows = _hits_rows(hits, names)
        if as_json:
            print_json({"query": query, "hits": rows, "count": len(rows),
                        "total_s": round(hits.total_seconds(), 3)})
            return
        for r in rows:
            click.echo(f"{r['file']:<40} {r['start']:10.3f} {r['end']:10.3f}  {r['label']}")
        click.echo(f"{len(rows)} hit(s), {hits.total_seconds():.2f} s")

    @cli.group("patterns")
    def patterns() -> None:
        """Weighted/fuzzy conceptual patterns over tag tracks (docs/patterns.md)."""

    @patterns.command("run")
    @click.argument("pattern_file", type=click.Path(dir_okay=False, path_type=Path))
    @library_option
    @click.option("--media", help="Restrict to one media.")
    @click.option("--png", "png_dir", type=click.Path(file_okay=False, path_type=Path),
                  help="Write an intensity-curve PNG per file into this folder.")
    @click.option("--csv", "csv_out", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--edl", "edl_out", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--otio", "otio_out", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--html", "html_out", type=click.Path(dir_okay=False, path_type=Path),
                  help="Write a self-contained HTML report (curves + hits).")
    @click.option("--save-track", help="Store the hits in the catalog as this track (e.g. pattern_ending).")
    @click.option("--json", "as_json", is_flag=True)
    @run_command
    def run(pattern_file: Path, library: Path, media: str | None, png_dir: Path | None, csv_out: Path | None,
            edl_out: Path | None, otio_out: Path | None, html_out: Path | None, save_track: str | None,
            as_json: bool) -> None:
        """Run PATTERN_FILE (TOML, or a shipped pattern's name): intensity curve per file and the
        intervals above threshold."""
        from rushes.library import Library
        from rushes.patterns import CatalogTrackSource, load_pattern, render_curve_png, run_pattern

        pattern = load_pattern(pattern_file)
        with Library(library, create=False) as lib:
            mid = _media_filter(lib, media)
            src = CatalogTrackSource(lib.catalog, mid)
            result = run_pattern(src, pattern, mid)
            _note_unknown(src)
            names, _, _ = _names_rates(lib)
            pngs: dict[str, str] = {}
            if html_out is not None and png_dir is None:
                import tempfile

                png_dir = Path(tempfile.mkdtemp(prefix="rushes-curves-"))
            if png_dir is not None:
                png_dir.mkdir(parents=True, exist_ok=True)
                for m, curve in result.curves.items():
                    hits_m = result.hits[result.hits.media == m]
                    out = png_dir / f"{Path(names.get(m, str(m))).stem}.{pattern.name}.png"
                    render_curve_png(curve, out, pattern.threshold, hits_m,
                                     title=f"{pattern.name} — {names.get(m, m)}")
                    pngs[names.get(m, str(m))] = str(out)
            _export(result.hits, lib, csv_out, edl_out, otio_out, title=pattern.name)
            if save_track:
                _save_track(lib, save_track, result.hits, pattern_file)
        rows = _hits_rows(result.hits, names)
        if html_out is not None:
            html_out.write_text(_html_report(pattern.name, pattern.threshold, rows, pngs), encoding="utf-8")
        if as_json:
            print_json({"pattern": pattern.name, "hits": rows, "count": len(rows), "png": pngs})
            return
        for r in rows:
            click.echo(f"{r['file']:<40} {r['start']:10.3f} {r['end']:10.3f}  score {r['score']:.3f}")
        click.echo(f"{pattern.name}: {len(rows)} hit(s) in {len(result.curves)} file(s)")

    @patterns.command("list")
    @click.option("--json", "as_json", is_flag=True)
    @run_command
    def list_cmd(as_json: bool) -> None:
        """The pattern files shipped with rushes (run one by name: rushes patterns run ending)."""
        from rushes.patterns import builtin_patterns, load_pattern

        rows = [{"name": name, "path": str(path), "description": load_pattern(path).description}
                for name, path in builtin_patterns().items()]
        if as_json:
            print_json(rows)
            return
        for r in rows:
            click.echo(f"{r['name']:<16} {r['description']}  ({r['path']})")

    @patterns.command("explore")
    @click.option("--baseline", required=True, help="Query giving the pattern's intervals, e.g. 'takes:*'.")
    @click.option("--track", default="*", show_default=True, help="Tracks whose labels are ranked.")
    @library_option
    @click.option("--json", "as_json", is_flag=True)
    @run_command
    def explore_cmd(baseline: str, track: str, library: Path, as_json: bool) -> None:
        """Rank tags by how they relate to a baseline: in / crossing / non-crossing (the seed's explorer)."""
        from rushes.library import Library
        from rushes.patterns import CatalogTrackSource, evaluate_query, explore

        with Library(library, create=False) as lib:
            src = CatalogTrackSource(lib.catalog)
            base = evaluate_query(baseline, src)
            tags = src.get(track, "*")
            _note_unknown(src)
            report = explore(tags, base, durations=lib.catalog.media_durations())
        data = report.to_dict()
        if as_json:
            print_json(data)
            return
        click.echo(json.dumps(data.get("positive", [])[:10], indent=1, default=str))
        click.echo("suggested weights: " + json.dumps(report.suggest_weights()))

    @eval_group.command("patterns")
    @click.argument("pattern_file", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--truth", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="JSON {files: {NAME: [{start, end}]}} or CSV file,start,end.")
    @library_option
    @click.option("--tolerance", type=float, default=1.0, show_default=True, help="Seconds, for interval matching.")
    @click.option("--segments", "segment_kind", metavar="KIND",
                  help="TRUTH is a generated reel's truth.json: score against its segments of this kind "
                       "(e.g. slate).")
    @click.option("--json", "as_json", is_flag=True)
    @run_command
    def eval_patterns(pattern_file: Path, truth: Path, library: Path, tolerance: float, segment_kind: str | None,
                      as_json: bool) -> None:
        """Score a pattern's hits against truth intervals: time IoU, precision/recall at a tolerance.

        PATTERN_FILE is a TOML file or the name of a shipped pattern (rushes patterns list).
        """
        from rushes.library import Library
        from rushes.patterns import CatalogTrackSource, evaluate_intervals, load_pattern, run_pattern

        pattern = load_pattern(pattern_file)
        with Library(library, create=False) as lib:
            ids = {m.name: m.id for m in lib.catalog.list_media()}
            truth_iv = load_interval_truth(truth, ids, segment_kind)
            src = CatalogTrackSource(lib.catalog)
            result = run_pattern(src, pattern)
            _note_unknown(src)
            hits = result.hits[np.isin(result.hits.media, np.unique(truth_iv.media))] if len(result.hits) else \
                result.hits
        scores = evaluate_intervals(hits, truth_iv, tolerance_s=tolerance)
        if as_json:
            print_json({"pattern": pattern.name, **scores})
            return
        click.echo(json.dumps(scores, indent=2, default=str))

    @cli.group("import")
    def import_group() -> None:
        """Bring other tools' indexes into the library as tracks."""

    @import_group.command("vi")
    @click.argument("insights", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--media", required=True, help="The ingested media these insights describe.")
    @library_option
    @click.option("--adjusted", is_flag=True, help="Use adjustedStart/adjustedEnd times.")
    @run_command
    def import_vi(insights: Path, media: str, library: Path, adjusted: bool) -> None:
        """Import an Azure Video Indexer insights JSON as tracks (vi_labels, vi_ocr, vi_transcript, ...)."""
        from rushes.library import Library
        from rushes.patterns import read_video_indexer

        with Library(library, create=False) as lib:
            m = lib.media(media)
            imp = read_video_indexer(insights, media=m.id, adjusted=adjusted)
            digest = hashlib.sha256(insights.read_bytes()).hexdigest()[:16]
            key = hashlib.sha256(f"{m.fingerprint}:azure_vi:{digest}".encode()).hexdigest()[:32]
            tracks = {f"vi_{name}": iv for name, iv in imp.tracks.items()}
            lib.catalog.commit_result(key=key, media_id=m.id, analyzer="azure_vi", version="1", params_hash=digest,
                                      params={"file": str(insights), "adjusted": adjusted}, model_id="",
                                      tracks=tracks)
        click.echo(f"imported {sum(len(t) for t in tracks.values())} interval(s) into "
                   f"{len(tracks)} track(s) for {m.name}: " + ", ".join(sorted(tracks)))


def _html_report(name: str, threshold: float, rows: list[dict[str, Any]], pngs: dict[str, str]) -> str:
    """One self-contained page: a curve chart (inline PNG) and the hit table per file."""
    import base64
    import html

    parts = [f"<!doctype html><meta charset='utf-8'><title>{html.escape(name)}</title>",
             "<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}img{max-width:100%}"
             "table{border-collapse:collapse}td,th{padding:2px 10px;border-bottom:1px solid #ddd;"
             "text-align:right}td:first-child{text-align:left}</style>",
             f"<h1>Pattern {html.escape(name)}</h1><p>threshold {threshold}; {len(rows)} hit(s)</p>"]
    files = sorted(set(pngs) | {r["file"] for r in rows})
    for f in files:
        parts.append(f"<h2>{html.escape(f)}</h2>")
        if f in pngs:
            data = base64.b64encode(Path(pngs[f]).read_bytes()).decode()
            parts.append(f"<img alt='intensity curve' src='data:image/png;base64,{data}'>")
        hits = [r for r in rows if r["file"] == f]
        if hits:
            parts.append("<table><tr><th>start s</th><th>end s</th><th>score</th></tr>" + "".join(
                f"<tr><td>{h['start']:.3f}</td><td>{h['end']:.3f}</td><td>{h['score']:.3f}</td></tr>" for h in hits)
                + "</table>")
    return "\n".join(parts)


def _save_track(lib: Any, track: str, hits: Intervals, source: Path) -> None:
    if not track.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise QueryError(f"track name {track!r}: use letters, digits, '_', '-' or '.' (':' separates track and label)")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    for mid in sorted(set(hits.media.tolist())):
        m = lib.catalog.get_media(mid)
        key = hashlib.sha256(f"{m.fingerprint}:{track}:{digest}".encode()).hexdigest()[:32]
        lib.catalog.commit_result(key=key, media_id=mid, analyzer=f"pattern:{track}", version="1",
                                  params_hash=digest, params={"pattern": str(source)}, model_id="",
                                  tracks={track: hits[hits.media == mid]})

