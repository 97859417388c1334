"""Edit distance shared by the triage readers: slate labels (letters) and near-miss calls (phonemes)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

__all__ = ["levenshtein"]


def levenshtein(a: Sequence[Hashable], b: Sequence[Hashable], limit: int) -> int:
    """Levenshtein distance of two sequences (strings, phoneme tuples), stopping early once it
    exceeds ``limit``: the exact distance when it is ``<= limit``, else ``limit + 1``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        best = cur[0]
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            best = min(best, cur[j])
        if best > limit:
            return limit + 1
        prev = cur
    return prev[-1]
