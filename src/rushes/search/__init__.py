"""Search a library: hybrid text/visual/speech/OCR queries returning moments, vector index, evaluation.

::

    from rushes.library import Library
    from rushes.search import SearchEngine, SearchOptions

    with Library("rushes-library", create=False) as lib:
        result = SearchEngine(lib).search("person AND horse -text", options=SearchOptions(limit=10))
        for m in result.moments:
            print(m.file, m.start, m.end, m.timecode, m.score, m.why)

Modules: :mod:`~rushes.search.query` (the query language), :mod:`~rushes.search.engine` (ranking,
moments), :mod:`~rushes.search.text` (typo-tolerant FTS5), :mod:`~rushes.search.labels` (labels and
synonyms), :mod:`~rushes.search.sentence` (MiniLM in NumPy), :mod:`~rushes.search.index` (vector
index), :mod:`~rushes.search.heatmap`, :mod:`~rushes.search.evaluate`. Heavy dependencies load lazily.
"""

from rushes.search.engine import Hit, Moment, SearchEngine, SearchOptions, SearchResult
from rushes.search.query import Query, Term, parse_query

__all__ = ["Hit", "Moment", "Query", "SearchEngine", "SearchOptions", "SearchResult", "Term", "parse_query"]
