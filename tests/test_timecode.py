from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rushes.errors import QueryError
from rushes.timecode import Timecode, parse_rate

NTSC30 = Fraction(30000, 1001)
NTSC60 = Fraction(60000, 1001)


@pytest.mark.parametrize(
    ("frames", "text"),
    [
        (0, "00:00:00;00"),
        (1799, "00:00:59;29"),
        (1800, "00:01:00;02"),  # ;00 and ;01 are dropped at minute 1
        (17981, "00:09:59;29"),
        (17982, "00:10:00;00"),  # every tenth minute keeps them
        (107892, "01:00:00;00"),
    ],
)
def test_drop_frame_2997(frames: int, text: str) -> None:
    tc = Timecode(frames, NTSC30, drop_frame=True)
    assert str(tc) == text
    assert Timecode.parse(text, NTSC30).frames == frames


def test_drop_frame_5994_drops_four() -> None:
    assert str(Timecode(3599, NTSC60, drop_frame=True)) == "00:00:59;59"
    assert str(Timecode(3600, NTSC60, drop_frame=True)) == "00:01:00;04"


def test_non_drop_23976_counts_24() -> None:
    rate = Fraction(24000, 1001)
    tc = Timecode.from_seconds(Fraction(1001, 24000) * 24 * 60, rate)
    assert str(tc) == "00:01:00:00"
    assert not tc.drop_frame


def test_from_seconds_uses_time_not_frame_count() -> None:
    # 10 s of real time at 29.97 is 299.7 frames -> frame 300 (rounded), shown as 00:00:10;00
    assert str(Timecode.from_seconds(10, NTSC30)) == "00:00:10;00"


@given(st.integers(min_value=0, max_value=24 * 107892 - 1))  # 24 h of 29.97 DF
def test_drop_frame_roundtrip(frames: int) -> None:
    tc = Timecode(frames, NTSC30, drop_frame=True)
    assert Timecode.parse(str(tc), NTSC30).frames == frames


@given(st.integers(min_value=0, max_value=24 * 3600 * 25 - 1))
def test_pal_roundtrip(frames: int) -> None:
    tc = Timecode(frames, Fraction(25))
    assert Timecode.parse(str(tc), Fraction(25)) == tc


@pytest.mark.parametrize("bad", ["1:2:3", "00:00:00:30", "00:61:00:00", "xx:00:00:00", "00:01:00;00"])
def test_parse_errors(bad: str) -> None:
    with pytest.raises(QueryError):
        Timecode.parse(bad, NTSC30 if bad.endswith(";00") else Fraction(30))


def test_parse_rate_snaps_ntsc() -> None:
    assert parse_rate(23.976) == Fraction(24000, 1001)
    assert parse_rate("29.97") == NTSC30
    assert parse_rate(25) == 25
    with pytest.raises(ValueError):
        parse_rate(0)


def test_drop_frame_only_for_ntsc() -> None:
    with pytest.raises(ValueError):
        Timecode(0, Fraction(25), drop_frame=True)
