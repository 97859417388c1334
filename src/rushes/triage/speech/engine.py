"""The streaming speech pipeline: preprocess → VAD → pack voiced regions → recognise.

:class:`SpeechEngine` is fed 16 kHz mono audio in any chunk sizes (as the analyzer receives it
from the decoder) and keeps memory bounded: audio is processed in 32 s blocks, and only the
samples of voiced regions not yet recognised are held. Regions are transcribed in packs as soon
as enough have accumulated, so a long file never holds more than about one pack of speech.

>>> eng = SpeechEngine(SpeechParams(model="tiny.en"))            # doctest: +SKIP
>>> eng.feed(samples); result = eng.finish()                      # doctest: +SKIP
>>> [(w.text, round(w.start, 2)) for w in result.words]           # doctest: +SKIP
[('Action!', 4.81), ('Cut!', 10.25)]
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from rushes.triage.speech.asr import AsrParams, RegionTranscriber, Utterance, Word
from rushes.triage.speech.preprocess import SAMPLE_RATE, BlockProcessor, PreprocessParams
from rushes.triage.speech.vad import WINDOW, LoudWindows, SileroVad, VadParams, speech_regions

__all__ = ["SpeechEngine", "SpeechParams", "SpeechResult", "transcribe_array"]

F32 = npt.NDArray[np.float32]


@dataclass(frozen=True)
class SpeechParams:
    """Everything that affects the transcript (the ``speech`` analyzer's parameters)."""

    model: str = "tiny.en"
    """``tiny.en`` (the default: fast, and as good on set commands) or ``base`` (better words
    and onsets, about half the speed); see ``docs/speech.md``."""
    preprocess: PreprocessParams = field(default_factory=PreprocessParams)
    vad: VadParams = field(default_factory=VadParams)
    asr: AsrParams = field(default_factory=AsrParams)
    asr_input: str = "raw"
    """What the recogniser hears: ``raw`` audio (default: measured better) or the ``processed``
    signal. VAD and onset refinement always use the processed one."""

    def __post_init__(self) -> None:
        if self.model not in ("base", "tiny.en"):
            raise ValueError(f"model must be 'base' or 'tiny.en', not {self.model!r}")
        if self.asr_input not in ("processed", "raw"):
            raise ValueError("asr_input must be 'processed' or 'raw'")


@dataclass
class SpeechResult:
    """Words and utterances in file time, plus counters."""

    words: list[Word]
    utterances: list[Utterance]
    metrics: dict[str, Any]


class SpeechEngine:
    """Streaming recogniser of one audio stream (see the module docstring)."""

    def __init__(self, params: SpeechParams | None = None, *, model: Callable[[], Any] | None = None,
                 time_offset: float = 0.0, rate: int = SAMPLE_RATE) -> None:
        self.params = params or SpeechParams()
        if model is None:
            from rushes.triage.speech.models import whisper_model

            _spec, lazy = whisper_model(self.params.model)
            model = lazy.get
        self.rate = rate
        self.time_offset = time_offset
        self._block = BlockProcessor(self.params.preprocess, rate=rate)
        self._vad = SileroVad()
        self.transcriber = RegionTranscriber(model, self.params.asr, rate=rate, time_offset=time_offset)
        self._probs: list[F32] = []
        self._loud_meter = LoudWindows(self.params.vad, rate)
        self._loud: list[npt.NDArray[np.bool_]] = []
        self._n_probs = 0
        self._vad_pending = np.zeros(0, dtype=np.float32)  # processed samples short of a window
        self._proc_end = 0  # samples processed so far
        self._committed = 0  # first window index not yet committed to a region decision
        self._buf = np.zeros(0, dtype=np.float32)  # processed (or raw) samples from _buf_start
        self._buf_start = 0
        self._raw = np.zeros(0, dtype=np.float32)  # raw samples awaiting their processed twin
        self._raw_start = 0
        self._regions: list[tuple[int, int]] = []
        self._t_front = 0.0
        self._samples_in = 0

    # -- feeding --------------------------------------------------------------------------
    def feed(self, samples: F32) -> None:
        """Add the next samples of the stream."""
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        self._samples_in += x.size
        if self.params.asr_input == "raw":
            self._raw = np.concatenate([self._raw, x])
        t0 = time.perf_counter()
        blocks = self._block.feed(x)
        self._t_front += time.perf_counter() - t0
        for start, y in blocks:
            self._on_block(start, y, final=False)

    def finish(self) -> SpeechResult:
        """Flush everything and return the transcript."""
        t0 = time.perf_counter()
        blocks = self._block.flush()
        self._t_front += time.perf_counter() - t0
        for start, y in blocks:
            self._on_block(start, y, final=False)
        self._commit(final=True)
        self.transcriber.flush()
        st = self.transcriber.stats
        dur = self._samples_in / self.rate
        metrics: dict[str, Any] = {
            "model": self.params.model,
            "audio_s": round(dur, 3),
            "voiced_s": round(st.voiced_s, 3),
            "voiced_fraction": round(st.voiced_s / dur, 4) if dur else 0.0,
            "regions": st.regions,
            "packs": st.packs,
            "retries": st.retries,
            "verify_calls": st.verify_calls,
            "verified": st.verified,
            "verify_rejected": st.rejected,
            "verify_moved": st.moved,
            "words": st.words,
            "asr_wall_s": round(st.wall_s, 3),
            "asr_process_cpu_s": round(st.process_cpu_s, 3),
            "frontend_wall_s": round(self._t_front, 3),
        }
        return SpeechResult(list(self.transcriber.words), list(self.transcriber.utterances), metrics)

    # -- internals ------------------------------------------------------------------------
    def _on_block(self, start: int, y: F32, final: bool) -> None:
        """VAD one processed block, keep its samples, and commit regions that have closed."""
        t0 = time.perf_counter()
        # VAD on whole windows; a trailing partial window waits for the next block
        self._vad_pending = np.concatenate([self._vad_pending, y])
        n_full = self._vad_pending.size // WINDOW * WINDOW
        if n_full:
            pr = self._vad.probs(self._vad_pending[:n_full])
            self._probs.append(pr)
            self._loud.append(self._loud_meter.flags(self._vad_pending[:n_full]))
            self._n_probs += pr.size
            self._vad_pending = self._vad_pending[n_full:]
        keep = y if self.params.asr_input == "processed" else self._take_raw(start, y.size)
        self._buf = np.concatenate([self._buf, keep])
        self._proc_end = start + y.size
        self._t_front += time.perf_counter() - t0
        self._commit(final=final)

    def _take_raw(self, start: int, n: int) -> F32:
        a = start - self._raw_start
        out = self._raw[a : a + n].copy()
        self._raw = self._raw[a + n :]
        self._raw_start = start + n
        return out

    def _commit(self, final: bool) -> None:
        if final and self._vad_pending.size:
            pr = self._vad.probs(self._vad_pending)
            self._probs.append(pr)
            self._loud.append(self._loud_meter.flags(self._vad_pending))
            self._n_probs += pr.size
            self._vad_pending = np.zeros(0, np.float32)
        if not self._probs:
            return
        probs = np.concatenate(self._probs) if len(self._probs) > 1 else self._probs[0]
        self._probs = [probs]
        loud = np.concatenate(self._loud) if len(self._loud) > 1 else self._loud[0]
        self._loud = [loud]
        p = self.params.vad
        from_sample = self._committed * WINDOW
        local = probs[self._committed :]
        regions = speech_regions(local, self._proc_end - from_sample, p, self.rate,
                                 loud=loud[self._committed :])
        safe_end = self._proc_end - int((2 * p.pad_s + p.min_silence_s + 1.0) * self.rate)
        done_until = self._committed
        for s, e in regions:
            s_abs, e_abs = s + from_sample, e + from_sample
            if not final and e_abs > safe_end:
                break
            self._emit_region(s_abs, e_abs)
            done_until = -(-e_abs // WINDOW)
        if final:
            done_until = self._n_probs
        elif done_until == self._committed:
            # nothing closed: still advance over leading silence (keeps memory bounded)
            first_open = regions[0][0] + from_sample if regions else safe_end
            done_until = max(self._committed, min(first_open, safe_end) // WINDOW)
        self._committed = max(self._committed, done_until)
        drop = self._committed * WINDOW - self._buf_start
        if drop > 0:
            self._buf = self._buf[drop:]
            self._buf_start += drop

    def _emit_region(self, s: int, e: int) -> None:
        """Queue a region for recognition; one longer than a pack (continuous dialogue) is cut
        into pack-sized pieces (a word on a cut may be lost or split)."""
        limit = int(self.params.asr.pack_s * self.rate)
        while e - s > limit:
            cut = s + limit
            self._send(s, cut)
            s = cut
        self._send(s, e)

    def _send(self, s: int, e: int) -> None:
        a, b = s - self._buf_start, e - self._buf_start
        a = max(a, 0)
        if b <= a:
            return
        self._regions.append((s, e))
        self.transcriber.add_region(s, self._buf[a:b])


def transcribe_array(audio: F32, params: SpeechParams | None = None, *, model: Callable[[], Any] | None = None,
                     time_offset: float = 0.0, chunk: int = 16_000 * 10) -> SpeechResult:
    """Run :class:`SpeechEngine` over a whole array (fed in ``chunk``-sample pieces)."""
    eng = SpeechEngine(params, model=model, time_offset=time_offset)
    for i in range(0, audio.size, chunk):
        eng.feed(audio[i : i + chunk])
    return eng.finish()
