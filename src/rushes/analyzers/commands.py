"""Set commands: "action", "cut", "rolling", "speed", "mark", "reset", "background action",
"check the gate" — from the ``speech`` transcript, with timed onsets (track ``commands``).

Reads the ``words`` and ``utterances`` tracks of :mod:`rushes.analyzers.speech`, applies the
rules of :mod:`rushes.triage.speech.rules` (a director's call versus the same word in dialogue),
and refines each accepted command's onset on the audio around it
(:mod:`rushes.triage.speech.refine`: energy onset for a call that opens its utterance,
pocketsphinx forced alignment for one inside it, e.g. "and cut").
Only the few seconds of audio around candidate words are kept while the file is decoded.

Track ``commands``: ``label`` ∈ ``action``, ``cut``, ``rolling``, ``speed``, ``mark``, ``reset``,
``background_action``, ``check_the_gate``; ``start`` = refined onset, ``end`` = end of the
command's last word; ``score`` = the recogniser's (lowest) word probability;
``data.raw_start`` = the recogniser's start time, ``data.rule`` = why it was accepted
(``isolated``, ``and_call``, ``phrase``, ``alternation``), ``data.method`` = how the onset was
found (``align``, ``energy``, ``asr``), ``data.text`` = the utterance.

Changing the rules changes :data:`RULES_VERSION` (part of ``version``), which re-runs this
analyzer only: the transcript stays cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from rushes.intervals import Intervals
from rushes.media.decode import AUDIO_RATE, AudioChunk
from rushes.pipeline.analyzer import Analyzer, AnalyzerContext, AnalyzerOutput
from rushes.pipeline.registry import register
from rushes.triage.speech.asr import Utterance, Word
from rushes.triage.speech.commands import CommandParams, candidate_spans, detect_commands
from rushes.triage.speech.rules import RuleParams

__all__ = ["RULES_VERSION", "Commands", "CommandsParams"]

#: bump when the rules in rushes.triage.speech.rules change behaviour
RULES_VERSION = "2"
F32 = npt.NDArray[np.float32]


@dataclass(frozen=True)
class CommandsParams:
    """Flat parameters of the ``commands`` analyzer; see :class:`CommandParams` and :class:`RuleParams`."""

    refine: str = "auto"
    """``auto`` (energy onset for a call opening its utterance, pocketsphinx alignment otherwise),
    ``align``, ``energy`` or ``none``."""
    min_probability: float = 0.05
    max_isolated_words: int = 5
    merge_s: float = 2.0
    alternation: bool = True
    context_s: float = 2.0

    def __post_init__(self) -> None:
        self.to_command_params()

    def to_command_params(self) -> CommandParams:
        """The nested parameters of :func:`detect_commands`."""
        return CommandParams(
            rules=RuleParams(min_probability=self.min_probability, max_isolated_words=self.max_isolated_words,
                             merge_s=self.merge_s, alternation=self.alternation),
            refine=self.refine, context_s=self.context_s,
        )


@lru_cache(maxsize=1)
def _pocketsphinx_id() -> str:
    """pocketsphinx version and a hash of its en-us acoustic model definition + dictionary."""
    import hashlib
    from importlib import metadata
    from pathlib import Path

    try:
        from pocketsphinx import get_model_path
    except ImportError:
        return "pocketsphinx@missing"
    from rushes.models.base import file_sha256

    root = Path(get_model_path())
    h = hashlib.sha256()
    for rel in ("en-us/en-us/mdef", "en-us/en-us/means", "en-us/cmudict-en-us.dict"):
        p = root / rel
        h.update(file_sha256(p).encode() if p.is_file() else rel.encode())
    return f"pocketsphinx-{metadata.version('pocketsphinx')}@{h.hexdigest()[:16]}"


def _column(track: Intervals, name: str) -> list[Any] | None:
    """A data column of ``track``: in memory it is ``data[name]``; read back from the catalog the
    columns come as one ``attrs`` dict per row."""
    if name in track.data:
        return list(track.data[name])
    attrs = track.data.get("attrs")
    if attrs is None:
        return None
    vals = [a.get(name) if isinstance(a, dict) else None for a in attrs]
    return vals if any(v is not None for v in vals) else None


def _words_from(track: Intervals) -> list[Word]:
    text = _column(track, "text")
    utt = _column(track, "utterance")
    return [
        Word(start=float(track.start_seconds[i]), end=float(track.end_seconds[i]),
             text=str(text[i]) if text is not None and text[i] is not None else str(track.label[i]),
             probability=float(track.score[i]),
             utterance=int(utt[i]) if utt is not None and utt[i] is not None else -1 - i)
        for i in range(len(track))
    ]


def _utterances_from(track: Intervals) -> list[Utterance]:
    idx = _column(track, "index")
    nw = _column(track, "n_words")
    return [
        Utterance(index=int(idx[i]) if idx is not None and idx[i] is not None else -1 - i,
                  start=float(track.start_seconds[i]), end=float(track.end_seconds[i]), text=str(track.label[i]),
                  n_words=int(nw[i]) if nw is not None and nw[i] is not None else 0,
                  mean_probability=float(track.score[i]))
        for i in range(len(track))
    ]


@register
class Commands(Analyzer):
    name = "commands"
    version = f"1+rules{RULES_VERSION}"
    Params = CommandsParams
    requires = ("speech",)
    media_kinds = frozenset({"video", "audio"})
    default = True
    description = "Spoken set commands (action, cut, rolling, ...) with refined onsets: `commands` track."

    def __init__(self, params: CommandsParams | None = None) -> None:
        super().__init__(params)
        self.p: CommandsParams = self.params
        self._words: list[Word] = []
        self._utts: list[Utterance] = []
        self._spans: list[tuple[float, float]] = []
        self._kept: list[list[tuple[float, F32]]] = []

    def model_id(self) -> str:
        return _pocketsphinx_id() if self.p.refine in ("align", "auto") else ""

    def wants_audio(self) -> bool:
        return self.p.refine != "none"

    def begin(self, ctx: AnalyzerContext) -> None:
        super().begin(ctx)
        words = ctx.inputs.get("words")
        utts = ctx.inputs.get("utterances")
        self._words = _words_from(words) if words is not None else []
        self._utts = _utterances_from(utts) if utts is not None else []
        self._spans = candidate_spans(self._words, self._utts, self.p.context_s)
        self._kept = [[] for _ in self._spans]

    def on_audio(self, chunk: AudioChunk) -> None:
        if not self._spans:
            return
        t0 = float(chunk.time)
        t1 = t0 + chunk.samples.size / AUDIO_RATE
        for k, (a, b) in enumerate(self._spans):
            if b <= t0 or a >= t1:
                continue
            i = max(0, int(round((a - t0) * AUDIO_RATE)))
            j = min(chunk.samples.size, int(round((b - t0) * AUDIO_RATE)))
            if j > i:
                self._kept[k].append((t0 + i / AUDIO_RATE, chunk.samples[i:j].copy()))

    def _source(self, a: float, b: float) -> tuple[F32, float]:
        """Audio of ``[a, b]`` from the kept spans (the span holding most of it)."""
        best: tuple[F32, float] = (np.zeros(0, np.float32), a)
        for pieces in self._kept:
            if not pieces:
                continue
            s0 = pieces[0][0]
            audio = np.concatenate([p for _, p in pieces])
            s1 = s0 + audio.size / AUDIO_RATE
            lo, hi = max(a, s0), min(b, s1)
            if hi <= lo:
                continue
            i, j = int(round((lo - s0) * AUDIO_RATE)), int(round((hi - s0) * AUDIO_RATE))
            if j - i > best[0].size:
                best = (audio[i:j], s0 + i / AUDIO_RATE)
        return best

    def finish(self) -> AnalyzerOutput:
        params = self.p.to_command_params()
        source = self._source if self.wants_audio() else None
        cmds = detect_commands(self._words, self._utts, source, params)
        track = Intervals.from_seconds(
            [c.start for c in cmds], [c.end for c in cmds], [c.label for c in cmds],
            score=[c.score for c in cmds],
            data={
                "raw_start": np.asarray([c.raw_start for c in cmds], np.float64),
                "rule": [c.rule for c in cmds],
                "method": [c.method for c in cmds],
                "text": [c.text for c in cmds],
            },
            metadata={"rules_version": RULES_VERSION},
        )
        by_label: dict[str, int] = {}
        for c in cmds:
            by_label[c.label] = by_label.get(c.label, 0) + 1
        return AnalyzerOutput(
            tracks={"commands": track},
            metrics={"commands": len(cmds), "by_label": by_label, "candidate_spans": len(self._spans),
                     "refined": {m: sum(1 for c in cmds if c.method == m) for m in ("align", "energy", "asr")}},
            model_calls=sum(1 for c in cmds if c.method == "align"),
        )
