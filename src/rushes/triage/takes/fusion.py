"""Take assembly: fuse slates, spoken set commands and claps into takes (a pure function).

:func:`assemble_takes` reads four kinds of evidence for one file — the ``slates`` track (head
and tail slates with the fields read from them), the ``commands`` track (``action``, ``cut``,
``rolling``, ``speed``, ``mark``, ``reset``, ``background_action``, ``check_the_gate``), the
``claps`` track (instants) and the file's duration — and returns the takes with every decision
recorded as a rule name or a note. The rules (numbers are :class:`TakeRules` defaults):

1. **Duplicates merge.** Calls of the same command closer than ``merge_s`` (3 s) to the previous
   one are one call ("Cut! Cut! Cut!"): the first onset is kept, the score is the maximum.
   Head slates closer than ``reslate_gap_s`` (5 s) with no action or cut between them are one
   slate event (a re-slate, or a detector that lost the board for a moment).
2. **A take opens at "action".** The nearest unclaimed head slate that ended at most
   ``slate_window_s`` (20 s) before the action gives the take its scene/roll/take/camera, and
   the clap heard from ``clap_before_s`` before the slate to ``clap_after_s`` after it is the
   take's sync point.
3. **Action without slate**: the take opens at the action and its fields stay empty (a tail
   slate may fill them, rule 8).
4. **Slate without action** (the call was not heard): the take opens at the slate's clap, or at
   the end of the slate when no clap was heard (``start_rule`` ``clap`` / ``slate_end``).
5. **A repeated action inside a running take is ignored**: an action with no slate, clap or
   roll call of its own, after an action that no cut (nor a ``reset`` call: the cut was missed)
   has closed yet, does not open a new take
   (after a take opened by a slate alone it does: that take then ends at this action, rule 7).
6. **The last cut of a take closes it.** A take may close anywhere between its start and the
   next take's first cue (its slate, else its action). A cut sooner than ``min_take_s`` (2 s)
   after the take's start is ignored (a late echo of the previous cut, or a word inside the
   call); when several cuts remain, the last closes the take and the earlier ones are dialogue
   — unless a clap or a roll call (rolling/speed/mark) lies between two of them: then the
   earlier cut closes this take and a new take opens at that cue (its "action" was missed).
7. **Missing cut**: the take ends at a ``reset`` call, else at the next take's first cue (its
   first roll call, else its slate, else its action), else at the end of the file (``end_rule``
   ``reset`` / ``next_preroll`` / ``next_slate`` / ``next_action`` / ``end_of_file``).
8. **A tail slate closes a take**: a tail slate that starts inside the take, or at most
   ``tail_after_cut_s`` (15 s) after its cut, extends the take to the slate's end (so the
   board and its clap stay with the take) and fills fields the head slate did not give.
9. **Roll calls come before action**: ``rolling``, ``speed``, ``mark``, ``background_action``
   (and ``check_the_gate``) at most ``preroll_window_s`` (30 s) before a take's start and after
   the previous take's end are attached to that take (``preroll``); inside a take they are noted
   and ignored. They never open a take on their own, except as the cue of rule 6 and rule 10.
10. **Unexplained cut before any take**: a cut before the first take's first cue opens a take at
   the latest clap or roll call before it (at least ``min_take_s`` earlier); with no such cue it
   is ignored (noted).

(Rule 11, camera and roll from the file name, is the ``takes`` analyzer's.)

12. **A board OCR could not read, clapped before "action"** (``clapped_slates``): an event the
   slate reader saw but could not confirm (the ``slate_candidates`` track: the classifier was
   unsure and OCR found no slate text — a board too small, blurred or turned to read) is a head
   slate when a clap no other slate claimed is heard in its window (rule 2) and an "action"
   follows within ``slate_window_s`` of its end, before any cut; it is never closer than
   ``reslate_gap_s`` to a confirmed head slate. It gives the take its slate time and clap, no
   fields (``slate.confirmed_by`` = ``clap``), and is listed in :attr:`TakeAssembly.clapped`.

Before these, **rule 0**: a slate whose head/tail label is only the classifier's guess (OCR did
not find its printed labels either way up) is relabelled by the calls around it — a "tail slate"
followed by an action (before any cut, nearer than the previous cut) outside a running take is a
head slate; a "head slate" inside a running take followed by its cut is a tail slate.

Everything ignored is reported in :attr:`TakeAssembly.notes` (per file) or :attr:`Take.notes`
(per take), so a reviewer can see why a call did not count. The archive is then the union of the
takes padded by ``pad_s`` seconds each side (:func:`archive_ranges`) and the discard is the rest
of the file.

The function only reads ``start``, ``end``, ``label``, ``score`` and the row attributes of its
inputs (either flat ``data`` columns or an ``attrs`` dict column, as the catalog returns them),
so tests build the evidence by hand and the analyzer feeds it the catalog's tracks.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from rushes.intervals import Intervals

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

#: commands that belong before "action" (never open a take on their own)
PREROLL_LABELS: tuple[str, ...] = ("rolling", "speed", "mark", "background_action", "check_the_gate")
#: fields a slate gives a take
SLATE_FIELDS: tuple[str, ...] = ("scene", "roll", "take", "camera")
#: slate attributes kept with a take besides the four fields
_SLATE_EXTRA: tuple[str, ...] = ("prod", "director", "date", "roll_mismatch", "filename_roll", "confidence",
                                  "confidences", "best_t")


@dataclass(frozen=True)
class TakeRules:
    """Thresholds of the fusion rules (see the module docstring; all times in seconds)."""

    merge_s: float = 3.0
    """Calls of one command closer than this to the previous call are one call (rule 1)."""
    reslate_gap_s: float = 5.0
    """Head slates this close, with no action or cut between, are one slate event (rule 1)."""
    slate_window_s: float = 20.0
    """Longest time from a head slate's end to the action it belongs to (rule 2)."""
    clap_before_s: float = 0.5
    """A slate's clap may be heard this long before the slate is first seen (rule 2)."""
    clap_after_s: float = 2.0
    """... or this long after it was last seen (rule 2)."""
    min_take_s: float = 2.0
    """A cut sooner than this after the take's start does not close it (rule 6)."""
    tail_after_cut_s: float = 15.0
    """A tail slate starting at most this long after the cut still closes the take (rule 8)."""
    preroll_window_s: float = 30.0
    """Roll calls at most this long before a take's start belong to it (rule 9)."""
    min_action_score: float = 0.0
    """Action calls scored below this are not used."""
    min_cut_score: float = 0.0
    """Cut calls scored below this are not used."""
    min_slate_score: float = 0.0
    """Slates scored below this are not used."""
    min_clap_score: float = 0.0
    """Claps scored below this are not used."""
    clapped_slates: bool = True
    """Rule 12: a board the slate reader could not read becomes a head slate when it is clapped
    and an "action" follows."""

    def __post_init__(self) -> None:
        for name in ("merge_s", "reslate_gap_s", "slate_window_s", "clap_before_s", "clap_after_s",
                     "min_take_s", "tail_after_cut_s", "preroll_window_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, not {value!r}")


