"""Speech recognition of voiced regions with word timestamps (``faster-whisper``).

Whisper's encoder always looks at 30 s windows, so recognising each short voiced region alone
would cost one full window per "Cut!". Instead :class:`RegionTranscriber` *packs* consecutive
regions (from :mod:`rushes.triage.speech.vad`) into one buffer of at most ``pack_s`` seconds,
separated by ``gap_s`` of silence, transcribes the buffer in one call, and maps every word back
to its region and file time. Whisper's word times inside a pack can be off by up to about a
second (starts stretched back over silence, or a whole run of short calls placed late), so
words are not mapped by their times alone: :func:`assign_words` finds the assignment that keeps
the words in order and minimises the distance of each word's midpoint to its region plus a
penalty (``empty_region_s``) for every voiced region left without a word — VAD found speech
there, so a shifted run of calls ("mark" heard in the "action" region, "action" in the dialogue
after it) is put back. Each word is then clipped to its region, so it can never land in the
silence between regions.

Decoding is deliberate about cost and hallucination: no ``initial_prompt`` or ``hotwords`` (both
made the model "hear" commands that were not said), no conditioning on previous text (stops
repetition loops across packs), greedy or small-beam search, and one temperature fallback.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from rushes.triage.speech.rules import tokens_of
from rushes.triage.speech.verify import SINGLE_COMMANDS, CommandVerifier, Verdict, VerifyParams, expected_after

__all__ = ["AsrParams", "RegionTranscriber", "Utterance", "Word", "assign_words", "normalize_word"]

F32 = npt.NDArray[np.float32]
_PUNCT = re.compile(r"[^\w']+|_", re.UNICODE)


def normalize_word(token: str) -> str:
    """Lower-case ``token`` without surrounding punctuation: ``" Cut!"`` → ``"cut"``."""
    return _PUNCT.sub("", token.strip().lower()).strip("'")


@dataclass(frozen=True)
class Word:
    """One recognised word in file time (seconds)."""

    start: float
    end: float
    text: str
    """The token as the recogniser wrote it (capitals and punctuation kept)."""
    probability: float
    utterance: int
    """Index of the voiced region (utterance) it belongs to."""
    heard: str = ""
    """What the pack's decoding wrote, when the second opinion (:mod:`.verify`) replaced it."""

    @property
    def norm(self) -> str:
        """:func:`normalize_word` of :attr:`text`."""
        return normalize_word(self.text)


@dataclass(frozen=True)
class Utterance:
    """One voiced region and the text recognised in it."""

    index: int
    start: float
    end: float
    text: str
    n_words: int
    mean_probability: float


@dataclass(frozen=True)
class AsrParams:
    """Recognition settings (part of the speech analyzer's cache key)."""

    beam_size: int = 1
    """1 = greedy. Beam 5 was no better on set commands and cost ~1.6× (see docs/speech.md)."""
    pack_s: float = 28.0
    """Longest packed buffer (seconds); Whisper windows are 30 s."""
    gap_s: float = 0.4
    """Silence inserted between packed regions (0.2 s with 0.15 s pads saved only ~6 % CPU and
    lost commands: see docs/speech.md)."""
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0
    temperatures: tuple[float, ...] = (0.0, 0.4)
    """Greedy first; one sampled retry when the output looks degenerate (the sampling is seeded
    before every call, so the same audio always gives the same words)."""
    compression_ratio_threshold: float = 4.0
    """Text compressing better than this counts as degenerate (a hallucination loop such as
    "cut, cut, cut, ..." compresses ~6×). Whisper's 2.4 misfires on dailies: a pack of three
    takes of the same line ("action ... a little more traction ... cut", three times) compresses
    2.6× and was re-decoded by sampling, which dropped calls at random."""
    empty_region_s: float = 0.5
    """Cost, in seconds of timing error, of leaving a voiced region of a pack without words when
    mapping words back to regions (:func:`assign_words`); 0 = nearest region by time only.
    Regions without words are normal too (a pause splits a sentence, Whisper skips a call), so
    the cost stays below the ~1 s by which Whisper misplaces runs of calls."""
    max_shift_s: float = 0.5
    """Largest shift of a whole pack's word times tried when mapping words to regions. Larger
    shifts were seen to slide every word of a pack into the next region once Whisper had
    skipped one call (1.2 s lost 6 of 18 "cut"s on a generated 1080p reel)."""
    retry_missed_s: float = 3.0
    """Voiced regions up to this long that got no word (Whisper skips a lone short call inside a
    pack now and then) are transcribed once more, together, in one extra pack; 0 = only the
    trailing regions of a pack that Whisper ended early."""
    verify: VerifyParams = field(default_factory=VerifyParams)
    """The second opinion on short calls heard as a near miss of a command (:mod:`.verify`)."""

    def __post_init__(self) -> None:
        if self.beam_size < 1:
            raise ValueError("beam_size must be >= 1")
        if not 2.0 <= self.pack_s <= 29.5:
            raise ValueError("pack_s must be within 2..29.5 (one Whisper window)")
        if not 0.0 <= self.gap_s <= 2.0:
            raise ValueError("gap_s must be within 0..2")
        if not 0.0 <= self.empty_region_s <= 5.0:
            raise ValueError("empty_region_s must be within 0..5")
        if not 0.0 <= self.max_shift_s <= 5.0 or not 0.0 <= self.retry_missed_s <= 30.0:
            raise ValueError("max_shift_s must be within 0..5 and retry_missed_s within 0..30")


