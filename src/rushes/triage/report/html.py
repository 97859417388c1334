"""The report as one self-contained HTML page: inline CSS, inline SVG timelines, embedded thumbnails.

No scripts, fonts, style sheets or images are fetched: thumbnails become ``data:image/jpeg``
URIs and every timeline is an inline ``<svg>``, so the file can be mailed or archived alone.
Hovering over any mark of a timeline shows its details (SVG ``<title>``).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from rushes.triage.report.common import human_bytes, take_label

__all__ = ["report_to_html", "write_html"]

_CSS = """
:root{--fg:#1d232a;--mute:#5d6975;--line:#d9dee3;--bg:#f6f7f9;--card:#fff;--take:#2f6fd6;--arch:#2e9a5a;
--disc:#c9ced4;--slate:#e08a1e;--tail:#b05f0a;--act:#1f9d55;--cut:#d93a3a;--pre:#7b61c9;--clap:#e3b505}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:var(--fg);background:var(--bg)}header,main,footer{max-width:1180px;margin:0 auto;padding:16px 24px}
h1{font-size:24px;margin:8px 0 2px}h2{font-size:18px;margin:28px 0 8px}h3{font-size:15px;margin:0 0 4px}
.sub{color:var(--mute);margin:0}.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));
gap:12px;margin-top:12px}.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.card b{display:block;font-size:20px}.card span{color:var(--mute);font-size:12px}
table{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line);border-radius:6px}
th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:#eef1f4;font-weight:600;font-size:12px;color:var(--mute)}td.n,th.n{text-align:right;
font-variant-numeric:tabular-nums}.file{background:var(--card);border:1px solid var(--line);border-radius:8px;
padding:14px 16px;margin:16px 0}.meta{color:var(--mute);font-size:12px;margin-bottom:8px}
.tl{width:100%;height:auto;display:block;margin:6px 0 10px}.thumbs{display:flex;gap:4px}
.thumbs img{width:120px;height:auto;border-radius:3px;border:1px solid var(--line)}
.notes{color:var(--mute);font-size:12px;margin:2px 0 0 16px;padding:0}.bad{color:var(--cut);font-weight:600}
.legend{font-size:12px;color:var(--mute)}.legend i{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px;
border-radius:2px;vertical-align:-1px}details{margin-top:8px}summary{cursor:pointer;color:var(--mute)}
.tag{display:inline-block;padding:0 6px;border-radius:9px;background:#eef1f4;font-size:12px}
"""

_LANES = ("archive", "takes", "slates", "commands", "claps")
_CMD_COLORS = {"action": "var(--act)", "cut": "var(--cut)", "reset": "var(--mute)"}


def _e(v: Any) -> str:
    return escape("" if v is None else str(v), quote=True)


def _dur(s: float | None) -> str:
    if s is None:
        return "?"
    s = float(s)
    h, rem = divmod(int(round(s)), 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def _num(v: Any, nd: int = 2) -> str:
    return "" if v is None else f"{float(v):.{nd}f}"


def _data_uri(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    mime = "image/png" if path.suffix.lower() == ".png" else "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _tick_step(duration: float) -> float:
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if duration / step <= 12:
            return float(step)
    return 7200.0


def _timeline(f: Mapping[str, Any]) -> str:
    """The inline SVG timeline of one file."""
    dur = float(f.get("duration_s") or 0.0) or max(
        [float(t["end"]) for t in f.get("takes", [])] + [float(r["end"]) for r in f.get("archive", [])] + [1.0])
    width, left, lane_h, top = 1000.0, 86.0, 22.0, 4.0
    span = width - left - 10

    def x(t: float) -> float:
        return left + span * min(max(float(t), 0.0), dur) / dur

    out: list[str] = []
    height = top + lane_h * len(_LANES) + 22
    out.append(f'<svg class="tl" viewBox="0 0 {width:.0f} {height:.0f}" '
               f'role="img" aria-label="timeline of {_e(f.get("name"))}">')
    for i, lane in enumerate(_LANES):
        y = top + i * lane_h
        out.append(f'<text x="4" y="{y + 15:.1f}" font-size="12" fill="#5d6975">{lane}</text>')
        out.append(f'<rect x="{left:.1f}" y="{y + 2:.1f}" width="{span:.1f}" height="{lane_h - 4:.1f}" '
                   'fill="#f1f3f5"/>')
    y = top
    for r in f.get("discard", []):
        out.append(f'<rect x="{x(r["start"]):.1f}" y="{y + 3:.1f}" width="{max(x(r["end"]) - x(r["start"]), 0.5):.1f}" '
                   f'height="{lane_h - 6:.1f}" fill="var(--disc)"><title>discard {_num(r["start"])}–'
                   f'{_num(r["end"])} s</title></rect>')
    for r in f.get("archive", []):
        out.append(f'<rect x="{x(r["start"]):.1f}" y="{y + 3:.1f}" width="{max(x(r["end"]) - x(r["start"]), 0.5):.1f}" '
                   f'height="{lane_h - 6:.1f}" fill="var(--arch)"><title>archive {_num(r["start"])}–'
                   f'{_num(r["end"])} s</title></rect>')
    y = top + lane_h
    for t in f.get("takes", []):
        x0, x1 = x(t["start"]), x(t["end"])
        tip = (f"{take_label(t)}: {_num(t['start'])}–{_num(t['end'])} s ({t.get('start_tc') or ''}–"
               f"{t.get('end_tc') or ''}); {t.get('start_rule')} → {t.get('end_rule')}")
        out.append(f'<rect x="{x0:.1f}" y="{y + 3:.1f}" width="{max(x1 - x0, 1):.1f}" height="{lane_h - 6:.1f}" '
                   f'rx="2" fill="var(--take)"><title>{_e(tip)}</title></rect>')
        if x1 - x0 > 34:
            out.append(f'<text x="{x0 + 3:.1f}" y="{y + 15:.1f}" font-size="11" fill="#fff">'
                       f'{_e(take_label(t))}</text>')
    y = top + 2 * lane_h
    for s in f.get("slates", []):
        x0, x1 = x(s["start"]), x(s["end"])
        fields = " ".join(f"{k} {s[k]}" for k in ("scene", "take", "roll", "camera") if s.get(k))
        color = "var(--tail)" if s.get("label") == "tail_slate" else "var(--slate)"
        out.append(f'<rect x="{x0:.1f}" y="{y + 3:.1f}" width="{max(x1 - x0, 2):.1f}" height="{lane_h - 6:.1f}" '
                   f'fill="{color}"><title>{_e(s.get("label"))} {_num(s["start"])}–{_num(s["end"])} s '
                   f'{_e(fields)}</title></rect>')
    y = top + 3 * lane_h
    for c in f.get("commands", []):
        cx = x(c["t"])
        color = _CMD_COLORS.get(str(c.get("label")), "var(--pre)")
        out.append(f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{y + 2:.1f}" y2="{y + lane_h - 2:.1f}" stroke="{color}" '
                   f'stroke-width="2.5"><title>{_e(c.get("label"))} at {_num(c["t"])} s (score '
                   f'{_num(c.get("score"))}, {_e(c.get("rule"))})</title></line>')
    y = top + 4 * lane_h
    for c in f.get("claps", []):
        cx, cy = x(c["t"]), y + lane_h / 2
        out.append(f'<path d="M{cx:.1f} {cy - 6:.1f}L{cx + 5:.1f} {cy:.1f}L{cx:.1f} {cy + 6:.1f}L{cx - 5:.1f} '
                   f'{cy:.1f}Z" fill="var(--clap)"><title>clap at {_num(c["t"])} s (score '
                   f'{_num(c.get("score"))})</title></path>')
    axis_y = top + len(_LANES) * lane_h + 2
    step = _tick_step(dur)
    out.append(f'<line x1="{left:.1f}" x2="{left + span:.1f}" y1="{axis_y:.1f}" y2="{axis_y:.1f}" stroke="#9aa5b1"/>')
    for k in range(int(math.floor(dur / step)) + 1):
        tx = x(k * step)
        out.append(f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{axis_y:.1f}" y2="{axis_y + 4:.1f}" stroke="#9aa5b1"/>')
        out.append(f'<text x="{tx:.1f}" y="{axis_y + 15:.1f}" font-size="10" fill="#5d6975" '
                   f'text-anchor="middle">{_dur(k * step)}</text>')
    out.append("</svg>")
    return "".join(out)


def _thumbs(t: Mapping[str, Any], base: Path | None) -> str:
    imgs = []
    for th in t.get("thumbnails") or []:
        p = Path(str(th.get("path", "")))
        if not p.is_absolute() and base is not None:
            p = base / p
        uri = _data_uri(p)
        if uri is not None:
            imgs.append(f'<img src="{uri}" alt="{_e(th.get("position"))} of {_e(take_label(t))}" '
                        f'title="{_e(th.get("position"))} {_num(th.get("t"))} s">')
    return f'<div class="thumbs">{"".join(imgs)}</div>' if imgs else ""


def _file_section(f: Mapping[str, Any], base: Path | None) -> str:
    parts = [f'<section class="file" id="f{_e(f.get("media_id"))}"><h3>{_e(f.get("name"))}</h3>']
    meta = [f"{_dur(f.get('duration_s'))}", human_bytes(float(f.get("size_bytes") or 0))]
    if f.get("frame_rate"):
        meta.append(f"{_e(f['frame_rate'])} fps")
    if f.get("start_timecode"):
        meta.append(f"TC {_e(f['start_timecode'])}")
    meta.append(f"{len(f.get('takes', []))} take(s)")
    meta.append(f"discard {_num(100 * float(f.get('discard_fraction') or 0), 1)} % "
                f"({human_bytes(float(f.get('discard_bytes') or 0))})")
    parts.append(f'<div class="meta">{" · ".join(meta)} · <span title="{_e(f.get("path"))}">'
                 f'{_e(f.get("path"))}</span></div>')
    if f.get("status") != "ok":
        parts.append(f'<p class="bad">{_e(f.get("status"))}: {_e(f.get("error") or "")}</p>')
    parts.append(_timeline(f))
    takes = f.get("takes", [])
    if takes:
        parts.append("<table><tr><th>#</th><th>scene</th><th>take</th><th>roll</th><th>cam</th>"
                     "<th class=n>start</th><th class=n>end</th><th>timecode</th><th>rules</th>"
                     "<th>thumbnails</th></tr>")
        for t in takes:
            notes = "".join(f"<li>{_e(n)}</li>" for n in t.get("notes") or [])
            parts.append(
                f"<tr><td>{_e(t.get('index'))}</td><td>{_e(t.get('scene') or '—')}</td>"
                f"<td>{_e(t.get('take') or '—')}</td><td>{_e(t.get('roll') or '—')}</td>"
                f"<td>{_e(t.get('camera') or '—')}</td><td class=n>{_num(t['start'])}</td>"
                f"<td class=n>{_num(t['end'])}</td><td>{_e(t.get('start_tc') or '')}<br>{_e(t.get('end_tc') or '')}"
                f"</td><td><span class=tag>{_e(t.get('start_rule'))}</span> → "
                f"<span class=tag>{_e(t.get('end_rule'))}</span>"
                + (f'<ul class="notes">{notes}</ul>' if notes else "")
                + f"</td><td>{_thumbs(t, base)}</td></tr>"
            )
        parts.append("</table>")
    else:
        parts.append('<p class="meta">No take found: the whole file is proposed for discard — '
                     "check it before deleting anything.</p>")
    if f.get("notes"):
        items = "".join(f"<li>{_e(n)}</li>" for n in f["notes"])
        parts.append(f"<details><summary>{len(f['notes'])} note(s) on ignored evidence</summary>"
                     f'<ul class="notes">{items}</ul></details>')
    parts.append("</section>")
    return "".join(parts)


def _bench(report: Mapping[str, Any]) -> str:
    b = report.get("benchmark", {})
    rows = []
    for s in b.get("steps", []):
        rows.append(f"<tr><td>{_e(s['analyzer'])}</td><td class=n>{_num(s['wall_s'])}</td>"
                    f"<td class=n>{_num(s['cpu_s'])}</td><td class=n>{_e(s['model_calls'])}</td>"
                    f"<td class=n>{_e(s['computed_files'])}/{_e(s['files'])}</td></tr>")
    summary = []
    for key, label in (("wall_s", "triage wall"), ("ingest_wall_s", "ingest wall"),
                       ("report_wall_s", "report wall")):
        if b.get(key) is not None:
            summary.append(f"{label} {_num(b[key])} s")
    if b.get("x_realtime") is not None:
        summary.append(f"{_num(b['x_realtime'], 1)}× realtime")
    summary.append(f"{_e(b.get('model_calls', 0))} model calls")
    return ('<h2>Benchmark</h2><p class="sub">' + " · ".join(summary) + "</p>"
            "<table><tr><th>step</th><th class=n>wall s</th><th class=n>CPU s</th><th class=n>model calls</th>"
            "<th class=n>computed / files</th></tr>" + "".join(rows) + "</table>")


def report_to_html(report: Mapping[str, Any], base_dir: str | Path | None = None,
                   title: str = "Dailies triage") -> str:
    """The page; relative thumbnail paths are read from ``base_dir`` (the report's folder)."""
    base = Path(base_dir) if base_dir is not None else None
    tot = report.get("totals", {})
    sav = report.get("savings", {})
    bench = report.get("benchmark", {})
    params = report.get("params", {})
    dur = float(tot.get("duration_s") or 0.0)
    cards = [
        ("footage", _dur(dur), f"{tot.get('files', 0)} file(s), {human_bytes(float(tot.get('bytes') or 0))}"),
        ("takes", str(tot.get("takes", 0)), f"pad {_e(params.get('pad_s'))} s each side"),
        ("archive", _dur(tot.get("archive_s")),
         f"{_num(100 * (1 - float(tot.get('discard_fraction') or 0)), 1)} % of the footage"),
        ("discard", _dur(tot.get("discard_s")),
         f"{_num(100 * float(tot.get('discard_fraction') or 0), 1)} %, "
         f"{human_bytes(float(tot.get('discard_bytes') or 0))}"),
        ("saved per month", f"{_num(sav.get('per_month'))} {_e(sav.get('currency'))}",
         f"at {_e(sav.get('cost_per_tb_month'))} {_e(sav.get('currency'))}/TB-month; "
         f"{_num(sav.get('per_year'))} per year"),
    ]
    if bench.get("x_realtime") is not None:
        cards.append(("speed", f"{_num(bench['x_realtime'], 1)}×", f"realtime, {_num(bench.get('wall_s'))} s wall"))
    files: Sequence[Mapping[str, Any]] = report.get("files", [])
    legend = ('<p class="legend">'
              '<i style="background:var(--arch)"></i>archive<i style="background:var(--disc)"></i>discard'
              '<i style="background:var(--take)"></i>take<i style="background:var(--slate)"></i>slate'
              '<i style="background:var(--tail)"></i>tail slate<i style="background:var(--act)"></i>action'
              '<i style="background:var(--cut)"></i>cut<i style="background:var(--pre)"></i>roll call'
              '<i style="background:var(--clap)"></i>clap</p>')
    assumptions = "".join(f"<li>{_e(a)}</li>" for a in report.get("assumptions", []))
    body = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)} — {_e(report.get('created', ''))}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{_e(title)}</h1><p class=sub>{_e(report.get('created', ''))} · "
        f"{_e(', '.join(report.get('folder', [])))} · schema {_e(report.get('schema'))}</p>",
        '<div class="cards">' + "".join(f'<div class="card"><span>{_e(k)}</span><b>{v}</b><span>{s}</span></div>'
                                        for k, v, s in cards) + "</div></header><main>",
        _bench(report), "<h2>Files</h2>", legend,
        *[_file_section(f, base) for f in files],
        "</main>", f'<footer><h2>Assumptions</h2><ul class="notes">{assumptions}</ul></footer></body></html>',
    ]
    return "\n".join(body) + "\n"


def write_html(report: Mapping[str, Any], path: str | Path, title: str = "Dailies triage") -> Path:
    """Write :func:`report_to_html` to ``path`` (thumbnail paths relative to its folder)."""
    out = Path(path)
    out.write_text(report_to_html(report, out.parent, title), encoding="utf-8")
    return out
