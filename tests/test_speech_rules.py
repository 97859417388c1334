"""Set-command rules, preprocessing, VAD segmentation, packing and matching — no models needed."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from rushes.triage.speech.asr import AsrParams, RegionTranscriber, assign_words, normalize_word
from rushes.triage.speech.evaluate import command_truth, match_events
from rushes.triage.speech.preprocess import BlockProcessor, PreprocessParams, compress, preprocess
from rushes.triage.speech.rules import COMMAND_LABELS, RuleParams, TokenWord, spot_commands, tokens_of
from rushes.triage.speech.vad import WINDOW, LoudWindows, VadParams, speech_regions

RATE = 16_000


def utt(index: int, t0: float, *tokens: str, prob: float = 0.9, step: float = 0.35) -> list[TokenWord]:
    """Words of one utterance starting at ``t0``, ``step`` seconds apart."""
    return [TokenWord(tok, t0 + k * step, t0 + k * step + 0.3, prob, index) for k, tok in enumerate(tokens)]


def labels(words: list[TokenWord], params: RuleParams | None = None) -> list[tuple[str, str]]:
    return [(c.label, c.rule) for c in spot_commands(words, params)]


def test_normalisation() -> None:
    assert normalize_word(" Cut!") == "cut"
    assert normalize_word("«Action»,") == "action"
    assert normalize_word("...") == ""
    assert tokens_of("Cut-cut! Check the gate.") == ["cut", "cut", "check", "the", "gate"]
    assert tokens_of("That's it") == ["that's", "it"]


def test_isolated_calls_are_commands() -> None:
    words = (utt(0, 1.0, "Rolling.") + utt(1, 2.2, "Speed!") + utt(2, 3.4, "Marker!")
             + utt(3, 5.0, "Action!") + utt(4, 11.0, "Okay,", "cut!") + utt(5, 12.0, "Reset."))
    assert labels(words) == [("rolling", "isolated"), ("speed", "isolated"), ("mark", "isolated"),
                             ("action", "isolated"), ("cut", "isolated"), ("reset", "isolated")]
    # how sound mixers and ADs also say them
    words = utt(0, 1.0, "Speeding!") + utt(1, 20.0, "Okay,", "back", "to", "one.") + utt(2, 40.0, "Back", "to", "ones!")
    assert labels(words) == [("speed", "isolated"), ("reset", "isolated"), ("reset", "isolated")]
    assert spot_commands(utt(0, 1.0, "he", "was", "speeding", "down", "the", "road")) == []
    assert spot_commands(utt(0, 1.0, "let's", "go", "back", "to", "one", "of", "those", "bars")) == []


def test_labels_are_exactly_the_documented_set() -> None:
    words = (utt(0, 0.0, "Background", "action!") + utt(1, 5.0, "Check", "the", "gate.")
             + utt(2, 9.0, "Cut,", "reset."))
    got = spot_commands(words)
    assert [c.label for c in got] == ["background_action", "check_the_gate", "cut", "reset"]
    assert {c.label for c in got} <= set(COMMAND_LABELS)
    assert got[0].rule == "phrase" and got[0].n_words == 2 and got[0].word_indices == (0, 1)


@pytest.mark.parametrize("word", ["but", "cat", "cup", "cutters", "cutlery", "abstractions", "auction",
                                  "traction", "catch", "Cuts", "cutter", "actions", "satisfaction", "marked"])
def test_near_misses_are_rejected(word: str) -> None:
    assert spot_commands(utt(0, 1.0, word)) == []
    assert spot_commands(utt(0, 1.0, "and", word)) == []


def test_commands_inside_dialogue_are_rejected() -> None:
    dialogue = (utt(0, 1.0, "That's", "where", "they", "cut", "off", "the", "Scottish", "chiefs")
                + utt(1, 6.0, "Mark", "my", "words")
                + utt(2, 9.0, "we", "need", "more", "speed", "on", "the", "boat")
                + utt(3, 12.0, "the", "action", "was", "great", "today"))
    assert spot_commands(dialogue) == []


def test_and_call_and_alternation() -> None:
    words = (utt(0, 1.0, "Action!") + utt(1, 3.0, "run", "to", "the", "door", "and", "cut")
             + utt(2, 8.0, "Action!") + utt(3, 12.0, "lovely", "stuff", "everybody", "that", "was", "cut"))
    got = spot_commands(words)
    assert [(c.label, c.rule) for c in got] == [
        ("action", "isolated"), ("cut", "and_call"), ("action", "isolated"), ("cut", "alternation")]
    # without a preceding "action", a trailing "cut" in a sentence stays dialogue
    assert spot_commands(utt(0, 1.0, "lovely", "stuff", "everybody", "that", "was", "cut")) == []
    assert spot_commands(words, RuleParams(alternation=False))[-1].rule == "isolated"


def test_repeated_calls_merge_and_low_probability_is_ignored() -> None:
    words = utt(0, 1.0, "Cut!", "Cut!", "Cut!")
    got = spot_commands(words)
    assert len(got) == 1 and got[0].start == pytest.approx(1.0)
    assert spot_commands(utt(0, 1.0, "Cut.", prob=0.01)) == []
    assert len(spot_commands(utt(0, 1.0, "Cut.", prob=0.01), RuleParams(min_probability=0.0))) == 1


def test_long_utterances_are_not_isolated() -> None:
    words = utt(0, 1.0, "okay", "everybody", "settle", "quiet", "please", "and", "still", "rolling")
    got = spot_commands(words, RuleParams(max_isolated_words=5))
    assert [c.rule for c in got] == []  # eight words: not a lone call ("and" is not right before)


def _tone(seconds: float, freq: float, amp: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_preprocess_keeps_length_and_removes_rumble_and_stationary_noise() -> None:
    rng = np.random.default_rng(0)
    noise = (0.01 * rng.standard_normal(RATE * 4)).astype(np.float32)
    rumble = _tone(4, 30, 0.2)
    speechy = np.zeros(RATE * 4, np.float32)
    speechy[RATE : 2 * RATE] = _tone(1, 440, 0.1)
    y = preprocess(noise + rumble + speechy, PreprocessParams(compress=False))
    assert y.shape == noise.shape and y.dtype == np.float32
    spec = np.abs(np.fft.rfft(y))
    f = np.fft.rfftfreq(y.size, 1 / RATE)
    assert spec[np.argmin(abs(f - 30))] < 0.05 * spec[np.argmin(abs(f - 440))]
    quiet_in = float(np.std(noise[3 * RATE :]))
    quiet_out = float(np.std(y[3 * RATE :]))
    assert quiet_out < 0.5 * quiet_in  # noise-only stretch is gated down
    assert float(np.std(y[RATE + 2000 : 2 * RATE - 2000])) > 0.05  # the tone survives


def test_compression_lifts_quiet_speech_more_than_loud() -> None:
    rng = np.random.default_rng(1)
    x = (0.001 * rng.standard_normal(RATE * 6)).astype(np.float32)
    x[RATE : 2 * RATE] += _tone(1, 300, 0.02)  # quiet, distant
    x[3 * RATE : 4 * RATE] += _tone(1, 300, 0.4)  # loud
    y = compress(x, PreprocessParams())
    gain_quiet = np.std(y[RATE + 4000 : 2 * RATE - 4000]) / np.std(x[RATE + 4000 : 2 * RATE - 4000])
    gain_loud = np.std(y[3 * RATE + 4000 : 4 * RATE - 4000]) / np.std(x[3 * RATE + 4000 : 4 * RATE - 4000])
    assert gain_quiet > 2.0 * gain_loud
    assert np.max(np.abs(y)) <= 1.0


def test_block_processor_matches_one_shot_away_from_edges() -> None:
    rng = np.random.default_rng(2)
    x = (0.02 * rng.standard_normal(RATE * 7)).astype(np.float32)
    bp = BlockProcessor(PreprocessParams(denoise=False, compress=False), block=RATE * 2, context=RATE // 2)
    out = []
    for i in range(0, x.size, 5000):
        out += bp.feed(x[i : i + 5000])
    out += bp.flush()
    starts = [s for s, _ in out]
    assert starts == sorted(starts) and starts[0] == 0
    y = np.concatenate([b for _, b in out])
    assert y.size == x.size
    ref = preprocess(x, PreprocessParams(denoise=False, compress=False))
    assert np.allclose(y[1000:-1000], ref[1000:-1000], atol=1e-4)


def test_speech_regions_hysteresis_and_padding() -> None:
    probs = np.zeros(200, np.float32)
    probs[20:40] = 0.9  # 0.64 s of speech
    probs[45:60] = 0.3  # below threshold, above neg threshold right after speech: stays in
    probs[100:102] = 0.9  # too short with min_speech_s = 0.1
    probs[150:170] = 0.6
    p = VadParams(threshold=0.5, min_speech_s=0.1, min_silence_s=0.2, pad_s=0.0)
    regions = speech_regions(probs, 200 * WINDOW, p)
    assert regions[0][0] == 20 * WINDOW and regions[-1] == (150 * WINDOW, 170 * WINDOW)
    assert len(regions) == 2
    padded = speech_regions(probs, 200 * WINDOW, VadParams(threshold=0.5, min_speech_s=0.1, pad_s=0.25))
    assert padded[0][0] == 20 * WINDOW - 4000


def test_loud_windows_open_a_region_at_the_lower_threshold() -> None:
    """A lone call Silero scores 0.25 opens a region only where it stands out of the noise."""
    rng = np.random.default_rng(0)
    rate = 16_000
    x = (0.003 * rng.standard_normal(40 * rate)).astype(np.float32)  # 40 s of room noise
    call = slice(20 * rate, 20 * rate + 8000)  # 0.5 s, 24 dB above it
    x[call] += (0.05 * np.sin(2 * np.pi * 220 * np.arange(8000) / rate)).astype(np.float32)
    p = VadParams()
    meter = LoudWindows(p, rate)
    flags = np.concatenate([meter.flags(x[i : i + 32 * rate]) for i in range(0, x.size, 32 * rate)])
    n = -(-x.size // WINDOW)
    assert flags.size == n
    loud_idx = np.flatnonzero(flags)
    assert loud_idx.size
    assert loud_idx.min() >= 20 * rate // WINDOW - 1 and loud_idx.max() <= (20 * rate + 8000) // WINDOW
    probs = np.full(n, 0.02, np.float32)
    probs[20 * rate // WINDOW : (20 * rate + 8000) // WINDOW] = 0.25  # a weak Silero score on the call
    probs[5 * rate // WINDOW : 5 * rate // WINDOW + 15] = 0.25  # the same score on quiet noise
    assert speech_regions(probs, x.size, p) == []
    regions = speech_regions(probs, x.size, p, rate, loud=flags)
    assert len(regions) == 1
    s, e = regions[0]
    assert s <= 20 * rate <= e and e >= 20 * rate + 7000
    # loud_db = 0 turns the rule off
    off = LoudWindows(VadParams(loud_db=0.0), rate).flags(x)
    assert not off.any()
    with pytest.raises(ValueError):
        VadParams(loud_threshold=0.5)


class _FakeModel:
    """Returns fixed words in pack time, as faster-whisper would (start/end/word/probability)."""

    def __init__(self, words: list[tuple[float, float, str]]) -> None:
        self.words = words
        self.calls: list[int] = []

    def transcribe(self, audio: np.ndarray, **kw: Any) -> tuple[list[Any], None]:
        self.calls.append(audio.size)

        class W:
            def __init__(self, s: float, e: float, w: str) -> None:
                self.start, self.end, self.word, self.probability = s, e, w, 0.9

        class S:
            def __init__(self, words: list[W]) -> None:
                self.words = words

        seg = S([W(*w) for w in self.words])
        self.words = []  # only the first pack has words
        return [seg], None


def test_region_transcriber_maps_words_back_to_file_time() -> None:
    # three 1 s regions at 10 s, 20 s and 30 s; packed with 0.4 s gaps: 0-1, 1.4-2.4, 2.8-3.8
    fake = _FakeModel([(0.1, 0.5, " Action!"), (0.9, 2.2, " Cut."), (2.9, 3.3, " Reset")])
    tr = RegionTranscriber(lambda: fake, AsrParams(gap_s=0.4), time_offset=100.0)
    for k in range(3):
        tr.add_region((10 + 10 * k) * RATE, np.zeros(RATE, np.float32))
    tr.flush()
    got = [(w.text, w.utterance, round(w.start, 2), round(w.end, 2)) for w in tr.words]
    # "Cut." starts in region 0 per the recogniser but ends in region 1: it belongs to region 1
    assert got == [("Action!", 0, 110.1, 110.5), ("Cut.", 1, 120.0, 120.8), ("Reset", 2, 130.1, 130.5)]
    assert [u.text for u in tr.utterances] == ["Action!", "Cut.", "Reset"]
    assert len(fake.calls) == 1


def test_region_transcriber_retries_trailing_regions_once() -> None:
    fake = _FakeModel([(0.1, 0.5, " Action!")])
    tr = RegionTranscriber(lambda: fake, AsrParams(gap_s=0.4))
    for k in range(3):
        tr.add_region(k * 5 * RATE, np.zeros(RATE, np.float32))
    tr.flush()
    assert len(fake.calls) == 2 and tr.stats.retries == 1
    assert fake.calls[1] == 2 * RATE + int(0.4 * RATE)


def test_words_placed_late_by_whisper_go_back_to_their_regions() -> None:
    # four short calls (regions 1 s long, 0.4 s apart) and a line of dialogue; Whisper put every
    # word 0.9 s late, so by time alone "rolling" would land in the "mark" region and so on
    regions = [(0.0, 1.0), (1.4, 2.4), (2.8, 3.8), (4.2, 9.0)]
    late = [(0.9, 1.7), (2.3, 3.1), (3.7, 4.5), (5.2, 5.5), (5.5, 5.9), (6.0, 6.4)]
    where, shift = assign_words(late, regions, 0.8, 1.2)
    assert where == [0, 1, 2, 3, 3, 3] and 0.2 <= shift <= 1.0
    assert assign_words(late, regions, 0.8, 0.0)[0] == [0, 1, 2, 3, 3, 3]  # the empty-region cost alone
    by_time, _ = assign_words(late, regions, 0.0, 0.0)
    assert by_time[:3] == [1, 2, 3]  # nearest by time alone: every call one region late
    # words on time stay where they are; a region with no word is allowed
    ontime = [(0.1, 0.6), (3.0, 3.5)]
    assert assign_words(ontime, regions, 0.8, 1.2) == ([0, 2], 0.0)
    assert assign_words([], regions) == ([], 0.0)


def test_words_on_time_stay_in_their_regions_when_whisper_skipped_a_call() -> None:
    # a generated reel's pack (pack seconds): Whisper heard every word where it was said but
    # skipped the "action" of region 6; the dialogue's last word has a region of its own
    regions = [(0, 1.11), (1.51, 3.38), (3.78, 4.54), (4.94, 5.76), (6.16, 7.94), (8.34, 9.26),
               (9.66, 10.48), (10.88, 12.27), (12.67, 13.62), (14.02, 14.78)]
    words = [(0, 0.66), (1.76, 1.98), (1.98, 2.22), (2.22, 2.56), (2.56, 3.24),  # action | the auction was cancelled
             (4.12, 4.52), (4.96, 5.38),  # cut | action
             (6.5, 6.62), (6.62, 6.86), (6.86, 7.14), (7.14, 7.94), (8.68, 9.06),  # a little more traction | cut
             (11.18, 11.34), (11.34, 11.54), (11.54, 11.8), (11.8, 12.34), (14.0, 14.38)]  # but then the cap | action
    where, _shift = assign_words(words, regions)
    cut_regions = {where[5], where[11]}
    assert cut_regions == {2, 5}  # each "cut" in its own region: not slid into the next one
    assert where[:7] == [0, 1, 1, 1, 1, 2, 3] and where[-1] == 9


def test_words_on_time_are_not_slid_to_fill_regions_whose_calls_whisper_skipped() -> None:
    # a generated reel's pack (pack seconds): Whisper skipped most "action" calls but timed every
    # word it heard inside its region; a shift would have filled the empty regions with each
    # line's last word and each "Cut." (five of six cuts lost on that file)
    regions = [(0.0, 1.11), (1.51, 3.26), (3.66, 4.48), (4.88, 5.7), (6.1, 7.59), (7.99, 8.9), (9.3, 10.12),
               (10.52, 11.98), (12.38, 13.2)]
    words = [(0.0, 0.74), (1.76, 2.28), (2.28, 2.44), (2.44, 2.62), (2.62, 3.28),  # action | covery in the drawer
             (3.94, 4.36), (6.5, 6.58), (6.58, 6.78), (6.78, 7.06), (7.06, 7.72),  # cut | a cup of tea
             (8.26, 8.64), (10.84, 11.02), (11.02, 11.2), (11.2, 11.46), (11.46, 12.02), (12.66, 12.94)]
    where, shift = assign_words(words, regions)
    assert shift == 0.0
    assert where == [0, 1, 1, 1, 1, 2, 4, 4, 4, 4, 5, 7, 7, 7, 7, 8]


def test_region_transcriber_retries_a_short_region_skipped_inside_a_pack() -> None:
    # words for regions 0 and 2 only: the 1 s region 1 between them is tried once more
    fake = _FakeModel([(0.1, 0.5, " Rolling."), (2.9, 3.3, " Action!")])
    tr = RegionTranscriber(lambda: fake, AsrParams(gap_s=0.4))
    for k in range(3):
        tr.add_region(k * 5 * RATE, np.zeros(RATE, np.float32))
    tr.flush()
    assert len(fake.calls) == 2 and tr.stats.retries == 1 and fake.calls[1] == RATE
    fake2 = _FakeModel([(0.1, 0.5, " Rolling."), (2.9, 3.3, " Action!")])
    off = RegionTranscriber(lambda: fake2, AsrParams(gap_s=0.4, retry_missed_s=0.0))
    for k in range(3):
        off.add_region(k * 5 * RATE, np.zeros(RATE, np.float32))
    off.flush()
    assert len(fake2.calls) == 1


def test_match_events_and_truth() -> None:
    det = [("cut", 10.2), ("cut", 30.0), ("action", 5.0)]
    truth = [("action", 4.0), ("cut", 10.0), ("cut", 12.0)]
    matches, false, missed = match_events(det, truth, 3.0)
    assert matches == [(0, 1), (2, 0)] and false == [1] and missed == [2]
    ft = {"speech": [{"word": "cut", "start": 3.0, "speaker": "director"},
                     {"word": "but then the cat", "start": 1.0, "speaker": "actor"},
                     {"word": "rolling", "start": 0.5, "speaker": "crew"}]}
    assert command_truth(ft) == [("rolling", 0.5), ("cut", 3.0)]
