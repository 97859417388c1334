"""The real-parts reel generator (rushes.demo.realreel): truth consistency, real parts where the
truth says, determinism, clear errors without the data; one end-to-end triage evaluation (slow)."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt
import pytest

from conftest import SHARED_DATA, needs_shared
from rushes.demo.realreel import CUT_WORD, RealParts, generate_real_reel, main
from rushes.errors import MediaNotFound, ModelNotAvailable
from rushes.triage.slate.fields import parse_camera_filename

RATE = 48000
FPS = Fraction(24)


def _generate(out: Path, **kw: Any) -> None:
    pytest.importorskip("cv2", reason="the real-parts reel needs OpenCV (extra 'vision' or 'triage')")
    try:
        generate_real_reel(out, SHARED_DATA, sample_rate=RATE, fps=FPS, **kw)
    except ModelNotAvailable as exc:
        pytest.skip(f"no offline TTS voice: {exc}")


@pytest.fixture(scope="module")
def reel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not SHARED_DATA.exists():
        pytest.skip("../shared/data is not present")
    out = tmp_path_factory.mktemp("realreel")
    _generate(out, files=2, takes_per_file=2, seed=3, width=320, height=180, tail_slate_share=1.0)
    return out


def _doc(reel: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((reel / "truth.json").read_text())
    return doc


def _audio(path: Path) -> npt.NDArray[np.float64]:
    with av.open(str(path)) as c:
        st = c.streams.audio[0]
        assert st.sample_rate == RATE
        return np.concatenate([f.to_ndarray().reshape(-1) for f in c.decode(st)]).astype(np.float64)


def _gray_frames(path: Path, times: list[float], size: tuple[int, int] = (64, 36)) -> list[npt.NDArray[np.float32]]:
    """Small grey pictures of the frames displayed at ``times`` (one decode pass)."""
    import cv2

    want = sorted(times)
    out: dict[float, npt.NDArray[np.float32]] = {}
    with av.open(str(path)) as c:
        st = c.streams.video[0]
        for frame in c.decode(st):
            t = float(frame.pts * st.time_base)
            while want and t + 0.5 / float(FPS) > want[0]:
                g = frame.to_ndarray(format="gray")
                out[want.pop(0)] = cv2.resize(g, size, interpolation=cv2.INTER_AREA).astype(np.float32)
            if not want:
                break
    return [out[t] for t in times]


def _rms_db(x: npt.NDArray[np.float64]) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(x**2)) + 1e-12))


@needs_shared
def test_truth_has_the_triage_shape_and_is_consistent(reel: Path) -> None:
    doc = _doc(reel)
    assert doc["generator"]["tool"] == "rushes.demo.realreel"
    assert len(doc["files"]) == 2
    for name, f in doc["files"].items():
        assert (reel / name).is_file()
        parsed = parse_camera_filename(name)
        assert parsed is not None and f["roll"] == f"{parsed.camera}{parsed.roll:03d}"
        dur = f["duration"]
        with av.open(str(reel / name)) as c:
            st = c.streams.video[0]
            assert (st.width, st.height) == (320, 180)
            assert abs(float(st.duration * st.time_base) - dur) < 0.1
        for e in f["events"]:
            assert set(e) <= {"type", "t", "tail"} and 0 <= e["t"] <= dur
        types = [e["type"] for e in f["events"]]
        assert types.count("slate") == types.count("action") == types.count("cut") == len(f["takes"]) == 2
        prev_end = 0.0
        for k, t in enumerate(f["takes"]):
            assert {"start", "end", "roll", "scene", "take"} <= set(t)
            assert prev_end <= t["start"] < t["end"] <= dur
            prev_end = t["end"]
            assert t["roll"] == f["roll"]  # the camera's roll; the slate may write it otherwise
            assert {"type": "action", "t": t["start"]} in f["events"]
            assert {"type": "cut", "t": t["end"]} in f["events"]
            assert t["slate"] <= t["clap"] <= t["slate_end"]
            if t["tail"]:  # upside down at the end of the take, then "cut"
                assert k > 0 and t["start"] < t["slate"] < t["clap"] < t["end"]
                assert {"type": "slate", "t": t["slate"], "tail": True} in f["events"]
            else:
                assert t["slate_end"] < t["start"]
                assert {"type": "slate", "t": t["slate"]} in f["events"]
            assert 2.0 <= t["slate_end"] - t["slate"] <= 4.0
        # the first take is head-slated, the others tail-slated (tail_slate_share=1)
        assert [t["tail"] for t in f["takes"]] == [False, True]
        speakers = {w["speaker"] for w in f["speech"]}
        assert speakers >= {"director", "actor"}
        cuts = [w for w in f["speech"] if w["word"] == "cut"]
        assert [round(w["start"], 6) for w in cuts] == [t["end"] for t in f["takes"]]
        assert all(w["source"] == CUT_WORD[0] for w in cuts)
        assert all(w["source"] for w in f["speech"] if w["speaker"] == "actor")


@needs_shared
def test_fields_are_the_legible_or_written_values(reel: Path) -> None:
    parts = RealParts(SHARED_DATA)
    legible = {p.name: p.truth for p in parts.slates}
    for f in _doc(reel)["files"].values():
        for t in f["takes"]:
            src = t["slate_source"]
            assert src in legible
            if src in {p.name for p in parts.slates if p.writable}:
                assert t["scene"] and t["take"] and t["slate_fields"]["scene"] == t["scene"]
            else:
                assert t["scene"] == legible[src].get("scene") and t["take"] == legible[src].get("take")


@needs_shared
def test_the_real_cut_is_heard_where_the_truth_says(reel: Path) -> None:
    doc = _doc(reel)
    for name, f in doc["files"].items():
        x = _audio(reel / name)
        quiet = []
        for t in f["takes"]:
            s = round(t["end"] * RATE)
            word = x[s : s + int(0.15 * RATE)]
            before = x[s - int(0.35 * RATE) : s - int(0.05 * RATE)]
            # the word stands well out of the noise bed just after its onset, not before it
            assert _rms_db(word) - _rms_db(before) > 8.0
            quiet.append(_rms_db(before))
        # 20 dB SNR over a -40 dBFS bed: the word is far below full scale (a distant director)
        assert max(quiet) < -30


@needs_shared
def test_the_real_slate_pictures_are_in_frame_during_the_slate(reel: Path) -> None:
    import cv2

    parts = RealParts(SHARED_DATA)
    pics = {p.name: p for p in parts.slates}
    for name, f in _doc(reel)["files"].items():
        for t in f["takes"]:
            pic = pics[t["slate_source"]]
            mid = (t["slate"] + t["slate_end"]) / 2
            during, outside = _gray_frames(reel / name, [mid, t["slate"] - 0.6])
            ref = cv2.cvtColor(pic.image, cv2.COLOR_RGB2GRAY)
            if t["tail"]:
                ref = ref[::-1, ::-1] if pic.cutout else _turn(ref, pic.board)
            if pic.cutout:  # a board over the running clip: compare the picture change only
                assert float(np.mean(np.abs(during - outside))) > 10
                continue
            ref = cv2.resize(np.ascontiguousarray(ref), (64, 36), interpolation=cv2.INTER_AREA).astype(np.float32)

            def corr(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> float:
                return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])

            assert corr(during, ref) > 0.6 and corr(during, ref) > corr(outside, ref) + 0.2


def _turn(img: npt.NDArray[Any], board: tuple[float, float, float, float]) -> npt.NDArray[Any]:
    h, w = img.shape[:2]
    x0, y0, x1, y1 = int(board[0] * w), int(board[1] * h), int(board[2] * w), int(board[3] * h)
    out = img.copy()
    out[y0:y1, x0:x1] = img[y0:y1, x0:x1][::-1, ::-1]
    return out


@needs_shared
def test_deterministic_per_seed(reel: Path, tmp_path: Path) -> None:
    # the first file does not depend on how many files follow it
    _generate(tmp_path, files=1, takes_per_file=2, seed=3, width=320, height=180, tail_slate_share=1.0)
    a, b = _doc(reel), _doc(tmp_path)
    (name,) = b["files"]
    assert b["files"][name] == a["files"][name]
    assert np.array_equal(_audio(tmp_path / name), _audio(reel / name))
    times = [1.0, 7.5, 20.0]
    for x, y in zip(_gray_frames(tmp_path / name, times), _gray_frames(reel / name, times)):
        assert np.array_equal(x, y)


def test_missing_data_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MediaNotFound, match="shared data"):
        generate_real_reel(tmp_path / "out", tmp_path / "no-such-folder")
    (tmp_path / "data" / "audio").mkdir(parents=True)
    with pytest.raises(MediaNotFound, match="cathy_arctic_a0269.wav"):
        generate_real_reel(tmp_path / "out", tmp_path / "data")
    assert main([str(tmp_path / "out"), "--data", str(tmp_path / "no-such-folder")]) == 4
    assert not (tmp_path / "out" / "truth.json").exists()


@pytest.mark.slow
@pytest.mark.models
@needs_shared
def test_eval_triage_on_a_real_parts_reel(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from rushes.cli.main import cli

    out = tmp_path / "reel"
    _generate(out, files=1, takes_per_file=3, seed=11, width=640, height=360)
    res = CliRunner().invoke(cli, ["eval", "triage", "--truth", str(out / "truth.json"), "--media", str(out),
                                   "-L", str(tmp_path / "lib"), "--json", "--no-progress"])
    assert res.exit_code == 0, res.output
    s = json.loads(res.output)
    print(json.dumps({k: s[k] for k in ("archive_precision", "archive_recall", "events", "field_accuracy",
                                        "takes")}))
    # floors well under the targets: this guards against a broken pipeline, not a score.
    # No floor on "cut": the real word, cut out of running speech, is often heard as "cup" or
    # "come" at 20 dB (docs/triage.md); a missed cut ends the take at "reset" or the next cue.
    assert s["archive_precision"] >= 0.8 and s["archive_recall"] >= 0.8
    assert s["events"]["action"]["recall"] >= 2 / 3 and s["events"]["action"]["precision"] >= 2 / 3
    assert s["events"]["slate"]["recall"] >= 1 / 3 and s["events"]["slate"]["precision"] >= 2 / 3
    assert s["takes"]["matched"] >= 2
    assert s["commands"]["false_per_10min"] <= 5
    assert s["field_accuracy"]["roll"] is not None and s["field_accuracy"]["roll"] >= 2 / 3
