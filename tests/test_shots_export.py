"""Shot exports: what we write, OpenTimelineIO reads back to the same frames — CFR, VFR, 29.97
drop-frame with a start timecode — plus CSV/JSON content and timecode conventions."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import pytest

from rushes.media import MediaInfo, probe
from rushes.shots import ShotParams, detect_shots, shot_table, write_shots
from rushes.shots.engine import ShotResult
from rushes.shots.synth import ClipSpec, SceneSpec, write_clip
from rushes.shots.writers import ShotTable, edit_rate, to_csv, to_edl, to_fcpxml, to_json, to_otio

otio = pytest.importorskip("opentimelineio")

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).parents[2] / "shared" / "data"


def _spec(fps: Fraction, w: int = 160, h: int = 90) -> ClipSpec:
    return ClipSpec([
        SceneSpec("texture", 30, seed=11),
        SceneSpec("solid", 25, color=(220, 40, 40)),
        SceneSpec("texture", 30, seed=12),
        SceneSpec("gradient", 25, color=(10, 200, 90)),
    ], width=w, height=h, fps=fps)


def _detect(path: Path) -> tuple[ShotResult, MediaInfo, ShotTable]:
    info = probe(path)
    res = detect_shots(path, ShotParams(mode="classical", groups=False, thumbnails=False), info=info)
    return res, info, shot_table(res, info, path)


@pytest.fixture(scope="module")
def cfr(tmp_path_factory: pytest.TempPathFactory) -> tuple[ShotResult, MediaInfo, ShotTable]:
    path = tmp_path_factory.mktemp("exp") / "cfr25.mp4"
    write_clip(path, _spec(Fraction(25)))
    return _detect(path)


@pytest.fixture(scope="module")
def vfr(tmp_path_factory: pytest.TempPathFactory) -> tuple[ShotResult, MediaInfo, ShotTable]:
    """Every third frame dropped from a 25 fps render, real timestamps kept (a VFR file)."""
    path = tmp_path_factory.mktemp("exp") / "vfr.mp4"
    write_clip(path, _spec(Fraction(25)), vfr_drop_every=3)
    return _detect(path)


@pytest.fixture(scope="module")
def ntsc(tmp_path_factory: pytest.TempPathFactory) -> tuple[ShotResult, MediaInfo, ShotTable]:
    """29.97 fps with a drop-frame start timecode just before a minute boundary."""
    path = tmp_path_factory.mktemp("exp") / "ntsc.mov"
    spec = ClipSpec([SceneSpec("texture", 40, seed=13), SceneSpec("texture", 40, seed=14),
                     SceneSpec("solid", 30, color=(30, 30, 220))], width=160, height=90, fps=Fraction(30000, 1001))
    write_clip(path, spec, timecode="00:59:59;20")
    return _detect(path)


def _frames_back(res: ShotResult, table: ShotTable, clips: list[object]) -> list[tuple[int, int]]:
    """Map clips' source ranges (seconds from the file's start timecode) to decoded frame indices."""
    out = []
    start_s = float(table.start_tc.seconds)
    end_s = float(res.end_tick * res.time_base)
    for c in clips:
        sr = c.source_range  # type: ignore[attr-defined]
        a = sr.start_time.to_seconds() - start_s
        b = a + sr.duration.to_seconds()
        out.append((res.nearest_frame(a), res.frames if b >= end_s - 1e-6 else res.nearest_frame(b)))
    return out


def _shots(res: ShotResult) -> list[tuple[int, int]]:
    return [(s.start, s.end) for s in res.shots]


@pytest.mark.parametrize("which", ["cfr", "vfr", "ntsc"])
def test_otio_round_trip_same_frames(which: str, request: pytest.FixtureRequest) -> None:
    res, _, table = request.getfixturevalue(which)
    assert len(res.shots) >= 3
    tl = otio.adapters.read_from_string(to_otio(table), "otio_json")
    clips = list(tl.find_clips())
    assert _frames_back(res, table, clips) == _shots(res)
    meta = clips[1].metadata["rushes"]
    assert meta["start_frame"] == res.shots[1].start
    assert Fraction(meta["time_base"]) * meta["start_pts"] == res.frame_time(res.shots[1].start)


@pytest.mark.parametrize("which", ["cfr", "vfr", "ntsc"])
def test_edl_round_trip_same_frames(which: str, request: pytest.FixtureRequest) -> None:
    pytest.importorskip("otio_cmx3600_adapter")
    res, _, table = request.getfixturevalue(which)
    tl = otio.adapters.read_from_string(to_edl(table), "cmx_3600", rate=float(table.rate))
    assert _frames_back(res, table, list(tl.find_clips())) == _shots(res)


def test_fcpxml_round_trip_at_integer_rate(cfr: tuple[ShotResult, MediaInfo, ShotTable]) -> None:
    """OTIO's FCP X adapter truncates NTSC rates to integers, so it can only check integer rates."""
    pytest.importorskip("otio_fcpx_xml_adapter")
    res, _, table = cfr
    tl = otio.adapters.read_from_string(to_fcpxml(table), "fcpx_xml")
    assert _frames_back(res, table, list(tl.find_clips())) == _shots(res)


