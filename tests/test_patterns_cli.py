"""The patterns/query CLI over a real library."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rushes.cli.main import cli
from rushes.intervals import Intervals
from rushes.library import Library
from test_patterns_azure_vi import INSIGHTS


@pytest.fixture()
def lib_with_tracks(tmp_path: Path, clip_av: Path, clip_noaudio: Path) -> Path:
    root = tmp_path / "lib"
    lib = Library(root)
    lib.ingest([clip_av, clip_noaudio], workers=1)
    for m in lib.catalog.list_media():
        lib.catalog.commit_result(
            key=f"k{m.id}", media_id=m.id, analyzer="handmade", version="1", params_hash="p", params={},
            model_id="", tracks={
                "tag": Intervals.from_seconds([0.0, 0.8], [0.6, 1.4], ["person", "text"]),
                "takes": Intervals.from_seconds([0.2], [1.2], "take"),
            })
    lib.close()
    return root


def run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, list(args))
    return res.exit_code, res.output


def test_query_json_and_exports(lib_with_tracks: Path, tmp_path: Path) -> None:
    L = str(lib_with_tracks)
    code, out = run("query", "tag:person OVERLAPS takes:*", "-L", L, "--json",
                    "--csv", str(tmp_path / "h.csv"), "--edl", str(tmp_path / "h.edl"))
    assert code == 0, out
    data = json.loads(out)
    assert data["count"] == 2 and {h["start"] for h in data["hits"]} == {0.0}
    assert (tmp_path / "h.csv").read_text().count("\n") >= 3
    assert "TITLE:" in (tmp_path / "h.edl").read_text()
    code, out = run("query", "tag:person DURING takes:*", "-L", L, "--json")
    assert json.loads(out)["count"] == 0


def test_query_syntax_error_exit_2(lib_with_tracks: Path) -> None:
    code, out = run("query", "tag:person AND (", "-L", str(lib_with_tracks))
    assert code == 2 and "position" in out and "^" in out


def test_pattern_run_png_and_save_track(lib_with_tracks: Path, tmp_path: Path) -> None:
    toml = tmp_path / "p.toml"
    toml.write_text('name = "person_text"\nthreshold = 1.5\nstep = 0.1\n\n[weights]\n"tag:person" = 1.0\n'
                    '"tag:text" = 1.0\n"takes:*" = 1.0\n')
    L = str(lib_with_tracks)
    code, out = run("patterns", "run", str(toml), "-L", L, "--json", "--png", str(tmp_path / "png"),
                    "--save-track", "pattern_person_text", "--html", str(tmp_path / "r.html"))
    assert code == 0, out
    data = json.loads(out)
    assert data["count"] == 4  # per file: person+take over [0.2, 0.6], text+take over [0.8, 1.2]
    assert {(h["start"], h["end"]) for h in data["hits"]} == {(0.2, 0.6), (0.8, 1.2)}
    assert all(Path(p).stat().st_size > 1000 for p in data["png"].values())
    page = (tmp_path / "r.html").read_text()
    assert page.count("data:image/png;base64,") == 2 and "http" not in page
    code, out = run("query", "pattern_person_text:*", "-L", L, "--json")
    assert json.loads(out)["count"] == 4
    truth = tmp_path / "truth.csv"
    names = sorted({h["file"] for h in data["hits"]})
    truth.write_text("file,start,end\n" + "".join(f"{n},0.2,1.2\n" for n in names))
    code, out = run("eval", "patterns", str(toml), "--truth", str(truth), "-L", L, "--json")
    assert code == 0, out
    scores = json.loads(out)
    assert json.dumps(scores).count("precision") > 0.0


def test_bad_pattern_file(lib_with_tracks: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("name = 3\n[weights]\n")
    code, out = run("patterns", "run", str(bad), "-L", str(lib_with_tracks))
    assert code == 2 and "bad.toml" in out


def test_import_vi(lib_with_tracks: Path, tmp_path: Path, clip_av: Path) -> None:
    f = tmp_path / "insights.json"
    f.write_text(json.dumps(INSIGHTS))
    L = str(lib_with_tracks)
    code, out = run("import", "vi", str(f), "--media", clip_av.name, "-L", L)
    assert code == 0, out and "imported" in out
    code, out = run("status", "-L", L, "--json")
    assert any(t.startswith("vi_") for t in json.loads(out)["tracks"])
