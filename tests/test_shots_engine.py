"""Shot detection on generated clips: hard cuts, a dissolve, a fade through black, a flash frame,
a fast pan and set-ups cut back and forth — in classical, fused and learned modes, through the
library function and through the ``shots`` analyzer driven by one decode pass."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from rushes.shots import ShotParams, detect_shots
from rushes.shots.engine import ShotResult
from rushes.shots.synth import ClipSpec, SceneSpec, SynthTruth, write_clip


@pytest.fixture(scope="session", autouse=True)
def _model_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Model exports go to a fresh per-session folder: tests never rely on an earlier cache."""
    import os

    os.environ["RUSHES_CACHE_DIR"] = str(tmp_path_factory.getbasetemp() / "rushes-model-cache")


def _editorial_spec() -> ClipSpec:
    return ClipSpec([
        SceneSpec("texture", 40, seed=1),
        SceneSpec("texture", 40, seed=2, flashes=(15,)),          # a photo flash inside shot 2
        SceneSpec("texture", 40, seed=1, pan=(3, 0)),             # cut back to set-up 1
        SceneSpec("texture", 50, seed=3, transition_in="dissolve", transition_len=12),
        SceneSpec("texture", 50, seed=4, pan=(40, 0)),            # fast camera motion, no cut
        SceneSpec("gradient", 40, color=(20, 90, 200), transition_in="fade", transition_len=10),
        SceneSpec("solid", 30, color=(200, 40, 40)),
        SceneSpec("texture", 40, seed=2, brightness=0.9),         # back to set-up 2
    ], width=192, height=108, fps=Fraction(25))


@pytest.fixture(scope="module")
def editorial(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthTruth]:
    """Cuts, a dissolve between static shots, a fade through black, a flash and a fast pan."""
    path = tmp_path_factory.mktemp("shots") / "editorial.mp4"
    return path, write_clip(path, _editorial_spec())


@pytest.fixture(scope="module")
def fused(editorial: tuple[Path, SynthTruth]) -> ShotResult:
    """The editorial clip in fused mode with grouping (exports both models on first use)."""
    return detect_shots(editorial[0], ShotParams(mode="fused"))


def _static_dissolve_spec() -> ClipSpec:
    return ClipSpec([
        SceneSpec("texture", 45, seed=5),
        SceneSpec("texture", 45, seed=6, transition_in="dissolve", transition_len=14),
        SceneSpec("texture", 45, seed=7),
    ], width=192, height=108, fps=Fraction(25))


def _cut_frames(result: ShotResult) -> list[int]:
    return sorted(t.boundary for t in result.transitions if t.kind == "cut")


def _gradual(result: ShotResult, kind: str) -> list[tuple[int, int]]:
    return [(t.start, t.end) for t in result.transitions if t.kind == kind]


def _overlaps(a: tuple[int, int], b: tuple[int, int], tol: int = 2) -> bool:
    return a[0] - tol <= b[1] and b[0] - tol <= a[1]


def test_truth_of_generated_clip(editorial: tuple[Path, SynthTruth]) -> None:
    _, truth = editorial
    assert truth.cuts == [40, 80, 158, 252, 282]
    assert [k for k, _, _ in truth.transitions] == ["dissolve", "fade_out", "fade_in"]
    assert truth.flashes == [55]


def test_classical_cuts_are_frame_exact_and_flash_and_pan_are_not_cuts(editorial: tuple[Path, SynthTruth]) -> None:
    path, truth = editorial
    res = detect_shots(path, ShotParams(mode="classical", groups=False))
    cuts = _cut_frames(res)
    for c in (40, 80, 252, 282):  # cuts between static or calm shots: exact frame
        assert c in cuts
    assert 55 not in cuts and 56 not in cuts, "the flash frame became a cut"
    assert not [c for c in cuts if 160 < c < 196], "the fast pan became a cut"
    fades = _gradual(res, "fade")
    assert any(_overlaps(f, (198, 221)) for f in fades), fades
    assert res.frames == truth.frames


def test_classical_finds_a_dissolve_between_static_shots(tmp_path: Path) -> None:
    path = tmp_path / "dissolve.mp4"
    truth = write_clip(path, _static_dissolve_spec())
    res = detect_shots(path, ShotParams(mode="classical", groups=False, thumbnails=False))
    ((_, a, b),) = truth.transitions
    assert [t.kind for t in res.transitions] == ["dissolve", "cut"], res.transitions
    t = res.transitions[0]
    assert abs(t.start - a) <= 2 and abs(t.end - b) <= 2
    assert [s.transition_in for s in res.shots] == ["start", "dissolve", "cut"]
    assert _cut_frames(res) == truth.cuts


