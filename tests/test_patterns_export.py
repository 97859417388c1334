"""Hit export: CSV, CMX3600 EDL, OpenTimelineIO markers."""

from __future__ import annotations

import csv
import importlib
import io
from fractions import Fraction

import numpy as np
import pytest

from rushes.errors import QueryError, RushesError
from rushes.intervals import Intervals
from rushes.patterns import export
from rushes.patterns.export import hits_to_csv, hits_to_edl, hits_to_otio, write_csv, write_edl, write_otio


def hits() -> Intervals:
    iv = Intervals.from_seconds([40.5, 25.0, 3.0], [42.0, 30.0, 3.01], "ending", score=[0.5, 0.93, 0.7],
                                media=[0, 0, 1])
    iv.data["peak"] = np.array([1.5, 2.25, 1.0])
    return iv


NAMES = {0: "A004C012_230412_R1AB.mov", 1: "spot.mp4"}


def test_csv_rows_sorted_with_timecodes_and_data(tmp_path):
    text = hits_to_csv(hits(), NAMES, rates={0: Fraction(25), 1: Fraction(30000, 1001)})
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["start_s"] for r in rows] == ["25.000000", "40.500000", "3.000000"]
    first = rows[0]
    assert first["name"] == "A004C012_230412_R1AB.mov" and first["label"] == "ending"
    assert (first["start_tc"], first["end_tc"], first["duration_s"]) == ("00:00:25:00", "00:00:30:00", "5.000000")
    assert first["score"] == "0.93" and first["peak"] == "2.25"
    assert rows[1]["start_tc"] == "00:00:40:12"  # 40.5 s at 25 fps: the frame shown then is 1012
    assert rows[2]["start_tc"] == "00:00:02;29"  # 3.0 s at 29.97: frame 89, drop-frame separator
    assert write_csv(hits(), tmp_path / "h.csv").read_text().startswith("media,name,label")
    no_rates = list(csv.DictReader(io.StringIO(hits_to_csv(hits()))))
    assert no_rates[0]["start_tc"] == "" and no_rates[0]["name"] == ""


def parse_events(edl: str) -> list[list[str]]:
    return [line.split() for line in edl.splitlines() if line[:3].isdigit()]


def test_edl_events_and_record_timeline(tmp_path):
    edl = hits_to_edl(hits()[[0, 1]], Fraction(25), title="Spring advert endings", names=NAMES)
    lines = edl.splitlines()
    assert lines[0] == "TITLE: Spring advert endings" and lines[1] == "FCM: NON-DROP FRAME"
    events = parse_events(edl)
    assert events == [
        ["001", "AX", "V", "C", "00:00:25:00", "00:00:30:00", "01:00:00:00", "01:00:05:00"],
        ["002", "AX", "V", "C", "00:00:40:12", "00:00:42:00", "01:00:05:00", "01:00:06:13"],
    ]
    assert "* FROM CLIP NAME: A004C012_230412_R1AB.mov" in lines
    assert any(line.startswith("* COMMENT: ending score=0.930") for line in lines)
    assert lines[3] == "001  AX       V     C        00:00:25:00 00:00:30:00 01:00:00:00 01:00:05:00"
    out = write_edl(hits(), tmp_path / "h.edl", 25, names=NAMES)
    assert out.read_text().count("FROM CLIP NAME") == 3


def test_edl_drop_frame_start_timecodes_and_reels():
    edl = hits_to_edl(hits()[[1]], "29.97", names=NAMES, start_timecodes={0: "01:00:00;00"}, reel_from_name=True)
    assert "FCM: DROP FRAME" in edl
    (event,) = parse_events(edl)
    assert event[1] == "A004C012"
    # 25 s at 29.97 falls inside frame 749 (00:00:24;29); 30 s ends before frame 900 starts
    assert event[4] == "01:00:24;29" and event[5] == "01:00:30;00"
    assert event[6] == "01:00:00;00"
    tiny = hits_to_edl(hits()[[2]], 25)
    (event,) = parse_events(tiny)
    assert event[4:6] == ["00:00:03:00", "00:00:03:01"]  # a 10 ms hit still spans one frame


def test_edl_limits():
    many = Intervals.from_seconds(np.arange(1000.0), np.arange(1000.0) + 0.5, "x")
    with pytest.raises(QueryError, match="at most 999 events"):
        hits_to_edl(many, 25)
    with pytest.raises(QueryError):
        hits_to_edl(hits(), 25, record_start="soon")


def test_otio_markers_round_trip(tmp_path):
    otio = pytest.importorskip("opentimelineio")
    timeline = hits_to_otio(hits(), Fraction(25), durations={0: Fraction(60), 1: Fraction(10), 2: Fraction(5)},
                            names=NAMES, paths={0: "/footage/A004C012_230412_R1AB.mov"})
    path = write_otio(hits(), tmp_path / "hits.otio", 25, names=NAMES)
    assert path.exists()
    again = otio.adapters.read_from_file(str(path))
    assert len(list(again.find_clips())) == 2
    clips = list(timeline.find_clips())
    assert [c.name for c in clips] == ["A004C012_230412_R1AB.mov", "spot.mp4", "media 2"]
    assert clips[0].media_reference.target_url == "/footage/A004C012_230412_R1AB.mov"
    assert clips[0].source_range.duration.value == 1500
    markers = clips[0].markers
    assert [m.name for m in markers] == ["ending", "ending"]
    first = sorted(markers, key=lambda m: m.marked_range.start_time.value)[0]
    assert (first.marked_range.start_time.value, first.marked_range.duration.value) == (625, 125)
    assert first.metadata["rushes"]["score"] == pytest.approx(0.93)
    assert first.metadata["rushes"]["peak"] == 2.25


def test_otio_missing_gives_an_install_hint(monkeypatch):
    real = importlib.import_module

    def fake(name: str, *args, **kwargs):
        if name == "opentimelineio":
            raise ImportError("no otio here")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(export.importlib, "import_module", fake)
    with pytest.raises(RushesError, match=r"rushes\[interop\]"):
        hits_to_otio(hits(), 25)
