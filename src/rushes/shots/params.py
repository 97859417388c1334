"""Parameters of shot detection: one frozen dataclass, the single source of defaults.

The same dataclass is the ``shots`` analyzer's ``Params`` (so it is part of the pipeline's cache
key), the target of ``rushes calibrate shots`` and the ``[analyzers.shots]`` table of a library's
``config.toml``. Times are in seconds (never frames), so the defaults hold at any frame rate.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

__all__ = ["CALIBRATABLE", "MODES", "ShotParams"]

#: detection modes: PySceneDetect detectors only, TransNetV2 only, or both (see docs/shots.md)
MODES = ("classical", "learned", "fused")

#: parameters that ``rushes calibrate shots`` tunes from a user's marked cuts
CALIBRATABLE = ("adaptive_threshold", "min_content_val")


@dataclass(frozen=True)
class ShotParams:
    """Shot detection settings (defaults were chosen on synthetic clips and checked on real ones)."""

    mode: str = "fused"
    """``classical`` (PySceneDetect detectors on our frames), ``learned`` (TransNetV2 on every
    frame) or ``fused`` (classical everywhere, TransNetV2 where the classical signals are unsure)."""
    min_shot_s: float = 0.4
    """No two boundaries closer than this (the weaker one is dropped)."""

    # -- classical cuts: PySceneDetect's AdaptiveDetector (frame-score ratio to its neighbours) --
    adaptive_threshold: float = 3.0
    """Frame score / mean score of the ``window_width`` frames either side needed for a cut."""
    min_content_val: float = 15.0
    """Minimum HSV frame score (0–255) for a cut."""
    window_width: int = 2
    flash_max_s: float = 0.25
    """A change that returns to the earlier picture within this long is a flash, not a cut."""
    flash_revert: float = 0.4
    """... where "returns" means the difference to the pre-cut frame falls below this share."""
    same_shot_similarity: float = 0.5
    """Colour-histogram similarity (0–1) across a candidate cut above which it is motion, not a cut,
    unless the score is far above ``min_content_val``."""

    # -- classical gradual transitions: twin-window blend test --
    gradual_window_s: float = 0.4
    """Span over which a dissolve/fade must change the picture."""
    gradual_min_change: float = 9.0
    """Mean absolute RGB change (0–255) across ``gradual_window_s`` for a gradual candidate."""
    gradual_max_residual: float = 0.22
    """How far the middle frame may be from the average of the span's ends (share of the change)."""
    gradual_min_s: float = 0.2
    """Shortest run of blend-like frames that makes a gradual transition."""
    same_scene_correlation: float = 0.65
    """Structure correlation of a span's ends above which it is a lighting change, not a transition."""
    black_level: float = 18.0
    """Mean luma (0–255) at or below which a frame counts as black (for fades)."""
    uniform_std: float = 10.0
    """Luma standard deviation below which a frame is a flat colour (fade to/from colour)."""

    # -- learned: TransNetV2 (ONNX Runtime) --
    learned_threshold: float = 0.5
    """TransNetV2 single-frame probability for a transition."""
    learned_reject: float = 0.15
    """Fused: an unsure classical cut whose TransNetV2 probability stays below this is dropped."""
    learned_gradual: float = 0.35
    """Fused: TransNetV2 probability needed to keep a classical dissolve it was asked about."""
    learned_share: float = 0.15
    """Fused: largest share of a file's frames (beyond two free windows) sent to TransNetV2."""
    confident_factor: float = 2.0
    """Fused: a classical cut whose score and ratio both exceed this × their thresholds is kept
    without asking TransNetV2."""

    # -- near-duplicate shots --
    groups: bool = True
    """Group near-duplicate shots (MobileNetV2 embedding + perceptual hash)."""
    group_similarity: float = 0.85
    """Cosine similarity of shot embeddings that makes two shots the same set-up."""
    phash_distance: int = 8
    """Hamming distance (of 64) between perceptual hashes that also makes them the same set-up."""

    # -- representative frames --
    thumbnails: bool = True
    thumb_size: int = 320
    """Longest side of thumbnails (and of the frames this analyzer asks the decoder for)."""

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.window_width < 1:
            raise ValueError("window_width must be >= 1")
        if not 0 <= self.learned_share <= 1:
            raise ValueError("learned_share must be within 0..1")
        if self.min_shot_s < 0 or self.flash_max_s < 0 or self.gradual_window_s <= 0:
            raise ValueError("durations must be positive")
        if self.thumb_size < 48:
            raise ValueError("thumb_size must be >= 48")

    def to_dict(self) -> dict[str, Any]:
        """All fields as plain values."""
        return asdict(self)

    @classmethod
    def field_names(cls) -> list[str]:
        """Names of all parameters."""
        return [f.name for f in fields(cls)]
