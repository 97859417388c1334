"""Pattern definitions (TOML): which tags count for or against a conceptual pattern.

A pattern file (see ``docs/patterns.md`` for the full reference)::

    name = "ending"
    step = 0.1          # seconds per sample of the intensity curve
    threshold = 1.0     # samples with intensity >= threshold are hits
    min_length = 1.0    # drop hits shorter than this (seconds)
    merge_gap = 0.5     # join hits separated by at most this (seconds)
    score = "mean"      # hit score: "mean" or "peak" intensity

    [weights]           # selector = weight (negative: evidence against)
    "tag:logo" = 1.5
    "tag:person" = -1

    [[tag]]             # the long form, with per-tag options
    select = "ocr:*"
    weight = 0.5
    min_score = 0.6                                    # ignore less confident rows
    confidence = { shape = "sigmoid", center = 0.7, slope = 12 }   # fuzzy mode
    duration = { shape = "trapezoid", points = [0, 0.5, 20, 60] }  # fuzzy mode

    [fuzzy]             # only with mode = "fuzzy"
    tnorm = "product"   # AND: "min" or "product"
    tconorm = "probsum" # OR: "max" or "probsum"
    positive = "any"    # positive tags combined with OR ("any") or AND ("all")

Every problem is reported as a :class:`~rushes.errors.QueryError` naming the file, the key and
what was expected.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from rushes.errors import QueryError
from rushes.patterns._units import as_seconds
from rushes.patterns.fuzzy import TCONORMS, TNORMS, Membership, membership_from_config
from rushes.patterns.selectors import Selector, parse_selector

__all__ = ["PatternDef", "TagRule", "builtin_patterns", "find_pattern", "load_pattern", "parse_pattern"]

_TOP_KEYS = {"name", "description", "mode", "step", "threshold", "min_length", "merge_gap", "score",
             "weights", "tag", "fuzzy"}
_TAG_KEYS = {"select", "weight", "min_score", "confidence", "duration"}
_FUZZY_KEYS = {"tnorm", "tconorm", "positive"}


@dataclass(frozen=True)
class TagRule:
    """One weighted selector of a pattern.

    ``weight`` is added to the intensity wherever a selected row is present (weighted mode); in
    fuzzy mode its sign says for/against and its magnitude (capped at 1) scales the membership.
    ``min_score`` drops rows with a lower score; ``confidence``/``duration`` are fuzzy
    membership functions of a row's score and length in seconds.
    """

    selector: Selector
    weight: float
    min_score: float = 0.0
    confidence: Membership | None = None
    duration: Membership | None = None


@dataclass(frozen=True)
class PatternDef:
    """A conceptual pattern: weighted tags, sampling and hit extraction parameters."""

    name: str
    rules: tuple[TagRule, ...]
    step: Fraction = Fraction(1, 10)
    threshold: float = 1.0
    min_length: Fraction = Fraction(0)
    merge_gap: Fraction = Fraction(0)
    score: str = "mean"
    mode: str = "weighted"
    tnorm: str = "min"
    tconorm: str = "max"
    positive: str = "any"
    description: str = ""
    source: str = field(default="<string>", compare=False)

    def __post_init__(self) -> None:
        where = self.source
        if not self.rules:
            raise QueryError(f"{where}: a pattern needs at least one tag ([weights] or [[tag]])")
        if self.step <= 0:
            raise QueryError(f"{where}: step must be > 0 seconds")
        if self.score not in ("mean", "peak"):
            raise QueryError(f"{where}: score must be \"mean\" or \"peak\", got {self.score!r}")
        if self.mode not in ("weighted", "fuzzy"):
            raise QueryError(f"{where}: mode must be \"weighted\" or \"fuzzy\", got {self.mode!r}")
        if self.tnorm not in TNORMS:
            raise QueryError(f"{where}: fuzzy.tnorm must be one of {', '.join(TNORMS)}, got {self.tnorm!r}")
        if self.tconorm not in TCONORMS:
            raise QueryError(f"{where}: fuzzy.tconorm must be one of {', '.join(TCONORMS)}, got {self.tconorm!r}")
        if self.positive not in ("any", "all"):
            raise QueryError(f"{where}: fuzzy.positive must be \"any\" or \"all\", got {self.positive!r}")

    def to_toml(self) -> str:
        """The definition as TOML text (``parse_pattern(p.to_toml()) == p``)."""
        lines = [f"name = {_toml_str(self.name)}"]
        if self.description:
            lines.append(f"description = {_toml_str(self.description)}")
        lines += [
            f'mode = "{self.mode}"', f"step = {_toml_num(self.step)}", f"threshold = {self.threshold!r}",
            f"min_length = {_toml_num(self.min_length)}", f"merge_gap = {_toml_num(self.merge_gap)}",
            f'score = "{self.score}"',
        ]
        for rule in self.rules:
            lines += ["", "[[tag]]", f"select = {_toml_str(str(rule.selector))}", f"weight = {rule.weight!r}"]
            if rule.min_score:
                lines.append(f"min_score = {rule.min_score!r}")
            for key, mf in (("confidence", rule.confidence), ("duration", rule.duration)):
                if mf is not None:
                    lines.append(f"{key} = {_toml_membership(mf)}")
        if self.mode == "fuzzy":
            lines += ["", "[fuzzy]", f'tnorm = "{self.tnorm}"', f'tconorm = "{self.tconorm}"',
                      f'positive = "{self.positive}"']
        return "\n".join(lines) + "\n"


def _toml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_num(value: Fraction) -> str:
    return repr(float(value)) if value.denominator != 1 else str(value.numerator)


def _toml_membership(mf: Membership) -> str:
    parts = [f'shape = "{mf.shape}"']
    if mf.points:
        parts.append("points = [" + ", ".join(repr(p) for p in mf.points) + "]")
    if mf.shape == "sigmoid":
        parts += [f"center = {mf.center!r}", f"slope = {mf.slope!r}"]
    if mf.shape == "constant":
        parts.append(f"value = {mf.value!r}")
    return "{ " + ", ".join(parts) + " }"


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise QueryError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _seconds(value: Any, where: str, *, positive: bool = False) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise QueryError(f"{where}: expected a number of seconds, got {value!r}")
    try:
        return as_seconds(value, where, allow_zero=not positive)
    except QueryError as exc:
        raise QueryError(f"{where}: expected a number of seconds {'> 0' if positive else '>= 0'}, "
                         f"got {value!r}") from exc


def _string(value: Any, where: str, choices: tuple[str, ...] | None = None) -> str:
    if not isinstance(value, str) or (choices is not None and value not in choices):
        expected = "a string" if choices is None else "one of " + ", ".join(f'"{c}"' for c in choices)
        raise QueryError(f"{where}: expected {expected}, got {value!r}")
    return value


def _check_keys(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise QueryError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")


def _selector(text: Any, where: str) -> Selector:
    if not isinstance(text, str):
        raise QueryError(f"{where}: expected a selector string like \"tag:person\", got {text!r}")
    try:
        return parse_selector(text)
    except QueryError as exc:
        raise QueryError(f"{where}: {exc}") from None


def _rules(doc: Mapping[str, Any], src: str) -> tuple[TagRule, ...]:
    rules: list[TagRule] = []
    weights = doc.get("weights", {})
    if not isinstance(weights, Mapping):
        raise QueryError(f"{src}: [weights] must be a table of \"track:label\" = weight")
    for key, value in weights.items():
        where = f"{src}: weights.{_toml_str(key)}"
        rules.append(TagRule(_selector(key, where), _number(value, where)))
    tags = doc.get("tag", [])
    if not isinstance(tags, list):
        raise QueryError(f"{src}: tag must be an array of tables ([[tag]])")
    for k, table in enumerate(tags):
        where = f"{src}: tag[{k}]"
        if not isinstance(table, Mapping):
            raise QueryError(f"{where}: expected a table ([[tag]])")
        _check_keys(table, _TAG_KEYS, where)
        if "select" not in table or "weight" not in table:
            raise QueryError(f"{where}: needs both 'select' (\"track:label\") and 'weight'")
        min_score = _number(table.get("min_score", 0.0), f"{where}.min_score")
        conf = table.get("confidence")
        dur = table.get("duration")
        rules.append(TagRule(
            _selector(table["select"], f"{where}.select"), _number(table["weight"], f"{where}.weight"),
            min_score,
            None if conf is None else membership_from_config(conf, f"{where}.confidence"),
            None if dur is None else membership_from_config(dur, f"{where}.duration"),
        ))
    seen: set[Selector] = set()
    for rule in rules:
        if rule.selector in seen:
            raise QueryError(f"{src}: tag {str(rule.selector)!r} is listed twice")
        seen.add(rule.selector)
    return tuple(rules)


def parse_pattern(doc: Mapping[str, Any] | str, source: str = "<string>") -> PatternDef:
    """Validate a parsed TOML document (or TOML text) into a :class:`PatternDef`.

    >>> p = parse_pattern('name = "ending"\\n[weights]\\n"tag:logo" = 1.5\\n"tag:person" = -1\\n')
    >>> p.name, [(str(r.selector), r.weight) for r in p.rules], p.step
    ('ending', [('tag:logo', 1.5), ('tag:person', -1.0)], Fraction(1, 10))
    """
    if isinstance(doc, str):
        try:
            doc = tomllib.loads(doc)
        except tomllib.TOMLDecodeError as exc:
            raise QueryError(f"{source}: not valid TOML ({exc})") from None
    src = source
    _check_keys(doc, _TOP_KEYS, src)
    if "name" not in doc:
        raise QueryError(f"{src}: missing key 'name' (the pattern's name, a string)")
    fuzzy = doc.get("fuzzy", {})
    if not isinstance(fuzzy, Mapping):
        raise QueryError(f"{src}: [fuzzy] must be a table")
    _check_keys(fuzzy, _FUZZY_KEYS, f"{src}: fuzzy")
    return PatternDef(
        name=_string(doc["name"], f"{src}: name"),
        rules=_rules(doc, src),
        step=_seconds(doc.get("step", 0.1), f"{src}: step", positive=True),
        threshold=_number(doc.get("threshold", 1.0), f"{src}: threshold"),
        min_length=_seconds(doc.get("min_length", 0), f"{src}: min_length"),
        merge_gap=_seconds(doc.get("merge_gap", 0), f"{src}: merge_gap"),
        score=_string(doc.get("score", "mean"), f"{src}: score", ("mean", "peak")),
        mode=_string(doc.get("mode", "weighted"), f"{src}: mode", ("weighted", "fuzzy")),
        tnorm=_string(fuzzy.get("tnorm", "min"), f"{src}: fuzzy.tnorm", TNORMS),
        tconorm=_string(fuzzy.get("tconorm", "max"), f"{src}: fuzzy.tconorm", TCONORMS),
        positive=_string(fuzzy.get("positive", "any"), f"{src}: fuzzy.positive", ("any", "all")),
        description=_string(doc.get("description", ""), f"{src}: description"),
        source=src,
    )


def builtin_patterns() -> dict[str, Path]:
    """The pattern files shipped with rushes (``rushes/data/patterns``): name → path."""
    folder = Path(__file__).resolve().parent.parent / "data" / "patterns"
    return {p.stem: p for p in sorted(folder.glob("*.toml"))}


def find_pattern(name_or_path: str | Path) -> Path:
    """A pattern file by path, or by the name of a shipped pattern (``ending``, ``slate_moment``)."""
    p = Path(name_or_path)
    if p.is_file():
        return p
    shipped = builtin_patterns()
    if str(name_or_path) in shipped:
        return shipped[str(name_or_path)]
    raise QueryError(f"{p}: pattern file not found (shipped patterns: {', '.join(shipped) or 'none'})")


def load_pattern(path: str | Path) -> PatternDef:
    """Read and validate a pattern TOML file (or a shipped pattern, by name)."""
    p = Path(path)
    if not p.exists() and str(path) in builtin_patterns():
        p = builtin_patterns()[str(path)]
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QueryError(f"{p}: pattern file not found (shipped patterns: {', '.join(builtin_patterns())})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryError(f"{p}: cannot read pattern file ({exc})") from None
    return parse_pattern(text, source=str(p))
