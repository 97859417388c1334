"""Shot analysis: frame-exact shot boundaries, transitions, near-duplicate groups, editor exports.

Public API::

    from rushes.shots import ShotParams, detect_shots, shot_table, write_shots

    result = detect_shots("A001C003.mov", ShotParams(mode="fused"))
    for shot in result.shots:                     # decoded-frame indices, end exclusive
        print(shot.start, shot.end, shot.transition_in, shot.group)
    table = shot_table(result, info, "A001C003.mov")
    write_shots(table, "otio", "out/")            # csv | json | edl | otio | fcpxml

Modes: ``classical`` (PySceneDetect's AdaptiveDetector on our own decoded frames, plus flash,
fade and dissolve tests), ``learned`` (TransNetV2 on every frame, ONNX Runtime) and ``fused``
(classical everywhere, TransNetV2 only where the classical signals are unsure). See
docs/shots.md for how they work, their accuracy and their cost.

Heavy dependencies (OpenCV, PySceneDetect, ONNX Runtime, OpenTimelineIO) are imported lazily;
install them with ``pip install 'rushes[shots]'``.
"""

from rushes.shots.calibrate import calibrate_shots, read_marks, save_calibration
from rushes.shots.detect import ShotConsumer, detect_shots, frame_spec_for, new_engine
from rushes.shots.engine import Shot, ShotEngine, ShotResult, Transition
from rushes.shots.evaluate import evaluate_shots, load_truth, score_file
from rushes.shots.params import MODES, ShotParams
from rushes.shots.writers import FORMATS, ShotTable, edit_rate, shot_table, write_shots

__all__ = [
    "FORMATS",
    "MODES",
    "Shot",
    "ShotConsumer",
    "ShotEngine",
    "ShotParams",
    "ShotResult",
    "ShotTable",
    "Transition",
    "calibrate_shots",
    "detect_shots",
    "edit_rate",
    "evaluate_shots",
    "frame_spec_for",
    "load_truth",
    "new_engine",
    "read_marks",
    "save_calibration",
    "score_file",
    "shot_table",
    "write_shots",
]