@pytest.mark.parametrize("which", ["vfr", "ntsc"])
def test_fcpxml_times_are_exact_multiples_of_the_frame_duration(which: str, request: pytest.FixtureRequest) -> None:
    res, _, table = request.getfixturevalue(which)
    root = ET.fromstring(to_fcpxml(table))
    fd = Fraction(root.find("./resources/format").get("frameDuration")[:-1])  # type: ignore[union-attr]
    assert fd == 1 / table.rate
    clips = root.findall(".//spine/asset-clip")
    assert len(clips) == len(res.shots)
    back = []
    for c in clips:
        start = Fraction(c.get("start", "0s")[:-1]) - table.start_tc.frames * fd
        dur = Fraction(c.get("duration", "0s")[:-1])
        assert (start / fd).denominator == 1 and (dur / fd).denominator == 1
        a, b = float(start), float(start + dur)
        end_s = float(res.end_tick * res.time_base)
        back.append((res.nearest_frame(a), res.frames if b >= end_s - 1e-6 else res.nearest_frame(b)))
    assert back == _shots(res)


def test_vfr_uses_the_capture_rate_not_the_average(vfr: tuple[ShotResult, MediaInfo, ShotTable]) -> None:
    res, info, table = vfr
    assert table.rate == 25  # frames were dropped from 25 fps: editors conform to 25, not ~16.7
    assert edit_rate(info, res) == 25
    # shot starts come from PTS: the cut after the first scene (frame 30 of 25 fps) is at 1.2 s
    assert float(res.frame_time(res.shots[1].start)) == pytest.approx(1.2, abs=1e-6)


def test_edl_drop_frame_timecode_with_file_start(ntsc: tuple[ShotResult, MediaInfo, ShotTable]) -> None:
    res, info, table = ntsc
    assert info.timecode == "00:59:59;20" and table.drop_frame
    edl = to_edl(table)
    assert "FCM: DROP FRAME" in edl
    events = [ln for ln in edl.splitlines() if ln[:3].isdigit()]
    assert len(events) == len(res.shots)
    first = events[0].split()
    assert first[4] == "00:59:59;20"  # source in = the file's start timecode
    second = events[1].split()
    # 40 frames after 00:59:59;20 crosses 01:00:00 (a tenth minute: no frames dropped there)
    assert second[4] == "01:00:01;00"
    assert first[6] == "01:00:00;00"  # record side starts at the usual hour


def test_non_drop_edl_at_25(cfr: tuple[ShotResult, MediaInfo, ShotTable]) -> None:
    _, _, table = cfr
    edl = to_edl(table)
    assert "FCM: NON-DROP FRAME" in edl and ";" not in edl.split("FCM")[1]


def test_csv_and_json_content(cfr: tuple[ShotResult, MediaInfo, ShotTable], tmp_path: Path) -> None:
    res, _, table = cfr
    rows = list(csv.DictReader(io.StringIO(to_csv(table))))
    assert len(rows) == len(res.shots)
    assert rows[0]["start_frame"] == "0" and rows[0]["start_tc"] == "00:00:00:00"
    assert rows[1]["transition_in"] == "cut" and int(rows[1]["start_frame"]) == 30
    assert rows[1]["start_tc"] == "00:00:01:05"
    doc = json.loads(to_json(table))
    assert doc["edit_rate"] == "25" and doc["shots"][1]["start_pts"] * Fraction(doc["time_base"]) == Fraction(30, 25)
    for fmt in ("csv", "json", "edl", "otio", "fcpxml"):
        out = write_shots(table, fmt, tmp_path)
        assert out.exists() and out.stat().st_size > 0 and not list(tmp_path.glob("*.tmp"))


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/data is not present")
@pytest.mark.shared_data
def test_round_trip_on_real_vfr_file() -> None:
    path = SHARED / "video" / "psd_goldeneye_vfr_drop3.mp4"
    if not path.exists():
        pytest.skip("psd_goldeneye_vfr_drop3.mp4 absent")
    res, _info, table = _detect(path)
    assert [s.start for s in res.shots] == [0, 60, 140]
    assert table.rate == Fraction(24000, 1001)  # conformed to the capture rate
    tl = otio.adapters.read_from_string(to_otio(table), "otio_json")
    assert _frames_back(res, table, list(tl.find_clips())) == _shots(res)
    tl = otio.adapters.read_from_string(to_edl(table), "cmx_3600", rate=float(table.rate))
    assert _frames_back(res, table, list(tl.find_clips())) == _shots(res)
