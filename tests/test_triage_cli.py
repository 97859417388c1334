"""``rushes triage`` and ``rushes eval triage`` in-process; end to end on a generated reel (slow)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from rushes.cli.main import cli


def run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, list(args))
    return res.exit_code, res.output


def test_help_lists_the_options() -> None:
    code, out = run("triage", "--help")
    assert code == 0
    for opt in ("--library", "--out", "--pad", "--cost-per-tb-month", "--json", "--export"):
        assert opt in out
    code, out = run("eval", "triage", "--help")
    assert code == 0 and all(o in out for o in ("--truth", "--media", "--pad", "--json"))


def test_bad_export_is_a_usage_error(tmp_path: Path) -> None:
    code, out = run("triage", str(tmp_path), "-L", str(tmp_path / "lib"), "--export", "fcpxml")
    assert code == 2 and "unknown export" in out


def test_eval_truth_must_be_valid(tmp_path: Path) -> None:
    bad = tmp_path / "truth.json"
    bad.write_text('{"takes": []}')
    code, out = run("eval", "triage", "--truth", str(bad), "--media", str(tmp_path))
    assert code == 2 and "truth" in out


@pytest.fixture(scope="module")
def reel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from rushes.demo import generate_reel
    from rushes.errors import ModelNotAvailable

    out = tmp_path_factory.mktemp("reel")
    try:
        generate_reel(out, files=2, takes_per_file=3, seed=3, director_snr_db=20, confusers=True)
    except ModelNotAvailable as exc:
        pytest.skip(f"no offline voice: {exc}")
    return out


@pytest.mark.slow
@pytest.mark.models
def test_triage_and_eval_on_a_generated_reel(reel: Path, tmp_path: Path) -> None:
    lib, out = str(tmp_path / "lib"), tmp_path / "report"
    code, text = run("triage", str(reel), "-L", lib, "--out", str(out), "--json", "--export", "otio,edl,audacity",
                     "-j", "1")
    assert code == 0, text
    rep = json.loads(text)
    truth = json.loads((reel / "truth.json").read_text())
    assert rep["schema"] == "rushes.triage/1" and rep["totals"]["files"] == 2
    assert rep["totals"]["takes"] >= 5
    assert 0 < rep["totals"]["discard_fraction"] < 0.5
    assert all((out / n).is_file() for n in ("report.json", "takes.csv", "report.html", "takes.otio", "takes.edl"))
    assert not re.search(r"https?://", (out / "report.html").read_text())
    assert len(list((out / "audacity").glob("*.txt"))) == 2
    for f in rep["files"]:
        assert all(len(t["thumbnails"]) == 3 for t in f["takes"])
        assert f["name"] in truth["files"]
    # scoring: the library is reused, so nothing is computed twice
    code, text = run("eval", "triage", "--truth", str(reel / "truth.json"), "--media", str(reel), "-L", lib,
                     "--json")
    assert code == 0, text
    scores = json.loads(text)
    assert {"archive_precision", "archive_recall", "events", "field_accuracy"} <= set(scores)
    assert set(scores["events"]) == {"slate", "action", "cut"}
    assert set(scores["field_accuracy"]) == {"roll", "scene", "take"}
    assert scores["archive_precision"] >= 0.9 and scores["archive_recall"] >= 0.9
    assert scores["events"]["action"]["recall"] >= 0.8 and scores["events"]["cut"]["recall"] >= 0.8
    assert scores["field_accuracy"]["roll"] == 1.0  # from the slate, else from the camera file name
    # the exported label tracks, as truth, score the same report perfectly on archive
    code, text = run("eval", "triage", "--truth", str(out / "audacity"), "--media", str(reel), "-L", lib, "--json")
    assert code == 0, text
    again = json.loads(text)
    assert again["archive_precision"] == again["archive_recall"] == 1.0
    # the shipped slate_moment pattern over the same tracks, against the reel's slate segments
    res = CliRunner().invoke(cli, ["eval", "patterns", "slate_moment", "--truth", str(reel / "truth.json"),
                                   "--segments", "slate", "-L", lib, "--json"])
    assert res.exit_code == 0, res.output
    moments = json.loads(res.stdout)  # stderr may carry a note (no tag tracks without the search analyzers)
    assert moments["intervals"]["precision"] >= 0.8 and moments["intervals"]["recall"] >= 0.8
    assert moments["time"]["precision"] >= 0.8  # the hits lie on the boards
