"""Slate events from per-frame detections: 2 s merging, bounded candidate frames, frame choice.

Pure logic (numpy only), driven by the ``slate`` analyzer and easy to test:

* :class:`EventBuilder` takes one classified sample at a time (1 fps by default). A sample whose
  ``p_slate`` reaches the threshold is a *detection*; consecutive detections at most
  ``merge_gap_s`` apart (the seed's 2 s tolerance) form one :class:`SlateEvent`. The event starts
  at its first detection and ends at its last.
* A sample may instead be a *tile detection* (the analyzer's second look at parts of a frame the
  whole-frame look was unsure of). Tiles see clutter close up and fire on some plain footage, so
  they are weaker evidence: they merge like detections, but an event that also has whole-frame
  detections spans those only (tile detections before or after a board seen whole do not move
  its start), and its score is the whole-frame one. An event of tile detections only keeps its
  tile span and score; the analyzer has OCR confirm it.
* Each event keeps at most ``top_k`` candidate frames in memory (the small classifier frame, time,
  score, sharpness): memory stays bounded however long a slate is held.
* :meth:`SlateEvent.ocr_order` ranks candidates for OCR: sharp frames where the classifier is
  sure come first — the seed OCRs every detected frame and keeps the one with the most
  characters; we OCR the best one or two and count the calls saved.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import numpy.typing as npt

__all__ = ["Candidate", "EventBuilder", "SlateEvent", "sharpness"]

U8 = npt.NDArray[np.uint8]


def sharpness(image: U8) -> float:
    """Variance of the 4-neighbour Laplacian of the luma (higher = sharper), on any RGB/gray image."""
    g = image.astype(np.float32)
    if g.ndim == 3:
        g = g[..., 0] * 0.299 + g[..., 1] * 0.587 + g[..., 2] * 0.114
    if g.shape[0] < 3 or g.shape[1] < 3:
        return 0.0
    lap = 4 * g[1:-1, 1:-1] - g[:-2, 1:-1] - g[2:, 1:-1] - g[1:-1, :-2] - g[1:-1, 2:]
    return float(lap.var())


@dataclass(order=True)
class Candidate:
    """A detected frame kept for OCR (ordered by :attr:`rank`)."""

    rank: float
    time: Fraction = field(compare=False)
    p_slate: float = field(compare=False)
    p_tail: float = field(compare=False)
    sharpness: float = field(compare=False)
    image: U8 = field(compare=False, repr=False)


@dataclass
class SlateEvent:
    """Detections merged into one slate appearance."""

    start: Fraction
    end: Fraction
    frames: int = 0
    """Detected samples in the event (what the seed would OCR)."""
    p_max: float = 0.0
    p_head_sum: float = 0.0
    p_tail_sum: float = 0.0
    tile_frames: int = 0
    """Detections made by the second look at tiles of the frame (the whole frame scored lower)."""
    p_tile_max: float = 0.0
    """Best tile ``p_slate`` (``p_max`` counts whole-frame detections only)."""
    whole_start: Fraction | None = None
    """First and last whole-frame detections (``None`` for an event of tile detections only)."""
    whole_end: Fraction | None = None
    candidates: list[Candidate] = field(default_factory=list)
    """Min-heap of the best ``top_k`` candidates (use :meth:`ocr_order`)."""

    @property
    def tail_vote(self) -> float:
        """Share of the slate probability mass that says "upside down" (0..1)."""
        total = self.p_head_sum + self.p_tail_sum
        return self.p_tail_sum / total if total > 0 else 0.0

    @property
    def score(self) -> float:
        """Best whole-frame ``p_slate`` of the event; the best tile's for a tiles-only event."""
        return self.p_tile_max if self.tiles_only else self.p_max

    @property
    def span(self) -> tuple[Fraction, Fraction]:
        """First and last detection, whole-frame ones only when there are any."""
        if self.whole_start is None or self.whole_end is None:
            return self.start, self.end
        return self.whole_start, self.whole_end

    def ocr_order(self) -> list[Candidate]:
        """Candidates best first."""
        return sorted(self.candidates, reverse=True)

    @property
    def tiles_only(self) -> bool:
        """Every detection of the event came from a tile, none from the whole frame."""
        return self.frames > 0 and self.tile_frames == self.frames


class EventBuilder:
    """Streaming merger of classified samples into :class:`SlateEvent` objects."""

    def __init__(self, threshold: float, merge_gap_s: float = 2.0, top_k: int = 3) -> None:
        if not 0 < threshold <= 1:
            raise ValueError("threshold must be in (0, 1]")
        if top_k < 1:
            raise ValueError("top_k must be at least 1")
        self.threshold = threshold
        self.merge_gap = Fraction(merge_gap_s).limit_denominator(1000)
        self.top_k = top_k
        self.events: list[SlateEvent] = []
        self._current: SlateEvent | None = None
        self.samples = 0
        self.detections = 0

    def add(self, time: Fraction, probs: npt.NDArray[np.float32], image: U8, *, tile: bool = False) -> bool:
        """One classified sample (``probs`` = none/slate/tail); returns whether it is a detection.

        ``tile``: the probabilities are those of a tile of the frame (the second look), which the
        caller has already held to its own threshold."""
        self.samples += 1
        p_head, p_tail = float(probs[1]), float(probs[2])
        p = p_head + p_tail
        if p < self.threshold and not tile:
            return False
        self.detections += 1
        ev = self._current
        if ev is None or time - ev.end > self.merge_gap:
            ev = SlateEvent(start=time, end=time)
            self.events.append(ev)
            self._current = ev
        ev.end = max(ev.end, time)
        ev.frames += 1
        if tile:
            ev.tile_frames += 1
            ev.p_tile_max = max(ev.p_tile_max, p)
        else:
            ev.p_max = max(ev.p_max, p)
            ev.whole_start = time if ev.whole_start is None else ev.whole_start
            ev.whole_end = time
        ev.p_head_sum += p_head
        ev.p_tail_sum += p_tail
        sharp = sharpness(image)
        # sure and sharp first; sharpness enters by its logarithm so it only breaks near-ties of p;
        # a frame seen whole outranks any tile (a tile detection may be clutter beside the board)
        rank = p + 0.1 * float(np.log1p(sharp)) + (0.0 if tile else 10.0)
        cand = Candidate(rank, time, p, p_tail, sharp, image)
        if len(ev.candidates) < self.top_k:
            heapq.heappush(ev.candidates, cand)
        elif cand.rank > ev.candidates[0].rank:
            heapq.heapreplace(ev.candidates, cand)
        return True
