"""Takes: where each take starts and ends, what its slate says, and what to archive or discard.

:func:`assemble_takes` is the pure fusion of slates, set commands and claps (rules in
:mod:`rushes.triage.takes.fusion` and ``docs/triage.md``); the ``takes`` analyzer
(:mod:`rushes.analyzers.takes`) runs it on every file and stores the ``takes``, ``archive`` and
``discard`` tracks plus three thumbnails per take.
"""

from rushes.triage.takes.fusion import (
    PREROLL_LABELS,
    SLATE_FIELDS,
    Take,
    TakeAssembly,
    TakeRules,
    archive_ranges,
    assemble_takes,
    complement_ranges,
    row_attrs,
    takes_to_intervals,
)

__all__ = [
    "PREROLL_LABELS",
    "SLATE_FIELDS",
    "Take",
    "TakeAssembly",
    "TakeRules",
    "archive_ranges",
    "assemble_takes",
    "complement_ranges",
    "row_attrs",
    "takes_to_intervals",
]
