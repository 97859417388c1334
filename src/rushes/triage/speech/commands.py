"""From a transcript to timed set commands: rules (:mod:`.rules`) plus onset refinement (:mod:`.refine`).

:func:`detect_commands` is what the ``commands`` analyzer and the evaluation both run, so the
numbers in ``docs/speech.md`` are those of the shipped code path. It needs the words and
utterances of the transcript and *some* audio: an :class:`AudioSource` that returns the samples
of a time span (the analyzer keeps only the few seconds around each candidate; the evaluation
passes the whole array).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from rushes.models.base import LazyModel
from rushes.triage.speech.asr import Utterance, Word
from rushes.triage.speech.preprocess import PreprocessParams, preprocess
from rushes.triage.speech.refine import Aligner, refine_onset
from rushes.triage.speech.rules import RuleParams, TokenWord, spot_commands, tokens_of

__all__ = [
    "AudioSource",
    "CommandParams",
    "DetectedCommand",
    "array_source",
    "candidate_spans",
    "detect_commands",
    "shared_aligner",
]

F32 = npt.NDArray[np.float32]
#: ``source(t0, t1) -> (samples, time of samples[0])`` for file times ``t0 < t1`` (clipped to the file)
AudioSource = Callable[[float, float], tuple[F32, float]]


@dataclass(frozen=True)
class CommandParams:
    """Settings of the ``commands`` analyzer (its cache key, with the rules' version)."""

    rules: RuleParams = field(default_factory=RuleParams)
    refine: str = "auto"
    """Onset refinement: ``auto`` (energy onset for a call that opens its utterance, pocketsphinx
    alignment for later words), ``align`` (always align; energy fallback), ``energy`` or ``none``."""
    context_s: float = 2.0
    """Audio kept either side of a candidate's utterance (noise floor, alignment)."""
    preprocess_audio: bool = True
    """Refine on the preprocessed (denoised, compressed) signal rather than the raw one."""

    def __post_init__(self) -> None:
        if self.refine not in ("auto", "align", "energy", "none"):
            raise ValueError("refine must be 'auto', 'align', 'energy' or 'none'")
        if not 0.5 <= self.context_s <= 10:
            raise ValueError("context_s must be within 0.5..10")


@dataclass(frozen=True)
class DetectedCommand:
    """A set command with its refined time."""

    label: str
    start: float
    """Refined onset (file seconds)."""
    end: float
    """End of its last word (recogniser time, never before ``start``)."""
    raw_start: float
    """Start time the recogniser gave."""
    score: float
    rule: str
    method: str
    """How ``start`` was found: ``align``, ``energy`` or ``asr``."""
    text: str
    """The utterance it was called in."""


def array_source(audio: F32, t0: float = 0.0, rate: int = 16_000) -> AudioSource:
    """An :data:`AudioSource` over one array that starts at file time ``t0``."""

    def source(a: float, b: float) -> tuple[F32, float]:
        i = max(0, int((a - t0) * rate))
        j = min(audio.size, int(np.ceil((b - t0) * rate)))
        return audio[i:max(i, j)], t0 + i / rate

    return source


_aligners: dict[int, LazyModel[Aligner]] = {}


def shared_aligner(rate: int = 16_000) -> Aligner:
    """The process-wide pocketsphinx aligner (loading the acoustic model takes ~0.5 s)."""
    lazy = _aligners.setdefault(rate, LazyModel(f"pocketsphinx-align-{rate}", lambda: Aligner(rate)))
    return lazy.get()


def _token_words(words: Sequence[Word]) -> list[TokenWord]:
    return [TokenWord(w.text, w.start, w.end, w.probability, w.utterance) for w in words]


def candidate_spans(words: Sequence[Word], utterances: Sequence[Utterance], context_s: float = 2.0
                    ) -> list[tuple[float, float]]:
    """File-time spans of audio the refinement may need: each utterance holding a command word,
    widened by ``context_s`` (merged where they overlap)."""
    from rushes.triage.speech.rules import PHRASES

    vocab = {t for forms in PHRASES.values() for f in forms for t in f}
    utts = {u.index: u for u in utterances}
    spans: list[tuple[float, float]] = []
    for w in words:
        if any(t in vocab for t in tokens_of(w.text)):
            u = utts.get(w.utterance)
            a, b = (u.start, u.end) if u is not None else (w.start, w.end)
            spans.append((a - context_s, b + context_s))
    spans.sort()
    merged: list[tuple[float, float]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


class _SpanCache:
    """Audio of the candidate spans, each fetched (and preprocessed) once, sliced on demand."""

    def __init__(self, source: AudioSource, spans: Sequence[tuple[float, float]],
                 pre: PreprocessParams | None, rate: int) -> None:
        self._source = source
        self._spans = list(spans)
        self._pre = pre
        self._rate = rate
        self._cache: dict[int, tuple[F32, float]] = {}

    def __call__(self, a: float, b: float) -> tuple[F32, float]:
        overlaps = [min(b, s1) - max(a, s0) for s0, s1 in self._spans]
        if not overlaps or max(overlaps) <= 0:
            audio, t0 = self._source(a, b)
            return (preprocess(audio, self._pre, self._rate) if self._pre else audio), t0
        k = int(np.argmax(overlaps))
        if k not in self._cache:
            audio, t0 = self._source(*self._spans[k])
            self._cache[k] = ((preprocess(audio, self._pre, self._rate) if self._pre else audio), t0)
        sig, t0 = self._cache[k]
        i = max(0, int((a - t0) * self._rate))
        j = min(sig.size, int(np.ceil((b - t0) * self._rate)))
        return sig[i:max(i, j)], t0 + i / self._rate


def detect_commands(
    words: Sequence[Word],
    utterances: Sequence[Utterance],
    source: AudioSource | None,
    params: CommandParams | None = None,
    *,
    aligner: Aligner | None = None,
    rate: int = 16_000,
) -> list[DetectedCommand]:
    """Accepted, time-refined commands of one file, sorted by onset.

    ``source`` may be ``None`` (no audio: recogniser times are kept). ``aligner`` defaults to
    :func:`shared_aligner`, loaded only when a command needs alignment.
    """
    p = params or CommandParams()
    ordered = sorted(words, key=lambda w: (w.start, w.end))
    cmds = spot_commands(_token_words(ordered), p.rules)
    utts = {u.index: u for u in utterances}
    out: list[DetectedCommand] = []
    signal: _SpanCache | None = None
    if source is not None and p.refine != "none" and cmds:
        spans = candidate_spans(ordered, utterances, p.context_s)
        signal = _SpanCache(source, spans, PreprocessParams() if p.preprocess_audio else None, rate)
    for c in cmds:
        u = utts.get(c.utterance)
        u_span = (u.start, u.end) if u is not None else (c.start - 0.3, c.end + 0.3)
        u_words = [w for w in ordered if w.utterance == c.utterance]
        u_tokens: list[str] = []
        cmd_index = -1
        for w in u_words:
            toks = tokens_of(w.text)
            if w is ordered[c.first_word]:
                cmd_index = len(u_tokens)
            u_tokens.extend(toks)
        first = cmd_index == 0
        method, start = "asr", c.start
        if aligner is None and source is not None and (p.refine == "align" or (p.refine == "auto" and not first)):
            aligner = shared_aligner(rate)
        if signal is not None:
            sig, t0 = signal(u_span[0] - p.context_s, u_span[1] + p.context_s)
            if sig.size:
                r = refine_onset(
                    sig, t0, asr_start=c.start, asr_end=c.end, utterance=u_span, utterance_words=u_tokens,
                    command_index=max(cmd_index, 0), first_in_utterance=first, method=p.refine,
                    aligner=aligner, rate=rate,
                )
                method, start = r.method, r.start
        out.append(DetectedCommand(
            label=c.label, start=start, end=max(start, c.end), raw_start=c.start, score=c.probability,
            rule=c.rule, method=method, text=u.text if u is not None else "",
        ))
    out.sort(key=lambda d: d.start)
    return out