@dataclass(frozen=True)
class Take:
    """One take found in a file (times in seconds from the start of the file)."""

    start: float
    end: float
    start_rule: str
    """Why it starts there: ``action``, ``clap``, ``slate_end``, ``preroll`` (a roll call)."""
    end_rule: str
    """Why it ends there: ``cut``, ``tail_slate``, ``reset``, ``next_slate``, ``next_action``,
    ``end_of_file``."""
    scene: str | None = None
    roll: str | None = None
    take: str | None = None
    camera: str | None = None
    fields_from: str | None = None
    """``slate`` (head slate), ``tail_slate`` or ``None`` when no slate was read."""
    slate_t: float | None = None
    """When the head slate was first seen."""
    slate_end_t: float | None = None
    action_t: float | None = None
    cut_t: float | None = None
    clap_t: float | None = None
    tail_slate_t: float | None = None
    preroll: Mapping[str, float] = field(default_factory=dict)
    """Roll calls attached to the take: label → time."""
    slate: Mapping[str, Any] = field(default_factory=dict)
    """Other slate attributes: prod, director, date, roll_mismatch, filename_roll, confidence, best_t."""
    score: float = 1.0
    """Mean score of the evidence that opened and closed the take."""
    notes: tuple[str, ...] = ()

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.end - self.start

    @property
    def lead_in(self) -> float:
        """The take's first cue: its slate if it has one, else its start."""
        return min(self.start, self.slate_t) if self.slate_t is not None else self.start

    def to_attrs(self) -> dict[str, Any]:
        """The attributes stored with the take's interval in the ``takes`` track."""
        return {
            "scene": self.scene, "roll": self.roll, "take": self.take, "camera": self.camera,
            "fields_from": self.fields_from, "slate_t": _rt(self.slate_t), "slate_end_t": _rt(self.slate_end_t),
            "action_t": _rt(self.action_t), "cut_t": _rt(self.cut_t), "clap_t": _rt(self.clap_t),
            "tail_slate_t": _rt(self.tail_slate_t), "start_rule": self.start_rule, "end_rule": self.end_rule,
            "preroll": {k: _rt(v) for k, v in self.preroll.items()}, "slate": dict(self.slate),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class TakeAssembly:
    """What :func:`assemble_takes` found in one file."""

    takes: tuple[Take, ...]
    notes: tuple[str, ...] = ()
    """File-level notes: evidence that was ignored and why."""
    duration: float | None = None
    clapped: tuple[tuple[float, float, float, float], ...] = ()
    """Slate candidates made head slates by rule 12: (start, end, score, clap time)."""

    def archive(self, pad_s: float) -> list[tuple[float, float]]:
        """Ranges to keep: the takes padded by ``pad_s`` each side (see :func:`archive_ranges`)."""
        return archive_ranges([(t.start, t.end) for t in self.takes], self.duration, pad_s)

    def discard(self, pad_s: float) -> list[tuple[float, float]]:
        """Everything not in :meth:`archive` (needs a known duration)."""
        end = self.duration if self.duration is not None else max((t.end for t in self.takes), default=0.0)
        return complement_ranges(self.archive(pad_s), end)


# --------------------------------------------------------------------------------------
# evidence
# --------------------------------------------------------------------------------------


@dataclass
class _Call:
    """A (merged) spoken command."""

    label: str
    t: float
    end: float
    score: float
    count: int = 1
    used: bool = False


@dataclass
class _Slate:
    """A (grouped) slate event."""

    start: float
    end: float
    score: float
    tail: bool
    fields: dict[str, Any]
    extra: dict[str, Any]
    count: int = 1
    clap: tuple[float, float] | None = None  # (t, score)
    claimed: bool = False


@dataclass
class _Opener:
    """Where a take starts, and with what evidence."""

    t: float
    rule: str
    score: float
    slate: _Slate | None = None
    action: _Call | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def lead_in(self) -> float:
        return min(self.t, self.slate.start) if self.slate is not None else self.t


def row_attrs(iv: Intervals, i: int) -> dict[str, Any]:
    """Attributes of row ``i``: flat ``data`` columns merged with an ``attrs`` dict column.

    The catalog returns a row's stored attributes as one dict in ``data["attrs"]``; hand-built
    intervals usually carry one column per attribute. Both (and an ``attrs`` dict nested once
    more, as written by a producer that used an ``attrs`` column) are accepted.
    """
    out: dict[str, Any] = {}
    for key, col in iv.data.items():
        if key in ("attrs", "track"):
            continue
        value = col[i]
        out[key] = value.item() if isinstance(value, np.generic) else value
    raw = iv.data["attrs"][i] if "attrs" in iv.data else None
    if isinstance(raw, Mapping):
        nested = raw.get("attrs")
        if isinstance(nested, Mapping) and len(raw) == 1:
            raw = nested
        out.update(raw)
    return out


def _rows(iv: Intervals | None) -> Iterable[tuple[str, float, float, float, dict[str, Any]]]:
    if iv is None or len(iv) == 0:
        return []
    starts, ends = iv.start_seconds, iv.end_seconds
    order = np.lexsort((ends, starts))
    return [(str(iv.label[i]), float(starts[i]), float(ends[i]), float(iv.score[i]), row_attrs(iv, int(i)))
            for i in order]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    s = str(value).strip()
    return s or None


def _rt(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def _fmt(t: float) -> str:
    return f"{t:.2f} s"


def _merge_calls(calls: list[_Call], merge_s: float, notes: list[str]) -> list[_Call]:
    """Rule 1: chain calls of one label closer than ``merge_s`` into one call."""
    out: list[_Call] = []
    for c in calls:
        if out and c.t - out[-1].end <= merge_s:
            last = out[-1]
            last.end = max(last.end, c.t)
            last.score = max(last.score, c.score)
            last.count += 1
            continue
        out.append(_Call(c.label, c.t, c.t, c.score))
    for c in out:
        if c.count > 1:
            notes.append(f"{c.count} '{c.label}' calls from {_fmt(c.t)} to {_fmt(c.end)} merged into one")
    return out


def _orientation_from_structure(sl: _Slate, actions: list[_Call], cuts: list[_Call], resets: list[_Call],
                                rules: TakeRules, notes: list[str]) -> None:
    """Rule 0: a slate whose head/tail label is only the classifier's guess (``orientation`` =
    ``classifier``: OCR did not find the printed labels either way up) takes the label the calls
    around it give. A "tail slate" outside a running take, with an action after it (before any
    cut, within ``slate_window_s``) that is nearer than the previous cut, is a head slate; a
    "head slate" inside a running take (an action before it and no cut between) with a cut
    after it before any action, within ``tail_after_cut_s``, is a tail slate. A "reset" call
    closes a running take here as a cut does (rule 7)."""
    prev_action = max((a.t for a in actions if a.t < sl.start), default=None)
    prev_cut = max((c.t for c in cuts + resets if c.t < sl.start), default=None)
    next_action = min((a.t for a in actions if a.t >= sl.start), default=None)
    next_cut = min((c.t for c in cuts if c.t >= sl.start), default=None)
    in_take = prev_action is not None and (prev_cut is None or prev_cut < prev_action)
    if sl.tail and next_action is not None and next_action - sl.end <= rules.slate_window_s \
            and (next_cut is None or next_action < next_cut) and not in_take \
            and (prev_cut is None or sl.start - prev_cut > next_action - sl.end):
        sl.tail = False
        notes.append(f"slate at {_fmt(sl.start)}: read as a tail slate by the classifier only, but 'action' "
                     f"follows at {_fmt(next_action)}: a head slate")
    elif not sl.tail and in_take and next_cut is not None and next_cut - sl.start <= rules.tail_after_cut_s \
            and (next_action is None or next_cut < next_action):
        sl.tail = True
        notes.append(f"slate at {_fmt(sl.start)}: read as a head slate by the classifier only, but it is inside "
                     f"the take of the action at {_fmt(prev_action or 0.0)} and 'cut' follows at {_fmt(next_cut)}: "
                     "a tail slate")


def _slates(slates: Intervals | None, rules: TakeRules, actions: list[_Call], cuts: list[_Call],
            resets: list[_Call], notes: list[str]) -> list[_Slate]:
    calls = actions + cuts
    raw: list[_Slate] = []
    for label, s, e, score, attrs in _rows(slates):
        if score < rules.min_slate_score:
            notes.append(f"slate at {_fmt(s)} ignored: score {score:.2f} < {rules.min_slate_score:.2f}")
            continue
        fields = {k: _text(attrs.get(k)) for k in SLATE_FIELDS}
        extra = {k: attrs[k] for k in _SLATE_EXTRA if attrs.get(k) is not None}
        sl = _Slate(s, e, score, label == "tail_slate", fields, extra)
        if attrs.get("orientation") == "classifier":
            _orientation_from_structure(sl, actions, cuts, resets, rules, notes)
        raw.append(sl)
    heads = [s for s in raw if not s.tail]
    tails = [s for s in raw if s.tail]
    grouped: list[_Slate] = []
    for sl in heads:
        if grouped:
            prev = grouped[-1]
            between = any(prev.end < c.t < sl.start for c in calls)
            if sl.start - prev.end <= rules.reslate_gap_s and not between:
                _absorb_slate(prev, sl)
                continue
        grouped.append(sl)
    for g in grouped:
        if g.count > 1:
            notes.append(f"{g.count} slate detections from {_fmt(g.start)} to {_fmt(g.end)} are one slate")
    return sorted(grouped + tails, key=lambda x: x.start)


def _absorb_slate(into: _Slate, other: _Slate) -> None:
    best, rest = (other, into) if other.score > into.score else (into, other)
    into.fields = {k: best.fields.get(k) or rest.fields.get(k) for k in SLATE_FIELDS}
    into.extra = {**rest.extra, **best.extra}
    into.start, into.end = min(into.start, other.start), max(into.end, other.end)
    into.score = max(into.score, other.score)
    into.count += other.count


def _attach_claps(slates: list[_Slate], claps: list[tuple[float, float]], rules: TakeRules) -> set[int]:
    """Give each slate the loudest clap in its window; returns the indices of the claps used."""
    used: set[int] = set()
    for sl in slates:
        best = _loudest_free_clap(sl.start, sl.end, claps, used, rules)
        if best is not None:
            used.add(best)
            sl.clap = claps[best]
    return used


def _loudest_free_clap(start: float, end: float, claps: list[tuple[float, float]], used: set[int],
                       rules: TakeRules) -> int | None:
    """Index of the loudest clap not in ``used`` heard in the window of a slate seen from ``start``
    to ``end`` (``clap_before_s`` before it to ``clap_after_s`` after it), or ``None``."""
    lo, hi = start - rules.clap_before_s, end + rules.clap_after_s
    best: int | None = None
    for j, (t, score) in enumerate(claps):
        if j not in used and lo <= t <= hi and (best is None or score > claps[best][1]):
            best = j
    return best


def _clapped_candidates(candidates: Intervals | None, slates: list[_Slate], claps: list[tuple[float, float]],
                        used: set[int], actions: list[_Call], cuts: list[_Call], rules: TakeRules,
                        notes: list[str]) -> list[_Slate]:
    """Rule 12: the slate candidates that a free clap and a following "action" make head slates
    (the indices of their claps join ``used``)."""
    heads = [s for s in slates if not s.tail]
    out: list[_Slate] = []
    for _label, s, e, score, attrs in _rows(candidates):
        if any(h.start - rules.reslate_gap_s <= e and s <= h.end + rules.reslate_gap_s for h in heads + out):
            continue  # a confirmed board is there: this is the same board, or clutter beside it
        j = _loudest_free_clap(s, e, claps, used, rules)
        if j is None:
            continue
        clap_t = claps[j][0]
        nxt_action = min((a.t for a in actions if a.t >= clap_t), default=None)
        nxt_cut = min((c.t for c in cuts if c.t >= clap_t), default=None)
        if nxt_action is None or nxt_action - e > rules.slate_window_s:
            continue
        if nxt_cut is not None and nxt_cut < nxt_action:
            continue
        extra = {k: attrs[k] for k in ("filename_roll", "best_t") if attrs.get(k) is not None}
        sl = _Slate(s, e, score, False, dict.fromkeys(SLATE_FIELDS), {**extra, "confirmed_by": "clap"})
        sl.clap = claps[j]
        used.add(j)
        out.append(sl)
        notes.append(f"slate at {_fmt(s)}: not read by OCR, but clapped at {_fmt(clap_t)} before 'action' at "
                     f"{_fmt(nxt_action)}: a head slate (rule 12)")
    return out


# --------------------------------------------------------------------------------------
# the fusion
# --------------------------------------------------------------------------------------


def assemble_takes(
    slates: Intervals | None,
    commands: Intervals | None,
    claps: Intervals | None,
    duration: float | None,
    rules: TakeRules | None = None,
    candidates: Intervals | None = None,
) -> TakeAssembly:
    """Fuse one file's evidence into takes (the rules are in the module docstring).

    ``slates`` (labels ``slate``/``tail_slate``; attributes scene, roll, take, camera, ...),
    ``commands`` (labels as in :data:`rushes.triage.speech.rules.COMMAND_LABELS`; ``start`` is
    the call's onset), ``claps`` (instants) and ``candidates`` (slate events the reader could
    not confirm, rule 12) may be ``None`` or empty. ``duration`` (seconds) bounds the last take;
    ``None`` lets it end at its last evidence.
    """
    rules = rules or TakeRules()
    notes: list[str] = []
    by_label: dict[str, list[_Call]] = {}
    for label, s, _e, score, _attrs in _rows(commands):
        by_label.setdefault(label, []).append(_Call(label, s, s, score))
    for label, minimum in (("action", rules.min_action_score), ("cut", rules.min_cut_score)):
        kept = []
        for c in by_label.get(label, []):
            if c.score < minimum:
                notes.append(f"'{label}' at {_fmt(c.t)} ignored: score {c.score:.2f} < {minimum:.2f}")
            else:
                kept.append(c)
        by_label[label] = kept
    actions = _merge_calls(by_label.get("action", []), rules.merge_s, notes)
    cuts = _merge_calls(by_label.get("cut", []), rules.merge_s, notes)
    resets = _merge_calls(by_label.get("reset", []), rules.merge_s, [])
    prerolls = sorted((c for lab in PREROLL_LABELS for c in by_label.get(lab, [])), key=lambda c: c.t)
    clap_list = [(s, sc) for _l, s, _e, sc, _a in _rows(claps) if sc >= rules.min_clap_score]
    all_slates = _slates(slates, rules, actions, cuts, resets, notes)
    used_claps = _attach_claps(all_slates, clap_list, rules)
    clapped: list[_Slate] = []
    if rules.clapped_slates:
        clapped = _clapped_candidates(candidates, all_slates, clap_list, used_claps, actions, cuts, rules, notes)
        all_slates = sorted(all_slates + clapped, key=lambda x: x.start)
    free_claps = [c for j, c in enumerate(clap_list) if j not in used_claps]
    heads = [s for s in all_slates if not s.tail]
    tails = [s for s in all_slates if s.tail]

    openers = _openers(actions, heads, rules)
    openers = _absorb_repeated_actions(openers, cuts, free_claps, prerolls, resets, rules)
    end_of_file = duration if duration is not None else None

    takes: list[Take] = []
    # rule 10: cuts before the first take's first cue
    first_cue = openers[0].lead_in if openers else math.inf
    takes.extend(_recover_before(cuts, free_claps, prerolls, first_cue, rules, notes))
    for i, op in enumerate(openers):
        nxt = openers[i + 1] if i + 1 < len(openers) else None
        limit = nxt.lead_in if nxt is not None else (end_of_file if end_of_file is not None else math.inf)
        takes.extend(_close(op, nxt, limit, cuts, resets, tails, free_claps, prerolls, rules, end_of_file))
    for c in cuts:
        if not c.used:
            notes.append(f"'cut' at {_fmt(c.t)} ignored: between a slate and its action, or after the last take")
    takes = _attach_prerolls(sorted(takes, key=lambda t: t.start), prerolls, rules, notes)
    for tl in tails:
        if not tl.claimed:
            notes.append(f"tail slate at {_fmt(tl.start)} ignored: no take before it")
    if end_of_file is not None:
        takes = [replace(t, end=min(t.end, end_of_file)) for t in takes if t.start < end_of_file]
    for t in takes:
        if t.end <= t.start:
            notes.append(f"empty take at {_fmt(t.start)} dropped (its next take starts at once)")
    takes = [t for t in takes if t.end > t.start]
    listed = tuple((c.start, c.end, c.score, c.clap[0]) for c in clapped if c.clap is not None)
    return TakeAssembly(tuple(takes), tuple(notes), duration, listed)


def _openers(actions: list[_Call], heads: list[_Slate], rules: TakeRules) -> list[_Opener]:
    """Rules 2-4: actions claim the nearest slate before them; unclaimed slates open takes."""
    openers: list[_Opener] = []
    for a in actions:
        best: _Slate | None = None
        for sl in heads:
            if sl.claimed or sl.start > a.t or a.t - sl.end > rules.slate_window_s:
                continue
            if best is None or sl.start > best.start:
                best = sl
        op = _Opener(a.t, "action", a.score, slate=best, action=a)
        if best is not None:
            best.claimed = True
        openers.append(op)
    for sl in heads:
        if sl.claimed:
            continue
        sl.claimed = True
        if sl.clap is not None:
            op = _Opener(sl.clap[0], "clap", sl.score, slate=sl)
            op.notes.append(f"no 'action' heard: starts at the slate's clap ({_fmt(sl.clap[0])})")
        else:
            op = _Opener(sl.end, "slate_end", sl.score, slate=sl)
            op.notes.append(f"no 'action' or clap: starts when the slate leaves ({_fmt(sl.end)})")
        openers.append(op)
    return sorted(openers, key=lambda o: o.t)


def _absorb_repeated_actions(openers: list[_Opener], cuts: list[_Call], claps: list[tuple[float, float]],
                             prerolls: list[_Call], resets: list[_Call], rules: TakeRules) -> list[_Opener]:
    """Rule 5: an action with no cue of its own inside a take that no cut (or reset call) closed
    is a repeat."""
    out: list[_Opener] = []
    closers = [*cuts, *resets]
    for op in openers:
        if out and op.slate is None and op.action is not None and out[-1].action is not None:
            prev = out[-1]
            closed = any(prev.t + rules.min_take_s <= c.t < op.t for c in closers)
            own_cue = any(prev.t < t <= op.t for t, _ in claps) or any(prev.t < p.t <= op.t for p in prerolls)
            if not closed and not own_cue:
                prev.notes.append(f"repeated 'action' at {_fmt(op.t)} ignored (no cut since the last one)")
                continue
        out.append(op)
    return out


def _cue_between(lo: float, hi: float, claps: list[tuple[float, float]],
                 prerolls: list[_Call], min_before_hi: float = 0.0) -> tuple[float, str] | None:
    """The latest clap (preferred) or roll call strictly between ``lo`` and ``hi`` and at least
    ``min_before_hi`` before ``hi`` (a tail slate's clap just before the cut cannot open the
    take that cut closes; an earlier roll call can)."""
    inside = [t for t, _ in claps if lo < t < hi and hi - t >= min_before_hi]
    if inside:
        return max(inside), "clap"
    calls = [p for p in prerolls if lo < p.t < hi and hi - p.t >= min_before_hi and p.label != "check_the_gate"]
    if calls:
        last = max(calls, key=lambda p: p.t)
        return last.t, "preroll"
    return None


def _recover_before(cuts: list[_Call], claps: list[tuple[float, float]], prerolls: list[_Call],
                    first_cue: float, rules: TakeRules, notes: list[str]) -> list[Take]:
    """Rule 10: cuts before the first take open a take at the last clap/roll call before them."""
    out: list[Take] = []
    floor = -math.inf
    for c in cuts:
        if c.t >= first_cue:
            break
        cue = _cue_between(floor, c.t - rules.min_take_s, claps, prerolls)
        c.used = True
        if cue is None:
            notes.append(f"'cut' at {_fmt(c.t)} ignored: no slate, action, clap or roll call before it")
            continue
        t0, kind = cue
        out.append(Take(start=t0, end=c.t, start_rule=kind, end_rule="cut", cut_t=c.t,
                        clap_t=t0 if kind == "clap" else None, score=c.score,
                        notes=(f"no slate or 'action': starts at the last {kind} before the cut",)))
        floor = c.t
    return out


def _close(op: _Opener, nxt: _Opener | None, limit: float, cuts: list[_Call], resets: list[_Call],
           tails: list[_Slate], claps: list[tuple[float, float]], prerolls: list[_Call], rules: TakeRules,
           end_of_file: float | None) -> list[Take]:
    """Rules 6-8 for one opener; may return more than one take (a missed action, rule 6)."""
    notes = list(op.notes)
    limit = max(limit, op.t)
    window = [c for c in cuts if op.t <= c.t < limit]
    for c in window:
        c.used = True
    early = [c for c in window if c.t < op.t + rules.min_take_s]
    for c in early:
        notes.append(f"'cut' at {_fmt(c.t)} ignored: only {c.t - op.t:.2f} s after the start")
    cands = [c for c in window if c.t >= op.t + rules.min_take_s]

    # rule 6: split where a cue (clap/roll call) sits between two cuts
    segments: list[tuple[float, str, list[_Call]]] = [(op.t, op.rule, [])]
    for k, c in enumerate(cands):
        segments[-1][2].append(c)
        if k + 1 < len(cands):
            cue = _cue_between(c.t, cands[k + 1].t, claps, prerolls, rules.min_take_s)
            if cue is not None:
                segments.append((cue[0], cue[1], []))

    out: list[Take] = []
    for si, (t0, rule, seg_cuts) in enumerate(segments):
        first = si == 0
        seg_notes = notes if first else [f"'cut' at {_fmt(segments[si - 1][2][-1].t)} followed by a {rule} "
                                         f"at {_fmt(t0)}: a new take whose 'action' was missed"]
        seg_limit = segments[si + 1][0] if si + 1 < len(segments) else limit
        end, end_rule, cut_t, score_end = _end_of(t0, seg_cuts, seg_limit, nxt if si + 1 == len(segments) else None,
                                                  resets, prerolls, rules, seg_notes, end_of_file)
        for c in seg_cuts[:-1]:
            seg_notes.append(f"'cut' at {_fmt(c.t)} ignored: inside the take (a later cut closes it)")
        take = Take(
            start=t0, end=end, start_rule=rule, end_rule=end_rule, cut_t=cut_t,
            action_t=op.action.t if first and op.action is not None else None,
            clap_t=(op.slate.clap[0] if first and op.slate is not None and op.slate.clap is not None
                    else (t0 if rule == "clap" else None)),
            score=round(float(np.mean([op.score if first else 0.5, score_end])), 6),
        )
        if first and op.slate is not None:
            sl = op.slate
            take = replace(take, slate_t=sl.start, slate_end_t=sl.end, fields_from="slate",
                           slate=dict(sl.extra), scene=sl.fields.get("scene"), roll=sl.fields.get("roll"),
                           take=sl.fields.get("take"), camera=sl.fields.get("camera"))
        take = _tail_slate(take, tails, seg_limit, rules, seg_notes)
        out.append(replace(take, notes=tuple(seg_notes)))
    return out


def _end_of(t0: float, seg_cuts: list[_Call], limit: float, nxt: _Opener | None, resets: list[_Call],
            prerolls: list[_Call], rules: TakeRules, notes: list[str],
            end_of_file: float | None) -> tuple[float, str, float | None, float]:
    """(end, end_rule, cut_t, score) of a take starting at ``t0`` (rules 6 and 7)."""
    if seg_cuts:
        c = seg_cuts[-1]
        return c.t, "cut", c.t, c.score
    reset = next((r for r in resets if t0 + rules.min_take_s <= r.t < limit), None)
    if reset is not None:
        notes.append(f"no 'cut' heard: ends at 'reset' ({_fmt(reset.t)})")
        return reset.t, "reset", None, reset.score
    # the next take's roll calls come before its slate and action: the first one ends this take
    call = next((p for p in prerolls if t0 + rules.min_take_s <= p.t < limit and p.label != "check_the_gate"), None)
    if call is not None and nxt is not None:
        notes.append(f"no 'cut' heard: ends at the next take's '{call.label}' ({_fmt(call.t)})")
        return call.t, "next_preroll", None, 0.5
    if nxt is not None and math.isfinite(limit):
        rule = "next_slate" if nxt.slate is not None and nxt.slate.start <= nxt.t else "next_action"
        notes.append(f"no 'cut' heard: ends at the next take's {'slate' if rule == 'next_slate' else 'action'} "
                     f"({_fmt(limit)})")
        return limit, rule, None, 0.5
    if end_of_file is not None:
        notes.append("no 'cut' heard: runs to the end of the file")
        return end_of_file, "end_of_file", None, 0.5
    # unknown duration and nothing after: the take ends at its start's last evidence (+ min_take_s)
    notes.append("no 'cut' heard and the file's duration is unknown: ends min_take_s after its start")
    return t0 + rules.min_take_s, "end_of_file", None, 0.5


def _tail_slate(take: Take, tails: list[_Slate], limit: float, rules: TakeRules, notes: list[str]) -> Take:
    """Rule 8: a tail slate inside the take or just after its cut closes (and may extend) it."""
    latest_start = take.end + rules.tail_after_cut_s if take.end_rule == "cut" else take.end
    for tl in tails:
        if tl.claimed or not (take.start < tl.start <= latest_start) or tl.start >= limit:
            continue
        tl.claimed = True
        new_end = max(take.end, tl.end)
        if take.end_rule != "cut":
            new_end = tl.end
        if math.isfinite(limit):
            new_end = min(new_end, max(limit, take.end))
        updates: dict[str, Any] = {"tail_slate_t": tl.start}
        if take.end_rule != "cut":
            updates["end_rule"] = "tail_slate"
            notes.append(f"no 'cut' heard: ends with the tail slate ({_fmt(tl.end)})")
        elif new_end > take.end:
            notes.append(f"extended past the cut to keep the tail slate ({_fmt(tl.start)}-{_fmt(tl.end)})")
        updates["end"] = new_end
        missing = [k for k in SLATE_FIELDS if getattr(take, k) is None and tl.fields.get(k)]
        if missing:
            for k in missing:
                updates[k] = tl.fields[k]
            if take.fields_from is None:
                updates["fields_from"] = "tail_slate"
                updates["slate"] = dict(tl.extra)
        if take.clap_t is None and tl.clap is not None:
            updates["clap_t"] = tl.clap[0]
        return replace(take, **updates)
    return take


def _attach_prerolls(takes: list[Take], prerolls: list[_Call], rules: TakeRules, notes: list[str]) -> list[Take]:
    """Rule 9: roll calls before a take (after the previous one) belong to it."""
    extra: list[dict[str, float]] = [{} for _ in takes]
    for p in prerolls:
        placed = False
        for i, tk in enumerate(takes):
            prev_end = takes[i - 1].end if i else -math.inf
            cue = tk.lead_in
            if prev_end <= p.t <= tk.start and cue - p.t <= rules.preroll_window_s:
                extra[i].setdefault(p.label, p.t)
                placed = True
                break
            if tk.start < p.t < tk.end:
                if p.label == "check_the_gate":
                    break
                notes.append(f"'{p.label}' at {_fmt(p.t)} ignored: inside a take")
                placed = True
                break
        if not placed:
            where = "after the last take" if takes and p.t >= takes[-1].end else "not followed by a take"
            notes.append(f"'{p.label}' at {_fmt(p.t)} not attached to a take ({where})")
    return [replace(tk, preroll={**tk.preroll, **extra[i]}) if extra[i] else tk for i, tk in enumerate(takes)]


# --------------------------------------------------------------------------------------
# archive / discard and tracks
# --------------------------------------------------------------------------------------


def archive_ranges(takes: Sequence[tuple[float, float]], duration: float | None,
                   pad_s: float) -> list[tuple[float, float]]:
    """Union of ``[start - pad_s, end + pad_s]`` over the takes, clipped to ``[0, duration]``."""
    if pad_s < 0:
        raise ValueError("pad_s must be >= 0")
    spans = sorted((max(0.0, s - pad_s), e + pad_s if duration is None else min(duration, e + pad_s))
                   for s, e in takes)
    out: list[tuple[float, float]] = []
    for s, e in spans:
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def complement_ranges(ranges: Sequence[tuple[float, float]], end: float,
                      start: float = 0.0) -> list[tuple[float, float]]:
    """The parts of ``[start, end]`` not covered by the (sorted, disjoint) ``ranges``."""
    out: list[tuple[float, float]] = []
    cur = start
    for s, e in ranges:
        if s > cur:
            out.append((cur, min(s, end)))
        cur = max(cur, e)
        if cur >= end:
            break
    if cur < end:
        out.append((cur, end))
    return [(s, e) for s, e in out if e > s]


def takes_to_intervals(assembly: TakeAssembly, pad_s: float, media: int = 0) -> dict[str, Intervals]:
    """The ``takes``, ``archive``, ``discard`` and ``clapped_slates`` (rule 12) tracks of one file."""
    takes = assembly.takes
    attrs = [t.to_attrs() for t in takes]
    keys = list(attrs[0]) if attrs else []
    data: dict[str, Any] = {k: _obj([a[k] for a in attrs]) for k in keys}
    data["index"] = np.arange(1, len(takes) + 1, dtype=np.int64)
    take_iv = Intervals.from_seconds([t.start for t in takes], [t.end for t in takes], "take",
                                     score=[t.score for t in takes], media=media, data=data)
    arch = assembly.archive(pad_s)
    disc = assembly.discard(pad_s)
    members = [[i + 1 for i, t in enumerate(takes) if t.start < e and t.end > s] for s, e in arch]
    arch_iv = Intervals.from_seconds([s for s, _ in arch], [e for _, e in arch], "archive", media=media,
                                     data={"takes": _obj(members), "pad_s": np.full(len(arch), float(pad_s))})
    disc_iv = Intervals.from_seconds([s for s, _ in disc], [e for _, e in disc], "discard", media=media)
    cl = assembly.clapped
    clapped_iv = Intervals.from_seconds([c[0] for c in cl], [c[1] for c in cl], "slate",
                                        score=[c[2] for c in cl], media=media,
                                        data={"clap_t": np.asarray([c[3] for c in cl], dtype=np.float64),
                                              "confirmed_by": _obj(["clap"] * len(cl))})
    return {"takes": take_iv, "archive": arch_iv, "discard": disc_iv, "clapped_slates": clapped_iv}


def _obj(values: Sequence[Any]) -> np.ndarray[Any, np.dtype[np.object_]]:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out
