"""Triage evaluation metrics on hand-made truth and predictions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rushes.errors import QueryError
from rushes.triage.evaluate import evaluate, load_truth, match_events, overlap_seconds, parse_truth


def pred_file(name: str, takes: list[dict[str, Any]], duration: float = 60.0,
              slates: list[float] = (), commands: list[tuple[str, float]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    return {"name": name, "duration_s": duration, "takes": takes,
            "slates": [{"start": s, "end": s + 2} for s in slates],
            "commands": [{"label": lab, "t": t} for lab, t in commands]}


def report(*files: dict[str, Any], pad: float = 3.0) -> dict[str, Any]:
    return {"schema": "rushes.triage/1", "params": {"pad_s": pad}, "files": list(files)}


def test_match_events_one_to_one_within_tolerance() -> None:
    assert match_events([10.0, 10.5], [10.2], 3.0) == [(10.0, 10.2)]
    assert match_events([1.0, 5.0], [3.9, 4.1], 3.0) == [(1.0, 3.9), (5.0, 4.1)]  # a maximum matching
    assert match_events([0.0], [3.0], 3.0) == [(0.0, 3.0)] and match_events([0.0], [3.01], 3.0) == []
    assert match_events([], [1.0], 3.0) == []


def test_overlap_seconds() -> None:
    assert overlap_seconds([(0, 10), (20, 30)], [(5, 25)]) == pytest.approx(10.0)
    assert overlap_seconds([], [(0, 1)]) == 0.0


def test_archive_precision_recall_with_the_same_padding() -> None:
    truth = parse_truth({"files": {"a.mov": {"takes": [{"start": 10, "end": 20}], "events": []}}})
    rep = report(pred_file("a.mov", [{"start": 12.0, "end": 22.0}]))
    s0 = evaluate(rep, truth, pad_s=0.0)
    assert s0["archive_precision"] == pytest.approx(0.8) and s0["archive_recall"] == pytest.approx(0.8)
    s3 = evaluate(rep, truth, pad_s=3.0)  # truth 7-23, prediction 9-25: 14 of 16 s
    assert s3["archive_precision"] == pytest.approx(0.875) and s3["archive_recall"] == pytest.approx(0.875)
    assert s3["pad_s"] == 3.0 and s3["archive_seconds"] == {"predicted": 16.0, "truth": 16.0, "overlap": 14.0}
    # discard is the complement of the 60 s file: 44 s each, 42 in common
    assert s3["discard_precision"] == pytest.approx(42 / 44, abs=1e-4)
    # the report's pad is the default
    assert evaluate(report(pred_file("a.mov", [{"start": 12.0, "end": 22.0}]), pad=0.0), truth)["pad_s"] == 0.0


def test_padding_is_clipped_to_the_file() -> None:
    truth = parse_truth({"files": {"a": {"takes": [{"start": 1, "end": 9}], "duration": 10.0}}})
    s = evaluate(report(pred_file("a", [{"start": 1.0, "end": 9.0}], duration=10.0)), truth, pad_s=3.0)
    assert s["archive_precision"] == s["archive_recall"] == 1.0 and s["archive_seconds"]["truth"] == 10.0
    assert s["discard_recall"] == 0.0  # nothing to discard


def test_events_per_type() -> None:
    truth = parse_truth({"files": {"a": {
        "takes": [{"start": 10, "end": 20}, {"start": 40, "end": 50}],
        "events": [{"type": "slate", "t": 7}, {"type": "action", "t": 10}, {"type": "cut", "t": 20},
                   {"type": "slate", "t": 37}, {"type": "action", "t": 40}, {"type": "cut", "t": 50},
                   {"type": "clap", "t": 9}]}}})
    takes = [{"start": 11.0, "end": 20.5, "cut_t": 20.5}, {"start": 44.0, "end": 55.0, "cut_t": None},
             {"start": 56.0, "end": 58.0, "cut_t": 58.0}]
    s = evaluate(report(pred_file("a", takes, slates=[7.5])), truth)
    ev = s["events"]
    assert ev["slate"] == {"precision": 1.0, "recall": 0.5, "tp": 1, "fp": 0, "fn": 1, "mean_abs_error_s": 0.5}
    assert (ev["action"]["tp"], ev["action"]["fp"], ev["action"]["fn"]) == (1, 2, 1)  # 44 is 4 s late
    assert ev["cut"]["precision"] == 0.5 and ev["cut"]["recall"] == 0.5
    assert set(ev) == {"slate", "action", "cut"}


def test_field_accuracy_over_matched_takes() -> None:
    truth = parse_truth({"files": {"a": {"takes": [
        {"start": 10, "end": 20, "roll": "A004", "scene": "12A", "take": "3"},
        {"start": 30, "end": 40, "roll": "A004", "scene": "12A", "take": "4"},
        {"start": 50, "end": 60, "roll": "A004", "scene": "13", "take": "1"}]}}})
    takes = [{"start": 10.5, "end": 20.0, "roll": "a004", "scene": "12a", "take": "03"},
             {"start": 30.0, "end": 40.0, "roll": "A004", "scene": "12B", "take": None},
             {"start": 70.0, "end": 75.0, "roll": "A004", "scene": "13", "take": "1"}]  # matches nothing
    s = evaluate(report(pred_file("a", takes, duration=80.0)), truth)
    assert s["takes"]["matched"] == 2 and s["takes"]["precision"] == pytest.approx(0.6667, abs=1e-4)
    assert s["field_accuracy"] == {"roll": 1.0, "scene": 0.5, "take": 0.5}
    assert s["field_counts"]["take"] == {"correct": 1, "scored": 2}


def test_missing_file_counts_as_nothing_found_and_commands_are_scored() -> None:
    truth = parse_truth({"files": {
        "a.mp4": {"takes": [{"start": 5, "end": 15}], "events": [{"type": "action", "t": 5}, {"type": "cut", "t": 15}],
                  "duration": 300.0},
        "b.mp4": {"takes": [{"start": 5, "end": 15}], "duration": 300.0}}})
    cmds = [("action", 5.2), ("cut", 15.1), ("cut", 100.0), ("action", 200.0)]
    s = evaluate(report(pred_file("a.mp4", [{"start": 5.2, "end": 15.1, "cut_t": 15.1}], 300.0, commands=cmds)),
                 truth)
    assert s["missing_files"] == ["b.mp4"] and s["archive_recall"] < 0.6
    assert s["commands"]["action"]["recall"] == 1.0 and s["commands"]["false_calls"] == 2
    assert s["commands"]["false_per_10min"] == pytest.approx(2.0)  # 2 false calls in 10 min of footage


def test_truth_validation_and_loading(tmp_path: Path) -> None:
    with pytest.raises(QueryError):
        parse_truth({"takes": []})
    with pytest.raises(QueryError, match="ends before"):
        parse_truth({"files": {"a": {"takes": [{"start": 5, "end": 1}]}}})
    with pytest.raises(QueryError, match="bad take"):
        parse_truth({"files": {"a": {"takes": [{"start": 5}]}}})
    p = tmp_path / "truth.json"
    p.write_text(json.dumps({"files": {"a.mov": {"takes": [{"start": 1, "end": 2, "roll": "A1", "scene": "1",
                                                             "take": "1", "slate": 0.5}],
                                                  "events": [{"type": "cut", "t": 2}]}},
                             "generator": {"seed": 1}}))
    t = load_truth(p)
    assert t["a.mov"].takes[0].roll == "A1" and t["a.mov"].event_times("cut") == [2.0]
    labels = tmp_path / "labels"
    labels.mkdir()
    (labels / "a.txt").write_text("1.0\t2.0\ttake scene=1 take=1 roll=A1\n2.0\t2.0\tcut\n")
    t2 = load_truth(labels)
    assert t2["a"].takes[0].scene == "1" and t2["a"].event_times("cut") == [2.0]
    assert load_truth(labels / "a.txt")["a"].takes[0].take == "1"
    # label truth named by stem scores a media file of that stem
    s = evaluate(report(pred_file("a.mov", [{"start": 1.0, "end": 2.0, "cut_t": 2.0, "scene": "1", "take": "1",
                                              "roll": "A1"}], 10.0)), t2)
    assert s["missing_files"] == [] and s["events"]["cut"]["recall"] == 1.0
    with pytest.raises(QueryError):
        load_truth(tmp_path / "nope.json")
