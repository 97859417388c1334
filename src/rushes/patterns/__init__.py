"""Tags as time intervals: Allen relations, the tag explorer, weighted/fuzzy patterns, queries.

The pieces, one module each:

* :mod:`~rushes.patterns.allen` — the 13 Allen relations, vectorised classification, scalable
  joins (sort + binary search), the composition table;
* :mod:`~rushes.patterns.timeset` — union / intersection / complement of intervals per media;
* :mod:`~rushes.patterns.buckets` — the seed's explorer ("in", "crossing", "non-crossing");
* :mod:`~rushes.patterns.definition`, :mod:`~rushes.patterns.weighted`,
  :mod:`~rushes.patterns.fuzzy`, :mod:`~rushes.patterns.render` — pattern files (TOML),
  intensity curves, hits, PNG charts;
* :mod:`~rushes.patterns.query`, :mod:`~rushes.patterns.engine` — the temporal query language;
* :mod:`~rushes.patterns.sources` — where tracks come from (memory, catalog);
* :mod:`~rushes.patterns.azure_vi` — Azure Video Indexer insights import;
* :mod:`~rushes.patterns.export`, :mod:`~rushes.patterns.evaluate` — CSV/EDL/OTIO, metrics.

User documentation: ``docs/patterns.md``.
"""

from rushes.patterns.allen import (
    CROSSING,
    IN_RELATIONS,
    RELATIONS,
    SYMBOLS,
    allen_join,
    allen_semijoin,
    classify_pairs,
    compose,
    composition_table,
    inverse,
    normalize_relation,
    relation_of,
)
from rushes.patterns.azure_vi import VideoIndexerImport, load_insights, read_video_indexer
from rushes.patterns.buckets import ExploreReport, TagStats, explore
from rushes.patterns.definition import PatternDef, TagRule, builtin_patterns, find_pattern, load_pattern, parse_pattern
from rushes.patterns.engine import evaluate_query
from rushes.patterns.evaluate import evaluate_intervals, match_intervals
from rushes.patterns.export import (
    hits_to_csv,
    hits_to_edl,
    hits_to_otio,
    write_csv,
    write_edl,
    write_otio,
)
from rushes.patterns.fuzzy import Membership
from rushes.patterns.query import Node, QuerySyntaxError, parse_query, to_text
from rushes.patterns.render import render_curve_png
from rushes.patterns.selectors import Selector, parse_selector
from rushes.patterns.sources import CatalogTrackSource, DictTrackSource, TrackSource
from rushes.patterns.timeset import complement, intersect, near_mask, union
from rushes.patterns.weighted import IntensityCurve, PatternResult, find_hits, intensity_curves, run_pattern

__all__ = [
    "CROSSING",
    "IN_RELATIONS",
    "RELATIONS",
    "SYMBOLS",
    "CatalogTrackSource",
    "DictTrackSource",
    "ExploreReport",
    "IntensityCurve",
    "Membership",
    "Node",
    "PatternDef",
    "PatternResult",
    "QuerySyntaxError",
    "Selector",
    "TagRule",
    "TagStats",
    "TrackSource",
    "VideoIndexerImport",
    "allen_join",
    "allen_semijoin",
    "builtin_patterns",
    "classify_pairs",
    "complement",
    "compose",
    "composition_table",
    "evaluate_intervals",
    "evaluate_query",
    "explore",
    "find_hits",
    "find_pattern",
    "hits_to_csv",
    "hits_to_edl",
    "hits_to_otio",
    "intensity_curves",
    "intersect",
    "inverse",
    "load_insights",
    "load_pattern",
    "match_intervals",
    "near_mask",
    "normalize_relation",
    "parse_pattern",
    "parse_query",
    "parse_selector",
    "read_video_indexer",
    "relation_of",
    "render_curve_png",
    "run_pattern",
    "to_text",
    "union",
    "write_csv",
    "write_edl",
    "write_otio",
]
