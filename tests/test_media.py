"""Media layer: probe, exact PTS decoding, sampling modes, fan-out, audio, fingerprints."""

from __future__ import annotations

import shutil
import threading
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from conftest import make_video, needs_shared, shared
from rushes.errors import JobCancelled
from rushes.media import (
    AUDIO_RATE,
    FrameConsumer,
    FrameSpec,
    VideoFrame,
    decode,
    extract_audio,
    fingerprint,
    iter_frames,
    probe,
    read_frame_at,
)


class Collect(FrameConsumer):
    def __init__(self, spec: FrameSpec | None, audio: bool = False) -> None:
        self.spec = spec
        self.wants_audio = audio
        self.frames: list[VideoFrame] = []
        self.samples = 0
        self.first_audio: Fraction | None = None

    def on_frame(self, frame: VideoFrame) -> None:
        self.frames.append(frame)

    def on_audio(self, chunk) -> None:  # type: ignore[no-untyped-def]
        if self.first_audio is None:
            self.first_audio = chunk.time
        assert chunk.samples.dtype == np.float32
        self.samples += len(chunk.samples)


def test_probe_video_with_audio(clip_av: Path) -> None:
    info = probe(clip_av)
    assert info.kind == "video"
    assert info.duration is not None and abs(info.duration - 2) < Fraction(1, 10)
    v = info.primary_video
    assert v is not None and (v.width, v.height) == (160, 96)
    assert v.frame_rate == 24 and isinstance(v.frame_rate, Fraction)
    assert not v.vfr and v.rotation == 0
    a = info.primary_audio
    assert a is not None and a.sample_rate == 44100 and a.channels == 2
    again = type(info).from_dict(info.to_dict())
    assert again == info


def test_probe_kinds(wav_file: Path, png_file: Path, clip_noaudio: Path) -> None:
    assert probe(wav_file).kind == "audio"
    img = probe(png_file)
    assert img.kind == "image" and img.duration is None
    assert img.primary_video is not None and img.primary_video.frames == 1
    assert probe(clip_noaudio).audio == ()


def test_probe_vfr_detected(clip_vfr: Path, clip_av: Path) -> None:
    assert probe(clip_vfr).primary_video.vfr  # type: ignore[union-attr]
    assert not probe(clip_av).primary_video.vfr  # type: ignore[union-attr]


def test_probe_timecode_and_ntsc_rate(clip_ntsc_tc: Path) -> None:
    info = probe(clip_ntsc_tc)
    assert info.frame_rate == Fraction(30000, 1001)
    assert info.timecode == "01:00:00;00"
    tc = info.start_timecode()
    assert tc is not None and tc.drop_frame and str(tc) == "01:00:00;00"


def test_rotation_applied(clip_rotated: Path) -> None:
    info = probe(clip_rotated)
    assert info.primary_video is not None and info.primary_video.rotation in (90, 270)
    frame = next(iter_frames(clip_rotated))
    assert frame.image.shape[:2] == (160, 96)  # displayed upright: portrait


def test_every_frame_exact_pts(clip_av: Path) -> None:
    frames = list(iter_frames(clip_av, FrameSpec("all", width=32, height=18)))
    assert len(frames) == 48
    assert [f.time for f in frames] == [Fraction(i, 24) for i in range(48)]
    assert all(isinstance(f.time, Fraction) for f in frames)
    assert frames[0].image.shape == (18, 32, 3)
    assert [f.index for f in frames] == list(range(48))


def test_vfr_times_come_from_pts(clip_vfr: Path) -> None:
    times = [f.time for f in iter_frames(clip_vfr, FrameSpec("all", width=32, height=18))]
    deltas = {b - a for a, b in zip(times, times[1:], strict=False)}
    assert deltas == {Fraction(1, 24), Fraction(2, 24)}


