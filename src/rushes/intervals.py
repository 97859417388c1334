"""``Intervals``: the one columnar type for everything that happens over time.

Shots, tags, transcript words, slates, set commands and takes are all rows of
``(media, start, end, label, score)`` plus free columns in ``data``. Times are integer ticks of
an exact ``time_base`` (seconds per tick, a :class:`~fractions.Fraction`), so frame-exact
boundaries stay exact; ``start_seconds``/``end_seconds`` give floats for the edges.

The catalog's ``intervals`` table mirrors this type one to one (see :mod:`rushes.catalog`).

>>> iv = Intervals.from_seconds([0.0, 2.5], [1.0, 4.0], ["slate", "take"])
>>> len(iv), iv.labels()
(2, ['slate', 'take'])
>>> iv[iv.label == "take"].start_seconds.tolist()
[2.5]
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["DEFAULT_TIME_BASE", "Interval", "Intervals", "common_time_base"]

#: Time base used when intervals are built from float seconds (1 µs ticks).
DEFAULT_TIME_BASE = Fraction(1, 1_000_000)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
ObjArray = npt.NDArray[np.object_]


def common_time_base(a: Fraction, b: Fraction) -> Fraction:
    """The coarsest time base in which ticks of both ``a`` and ``b`` are whole numbers."""
    if a == b:
        return a
    num = math.gcd(a.numerator, b.numerator)
    den = math.lcm(a.denominator, b.denominator)
    return Fraction(num, den)


@dataclass(frozen=True, slots=True)
class Interval:
    """One row of an :class:`Intervals`, for iteration and display."""

    media: int
    start: int
    end: int
    time_base: Fraction
    label: str
    score: float
    data: Mapping[str, Any]

    @property
    def start_seconds(self) -> float:
        return float(self.start * self.time_base)

    @property
    def end_seconds(self) -> float:
        return float(self.end * self.time_base)

    @property
    def duration_seconds(self) -> float:
        return float((self.end - self.start) * self.time_base)


def _as_obj(values: Sequence[Any] | npt.NDArray[Any]) -> ObjArray:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


@dataclass
class Intervals:
    """Parallel arrays of half-open intervals ``[start, end)`` in ticks of ``time_base``.

    ``end == start`` is an instant (an event such as a clap). ``data`` holds extra per-row
    columns (numpy arrays of the same length); ``metadata`` holds per-track facts such as
    the producing analyzer and model.
    """

    start: IntArray
    end: IntArray
    label: ObjArray
    score: FloatArray
    media: IntArray
    time_base: Fraction = DEFAULT_TIME_BASE
    data: dict[str, npt.NDArray[Any]] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.start = np.asarray(self.start, dtype=np.int64).reshape(-1)
        self.end = np.asarray(self.end, dtype=np.int64).reshape(-1)
        n = len(self.start)
        self.label = _as_obj(self.label) if not (
            isinstance(self.label, np.ndarray) and self.label.dtype == object
        ) else self.label.reshape(-1)
        self.score = np.asarray(self.score, dtype=np.float64).reshape(-1)
        self.media = np.asarray(self.media, dtype=np.int64).reshape(-1)
        if not isinstance(self.time_base, Fraction):
            self.time_base = Fraction(self.time_base)
        if self.time_base <= 0:
            raise ValueError("time_base must be positive")
        for name, arr in (("end", self.end), ("label", self.label), ("score", self.score),
                          ("media", self.media)):
            if len(arr) != n:
                raise ValueError(f"Intervals column {name!r} has {len(arr)} rows, expected {n}")
        for key, col in list(self.data.items()):
            col = np.asarray(col) if not isinstance(col, np.ndarray) else col
            if len(col) != n:
                raise ValueError(f"Intervals data column {key!r} has {len(col)} rows, expected {n}")
            self.data[key] = col
        if n and bool(np.any(self.end < self.start)):
            bad = int(np.argmax(self.end < self.start))
            raise ValueError(f"interval {bad} ends before it starts ({self.start[bad]} > {self.end[bad]})")

    # -- construction -------------------------------------------------------------------
    @classmethod
    def empty(cls, time_base: Fraction = DEFAULT_TIME_BASE) -> Intervals:
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z.copy(), _as_obj([]), np.zeros(0), z.copy(), time_base)

    @classmethod
    def from_ticks(
        cls,
        start: Sequence[int] | IntArray,
        end: Sequence[int] | IntArray,
        labels: Sequence[str] | str,
        time_base: Fraction,
        score: Sequence[float] | float | None = None,
        media: Sequence[int] | int = 0,
        data: Mapping[str, Sequence[Any] | npt.NDArray[Any]] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Intervals:
        s = np.asarray(start, dtype=np.int64).reshape(-1)
        n = len(s)
        lab = _as_obj([labels] * n) if isinstance(labels, str) else _as_obj(list(labels))
        sc = np.full(n, 1.0) if score is None else (
            np.full(n, float(score)) if isinstance(score, int | float) else np.asarray(score, float)
        )
        md = np.full(n, media, dtype=np.int64) if isinstance(media, int) else np.asarray(media, np.int64)
        cols = {k: np.asarray(v) if not isinstance(v, list) else _maybe_obj(v) for k, v in (data or {}).items()}
        return cls(s, np.asarray(end, dtype=np.int64), lab, sc, md, time_base, cols, dict(metadata or {}))

    @classmethod
    def from_seconds(
        cls,
        start: Sequence[float | Fraction] | FloatArray,
        end: Sequence[float | Fraction] | FloatArray,
        labels: Sequence[str] | str,
        score: Sequence[float] | float | None = None,
        media: Sequence[int] | int = 0,
        time_base: Fraction = DEFAULT_TIME_BASE,
        data: Mapping[str, Sequence[Any] | npt.NDArray[Any]] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Intervals:
        """Build from seconds; floats are rounded to the nearest tick of ``time_base``."""
        return cls.from_ticks(
            _seconds_to_ticks(start, time_base),
            _seconds_to_ticks(end, time_base),
            labels, time_base, score, media, data, metadata,
        )

    # -- basic protocol -----------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.start)

    def __getitem__(self, index: int | slice | npt.NDArray[Any] | list[int]) -> Intervals:
        if isinstance(index, int | np.integer):
            index = [int(index)]
        return Intervals(
            self.start[index], self.end[index], self.label[index], self.score[index],
            self.media[index], self.time_base, {k: v[index] for k, v in self.data.items()},
            dict(self.metadata),
        )

    def __iter__(self) -> Iterator[Interval]:
        for i in range(len(self)):
            yield self.row(i)

    def row(self, i: int) -> Interval:
        return Interval(
            int(self.media[i]), int(self.start[i]), int(self.end[i]), self.time_base,
            str(self.label[i]), float(self.score[i]),
            {k: _py(v[i]) for k, v in self.data.items()},
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Intervals):
            return NotImplemented
        if len(self) != len(other):
            return False
        tb = common_time_base(self.time_base, other.time_base)
        a, b = self.rebase(tb), other.rebase(tb)
        return bool(
            np.array_equal(a.start, b.start) and np.array_equal(a.end, b.end)
            and np.array_equal(a.label, b.label) and np.allclose(a.score, b.score)
            and np.array_equal(a.media, b.media)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Intervals(n={len(self)}, time_base={self.time_base}, labels={sorted(set(self.labels()))[:8]})"

    # -- views ----------------------------------------------------------------------------
    @property
    def start_seconds(self) -> FloatArray:
        return self.start.astype(np.float64) * float(self.time_base)

    @property
    def end_seconds(self) -> FloatArray:
        return self.end.astype(np.float64) * float(self.time_base)

    @property
    def duration_seconds(self) -> FloatArray:
        return (self.end - self.start).astype(np.float64) * float(self.time_base)

    def labels(self) -> list[str]:
        return [str(x) for x in self.label]

    # -- transforms -----------------------------------------------------------------------
    def rebase(self, time_base: Fraction) -> Intervals:
        """Express in another time base; exact when ``time_base`` divides the current one."""
        if time_base == self.time_base:
            return self
        ratio = self.time_base / time_base
        if ratio.denominator == 1:
            f = ratio.numerator
            s, e = self.start * f, self.end * f
        else:
            s = _scale_round(self.start, ratio)
            e = _scale_round(self.end, ratio)
        return Intervals(s, e, self.label, self.score, self.media, time_base, dict(self.data),
                         dict(self.metadata))

    def sorted(self) -> Intervals:
        """Order by (media, start, end)."""
        order = np.lexsort((self.end, self.start, self.media))
        return self[order]

    def with_media(self, media: int) -> Intervals:
        out = self[np.arange(len(self))]
        out.media = np.full(len(self), media, dtype=np.int64)
        return out

    @staticmethod
    def concat(parts: Sequence[Intervals]) -> Intervals:
        """Concatenate, rebasing to a common time base; data columns missing in a part are None."""
        parts = [p for p in parts if p is not None]
        if not parts:
            return Intervals.empty()
        tb = parts[0].time_base
        for p in parts[1:]:
            tb = common_time_base(tb, p.time_base)
        rb = [p.rebase(tb) for p in parts]
        keys: list[str] = []
        for p in rb:
            keys.extend(k for k in p.data if k not in keys)
        data: dict[str, npt.NDArray[Any]] = {}
        for k in keys:
            cols = [p.data[k] if k in p.data else np.full(len(p), None, dtype=object) for p in rb]
            data[k] = np.concatenate(cols) if cols else np.zeros(0)
        meta: dict[str, Any] = {}
        for p in rb:
            meta.update(p.metadata)
        return Intervals(
            np.concatenate([p.start for p in rb]), np.concatenate([p.end for p in rb]),
            np.concatenate([p.label for p in rb]), np.concatenate([p.score for p in rb]),
            np.concatenate([p.media for p in rb]), tb, data, meta,
        )

    def merge_overlapping(self, gap: Fraction | float = 0, by_label: bool = True) -> Intervals:
        """Union intervals (per media and label) that overlap or are at most ``gap`` seconds apart.

        The merged score is the maximum of the merged rows; data columns keep the first row's value.
        """
        if len(self) == 0:
            return self
        gap_ticks = int(round(Fraction(gap) / self.time_base)) if not isinstance(gap, float) else int(
            round(gap / float(self.time_base))
        )
        keys = self.label if by_label else np.full(len(self), "", dtype=object)
        out_idx: list[int] = []
        out_end: list[int] = []
        out_score: list[float] = []
        key_codes = {k: i for i, k in enumerate(sorted({str(k) for k in keys}))}
        kc = np.array([key_codes[str(k)] for k in keys], dtype=np.int64)
        order = np.lexsort((self.end, self.start, kc, self.media))
        cur = -1
        for i in order:
            if cur >= 0 and self.media[i] == self.media[cur] and kc[i] == kc[cur] and (
                self.start[i] <= out_end[-1] + gap_ticks
            ):
                out_end[-1] = max(out_end[-1], int(self.end[i]))
                out_score[-1] = max(out_score[-1], float(self.score[i]))
                continue
            cur = int(i)
            out_idx.append(cur)
            out_end.append(int(self.end[i]))
            out_score.append(float(self.score[i]))
        res = self[np.asarray(out_idx, dtype=np.int64)]
        res.end = np.asarray(out_end, dtype=np.int64)
        res.score = np.asarray(out_score, dtype=np.float64)
        return res

    def total_seconds(self) -> float:
        """Length of the union of all intervals (per media, ignoring labels), in seconds."""
        if len(self) == 0:
            return 0.0
        merged = self.merge_overlapping(by_label=False)
        return float(np.sum(merged.end - merged.start) * self.time_base)

    def to_records(self) -> list[dict[str, Any]]:
        """JSON-ready rows with float seconds."""
        rows = []
        for r in self:
            rows.append({
                "media": r.media, "label": r.label, "start": r.start_seconds, "end": r.end_seconds,
                "score": r.score, **({"data": dict(r.data)} if r.data else {}),
            })
        return rows


def _maybe_obj(values: list[Any]) -> npt.NDArray[Any]:
    if all(isinstance(v, int | float | bool | np.number) for v in values):
        return np.asarray(values)
    return _as_obj(values)


def _py(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _seconds_to_ticks(values: Sequence[float | Fraction] | FloatArray, time_base: Fraction) -> IntArray:
    arr = list(values) if not isinstance(values, np.ndarray) else values
    if isinstance(arr, np.ndarray) and arr.dtype.kind == "f":
        ticks: IntArray = np.rint(arr / float(time_base)).astype(np.int64)
        return ticks
    out = np.empty(len(arr), dtype=np.int64)
    for i, v in enumerate(arr):
        out[i] = round(Fraction(v) / time_base) if isinstance(v, Fraction | int) else round(
            float(v) / float(time_base)
        )
    return out


def _scale_round(ticks: IntArray, ratio: Fraction) -> IntArray:
    # exact integer rounding of ticks * p / q (half away from zero is fine for >= 0 times)
    p, q = ratio.numerator, ratio.denominator
    prod = ticks.astype(object) * p if np.max(np.abs(ticks), initial=0) > 2**62 // max(p, 1) else ticks * p
    return np.asarray((prod + q // 2) // q, dtype=np.int64)
