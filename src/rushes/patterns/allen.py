"""Allen's interval algebra on :class:`~rushes.intervals.Intervals`, vectorised.

Any two intervals ``a`` and ``b`` stand in exactly one of Allen's 13 relations (James Allen,
1983). Codes are ordered so that ``inverse(code) == 12 - code``:

====  ==============  ======  ===========================================
code  name            symbol  definition (``a`` vs ``b``)
====  ==============  ======  ===========================================
0     before          <       ``a.end < b.start``
1     meets           m       ``a.end == b.start``
2     overlaps        o       ``a.start < b.start < a.end < b.end``
3     starts          s       ``a.start == b.start``, ``a.end < b.end``
4     during          d       ``a.start > b.start``, ``a.end < b.end``
5     finishes        f       ``a.start > b.start``, ``a.end == b.end``
6     equals          =       ``a.start == b.start``, ``a.end == b.end``
7     finished_by     fi      inverse of finishes
8     contains        di      inverse of during
9     started_by      si      inverse of starts
10    overlapped_by   oi      inverse of overlaps
11    met_by          mi      inverse of meets
12    after           >       inverse of before
====  ==============  ======  ===========================================

**Decision procedure.** With a tolerance ``t`` two endpoints are "equal" when they are at most
``t`` apart (``t = 0``: exactly equal). Let ``S``, ``E``, ``M1``, ``M2`` be the tolerant
comparisons of ``(a.start, b.start)``, ``(a.end, b.end)``, ``(a.end, b.start)`` and
``(a.start, b.end)``. The relation is the first rule that applies:

1. ``S == 0``: equals (``E == 0``), starts (``E < 0``) or started_by (``E > 0``);
2. ``E == 0``: finishes (``S > 0``) or finished_by (``S < 0``);
3. ``M1 <= 0``: before (``<``) or meets (``==``);  ``M2 >= 0``: after (``>``) or met_by;
4. otherwise by the signs of ``S`` and ``E``: overlaps (−,−), contains (−,+), during (+,−),
   overlapped_by (+,+).

For proper intervals (``start < end``) and ``t = 0`` this is exactly Allen's table. The procedure
classifies *every* pair, so the relations stay a partition (exactly one holds) and
``relation(b, a) == inverse(relation(a, b))`` for any tolerance.

**Instants** (``start == end``) follow the point–interval convention: an instant at an
interval's start *starts* it, one at its end *finishes* it, one strictly inside is *during* it,
two coinciding instants are *equal*, and otherwise an instant is before/after (an instant never
*meets* anything with ``t = 0``).

**Joins.** :func:`allen_join` finds all index pairs in a relation without an ``O(n·m)`` loop:
every relation except before/after confines the partner's start or end to a window around one
endpoint of the driving interval, so one sort and two ``searchsorted`` calls list the candidates
and the decision procedure filters them. *before*/*after* are quadratic in their output (every
later interval qualifies); give them ``max_distance`` (``BEFORE 5s``: ``b`` starts at most 5 s
after ``a`` ends), or use :func:`allen_semijoin`, which answers "is there any" in linear time.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from rushes.errors import QueryError
from rushes.intervals import Intervals, common_time_base
from rushes.patterns._layout import BlockLayout
from rushes.patterns._units import as_seconds, floor_ticks

__all__ = [
    "CROSSING",
    "DEFAULT_MAX_PAIRS",
    "IN_RELATIONS",
    "RELATIONS",
    "SYMBOLS",
    "allen_join",
    "allen_semijoin",
    "classify_pairs",
    "compose",
    "composition_table",
    "inverse",
    "normalize_relation",
    "relation_code",
    "relation_of",
]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
CodeArray = npt.NDArray[np.int8]

#: The 13 relation names, indexed by code.
RELATIONS: tuple[str, ...] = (
    "before", "meets", "overlaps", "starts", "during", "finishes", "equals",
    "finished_by", "contains", "started_by", "overlapped_by", "met_by", "after",
)
#: Allen's short symbols, indexed by code.
SYMBOLS: tuple[str, ...] = ("<", "m", "o", "s", "d", "f", "=", "fi", "di", "si", "oi", "mi", ">")

(BEFORE, MEETS, OVERLAPS, STARTS, DURING, FINISHES, EQUALS,
 FINISHED_BY, CONTAINS, STARTED_BY, OVERLAPPED_BY, MET_BY, AFTER) = range(13)

#: Relations in which the two intervals share some time (the seed's "crossing" bucket).
CROSSING: frozenset[str] = frozenset(
    {"overlaps", "starts", "finishes", "during", "equals", "contains", "started_by", "finished_by",
     "overlapped_by"}
)
#: The seed's "in" bucket: d, di and =.
IN_RELATIONS: frozenset[str] = frozenset({"during", "contains", "equals"})

#: Default cap on candidate pairs a join may materialise (about 0.8 GB of index arrays).
DEFAULT_MAX_PAIRS = 50_000_000

_ALIASES: dict[str, str] = {
    **{name: name for name in RELATIONS},
    **{sym: name for sym, name in zip(SYMBOLS, RELATIONS, strict=True)},
    "b": "before", "precedes": "before", "preceded_by": "after", "a": "after", "bi": "after",
    "overlapped by": "overlapped_by", "met by": "met_by", "started by": "started_by",
    "finished by": "finished_by", "equal": "equals", "eq": "equals", "e": "equals",
    "overlappedby": "overlapped_by", "metby": "met_by", "startedby": "started_by",
    "finishedby": "finished_by", "contained_by": "during", "inside": "during",
}


def normalize_relation(name: str) -> str:
    """Canonical relation name for a name, symbol or alias (case-insensitive).

    >>> normalize_relation("Overlapped By"), normalize_relation("di")
    ('overlapped_by', 'contains')
    """
    key = " ".join(str(name).strip().split())
    found = _ALIASES.get(key) or _ALIASES.get(key.lower()) or _ALIASES.get(key.lower().replace("-", "_"))
    if found is None:
        raise QueryError(f"unknown Allen relation {name!r}; expected one of {', '.join(RELATIONS)}")
    return found


def relation_code(name: str) -> int:
    """Code (0–12) of a relation name, symbol or alias."""
    return RELATIONS.index(normalize_relation(name))


def inverse(name: str) -> str:
    """The converse relation: ``r(a, b)`` holds exactly when ``inverse(r)(b, a)`` does."""
    return RELATIONS[12 - relation_code(name)]


# -- classification ----------------------------------------------------------------------------


def _scalar_cmp(x: Fraction | float | int, y: Fraction | float | int, tol: Fraction | float | int) -> int:
    d = x - y
    return 1 if d > tol else (-1 if d < -tol else 0)


def relation_of(
    a_start: Fraction | float | int,
    a_end: Fraction | float | int,
    b_start: Fraction | float | int,
    b_end: Fraction | float | int,
    tolerance: Fraction | float | int = 0,
) -> str:
    """The Allen relation of ``a`` to ``b`` (any numbers in one unit; see the module docs).

    >>> relation_of(0, 5, 5, 9), relation_of(0, 5, 5.2, 9, tolerance=0.5)
    ('meets', 'meets')
    >>> relation_of(2, 3, 0, 10), relation_of(0, 10, 0, 10)
    ('during', 'equals')
    """
    if a_end < a_start or b_end < b_start:
        raise ValueError("an interval ends before it starts")
    if tolerance < 0:
        raise QueryError(f"tolerance must be >= 0, got {tolerance!r}")
    s = _scalar_cmp(a_start, b_start, tolerance)
    e = _scalar_cmp(a_end, b_end, tolerance)
    if s == 0:
        return RELATIONS[EQUALS if e == 0 else (STARTS if e < 0 else STARTED_BY)]
    if e == 0:
        return RELATIONS[FINISHES if s > 0 else FINISHED_BY]
    m1 = _scalar_cmp(a_end, b_start, tolerance)
    if m1 <= 0:
        return RELATIONS[BEFORE if m1 < 0 else MEETS]
    m2 = _scalar_cmp(a_start, b_end, tolerance)
    if m2 >= 0:
        return RELATIONS[AFTER if m2 > 0 else MET_BY]
    if s < 0:
        return RELATIONS[OVERLAPS if e < 0 else CONTAINS]
    return RELATIONS[DURING if e < 0 else OVERLAPPED_BY]


def _vcmp(x: npt.NDArray[Any], y: npt.NDArray[Any], tol: float | int) -> CodeArray:
    d = x - y
    return np.asarray((d > tol).astype(np.int8) - (d < -tol).astype(np.int8), dtype=np.int8)


def classify_pairs(
    a_start: npt.ArrayLike,
    a_end: npt.ArrayLike,
    b_start: npt.ArrayLike,
    b_end: npt.ArrayLike,
    tolerance: float | int = 0,
) -> CodeArray:
    """Relation code (index into :data:`RELATIONS`) of each aligned pair ``(a[k], b[k])``.

    The arrays broadcast against each other; use ticks (ints) for exact results.

    >>> [RELATIONS[c] for c in classify_pairs([0, 2], [5, 3], [5, 0], [9, 10])]
    ['meets', 'during']
    """
    if tolerance < 0:
        raise QueryError(f"tolerance must be >= 0, got {tolerance!r}")
    a_s, a_e, b_s, b_e = np.broadcast_arrays(
        np.asarray(a_start), np.asarray(a_end), np.asarray(b_start), np.asarray(b_end)
    )
    s = _vcmp(a_s, b_s, tolerance)
    e = _vcmp(a_e, b_e, tolerance)
    m1 = _vcmp(a_e, b_s, tolerance)
    m2 = _vcmp(a_s, b_e, tolerance)
    code = np.where(
        s < 0, np.where(e < 0, OVERLAPS, CONTAINS), np.where(e < 0, DURING, OVERLAPPED_BY)
    )
    code = np.where(m2 >= 0, np.where(m2 == 0, MET_BY, AFTER), code)
    code = np.where(m1 <= 0, np.where(m1 == 0, MEETS, BEFORE), code)
    code = np.where(e == 0, np.where(s > 0, FINISHES, FINISHED_BY), code)
    code = np.where(s == 0, np.where(e == 0, EQUALS, np.where(e < 0, STARTS, STARTED_BY)), code)
    return np.asarray(code, dtype=np.int8)


# -- composition --------------------------------------------------------------------------------


@functools.cache
def composition_table() -> dict[tuple[str, str], frozenset[str]]:
    """Allen's composition table, derived by enumerating interval configurations.

    Every ordering of the six endpoints of three proper intervals occurs with endpoints in
    ``0..5``, so enumerating those triples yields each possible ``(r(a,b), r(b,c)) → r(a,c)``.
    """
    spans = [(s, e) for s in range(6) for e in range(s + 1, 6)]
    arr = np.array(spans, dtype=np.int64)
    n = len(arr)
    ia, ib, ic = (g.reshape(-1) for g in np.meshgrid(np.arange(n), np.arange(n), np.arange(n), indexing="ij"))
    r_ab = classify_pairs(arr[ia, 0], arr[ia, 1], arr[ib, 0], arr[ib, 1])
    r_bc = classify_pairs(arr[ib, 0], arr[ib, 1], arr[ic, 0], arr[ic, 1])
    r_ac = classify_pairs(arr[ia, 0], arr[ia, 1], arr[ic, 0], arr[ic, 1])
    keys = np.unique(np.stack([r_ab, r_bc, r_ac], axis=1).astype(np.int64), axis=0)
    table: dict[tuple[str, str], set[str]] = {
        (x, y): set() for x, y in itertools.product(RELATIONS, RELATIONS)
    }
    for x, y, z in keys.tolist():
        table[(RELATIONS[x], RELATIONS[y])].add(RELATIONS[z])
    return {k: frozenset(v) for k, v in table.items()}


def compose(r1: str, r2: str) -> set[str]:
    """Relations possible between ``a`` and ``c`` when ``r1(a, b)`` and ``r2(b, c)`` hold.

    Useful to prune queries: ``X BEFORE Y`` and ``Y MEETS Z`` imply ``X BEFORE Z``.

    >>> sorted(compose("before", "meets")), sorted(compose("overlaps", "overlaps"))
    (['before'], ['before', 'meets', 'overlaps'])
    """
    return set(composition_table()[(normalize_relation(r1), normalize_relation(r2))])


# -- joins ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Aligned:
    """Both sides of a join in one time base, shifted onto one axis (a block per media)."""

    time_base: Fraction
    a_start: IntArray
    a_end: IntArray
    b_start: IntArray
    b_end: IntArray
    a_rank: IntArray
    b_rank: IntArray
    layout: BlockLayout

    @property
    def span(self) -> int:
        """Length of the whole axis in ticks (larger than any same-media distance)."""
        return int(self.layout.hi[-1] - self.layout.lo[0]) + 1


def _align(a: Intervals, b: Intervals, same_media: bool) -> _Aligned:
    tb = common_time_base(a.time_base, b.time_base)
    ra, rb = a.rebase(tb), b.rebase(tb)
    ma = ra.media if same_media else np.zeros(len(ra), dtype=np.int64)
    mb = rb.media if same_media else np.zeros(len(rb), dtype=np.int64)
    layout = BlockLayout.build([ma, mb], [ra.start, rb.start], [ra.end, rb.end])
    rank_a, rank_b = layout.ranks(ma), layout.ranks(mb)
    return _Aligned(tb, layout.shift(rank_a, ra.start), layout.shift(rank_a, ra.end),
                    layout.shift(rank_b, rb.start), layout.shift(rank_b, rb.end), rank_a, rank_b, layout)


def _window_pairs(
    anchor: IntArray,
    window: Callable[[IntArray], tuple[IntArray, IntArray]],
    keys: IntArray,
    max_pairs: int | None,
    what: str,
) -> tuple[IntArray, IntArray]:
    """All ``(driver, target)`` index pairs with ``lo <= keys[target] <= hi``.

    ``window(order)`` gives the inclusive bounds ``(lo, hi)`` of the drivers listed in ``order``;
    drivers are visited in ``anchor`` order so that the binary searches run over sorted queries.
    """
    d_order = np.argsort(anchor)
    t_order = np.argsort(keys)
    sorted_keys = keys[t_order]
    lo, hi = window(d_order)
    first = np.searchsorted(sorted_keys, lo, side="left")
    last = np.searchsorted(sorted_keys, hi, side="right")
    counts = np.maximum(last - first, 0)
    total = int(counts.sum())
    if max_pairs is not None and total > max_pairs:
        raise QueryError(
            f"{what} would examine {total:,} candidate pairs (limit {max_pairs:,}); "
            "give a max_distance (e.g. BEFORE 5s) or narrow the tracks"
        )
    driver = np.repeat(d_order, counts)
    run_start = np.cumsum(counts) - counts
    pos = np.arange(total, dtype=np.int64) + np.repeat(first - run_start, counts)
    return driver, t_order[pos]


def allen_join(
    a: Intervals,
    b: Intervals,
    relation: str,
    tolerance: Fraction | float = 0,
    max_distance: Fraction | float | None = None,
    same_media: bool = True,
    max_pairs: int | None = DEFAULT_MAX_PAIRS,
) -> tuple[IntArray, IntArray]:
    """Index pairs ``(i, j)`` such that ``relation(a[i], b[j])`` holds, sorted by ``(i, j)``.

    ``tolerance`` (seconds): endpoints at most this far apart count as equal ("almost meets").
    ``max_distance`` (seconds) bounds the gap of *before*/*after* (``b`` starts within
    ``max_distance`` after ``a`` ends, resp. ``a`` starts within it after ``b`` ends); relations
    that share time have no gap and ignore it. Without it, before/after list every later
    interval, i.e. quadratic output — ``max_pairs`` then stops the join with a
    :class:`~rushes.errors.QueryError` instead of exhausting memory.
    ``same_media`` (default) pairs only rows of the same media.

    >>> x = Intervals.from_seconds([0, 10], [4, 12], "x")
    >>> y = Intervals.from_seconds([5, 0], [6, 20], "y")
    >>> [v.tolist() for v in allen_join(x, y, "before", max_distance=5)]
    [[0], [0]]
    >>> [v.tolist() for v in allen_join(x, y, "during")]
    [[1], [1]]
    """
    return _join(a, b, relation, tolerance, max_distance, same_media, max_pairs, sort=True)


def _join(
    a: Intervals,
    b: Intervals,
    relation: str,
    tolerance: Fraction | float,
    max_distance: Fraction | float | None,
    same_media: bool,
    max_pairs: int | None,
    sort: bool,
) -> tuple[IntArray, IntArray]:
    """:func:`allen_join`; ``sort=False`` skips ordering the pairs (for semi-joins)."""
    code = relation_code(relation)
    tol = as_seconds(tolerance, "tolerance")
    dist = None if max_distance is None else as_seconds(max_distance, "max_distance")
    if len(a) == 0 or len(b) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    al = _align(a, b, same_media)
    span = al.span
    t = min(floor_ticks(tol, al.time_base), span)  # beyond the span every comparison is "equal"
    d = span if dist is None else min(floor_ticks(dist, al.time_base), span)
    a_s, a_e, b_s, b_e = al.a_start, al.a_end, al.b_start, al.b_end
    a_lo, a_hi = al.layout.lo[al.a_rank], al.layout.hi[al.a_rank]
    what = f"{RELATIONS[code]} join"

    def around(anchor: IntArray) -> Callable[[IntArray], tuple[IntArray, IntArray]]:
        return lambda o: (np.maximum(anchor[o] - t, a_lo[o]), np.minimum(anchor[o] + t, a_hi[o]))

    def inside(start: IntArray, end: IntArray) -> Callable[[IntArray], tuple[IntArray, IntArray]]:
        return lambda o: (start[o] + t + 1, end[o] - t - 1)

    # Each window is a necessary condition; the residual test below makes it exact
    # (derivations in the module docstring's decision procedure).
    if code in (EQUALS, STARTS, STARTED_BY):
        ia, jb = _window_pairs(a_s, around(a_s), b_s, max_pairs, what)
    elif code in (FINISHES, FINISHED_BY):
        ia, jb = _window_pairs(a_e, around(a_e), b_e, max_pairs, what)
    elif code == MEETS:
        ia, jb = _window_pairs(a_e, around(a_e), b_s, max_pairs, what)
    elif code == MET_BY:
        ia, jb = _window_pairs(a_s, around(a_s), b_e, max_pairs, what)
    elif code in (OVERLAPS, CONTAINS):  # b starts strictly inside a
        ia, jb = _window_pairs(a_s, inside(a_s, a_e), b_s, max_pairs, what)
    elif code in (DURING, OVERLAPPED_BY):  # a starts strictly inside b
        jb, ia = _window_pairs(b_s, inside(b_s, b_e), a_s, max_pairs, what)
    elif code == BEFORE:
        ia, jb = _window_pairs(
            a_e, lambda o: (np.minimum(a_e[o] + t + 1, a_hi[o] + 1), np.minimum(a_e[o] + d, a_hi[o])),
            b_s, max_pairs, what)
    else:  # AFTER
        ia, jb = _window_pairs(
            a_s, lambda o: (np.maximum(a_s[o] - d, a_lo[o]), np.maximum(a_s[o] - t - 1, a_lo[o] - 1)),
            b_e, max_pairs, what)
    if len(ia):
        keep = _residual(code, a_s[ia], a_e[ia], b_s[jb], b_e[jb], t)
        if keep is not None:
            ia, jb = ia[keep], jb[keep]
    if sort and len(ia) > 1:
        key = np.sort(ia * np.int64(len(b)) + jb)
        ia, jb = key // len(b), key % len(b)
    return ia.astype(np.int64, copy=False), jb.astype(np.int64, copy=False)


def _residual(
    code: int, a_s: IntArray, a_e: IntArray, b_s: IntArray, b_e: IntArray, t: int
) -> BoolArray | None:
    """What a candidate from :func:`allen_join`'s window must still satisfy (None: nothing)."""
    if code == EQUALS:
        return np.asarray(np.abs(a_e - b_e) <= t)
    if code in (STARTS, OVERLAPS, DURING):
        return np.asarray(a_e < b_e - t)
    if code in (STARTED_BY, CONTAINS, OVERLAPPED_BY):
        return np.asarray(a_e > b_e + t)
    if code == FINISHES:
        return np.asarray(a_s > b_s + t)
    if code == FINISHED_BY:
        return np.asarray(a_s < b_s - t)
    if code == MEETS:
        return np.asarray((a_s < b_s - t) & (a_e < b_e - t))
    if code == MET_BY:
        return np.asarray((a_s > b_s + t) & (a_e > b_e + t))
    return None  # before/after: the window is exact


def allen_semijoin(
    a: Intervals,
    b: Intervals,
    relation: str,
    tolerance: Fraction | float = 0,
    max_distance: Fraction | float | None = None,
    same_media: bool = True,
    max_pairs: int | None = DEFAULT_MAX_PAIRS,
) -> BoolArray:
    """Mask over ``a``: rows that stand in ``relation`` to at least one row of ``b``.

    Unbounded *before*/*after* are answered in ``O(n log n)`` from each media's last start /
    first end of ``b``; other relations reduce :func:`allen_join`.
    """
    code = relation_code(relation)
    tol = as_seconds(tolerance, "tolerance")
    mask = np.zeros(len(a), dtype=np.bool_)
    if len(a) == 0 or len(b) == 0:
        return mask
    if max_distance is None and code in (BEFORE, AFTER):
        al = _align(a, b, same_media)
        t = min(floor_ticks(tol, al.time_base), al.span)
        k = len(al.layout.media)
        if code == BEFORE:
            last_start = np.full(k, np.iinfo(np.int64).min, dtype=np.int64)
            np.maximum.at(last_start, al.b_rank, al.b_start)
            return np.asarray(al.a_end + t < last_start[al.a_rank], dtype=np.bool_)
        first_end = np.full(k, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first_end, al.b_rank, al.b_end)
        return np.asarray(al.a_start - t > first_end[al.a_rank], dtype=np.bool_)
    ia, _ = _join(a, b, relation, tolerance, max_distance, same_media, max_pairs, sort=False)
    mask[ia] = True
    return mask
