"""Fuzzy-logic building blocks: membership functions, t-norms and t-conorms.

A membership function maps a number (a tag's confidence, or its duration in seconds) to a
degree in ``[0, 1]``. Shapes:

* ``trapezoid`` ``points = [a, b, c, d]``: 0 up to ``a``, rising to 1 at ``b``, 1 until ``c``,
  falling to 0 at ``d`` (``a == b`` or ``c == d`` give vertical edges, with ``[b, c]`` included:
  ``[0, 0, 1, 1]`` is the crisp interval ``[0, 1]``);
* ``triangle`` ``points = [a, b, c]``: a trapezoid with ``b == c``;
* ``rising`` ``points = [a, b]``: 0 up to ``a``, 1 from ``b`` on; ``falling``: the mirror image;
* ``sigmoid`` ``center``, ``slope``: ``1 / (1 + exp(-slope · (x - center)))`` (negative slope
  falls);
* ``constant`` ``value``; ``identity``: ``x`` clipped to ``[0, 1]`` (the default for
  confidences).

T-norms combine with AND (``min``, ``product``), t-conorms with OR (``max``, ``probsum``:
``a + b - a·b``).

>>> mf = Membership("trapezoid", points=(0.0, 1.0, 5.0, 10.0))
>>> mf(np.array([0.5, 3.0, 7.5, 12.0])).tolist()
[0.5, 1.0, 0.5, 0.0]
>>> tconorm("probsum", np.array([0.5]), np.array([0.5])).tolist()
[0.75]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from rushes.errors import QueryError

__all__ = ["SHAPES", "TCONORMS", "TNORMS", "Membership", "membership_from_config", "tconorm", "tnorm"]

FloatArray = npt.NDArray[np.float64]

SHAPES = ("trapezoid", "triangle", "rising", "falling", "sigmoid", "constant", "identity")
TNORMS = ("min", "product")
TCONORMS = ("max", "probsum")

_POINTS = {"trapezoid": 4, "triangle": 3, "rising": 2, "falling": 2}


@dataclass(frozen=True)
class Membership:
    """A membership function (see the module documentation for the shapes)."""

    shape: str
    points: tuple[float, ...] = ()
    center: float = 0.0
    slope: float = 1.0
    value: float = 1.0

    def __post_init__(self) -> None:
        if self.shape not in SHAPES:
            raise QueryError(f"unknown membership shape {self.shape!r}; expected one of {', '.join(SHAPES)}")
        need = _POINTS.get(self.shape)
        if need is not None:
            if len(self.points) != need:
                raise QueryError(f"{self.shape} membership needs {need} points, got {len(self.points)}")
            if any(b < a for a, b in zip(self.points, self.points[1:], strict=False)):
                raise QueryError(f"{self.shape} membership points must not decrease, got {list(self.points)}")
        if self.shape == "constant" and not 0.0 <= self.value <= 1.0:
            raise QueryError(f"constant membership value must be within [0, 1], got {self.value}")

    def __call__(self, x: npt.ArrayLike) -> FloatArray:
        """Degrees of membership of ``x`` (vectorised)."""
        v = np.asarray(x, dtype=np.float64)
        if self.shape == "identity":
            return np.clip(v, 0.0, 1.0)
        if self.shape == "constant":
            return np.full(v.shape, self.value)
        if self.shape == "sigmoid":
            z = np.clip(-self.slope * (v - self.center), -700.0, 700.0)
            return np.asarray(1.0 / (1.0 + np.exp(z)), dtype=np.float64)
        p = self.points
        if self.shape == "rising":
            return _ramp(v, p[0], p[1])
        if self.shape == "falling":
            return _fall(v, p[0], p[1])
        a, b, c, d = (p[0], p[1], p[1], p[2]) if self.shape == "triangle" else p
        return np.minimum(_ramp(v, a, b), _fall(v, c, d))


def _ramp(v: FloatArray, lo: float, hi: float) -> FloatArray:
    """0 below ``lo``, 1 from ``hi`` on, linear between (a step up at ``lo`` when ``lo == hi``)."""
    if hi == lo:
        return np.asarray(v >= lo, dtype=np.float64)
    return np.clip((v - lo) / (hi - lo), 0.0, 1.0)


def _fall(v: FloatArray, lo: float, hi: float) -> FloatArray:
    """1 up to ``lo``, 0 above ``hi``, linear between (a step down after ``hi`` when ``lo == hi``)."""
    if hi == lo:
        return np.asarray(v <= hi, dtype=np.float64)
    return np.clip((hi - v) / (hi - lo), 0.0, 1.0)


def tnorm(kind: str, a: FloatArray, b: FloatArray) -> FloatArray:
    """Fuzzy AND of two membership arrays."""
    if kind == "min":
        return np.minimum(a, b)
    if kind == "product":
        return np.asarray(a * b, dtype=np.float64)
    raise QueryError(f"unknown t-norm {kind!r}; expected one of {', '.join(TNORMS)}")


def tconorm(kind: str, a: FloatArray, b: FloatArray) -> FloatArray:
    """Fuzzy OR of two membership arrays."""
    if kind == "max":
        return np.maximum(a, b)
    if kind == "probsum":
        return np.asarray(a + b - a * b, dtype=np.float64)
    raise QueryError(f"unknown t-conorm {kind!r}; expected one of {', '.join(TCONORMS)}")


def membership_from_config(config: Mapping[str, Any], where: str) -> Membership:
    """Build a :class:`Membership` from a TOML table; errors name ``where`` (e.g. ``tag[2].duration``)."""
    if not isinstance(config, Mapping):
        raise QueryError(f"{where}: expected a table like {{ shape = \"sigmoid\", center = 0.5, slope = 10 }}")
    allowed = {"shape", "points", "center", "slope", "value"}
    unknown = sorted(set(config) - allowed)
    if unknown:
        raise QueryError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")
    shape = config.get("shape")
    if not isinstance(shape, str):
        raise QueryError(f"{where}.shape: expected one of {', '.join(SHAPES)}")
    points = config.get("points", [])
    if not isinstance(points, list) or not all(_is_number(p) for p in points):
        raise QueryError(f"{where}.points: expected a list of numbers")
    numbers: dict[str, float] = {}
    for key in ("center", "slope", "value"):
        if key in config:
            if not _is_number(config[key]):
                raise QueryError(f"{where}.{key}: expected a number, got {config[key]!r}")
            numbers[key] = float(config[key])
    try:
        return Membership(shape, tuple(float(p) for p in points), **numbers)
    except QueryError as exc:
        raise QueryError(f"{where}: {exc}") from None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and bool(np.isfinite(value))
