"""Triage report: the takes analyzer on hand-made evidence, the rushes.triage/1 JSON, CSV, HTML,
OTIO/EDL subclips (read back by OpenTimelineIO) and Audacity label tracks (round trip)."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from media_factory import make_video
from rushes.analyzers.takes import Takes, TakesParams, camera_roll_from_name
from rushes.intervals import Intervals
from rushes.library import Library
from rushes.media import fingerprint, probe
from rushes.pipeline.analyzer import AnalyzerContext
from rushes.triage.evaluate import evaluate, parse_truth
from rushes.triage.report import (
    file_to_labels,
    labels_to_truth,
    parse_exports,
    parse_labels,
    report_to_edls,
    report_to_json,
    report_to_otio,
    write_outputs,
)
from rushes.triage.run import SCHEMA, build_report


def _attrs(rows: list[dict[str, Any]]) -> np.ndarray:
    out = np.empty(len(rows), dtype=object)
    out[:] = rows
    return out


def _slates(*rows: tuple[float, float, dict[str, Any]]) -> Intervals:
    return Intervals.from_seconds([r[0] for r in rows], [r[1] for r in rows], "slate", score=0.9,
                                  data={"attrs": _attrs([r[2] for r in rows])})


def _cmds(*rows: tuple[str, float]) -> Intervals:
    return Intervals.from_seconds([r[1] for r in rows], [r[1] + 0.3 for r in rows], [r[0] for r in rows],
                                  score=0.9, data={"attrs": _attrs([{"rule": "isolated", "raw_start": r[1]}
                                                                    for r in rows])})


def _claps(*ts: float) -> Intervals:
    return Intervals.from_seconds(list(ts), list(ts), "clap", score=0.8)


def add_triaged(lib: Library, path: Path, slates: Intervals, commands: Intervals, claps: Intervals,
                work: Path, candidates: Intervals | None = None) -> int:
    """Put a file into the library as if slate/commands/clap/takes had run (takes for real)."""
    cat = lib.catalog
    mid = cat.upsert_media(fingerprint(path), probe(path))
    media = cat.get_media(mid)
    assert media is not None
    unread = candidates if candidates is not None else _slates()
    for analyzer, tracks, calls in (("slate", {"slates": slates, "slate_candidates": unread}, 3),
                                    ("commands", {"commands": commands}, 2), ("clap", {"claps": claps}, 0)):
        cat.commit_result(key=f"{analyzer}-{mid}", media_id=mid, analyzer=analyzer, version="t", params_hash="t",
                          params={}, model_id="", tracks=tracks, wall_s=1.5, cpu_s=1.0, model_calls=calls)
    work.mkdir(parents=True, exist_ok=True)
    inst = Takes(TakesParams(thumb_max_side=64))
    inst.begin(AnalyzerContext(media=media, workdir=work, catalog=cat, library_root=lib.root,
                               inputs={"slates": slates, "commands": commands, "claps": claps,
                                       "slate_candidates": unread}))
    out = inst.finish()
    arts = []
    for a in out.artifacts:
        rel = Path("artifacts") / f"m{mid}" / a.path.name
        (lib.root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(a.path, lib.root / rel)
        arts.append((a.kind, a.path.name, str(rel), (lib.root / rel).stat().st_size, dict(a.attrs)))
    cat.commit_result(key=f"takes-{mid}", media_id=mid, analyzer="takes", version="1", params_hash="t",
                      params={"pad_s": 3.0}, model_id="", tracks=out.tracks, artifacts=arts, wall_s=0.25,
                      cpu_s=0.2, metrics=out.metrics)
    return mid


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two camera files: 24 fps with a start timecode, and 29.97 with a drop-frame one."""
    root = tmp_path_factory.mktemp("day")
    a = make_video(root / "A004C012_261122_R1AB.mp4", seconds=24.0, size=(128, 72), scenes=4,
                   metadata={"timecode": "10:00:00:00"}, gop=24)
    b = make_video(root / "B002C003_261122_R2CD.mov", seconds=12.0, size=(128, 72), fps=Fraction(30000, 1001),
                   scenes=2, metadata={"timecode": "01:00:00;00"}, gop=30)
    lib = Library(root / "lib")
    f1 = {"scene": "12A", "roll": "A004", "take": "3", "camera": "A", "prod": "NIGHT FERRY"}
    mid_a = add_triaged(lib, a, _slates((1.0, 2.5, f1)),
                        _cmds(("rolling", 0.5), ("action", 3.0), ("cut", 9.0), ("action", 14.0), ("cut", 20.0)),
                        _claps(2.0), root / "work_a")
    # a board the reader could not read (a candidate), clapped before "action": the take's slate (rule 12)
    mid_b = add_triaged(lib, b, _slates(), _cmds(("action", 2.0), ("cut", 8.0)), _claps(1.2), root / "work_b",
                        candidates=_slates((0.5, 1.5, {"roll": None, "scene": None, "take": None})))
    items = [{"path": str(a), "status": "ok", "media_id": mid_a, "steps": [{"analyzer": "takes", "status": "ok"}]},
             {"path": str(b), "status": "ok", "media_id": mid_b, "steps": []}]
    report = build_report(lib, items, analyzers=["takes"], folder=[str(root)], cost_per_tb_month=20.0)
    lib.close()
    return {"root": root, "report": report, "a": a, "b": b}


