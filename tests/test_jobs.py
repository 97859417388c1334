"""Jobs across terminals: pause/resume/cancel from another process, and kill -9 then rerun."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import TESTS, make_video
from rushes.catalog import Catalog
from rushes.cli.main import cli
from rushes.library import Library

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def four_clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("four")
    for i in range(4):
        make_video(d / f"A00{i}C001_261122_R1AB.mp4", seconds=3.0, size=(64, 36), audio=False, scenes=2,
                   seed=i)  # distinct content: identical files would share one fingerprint
    return d


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["RUSHES_PLUGINS"] = "plugins_for_tests"
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")])
    return env


def _start(lib: Path, clips: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "rushes", "ingest", str(clips), "-a", "t_slow", "-L", str(lib), "--json", *extra],
        env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def _wait(pred, timeout: float = 60.0, what: str = "condition") -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if pred():
                return
        except Exception:
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _counts(lib: Path) -> dict[str, int]:
    with Catalog(lib / "catalog.sqlite", readonly=True) as cat:
        return {r[0]: r[1] for r in cat.execute("SELECT state, COUNT(*) FROM job_items GROUP BY state")}


def _cli(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, list(args))
    return res.exit_code, res.output


def test_pause_resume_from_another_terminal(tmp_path: Path, four_clips: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    lib = tmp_path / "lib"
    proc = _start(lib, four_clips, "-j", "1")
    try:
        _wait(lambda: _counts(lib).get("running", 0) >= 1, what="job start")
        code, out = _cli("jobs", "pause", "1", "-L", str(lib))
        assert code == 0 and "paused" in out
        time.sleep(1.5)  # workers notice within POLL_S; the file in flight stops mid-way
        before = _counts(lib)
        time.sleep(2.0)
        assert _counts(lib) == before, "work went on while paused"
        assert proc.poll() is None
        code, out = _cli("jobs", "list", "-L", str(lib), "--json")
        assert json.loads(out)[0]["state"] == "paused"
        code, out = _cli("jobs", "resume", "1", "-L", str(lib))
        assert code == 0 and "running" in out
        stdout, _ = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0
    report = json.loads(stdout)
    assert report["state"] == "completed" and report["summary"]["ok"] == 4


def test_cancel_then_resume_runs_the_rest(tmp_path: Path, four_clips: Path, plugins: None) -> None:
    lib = tmp_path / "lib"
    proc = _start(lib, four_clips, "-j", "1")
    try:
        _wait(lambda: _counts(lib).get("ok", 0) >= 1, what="first file")
        code, out = _cli("jobs", "cancel", "1", "-L", str(lib))
        assert code == 0, out
        stdout, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 6
    report = json.loads(stdout)
    assert report["state"] == "cancelled"
    done = report["summary"]["ok"]
    assert 1 <= done < 4 and report["summary"]["pending"] == 4 - done
    with Catalog(lib / "catalog.sqlite") as cat:
        before = {r[0]: r[1] for r in cat.execute("SELECT key, created_at FROM results")}
    code, out = _cli("jobs", "resume", "1", "-L", str(lib), "-j", "1")
    assert code == 0, out
    with Catalog(lib / "catalog.sqlite") as cat:
        after = {r[0]: r[1] for r in cat.execute("SELECT key, created_at FROM results")}
        state = cat.execute("SELECT state FROM jobs WHERE id=1").fetchone()[0]
    assert state == "completed" and len(after) == 4
    assert all(after[k] == v for k, v in before.items()), "finished work was redone"


def test_kill_9_then_rerun_loses_nothing(tmp_path: Path, four_clips: Path, plugins: None) -> None:
    lib = tmp_path / "lib"
    finished: dict[str, float] = {}
    for delay in (0.8, 2.5, 4.0):  # kill at different moments, incl. inside the process pool
        proc = _start(lib, four_clips, "-j", "2")
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        time.sleep(0.5)  # workers die with their parent (PR_SET_PDEATHSIG)
        with Catalog(lib / "catalog.sqlite") as cat:
            assert cat.integrity_ok()
            rows = {r[0]: r[1] for r in cat.execute("SELECT key, created_at FROM results")}
        for k, v in finished.items():
            assert rows.get(k) == v, "a finished result was lost or redone"
        finished = rows
    jobs = Library(lib).list_jobs()
    assert all(j.effective_state in ("interrupted", "completed") for j in jobs)
    rep = Library(lib).ingest([four_clips], analyzers=["t_slow"], workers=1)
    assert rep.exit_code == 0
    with Catalog(lib / "catalog.sqlite") as cat:
        final = {r[0]: r[1] for r in cat.execute("SELECT key, created_at FROM results")}
        assert cat.integrity_ok()
    assert len(final) == 4
    for k, v in finished.items():
        assert final[k] == v
    statuses = [s["status"] for i in rep.items for s in i["steps"]]
    assert statuses.count("cached") == len(finished)


def test_interrupted_job_resumes_in_new_process(tmp_path: Path, four_clips: Path, plugins: None) -> None:
    lib = tmp_path / "lib"
    proc = _start(lib, four_clips, "-j", "1")
    _wait(lambda: _counts(lib).get("ok", 0) >= 1, what="first file")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    code, out = _cli("jobs", "list", "-L", str(lib))
    assert "interrupted" in out
    code, out = _cli("jobs", "resume", "1", "-L", str(lib), "-j", "1", "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["summary"]["ok"] == 4 and report["state"] == "completed"


def test_job_control_errors(tmp_path: Path, clip_av: Path) -> None:
    lib = tmp_path / "lib"
    Library(lib).ingest([clip_av], workers=1)
    code, out = _cli("jobs", "pause", "1", "-L", str(lib))
    assert code == 2 and "completed" in out
    code, out = _cli("jobs", "resume", "99", "-L", str(lib))
    assert code == 2 and "no job 99" in out
    code, out = _cli("jobs", "cancel", "1", "-L", str(lib))
    assert code == 2
