"""Spotting set commands in a transcript, with rules that tell a director's call from dialogue.

A word recogniser cannot tell "Cut!" from "I'll cut the bread". On set, though, commands are
*called*: short, alone or with a filler ("and cut", "okay, cut!", "cut, reset"), at the edge
of an utterance, and they alternate (action → cut → action ...). :func:`spot_commands` turns
the words of each utterance (one voiced region) into accepted :class:`Command` objects; every
acceptance records its ``rule``:

``phrase``
    a multi-word command ("background action", "check the gate"): unambiguous.
``isolated``
    the utterance holds only commands and fillers ("Cut!", "Okay, cut.", "Cut, reset!",
    "Rolling", "Speed", "Marker") and at most ``max_isolated_words`` words.
``and_call``
    "and" right before the command, which ends its utterance ("... and action!").
``alternation``
    "cut" ending an utterance when the previous accepted action/cut is an "action"; "action"
    opening an utterance when the previous one is a "cut" (or none) *and* a set-up call
    ("rolling", "speed", "mark", "reset") was accepted shortly before.

Near misses never match: matching is on whole normalised words, so "but", "cat", "cup",
"cutters", "cutlery", "auction", "traction" and "abstractions" are simply other words. A
command inside running dialogue ("we cut the scene", "mark my words", "speed up") matches no
rule and is rejected. Calls of the same command less than ``merge_s`` apart ("Cut! Cut!") are
one command.

The labels are exactly :data:`COMMAND_LABELS`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "COMMAND_LABELS",
    "FILLERS",
    "PHRASES",
    "Command",
    "RuleParams",
    "TokenWord",
    "spot_commands",
    "tokens_of",
]

#: every label the ``commands`` track can hold
COMMAND_LABELS: tuple[str, ...] = (
    "action", "cut", "rolling", "speed", "mark", "reset", "background_action", "check_the_gate",
)

#: spoken forms of each command (normalised tokens), longest first when matching
PHRASES: dict[str, tuple[tuple[str, ...], ...]] = {
    "background_action": (("background", "action"), ("backgrounds", "action")),
    "check_the_gate": (("check", "the", "gate"), ("check", "gate"), ("checking", "the", "gate"),
                       ("gate", "check")),
    "action": (("action",),),
    "cut": (("cut",),),
    "rolling": (("rolling",), ("roll", "camera"), ("camera", "rolling"), ("sound", "rolling")),
    "speed": (("speed",), ("speeding",), ("sound", "speed")),
    "mark": (("mark",), ("marker",), ("mark", "it")),
    "reset": (("reset",), ("resetting",), ("back", "to", "one"), ("back", "to", "ones")),
}

#: words that may surround a called command without making it dialogue
FILLERS: frozenset[str] = frozenset({
    "and", "aaand", "okay", "ok", "alright", "all", "right", "please", "everyone", "everybody",
    "guys", "folks", "still", "um", "uh", "oh", "good", "great", "thanks", "thank", "you", "lets",
    "let's", "go", "again", "back", "to", "one", "ones", "one's", "now", "quiet", "settle", "so",
    "yes", "yeah", "here", "we", "are", "thats", "that's", "it", "very", "nice", "is",
    "camera", "sound", "going", "hey", "there", "cameras", "last", "looks", "the",
})

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def tokens_of(text: str) -> list[str]:
    """Normalised tokens of ``text``: lower case, punctuation and hyphens split away."""
    return _TOKEN.findall(text.lower().replace("’", "'"))


@dataclass(frozen=True)
class TokenWord:
    """A recognised word as the rules see it: normalised token, times, probability, utterance."""

    token: str
    start: float
    end: float
    probability: float
    utterance: int


@dataclass(frozen=True)
class Command:
    """One accepted set command."""

    label: str
    start: float
    """Recogniser start time of its first word (refined later; see ``refine``)."""
    end: float
    """Recogniser end time of its last word."""
    probability: float
    """Lowest word probability of the phrase."""
    rule: str
    utterance: int
    first_word: int
    """Index (in the word list given to :func:`spot_commands`) of its first word."""
    word_indices: tuple[int, ...]
    """Indices (in that list) of all its words."""
    n_words: int
    isolated: bool


@dataclass(frozen=True)
class RuleParams:
    """Settings of the rules (part of the ``commands`` analyzer's cache key)."""

    min_probability: float = 0.05
    """Words the recogniser is less sure of are ignored (hallucinations on noise score ~0;
    tiny.en gives a lone "Cut," after silence only ~0.1)."""
    max_isolated_words: int = 5
    merge_s: float = 2.0
    alternation: bool = True
    alternation_max_gap_s: float = 900.0
    """An action → cut pair further apart than this gives no support."""
    setup_window_s: float = 60.0
    """An "action" opening a longer utterance needs an accepted set-up call ("rolling", "speed",
    "mark", "reset") at most this long before it."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_probability <= 1.0:
            raise ValueError("min_probability must be within 0..1")
        if self.max_isolated_words < 1:
            raise ValueError("max_isolated_words must be >= 1")


def _expand(words: Sequence[TokenWord]) -> tuple[list[TokenWord], list[int]]:
    """Split multi-token words ("cut-cut", "o.k.") into one entry per token (same times), in
    time order; also return each entry's index in ``words``."""
    out: list[TokenWord] = []
    src: list[int] = []
    order = sorted(range(len(words)), key=lambda k: (words[k].start, words[k].end))
    for k in order:
        w = words[k]
        for t in tokens_of(w.token):
            out.append(TokenWord(t, w.start, w.end, w.probability, w.utterance))
            src.append(k)
    return out, src


@dataclass
class _Cand:
    label: str
    first: int
    n: int
    utterance: int
    words: list[TokenWord]


def _match_utterance(words: list[TokenWord], offset: int) -> list[_Cand]:
    toks = [w.token for w in words]
    found: list[_Cand] = []
    i = 0
    while i < len(toks):
        hit = None
        for n, label, form in _FORMS:
            if tuple(toks[i : i + n]) == form:
                hit = (label, n)
                break
        if hit is None:
            i += 1
            continue
        label, n = hit
        found.append(_Cand(label, offset + i, n, words[i].utterance, words[i : i + n]))
        i += n
    return found


def spot_commands(words: Sequence[TokenWord], params: RuleParams | None = None) -> list[Command]:
    """Accepted commands among ``words`` (sorted by time), each with the rule that accepted it."""
    p = params or RuleParams()
    expanded, src = _expand(words)
    by_utt: dict[int, list[int]] = {}
    for k, w in enumerate(expanded):
        by_utt.setdefault(w.utterance, []).append(k)
    pending: list[tuple[_Cand, str | None, bool, bool, bool]] = []  # cand, rule, isolated, at_end, at_start
    for idx in by_utt.values():
        uw = [expanded[k] for k in idx]
        cands = _match_utterance(uw, idx[0])
        covered = {c.first - idx[0] + j for c in cands for j in range(c.n)}
        others = [w.token for j, w in enumerate(uw) if j not in covered]
        only_fillers = all(t in FILLERS for t in others)
        for c in cands:
            if min(w.probability for w in c.words) < p.min_probability:
                continue
            local = c.first - idx[0]
            before = [w.token for w in uw[:local]]
            after = [w.token for w in uw[local + c.n :]]
            at_end = all(t in FILLERS or t in _COMMAND_TOKENS for t in after)
            at_start = all(t in FILLERS for t in before)
            isolated = only_fillers and len(uw) <= p.max_isolated_words
            rule: str | None = None
            if c.n > 1 and c.label in ("background_action", "check_the_gate"):
                rule = "phrase"
            elif isolated:
                rule = "isolated"
            elif before and before[-1] in ("and", "aaand") and at_end:
                rule = "and_call"
            pending.append((c, rule, isolated, at_end, at_start))
    pending.sort(key=lambda x: x[0].words[0].start)
    accepted: list[Command] = []
    last_ac: Command | None = None  # last accepted action or cut
    for c, rule, isolated, at_end, at_start in pending:
        t0 = c.words[0].start
        if rule is None and p.alternation and c.label in ("action", "cut"):
            prev = last_ac
            fits = prev is not None and t0 - prev.start <= p.alternation_max_gap_s
            cut_closes = c.label == "cut" and at_end and fits and prev is not None and prev.label == "action"
            action_opens = (
                c.label == "action" and at_start and (prev is None or prev.label == "cut")
                and any(a.label in _SETUP_CALLS and t0 - a.start <= p.setup_window_s for a in accepted[-4:])
            )
            if cut_closes or action_opens:
                rule = "alternation"
        if rule is None:
            continue
        cmd = Command(
            label=c.label, start=t0, end=c.words[-1].end,
            probability=min(w.probability for w in c.words), rule=rule, utterance=c.utterance,
            first_word=src[c.first], word_indices=tuple(dict.fromkeys(src[c.first : c.first + c.n])),
            n_words=c.n, isolated=isolated,
        )
        if accepted and any(a.label == cmd.label and cmd.start - a.start < p.merge_s for a in accepted[-3:]):
            continue
        accepted.append(cmd)
        if cmd.label in ("action", "cut"):
            last_ac = cmd
    return accepted


#: (length, label, form) of every spoken form, longest first
_FORMS: tuple[tuple[int, str, tuple[str, ...]], ...] = tuple(sorted(
    ((len(form), label, form) for label, forms in PHRASES.items() for form in forms), key=lambda x: -x[0]))
_SETUP_CALLS = frozenset({"rolling", "speed", "mark", "reset"})
_COMMAND_TOKENS: frozenset[str] = frozenset(t for forms in PHRASES.values() for f in forms for t in f)
