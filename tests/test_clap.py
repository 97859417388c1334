"""Clap detection: synthetic claps in noise and speech-like sound, streaming, real negatives."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import SHARED_DATA
from rushes.triage.speech.clap import ClapDetector, ClapParams, claps_near, detect_claps

RATE = 16_000


def _bed(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = 0.01 * rng.standard_normal(int(seconds * RATE))
    # speech-like: harmonic bursts with slow attack, as vowels have
    t = np.arange(int(0.4 * RATE)) / RATE
    env = np.minimum(t / 0.05, 1.0) * np.exp(-t / 0.3)
    vowel = env * sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 12))
    for at in np.arange(0.7, seconds - 1, 1.3):
        i = int(at * RATE)
        x[i : i + vowel.size] += 0.06 * vowel
    return x.astype(np.float32)


def _clap(rng: np.random.Generator, peak: float = 0.5) -> np.ndarray:
    t = np.arange(int(0.04 * RATE)) / RATE
    burst = rng.standard_normal(t.size) * np.exp(-t / 0.005)
    return (burst * peak / np.max(np.abs(burst))).astype(np.float32)


def test_claps_found_within_a_few_ms_and_speech_is_ignored() -> None:
    rng = np.random.default_rng(7)
    x = _bed(20.0, 1)
    truth = [2.6505, 9.15, 15.65]  # between the vowels (at 0.7 + 1.3 k s)
    for t in truth:
        c = _clap(rng)
        i = int(t * RATE)
        x[i : i + c.size] += c
    got = detect_claps(x, time_offset=100.0)
    assert len(got) == 3
    for c, t in zip(got, truth):
        assert abs(c.t - (100.0 + t)) < 0.005
        assert 0.5 <= c.score <= 1.0 and c.crest_db >= 20
    assert detect_claps(_bed(20.0, 2)) == []


def test_streaming_equals_one_shot_and_min_gap() -> None:
    rng = np.random.default_rng(3)
    x = _bed(12.0, 4)
    for t in (2.55, 3.85, 8.0):  # 2.55 and 3.85 are closer than min_gap_s: one is kept
        c = _clap(rng, peak=0.5 if t != 3.85 else 0.3)
        x[int(t * RATE) : int(t * RATE) + c.size] += c
    det = ClapDetector(ClapParams(min_gap_s=2.0))
    for i in range(0, x.size, 1234):
        det.feed(x[i : i + 1234])
    streamed = det.finish()
    assert [round(c.t, 3) for c in streamed] == [round(c.t, 3) for c in detect_claps(x)]
    assert len(streamed) == 2 and abs(streamed[0].t - 2.55) < 0.005
    near = claps_near(streamed, [1.5, 5.0, 7.5])
    assert near[0] is not None and near[1] is not None and near[2] is not None
    assert near[1].t == pytest.approx(streamed[1].t)
    assert claps_near(streamed, [20.0]) == [None]


@pytest.mark.shared_data
@pytest.mark.parametrize("name", ["cathy_arctic_a0269.wav", "timit_LDC93S1_sa1.wav", "whisper_jfk.flac",
                                  "ps_librivox_sas_0870.wav", "praatio_damon_set_test.wav"])
def test_real_speech_has_no_claps(name: str) -> None:
    path = SHARED_DATA / "audio" / name
    if not path.exists():
        pytest.skip(f"{path} is not present")
    from rushes.media.decode import extract_audio

    audio, _ = extract_audio(path)
    assert detect_claps(audio) == []
