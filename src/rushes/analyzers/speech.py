"""Speech: the transcript with word times (tracks ``words`` and ``utterances``).

Runs :class:`rushes.triage.speech.engine.SpeechEngine` over the file's audio as it is decoded:
preprocessing (high-pass, spectral gate, compression), Silero VAD, and Whisper (``tiny.en`` by
default, ``base`` for a better transcript at about half the speed) on packed voiced regions only.

Tracks (times in seconds of the file, 1 µs ticks):

``words``
    one row per recognised word: ``label`` = the word lower-cased with punctuation stripped
    ("cut"), ``score`` = the recogniser's probability, ``data.text`` = the token as written
    ("Cut!"), ``data.utterance`` = index of its utterance, ``data.heard`` = what the pack's
    decoding wrote when the second opinion on short calls replaced it ("cup"), else "".
``utterances``
    one row per voiced region with speech: ``label`` = its full text (indexed by full-text
    search), ``score`` = mean word probability, ``data.index``, ``data.n_words``.

The set commands are a separate analyzer (:mod:`rushes.analyzers.commands`) so rules can change
without running recognition again.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from rushes.intervals import Intervals
from rushes.media.decode import AudioChunk
from rushes.pipeline.analyzer import Analyzer, AnalyzerOutput
from rushes.pipeline.registry import register
from rushes.triage.speech.asr import AsrParams, normalize_word
from rushes.triage.speech.engine import SpeechEngine, SpeechParams
from rushes.triage.speech.preprocess import PreprocessParams
from rushes.triage.speech.vad import VadParams

__all__ = ["Speech", "SpeechAnalyzerParams"]


@dataclass(frozen=True)
class SpeechAnalyzerParams:
    """Flat parameters of the ``speech`` analyzer (config file / CLI); see :class:`SpeechParams`."""

    model: str = "tiny.en"
    """``tiny.en`` (default; ~2x faster, same command recall on the evaluation reels) or ``base``
    (better transcript and onsets)."""
    asr_input: str = "raw"
    """What Whisper hears: ``raw`` audio or the ``processed`` (denoised, compressed) signal.
    VAD always runs on the processed signal."""
    beam_size: int = 1
    highpass_hz: float = 100.0
    denoise: bool = True
    compress: bool = True
    vad_threshold: float = 0.35
    min_silence_s: float = 0.35
    pad_s: float = 0.25
    pack_s: float = 28.0
    gap_s: float = 0.4

    def __post_init__(self) -> None:
        self.to_speech_params()  # validates every field

    def to_speech_params(self) -> SpeechParams:
        """The engine's nested parameters."""
        return SpeechParams(
            model=self.model,
            preprocess=PreprocessParams(highpass_hz=self.highpass_hz, denoise=self.denoise, compress=self.compress),
            vad=VadParams(threshold=self.vad_threshold, min_silence_s=self.min_silence_s, pad_s=self.pad_s),
            asr=AsrParams(beam_size=self.beam_size, pack_s=self.pack_s, gap_s=self.gap_s),
            asr_input=self.asr_input,
        )


@lru_cache(maxsize=1)
def _vad_id() -> str:
    """Identity of the Silero VAD model inside faster-whisper (its file hash)."""
    try:
        from faster_whisper.utils import get_assets_path
    except ImportError:
        return "silero-vad@missing"
    from pathlib import Path

    from rushes.models.base import file_sha256

    path = Path(get_assets_path()) / "silero_vad_v6.onnx"
    return f"silero-vad-v6@{file_sha256(path)[:16]}" if path.is_file() else "silero-vad@missing"


@register
class Speech(Analyzer):
    name = "speech"
    version = "9"
    Params = SpeechAnalyzerParams
    media_kinds = frozenset({"video", "audio"})
    default = True
    description = "Transcript with word times (Whisper on voiced regions): `words`, `utterances` tracks."

    def __init__(self, params: SpeechAnalyzerParams | None = None) -> None:
        super().__init__(params)
        self.p: SpeechAnalyzerParams = self.params
        self._engine: SpeechEngine | None = None

    def wants_audio(self) -> bool:
        return True

    def model_id(self) -> str:
        from rushes.triage.speech.models import resolve_model

        return f"{resolve_model(self.p.model).model_id}+{_vad_id()}"

    def on_audio(self, chunk: AudioChunk) -> None:
        if self._engine is None:
            self._engine = SpeechEngine(self.p.to_speech_params(), time_offset=float(chunk.time))
        self._engine.feed(chunk.samples)

    def finish(self) -> AnalyzerOutput:
        if self._engine is None:
            return AnalyzerOutput(tracks={"words": Intervals.empty(), "utterances": Intervals.empty()},
                                  metrics={"audio_s": 0.0, "words": 0})
        result = self._engine.finish()
        words = [w for w in result.words if normalize_word(w.text)]
        meta = {"model": self.model_id()}
        w_track = Intervals.from_seconds(
            [w.start for w in words], [w.end for w in words], [normalize_word(w.text) for w in words],
            score=[w.probability for w in words],
            data={"text": [w.text for w in words], "utterance": np.asarray([w.utterance for w in words], np.int64),
                  "heard": [w.heard for w in words]},
            metadata=meta,
        )
        utts = result.utterances
        u_track = Intervals.from_seconds(
            [u.start for u in utts], [u.end for u in utts], [u.text for u in utts],
            score=[u.mean_probability for u in utts],
            data={"index": np.asarray([u.index for u in utts], np.int64),
                  "n_words": np.asarray([u.n_words for u in utts], np.int64)},
            metadata=meta,
        )
        calls = self._engine.transcriber.stats.calls
        return AnalyzerOutput(tracks={"words": w_track, "utterances": u_track}, metrics=result.metrics,
                              model_calls=calls)
