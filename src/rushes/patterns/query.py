"""The temporal query language: tokenizer, recursive-descent parser and syntax tree.

::

    query     := or_expr END
    or_expr   := and_expr ( "OR" and_expr )*
    and_expr  := rel_expr ( "AND" rel_expr )*
    rel_expr  := unary ( RELATION [distance] [ "~" distance ] unary )*
    unary     := "NOT" unary | primary
    primary   := selector | "(" or_expr ")"
    selector  := TRACK ":" ( LABEL | "\\"" quoted "\\"" )
    distance  := NUMBER [ "ms" | "s" | "m" | "min" | "h" ]        (default unit: seconds)
    RELATION  := BEFORE | AFTER | MEETS | MET_BY | OVERLAPS | OVERLAPPED_BY | STARTS
               | STARTED_BY | DURING | CONTAINS | FINISHES | FINISHED_BY | EQUALS
               | WITHIN | INTERSECTS                ("MET BY" etc. may be two words)

Keywords are case-insensitive; precedence from loose to tight is OR, AND, relations, NOT, and
every binary operator groups to the left. ``BEFORE``/``AFTER`` take an optional maximum gap
(``BEFORE 5s``), ``WITHIN`` a required one (``WITHIN 2s``); ``~0.5s`` after any relation is a
tolerance for "almost equal" endpoints (``MEETS ~0.2s``).

Errors are :class:`QuerySyntaxError` (a :class:`~rushes.errors.QueryError`) naming the 1-based
position and what was expected:

>>> try:
...     parse_query("tag:person AND )")
... except QueryError as exc:
...     print(exc)
expected a selector, NOT or '(' at position 16, got ')'

Evaluation lives in :mod:`rushes.patterns.engine`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

from rushes.errors import QueryError
from rushes.patterns.selectors import TRACK_RE, Selector, read_quoted

__all__ = [
    "MAX_DEPTH",
    "And",
    "Node",
    "Not",
    "Or",
    "QuerySyntaxError",
    "Relation",
    "SelectorNode",
    "Token",
    "parse_query",
    "to_text",
    "tokenize",
]

#: Deepest nesting of parentheses/NOT, and deepest syntax tree, accepted (deeper queries are
#: refused with a QueryError rather than risking Python's recursion limit).
MAX_DEPTH = 100


class QuerySyntaxError(QueryError):
    """A query that does not parse; ``position`` is 1-based."""

    def __init__(self, message: str, query: str, position: int) -> None:
        super().__init__(message)
        self.query = query
        self.position = position

    def caret(self) -> str:
        """The query with a caret under the offending position (for terminal output)."""
        return f"{self.query}\n{' ' * max(self.position - 1, 0)}^"


# -- syntax tree ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SelectorNode:
    """Rows of a track whose labels match."""

    selector: Selector
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Not:
    """Time of each media not covered by the operand."""

    operand: Node


@dataclass(frozen=True)
class And:
    """Time covered by both operands."""

    left: Node
    right: Node


@dataclass(frozen=True)
class Or:
    """Time covered by either operand."""

    left: Node
    right: Node


@dataclass(frozen=True)
class Relation:
    """Rows of ``left`` that stand in ``relation`` to some row of ``right``.

    ``relation`` is an Allen relation name, ``"within"`` or ``"intersects"``; ``distance`` is the
    maximum gap (before/after/within) and ``tolerance`` the endpoint tolerance, in seconds.
    """

    left: Node
    right: Node
    relation: str
    distance: Fraction | None = None
    tolerance: Fraction = Fraction(0)


Node = SelectorNode | Not | And | Or | Relation

_PRECEDENCE = {Or: 1, And: 2, Relation: 3, Not: 4, SelectorNode: 5}


def _fmt_seconds(value: Fraction) -> str:
    if value.denominator == 1:
        return f"{value.numerator}s"
    ms = value * 1000
    if ms.denominator == 1:
        return f"{ms.numerator}ms"
    return f"{float(value)!r}s"


def to_text(node: Node) -> str:
    """Canonical text of a tree; ``parse_query(to_text(t)) == t``."""
    if isinstance(node, SelectorNode):
        return str(node.selector)
    if isinstance(node, Not):
        inner = to_text(node.operand)
        return f"NOT {inner}" if _PRECEDENCE[type(node.operand)] >= 4 else f"NOT ({inner})"
    prec = _PRECEDENCE[type(node)]
    left, right = to_text(node.left), to_text(node.right)
    if _PRECEDENCE[type(node.left)] < prec:
        left = f"({left})"
    if _PRECEDENCE[type(node.right)] <= prec:
        right = f"({right})"
    if isinstance(node, And):
        op = "AND"
    elif isinstance(node, Or):
        op = "OR"
    else:
        op = node.relation.upper()
        if node.distance is not None:
            op += f" {_fmt_seconds(node.distance)}"
        if node.tolerance:
            op += f" ~{_fmt_seconds(node.tolerance)}"
    return f"{left} {op} {right}"


# -- tokenizer ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    """One lexical token; ``kind`` is KEYWORD, SELECTOR, NUMBER, '(', ')', '~' or END."""

    kind: str
    text: str
    position: int  # 1-based
    seconds: Fraction | None = None  # NUMBER tokens
    selector: Selector | None = None  # SELECTOR tokens


_RELATION_WORDS = {
    "BEFORE": "before", "AFTER": "after", "MEETS": "meets", "MET_BY": "met_by",
    "OVERLAPS": "overlaps", "OVERLAPPED_BY": "overlapped_by", "STARTS": "starts",
    "STARTED_BY": "started_by", "DURING": "during", "CONTAINS": "contains",
    "FINISHES": "finishes", "FINISHED_BY": "finished_by", "EQUALS": "equals",
    "WITHIN": "within", "INTERSECTS": "intersects",
}
_TWO_WORD = {"MET": "MET_BY", "OVERLAPPED": "OVERLAPPED_BY", "STARTED": "STARTED_BY", "FINISHED": "FINISHED_BY"}
_KEYWORDS = {"AND", "OR", "NOT", "BY", *_RELATION_WORDS, *_TWO_WORD}
_WORD_RE = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.\-]*")
_NUMBER_RE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)([A-Za-z]*)")
_UNITS = {"": Fraction(1), "s": Fraction(1), "sec": Fraction(1), "ms": Fraction(1, 1000),
          "m": Fraction(60), "min": Fraction(60), "h": Fraction(3600)}


def _describe(tok: Token) -> str:
    return "end of query" if tok.kind == "END" else repr(tok.text)


def tokenize(query: str) -> list[Token]:
    """Split a query into tokens (ending with an END token)."""
    if not isinstance(query, str):
        raise QueryError(f"a query must be text, got {type(query).__name__}")
    out: list[Token] = []
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c.isspace():
            i += 1
            continue
        if c in "()~":
            out.append(Token(c, c, i + 1))
            i += 1
            continue
        if c == '"':
            raise QuerySyntaxError(
                f"a quoted label needs a track at position {i + 1}: write track:\"...\"", query, i + 1)
        m = _WORD_RE.match(query, i)
        if m is None:
            raise QuerySyntaxError(f"unexpected character {c!r} at position {i + 1}", query, i + 1)
        word, end = m.group(), m.end()
        if end < n and query[end] == ":":
            out.append(_selector_token(query, i, word, end))
            i += len(out[-1].text)
            continue
        number = _NUMBER_RE.fullmatch(word)
        if number:
            unit = number.group(2).lower()
            if unit not in _UNITS:
                raise QuerySyntaxError(
                    f"unknown time unit {number.group(2)!r} at position {i + 1} (use ms, s, m or h)",
                    query, i + 1)
            out.append(Token("NUMBER", word, i + 1, seconds=Fraction(number.group(1)) * _UNITS[unit]))
        elif word.upper() in _KEYWORDS:
            out.append(Token("KEYWORD", word.upper(), i + 1))
        else:
            raise QuerySyntaxError(
                f"unknown word {word!r} at position {i + 1}; selectors look like track:label", query, i + 1)
        i = end
    out.append(Token("END", "", n + 1))
    return out


def _selector_token(query: str, start: int, track: str, colon: int) -> Token:
    if not TRACK_RE.fullmatch(track):
        raise QuerySyntaxError(f"bad track name {track!r} at position {start + 1}", query, start + 1)
    j = colon + 1
    if j < len(query) and query[j] == '"':
        try:
            label, end = read_quoted(query, j)
        except QueryError as exc:
            raise QuerySyntaxError(str(exc), query, j + 1) from None
        sel = Selector(track, label, exact=True)
    else:
        end = j
        while end < len(query) and not query[end].isspace() and query[end] not in '()"':
            end += 1
        if end == j:
            raise QuerySyntaxError(f"expected a label after '{track}:' at position {j + 1}", query, j + 1)
        sel = Selector(track, query[j:end])
    return Token("SELECTOR", query[start:end], start + 1, selector=sel)


# -- parser ---------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = tokenize(query)
        self.pos = 0
        self.depth = 0
        self.depths: dict[int, int] = {}
        self.keep: list[Node] = []

    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def fail(self, expected: str) -> QuerySyntaxError:
        tok = self.tok
        return QuerySyntaxError(
            f"expected {expected} at position {tok.position}, got {_describe(tok)}", self.query, tok.position)

    def is_keyword(self, *words: str) -> bool:
        return self.tok.kind == "KEYWORD" and self.tok.text in words

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QuerySyntaxError(
                f"query nested too deeply (more than {MAX_DEPTH} levels) at position {self.tok.position}",
                self.query, self.tok.position)

    def parse(self) -> Node:
        node = self.or_expr()
        if self.tok.kind != "END":
            raise self.fail("AND, OR, a relation or the end of the query")
        return node

    def grow(self, node: Node, *children: Node) -> Node:
        """Record the depth of a new tree node, refusing trees deeper than MAX_DEPTH."""
        depth = 1 + max(self.depths.get(id(c), 1) for c in children)
        if depth > MAX_DEPTH:
            raise QuerySyntaxError(
                f"query too long: more than {MAX_DEPTH} nested operators at position {self.tok.position}",
                self.query, self.tok.position)
        self.keep.append(node)  # keeps ids unique while the parse runs
        self.depths[id(node)] = depth
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.is_keyword("OR"):
            self.pos += 1
            right = self.and_expr()
            node = self.grow(Or(node, right), node, right)
        return node

    def and_expr(self) -> Node:
        node = self.rel_expr()
        while self.is_keyword("AND"):
            self.pos += 1
            right = self.rel_expr()
            node = self.grow(And(node, right), node, right)
        return node

    def rel_expr(self) -> Node:
        node = self.unary()
        while self.tok.kind == "KEYWORD" and (self.tok.text in _RELATION_WORDS or self.tok.text in _TWO_WORD):
            relation, distance, tolerance = self.relation_op()
            right = self.unary()
            node = self.grow(Relation(node, right, relation, distance, tolerance), node, right)
        return node

    def relation_op(self) -> tuple[str, Fraction | None, Fraction]:
        word = self.tok.text
        self.pos += 1
        if word in _TWO_WORD:
            if not self.is_keyword("BY"):
                raise self.fail(f"BY after {word}")
            self.pos += 1
            word = _TWO_WORD[word]
        relation = _RELATION_WORDS[word]
        distance: Fraction | None = None
        if self.tok.kind == "NUMBER":
            if relation not in ("before", "after", "within"):
                raise QuerySyntaxError(
                    f"{word} takes no distance at position {self.tok.position}; "
                    "write ~0.5s for a tolerance", self.query, self.tok.position)
            distance = self.tok.seconds
            self.pos += 1
        elif relation == "within":
            raise self.fail("a distance after WITHIN (e.g. WITHIN 2s)")
        tolerance = Fraction(0)
        if self.tok.kind == "~":
            self.pos += 1
            if self.tok.kind != "NUMBER":
                raise self.fail("a tolerance after '~' (e.g. ~0.5s)")
            tolerance = self.tok.seconds or Fraction(0)
            self.pos += 1
        return relation, distance, tolerance

    def unary(self) -> Node:
        if self.is_keyword("NOT"):
            self.enter()
            self.pos += 1
            operand = self.unary()
            self.depth -= 1
            return self.grow(Not(operand), operand)
        return self.primary()

    def primary(self) -> Node:
        tok = self.tok
        if tok.kind == "(":
            self.enter()
            self.pos += 1
            node = self.or_expr()
            if self.tok.kind != ")":
                raise self.fail("')'")
            self.pos += 1
            self.depth -= 1
            return node
        if tok.kind == "SELECTOR" and tok.selector is not None:
            self.pos += 1
            return SelectorNode(tok.selector, tok.position)
        raise self.fail("a selector, NOT or '('")


def parse_query(query: str) -> Node:
    """Parse a query into its syntax tree (raises :class:`QuerySyntaxError`).

    >>> to_text(parse_query('tag:person during track:takes and not ocr:*'))
    'tag:person DURING track:takes AND NOT ocr:*'
    """
    return _Parser(query).parse()
