"""Refining the time of a spoken command: energy onset and pocketsphinx forced alignment.

Whisper's word times come from cross-attention and are often hundreds of milliseconds (on quiet
distant speech up to ~1 s) early. Two refinements, both run only on the few seconds around a
command:

* :func:`energy_onset` — the first rise of short-time energy above the local noise floor inside
  a search window. Exact for a call that opens its utterance ("Cut!", "Action!"); blind to which
  word of "and cut" is which.
* :class:`Aligner` — pocketsphinx 5 (``pocketsphinx==5.1.1``, BSD, en-us model inside) aligns the
  utterance's known text to its audio (mean word-boundary error 25 ms against TIMIT human labels,
  per the project's model notes), so "and cut" gives the onset of "cut" itself. Words missing
  from its dictionary make it fall back to the energy onset.

:func:`refine_onset` combines them: ``method="auto"`` (the default) takes the energy onset for a
command that opens its utterance and aligns the others; ``"align"`` aligns always, ``"energy"``
never, ``"none"`` keeps the recogniser's time. Measured errors are in ``docs/speech.md``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from rushes.errors import ModelNotAvailable

__all__ = ["Aligner", "Refinement", "energy_onset", "refine_onset"]

F32 = npt.NDArray[np.float32]
_FRAME_S = 0.01


def _frame_db(x: F32, rate: int) -> npt.NDArray[np.float64]:
    hop = max(1, int(rate * _FRAME_S))
    n = x.size // hop
    if n == 0:
        return np.zeros(0)
    f = x[: n * hop].astype(np.float64).reshape(n, hop)
    out: npt.NDArray[np.float64] = 10 * np.log10(np.mean(f * f, axis=1) + 1e-12)
    return out


def energy_onset(audio: F32, lo: float, hi: float, *, rate: int = 16_000, rise_db: float = 12.0,
                 floor_db: float | None = None, hold_s: float = 0.04) -> float | None:
    """First speech onset (seconds from ``audio[0]``) within ``[lo, hi]``, or ``None``.

    The noise floor is the 15th percentile of 10 ms frame energies over all of ``audio`` (pass
    a few seconds of context) unless ``floor_db`` is given. The onset is the first frame from
    which the energy stays ``rise_db`` above the floor for ``hold_s``, moved back to where it
    first exceeded the floor by 6 dB (at most 80 ms earlier).
    """
    db = _frame_db(audio, rate)
    if db.size == 0:
        return None
    floor = float(np.percentile(db, 15)) if floor_db is None else floor_db
    i0 = max(0, int(lo / _FRAME_S))
    i1 = min(db.size, int(np.ceil(hi / _FRAME_S)))
    hold = max(1, int(round(hold_s / _FRAME_S)))
    above = db >= floor + rise_db
    for i in range(i0, max(i0, i1)):
        if above[i : i + hold].all() and i + hold <= db.size:
            j = i
            limit = max(0, i - 8)
            while j > limit and db[j - 1] >= floor + 6.0:
                j -= 1
            return j * _FRAME_S
    return None


class Aligner:
    """pocketsphinx forced alignment of short utterances (one decoder, serialised by a lock)."""

    def __init__(self, rate: int = 16_000) -> None:
        try:
            from pocketsphinx import Decoder
        except ImportError as exc:
            raise ModelNotAvailable(
                "forced alignment needs pocketsphinx: pip install 'rushes[triage]' (pip package pocketsphinx==5.1.1)"
            ) from exc
        self.rate = rate
        self._decoder: Any = Decoder(samprate=rate, loglevel="FATAL", bestpath=False)
        self._lock = threading.Lock()

    def known(self, word: str) -> bool:
        """Whether ``word`` is in the pronunciation dictionary."""
        with self._lock:
            return self._decoder.lookup_word(word) is not None

    def align(self, audio: F32, words: Sequence[str]) -> list[tuple[str, float, float]] | None:
        """``[(word, start_s, end_s), ...]`` for ``words`` in ``audio`` (silences left out).

        ``None`` when a word is unknown to the dictionary or alignment fails.
        """
        clean = [w.lower() for w in words if w]
        if not clean or audio.size < self.rate // 10:
            return None
        pcm = (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        with self._lock:
            d = self._decoder
            if any(d.lookup_word(w) is None for w in clean):
                return None
            try:
                d.set_align_text(" ".join(clean))
                d.start_utt()
                d.process_raw(pcm, full_utt=True)
                d.end_utt()
                segs = list(d.seg() or ())
            except RuntimeError:
                return None
        out = [(s.word, s.start_frame / 100.0, (s.end_frame + 1) / 100.0) for s in segs
               if not s.word.startswith("<") and not s.word.startswith("[")]
        # pocketsphinx writes alternates as word(2)
        out = [(w.split("(")[0], a, b) for w, a, b in out]
        return out if len(out) == len(clean) else None


@dataclass(frozen=True)
class Refinement:
    """A refined command onset and how it was found."""

    start: float
    method: str
    """``align``, ``energy`` or ``asr`` (nothing better found)."""


def refine_onset(
    audio: F32,
    audio_t0: float,
    *,
    asr_start: float,
    asr_end: float,
    utterance: tuple[float, float],
    utterance_words: Sequence[str],
    command_index: int,
    first_in_utterance: bool,
    method: str = "align",
    aligner: Aligner | None = None,
    rate: int = 16_000,
) -> Refinement:
    """The onset of a command in file time.

    ``audio`` starts at file time ``audio_t0`` and covers the utterance (and ideally a few
    seconds of context either side, for the noise floor). ``utterance`` is the voiced region
    (file times), ``utterance_words`` its normalised words and ``command_index`` the position of
    the command's first word among them.
    """
    u0, u1 = utterance
    if method == "none":
        return Refinement(asr_start, "asr")
    use_align = method == "align" or (method == "auto" and not first_in_utterance)
    if use_align and aligner is not None and utterance_words:
        a = max(0, int((u0 - audio_t0) * rate))
        b = min(audio.size, int((u1 - audio_t0) * rate))
        aligned = aligner.align(audio[a:b], utterance_words) if b > a else None
        if aligned is not None and 0 <= command_index < len(aligned):
            return Refinement(audio_t0 + a / rate + aligned[command_index][1], "align")
    if first_in_utterance:
        lo, hi = u0 - audio_t0, min(u1, asr_end + 0.5) - audio_t0
    else:
        # later word: search from a little before the recogniser's start (it tends to be early)
        lo, hi = max(u0, asr_start - 0.15) - audio_t0, min(u1, asr_end + 1.0) - audio_t0
    onset = energy_onset(audio, lo, hi, rate=rate)
    if onset is not None:
        return Refinement(audio_t0 + onset, "energy")
    return Refinement(asr_start, "asr")
