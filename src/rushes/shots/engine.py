"""The streaming shot detector: frames in, transitions and shots out, memory bounded.

:class:`ShotEngine` receives every decoded frame once (from :func:`rushes.media.decode`, through
the ``shots`` analyzer or :func:`rushes.shots.detect_shots`) and keeps only

* a few scalars per frame (HSV frame score, luma, blend-test values),
* a ring of the last :data:`RING` frames at 48×27 (TransNetV2 windows, flash and blend tests),
* a handful of thumbnail-sized frames per provisional segment (representative frames).

Classical detection feeds PySceneDetect's :class:`~scenedetect.detectors.AdaptiveDetector` with
our 96×54 frames (no second decode), rejects flashes (the picture returns within
``flash_max_s``), and finds gradual transitions with a twin-window blend test (the middle frame
of a span is the average of its ends in a dissolve or fade, not under camera motion). The
learned detector runs TransNetV2 on 100-frame windows (50 frames predicted per window) in a
worker thread: on every aligned window in ``learned`` mode, and in ``fused`` mode only where the
classical signals are unsure (weak cuts and near-misses that could still become a cut, dissolves
the classical test reports without a clear colour change, runs it rejects although the colours
changed), each window centred on the frames in question, within a budget of ``learned_share``
of the frames. Runs of blend-like frames are judged when they end, so no window is spent on a
fade (fused mode keeps classical fades as they are) or on a cut a reported transition absorbs.
Final decisions are taken in :meth:`ShotEngine.finish`.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from rushes.intervals import common_time_base
from rushes.shots.params import ShotParams
from rushes.shots.signals import (
    TRANSNET_SIZE,
    blend_residual,
    hsv_score,
    luma_stats,
    mean_abs_diff,
    motion_explains,
    reduce_frame,
    structure_correlation,
)

__all__ = ["RING", "ShotEngine", "ShotResult", "Transition", "frame_ticks"]

log = logging.getLogger(__name__)

#: frames of 48×27 history kept (a TransNetV2 window needs 100, requests lag by ~30)
RING = 192
_WIN = 100
_STEP = 50
_CTX = 25
#: free TransNetV2 windows per file in fused mode before the ``learned_share`` budget applies
_FREE_WINDOWS = 2
#: representative frames kept per open segment (decimated as the segment grows)
_REPS_OPEN = 8
_REPS_CLOSED = 8
#: fused: colour-histogram change (0–1) across the blend window that makes a soft gradual candidate
_HIST_CHANGE = 0.35
#: fused: blend residual accepted for a soft candidate (motion blurs the strict blend test)
_SOFT_RESIDUAL = 0.5
#: fused: a run of blend-like frames longer than this is decided without waiting for its end
_MAX_RUN = 120
#: fused: frames a run of blend-like frames may pause and still be one run
_RUN_GAP = 2
#: fused: colour-histogram change that makes a classical dissolve sure enough to skip TransNetV2
_SURE_HIST = 0.5
#: luma fades: per-frame tolerance of "keeps getting darker/brighter" (relative, absolute)
_RAMP_TOL = (0.03, 0.75)

U8 = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Transition:
    """A boundary between two shots, in decoded-frame indices.

    ``start``..``end`` (inclusive) are the frames the transition affects; for a cut both equal
    ``boundary``, the first frame of the new shot. ``kind`` is ``cut``, ``dissolve`` or ``fade``.
    """

    kind: str
    start: int
    end: int
    boundary: int
    score: float
    source: str
    """``classical``, ``learned`` or ``both`` (confirmed by the two detectors)."""

    @property
    def gradual(self) -> bool:
        return self.kind != "cut"


@dataclass
class Shot:
    """One shot: frames ``[start, end)`` and how it was entered."""

    start: int
    end: int
    transition_in: str
    group: int = -1
    rep_frame: int = -1


@dataclass
class ShotResult:
    """Everything the engine found in one file."""

    frames: int
    time_base: Fraction
    ticks: npt.NDArray[np.int64]
    """Start of every decoded frame in ticks of ``time_base`` from the start of the file."""
    end_tick: int
    """End of the last frame (its start plus its duration)."""
    keyframes: npt.NDArray[np.bool_]
    transitions: list[Transition]
    shots: list[Shot]
    reps: dict[int, bytes] = field(default_factory=dict)
    """Shot index → JPEG of its representative frame (thumbnail size)."""
    missing_reps: list[int] = field(default_factory=list)
    """Shots with no kept frame (the caller may seek for one)."""
    metrics: dict[str, Any] = field(default_factory=dict)
    frame_rate: Fraction | None = None
    """Average rate of the decoded frames (exact ratio of count to span)."""

    def frame_time(self, index: int) -> Fraction:
        """Start of frame ``index`` in seconds (``frames`` gives the end of the last one)."""
        if index >= self.frames:
            return self.end_tick * self.time_base
        return int(self.ticks[index]) * self.time_base

    def frame_at(self, seconds: Fraction | float) -> int:
        """Index of the frame displayed at ``seconds`` (the last one starting at or before it)."""
        t = Fraction(seconds) if not isinstance(seconds, float) else Fraction(seconds).limit_denominator(10**9)
        tick = t / self.time_base
        i = int(np.searchsorted(self.ticks, math.floor(tick) if tick.denominator != 1 else int(tick), side="right"))
        return max(0, min(self.frames - 1, i - 1))

    def nearest_frame(self, seconds: float) -> int:
        """Index of the frame whose start is nearest to ``seconds``."""
        tick = seconds / float(self.time_base)
        i = int(np.searchsorted(self.ticks, tick))
        best = max(0, min(self.frames - 1, i))
        for j in (i - 1, i):
            if 0 <= j < self.frames and abs(self.ticks[j] - tick) < abs(self.ticks[best] - tick):
                best = j
        return best

    @property
    def cuts(self) -> list[int]:
        """First frames of shots entered by a hard cut."""
        return [t.boundary for t in self.transitions if t.kind == "cut"]


def frame_ticks(times: list[Fraction], time_base: Fraction) -> tuple[npt.NDArray[np.int64], Fraction]:
    """Frame start times as integer ticks, refining ``time_base`` if a time is not a whole tick."""
    tb = time_base
    for t in times:
        if (t / tb).denominator != 1:
            tb = common_time_base(tb, t) if t != 0 else tb
    return np.asarray([int(t / tb) for t in times], dtype=np.int64), tb


class _Reps:
    """Representative-frame reservoir: a few evenly spread frames per provisional segment."""

    def __init__(self, step: int) -> None:
        self.base_step = max(1, step)
        self.step = self.base_step
        self.start = 0
        self.open: list[tuple[int, U8]] = []
        self.closed: list[tuple[int, bytes]] = []

    def offer(self, index: int, image: U8) -> None:
        if (index - self.start) % self.step:
            return
        self.open.append((index, np.array(image, copy=True)))
        if len(self.open) > _REPS_OPEN:
            self.open = self.open[::2]
            self.step *= 2

    def split(self, index: int, cv2: Any) -> None:
        """Start a new segment at frame ``index`` (frames before it are compressed and kept)."""
        keep = [(i, im) for i, im in self.open if i < index]
        if len(keep) > _REPS_CLOSED:
            pick = np.linspace(0, len(keep) - 1, _REPS_CLOSED).round().astype(int)
            keep = [keep[int(p)] for p in pick]
        for i, im in keep:
            ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(im[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, 88])
            if ok:
                self.closed.append((i, bytes(buf)))
        self.open = [(i, im) for i, im in self.open if i >= index]
        self.start = index
        self.step = self.base_step

    def all(self, cv2: Any) -> list[tuple[int, bytes]]:
        self.split(1 << 62, cv2)
        return sorted(self.closed, key=lambda x: x[0])


class ShotEngine:
    """Streaming shot detection over one file (see the module docstring).

    ``frame_rate``: the stream's nominal rate (used to turn seconds into frame counts; the
    real frame times come from each frame). ``learned``: a callable returning the TransNetV2
    session (called only when the mode needs it). ``keep_reps``: keep representative frames.
    """

    def __init__(
        self,
        params: ShotParams,
        frame_rate: Fraction | None,
        *,
        learned: Callable[[], Any] | None = None,
        keep_reps: bool = True,
    ) -> None:
        try:
            import cv2
            from scenedetect.common import FrameTimecode
            from scenedetect.detectors import AdaptiveDetector
        except ImportError as exc:
            from rushes.errors import ModelNotAvailable

            raise ModelNotAvailable(
                f"shot detection needs PySceneDetect and OpenCV: pip install 'rushes[shots]' ({exc})"
            ) from exc

        self.p = params
        self._cv2 = cv2
        rate = Fraction(frame_rate) if frame_rate else Fraction(25)
        self.rate = rate
        fps = float(rate)
        self.min_shot = max(1, round(params.min_shot_s * fps))
        self.flash_len = max(1, round(params.flash_max_s * fps))
        self.K = max(4, round(params.gradual_window_s * fps))
        self.K += self.K % 2
        self.gradual_min = max(2, round(params.gradual_min_s * fps))
        self._adaptive = _scored_adaptive(AdaptiveDetector)(
            adaptive_threshold=params.adaptive_threshold,
            min_scene_len=self.min_shot,
            window_width=params.window_width,
            min_content_val=params.min_content_val,
        )
        self._tc = FrameTimecode
        self._tc_rate = rate
        self.mode = params.mode
        self._learned_factory = learned
        self._learned: Any = None
        self._factory: Callable[[], Any] | None = None  # fused: loaded by the first window
        self.learned_error: str | None = None
        self._pool: ThreadPoolExecutor | None = None
        if self.mode in ("learned", "fused") and learned is None:
            self.learned_error = "no learned model supplied"
            if self.mode == "learned":
                raise ValueError("learned mode needs a TransNetV2 model")
        elif self.mode == "learned" and learned is not None:
            self._learned = learned()  # a missing model is an error in learned mode
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="transnet")
        elif self.mode == "fused" and learned is not None:
            # fused mode loads the model in the worker thread when the first window needs it
            # (resolving the export and creating the session cost ~0.5 s of CPU): decoding goes on
            # meanwhile, and a file that needs no window never loads it
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="transnet")
            self._factory = learned
        # per-frame scalars
        self.times: list[Fraction] = []
        self.time_base: Fraction | None = None
        self.keys: list[bool] = []
        self.score: list[float] = []  # HSV content score vs previous frame
        self.rgbdiff: list[float] = []  # mean abs RGB diff vs previous frame (48×27)
        self.luma: list[float] = []
        self.lstd: list[float] = []
        self.change: list[float] = []  # blend test: change across K frames ending here
        self.resid: list[float] = []  # blend test: residual of the middle frame
        self.n = 0
        self._ring = np.zeros((RING, TRANSNET_SIZE[1], TRANSNET_SIZE[0], 3), dtype=np.uint8)
        self._hist = np.zeros((RING, 128), dtype=np.float32)
        self.histchange: list[float] = []  # 1 - histogram intersection with the frame K before
        self._prev_hsv: U8 | None = None
        self._pending_cuts: list[int] = []
        self.candidates: dict[int, dict[str, float]] = {}
        self.reverts: dict[int, float] = {}
        # TransNetV2 windows, named by their first frame (it may be < 0 or run past the end: the
        # edge frames are repeated); a window predicts its frames [start + _CTX, start + _CTX + _STEP)
        self._queue: list[int] = []  # requested, waiting for their last frame
        self._futures: dict[int, Future[tuple[F32, F32] | None]] = {}
        self._covered: list[tuple[int, int]] = []  # predicted ranges of requested windows
        self._skipped = 0  # windows wanted but over budget or out of the ring
        self._next_block = 0  # learned mode: next aligned block to request
        self._tokens = float(_FREE_WINDOWS * _STEP)
        self._reps = _Reps(max(1, round(fps / 4))) if keep_reps else None
        self._last_image: U8 | None = None
        self._rep_run = -1  # start of the current blend run, for the representative-frame segments
        self._run_start = -1  # fused: current run of blend-like frames, decided when it ends
        self._run: dict[str, float] = {}
        self._run_cuts: list[int] = []  # unsure cuts inside the open run, decided with it
        self._cut_asks: list[int] = []  # unsure cuts waiting to see whether a blend run covers them
        self._absorbed: list[tuple[int, int]] = []  # recent classical gradual spans no window is spent on
        self._blend_frames: dict[int, U8] = {}
        self.closed = False

    # -- streaming ---------------------------------------------------------------------------------
    def push(self, image: U8, time: Fraction, time_base: Fraction, key: bool = False) -> None:
        """Add the next frame (any size, RGB) with its exact start time in seconds."""
        cv2 = self._cv2
        n = self.n
        mid, small = reduce_frame(cv2, image)
        self._ring[n % RING] = small
        self.times.append(Fraction(time))
        if self.time_base is None:
            self.time_base = Fraction(time_base)
        self.keys.append(bool(key))
        hsv = cv2.cvtColor(mid, cv2.COLOR_RGB2HSV)
        hist = cv2.calcHist([hsv], [0, 1, 2], None, [8, 4, 4], [0, 180, 0, 256, 0, 256]).ravel()
        hist /= max(1.0, float(hist.sum()))
        self._hist[n % RING] = hist
        self.histchange.append(1.0 - float(np.minimum(hist, self._hist[(n - self.K) % RING]).sum())
                               if n >= self.K else 0.0)
        self.score.append(0.0 if self._prev_hsv is None else hsv_score(hsv, self._prev_hsv))
        self._prev_hsv = hsv
        prev_small = self._ring[(n - 1) % RING] if n else small
        self.rgbdiff.append(mean_abs_diff(prev_small, small) if n else 0.0)
        y, s = luma_stats(small)
        self.luma.append(y)
        self.lstd.append(s)
        if n >= self.K:
            c, r = blend_residual(self._ring[(n - self.K) % RING], self._ring[(n - self.K // 2) % RING], small)
        else:
            c, r = 0.0, 1.0
        self.change.append(c)
        self.resid.append(r)
        if n >= self.K and self._is_blend(n):
            # keep the frames of blend runs: the end-to-end test in finish() needs them
            for j in range(max(0, n - self.K), n + 1):
                if j not in self._blend_frames:
                    self._blend_frames[j] = self._ring[j % RING].copy()
        self.n += 1
        self._tokens += self.p.learned_share
        # classical cut candidates: PySceneDetect's adaptive rule on our HSV frame score (the value
        # its ContentDetector would compute from the same frame, see _scored_adaptive)
        self._adaptive.next_score = self.score[n]
        for tc in self._adaptive.process_frame(self._tc(n, self._tc_rate), mid):
            c_idx = int(tc.frame_num)
            self._pending_cuts.append(c_idx)
            if self._reps is not None:
                self._reps.split(c_idx, cv2)
        if self._reps is not None:
            # representative frames: a new segment also after every gradual-looking run and every
            # black/white stretch, so shots between dissolves and fades keep frames of their own
            # (a shot with none costs a seek and a GOP of decoding in fill_missing_reps)
            blend_now = n >= self.K and self._is_blend(n)
            if blend_now and self._rep_run < 0:
                self._rep_run = n
            elif not blend_now and self._rep_run >= 0:
                if n - self._rep_run >= self.gradual_min:
                    self._reps.split(n, cv2)
                self._rep_run = -1
            if n and self._flat(n - 1) and not self._flat(n):
                self._reps.split(n, cv2)
            self._reps.offer(n, image)
        self._check_pending(final=False)
        self._flash_probe(n - self.flash_len)
        self._watch(n)
        self._run_blocks(final=False)

    def _check_pending(self, final: bool) -> None:
        still: list[int] = []
        for c in self._pending_cuts:
            if not final and self.n <= c + self.flash_len:
                still.append(c)
                continue
            self._examine_cut(c)
        self._pending_cuts = still

    def _revert(self, c: int) -> float:
        """How far frames after ``c`` return towards frame ``c - 1`` (low = a flash or a glitch)."""
        before = self._frame(c - 1)
        base = mean_abs_diff(before, self._frame(c))
        revert = 1.0
        for k in range(1, self.flash_len + 1):
            if not self._in_ring(c + k):
                break
            revert = min(revert, mean_abs_diff(before, self._frame(c + k)) / max(base, 1e-6))
        return revert

    def _flash_probe(self, c: int) -> None:
        """Record the flash test of every big single-frame change (learned cuts are checked too)."""
        if c >= 1 and self._in_ring(c - 1) and self.score[c] >= 0.5 * self.p.min_content_val:
            self.reverts[c] = self._revert(c)

    def _frame(self, i: int) -> U8:
        frame: U8 = self._ring[i % RING]
        return frame

    def _in_ring(self, i: int) -> bool:
        return 0 <= i < self.n and i > self.n - RING

    def _examine_cut(self, c: int) -> None:
        """Flash test and confidence of a classical cut candidate at frame ``c``."""
        if c <= 0 or not self._in_ring(c - 1):
            return
        revert = self._revert(c)
        w = self.p.window_width
        neigh = [self.score[j] for j in range(max(0, c - w), min(self.n, c + w + 1)) if j != c]
        ratio = self.score[c] / max(1e-6, float(np.mean(neigh))) if neigh else 255.0
        # one calm side (a static shot cut into action or noise) is as telling as a high ratio
        before_calm = float(np.mean(self.score[max(0, c - w): c])) if c > 0 else 0.0
        after = [self.score[j] for j in range(c + 1, min(self.n, c + w + 1))]
        after_calm = float(np.mean(after)) if after else 0.0
        calm = min(before_calm, after_calm) <= 0.25 * self.score[c]
        confident = (
            self.score[c] >= self.p.confident_factor * self.p.min_content_val
            and (ratio >= self.p.confident_factor * self.p.adaptive_threshold or calm)
            and revert >= 0.75
        )
        self.candidates[c] = {"score": self.score[c], "ratio": min(ratio, 255.0), "revert": revert,
                              "confident": float(confident)}
        if self.mode == "fused" and not confident and revert > self.p.flash_revert and self._cut_possible(c):
            self._ask_cut(c)

    def _watch(self, n: int) -> None:
        """Fused mode: ask TransNetV2 about near-miss cuts and unsure gradual candidates."""
        if self.mode != "fused" or self._pool is None:
            return
        blend = self._is_blend(n)
        soft = (
            self.histchange[n] >= _HIST_CHANGE
            and self.change[n] >= self.p.gradual_min_change
            and self.resid[n] <= _SOFT_RESIDUAL
        )
        run = self._run
        if blend or soft:
            if self._run_start < 0:
                self._run_start = n
                run.clear()
                run.update(eligible=0.0)
                self._run_cuts = []
            run["end"] = float(n)
            # one frame carrying much of the window's change is a cut (handled above), not a gradual
            near_cut = max(self.rgbdiff[n - self.K + 1: n + 1]) >= 0.5 * self.change[n] or any(
                n - self.K - 1 <= c <= n for c in (*self._pending_cuts, *self.candidates))
            flat = self._flat(n - self.K) or self._flat(n)
            if n - self._run_start >= 1 and not flat and not near_cut:
                run["eligible"] = 1.0
            if n - self._run_start + 1 >= _MAX_RUN:
                self._end_run()  # decide now, while the frames are still in the ring
        elif self._run_start >= 0 and n - int(run["end"]) > _RUN_GAP:
            self._end_run()
        w = self.p.window_width
        m = n - w
        if m >= 1:
            s = self.score[m]
            recent = any(m - self.flash_len <= c <= m for c in (*self._pending_cuts, *self.candidates))
            if s >= 0.5 * self.p.min_content_val and not recent and self._cut_possible(m):
                before = self.score[max(0, m - w): m]
                neigh = [self.score[j] for j in range(max(0, m - w), m + w + 1) if j != m]
                ratio = s / max(1e-6, float(np.mean(neigh)))
                calm_before = s >= self.p.min_content_val and float(np.mean(before)) <= 0.25 * s
                if ratio >= self.p.adaptive_threshold or calm_before:
                    self._ask_cut(m)
        if self._cut_asks:
            self._settle_cut_asks(n, final=False)

    def _ask_cut(self, c: int) -> None:
        """Fused: a window for an unsure cut at ``c``, unless a gradual transition absorbs it.

        A cut inside a dissolve or fade is merged into that transition by :meth:`_prune`. The
        question waits ``K`` frames (a blend run whose span covers ``c`` has begun by then; the
        window needs 50 frames after ``c`` anyway), then joins an open run's decision, is
        dropped inside a transition classical mode reports, or is asked.
        """
        self._cut_asks.append(c)

    def _settle_cut_asks(self, n: int, final: bool) -> None:
        still: list[int] = []
        for c in self._cut_asks:
            if not final and n < c + self.K + 2:
                still.append(c)
            elif self._run_start >= 0 and c >= self._run_start - self.K - 1:
                self._run_cuts.append(c)
            elif not self._is_absorbed(c):
                self._request(c - 3, c + 1)
        self._cut_asks = still

    def _end_run(self) -> None:
        """Fused: decide whether a finished run of blend-like frames is worth a TransNetV2 window.

        The run's strict blend sub-runs are classified exactly as :meth:`finish` will classify
        them. Asked: classical dissolves, unless the colours changed clearly as well (then it is
        as sure as a confident cut), and runs the classical test reports nothing for although
        the colours changed (a dissolve under motion: the looser "soft" test). Not asked: fades
        (fused mode keeps every classical fade whatever TransNetV2 says, so the window would
        change nothing), runs next to black or white (the luma fade test's ground) and runs with
        the same colours that the classical test explains as camera motion or a lighting change.
        Unsure cuts inside a reported transition are not asked either: :meth:`_prune` merges them
        into it.
        """
        run, a0 = self._run, self._run_start
        self._run_start = -1
        cuts, self._run_cuts = self._run_cuts, []
        b = int(run["end"])
        asks, absorbed = self._judge_run(a0, b, bool(run.get("eligible")))
        self._absorbed = [iv for iv in self._absorbed if iv[1] >= a0 - RING] + absorbed
        for lo, hi in asks:
            self._request(lo, hi)
        for c in cuts:
            if not self._is_absorbed(c):
                self._request(c - 3, c + 1)

    def _judge_run(self, a0: int, b: int, eligible: bool) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """(frame ranges to ask TransNetV2 about, transitions classical mode will report there)."""
        reported: list[Transition] = []
        i = a0
        while i <= b:
            if not self._is_blend(i):
                i += 1
                continue
            j = i
            while j + 1 <= b and self._is_blend(j + 1):
                j += 1
            if j - i + 1 >= self.gradual_min:
                t = self._gradual_span(max(0, i - self.K), j)
                if t is not None:
                    reported.append(t)
            i = j + 1
        absorbed: list[tuple[int, int]] = []
        asks: list[tuple[int, int]] = []
        for t in reported:
            hist = max(self.histchange[t.start: t.end + 1], default=0.0)
            change = max(self.change[t.start: t.end + 1], default=0.0)
            sure = hist >= _SURE_HIST and change >= 2 * self.p.gradual_min_change
            if t.kind == "fade" or sure or not eligible:
                absorbed.append((t.start, t.end))
            else:
                asks.append((t.start - 2, t.end + 3))
        if not reported and eligible:
            a = max(0, a0 - self.K)
            near_flat = self._flat(a - 1) or self._flat(a) or self._flat(b) or self._flat(b + 1)
            if not near_flat and max(self.histchange[a0: b + 1], default=0.0) >= _HIST_CHANGE:
                asks.append((a - 2, b + 3))
        return asks, absorbed

    def _is_absorbed(self, c: int) -> bool:
        return any(a - 1 <= c <= b + 1 for a, b in self._absorbed)

    def _flat(self, i: int) -> bool:
        """Frame ``i`` is black or white (what fades go to or come from)."""
        if not 0 <= i < self.n or self.lstd[i] > self.p.uniform_std:
            return False
        return self.luma[i] <= self.p.black_level or self.luma[i] >= 255.0 - self.p.black_level

    def _is_blend(self, n: int) -> bool:
        return self.change[n] >= self.p.gradual_min_change and self.resid[n] <= self.p.gradual_max_residual

    def _load_model(self, factory: Callable[[], Any]) -> Any:
        """Worker thread, fused mode: the TransNetV2 session, or None (classical only) if it fails."""
        try:
            return factory()
        except Exception as exc:  # a missing model degrades fused mode, not ingest
            self.learned_error = str(exc)
            log.warning("shots: TransNetV2 unavailable, fused mode runs classical only: %s", exc)
            return None

    def _predict(self, window: U8) -> tuple[F32, F32] | None:
        """Worker thread: TransNetV2 on one window (None when fused mode has no model)."""
        if self._factory is not None:  # one worker thread: no other window runs meanwhile
            factory, self._factory = self._factory, None
            self._learned = self._load_model(factory)
        model = self._learned
        if model is None:
            return None
        result: tuple[F32, F32] = model.predict_window(window)
        return result

    def _cut_possible(self, c: int) -> bool:
        """Whether a cut at ``c`` could survive the final decisions (min. shot length, black pair)."""
        return c >= self.min_shot and not _dark_pair(self.luma, c, self.p.black_level)

    def _request(self, lo: int, hi: int) -> None:
        """Fused: have TransNetV2 predict frames ``lo..hi`` (windows placed over the part not
        yet covered, each charged ``_STEP`` frames of the ``learned_share`` budget)."""
        lo, hi = max(0, lo), max(0, hi)
        todo = [(lo, hi)]
        for a, b in self._covered:
            todo = [part for x, y in todo for part in ((x, min(y, a - 1)), (max(x, b + 1), y)) if part[0] <= part[1]]
        for x, y in todo:
            first = x
            while first <= y:
                span = min(_STEP, y - first + 1)
                # centre short spans in the predicted half (never before frame 0, like learned mode)
                pred = max(0, first - (_STEP - span) // 2)
                if self._tokens < _STEP:
                    self._skipped += 1
                    return
                self._tokens -= _STEP
                self._covered.append((pred, pred + _STEP - 1))
                self._queue.append(pred - _CTX)
                first += span

    def _run_blocks(self, final: bool) -> None:
        if self._pool is None:
            return
        if self.mode == "learned":
            # every aligned block whose first predicted frame has arrived
            while self._next_block * _STEP <= self.n - 1:
                self._queue.append(self._next_block * _STEP - _CTX)
                self._next_block += 1
        if not self._queue:
            return
        waiting: list[int] = []
        for start in self._queue:
            if start in self._futures:
                continue
            if not final and self.n <= start + _WIN - 1:
                waiting.append(start)
                continue
            if max(0, start) < self.n - RING:
                self._skipped += 1
                self._futures[start] = _done(None)
                continue
            idx = np.clip(np.arange(start, start + _WIN), 0, self.n - 1)
            window = self._ring[idx % RING].copy()
            self._futures[start] = self._pool.submit(self._predict, window)
        self._queue = waiting

    # -- decisions -------------------------------------------------------------------------------------
    def finish(self) -> ShotResult:
        """Flush, wait for TransNetV2, decide transitions and shots."""
        cv2 = self._cv2
        n = self.n
        for tc in self._adaptive.post_process(self._tc(max(0, n - 1), self._tc_rate)):
            self._pending_cuts.append(int(tc.frame_num))
        self._check_pending(final=True)
        if self._run_start >= 0:
            self._end_run()
        self._settle_cut_asks(n, final=True)
        self._run_blocks(final=True)
        single = np.full(n, np.nan, dtype=np.float32)
        many = np.full(n, np.nan, dtype=np.float32)
        windows = 0
        for start, fut in sorted(self._futures.items()):
            res = fut.result()
            if res is None:
                continue
            windows += 1
            s, m = res
            lo, hi = max(0, start + _CTX), min(n, start + _CTX + _STEP)
            if hi <= lo:
                continue
            off = lo - (start + _CTX)
            keep = np.isnan(single[lo:hi])  # overlapping windows: the earlier one's prediction stays
            single[lo:hi] = np.where(keep, s[off: off + hi - lo], single[lo:hi])
            many[lo:hi] = np.where(keep, m[off: off + hi - lo], many[lo:hi])
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        self.closed = True
        tb = self.time_base or Fraction(1, 1000)
        ticks, tb = frame_ticks(self.times, tb)
        if n >= 2:
            span = self.times[-1] - self.times[0]
            avg_rate = Fraction(n - 1) / span if span > 0 else self.rate
            last_dur = self.times[-1] - self.times[-2]
        else:
            avg_rate = self.rate
            last_dur = 1 / self.rate
        end_tick = int(ticks[-1]) + int(round(last_dur / tb)) if n else 0

        transitions = self._decide(single, many) if n else []
        shots = self._shots(transitions)
        reps: dict[int, bytes] = {}
        missing: list[int] = []
        if self._reps is not None:
            kept = self._reps.all(cv2)
            for si, shot in enumerate(shots):
                pick = _pick_rep(kept, shot, transitions)
                if pick is None:
                    missing.append(si)
                else:
                    shot.rep_frame, reps[si] = pick
        metrics = {
            "frames": n,
            "shots": len(shots),
            "cuts": sum(1 for t in transitions if t.kind == "cut"),
            "gradual": sum(1 for t in transitions if t.kind != "cut"),
            "learned_windows": windows,
            "learned_frames": int(np.sum(~np.isnan(single))),
            "learned_share": float(np.mean(~np.isnan(single))) if n else 0.0,
            "learned_skipped_windows": self._skipped,
            "mode": self.mode,
        }
        if self.learned_error:
            metrics["learned_error"] = self.learned_error
        return ShotResult(frames=n, time_base=tb, ticks=ticks, end_tick=end_tick,
                          keyframes=np.asarray(self.keys, dtype=bool), transitions=transitions, shots=shots,
                          reps=reps, missing_reps=missing, metrics=metrics, frame_rate=avg_rate)

    def _decide(self, single: F32, many: F32) -> list[Transition]:
        p = self.p
        luma = np.asarray(self.luma)
        classical_cuts = self._classical_cuts()
        graduals = self._classical_gradual()
        learned = self._learned_transitions(single, many) if self.mode != "classical" else []
        out: list[Transition] = []
        if self.mode == "classical":
            out = classical_cuts + graduals
        elif self.mode == "learned":
            out = learned
        else:
            for t in classical_cuts:
                cand = self.candidates.get(t.boundary, {})
                lo, hi = max(0, t.boundary - 3), min(len(single), t.boundary + 1)
                seen = single[lo:hi]
                prob = float(np.nanmax(seen)) if np.any(~np.isnan(seen)) else math.nan
                if cand.get("confident", 0.0) >= 1.0 or math.isnan(prob):
                    out.append(t)
                elif prob >= p.learned_threshold:
                    out.append(Transition("cut", t.start, t.end, t.boundary, max(t.score, prob), "both"))
                elif prob >= p.learned_reject:
                    out.append(t)
            for g in graduals:
                lo, hi = max(0, g.start - 2), min(len(single), g.end + 3)
                seen = single[lo:hi]
                covered = float(np.mean(~np.isnan(single[g.start: g.end + 1]))) if g.end >= g.start else 0.0
                # TransNetV2's verdict counts only where it saw most of the transition
                prob = float(np.nanmax(seen)) if covered >= 0.8 else math.nan
                if g.kind == "fade" or math.isnan(prob) or prob >= p.learned_gradual:
                    out.append(g if math.isnan(prob) or g.kind == "fade" else
                               Transition(g.kind, g.start, g.end, g.boundary, max(g.score, prob), "both"))
            for t in learned:
                if any(_overlaps(t, o, 2) for o in out):
                    continue
                out.append(t)
        out = [t for t in out if not (t.kind == "cut" and (
            _dark_pair(luma, t.boundary, p.black_level)
            or self.reverts.get(t.boundary, 1.0) <= p.flash_revert))]
        return self._prune(out)

    def _classical_cuts(self) -> list[Transition]:
        p = self.p
        out = []
        for c, info in sorted(self.candidates.items()):
            if info["revert"] <= p.flash_revert:
                continue  # the picture came back: a flash, not a cut
            score = (min(1.0, info["ratio"] / (2 * p.adaptive_threshold))
                     * min(1.0, info["score"] / (2 * p.min_content_val)))
            out.append(Transition("cut", c, c, c, round(0.5 + 0.5 * score, 4), "classical"))
        return out

    def _classical_gradual(self) -> list[Transition]:
        """Runs of the blend test → dissolves and fades (luma decides which)."""
        n = self.n
        blend = [self._is_blend(i) for i in range(n)]
        out: list[Transition] = []
        i = 0
        while i < n:
            if not blend[i]:
                i += 1
                continue
            j = i
            while j + 1 < n and blend[j + 1]:
                j += 1
            run = j - i + 1
            i_next = j + 1
            if run >= self.gradual_min:
                t = self._gradual_span(max(0, i - self.K), j)
                if t is not None:
                    out.append(t)
            i = i_next
        return out + self._luma_fades()

    def _luma_fades(self) -> list[Transition]:
        """Fades to and from black found on the luma curve (robust to motion under the fade)."""
        p = self.p
        y = np.asarray(self.luma)
        sd = np.asarray(self.lstd)
        n = len(y)
        black = (y <= p.black_level) & (sd <= p.uniform_std)
        out: list[Transition] = []
        rel, absolute = _RAMP_TOL
        i = 0
        while i < n:
            if not black[i]:
                i += 1
                continue
            j = i
            while j + 1 < n and black[j + 1]:
                j += 1
            # fade out: walk back while the picture keeps getting brighter going backwards
            k = i - 1
            while k - 1 >= 0 and y[k - 1] >= y[k] * (1 - rel) - absolute and not black[k - 1]:
                if y[k - 1] < y[k] + absolute and y[k - 1] > p.black_level * 2 and k < i - 2:
                    break
                k -= 1
            t = self._luma_ramp(k, i - 1, y[i], y, fade_out=True)
            if t is not None:
                out.append(t)
            # fade in: walk forward while the picture keeps getting brighter
            k = j + 1
            while k + 1 < n and y[k + 1] >= y[k] * (1 - rel) - absolute and not black[k + 1]:
                if y[k + 1] < y[k] + absolute and y[k + 1] > p.black_level * 2 and k > j + 2:
                    break
                k += 1
            t = self._luma_ramp(j + 1, k, y[j], y, fade_out=False)
            if t is not None:
                out.append(t)
            i = j + 1
        return out

    def _luma_ramp(
        self, a: int, b: int, black_y: float, y: npt.NDArray[np.float64], fade_out: bool
    ) -> Transition | None:
        """A luma ramp [a, b] next to black is a fade if it is long and has no single big step."""
        if a < 0 or b >= len(y) or b - a + 1 < 3:
            return None
        seg = y[a: b + 1]
        total = abs(float(seg[0] if fade_out else seg[-1]) - black_y)
        if total < 2 * self.p.black_level:
            return None
        steps = np.abs(np.diff(np.concatenate([seg, [black_y]] if fade_out else [[black_y], seg])))
        if float(steps.max()) > 0.5 * total:
            return None  # one frame does most of the change: a cut to/from black
        score = round(min(1.0, 0.5 + total / 200.0), 4)
        return Transition("fade", a, b, b + 1 if fade_out else a, score, "classical")

    def _gradual_span(self, a: int, b: int) -> Transition | None:
        p = self.p
        d = np.asarray(self.rgbdiff)
        inner = d[a + 1: b + 1]
        if len(inner) == 0:
            return None
        level = float(np.median(inner))
        # trim static frames at either end of the span
        while a < b and d[a + 1] < 0.3 * level:
            a += 1
        while b > a and d[b] < 0.3 * level:
            b -= 1
        if b - a + 1 < 2:
            return None
        flat_a = self._flat(a - 1) if a > 0 else self._flat(a)
        flat_b = self._flat(b + 1) if b + 1 < self.n else self._flat(b)
        change = float(np.max(self.change[a: b + 1])) if b >= a else 0.0
        score = round(min(1.0, 0.5 + change / 100.0), 4)
        if flat_a:
            return Transition("fade", a, b, a, score, "classical")  # fade in: new shot from the first lit frame
        if flat_b:
            return Transition("fade", a, b, b + 1, score, "classical")  # fade out: the black starts a new segment
        fa, fb = self._small(a), self._small(b)
        corr = structure_correlation(fa, fb) if fa is not None and fb is not None else 0.0
        if corr >= p.same_scene_correlation:
            return None  # the same picture brighter or darker: a lighting change
        if fa is not None and fb is not None and motion_explains(fa, fb):
            return None  # a slow pan over smooth detail passes the blend test: not a transition
        return Transition("dissolve", a, b, (a + b + 1) // 2, score, "classical")

    def _small(self, i: int) -> U8 | None:
        """The 48×27 frame ``i`` if it is still known (ring, or kept because a blend run used it)."""
        if i in self._blend_frames:
            return self._blend_frames[i]
        if self._in_ring(i):
            return self._frame(i)
        return None

    def _learned_transitions(self, single: F32, many: F32) -> list[Transition]:
        p = self.p
        n = len(single)
        out: list[Transition] = []
        s = np.nan_to_num(single, nan=0.0)
        m = np.nan_to_num(many, nan=0.0)
        d = np.asarray(self.rgbdiff)
        i = 0
        while i < n:
            if s[i] < p.learned_threshold:
                i += 1
                continue
            j = i
            while j + 1 < n and s[j + 1] >= p.learned_threshold:
                j += 1
            peak = i + int(np.argmax(s[i: j + 1]))
            a, b = peak, peak
            while a > 0 and m[a - 1] >= 0.5:
                a -= 1
            while b + 1 < n and m[b + 1] >= 0.5:
                b += 1
            a, b = min(a, i), max(b, j)
            prob = float(s[peak])
            if b - a + 1 <= 2:
                # a hard cut: the new shot starts at the biggest frame change near the peak
                lo, hi = a, min(n - 1, b + 1)
                boundary = lo + int(np.argmax(d[lo: hi + 1]))
                if boundary > 0:
                    out.append(Transition("cut", boundary, boundary, boundary, prob, "learned"))
            else:
                t = self._gradual_span(a, b)
                kind = "dissolve"
                boundary = (a + b + 1) // 2
                if t is not None and t.kind == "fade":
                    kind, boundary = "fade", t.boundary
                elif self._flat(a - 1) or self._flat(b + 1):
                    kind = "fade"
                    boundary = b + 1 if self._flat(b + 1) else a
                out.append(Transition(kind, a, b, boundary, prob, "learned"))
            i = j + 1
        return out

    def _prune(self, transitions: list[Transition]) -> list[Transition]:
        """Merge overlapping transitions and enforce the minimum shot length."""
        ts = sorted(transitions, key=lambda t: (t.boundary, t.start))
        # cuts inside a gradual transition belong to it
        grads = [t for t in ts if t.gradual]
        ts = [t for t in ts if t.gradual or not any(g.start - 1 <= t.boundary <= g.end + 1 for g in grads)]
        out: list[Transition] = []
        for t in ts:
            if out and (t.boundary - out[-1].boundary < self.min_shot or _overlaps(t, out[-1], 0)):
                prev = out[-1]
                if prev.gradual and t.gradual:
                    kind = "fade" if "fade" in (prev.kind, t.kind) else "dissolve"
                    later = t if t.kind == "fade" or prev.kind != "fade" else prev
                    out[-1] = Transition(kind, min(prev.start, t.start), max(prev.end, t.end), later.boundary,
                                         max(prev.score, t.score), prev.source if prev.source == t.source else "both")
                elif t.gradual and not prev.gradual:
                    out[-1] = t
                elif prev.gradual and not t.gradual:
                    continue
                elif t.score > prev.score:
                    out[-1] = t
                continue
            out.append(t)
        n = self.n
        return [t for t in out if (t.gradual or self.min_shot <= t.boundary <= n - 1) and t.start >= 0]

    def _shots(self, transitions: list[Transition]) -> list[Shot]:
        n = self.n
        if n == 0:
            return []
        first_kind = "start"
        bounds: list[tuple[int, str]] = []
        for t in transitions:
            if t.boundary <= 0 or t.boundary < self.min_shot:
                if t.kind == "fade":
                    first_kind = "fade"
                continue
            if t.boundary >= n or (t.boundary > n - self.min_shot // 2 - 1 and t.gradual):
                continue
            bounds.append((t.boundary, t.kind))
        shots: list[Shot] = []
        start, kind = 0, first_kind
        for b, k in bounds:
            if b <= start:
                continue
            shots.append(Shot(start, b, kind))
            start, kind = b, k
        shots.append(Shot(start, n, kind))
        return shots


def _done(value: Any) -> Future[Any]:
    f: Future[Any] = Future()
    f.set_result(value)
    return f


def _overlaps(a: Transition, b: Transition, tol: int) -> bool:
    return a.start - tol <= b.end and b.start - tol <= a.end


def _dark_pair(luma: Sequence[float] | npt.NDArray[np.float64], c: int, level: float) -> bool:
    return 0 < c < len(luma) and luma[c - 1] <= level and luma[c] <= level


@functools.cache
def _scored_adaptive(base: type) -> type:
    """``base`` (PySceneDetect's AdaptiveDetector) taking its frame score from ``next_score``.

    The engine already computes PySceneDetect's content score (mean absolute HSV difference to
    the previous frame, the ContentDetector's default weights) for its own tests; this keeps the
    detector's adaptive rule, window and minimum scene length as they are while skipping a
    second HSV conversion and BGR copy of every frame.
    """

    class ScoredAdaptiveDetector(base):  # type: ignore[misc, valid-type]
        next_score: float = 0.0

        def _calculate_frame_score(self, timecode: Any, frame_img: Any) -> float:
            return float(self.next_score)

    return ScoredAdaptiveDetector


def _pick_rep(kept: list[tuple[int, bytes]], shot: Shot, transitions: list[Transition]) -> tuple[int, bytes] | None:
    """The kept frame nearest the middle of the shot's untransitioned part."""
    lo, hi = shot.start, shot.end
    for t in transitions:
        if t.gradual and t.start <= lo <= t.end + 1:
            lo = max(lo, t.end + 1)
        if t.gradual and t.start <= hi - 1 <= t.end:
            hi = min(hi, t.start)
    if hi <= lo:
        lo, hi = shot.start, shot.end
    mid = (lo + hi - 1) / 2
    inside = [(i, b) for i, b in kept if lo <= i < hi] or [(i, b) for i, b in kept if shot.start <= i < shot.end]
    if not inside:
        return None
    return min(inside, key=lambda x: abs(x[0] - mid))
