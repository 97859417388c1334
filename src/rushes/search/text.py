"""Typo-tolerant full-text search over interval labels (transcript words, OCR lines, slates).

The catalog keeps an FTS5 index over every interval's label. FTS5 matches whole tokens only, so a
query word that is not in the index vocabulary (read through a temporary ``fts5vocab`` table) is
replaced by the vocabulary words within a small edit distance — 1 for words of 4–7 letters, 2 for
longer ones (Damerau–Levenshtein: a swap of neighbours counts once) — and the match is scored down
accordingly. Phrases keep their word order (FTS5 phrase queries, one per spelling combination).
"""

from __future__ import annotations

import itertools
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rushes.errors import QueryError

__all__ = ["TextHit", "TextIndex", "edit_distance", "tokenize"]

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
#: score factor per edit distance of the matched spelling
_TYPO_FACTOR = {0: 1.0, 1: 0.85, 2: 0.7}
_MAX_COMBOS = 24


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens, as FTS5's unicode61 tokenizer splits them."""
    return [t.lower() for t in _TOKEN.findall(text)]


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Optimal-string-alignment distance (insert, delete, substitute, swap neighbours), capped at ``limit``."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) >= limit:
            return limit
        prev2, prev = prev, cur
    return min(prev[-1], limit)


def _max_typos(word: str) -> int:
    if len(word) >= 8:
        return 2
    if len(word) >= 4:
        return 1
    return 0


@dataclass(frozen=True)
class TextHit:
    """One interval whose label matched: where, what, and how well."""

    interval_id: int
    media_id: int
    track: str
    label: str
    start_s: float
    end_s: float
    score: float
    matched: str
    """The spelling that matched (differs from the query when a typo was corrected)."""
    typos: int


class TextIndex:
    """Typo-tolerant search over the catalog's FTS5 index (one per catalog connection)."""

    def __init__(self, catalog: Any) -> None:
        self.catalog = catalog
        self._vocab: dict[str, int] | None = None
        self._by_len: dict[int, list[str]] = {}

    def vocabulary(self) -> dict[str, int]:
        """Every indexed token and the number of rows holding it."""
        if self._vocab is None:
            db: sqlite3.Connection = self.catalog._db  # a read-only temp table on the same connection
            db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.rushes_fts_vocab"
                       " USING fts5vocab(main, interval_fts, row)")
            self._vocab = {str(r[0]): int(r[1]) for r in db.execute("SELECT term, doc FROM temp.rushes_fts_vocab")}
            self._by_len = {}
            for w in self._vocab:
                self._by_len.setdefault(len(w), []).append(w)
        return self._vocab

    def spellings(self, word: str) -> list[tuple[str, int]]:
        """Indexed spellings of ``word`` with their edit distance (exact first; at most 8)."""
        vocab = self.vocabulary()
        if word in vocab:
            return [(word, 0)]
        limit = _max_typos(word)
        if limit == 0:
            return []
        found: list[tuple[int, int, str]] = []
        for n in range(len(word) - limit, len(word) + limit + 1):
            for cand in self._by_len.get(n, ()):
                d = edit_distance(word, cand, limit + 1)
                if d <= limit:
                    found.append((d, -vocab[cand], cand))
        found.sort()
        return [(c, d) for d, _n, c in found[:8]]

    def search(self, text: str, *, tracks: Sequence[str] | None = None, phrase: bool = False,
               media: Sequence[int] | None = None, limit: int = 500) -> list[TextHit]:
        """Intervals whose label contains every word of ``text`` (in order when ``phrase``).

        ``tracks`` are exact names or GLOB patterns (``ocr*``).
        """
        words = tokenize(text)
        if not words:
            return []
        options = [self.spellings(w) for w in words]
        if any(not o for o in options):
            return []
        combos = list(itertools.islice(itertools.product(*options), _MAX_COMBOS))
        hits: dict[int, TextHit] = {}
        for combo in combos:
            typos = sum(d for _w, d in combo)
            spelled = [w for w, _d in combo]
            match = '"' + " ".join(spelled) + '"' if phrase else " AND ".join(f'"{w}"' for w in spelled)
            for row in self._rows(match, tracks, media, limit):
                factor = _TYPO_FACTOR.get(min(typos, 2), 0.6) if typos <= 2 else 0.6
                hit = TextHit(int(row[0]), int(row[1]), str(row[2]), str(row[3]), float(row[4]), float(row[5]),
                              round(factor * (0.7 + 0.3 * max(0.0, min(1.0, float(row[6])))), 4),
                              " ".join(spelled), typos)
                old = hits.get(hit.interval_id)
                if old is None or hit.score > old.score:
                    hits[hit.interval_id] = hit
        return sorted(hits.values(), key=lambda h: (-h.score, h.media_id, h.start_s))[:limit]

    def _rows(self, match: str, tracks: Sequence[str] | None, media: Sequence[int] | None,
              limit: int) -> list[sqlite3.Row]:
        sql = ("SELECT i.id, i.media_id, i.track, i.label, i.start_s, i.end_s, i.score FROM interval_fts"
               " JOIN intervals i ON i.id = interval_fts.rowid WHERE interval_fts MATCH ?")
        params: list[Any] = [match]
        if tracks:
            sql += " AND (" + " OR ".join("i.track GLOB ?" for _ in tracks) + ")"
            params.extend(tracks)
        if media:
            sql += f" AND i.media_id IN ({','.join('?' for _ in media)})"
            params.extend(int(m) for m in media)
        sql += " ORDER BY bm25(interval_fts) LIMIT ?"
        params.append(limit)
        try:
            return list(self.catalog._db.execute(sql, params).fetchall())
        except sqlite3.OperationalError as exc:
            raise QueryError(f"text search failed for {match!r}: {exc}") from exc
