"""A generated reel (distant director at 20 dB SNR, confusers, crew calls) through the real pipeline."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from rushes.library import Library
from rushes.triage.speech.evaluate import command_truth, match_events
from rushes.triage.speech.rules import COMMAND_LABELS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.models,
    pytest.mark.skipif(importlib.util.find_spec("faster_whisper") is None, reason="needs the triage extra"),
]


@pytest.fixture(scope="module")
def reel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:  # type: ignore[type-arg]
    from rushes.demo import ReelTruth, generate_reel

    out = tmp_path_factory.mktemp("reel")
    try:
        truth = generate_reel(out, files=1, takes_per_file=3, seed=11, width=320, height=180,
                              director_snr_db=20, confusers=True, set_calls=True)
    except Exception as exc:  # no offline voice: nothing to test
        pytest.skip(f"cannot generate speech: {exc}")
    assert isinstance(truth, ReelTruth)
    return out, truth.to_dict()["files"]


def test_commands_and_claps_from_a_generated_reel(reel: tuple[Path, dict], tmp_path: Path) -> None:  # type: ignore[type-arg]
    folder, files = reel
    with Library(tmp_path / "lib") as lib:
        rep = lib.ingest([folder], analyzers=["commands", "clap"], workers=1)
        assert rep.exit_code == 0, rep.items
        steps = {s["analyzer"]: s["status"] for s in rep.items[0]["steps"]}
        assert steps == {"speech": "ok", "commands": "ok", "clap": "ok"}
        (ft,) = files.values()
        media_id = lib.catalog.execute("SELECT id FROM media").fetchone()[0]

        cmds = lib.catalog.get_intervals("commands", media_id=media_id)
        assert set(cmds.labels()) <= set(COMMAND_LABELS)
        for row in cmds:
            assert row.end_seconds >= row.start_seconds
            assert {"raw_start", "rule", "method", "text"} <= set(row.data["attrs"])
        det = [(r.label, r.start_seconds) for r in cmds]
        truth = command_truth(ft)
        takes = [t for t in truth if t[0] in ("action", "cut")]
        matches, false, _missed = match_events(det, truth, 3.0)
        found_takes = [truth[j] for _i, j in matches if truth[j][0] in ("action", "cut")]
        assert len(found_takes) == len(takes), (det, truth)  # every action and cut within ±3 s
        assert len(false) <= 1, [det[i] for i in false]
        errors = [abs(det[i][1] - truth[j][1]) for i, j in matches if truth[j][0] in ("action", "cut")]
        assert max(errors) < 0.5  # refined onsets, well inside the tolerance

        words = lib.catalog.get_intervals("words", media_id=media_id)
        assert all(re.fullmatch(r"[a-z0-9']+", w) for w in words.labels())
        assert {"action", "cut"} <= set(words.labels())
        utts = lib.catalog.get_intervals("utterances", media_id=media_id)
        assert len(utts) >= len(takes) and all(u.strip() for u in utts.labels())

        claps = lib.catalog.get_intervals("claps", media_id=media_id)
        truth_claps = [e["t"] for e in ft["events"] if e["type"] == "clap"]
        assert len(claps) == len(truth_claps)
        for got, want in zip(claps.start_seconds.tolist(), truth_claps):
            assert abs(got - want) < 0.1
        assert (claps.start == claps.end).all()

        # new rules/params re-run only `commands`: the transcript stays cached
        lib.set_analyzer_config("commands", {"refine": "energy"})
    with Library(tmp_path / "lib") as lib:
        again = lib.ingest([folder], analyzers=["commands"], workers=1)
        steps = {s["analyzer"]: s["status"] for s in again.items[0]["steps"]}
        assert steps == {"speech": "cached", "commands": "ok"}
