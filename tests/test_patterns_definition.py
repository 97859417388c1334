"""Pattern TOML files: loading, validation messages, round trip; PNG rendering."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from rushes.errors import QueryError
from rushes.intervals import Intervals
from rushes.patterns import load_pattern, parse_pattern, parse_query, render_curve_png, run_pattern
from rushes.patterns.fuzzy import Membership
from rushes.patterns.selectors import Selector
from rushes.patterns.sources import DictTrackSource
from rushes.patterns.weighted import IntensityCurve

ENDING = """
name = "ending"
description = "An advert's end card"
step = 0.1
threshold = 1.0
min_length = 1.0
merge_gap = 0.5
score = "peak"

[weights]
"tag:design" = 1
"tag:logo" = 1.5
"tag:person" = -1
'said:"thank you"' = 0.5

[[tag]]
select = "ocr:*"
weight = 0.5
min_score = 0.6
confidence = { shape = "sigmoid", center = 0.7, slope = 12 }
duration = { shape = "trapezoid", points = [0, 0.5, 20, 60] }
"""


def write(tmp_path: Path, text: str, name: str = "p.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_full_example(tmp_path):
    p = load_pattern(write(tmp_path, ENDING))
    assert p.name == "ending" and p.description == "An advert's end card"
    assert (p.step, p.threshold, p.min_length, p.merge_gap, p.score) == (
        Fraction(1, 10), 1.0, Fraction(1), Fraction(1, 2), "peak")
    assert [(str(r.selector), r.weight) for r in p.rules] == [
        ("tag:design", 1.0), ("tag:logo", 1.5), ("tag:person", -1.0), ('said:"thank you"', 0.5), ("ocr:*", 0.5)]
    ocr = p.rules[-1]
    assert ocr.min_score == 0.6
    assert ocr.confidence == Membership("sigmoid", center=0.7, slope=12.0)
    assert ocr.duration == Membership("trapezoid", points=(0.0, 0.5, 20.0, 60.0))
    assert p.rules[3].selector == Selector("said", "thank you", exact=True)
    assert p.mode == "weighted" and p.source.endswith("p.toml")


def test_round_trip_through_to_toml(tmp_path):
    p = load_pattern(write(tmp_path, ENDING))
    assert parse_pattern(p.to_toml()) == p
    fuzzy = parse_pattern('name = "f"\nmode = "fuzzy"\n[weights]\n"tag:x" = 0.5\n'
                          '[fuzzy]\ntnorm = "product"\ntconorm = "probsum"\npositive = "all"\n')
    assert (fuzzy.tnorm, fuzzy.tconorm, fuzzy.positive) == ("product", "probsum", "all")
    assert parse_pattern(fuzzy.to_toml()) == fuzzy


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('name = "x"\n', "needs at least one tag"),
        ('[weights]\n"tag:a" = 1\n', "missing key 'name'"),
        ('name = "x"\nthreshhold = 1\n[weights]\n"tag:a" = 1\n', "unknown key 'threshhold'"),
        ('name = "x"\nstep = 0\n[weights]\n"tag:a" = 1\n', "step: expected a number of seconds > 0"),
        ('name = "x"\nstep = "fast"\n[weights]\n"tag:a" = 1\n', "step: expected a number of seconds"),
        ('name = "x"\nmin_length = -1\n[weights]\n"tag:a" = 1\n', "min_length: expected a number of seconds >= 0"),
        ('name = "x"\nthreshold = "high"\n[weights]\n"tag:a" = 1\n', "threshold: expected a number"),
        ('name = "x"\nscore = "median"\n[weights]\n"tag:a" = 1\n', 'score: expected one of "mean", "peak"'),
        ('name = "x"\nmode = "magic"\n[weights]\n"tag:a" = 1\n', "mode: expected one of"),
        ('name = "x"\n[weights]\n"person" = 1\n', 'weights."person": expected a selector like tag:person'),
        ('name = "x"\n[weights]\n"tag:a" = "heavy"\n', 'weights."tag:a": expected a number'),
        ('name = "x"\n[weights]\n"tag:a" = true\n', "expected a number, got True"),
        ('name = "x"\n[weights]\n"tag:a" = 1\n[[tag]]\nselect = "tag:a"\nweight = 2\n', "listed twice"),
        ('name = "x"\n[[tag]]\nselect = "tag:a"\n', "tag[0]: needs both 'select'"),
        ('name = "x"\n[[tag]]\nselect = "tag:a"\nweight = 1\ncolour = "red"\n', "tag[0]: unknown key 'colour'"),
        ('name = "x"\n[[tag]]\nselect = "tag:a"\nweight = 1\nduration = { shape = "blob" }\n',
         "tag[0].duration: unknown membership shape 'blob'"),
        ('name = "x"\n[[tag]]\nselect = "tag:a"\nweight = 1\nduration = { shape = "trapezoid", points = [3, 1] }\n',
         "tag[0].duration: trapezoid membership needs 4 points"),
        ('name = "x"\n[[tag]]\nselect = "tag:a"\nweight = 1\nduration = { shape = "rising", points = [3, 1] }\n',
         "must not decrease"),
        ('name = "x"\n[[tag]]\nselect = "tag:a"\nweight = 1\nconfidence = 3\n', "tag[0].confidence: expected a table"),
        ('name = "x"\n[weights]\n"tag:a" = 1\n[fuzzy]\ntnorm = "max"\n', 'fuzzy.tnorm: expected one of "min"'),
        ('name = "x"\n[weights]\n"tag:a" = 1\n[fuzzy]\nmode = "x"\n', "fuzzy: unknown key 'mode'"),
        ('name = "x"\nweights = 3\n', "[weights] must be a table"),
        ('name = x\n', "not valid TOML"),
    ],
)
def test_errors_name_the_key_and_the_expectation(tmp_path, text, message):
    with pytest.raises(QueryError) as info:
        load_pattern(write(tmp_path, text))
    assert message in str(info.value)
    assert "p.toml" in str(info.value)


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(QueryError, match="pattern file not found"):
        load_pattern(tmp_path / "nope.toml")
    with pytest.raises(QueryError, match="cannot read"):
        load_pattern(tmp_path)
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b'name = "\xe9"\n')
    with pytest.raises(QueryError, match="cannot read"):
        load_pattern(bad)


def test_run_pattern_accepts_a_path(tmp_path):
    path = write(tmp_path, 'name = "logo"\nthreshold = 1\n[weights]\n"tag:logo" = 1\n')
    src = DictTrackSource({"tag": Intervals.from_seconds([2.0], [4.0], "Logo")}, durations={0: 5})
    result = run_pattern(src, str(path))
    assert [(r.start_seconds, r.end_seconds) for r in result.hits] == [(2.0, 4.0)]


def test_render_curve_png(tmp_path):
    values = np.concatenate([np.zeros(200), np.linspace(0, 2.5, 50), np.full(50, 2.5), -np.ones(100)])
    curve = IntensityCurve(0, Fraction(1, 10), values)
    hits = Intervals.from_seconds([25.0], [30.0], "ending")
    out = render_curve_png(curve, tmp_path / "sub" / "curve.png", threshold=1.0, hits=hits, width=640, height=240)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(out) as img:
        assert img.size == (640, 240)
        pixels = np.asarray(img.convert("RGB"))
    red = (pixels[:, :, 0] > 180) & (pixels[:, :, 1] < 60) & (pixels[:, :, 2] < 60)
    assert red.sum() > 300  # the threshold line
    # tiny and empty curves still render
    render_curve_png(IntensityCurve(0, Fraction(1, 10), np.zeros(3)), tmp_path / "tiny.png", threshold=None)
    render_curve_png(IntensityCurve(0, Fraction(1, 10), np.zeros(0)), tmp_path / "empty.png", threshold=1.0)
    assert (tmp_path / "empty.png").stat().st_size > 0


def test_examples_in_the_docs_parse():
    docs = Path(__file__).resolve().parents[1] / "docs" / "patterns.md"
    if not docs.exists():
        pytest.skip("docs/patterns.md not present")
    text = docs.read_text(encoding="utf-8")
    blocks = text.split("```")
    tomls = [b[len("toml"):] for b in blocks[1::2] if b.startswith("toml")]
    full = [b for b in tomls if "name =" in b]
    assert full, "the docs should show a complete pattern file"
    for block in full:
        pattern = parse_pattern(block, source="docs")
        assert pattern.rules
    fuzzy = parse_pattern('name = "f"\n' + next(b for b in tomls if "mode = \"fuzzy\"" in b))
    assert fuzzy.mode == "fuzzy" and fuzzy.rules[0].duration is not None
    queries = next(b for b in blocks[1::2] if b.startswith("\ntag:person DURING"))
    for line in queries.strip().splitlines():
        parse_query(line)