def test_camera_roll_from_name() -> None:
    assert camera_roll_from_name("A004C012_261122_R1AB.mov") == ("A", "A004")
    assert camera_roll_from_name("clip.mp4") is None


def test_report_schema_and_numbers(day: dict[str, Any]) -> None:
    rep = day["report"]
    assert rep["schema"] == SCHEMA == "rushes.triage/1"
    assert set(rep) >= {"schema", "generator", "created", "library", "folder", "params", "files", "totals",
                        "savings", "benchmark", "assumptions"}
    fa, fb = rep["files"]
    assert fa["name"].startswith("A004") and fb["name"].startswith("B002")
    assert [(t["start"], t["end"]) for t in fa["takes"]] == [(3.0, 9.0), (14.0, 20.0)]
    t1 = fa["takes"][0]
    assert (t1["scene"], t1["roll"], t1["take"], t1["camera"]) == ("12A", "A004", "3", "A")
    assert t1["action_t"] == 3.0 and t1["cut_t"] == 9.0 and t1["clap_t"] == 2.0 and t1["slate_t"] == 1.0
    assert t1["preroll"] == {"rolling": 0.5} and t1["slate"]["prod"] == "NIGHT FERRY"
    assert t1["start_tc"] == "10:00:03:00" and t1["end_tc"] == "10:00:09:00"
    # the second take has no slate: roll and camera come from the file name
    assert fa["takes"][1]["roll"] == "A004" and fa["takes"][1]["scene"] is None
    assert fb["takes"][0]["roll"] == "B002" and fb["takes"][0]["start_tc"].count(";") == 1
    # slates: how each was confirmed; the clapped board is listed and is the take's slate
    assert [(sl["start"], sl["confirmed_by"]) for sl in fa["slates"]] == [(1.0, "classifier")]
    assert [(sl["start"], sl["end"], sl["confirmed_by"]) for sl in fb["slates"]] == [(0.5, 1.5, "clap")]
    assert fb["takes"][0]["slate_t"] == 0.5 and fb["takes"][0]["clap_t"] == 1.2
    # archive = takes +-3 s; discard = the rest; bytes in proportion
    assert fa["archive"] == [{"start": 0.0, "end": 23.0}]  # 3-9 and 14-20, +-3 s, merged
    assert fa["discard"] == [{"start": 23.0, "end": 24.0}]
    assert fa["archive_s"] + fa["discard_s"] == pytest.approx(fa["duration_s"], abs=1e-3)
    assert fa["discard_bytes"] == round(fa["size_bytes"] * fa["discard_s"] / fa["duration_s"])
    tot, sav = rep["totals"], rep["savings"]
    assert tot["takes"] == 3 and tot["files"] == 2 and tot["files_failed"] == 0
    assert tot["discard_bytes"] == fa["discard_bytes"] + fb["discard_bytes"]
    assert sav["per_month"] == pytest.approx(tot["discard_bytes"] / 1e12 * 20.0, abs=1e-4)
    assert sav["per_year"] == pytest.approx(sav["per_month"] * 12, abs=1e-3)
    steps = {s["analyzer"]: s for s in rep["benchmark"]["steps"]}
    assert {"commands", "clap", "takes"} <= set(steps)
    assert steps["commands"]["model_calls"] == 4 and steps["takes"]["computed_files"] == 1
    assert rep["benchmark"]["model_calls"] == sum(s["model_calls"] for s in steps.values())
    assert rep["benchmark"]["computed_steps"] == 1 and rep["benchmark"]["cached_steps"] == 7
    for t in fa["takes"] + fb["takes"]:
        assert [th["position"] for th in t["thumbnails"]] == ["start", "middle", "end"]
        assert all(Path(th["path"]).is_file() for th in t["thumbnails"])
    assert json.loads(report_to_json(rep)) == json.loads(json.dumps(rep, default=str))


def test_outputs_html_is_self_contained(day: dict[str, Any], tmp_path: Path) -> None:
    rep, written, warnings = write_outputs(day["report"], tmp_path / "out", ["otio", "edl", "audacity"])
    assert warnings == []
    html = (tmp_path / "out" / "report.html").read_text()
    assert not re.search(r"https?://", html, re.IGNORECASE)
    assert "<svg" in html and html.count("<svg") == 2
    srcs = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert srcs and all(s.startswith("data:image/") for s in srcs)
    assert len(srcs) == 9  # 3 thumbnails x 3 takes
    assert "12A-3" in html and "B002C003_261122_R2CD.mov" in html
    # the written JSON points at the copied thumbnails, relative to the report folder
    doc = json.loads((tmp_path / "out" / "report.json").read_text())
    paths = [th["path"] for f in doc["files"] for t in f["takes"] for th in t["thumbnails"]]
    assert len(paths) == 9 and all((tmp_path / "out" / p).is_file() for p in paths)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "takes.csv").read_text())))
    assert len(rows) == 3 and rows[0]["scene"] == "12A" and rows[0]["start_tc"] == "10:00:03:00"
    assert {p.name for p in written["audacity"]} == {"A004C012_261122_R1AB.txt", "B002C003_261122_R2CD.txt"}
    assert {p.name for p in written["edl"]} == {"takes_24.edl", "takes_29.97df.edl"}
    assert rep["files"][0]["takes"][0]["thumbnails"][0]["path"].startswith("thumbs/")