def test_sampling_modes_share_one_decode(clip_av: Path) -> None:
    every = Collect(FrameSpec("all", width=32, height=18, format="gray"))
    two_fps = Collect(FrameSpec("fps", fps=Fraction(2), max_side=80))
    keys = Collect(FrameSpec("keyframes", width=32, height=18))
    audio = Collect(None, audio=True)
    stats = decode(clip_av, [every, two_fps, keys, audio])
    assert stats.frames_decoded == 48  # decoded once for everybody
    assert len(every.frames) == 48 and every.frames[0].image.shape == (18, 32)
    assert [f.time for f in two_fps.frames] == [Fraction(i, 2) for i in range(4)]
    assert two_fps.frames[0].image.shape == (48, 80, 3)
    assert [f.time for f in keys.frames] == [Fraction(i, 2) for i in range(4)]  # GOP 12 at 24 fps
    assert abs(audio.samples / AUDIO_RATE - 2.0) < 0.05
    assert audio.first_audio is not None and audio.first_audio < Fraction(1, 10)


def test_keyframes_only_skips_decoding(clip_av: Path) -> None:
    keys = Collect(FrameSpec("keyframes", width=32, height=18))
    stats = decode(clip_av, [keys])
    assert stats.keyframes_only
    assert stats.frames_decoded == len(keys.frames) == 4


def test_sparse_decodes_one_key_frame_per_slot(clip_av: Path) -> None:
    """GOP 12 at 24 fps (key frames every 0.5 s), 1 sample/s: only the key frames at 0 and 1 s
    are decoded; the audio of the same pass is complete."""
    sparse = Collect(FrameSpec("sparse", fps=Fraction(1), width=32, height=18), audio=True)
    stats = decode(clip_av, [sparse])
    assert stats.sparse and not stats.sparse_fallback
    assert [f.time for f in sparse.frames] == [Fraction(0), Fraction(1)]
    assert all(f.key for f in sparse.frames)
    assert stats.frames_decoded == 2 and stats.packets_skipped == 46
    assert abs(sparse.samples / AUDIO_RATE - 2.0) < 0.05


def test_sparse_on_all_intra_decodes_only_the_sampled_frames(tmp_path: Path) -> None:
    """Every packet of an intra-only codec is a key frame: a sparse pass decodes one per slot."""
    clip = make_video(tmp_path / "intra.mov", seconds=3.0, codec="mjpeg", audio=False)
    sparse = Collect(FrameSpec("sparse", fps=Fraction(2), width=32, height=18))
    stats = decode(clip, [sparse])
    assert [f.time for f in sparse.frames] == [Fraction(i, 2) for i in range(6)]
    assert stats.frames_decoded == 6 and not stats.sparse_fallback


def test_sparse_falls_back_to_every_frame_on_long_gops(tmp_path: Path) -> None:
    """Key frames 2 s apart are too sparse for 1 sample/s: the pass decodes everything from the
    first key frame on and samples exactly like mode fps — no slot is lost."""
    clip = make_video(tmp_path / "longgop.mp4", seconds=4.0, gop=48, audio=False)
    sparse = Collect(FrameSpec("sparse", fps=Fraction(1), width=32, height=18))
    exact = Collect(FrameSpec("fps", fps=Fraction(1), width=32, height=18))
    stats = decode(clip, [sparse])
    decode(clip, [exact])
    assert stats.sparse_fallback and stats.frames_decoded == 96
    assert [f.time for f in sparse.frames] == [f.time for f in exact.frames] == [Fraction(i) for i in range(4)]
    assert all(np.array_equal(a.image, b.image) for a, b in zip(sparse.frames, exact.frames))


def test_sparse_beside_a_dense_consumer_samples_like_fps(clip_av: Path) -> None:
    every = Collect(FrameSpec("all", width=32, height=18))
    sparse = Collect(FrameSpec("sparse", fps=Fraction(1), width=32, height=18))
    stats = decode(clip_av, [every, sparse])
    assert not stats.sparse and stats.frames_decoded == 48
    assert [f.time for f in sparse.frames] == [Fraction(0), Fraction(1)]


