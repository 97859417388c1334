"""Allen relations: partition, inverses, tolerance, instants, composition."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rushes.errors import QueryError
from rushes.patterns.allen import (
    CROSSING,
    IN_RELATIONS,
    RELATIONS,
    SYMBOLS,
    classify_pairs,
    compose,
    composition_table,
    inverse,
    normalize_relation,
    relation_code,
    relation_of,
)


def textbook(a: tuple[int, int], b: tuple[int, int]) -> list[str]:
    """Allen's 13 definitions for proper intervals, written independently of the library."""
    (as_, ae), (bs, be) = a, b
    holds = {
        "before": ae < bs,
        "after": be < as_,
        "meets": ae == bs,
        "met_by": be == as_,
        "overlaps": as_ < bs < ae < be,
        "overlapped_by": bs < as_ < be < ae,
        "starts": as_ == bs and ae < be,
        "started_by": as_ == bs and be < ae,
        "during": bs < as_ and ae < be,
        "contains": as_ < bs and be < ae,
        "finishes": ae == be and bs < as_,
        "finished_by": ae == be and as_ < bs,
        "equals": as_ == bs and ae == be,
    }
    return [name for name, ok in holds.items() if ok]


proper = st.tuples(st.integers(-50, 50), st.integers(1, 30)).map(lambda p: (p[0], p[0] + p[1]))
any_interval = st.tuples(st.integers(-50, 50), st.integers(0, 30)).map(lambda p: (p[0], p[0] + p[1]))


@settings(max_examples=400, deadline=None)
@given(proper, proper)
def test_every_pair_of_proper_intervals_is_in_exactly_one_relation(a, b):
    names = textbook(a, b)
    assert len(names) == 1
    assert relation_of(*a, *b) == names[0]
    assert RELATIONS[int(classify_pairs(a[0], a[1], b[0], b[1]))] == names[0]


@settings(max_examples=400, deadline=None)
@given(any_interval, any_interval, st.integers(0, 6))
def test_inverse_relations_hold_for_any_tolerance_and_instants(a, b, tol):
    r_ab = relation_of(*a, *b, tolerance=tol)
    r_ba = relation_of(*b, *a, tolerance=tol)
    assert r_ba == inverse(r_ab)
    assert inverse(inverse(r_ab)) == r_ab
    code = classify_pairs([a[0]], [a[1]], [b[0]], [b[1]], tol)
    assert RELATIONS[int(code[0])] == r_ab


def test_all_relations_have_exact_examples():
    b = (10, 20)
    examples = {
        "before": (0, 5), "meets": (0, 10), "overlaps": (5, 15), "starts": (10, 15),
        "during": (12, 15), "finishes": (15, 20), "equals": (10, 20), "finished_by": (5, 20),
        "contains": (5, 25), "started_by": (10, 25), "overlapped_by": (15, 25), "met_by": (20, 25),
        "after": (22, 25),
    }
    assert set(examples) == set(RELATIONS)
    for name, a in examples.items():
        assert relation_of(*a, *b) == name


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((10, 10), (10, 20), "starts"),  # instant at the start
        ((20, 20), (10, 20), "finishes"),  # instant at the end
        ((15, 15), (10, 20), "during"),
        ((5, 5), (10, 20), "before"),
        ((25, 25), (10, 20), "after"),
        ((7, 7), (7, 7), "equals"),
        ((3, 3), (7, 7), "before"),
        ((10, 20), (20, 20), "finished_by"),
        ((10, 20), (10, 10), "started_by"),
    ],
)
def test_instants_follow_the_point_interval_convention(a, b, expected):
    assert relation_of(*a, *b) == expected


def test_tolerance_makes_near_endpoints_equal():
    assert relation_of(0, 5, 5.2, 9) == "before"
    assert relation_of(0, 5, 5.2, 9, tolerance=0.5) == "meets"
    assert relation_of(0, 5, 4.9, 9, tolerance=0.2) == "meets"
    assert relation_of(0.1, 9.9, 0, 10, tolerance=0.1) == "equals"
    assert relation_of(0.1, 9.9, 0, 10, tolerance=Fraction(1, 20)) == "during"
    assert relation_of(Fraction(1, 3), 2, 0, 2, tolerance=Fraction(1, 3)) == "equals"


def test_bad_inputs_raise():
    with pytest.raises(ValueError):
        relation_of(5, 4, 0, 1)
    with pytest.raises(QueryError):
        relation_of(0, 1, 0, 1, tolerance=-1)
    with pytest.raises(QueryError, match="unknown Allen relation"):
        normalize_relation("sideways")
    with pytest.raises(QueryError):
        classify_pairs([0], [1], [0], [1], tolerance=-0.5)


def test_names_symbols_and_aliases():
    for code, (name, sym) in enumerate(zip(RELATIONS, SYMBOLS, strict=True)):
        assert relation_code(name) == relation_code(sym) == code
        assert relation_code(RELATIONS[12 - code]) == 12 - code
        assert inverse(name) == RELATIONS[12 - code]
    assert normalize_relation("Overlapped By") == "overlapped_by"
    assert normalize_relation("MET-BY") == "met_by"
    assert normalize_relation("di") == "contains"
    assert inverse("equals") == "equals"
    assert IN_RELATIONS <= CROSSING
    assert len(CROSSING) == 9


def test_classify_pairs_broadcasts_and_returns_int8():
    codes = classify_pairs(np.array([0, 2, 30]), np.array([5, 3, 40]), 5, 10)
    assert codes.dtype == np.int8
    assert [RELATIONS[c] for c in codes] == ["meets", "before", "after"]


# -- composition --------------------------------------------------------------------------------


def test_composition_table_known_entries():
    assert compose("before", "before") == {"before"}
    assert compose("during", "during") == {"during"}
    assert compose("meets", "meets") == {"before"}
    assert compose("overlaps", "overlaps") == {"before", "meets", "overlaps"}
    assert compose("before", "after") == set(RELATIONS)
    assert compose("during", "contains") == set(RELATIONS)
    assert compose("equals", "starts") == {"starts"}
    assert compose("starts", "during") == {"during"}
    assert compose("<", "m") == {"before"}


def test_composition_with_equals_is_identity_and_inverse_is_consistent():
    table = composition_table()
    assert len(table) == 169
    for r in RELATIONS:
        assert compose("equals", r) == {r}
        assert compose(r, "equals") == {r}
    # (r1 ∘ r2)⁻¹ == r2⁻¹ ∘ r1⁻¹
    for r1, r2 in itertools.product(RELATIONS, RELATIONS):
        assert {inverse(x) for x in compose(r1, r2)} == compose(inverse(r2), inverse(r1))


@settings(max_examples=300, deadline=None)
@given(proper, proper, proper)
def test_composition_is_sound_on_random_triples(a, b, c):
    r_ab, r_bc, r_ac = relation_of(*a, *b), relation_of(*b, *c), relation_of(*a, *c)
    assert r_ac in compose(r_ab, r_bc)
