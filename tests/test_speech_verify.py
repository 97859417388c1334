"""The second opinion on short calls heard as a near miss of a command (triage/speech/verify.py)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from conftest import SHARED_DATA
from rushes.triage.speech.asr import AsrParams, RegionTranscriber
from rushes.triage.speech.verify import CommandVerifier, VerifyParams, _is_dialogue, all_fillers, candidate, sounds_like

RATE = 16_000
HAVE_FW = importlib.util.find_spec("faster_whisper") is not None
needs_fw = pytest.mark.skipif(not HAVE_FW, reason="faster-whisper is not installed (extra: triage)")


def test_near_misses_sound_like_their_command_and_other_words_do_not() -> None:
    for heard in ("cup", "cat", "but", "come", "cuts", "cot"):
        assert sounds_like(heard)[:1] == ["cut"], heard
    assert "action" in sounds_like("auction")
    assert sounds_like("marked") == ["mark"]
    for other in ("okay", "thanks", "cutters", "tea", "butchers", "cut", ""):
        assert sounds_like(other) == [], other


def test_only_short_filler_regions_with_one_near_miss_are_candidates() -> None:
    p = VerifyParams()
    assert candidate(["Cup."], p) == (0, ["cut"])
    assert candidate(["Okay,", "cup!"], p) == (1, ["cut"])
    assert candidate(["A", "cup", "of", "tea."], p) is None  # dialogue: too many words
    assert candidate(["Cup", "tea."], p) is None  # two content words
    assert candidate(["Cut!"], p) is None  # already a command
    assert candidate(["Okay."], p) is None  # nothing sounds like a command
    assert candidate([], p) is None
    with pytest.raises(ValueError):
        VerifyParams(max_words=0)


def _in_noise(x: np.ndarray, snr_db: float = 20.0, seed: int = 0) -> np.ndarray:
    """``x`` with 0.4 s of lead and tail, at ``snr_db`` over white noise at -40 dBFS."""
    rng = np.random.default_rng(seed)
    pad = np.zeros(int(0.4 * RATE), np.float32)
    y = np.concatenate([pad, x.astype(np.float32), pad])
    noise = rng.normal(size=y.size).astype(np.float32) * 0.01
    rms = float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))
    return y * (0.01 * 10 ** (snr_db / 20) / rms) + noise


@pytest.fixture(scope="module")
def tiny() -> object:
    from rushes.triage.speech.models import whisper_model

    _spec, lazy = whisper_model("tiny.en")
    return lazy.get()


@pytest.mark.models
@needs_fw
def test_a_called_cut_heard_as_cup_is_restored_and_real_near_misses_are_not(tiny: object) -> None:
    from rushes.demo.speech import synthesize

    v = CommandVerifier(lambda: tiny)
    verdict = v.verify(_in_noise(synthesize("Cut!", RATE)), ["Cup."])
    assert verdict is not None and verdict.command == "cut" and verdict.heard == "Cup."
    assert verdict.text.lower().startswith("cut") and verdict.logp_command >= verdict.logp_heard
    # what was said is what was heard: the second opinion agrees and changes nothing
    for said, heard in (("Cup!", ["Cup."]), ("Cat!", ["Cat."]), ("But!", ["But."]), ("Come!", ["Come."])):
        assert v.verify(_in_noise(synthesize(said, RATE), seed=1), heard) is None, said
    # noise that the pack decoding wrote a word into is not a command either (absolute floor)
    knock = np.random.default_rng(3).normal(size=int(0.3 * RATE)).astype(np.float32)
    knock *= np.exp(-np.arange(knock.size) / 600.0).astype(np.float32)
    assert v.verify(_in_noise(knock), ["Cup."]) is None
    # longer regions and dialogue are never re-scored (no model call)
    calls = v.calls
    assert v.verify(np.zeros(3 * RATE, np.float32), ["Cup."]) is None
    assert v.verify(_in_noise(synthesize("A cup of tea.", RATE)), ["A", "cup", "of", "tea."]) is None
    assert v.calls == calls


@pytest.mark.models
@needs_fw
def test_an_unsure_called_command_is_confirmed_alone_and_noise_is_not(tiny: object) -> None:
    from rushes.demo.speech import synthesize

    v = CommandVerifier(lambda: tiny)
    cut = _in_noise(synthesize("Cut!", RATE), seed=2)
    verdict = v.verify(cut, ["Cut."], [0.02])  # the pack was unsure: below the rules' 0.05
    assert verdict is not None and verdict.command == "cut" and verdict.probability > 0.05
    calls = v.calls
    assert v.verify(cut, ["Cut."], [0.9]) is None and v.calls == calls  # sure already: not re-scored
    assert v.verify(cut, ["Cut."]) is None and v.calls == calls  # no probabilities: nothing to confirm
    knock = np.random.default_rng(4).normal(size=int(0.3 * RATE)).astype(np.float32)
    knock *= np.exp(-np.arange(knock.size) / 600.0).astype(np.float32)
    on_knock = v.verify(_in_noise(knock), ["Cut."], [0.02])  # Whisper's "Cut" on a knock stays out
    assert on_knock is None or (on_knock.rejected and on_knock.probability < 0.02)
    assert candidate(["Okay,", "cut."], VerifyParams(), [0.9, 0.01]) == (1, ["cut"])
    assert candidate(["Okay,", "cut."], VerifyParams(confirm_below=0.0), [0.9, 0.01]) is None


@pytest.mark.models
@needs_fw
def test_an_unsure_command_that_is_dialogue_alone_is_lowered(tiny: object) -> None:
    """Inside a pack Whisper wrote the first syllable of "cutlery" as "Cut," (0.07, over the
    rules' 0.05): alone the region decodes as dialogue, and the word keeps the lower probability."""
    from rushes.demo.speech import synthesize

    v = CommandVerifier(lambda: tiny)
    verdict = v.verify(_in_noise(synthesize("Cutlery in the drawer.", RATE)), ["Cut,"], [0.07])
    assert verdict is not None and verdict.rejected and not verdict.replace_all
    assert "cut" not in verdict.alone.lower().split() and verdict.probability < 0.05
    # only a line of dialogue contradicts a call: a lone other word ("three" for a distant
    # "Speed!", which the pack's context heard right) leaves the pack's probability alone
    assert _is_dialogue("cupboardy in the drawer.") and not _is_dialogue("Three.") and not _is_dialogue("Okay, so.")
    confirmed = v.verify(_in_noise(synthesize("Cut!", RATE), seed=2), ["Cut."], [0.02])
    assert confirmed is not None and not confirmed.rejected and confirmed.alone.lower().startswith("cut")


@pytest.mark.models
@needs_fw
def test_a_region_of_fillers_that_is_a_call_alone_becomes_the_call(tiny: object) -> None:
    from rushes.demo.speech import synthesize

    v = CommandVerifier(lambda: tiny)
    for said, heard, command in (("Cut!", ["Okay."], "cut"), ("Rolling!", ["the"], "rolling"),
                                 ("Okay, cut!", ["Okay."], "cut")):
        verdict = v.verify(_in_noise(synthesize(said, RATE)), heard)
        assert verdict is not None and verdict.replace_all and verdict.command == command, said
        assert verdict.heard == " ".join(heard) and verdict.probability > 0.5
    # fillers said are fillers heard: nothing changes
    for said, heard in (("Okay.", ["Okay."]), ("Thank you.", ["Thank", "you."]), ("Go again.", ["Go", "again."])):
        assert v.verify(_in_noise(synthesize(said, RATE), seed=1), heard) is None, said
    assert all_fillers(["Okay,", "thank", "you."], VerifyParams())
    assert not all_fillers(["Okay,", "cut."], VerifyParams()) and not all_fillers([], VerifyParams())
    calls = v.calls
    assert CommandVerifier(lambda: tiny, VerifyParams(fillers=False)).verify(
        _in_noise(synthesize("Cut!", RATE)), ["Okay."]) is None and v.calls == calls


class _Pack:
    """faster-whisper's interface for the pack decoding around the real model, whose encoder and
    teacher-forced scoring the second opinion uses. ``words`` (pack seconds, text, probability):
    what the pack decoding "hears" (by default a "Cup." at 0.45-0.75 s)."""

    def __init__(self, real: object, words: list[tuple[float, float, str, float]] | None = None) -> None:
        self._real = real
        self._words = words or [(0.45, 0.75, " Cup.", 0.6)]

    def __getattr__(self, name: str) -> object:
        return getattr(self._real, name)

    def transcribe(self, audio: np.ndarray, **kw: object) -> tuple[list[object], None]:
        class W:
            def __init__(self, start: float, end: float, word: str, probability: float) -> None:
                self.start, self.end, self.word, self.probability = start, end, word, probability

        class S:
            def __init__(self, words: list[W]) -> None:
                self.words = words

        return [S([W(*w) for w in self._words])], None


@pytest.mark.models
@needs_fw
def test_a_call_the_pack_slid_into_the_region_before_is_taken_back(tiny: object) -> None:
    """Pack timing off by a region: "Reset" and the next region's "Rolling" both land in the first
    region, the second gets a filler ("the"). Alone the second is "Rolling": it gets the call, and
    the misplaced copy leaves the first region (one call, not two)."""
    from rushes.demo.speech import synthesize

    reset, rolling = _in_noise(synthesize("Reset!", RATE)), _in_noise(synthesize("Rolling!", RATE), seed=1)
    second = (reset.size + int(AsrParams().gap_s * RATE)) / RATE  # where the second region starts in the pack
    heard = [(0.4, 0.8, " Reset,", 0.9), (0.8, reset.size / RATE - 0.05, " rolling", 0.6),
             (second + 0.4, second + 0.7, " the", 0.8)]
    tr = RegionTranscriber(lambda: _Pack(tiny, heard), AsrParams())
    tr.add_region(0, reset)
    tr.add_region(5 * RATE, rolling)
    tr.flush()
    assert [(w.norm, w.utterance) for w in tr.words] == [("reset", 0), ("rolling", 1)]
    assert tr.words[1].heard == "the" and tr.stats.moved == 1 and tr.words[1].start >= 5.0


@pytest.mark.models
@needs_fw
def test_the_transcriber_replaces_the_near_miss_and_keeps_what_was_heard(tiny: object) -> None:
    from rushes.demo.speech import synthesize

    audio = _in_noise(synthesize("Cut!", RATE))
    tr = RegionTranscriber(lambda: _Pack(tiny), AsrParams(), time_offset=10.0)
    tr.add_region(0, audio)
    tr.flush()
    assert [(w.norm, w.heard) for w in tr.words] == [("cut", "Cup.")]
    assert tr.stats.verify_calls == 1 and tr.stats.verified == 1
    assert 10.0 <= tr.words[0].start < 10.0 + audio.size / RATE
    off = RegionTranscriber(lambda: _Pack(tiny), AsrParams(verify=VerifyParams(max_region_s=0.0)))
    off.add_region(0, audio)
    off.flush()
    assert [w.norm for w in off.words] == ["cup"] and off.stats.verify_calls == 0


@pytest.mark.models
@pytest.mark.shared_data
@needs_fw
def test_real_cut_cut_out_of_a_sentence_is_restored(tiny: object) -> None:
    """The only real "cut" of ../shared/data (cathy a0269, "cut off", at its alignment times): a flapped /t/
    that tiny.en hears as "cup" or "come" inside a pack; alone, scored, it is "cut"."""
    if not (SHARED_DATA / "audio" / "cathy_arctic_a0269.wav").exists():
        pytest.skip("cathy_arctic_a0269.wav is not present")
    from rushes.demo.realreel import RealParts

    word, _onset = RealParts(SHARED_DATA).word("cathy_arctic_a0269.wav", "cut", RATE)  # as the reels cut it
    v = CommandVerifier(lambda: tiny)
    for heard in (["Cup."], ["Come."], ["Okay,", "cup."]):
        verdict = v.verify(_in_noise(word, seed=5), heard)
        assert verdict is not None and verdict.command == "cut", heard
    # heard right but unsure in the pack (tiny.en gave it 0.02-0.04 on the real-parts reels)
    verdict = v.verify(_in_noise(word, seed=6), ["Cut."], [0.03])
    assert verdict is not None and verdict.probability > 0.05


def test_the_protocol_expects_the_next_call() -> None:
    from rushes.triage.speech.verify import expected_after

    assert expected_after("Rolling!") == ("speed", "mark")
    assert expected_after("speed.") == ("rolling", "mark")
    assert expected_after("Marker!") == ("action",)
    assert expected_after("Cut!") == () and expected_after("the") == () and expected_after(None) == ()
    p = VerifyParams()
    # a lone word that sounds like no command is a candidate only where a call is expected
    assert candidate(["Three."], p) is None
    assert candidate(["Three."], p, expected=("speed", "mark")) == (0, ["speed", "mark"])
    assert candidate(["Mork."], p, expected=("action",)) == (0, ["mark", "action"])
    assert candidate(["Three."], VerifyParams(context_prior=0.0), expected=("speed",)) is None
    assert candidate(["Three", "four."], p, expected=("speed",)) is None  # two words: dialogue
    with pytest.raises(ValueError):
        VerifyParams(context_prior=-1.0)


@pytest.mark.models
@needs_fw
def test_an_expected_call_heard_as_another_word_is_taken_and_a_real_word_is_not(tiny: object) -> None:
    from rushes.demo.speech import synthesize

    v = CommandVerifier(lambda: tiny)
    # the synthetic voice's "Speed!" is heard as "three" (alone too): after "rolling" it is the call
    speed = _in_noise(synthesize("Speed!", RATE), seed=7)
    verdict = v.verify(speed, ["Three."], expected=("speed", "mark"))
    assert verdict is not None and verdict.command == "speed" and verdict.prior == pytest.approx(3.0)
    assert verdict.logp_command < verdict.logp_heard  # less likely than "three" on its own ...
    assert verdict.probability > 0.05  # ... but not after "rolling"
    assert v.verify(speed, ["Three."]) is None  # nothing expected: "three" stays
    # a word that is clearly what was heard is not made a call by the prior
    three = _in_noise(synthesize("Three!", RATE), seed=7)
    assert v.verify(three, ["Three."], expected=("speed", "mark")) is None
    okay = _in_noise(synthesize("Lunch!", RATE), seed=8)
    assert v.verify(okay, ["Lunch."], expected=("action",)) is None


@pytest.mark.models
@needs_fw
def test_the_transcriber_gives_the_verifier_the_call_before_the_region(tiny: object) -> None:
    from rushes.demo.speech import synthesize

    speed = _in_noise(synthesize("Speed!", RATE), seed=7)
    gap = np.zeros(RATE, np.float32)
    rolling = _in_noise(synthesize("Rolling!", RATE), seed=9)
    audio_s = (rolling.size + gap.size) / RATE
    pack = [(0.4, 0.9, " Rolling.", 0.9), (audio_s + 0.45, audio_s + 0.75, " Three.", 0.7)]
    for words, want in ((pack, ["rolling", "speed"]), ([(0.4, 0.9, " Lunch.", 0.9), pack[1]], ["lunch", "three"])):
        tr = RegionTranscriber(lambda w=words: _Pack(tiny, w), AsrParams())
        tr.add_region(0, rolling)
        tr.add_region(rolling.size + gap.size, speed)
        tr.flush()
        assert [w.norm for w in tr.words] == want


@pytest.mark.models
@needs_fw
def test_fillers_where_a_call_is_expected_become_the_call_when_it_wins_with_the_prior(tiny: object) -> None:
    from rushes.demo.speech import synthesize

    v = CommandVerifier(lambda: tiny)
    # in a pack the synthetic "Speed!" came out as "to the"; alone it decodes as "Three."
    speed = _in_noise(synthesize("Speed!", RATE), seed=7)
    verdict = v.verify(speed, ["to", "the"], [0.4, 0.8], expected=("speed", "mark"))
    assert verdict is not None and verdict.replace_all and verdict.command == "speed"
    assert verdict.heard == "to the" and verdict.text in ("Speed!", "Speed.") and verdict.probability > 0.05
    assert v.verify(speed, ["to", "the"], [0.4, 0.8]) is None  # no call expected: nothing to restore
    # a word said clearly (alone it is "Lunch.") is not made the expected call
    lunch = _in_noise(synthesize("Lunch!", RATE), seed=8)
    assert v.verify(lunch, ["to", "the"], [0.4, 0.8], expected=("speed", "mark")) is None


def test_a_lone_word_the_pack_was_unsure_of_is_a_candidate_for_the_commands_of_its_onset() -> None:
    from rushes.triage.speech.verify import same_onset

    assert same_onset("comment") == ["cut"] and "rolling" in same_onset("running") and same_onset("the") == []
    p = VerifyParams()
    assert candidate(["comment"], p, [0.04]) == (0, ["cut"])
    assert candidate(["comment"], p, [0.6]) is None  # heard with confidence: a word
    assert candidate(["comment"], p) is None  # no probabilities: nothing to go on
    assert candidate(["comment"], VerifyParams(unsure_below=0.0), [0.04]) is None


@pytest.mark.models
@pytest.mark.shared_data
@needs_fw
def test_real_cut_heard_as_comment_at_low_probability_is_restored_and_real_words_are_not(tiny: object) -> None:
    """On a real-parts reel, the real flapped "cut" right before "reset" came out of a pack as
    "comment" at 0.04; alone, scored against the commands that begin with its sound, it is "cut".
    A real word said alone that the pack was unsure of stays what it was."""
    if not (SHARED_DATA / "audio" / "cathy_arctic_a0269.wav").exists():
        pytest.skip("cathy_arctic_a0269.wav is not present")
    from rushes.demo.realreel import RealParts
    from rushes.demo.speech import synthesize

    word, _onset = RealParts(SHARED_DATA).word("cathy_arctic_a0269.wav", "cut", RATE)
    v = CommandVerifier(lambda: tiny)
    verdict = v.verify(_in_noise(word, seed=5), ["comment"], [0.04])
    assert verdict is not None and verdict.command == "cut"
    for said in ("Comment!", "Camera!", "Rabbit!"):
        heard = said.rstrip("!").lower()
        assert v.verify(_in_noise(synthesize(said, RATE), seed=9), [heard], [0.05]) is None, said