@pytest.mark.models
def test_fused_finds_everything_and_stays_cheap(editorial: tuple[Path, SynthTruth], fused: ShotResult) -> None:
    _, truth = editorial
    res = fused
    assert _cut_frames(res) == truth.cuts
    dissolves = _gradual(res, "dissolve")
    assert len(dissolves) == 1 and _overlaps(dissolves[0], (108, 119))
    fades = _gradual(res, "fade")
    assert len(fades) == 1 and _overlaps(fades[0], (198, 221))
    assert 0 < res.metrics["learned_share"] < 0.6
    # shot list is consistent: contiguous, first starts at 0, last ends at the last frame
    assert res.shots[0].start == 0 and res.shots[-1].end == res.frames
    assert all(a.end == b.start for a, b in zip(res.shots, res.shots[1:]))
    kinds = [s.transition_in for s in res.shots]
    assert kinds[0] == "start" and "dissolve" in kinds and "fade" in kinds


@pytest.mark.models
def test_near_duplicate_setups_are_grouped_earliest_first(fused: ShotResult) -> None:
    res = fused
    groups = [s.group for s in res.shots]
    starts = [s.start for s in res.shots]
    by_start = dict(zip(starts, groups))
    # set-up 1 (frames 0.. and 80..) and set-up 2 (40.. and 282..) come back
    assert by_start[0] == by_start[80]
    assert by_start[40] == by_start[282]
    assert by_start[0] != by_start[40]
    # group ids appear in time order (each group's first shot is its earliest)
    seen: list[int] = []
    for g in groups:
        if g not in seen:
            seen.append(g)
    assert seen == sorted(seen) == list(range(len(seen)))
    assert len(res.reps) == len(res.shots)


@pytest.mark.models
def test_learned_mode_runs_transnet_on_every_frame(tmp_path: Path) -> None:
    path = tmp_path / "short.mp4"
    truth = write_clip(path, ClipSpec([SceneSpec("texture", 50, seed=8), SceneSpec("texture", 50, seed=9)],
                                      width=160, height=90))
    res = detect_shots(path, ShotParams(mode="learned", groups=False, thumbnails=False))
    assert _cut_frames(res) == truth.cuts == [50]
    assert res.metrics["learned_share"] == 1.0
    assert res.metrics["learned_windows"] == 2


def test_fused_without_a_model_degrades_to_classical(editorial: tuple[Path, SynthTruth]) -> None:
    from rushes.errors import ModelNotAvailable

    def missing() -> object:
        raise ModelNotAvailable("no model here")

    path, _ = editorial
    res = detect_shots(path, ShotParams(mode="fused", groups=False), learned=missing)
    assert "learned_error" in res.metrics
    assert {40, 80, 252, 282} <= set(_cut_frames(res))


def test_frame_times_are_exact_pts(editorial: tuple[Path, SynthTruth]) -> None:
    path, _ = editorial
    res = detect_shots(path, ShotParams(mode="classical", groups=False, thumbnails=False))
    # 25 fps: frame n starts at n/25 s exactly
    assert res.frame_time(40) == Fraction(40, 25)
    assert res.frame_time(res.frames) == Fraction(res.frames, 25)
    assert res.frame_at(Fraction(40, 25)) == 40 and res.frame_at(Fraction(40, 25) - Fraction(1, 1000)) == 39
    assert res.nearest_frame(1.61) == 40


class _Ctx:
    """Just enough of AnalyzerContext for driving the analyzer by hand."""

    def __init__(self, path: Path, workdir: Path) -> None:
        from rushes.media import probe

        info = probe(path)

        class _Media:
            pass

        self.media = _Media()
        self.media.info = info  # type: ignore[attr-defined]
        self.media.path = str(path)  # type: ignore[attr-defined]
        self.workdir = workdir
        self.path = path


