"""Take fusion rules (rushes.triage.takes.assemble_takes), one test per rule, on hand-built evidence."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from rushes.intervals import Intervals
from rushes.triage.takes import (
    TakeRules,
    archive_ranges,
    assemble_takes,
    complement_ranges,
    row_attrs,
    takes_to_intervals,
)


def slates(*rows: tuple[float, float, dict[str, Any]] | tuple[float, float, dict[str, Any], str]) -> Intervals:
    """(start, end, fields[, label]) rows; fields go into an ``attrs`` column as the catalog returns them."""
    attrs = np.empty(len(rows), dtype=object)
    attrs[:] = [r[2] for r in rows]
    return Intervals.from_seconds([r[0] for r in rows], [r[1] for r in rows],
                                  [r[3] if len(r) > 3 else "slate" for r in rows],  # type: ignore[misc]
                                  score=0.9, data={"attrs": attrs})


def cmds(*rows: tuple[str, float] | tuple[str, float, float]) -> Intervals:
    """(label, t[, score]) rows."""
    return Intervals.from_seconds([r[1] for r in rows], [r[1] + 0.4 for r in rows], [r[0] for r in rows],
                                  score=[r[2] if len(r) > 2 else 0.9 for r in rows])  # type: ignore[misc]


def claps(*ts: float) -> Intervals:
    return Intervals.from_seconds(list(ts), list(ts), "clap", score=0.8)


F1 = {"scene": "12A", "roll": "A004", "take": "3", "camera": "A", "prod": "NIGHT FERRY"}
F2 = {"scene": "12A", "roll": "A004", "take": "4", "camera": "A"}


def spans(asm: Any) -> list[tuple[float, float]]:
    return [(round(t.start, 3), round(t.end, 3)) for t in asm.takes]


def test_slate_action_clap_cut_make_a_take_with_fields() -> None:
    asm = assemble_takes(slates((3.0, 5.0, F1)), cmds(("action", 6.0), ("cut", 14.0)), claps(4.3), 20.0)
    assert spans(asm) == [(6.0, 14.0)]
    t = asm.takes[0]
    assert (t.scene, t.roll, t.take, t.camera) == ("12A", "A004", "3", "A")
    assert (t.start_rule, t.end_rule, t.fields_from) == ("action", "cut", "slate")
    assert t.slate_t == pytest.approx(3.0) and t.clap_t == pytest.approx(4.3)
    assert t.action_t == pytest.approx(6.0) and t.cut_t == pytest.approx(14.0)
    assert t.slate["prod"] == "NIGHT FERRY"


def test_action_without_slate() -> None:
    asm = assemble_takes(None, cmds(("action", 2.0), ("cut", 9.0)), None, 12.0)
    assert spans(asm) == [(2.0, 9.0)]
    assert asm.takes[0].scene is None and asm.takes[0].fields_from is None


def test_slate_without_action_starts_at_clap_or_slate_end() -> None:
    asm = assemble_takes(slates((3.0, 5.0, F1)), cmds(("cut", 14.0)), claps(4.2), 20.0)
    assert spans(asm) == [(4.2, 14.0)]
    assert asm.takes[0].start_rule == "clap" and asm.takes[0].scene == "12A"
    asm = assemble_takes(slates((3.0, 5.0, F1)), cmds(("cut", 14.0)), None, 20.0)
    assert spans(asm) == [(5.0, 14.0)]
    assert asm.takes[0].start_rule == "slate_end"


def test_slate_too_long_before_action_is_not_its_slate() -> None:
    rules = TakeRules(slate_window_s=5.0)
    asm = assemble_takes(slates((1.0, 2.0, F1)), cmds(("action", 30.0), ("cut", 40.0)), None, 50.0, rules)
    assert [t.start_rule for t in asm.takes] == ["slate_end", "action"]
    assert asm.takes[1].scene is None


def test_missing_cut_ends_at_next_slate_next_action_or_end_of_file() -> None:
    ev = cmds(("action", 6.0), ("action", 26.0), ("cut", 34.0), ("action", 46.0))
    asm = assemble_takes(slates((20.0, 22.0, F2)), ev, claps(21.0), 60.0)
    assert asm.takes[0].end_rule == "next_slate"
    asm = assemble_takes(None, cmds(("action", 6.0), ("cut", 14.0), ("action", 20.0), ("action", 30.0)), None,
                         40.0)
    assert [t.end_rule for t in asm.takes] == ["cut", "end_of_file"]  # a repeated action opens nothing
    asm = assemble_takes(slates((20.0, 22.0, F2)), ev, claps(21.0), 60.0)
    assert spans(asm) == [(6.0, 20.0), (26.0, 34.0), (46.0, 60.0)]
    assert [t.end_rule for t in asm.takes] == ["next_slate", "cut", "end_of_file"]
    # the next take's roll call comes before its action: it ends the take whose cut was missed
    asm = assemble_takes(None, cmds(("action", 6.0), ("mark", 19.0), ("action", 26.0), ("cut", 34.0)), None, 40.0)
    assert spans(asm) == [(6.0, 19.0), (26.0, 34.0)]
    assert asm.takes[0].end_rule == "next_preroll" and asm.takes[1].preroll == {"mark": 19.0}


def test_missing_cut_ends_at_reset() -> None:
    asm = assemble_takes(None, cmds(("action", 2.0), ("reset", 12.0)), None, 30.0)
    assert spans(asm) == [(2.0, 12.0)] and asm.takes[0].end_rule == "reset"


def test_cut_too_soon_after_action_is_ignored() -> None:
    asm = assemble_takes(None, cmds(("action", 10.0), ("cut", 11.0, 0.9), ("cut", 20.0)), None, 30.0)
    assert spans(asm) == [(10.0, 20.0)]
    assert any("only 1.00 s after the start" in n for n in asm.takes[0].notes)


def test_dialogue_cut_inside_a_take_is_ignored() -> None:
    # "we cut the rope" at 15 s (a false cut), the director's cut at 25 s
    asm = assemble_takes(slates((2.0, 4.0, F1)), cmds(("action", 5.0), ("cut", 15.0, 0.4), ("cut", 25.0)),
                         claps(3.0), 40.0)
    assert spans(asm) == [(5.0, 25.0)]
    assert any("inside the take" in n for n in asm.takes[0].notes)


def test_cue_between_two_cuts_splits_a_missed_action() -> None:
    # take 1 cut at 15; take 2's action was not heard but its slate's clap... (no slate read) a clap at 22
    ev = cmds(("action", 5.0), ("cut", 15.0), ("mark", 21.0), ("cut", 30.0))
    asm = assemble_takes(None, ev, claps(22.0), 40.0)
    assert spans(asm) == [(5.0, 15.0), (22.0, 30.0)]
    assert asm.takes[1].start_rule == "clap" and asm.takes[1].end_rule == "cut"
    # a roll call alone is enough
    asm = assemble_takes(None, cmds(("action", 5.0), ("cut", 15.0), ("speed", 21.0), ("cut", 30.0)), None, 40.0)
    assert spans(asm) == [(5.0, 15.0), (21.0, 30.0)]
    assert asm.takes[1].start_rule == "preroll"


def test_duplicate_cuts_merge() -> None:
    asm = assemble_takes(None, cmds(("action", 2.0), ("cut", 10.0), ("cut", 11.5), ("cut", 13.0)), None, 20.0)
    assert spans(asm) == [(2.0, 10.0)]
    assert any("3 'cut' calls" in n for n in asm.notes)
    # further apart than merge_s: two calls, the last closes the take
    asm = assemble_takes(None, cmds(("action", 2.0), ("cut", 10.0), ("cut", 14.0)), None, 20.0)
    assert spans(asm) == [(2.0, 14.0)]


def test_duplicate_actions_merge_and_repeated_action_is_ignored() -> None:
    asm = assemble_takes(None, cmds(("action", 2.0), ("action", 3.5), ("cut", 10.0)), None, 20.0)
    assert spans(asm) == [(2.0, 10.0)]
    # an "action" 5 s into a running take, with no cue of its own, does not open a take
    asm = assemble_takes(None, cmds(("action", 2.0), ("action", 7.0), ("cut", 12.0)), None, 20.0)
    assert spans(asm) == [(2.0, 12.0)]
    assert any("repeated 'action'" in n for n in asm.takes[0].notes)


def test_a_reset_call_closes_a_take_whose_cut_was_missed_so_the_next_action_opens_one() -> None:
    # the cut at ~12 s was not heard; "reset" was, then a new "action" (no slate: a tail slate follows)
    asm = assemble_takes(slates((26.0, 28.0, F1, "tail_slate")),
                         cmds(("action", 2.0), ("reset", 13.0), ("action", 20.0), ("cut", 28.5)), None, 40.0)
    assert spans(asm) == [(2.0, 13.0), (20.0, 28.5)]
    assert [t.end_rule for t in asm.takes] == ["reset", "cut"]
    assert asm.takes[1].scene == "12A" and asm.takes[0].scene is None  # the tail slate names its own take


def test_tail_slate_closes_a_take_and_gives_fields() -> None:
    asm = assemble_takes(slates((14.0, 16.0, F1, "tail_slate")), cmds(("action", 2.0)), claps(15.0), 30.0)
    assert spans(asm) == [(2.0, 16.0)]
    t = asm.takes[0]
    assert t.end_rule == "tail_slate" and t.fields_from == "tail_slate" and t.scene == "12A"
    assert t.clap_t == pytest.approx(15.0)
    # after the cut: the take is extended to keep the board
    asm = assemble_takes(slates((12.0, 14.0, F1, "tail_slate")), cmds(("action", 2.0), ("cut", 11.0)), None, 30.0)
    assert spans(asm) == [(2.0, 14.0)] and asm.takes[0].end_rule == "cut"
    assert asm.takes[0].tail_slate_t == pytest.approx(12.0)


def test_roll_calls_before_action_attach_to_the_take() -> None:
    ev = cmds(("rolling", 1.0), ("speed", 2.0), ("mark", 3.5), ("background_action", 4.5), ("action", 6.0),
              ("speed", 8.0), ("cut", 14.0), ("check_the_gate", 20.0))
    asm = assemble_takes(slates((3.0, 5.0, F1)), ev, claps(4.0), 30.0)
    assert spans(asm) == [(6.0, 14.0)]
    pre = asm.takes[0].preroll
    assert set(pre) == {"rolling", "speed", "mark", "background_action"}
    assert pre["speed"] == pytest.approx(2.0)
    assert any("'speed' at 8.00 s ignored: inside a take" in n for n in asm.notes)
    assert any("check_the_gate" in n for n in asm.notes)


def test_unexplained_cut_before_first_take_uses_last_cue() -> None:
    asm = assemble_takes(None, cmds(("mark", 3.0), ("cut", 12.0), ("action", 20.0), ("cut", 30.0)), None, 40.0)
    assert spans(asm) == [(3.0, 12.0), (20.0, 30.0)]
    asm = assemble_takes(None, cmds(("cut", 12.0), ("action", 20.0), ("cut", 30.0)), None, 40.0)
    assert spans(asm) == [(20.0, 30.0)]
    assert any("'cut' at 12.00 s ignored" in n for n in asm.notes)


def test_low_scores_are_ignored_and_reslates_group() -> None:
    rules = TakeRules(min_cut_score=0.5)
    asm = assemble_takes(None, cmds(("action", 2.0), ("cut", 10.0, 0.2), ("cut", 15.0, 0.9)), None, 20.0, rules)
    assert spans(asm) == [(2.0, 15.0)]
    asm = assemble_takes(slates((1.0, 2.0, {"scene": "7"}), (4.0, 6.0, F1)), cmds(("action", 7.0), ("cut", 12.0)),
                         None, 20.0)
    assert spans(asm) == [(7.0, 12.0)] and asm.takes[0].slate_t == pytest.approx(1.0)
    assert asm.takes[0].take == "3"


def test_nothing_in_nothing_out_and_takes_clip_to_duration() -> None:
    asm = assemble_takes(None, None, None, 10.0)
    assert asm.takes == () and asm.discard(3.0) == [(0.0, 10.0)] and asm.archive(3.0) == []
    asm = assemble_takes(None, cmds(("action", 8.0)), None, 10.0)
    assert spans(asm) == [(8.0, 10.0)]


def test_archive_and_discard_ranges() -> None:
    assert archive_ranges([(5.0, 10.0), (14.0, 20.0), (40.0, 45.0)], 46.0, 3.0) == [(2.0, 23.0), (37.0, 46.0)]
    assert archive_ranges([(1.0, 2.0)], None, 3.0) == [(0.0, 5.0)]
    assert complement_ranges([(2.0, 23.0), (37.0, 46.0)], 46.0) == [(0.0, 2.0), (23.0, 37.0)]
    with pytest.raises(ValueError):
        archive_ranges([], 1.0, -1.0)


def test_tracks_round_trip_attrs() -> None:
    asm = assemble_takes(slates((3.0, 5.0, F1)), cmds(("action", 6.0), ("cut", 14.0)), claps(4.3), 30.0)
    tracks = takes_to_intervals(asm, 3.0, media=7)
    assert set(tracks) == {"takes", "archive", "discard", "clapped_slates"}
    assert len(tracks["clapped_slates"]) == 0
    tk = tracks["takes"]
    a = row_attrs(tk, 0)
    assert a["scene"] == "12A" and a["start_rule"] == "action" and a["index"] == 1
    assert tracks["archive"].start_seconds.tolist() == [3.0] and tracks["archive"].end_seconds.tolist() == [17.0]
    assert tracks["discard"].labels() == ["discard", "discard"]
    assert int(tk.media[0]) == 7


def test_row_attrs_accepts_nested_attrs_column() -> None:
    attrs = np.empty(1, dtype=object)
    attrs[0] = {"attrs": {"scene": "9"}}
    iv = Intervals.from_seconds([0.0], [1.0], "slate", data={"attrs": attrs})
    assert row_attrs(iv, 0) == {"scene": "9"}


def test_rules_validate() -> None:
    with pytest.raises(ValueError):
        TakeRules(min_take_s=-1.0)


def test_orientation_guessed_by_the_classifier_follows_the_calls() -> None:
    guess = {**F1, "orientation": "classifier"}
    read = {**F1, "orientation": "ocr"}
    # a "tail slate" with an action right after it and no take running: a head slate
    asm = assemble_takes(slates((3.0, 5.0, guess, "tail_slate")), cmds(("action", 6.0), ("cut", 14.0)), None, 20.0)
    assert spans(asm) == [(6.0, 14.0)] and asm.takes[0].fields_from == "slate" and asm.takes[0].scene == "12A"
    assert any("a head slate" in n for n in asm.notes)
    # ... a take closed by a reset before it counts as not running
    asm = assemble_takes(slates((23.0, 25.0, guess, "tail_slate")),
                         cmds(("action", 2.0), ("reset", 12.0), ("action", 26.0), ("cut", 34.0)), None, 40.0)
    assert asm.takes[-1].fields_from == "slate"
    # the same board read upright by OCR keeps its label (and is a tail slate of the take before)
    asm = assemble_takes(slates((3.0, 5.0, read, "tail_slate")), cmds(("action", 6.0), ("cut", 14.0)), None, 20.0)
    assert asm.takes[0].fields_from is None
    # a "head slate" inside a running take, its cut after it and no action: a tail slate
    asm = assemble_takes(slates((10.0, 12.0, guess)), cmds(("action", 2.0), ("cut", 13.0)), None, 20.0)
    assert spans(asm) == [(2.0, 13.0)] and asm.takes[0].fields_from == "tail_slate"
    # a head slate followed by its own action stays a head slate even inside an unclosed take
    asm = assemble_takes(slates((10.0, 12.0, guess)), cmds(("action", 2.0), ("action", 13.0), ("cut", 20.0)),
                         None, 25.0)
    assert asm.takes[-1].fields_from == "slate" and asm.takes[-1].start == pytest.approx(13.0)


def test_a_roll_call_between_two_cuts_splits_even_with_a_clap_just_before_the_second() -> None:
    # take 1 ... cut, then take 2's "action" is missed; its tail slate's clap comes 0.8 s before
    # its cut, too late to open it, but the roll call before it can
    asm = assemble_takes(None, cmds(("action", 6.0), ("cut", 14.0), ("rolling", 21.0), ("cut", 32.0)),
                         claps(31.2), 40.0)
    assert spans(asm) == [(6.0, 14.0), (21.0, 32.0)]
    assert asm.takes[1].start_rule == "preroll"


def test_a_board_ocr_could_not_read_is_a_slate_when_clapped_before_action() -> None:
    unread = {"roll": None, "scene": None, "take": None, "filename_roll": "A004", "best_t": 3.5}
    cands = slates((3.0, 5.0, unread))
    # rule 12: the board, its clap, then "action": a head slate without fields
    asm = assemble_takes(None, cmds(("action", 6.0), ("cut", 14.0)), claps(4.3), 20.0, candidates=cands)
    (t,) = asm.takes
    assert (t.start, t.end, t.start_rule, t.fields_from) == (6.0, 14.0, "action", "slate")
    assert t.slate_t == pytest.approx(3.0) and t.clap_t == pytest.approx(4.3) and t.scene is None
    assert t.slate["confirmed_by"] == "clap"
    assert asm.clapped == ((3.0, 5.0, pytest.approx(0.9), 4.3),)
    assert any("rule 12" in n for n in asm.notes)
    clapped = takes_to_intervals(asm, 3.0)["clapped_slates"]
    assert clapped.start_seconds.tolist() == [3.0] and row_attrs(clapped, 0)["clap_t"] == pytest.approx(4.3)
    # not clapped, no action after it, a cut before the action, or the rule off: not a slate
    for commands, clap_ts, rules in ((cmds(("action", 6.0), ("cut", 14.0)), (), TakeRules()),
                                     (cmds(("cut", 14.0)), (4.3,), TakeRules()),
                                     (cmds(("cut", 5.5), ("action", 6.0)), (4.3,), TakeRules()),
                                     (cmds(("action", 30.0)), (4.3,), TakeRules()),
                                     (cmds(("action", 6.0), ("cut", 14.0)), (4.3,), TakeRules(clapped_slates=False))):
        asm = assemble_takes(None, commands, claps(*clap_ts), 40.0, rules, candidates=cands)
        assert asm.clapped == () and all(t.slate_t is None for t in asm.takes)
    # beside a board that was read: the read one is the slate, the candidate is clutter
    asm = assemble_takes(slates((2.0, 4.0, F1)), cmds(("action", 6.0), ("cut", 14.0)), claps(4.3), 20.0,
                         candidates=slates((4.5, 5.0, unread)))
    assert asm.clapped == () and asm.takes[0].scene == "12A"
