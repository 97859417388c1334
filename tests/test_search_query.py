"""Query language: operators parse into DNF; malformed queries raise QueryError, never crash."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rushes.errors import QueryError
from rushes.search.query import Term, parse_query


def test_free_text_is_one_clause() -> None:
    q = parse_query("a man riding a horse at sunset")
    assert q.groups == ((Term("any", "a man riding a horse at sunset"),),)


def test_operators() -> None:
    q = parse_query('person AND horse OR cat -text said:"cut" ocr:"scene 12" tag:car')
    assert q.groups[0] == (Term("any", "person"), Term("any", "horse"))
    assert q.groups[1] == (Term("any", "cat"), Term("any", "text", negated=True), Term("said", "cut", phrase=True),
                           Term("ocr", "scene 12", phrase=True), Term("tag", "car"))
    assert str(parse_query("written:exit")) == "ocr:exit"


@pytest.mark.parametrize("bad", ["", "   ", "AND horse", "horse AND", "horse OR", '"open', "foo:bar", "said:",
                                 "-text", "cat OR -dog", '""', "!!!", "x" * 2000, "horse AND AND cat"])
def test_bad_queries_raise_query_error(bad: str) -> None:
    with pytest.raises(QueryError):
        parse_query(bad)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_never_crashes(text: str) -> None:
    try:
        q = parse_query(text)
    except QueryError:
        return
    assert q.positives()