def test_analyzer_driven_by_one_decode_pass(editorial: tuple[Path, SynthTruth], tmp_path: Path) -> None:
    from rushes.analyzers.shots import ShotsAnalyzer
    from rushes.media import FrameConsumer, decode
    from rushes.pipeline.registry import get_analyzer

    assert get_analyzer("shots") is ShotsAnalyzer and ShotsAnalyzer.default
    path, truth = editorial
    an = ShotsAnalyzer(ShotParams(mode="classical", groups=False))
    ctx = _Ctx(path, tmp_path)
    an.begin(ctx)  # type: ignore[arg-type]

    class Adapter(FrameConsumer):
        def __init__(self) -> None:
            self.spec = an.frame_spec()

        def on_frame(self, frame):  # type: ignore[no-untyped-def]
            an.on_frame(frame)

    decode(path, [Adapter()])
    out = an.finish()
    shots, trans = out.tracks["shots"], out.tracks["transitions"]
    assert len(shots) >= 6 and set(shots.labels()) == {"shot"}
    # frame-exact ticks in the stream's time base: shot starts are exact frame times
    starts = [Fraction(int(s)) * shots.time_base for s in shots.start]
    assert Fraction(40, 25) in starts and Fraction(80, 25) in starts
    assert shots.data["transition_in"][0] == "start"
    assert set(trans.labels()) <= {"cut", "dissolve", "fade"}
    cuts = trans[trans.label == "cut"]
    assert np.array_equal(cuts.start, cuts.end)  # cuts are instants
    grads = trans[trans.label != "cut"]
    assert np.all(grads.end > grads.start)
    thumbs = [a for a in out.artifacts if a.kind == "thumbnail"]
    assert len(thumbs) == len(shots) and all(a.path.exists() and a.path.parent == tmp_path for a in thumbs)
    assert out.metrics["frames"] == truth.frames


def test_params_validate() -> None:
    with pytest.raises(ValueError):
        ShotParams(mode="magic")
    with pytest.raises(ValueError):
        ShotParams(learned_share=2.0)
    p = replace(ShotParams(), mode="classical")
    assert p.to_dict()["mode"] == "classical"


def test_adaptive_rule_on_our_score_matches_pyscenedetect(editorial: tuple[Path, SynthTruth]) -> None:
    """The engine feeds AdaptiveDetector its own HSV score; a stock AdaptiveDetector given the same
    frames (BGR, as PySceneDetect expects) must emit the same cut candidates."""
    import cv2
    from scenedetect.common import FrameTimecode
    from scenedetect.detectors import AdaptiveDetector

    from rushes.media import FrameConsumer, decode, probe
    from rushes.shots.detect import frame_spec_for, new_engine
    from rushes.shots.signals import reduce_frame

    path, _ = editorial
    p = ShotParams(mode="classical", groups=False)
    info = probe(path)
    engine = new_engine(p, info)
    stock = AdaptiveDetector(adaptive_threshold=p.adaptive_threshold, min_scene_len=engine.min_shot,
                             window_width=p.window_width, min_content_val=p.min_content_val)
    rate = engine.rate
    stock_cuts: list[int] = []

    class Both(FrameConsumer):
        def __init__(self) -> None:
            self.spec = frame_spec_for(p)
            self.n = 0

        def on_frame(self, frame):  # type: ignore[no-untyped-def]
            engine.push(frame.image, frame.time, frame.time_base, frame.key)
            mid, _ = reduce_frame(cv2, frame.image)
            stock_cuts.extend(int(tc.frame_num) for tc in stock.process_frame(
                FrameTimecode(self.n, rate), np.ascontiguousarray(mid[..., ::-1])))
            self.n += 1

    decode(path, [Both()], info)
    engine.finish()
    assert stock_cuts and sorted(engine.candidates) == stock_cuts


@pytest.mark.parametrize("interpolation", [None, "AREA"])
def test_decoded_frames_match_pyav_conversion(editorial: tuple[Path, SynthTruth], interpolation: str | None) -> None:
    """The decoder reuses one swscale context per output size; pixels equal PyAV's per-frame
    ``to_ndarray(width=, height=, interpolation=)``."""
    import av

    from rushes.media import FrameConsumer, FrameSpec, decode

    path, _ = editorial
    got: list[np.ndarray] = []

    class Keep(FrameConsumer):
        def __init__(self) -> None:
            self.spec = FrameSpec(max_side=96, interpolation=interpolation)

        def on_frame(self, frame):  # type: ignore[no-untyped-def]
            got.append(frame.image)

    decode(path, [Keep()])
    with av.open(str(path)) as container:
        ref = [f.to_ndarray(width=96, height=54, format="rgb24", interpolation=interpolation)
               for f in container.decode(video=0)]
    assert len(got) == len(ref) and all(np.array_equal(a, b) for a, b in zip(got, ref))