def _expected_ranges(rep: dict[str, Any]) -> list[tuple[int, int]]:
    from rushes.triage.report import subclips

    return [(sc.clock.start_frames + sc.frame_in, sc.frames) for sc in subclips(rep)]


def test_otio_reads_our_subclips_back(day: dict[str, Any], tmp_path: Path) -> None:
    otio = pytest.importorskip("opentimelineio")
    rep = day["report"]
    path = tmp_path / "takes.otio"
    otio.adapters.write_to_file(report_to_otio(rep), str(path))
    tl = otio.adapters.read_from_file(str(path))
    clips = list(tl.tracks[0])
    got = [(round(c.source_range.start_time.value), round(c.source_range.duration.value)) for c in clips]
    assert got == _expected_ranges(rep)
    assert clips[0].source_range.start_time.to_timecode() == "10:00:03:00"
    assert clips[0].metadata["rushes"]["scene"] == "12A"
    assert [m.name for m in clips[0].markers] == ["clap", "action", "cut"]
    assert clips[0].media_reference.target_url.startswith("file://")
    assert clips[0].media_reference.available_range.start_time.value == 10 * 3600 * 24


def test_edl_reads_back_through_otio(day: dict[str, Any]) -> None:
    otio = pytest.importorskip("opentimelineio")
    try:
        otio.adapters.from_name("cmx_3600")
    except Exception:
        pytest.skip("no OTIO cmx_3600 adapter installed")
    rep = day["report"]
    edls = report_to_edls(rep)
    assert set(edls) == {"_24", "_29.97df"}
    assert "FCM: DROP FRAME" in edls["_29.97df"] and "FCM: NON-DROP FRAME" in edls["_24"]
    assert "01:00:00;00" in edls["_29.97df"]  # record timecode counts drop-frame too
    expected = _expected_ranges(rep)
    got = []
    for suffix, rate in (("_24", 24), ("_29.97df", 30000 / 1001)):
        tl = otio.adapters.read_from_string(edls[suffix], "cmx_3600", rate=rate)
        got += [(round(c.source_range.start_time.value), round(c.source_range.duration.value))
                for c in tl.video_tracks()[0] if isinstance(c, otio.schema.Clip)]
    assert got == expected


def test_audacity_round_trip_and_truth(day: dict[str, Any]) -> None:
    rep = day["report"]
    f = rep["files"][0]
    text = file_to_labels(f)
    assert "take scene=12A take=3 roll=A004 camera=A" in text
    labels = parse_labels(text)
    takes = labels[np.array([lab.startswith("take") for lab in labels.labels()])]
    assert np.allclose(takes.start_seconds, [t["start"] for t in f["takes"]])
    assert np.allclose(takes.end_seconds, [t["end"] for t in f["takes"]])
    truth = labels_to_truth(labels)
    assert truth["takes"][0] == {"start": 3.0, "end": 9.0, "roll": "A004", "scene": "12A", "take": "3", "camera": "A"}
    assert ("action", 3.0) in [(e["type"], e["t"]) for e in truth["events"]]
    assert sorted(e["type"] for e in truth["events"]) == ["action", "action", "cut", "cut", "slate"]
    # the exported labels used as ground truth score the report perfectly
    scores = evaluate(rep, parse_truth({"files": {f["name"]: truth}}))
    assert scores["archive_precision"] == scores["archive_recall"] == 1.0
    assert scores["events"]["action"]["recall"] == 1.0 and scores["events"]["cut"]["precision"] == 1.0
    assert scores["field_accuracy"] == {"roll": 1.0, "scene": 1.0, "take": 1.0}


def test_audacity_parse_tolerates_frequency_lines_and_rejects_garbage() -> None:
    from rushes.errors import QueryError

    iv = parse_labels("1.5\t2.5\ttake scene=4\n\\\t100.0\t2000.0\n3\t3\tcut\n\n")
    assert iv.labels() == ["take scene=4", "cut"]
    with pytest.raises(QueryError, match="line 1"):
        parse_labels("not a label\n")


def test_parse_exports() -> None:
    from rushes.errors import QueryError

    assert parse_exports("otio, EDL,otio") == ["otio", "edl"]
    assert parse_exports("") == []
    with pytest.raises(QueryError, match="unknown export"):
        parse_exports("fcpxml")
