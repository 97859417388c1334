"""Evaluate query trees (:mod:`rushes.patterns.query`) against a :class:`TrackSource`.

Semantics (every value is an :class:`~rushes.intervals.Intervals` over all media):

* ``track:label`` — the matching rows of the track, as stored (labels and scores kept);
* ``X REL Y`` — the rows of ``X`` that stand in relation ``REL`` to at least one row of ``Y`` in
  the same media (a semi-join: rows of ``X`` are kept whole, never cut);
  ``WITHIN d``: the gap to some row of ``Y`` is at most ``d``; ``INTERSECTS``: any relation in
  which the two share time (the seed's "crossing" bucket);
* ``X AND Y`` — the time covered by both, ``X OR Y`` — the time covered by either,
  ``NOT X`` — the time of each media's ``[0, duration)`` not covered by ``X``. These produce
  normalised time ranges labelled with the sub-query's text. Instants (zero-length rows) carry
  no time, so they vanish under AND/NOT; OR keeps them.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

import numpy as np

from rushes.errors import QueryError
from rushes.intervals import Intervals
from rushes.patterns.allen import CROSSING, allen_semijoin
from rushes.patterns.query import And, Node, Not, Or, Relation, SelectorNode, parse_query, to_text
from rushes.patterns.sources import TrackSource
from rushes.patterns.timeset import complement, intersect, near_mask, union

__all__ = ["evaluate_query"]


class _Evaluator:
    def __init__(self, source: TrackSource, media: int | None) -> None:
        self.source = source
        self.media = media
        self._durations: dict[int, Fraction] | None = None
        self._cache: dict[tuple[str, str], Intervals] = {}

    def durations(self) -> Mapping[int, Fraction]:
        if self._durations is None:
            all_durations = self.source.durations()
            self._durations = all_durations if self.media is None else {
                k: v for k, v in all_durations.items() if k == self.media
            }
        return self._durations

    def leaf(self, node: SelectorNode) -> Intervals:
        key = (node.selector.track, node.selector.glob)
        if key not in self._cache:
            rows = self.source.get(*key)
            if self.media is not None:
                rows = rows[rows.media == self.media]
            self._cache[key] = rows
        return self._cache[key]

    def run(self, node: Node) -> Intervals:
        if isinstance(node, SelectorNode):
            return self.leaf(node)
        if isinstance(node, Relation):
            return self.relation(node)
        label = to_text(node)
        if isinstance(node, And):
            return intersect(self.run(node.left), self.run(node.right), label=label)
        if isinstance(node, Or):
            return union(Intervals.concat([self.run(node.left), self.run(node.right)]), label=label)
        if isinstance(node, Not):
            inner = self.run(node.operand)
            media = set(self.durations()) | {int(m) for m in np.unique(inner.media)}
            return complement(inner, self.durations(), media, label=label)
        raise QueryError(f"not a query node: {node!r}")

    def relation(self, node: Relation) -> Intervals:
        left, right = self.run(node.left), self.run(node.right)
        if node.relation == "within":
            mask = near_mask(left, right, node.distance or Fraction(0))
        elif node.relation == "intersects":
            mask = np.zeros(len(left), dtype=np.bool_)
            for rel in sorted(CROSSING):
                mask |= allen_semijoin(left, right, rel, node.tolerance)
        else:
            mask = allen_semijoin(left, right, node.relation, node.tolerance, node.distance)
        return left if bool(np.all(mask)) else left[mask]


def evaluate_query(query: str | Node, source: TrackSource, media: int | None = None) -> Intervals:
    """Evaluate a query (text or tree) over ``source``; ``media`` limits it to one media.

    >>> from rushes.patterns.sources import DictTrackSource
    >>> src = DictTrackSource({
    ...     "tag": Intervals.from_seconds([1, 20], [3, 25], "person"),
    ...     "takes": Intervals.from_seconds([0], [10], "take 1"),
    ... })
    >>> evaluate_query("tag:person DURING takes:*", src).to_records()[0]["start"]
    1.0
    """
    tree = parse_query(query) if isinstance(query, str) else query
    return _Evaluator(source, media).run(tree)