@dataclass
class _Pending:
    index: int
    start: int  # absolute sample of the region's first sample
    audio: F32


@dataclass
class TranscribeStats:
    """Counters of one transcriber (reported as analyzer metrics)."""

    calls: int = 0
    packs: int = 0
    regions: int = 0
    voiced_s: float = 0.0
    words: int = 0
    retries: int = 0
    verify_calls: int = 0
    """Regions re-scored alone by the second opinion."""
    verified: int = 0
    """Near misses it turned into commands (or unsure commands it confirmed)."""
    moved: int = 0
    """Calls the pack had slid into a neighbouring region, taken back (see ``_take_back_misplaced``)."""
    rejected: int = 0
    """Unsure commands that the region decoded alone contradicted (their probability lowered)."""
    wall_s: float = 0.0
    process_cpu_s: float = 0.0
    """Process CPU while recognising: CTranslate2's threads included (the runner's per-step CPU
    counts only the calling thread), other busy threads of the process too."""
    extra: dict[str, Any] = field(default_factory=dict)


def _gap_distance(mid: npt.NDArray[np.float64], a: npt.NDArray[np.float64],
                  b: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Distance (words × regions) from each word midpoint to each region ``[a, b]``, 0 inside."""
    return np.maximum(0.0, np.maximum(a[None, :] - mid[:, None], mid[:, None] - b[None, :]))


def _assign_monotone(mid: npt.NDArray[np.float64], a: npt.NDArray[np.float64], b: npt.NDArray[np.float64],
                     mu: float) -> tuple[list[int], float]:
    """The monotone assignment of word midpoints ``mid`` to regions ``[a, b]`` and its cost."""
    n, m = mid.size, a.size
    dist = _gap_distance(mid, a, b)
    idx = np.arange(m, dtype=np.float64)
    cost = dist[0] + mu * idx  # regions before the first word's are empty
    back = np.zeros((n, m), dtype=np.int64)
    for i in range(1, n):
        # the previous word's region, or an earlier one with the regions between left empty:
        # min over j < k of cost[j] + mu * (k - j - 1) = (prefix min of cost[j] - mu * j) + mu * (k - 1)
        shifted = cost - mu * idx
        pref_arg = np.zeros(m, dtype=np.int64)
        for k in range(1, m):
            pref_arg[k] = k if shifted[k] < shifted[pref_arg[k - 1]] else pref_arg[k - 1]
        jump = np.full(m, np.inf)
        jump[1:] = shifted[pref_arg[:-1]] + mu * (idx[1:] - 1)
        stay = cost <= jump
        back[i] = np.where(stay, np.arange(m), np.concatenate([[0], pref_arg[:-1]]))
        cost = dist[i] + np.where(stay, cost, jump)
    total = cost + mu * (m - 1 - idx)  # regions after the last word's are empty
    k = int(np.argmin(total))
    best = float(total[k])
    out = [k]
    for i in range(n - 1, 0, -1):
        k = int(back[i][k])
        out.append(k)
    return out[::-1], best


def assign_words(words: list[tuple[float, float]], regions: list[tuple[float, float]],
                 empty_region_s: float = 0.5, max_shift_s: float = 0.5) -> tuple[list[int], float]:
    """Region index of each word (times in pack seconds, both lists in time order), and the time
    shift found between Whisper's word times and the audio.

    The assignment is monotone (words keep their order, a region takes a consecutive run) and
    minimises the sum over words of the distance from the word's midpoint to its region (0
    inside it) plus ``empty_region_s`` for every region that gets no word. Whisper often places a
    whole run of short calls late (or early) by the same amount, so the word times may first be
    moved by one shift for the whole pack, up to ``max_shift_s`` in 0.1 s steps, each 0.1 s of
    shift costing 0.02 (no shift unless it explains the regions clearly better). A shift is only
    tried when it moves words out of silence — the summed distance of the word midpoints to
    their nearest region drops by at least 0.1 s — never just to fill regions: when Whisper
    skips calls inside a pack whose words are on time, sliding every word towards the empty
    regions would put each line's last word, and each "Cut", into the next region. Dynamic
    programming, O(shifts × words × regions).
    """
    n, m = len(words), len(regions)
    if n == 0 or m == 0:
        return [0] * n, 0.0
    mid = np.asarray([(s + e) / 2 for s, e in words], dtype=np.float64)
    a = np.asarray([r[0] for r in regions], dtype=np.float64)
    b = np.asarray([r[1] for r in regions], dtype=np.float64)
    steps = int(round(max(0.0, max_shift_s) / 0.1))

    def in_silence(shift: float) -> float:
        return float(np.sum(np.min(_gap_distance(mid - shift, a, b), axis=1)))

    base = in_silence(0.0)
    best: tuple[float, list[int], float] | None = None
    for j in sorted(range(-steps, steps + 1), key=abs):
        shift = j * 0.1
        if j and in_silence(shift) > base - 0.1:
            continue
        where, cost = _assign_monotone(mid - shift, a, b, float(empty_region_s))
        cost += 0.2 * abs(shift)
        if best is None or cost < best[0] - 1e-9:
            best = (cost, where, shift)
    assert best is not None
    return best[1], round(best[2], 3)


def _seed_sampling() -> None:
    """Seed CTranslate2's sampler, so a temperature fallback decodes the same way every time."""
    try:
        import ctranslate2
    except ImportError:  # a test double stands in for the model
        return
    ctranslate2.set_random_seed(0)


