"""Generated adverts with an end card, and the shipped ``ending`` pattern that finds the card."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest
from click.testing import CliRunner

from conftest import SHARED_DATA, needs_shared
from rushes.analyzers.ocr_text import hold_span
from rushes.cli.main import cli
from rushes.demo.adverts import generate_adverts


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def test_truth_marks_the_card_exactly(tmp_path: Path) -> None:
    truths = generate_adverts(tmp_path, count=2, seed=4, width=320, height=180, body_s=(2.0, 3.0),
                              card_s=(1.5, 2.0))
    doc = json.loads((tmp_path / "truth.json").read_text())
    assert set(doc["files"]) == {"advert_01.mp4", "advert_02.mp4"}
    for t in truths:
        frames = _frames(tmp_path / t.name)
        assert len(frames) / 24 == pytest.approx(t.duration)
        (item,) = doc["files"][t.name]
        assert item["label"] == "ending" and item["end"] == pytest.approx(t.duration)
        first = round(item["start"] * 24) + (t.card["fade_frames"] + 1) // 2
        card = frames[-1].astype(int)
        # the card holds still from its first full frame to the end; the body before it differs
        assert all(np.abs(f.astype(int) - card).mean() < 3 for f in frames[first:])
        assert np.abs(frames[max(0, round(item["start"] * 24) - t.card["fade_frames"] - 2)].astype(int) - card
                      ).mean() > 8
    again = generate_adverts(tmp_path / "again", count=2, seed=4, width=320, height=180, body_s=(2.0, 3.0),
                             card_s=(1.5, 2.0))
    assert [t.to_dict() for t in again] == [t.to_dict() for t in truths]


def test_hold_span_follows_the_text_likelihood() -> None:
    scores = [(0.0, 0.001), (1.0, 0.001), (2.0, 0.004), (3.0, 0.005), (4.0, 0.0045), (5.0, 0.0)]
    assert hold_span(scores, 3.0, 0.005, 0.5) == (2.0, 4.0)
    assert hold_span(scores, 3.0, 0.005, 1.0) == (3.0, 3.0)
    assert hold_span(scores, 7.0, 0.005, 0.5) == (7.0, 7.0)  # not a sampled time


@pytest.mark.models
def test_ending_pattern_finds_the_cards(tmp_path: Path) -> None:
    """OCR on the frames that stand out, held over the card's run of similar frames, gives the
    ``text`` tag the whole card; the ``ending`` pattern turns it into one hit per advert."""
    pytest.importorskip("rapidocr")
    media = SHARED_DATA / "video" if SHARED_DATA.exists() else None
    generate_adverts(tmp_path / "ads", count=3, seed=2, media_dir=media, width=480, height=270)
    lib = str(tmp_path / "lib")
    runner = CliRunner()
    res = runner.invoke(cli, ["ingest", str(tmp_path / "ads"), "-L", lib, "--analyzers",
                              "ocr_text,tags_objects,tags_faces", "-j", "1", "--json"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["eval", "patterns", "ending", "--truth", str(tmp_path / "ads" / "truth.json"),
                              "-L", lib, "--json"])
    assert res.exit_code == 0, res.output
    scores = json.loads(res.stdout)
    assert scores["intervals"]["recall"] >= 2 / 3 and scores["time"]["iou"] >= 0.5, scores


@needs_shared
def test_real_bodies_come_from_the_media_folder(tmp_path: Path) -> None:
    truths = generate_adverts(tmp_path, count=2, seed=1, media_dir=SHARED_DATA / "video", width=320, height=180,
                              body_s=(2.0, 2.5), card_s=(1.0, 1.5))
    assert all(src != "synthetic" for t in truths for src in t.body_sources)
