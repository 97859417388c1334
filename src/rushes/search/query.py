"""The search query language: free text plus a few operators.

::

    a man riding a horse at sunset        free text: one clause, matched by everything that can see,
                                          hear or read (tags, CLIP, transcript, OCR)
    person AND horse                      both, at the same time in the same file
    cat OR dog                            either (AND binds tighter than OR)
    horse -text                           hard negation: drop moments where "text" is matched
    said:"cut"   said:action              only the transcript (the speech ``words`` track)
    ocr:"scene 12"   written:exit         only text read on frames (``ocr`` / slate tracks)
    tag:car                               only tag tracks (labels and their synonyms)
    seen:"red car"                        only what is seen (CLIP when installed, else tags)

Plain words next to each other form one free-text clause; a fielded or negated term is a clause
of its own, ANDed with its neighbours. :func:`parse_query` returns the disjunctive normal form
(a tuple of AND-groups) and raises :class:`~rushes.errors.QueryError` for anything malformed —
an unbalanced quote, a dangling operator, an unknown field, a group with no positive term.

>>> parse_query('horse -text said:"cut"').groups[0]
(Term(field='any', text='horse', negated=False, phrase=False), Term(field='any', text='text', negated=True, \
phrase=False), Term(field='said', text='cut', negated=False, phrase=True))
"""

from __future__ import annotations

from dataclasses import dataclass

from rushes.errors import QueryError

__all__ = ["FIELDS", "Query", "Term", "parse_query"]

#: field name → canonical field
FIELDS = {
    "any": "any", "seen": "seen", "visual": "seen", "said": "said", "speech": "said", "words": "said",
    "ocr": "ocr", "written": "ocr", "text": "ocr", "tag": "tag", "tags": "tag", "label": "tag",
}
_MAX_LENGTH = 1000


@dataclass(frozen=True)
class Term:
    """One clause: ``field`` (any, seen, said, ocr, tag), its text, negation, quoted or not."""

    field: str
    text: str
    negated: bool = False
    phrase: bool = False

    def __str__(self) -> str:
        body = f'"{self.text}"' if self.phrase or " " in self.text else self.text
        prefix = "" if self.field == "any" else f"{self.field}:"
        return f"{'-' if self.negated else ''}{prefix}{body}"


@dataclass(frozen=True)
class Query:
    """Disjunctive normal form: any group may match; within a group every term must."""

    groups: tuple[tuple[Term, ...], ...]
    raw: str = ""

    def positives(self) -> list[Term]:
        return [t for g in self.groups for t in g if not t.negated]

    def __str__(self) -> str:
        return " OR ".join(" AND ".join(str(t) for t in g) for g in self.groups)


@dataclass(frozen=True)
class _Tok:
    kind: str  # word, phrase, and, or
    text: str
    field: str | None = None
    negated: bool = False
    pos: int = 0


def _lex(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        start = i
        negated = False
        if ch == "-" and i + 1 < n and not text[i + 1].isspace():
            negated = True
            i += 1
        field = None
        # field prefix: letters then ':'
        j = i
        while j < n and (text[j].isalpha() or text[j] == "_"):
            j += 1
        if j < n and text[j] == ":" and j > i:
            name = text[i:j].lower()
            if name not in FIELDS:
                raise QueryError(f"unknown field {name!r} at column {i + 1}; use one of: "
                                 f"{', '.join(sorted(set(FIELDS) - {'any'}))}")
            field = FIELDS[name]
            i = j + 1
            if i >= n or text[i].isspace():
                raise QueryError(f"{name}: needs a value (e.g. {name}:\"cut\")")
        if i < n and text[i] == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise QueryError(f"unbalanced quote at column {i + 1}")
            body = " ".join(text[i + 1:end].split())
            if not body:
                raise QueryError(f"empty quotes at column {i + 1}")
            toks.append(_Tok("phrase", body, field, negated, start))
            i = end + 1
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] != '"':
            j += 1
        word = text[i:j]
        i = j
        if not word:
            raise QueryError(f"nothing after '-' at column {start + 1}")
        if field is None and not negated and word in ("AND", "&&"):
            toks.append(_Tok("and", word, pos=start))
        elif field is None and not negated and word in ("OR", "||"):
            toks.append(_Tok("or", word, pos=start))
        else:
            toks.append(_Tok("word", word, field, negated, start))
    return toks


def parse_query(text: str) -> Query:
    """Parse a query string (see the module docstring); raises :class:`QueryError`."""
    if not isinstance(text, str):
        raise QueryError("the query must be text")
    if len(text) > _MAX_LENGTH:
        raise QueryError(f"query too long ({len(text)} characters; at most {_MAX_LENGTH})")
    toks = _lex(text)
    if not toks:
        raise QueryError("empty query")
    groups: list[tuple[Term, ...]] = []
    current: list[Term] = []
    words: list[str] = []
    expect_operand = True

    def flush_words() -> None:
        if words:
            current.append(Term("any", " ".join(words)))
            words.clear()

    for tok in toks:
        if tok.kind in ("and", "or"):
            if expect_operand:
                raise QueryError(f"'{tok.text}' at column {tok.pos + 1} needs a term before it")
            flush_words()
            if tok.kind == "or":
                groups.append(tuple(current))
                current = []
            expect_operand = True
            continue
        expect_operand = False
        if tok.kind == "word" and tok.field is None and not tok.negated:
            words.append(tok.text)
            continue
        flush_words()
        current.append(Term(tok.field or "any", tok.text, tok.negated, tok.kind == "phrase"))
    if expect_operand:
        raise QueryError(f"the query ends with '{toks[-1].text}': a term must follow it")
    flush_words()
    groups.append(tuple(current))
    for g in groups:
        if not any(not t.negated for t in g):
            raise QueryError("every part of a query needs a positive term (negation alone matches nothing)")
        for t in g:
            if not any(c.isalnum() for c in t.text):
                raise QueryError(f"term {str(t)!r} has no letters or digits")
    return Query(tuple(groups), text)