class RegionTranscriber:
    """Collects voiced regions and transcribes them in packs.

    ``model`` is a callable returning a ``faster_whisper.WhisperModel`` (called on first use,
    so nothing loads for a file without speech). ``english_only`` models get ``language="en"``
    too; multilingual ones are told English (the set language) to skip language detection.
    """

    def __init__(self, model: Callable[[], Any], params: AsrParams | None = None, *, rate: int = 16_000,
                 time_offset: float = 0.0) -> None:
        self._model = model
        self.params = params or AsrParams()
        self.rate = rate
        self.time_offset = time_offset
        self._pending: list[_Pending] = []
        self._pending_len = 0
        self.words: list[Word] = []
        self.utterances: list[Utterance] = []
        self.stats = TranscribeStats()
        self._next_index = 0
        self._verifier = CommandVerifier(model, self.params.verify)

    def add_region(self, start_sample: int, audio: F32) -> None:
        """Queue one voiced region (absolute first sample, its samples); may transcribe a pack."""
        n = int(audio.size)
        if n == 0:
            return
        gap = int(self.params.gap_s * self.rate)
        limit = int(self.params.pack_s * self.rate)
        if self._pending and self._pending_len + gap + n > limit:
            self._transcribe_pending()
        self._pending.append(_Pending(self._next_index, start_sample, np.asarray(audio, dtype=np.float32)))
        self._next_index += 1
        self._pending_len += (gap if self._pending_len else 0) + n
        self.stats.regions += 1
        self.stats.voiced_s += n / self.rate
        if self._pending_len >= limit:
            self._transcribe_pending()

    def flush(self) -> None:
        """Transcribe whatever is still queued."""
        if self._pending:
            self._transcribe_pending()

    # -- internals ------------------------------------------------------------------------
    def _transcribe_pending(self) -> None:
        regions, self._pending, self._pending_len = self._pending, [], 0
        missed = self._transcribe(regions)
        if missed:
            # Whisper sometimes ends a window early (a lone closing timestamp makes faster-whisper
            # skip the rest of the window), and sometimes skips a lone short call inside it: those
            # regions got no words. Try them once more, together.
            self.stats.retries += 1
            self._transcribe(missed)
            self.words.sort(key=lambda w: (w.start, w.end))
            self.utterances.sort(key=lambda u: u.start)

    def _transcribe(self, regions: list[_Pending]) -> list[_Pending]:
        """Transcribe one pack; return the regions to try again: the trailing ones that received
        no words, and (``retry_missed_s``) short ones inside the pack that received none."""
        gap = np.zeros(int(self.params.gap_s * self.rate), dtype=np.float32)
        parts: list[F32] = []
        offsets: list[int] = []  # start of each region inside the pack (samples)
        pos = 0
        for k, r in enumerate(regions):
            if k:
                parts.append(gap)
                pos += gap.size
            offsets.append(pos)
            parts.append(r.audio)
            pos += r.audio.size
        pack = np.concatenate(parts)
        model = self._model()
        t0, c0 = time.perf_counter(), time.process_time()
        p = self.params
        _seed_sampling()
        segments, _info = model.transcribe(
            pack,
            language="en",
            beam_size=p.beam_size,
            best_of=1,
            temperature=list(p.temperatures),
            compression_ratio_threshold=p.compression_ratio_threshold,
            log_prob_threshold=p.log_prob_threshold,
            no_speech_threshold=p.no_speech_threshold,
            condition_on_previous_text=False,
            word_timestamps=True,
            vad_filter=False,
            without_timestamps=False,
        )
        raw: list[tuple[float, float, str, float]] = []
        for seg in segments:
            for w in seg.words or ():
                raw.append((float(w.start), float(w.end), str(w.word), float(w.probability)))
        self.stats.wall_s += time.perf_counter() - t0
        self.stats.process_cpu_s += time.process_time() - c0
        self.stats.calls += 1
        self.stats.packs += 1
        got = self._assign(regions, offsets, raw)
        last = max((k for k, r in enumerate(regions) if r.index in got), default=-1)
        trailing = regions[last + 1 :]
        retry = trailing if len(regions) > 1 and sum(r.audio.size for r in trailing) >= self.rate else []
        limit = self.params.retry_missed_s * self.rate
        if len(regions) > 1 and limit > 0:
            # lone short calls Whisper skipped inside the pack
            inner = [r for r in regions[: last + 1] if r.index not in got and r.audio.size <= limit]
            retry = inner + [r for r in retry if r not in inner]
        return retry

    def _assign(self, regions: list[_Pending], offsets: list[int],
                raw: list[tuple[float, float, str, float]]) -> set[int]:
        """Give each word to its region (file time); return the indices of regions with words."""
        rate = float(self.rate)
        starts = np.asarray(offsets, dtype=np.float64) / rate
        ends = starts + np.asarray([r.audio.size for r in regions], dtype=np.float64) / rate
        by_region: dict[int, list[Word]] = {}
        kept = [w for w in raw if w[2].strip()]
        where, shift = assign_words([(s, e) for s, e, _t, _p in kept],
                                    list(zip(starts.tolist(), ends.tolist(), strict=True)),
                                    self.params.empty_region_s, self.params.max_shift_s)
        for (s, e, text, prob), k in zip(kept, where, strict=True):
            s, e = s - shift, e - shift
            r = regions[k]
            s_in = min(max(s, starts[k]), ends[k]) - starts[k]
            e_in = min(max(e, starts[k]), ends[k]) - starts[k]
            base = r.start / rate + self.time_offset
            word = Word(base + s_in, base + max(e_in, s_in), text.strip(), prob, r.index)
            by_region.setdefault(r.index, []).append(word)
        heard: dict[int, list[Word]] = {}
        alone_calls: list[int] = []  # positions (in ``regions``) of filler regions that are calls alone
        last = self.words[-1] if self.words else None  # the word before the region (protocol prior)
        context_s = self.params.verify.context_s
        for k, r in enumerate(regions):
            ws = by_region.get(r.index, [])
            if ws:
                expected: tuple[str, ...] = ()
                if last is not None and -0.5 <= r.start / rate + self.time_offset - last.end <= context_s:
                    expected = expected_after(last.text)
                ws, verdict = self._second_opinion(r, ws, expected)
                if verdict is not None and verdict.replace_all:
                    alone_calls.append(k)
                last = ws[-1] if ws else last
            heard[r.index] = ws
        for k in alone_calls:
            self._take_back_misplaced(regions, heard, k)
        for r in regions:
            ws = heard[r.index]
            self.words.extend(ws)
            self.stats.words += len(ws)
            if ws:
                base = r.start / rate + self.time_offset
                self.utterances.append(Utterance(
                    index=r.index, start=base, end=base + r.audio.size / rate,
                    text=" ".join(w.text for w in ws),
                    n_words=len(ws), mean_probability=float(np.mean([w.probability for w in ws])),
                ))
        return set(by_region)

    def _take_back_misplaced(self, regions: list[_Pending], heard: dict[int, list[Word]], k: int) -> None:
        """Region ``k`` of a pack held only fillers and is, heard alone, a call: when the pack
        put that same command as the last word of the region before it (or the first of the one
        after), the pack's timing slid the call into its neighbour — remove it there, so one call
        is not counted twice (once misplaced)."""
        call = set(tokens_of(heard[regions[k].index][0].text)) & set(SINGLE_COMMANDS)
        for j, edge in ((k - 1, -1), (k + 1, 0)):
            if not 0 <= j < len(regions):
                continue
            ws = heard[regions[j].index]
            if ws and call & set(tokens_of(ws[edge].text)):
                heard[regions[j].index] = ws[:-1] if edge == -1 else ws[1:]
                self.stats.moved += 1
                return

    def _second_opinion(self, region: _Pending, ws: list[Word], expected: tuple[str, ...] = ()
                        ) -> tuple[list[Word], Verdict | None]:
        """The region's words, with a near miss of a command replaced when the region's audio,
        re-scored alone, says it was the command (:mod:`rushes.triage.speech.verify`; ``expected``:
        the calls the set's protocol expects after the word before the region); and the verdict,
        if any."""
        before = self._verifier.calls
        t0, c0 = time.perf_counter(), time.process_time()
        verdict = self._verifier.verify(region.audio, [w.text for w in ws], [w.probability for w in ws], expected)
        if self._verifier.calls != before:
            self.stats.verify_calls += 1
            self.stats.wall_s += time.perf_counter() - t0
            self.stats.process_cpu_s += time.process_time() - c0
        if verdict is None:
            return ws, None
        old = ws[verdict.token_index]
        if verdict.replace_all:
            # a region of fillers that, heard alone, is a call
            self.stats.verified += 1
            return [Word(ws[0].start, ws[-1].end, verdict.text, verdict.probability, old.utterance,
                         heard=verdict.heard)], verdict
        if verdict.rejected:
            # alone the region is something else (dialogue): the command word keeps the lower probability
            self.stats.rejected += 1
            new = Word(old.start, old.end, old.text, min(old.probability, verdict.probability), old.utterance)
        else:
            self.stats.verified += 1
            new = Word(old.start, old.end, old.text if verdict.confirmed else verdict.text, verdict.probability,
                       old.utterance, heard="" if verdict.confirmed else old.text)
        return [new if k == verdict.token_index else w for k, w in enumerate(ws)], verdict
