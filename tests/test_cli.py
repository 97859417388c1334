"""The CLI in-process: JSON shapes, exit codes, error messages."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from rushes.cli.main import cli
from rushes.pipeline.registry import default_analyzers


def run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, list(args))
    return res.exit_code, res.output


def test_ingest_status_info_json(tmp_path: Path, clip_av: Path, png_file: Path) -> None:
    lib = str(tmp_path / "lib")
    code, out = run("ingest", str(clip_av), str(png_file), "-L", lib, "--json", "-j", "1")
    assert code == 0, out
    rep = json.loads(out)
    assert rep["summary"] == {**rep["summary"], "inputs": 2, "ok": 2, "failed": 0}
    assert all(i["status"] == "ok" and "error" not in i for i in rep["inputs"])

    code, out = run("status", "-L", lib, "--json")
    st = json.loads(out)
    assert code == 0 and st["media"] == 2 and st["media_by_kind"] == {"video": 1, "image": 1}
    assert {"thumbnails", "levels", "audio_levels"} <= set(st["analyzers"])
    assert st["jobs"][0]["state"] == "completed"

    code, out = run("info", clip_av.name, "-L", lib, "--json")
    info = json.loads(out)
    assert code == 0 and info["name"] == clip_av.name and info["kind"] == "video"
    assert info["probe"]["video"][0]["frame_rate"] == "24"
    assert {a["analyzer"] for a in info["analyzers"]} == set(default_analyzers())
    assert any(a["kind"] == "thumbnail" for a in info["artifacts"])

    code, out = run("status", "-L", lib)
    assert code == 0 and "media: 2" in out


def test_info_on_file_outside_library(tmp_path: Path, clip_ntsc_tc: Path) -> None:
    code, out = run("info", str(clip_ntsc_tc), "-L", str(tmp_path / "none"), "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["in_library"] is False and data["start_timecode"] == "01:00:00;00"


def test_errors_and_exit_codes(tmp_path: Path, clip_av: Path) -> None:
    code, out = run("status", "-L", str(tmp_path / "nothing"))
    assert code == 3 and "no library" in out
    code, out = run("ingest", str(clip_av), "-a", "nope", "-L", str(tmp_path / "l"))
    assert code == 2 and "unknown analyzer" in out
    code, out = run("info", "missing.mov", "-L", str(tmp_path / "l"))
    assert code == 2 and "no media matching" in out
    code, out = run("ingest", str(tmp_path / "empty-dir-that-does-not-exist"), "-L", str(tmp_path / "l"))
    assert code == 1 and "no such file" in out
    empty = tmp_path / "emptydir"
    empty.mkdir()
    code, out = run("ingest", str(empty), "-L", str(tmp_path / "l"))
    assert code == 2 and "nothing to ingest" in out


def test_analyzers_listing() -> None:
    code, out = run("analyzers", "--json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert code == 0 and rows["thumbnails"]["params"]["count"] == "6"
    assert rows["levels"]["default"] is True


def test_demo_generates_and_ingests(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    code, out = run("demo", "-L", str(lib), "--files", "1", "--takes", "1", "--no-progress")
    assert code == 0, out
    truth = json.loads((lib / "demo-footage" / "truth.json").read_text())
    assert len(truth["files"]) == 1
    report = json.loads((lib / "reports" / "demo" / "report.json").read_text())
    assert report["schema"] == "rushes.triage/1" and report["totals"]["takes"] == 1
    assert {"slate", "speech", "takes", "shots"} <= set(report["params"]["analyzers"])  # triage + defaults
    for name in ("takes.csv", "report.html", "takes.otio", "takes.edl"):
        assert (lib / "reports" / "demo" / name).is_file(), name
    assert "against the generated truth: archive precision" in out and "takes found 1/1" in out
    code, out = run("status", "-L", str(lib), "--json")
    assert json.loads(out)["media"] == 1


def test_cli_reference_is_current() -> None:
    """docs/cli-reference.md is generated from the commands: regenerate it with
    `python -m rushes.cli.reference > docs/cli-reference.md` when a command changes."""
    from rushes.cli.reference import render_reference

    committed = (Path(__file__).resolve().parents[1] / "docs" / "cli-reference.md").read_text(encoding="utf-8")
    assert committed == render_reference()
