"""``rushes shots``, ``rushes eval shots`` and ``rushes calibrate shots`` through click's CliRunner."""

from __future__ import annotations

import json
import tomllib
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from rushes.cli.main import cli
from rushes.cli.shots_cmd import register
from rushes.shots.synth import ClipSpec, SceneSpec, SynthTruth, write_clip

register(cli)  # idempotent: main.py may already have added these commands


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthTruth]:
    path = tmp_path_factory.mktemp("cli") / "A001C001.mp4"
    spec = ClipSpec([SceneSpec("texture", 30, seed=21), SceneSpec("texture", 30, seed=22),
                     SceneSpec("solid", 30, color=(30, 160, 60)), SceneSpec("texture", 30, seed=21)],
                    width=160, height=90, fps=Fraction(25))
    return path, write_clip(path, spec)


def test_shots_command_writes_every_format(clip: tuple[Path, SynthTruth], tmp_path: Path) -> None:
    path, truth = clip
    out = tmp_path / "out"
    args = ["shots", str(path), "--mode", "classical", "--no-groups", "--out", str(out), "--json"]
    for fmt in ("csv", "json", "edl", "otio", "fcpxml"):
        args += ["--format", fmt]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert [s["start_frame"] for s in doc[0]["shots"]] == [0, *truth.cuts]
    assert sorted(p.suffix for p in out.iterdir() if p.is_file()) == [".csv", ".edl", ".fcpxml", ".json", ".otio"]
    thumbs = list((out / "A001C001_shots").glob("*.jpg"))
    assert len(thumbs) == len(truth.cuts) + 1
    text = CliRunner().invoke(cli, ["shots", str(path), "--mode", "classical", "--no-groups"])
    assert text.exit_code == 0 and "4 shots" in text.output


def test_shots_command_errors_map_to_exit_codes(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["shots", str(tmp_path / "missing.mp4")])
    assert res.exit_code != 0
    bad = tmp_path / "not_video.mp4"
    bad.write_bytes(b"hello")
    res = CliRunner().invoke(cli, ["shots", str(bad), "--mode", "classical"])
    assert res.exit_code == 4, res.output


def test_eval_shots_json(clip: tuple[Path, SynthTruth], tmp_path: Path) -> None:
    path, truth = clip
    tfile = tmp_path / "truth.json"
    tfile.write_text(json.dumps({"files": {path.name: truth.to_truth_entry()}}))
    res = CliRunner().invoke(cli, ["eval", "shots", "--truth", str(tfile), "--media", str(path.parent),
                                   "--mode", "classical", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["precision"] == doc["recall"] == doc["f1"] == 1.0
    assert doc["files"][path.name]["tp"] == len(truth.cuts)
    human = CliRunner().invoke(cli, ["eval", "shots", "--truth", str(tfile), "--media", str(path.parent),
                                     "--mode", "classical"])
    assert human.exit_code == 0 and "F1 1.000" in human.output


def test_calibrate_shots_saves_thresholds(clip: tuple[Path, SynthTruth], tmp_path: Path) -> None:
    path, truth = clip
    marks = tmp_path / "marks.txt"  # Audacity labels: start<TAB>end<TAB>label
    marks.write_text("".join(f"{c / 25:.3f}\t{c / 25:.3f}\tcut\n" for c in truth.cuts))
    lib = tmp_path / "lib"
    res = CliRunner().invoke(cli, ["calibrate", "shots", str(marks), "--media", str(path), "--library", str(lib),
                                   "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["after"]["f1"] == 1.0 and doc["after"]["f1"] >= doc["before"]["f1"]
    cfg = tomllib.loads((lib / "config.toml").read_text())
    assert cfg["analyzers"]["shots"]["adaptive_threshold"] == doc["values"]["adaptive_threshold"]
    # the saved thresholds are what `rushes shots --library` now uses
    again = CliRunner().invoke(cli, ["shots", str(path), "--library", str(lib), "--mode", "classical",
                                     "--no-groups", "--json"])
    assert again.exit_code == 0, again.output
    assert [s["start_frame"] for s in json.loads(again.output)[0]["shots"]] == [0, *truth.cuts]


def test_calibrate_csv_marks_with_negatives(clip: tuple[Path, SynthTruth], tmp_path: Path) -> None:
    from rushes.shots import ShotParams, calibrate_shots, read_marks

    path, truth = clip
    marks = tmp_path / "marks.csv"
    marks.write_text("time,kind,end\n" + "".join(f"{c / 25},cut,\n" for c in truth.cuts) + "0.2,not_cut,0.8\n")
    parsed = read_marks(marks, path.name)
    assert len(parsed[path.name].cuts) == len(truth.cuts) and parsed[path.name].negatives == [(0.2, 0.8)]
    res = calibrate_shots(parsed, {path.name: path}, ShotParams(), partial=True)
    assert res["after"]["fn"] == 0 and res["partial"]