def test_sparse_needs_a_rate() -> None:
    with pytest.raises(ValueError, match="positive fps"):
        FrameSpec("sparse")
    with pytest.raises(ValueError, match="max_key_gap"):
        FrameSpec("sparse", fps=Fraction(1), max_key_gap=Fraction(0))


def test_extract_audio_is_16k_mono_float(clip_av: Path, wav_file: Path) -> None:
    samples, t0 = extract_audio(wav_file)
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert abs(len(samples) - AUDIO_RATE) < 200
    assert t0 == 0
    # a 440 Hz tone survives resampling
    spectrum = np.abs(np.fft.rfft(samples[:AUDIO_RATE // 2]))
    peak_hz = np.argmax(spectrum) * AUDIO_RATE / (AUDIO_RATE // 2)
    assert abs(peak_hz - 440) < 5


def test_read_frame_at_is_exact(clip_av: Path) -> None:
    all_frames = {f.time: f for f in iter_frames(clip_av, FrameSpec("all", width=32, height=18))}
    for t in (Fraction(0), Fraction(13, 24), Fraction(1), Fraction(47, 24)):
        got = read_frame_at(clip_av, t, FrameSpec(width=32, height=18))
        assert got.time == t
        assert np.array_equal(got.image, all_frames[t].image)
    # between frames: the frame on screen at that time
    assert read_frame_at(clip_av, Fraction(1, 24) + Fraction(1, 100)).time == Fraction(1, 24)


def test_consumer_error_propagates_and_thread_ends(clip_av: Path) -> None:
    class Bad(FrameConsumer):
        spec = FrameSpec("all", width=16, height=16)

        def on_frame(self, frame: VideoFrame) -> None:
            raise RuntimeError("analyzer bug")

    before = threading.active_count()
    with pytest.raises(RuntimeError, match="analyzer bug"):
        decode(clip_av, [Bad()])
    assert threading.active_count() == before


def test_should_stop_cancels(clip_av: Path) -> None:
    c = Collect(FrameSpec("all", width=16, height=16))
    calls = {"n": 0}

    def stop() -> bool:
        calls["n"] += 1
        return calls["n"] > 5

    with pytest.raises(JobCancelled):
        decode(clip_av, [c], should_stop=stop)
    assert len(c.frames) <= 6


def test_iter_frames_early_break_leaves_no_thread(clip_av: Path) -> None:
    before = threading.active_count()
    for i, _ in enumerate(iter_frames(clip_av)):
        if i == 2:
            break
    assert threading.active_count() == before


def test_fingerprint_survives_rename(tmp_path: Path, clip_av: Path) -> None:
    a = tmp_path / "a.mp4"
    shutil.copy(clip_av, a)
    fp = fingerprint(a)
    b = tmp_path / "renamed.mp4"
    a.rename(b)
    assert fingerprint(b) == fp
    data = bytearray(b.read_bytes())
    data[len(data) // 2] ^= 0xFF
    c = tmp_path / "changed.mp4"
    c.write_bytes(bytes(data))
    assert fingerprint(c) != fp


def test_fingerprint_large_file_windows(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(b"\0" * (5 << 20))
    fp1 = fingerprint(big)
    with big.open("r+b") as fh:
        fh.seek((5 << 20) - 10)
        fh.write(b"x")
    assert fingerprint(big) != fp1


@needs_shared
def test_shared_vfr_and_no_duration_webm() -> None:
    vfr = probe(shared("video/psd_goldeneye_vfr_drop3.mp4"))
    assert vfr.primary_video is not None and vfr.primary_video.vfr
    webm = probe(shared("video/imio_test.webm"))
    assert webm.duration is not None and 3.0 < float(webm.duration) < 3.3  # found by demuxing


@needs_shared
def test_shared_delayed_start_times_start_at_zero() -> None:
    frames = list(iter_frames(shared("video/psd_delayed_start.mp4"), FrameSpec("all", width=32, height=18)))
    assert frames[0].time == 0
    assert all(b.time > a.time for a, b in zip(frames, frames[1:], strict=False))
