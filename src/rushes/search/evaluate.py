"""Search evaluation: recall@k and MRR over labelled queries.

Query file (JSON)::

    {"queries": [{"q": "a cat", "relevant": ["FILENAME", ...], "kind": "label"}, ...]}

A returned moment is a hit when its file's name (or path) is among ``relevant``. As in
text-to-image retrieval benchmarks, recall@k of a query is 1 when at least one of its first ``k``
moments is a hit; MRR averages 1/rank of the first hit (0 when none in the first ``limit``).
Results are reported overall and per ``kind``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rushes.errors import QueryError
from rushes.search.engine import SearchEngine, SearchOptions

__all__ = ["EvalQuery", "evaluate_search", "load_queries"]


@dataclass(frozen=True)
class EvalQuery:
    q: str
    relevant: tuple[str, ...]
    kind: str = "query"


def load_queries(path: Path) -> list[EvalQuery]:
    """Read and validate a query file (raises :class:`QueryError`)."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise QueryError(f"{path}: cannot read the query file ({exc})") from exc
    items = data.get("queries") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise QueryError(f"{path}: expected {{\"queries\": [{{\"q\": ..., \"relevant\": [...]}}, ...]}}")
    out: list[EvalQuery] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("q"), str) or \
                not isinstance(item.get("relevant"), list) or not item["relevant"]:
            raise QueryError(f"{path}: query #{i + 1} needs \"q\" (text) and \"relevant\" (non-empty list)")
        out.append(EvalQuery(item["q"], tuple(str(r) for r in item["relevant"]), str(item.get("kind", "query"))))
    return out


def _is_hit(file: str, path: str, relevant: Sequence[str]) -> bool:
    return any(r in (file, path) or Path(path).name == Path(r).name for r in relevant)


def _summary(rows: list[dict[str, Any]], ks: Sequence[int]) -> dict[str, Any]:
    n = len(rows)
    out: dict[str, Any] = {"queries": n}
    for k in ks:
        found = sum(1 for r in rows if r["rank"] is not None and r["rank"] <= k)
        out[f"recall@{k}"] = round(found / n, 4) if n else 0.0
    out["mrr"] = round(sum(1.0 / r["rank"] for r in rows if r["rank"]) / n, 4) if n else 0.0
    return out


def evaluate_search(engine: SearchEngine, queries: Sequence[EvalQuery], *, limit: int = 20,
                    ks: Sequence[int] = (1, 5, 10)) -> dict[str, Any]:
    """Run every query; return overall and per-kind recall@k and MRR plus per-query ranks."""
    rows: list[dict[str, Any]] = []
    for eq in queries:
        res = engine.search(eq.q, options=SearchOptions(limit=limit))
        rank = next((i for i, m in enumerate(res.moments, 1) if _is_hit(m.file, m.path, eq.relevant)), None)
        rows.append({"q": eq.q, "kind": eq.kind, "rank": rank,
                     "top": [m.file for m in res.moments[:5]], "took_ms": round(res.took_ms, 1)})
    report = _summary(rows, ks)
    kinds = sorted({r["kind"] for r in rows})
    if len(kinds) > 1:
        report["by_kind"] = {k: _summary([r for r in rows if r["kind"] == k], ks) for k in kinds}
    report["per_query"] = rows
    report["notes"] = list(dict.fromkeys(engine.notes))
    return report
