"""Query language: tokenizer, parser, errors, canonical text, fuzzing."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rushes.errors import QueryError
from rushes.intervals import Intervals
from rushes.patterns.engine import evaluate_query
from rushes.patterns.query import (
    MAX_DEPTH,
    And,
    Not,
    Or,
    QuerySyntaxError,
    Relation,
    SelectorNode,
    parse_query,
    to_text,
    tokenize,
)
from rushes.patterns.selectors import Selector, parse_selector
from rushes.patterns.sources import DictTrackSource


def sel(track: str, label: str, exact: bool = False) -> SelectorNode:
    return SelectorNode(Selector(track, label, exact))


def test_brief_example_parses_with_the_documented_precedence():
    tree = parse_query("tag:person DURING track:takes AND NOT ocr:*")
    assert tree == And(Relation(sel("tag", "person"), sel("track", "takes"), "during"), Not(sel("ocr", "*")))


def test_precedence_and_associativity():
    a, b, c = sel("t", "a"), sel("t", "b"), sel("t", "c")
    assert parse_query("t:a OR t:b AND t:c") == Or(a, And(b, c))
    assert parse_query("t:a AND t:b OR t:c") == Or(And(a, b), c)
    assert parse_query("t:a AND (t:b OR t:c)") == And(a, Or(b, c))
    assert parse_query("NOT t:a DURING t:b") == Relation(Not(a), b, "during")
    assert parse_query("t:a DURING t:b BEFORE t:c") == Relation(Relation(a, b, "during"), c, "before")
    assert parse_query("not t:a and not t:b") == And(Not(a), Not(b))


def test_relations_distances_tolerances_and_two_word_inverses():
    a, b = sel("t", "a"), sel("t", "b")
    assert parse_query("t:a BEFORE 5s t:b") == Relation(a, b, "before", Fraction(5))
    assert parse_query("t:a after 250ms t:b") == Relation(a, b, "after", Fraction(1, 4))
    assert parse_query("t:a WITHIN 2 t:b") == Relation(a, b, "within", Fraction(2))
    assert parse_query("t:a within 1.5m t:b") == Relation(a, b, "within", Fraction(90))
    assert parse_query("t:a MEETS ~0.2s t:b") == Relation(a, b, "meets", None, Fraction(1, 5))
    assert parse_query("t:a BEFORE 5s ~0.1s t:b") == Relation(a, b, "before", Fraction(5), Fraction(1, 10))
    for words, name in [("MET BY", "met_by"), ("overlapped by", "overlapped_by"), ("STARTED_BY", "started_by"),
                        ("Finished By", "finished_by"), ("CONTAINS", "contains"), ("EQUALS", "equals"),
                        ("INTERSECTS", "intersects"), ("STARTS", "starts"), ("FINISHES", "finishes"),
                        ("OVERLAPS", "overlaps"), ("MEETS", "meets")]:
        assert parse_query(f"t:a {words} t:b") == Relation(a, b, name)


def test_selectors_quoted_wildcards_and_odd_track_names():
    assert parse_query('said:"cut"') == sel("said", "cut", exact=True)
    assert parse_query('ocr:"THE END" AND tag:lo*') == And(sel("ocr", "THE END", True), sel("tag", "lo*"))
    assert parse_query('ocr:"say \\"hi\\""') == sel("ocr", 'say "hi"', True)
    assert parse_query("cam-a.v2:person") == sel("cam-a.v2", "person")
    assert parse_query("during:x DURING and:y") == Relation(sel("during", "x"), sel("and", "y"), "during")
    assert parse_query("tag:a:b") == sel("tag", "a:b")
    assert parse_selector("  ocr:*  ") == Selector("ocr", "*")
    assert parse_selector("ocr:THE END") == Selector("ocr", "THE END")
    for bad in ("person", ":x", "tag:", 'tag:"x" y', 'tag:"open'):
        with pytest.raises(QueryError):
            parse_selector(bad)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("tag:person AND )", "expected a selector, NOT or '(' at position 16, got ')'"),
        ("tag:person DURING", "expected a selector, NOT or '(' at position 18, got end of query"),
        ("(tag:a OR tag:b", "expected ')' at position 16, got end of query"),
        ("tag:a tag:b", "expected AND, OR, a relation or the end of the query at position 7, got 'tag:b'"),
        ("tag:a OVERLAPPED tag:b", "expected BY after OVERLAPPED at position 18, got 'tag:b'"),
        ("tag:a WITHIN tag:b", "expected a distance after WITHIN (e.g. WITHIN 2s) at position 14"),
        ("tag:a MEETS 2s tag:b", "MEETS takes no distance at position 13"),
        ("tag:a BEFORE 5x tag:b", "unknown time unit 'x' at position 14"),
        ("tag:a BEFORE ~ tag:b", "expected a tolerance after '~' (e.g. ~0.5s) at position 16"),
        ("person", "unknown word 'person' at position 1; selectors look like track:label"),
        ('"cut"', "a quoted label needs a track at position 1"),
        ("tag:a & tag:b", "unexpected character '&' at position 7"),
        ("tag:", "expected a label after 'tag:' at position 5"),
        ('said:"cut', "unterminated quoted label"),
        ("", "expected a selector, NOT or '(' at position 1, got end of query"),
    ],
)
def test_errors_name_the_position_and_the_expected_token(query, message):
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(query)
    assert message in str(info.value)
    assert 1 <= info.value.position <= len(query) + 1
    assert info.value.caret().endswith("^")


def test_deep_nesting_is_refused_not_crashed_on():
    with pytest.raises(QueryError, match="nested too deeply"):
        parse_query("(" * 5000 + "tag:a" + ")" * 5000)
    with pytest.raises(QueryError):
        parse_query("NOT " * 5000 + "tag:a")
    with pytest.raises(QueryError, match="too long"):
        parse_query(" AND ".join(["tag:a"] * 5000))
    tree = parse_query(" OR ".join(["tag:a"] * (MAX_DEPTH - 1)))
    assert parse_query(to_text(tree)) == tree


def test_tokenizer_positions_are_one_based():
    toks = tokenize("x:y BEFORE 5s ~1s z:w")
    assert [(t.kind, t.position) for t in toks] == [
        ("SELECTOR", 1), ("KEYWORD", 5), ("NUMBER", 12), ("~", 15), ("NUMBER", 16), ("SELECTOR", 19), ("END", 22)
    ]
    with pytest.raises(QueryError):
        tokenize(None)  # type: ignore[arg-type]


# -- canonical text round trip ---------------------------------------------------------------------

labels = st.sampled_from(["person", "logo", "lo*", "*", "THE END", "cut", 'say "hi"', "a(b)", "x?"])
selectors = st.builds(
    lambda t, lab, q: SelectorNode(Selector(t, lab, q)), st.sampled_from(["tag", "ocr", "said", "cam-1"]),
    labels, st.booleans(),
).filter(lambda n: n.selector.exact or not any(c in n.selector.label for c in ' ()"'))
seconds = st.fractions(min_value=0, max_value=100, max_denominator=1000).filter(
    lambda f: (f * 1000).denominator == 1)


def relation_nodes(children: st.SearchStrategy) -> st.SearchStrategy:
    def build(left, right, name, dist, tol):
        if name not in ("before", "after", "within"):
            dist = None
        elif name == "within" and dist is None:
            dist = Fraction(1)
        return Relation(left, right, name, dist, tol)

    names = st.sampled_from(["before", "after", "meets", "met_by", "overlaps", "overlapped_by", "starts",
                             "started_by", "during", "contains", "finishes", "finished_by", "equals",
                             "within", "intersects"])
    return st.builds(build, children, children, names, st.one_of(st.none(), seconds), seconds)


trees = st.recursive(
    selectors,
    lambda c: st.one_of(st.builds(And, c, c), st.builds(Or, c, c), st.builds(Not, c), relation_nodes(c)),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(trees)
def test_to_text_round_trips(tree):
    text = to_text(tree)
    assert parse_query(text) == tree
    assert to_text(parse_query(text)) == text


# -- fuzzing: only QueryError may escape -------------------------------------------------------------

SOURCE = DictTrackSource(
    {"tag": Intervals.from_seconds([0.0, 3.0], [2.0, 9.0], ["person", "logo"]),
     "ocr": Intervals.from_seconds([1.0], [4.0], ["THE END"])},
    durations={0: 10},
)
fragments = st.sampled_from([
    "tag:person", "ocr:*", 'said:"cut"', "tag:", "AND", "OR", "NOT", "(", ")", "DURING", "BEFORE", "5s",
    "~", "0.2s", "WITHIN", "MET", "BY", "~0.1s", '"', ":", "x", "tag:*", "1e9s", "ms", "12", "INTERSECTS",
    "nope:x", "\t", "é", "tag:\"a\\", "99999999999999999999h",
])


def parse_or_query_error(text: str) -> None:
    try:
        tree = parse_query(text)
    except QueryError:
        return
    try:
        evaluate_query(tree, SOURCE)
    except QueryError:
        pass


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60))
def test_random_strings_only_raise_query_error(text):
    parse_or_query_error(text)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(fragments, max_size=14), st.sampled_from([" ", "", "  "]))
def test_random_token_soup_only_raises_query_error(parts, sep):
    parse_or_query_error(sep.join(parts))
