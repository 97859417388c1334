"""Shared fixtures: generated media (always available) and ../shared/data (skipped when absent)."""

from __future__ import annotations

import os
import sys
from fractions import Fraction
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
SHARED_DATA = Path(os.environ.get("RUSHES_SHARED_DATA", ROOT.parent / "shared" / "data"))

sys.path.insert(0, str(TESTS))

from media_factory import make_png, make_video, make_wav  # noqa: E402

needs_shared = pytest.mark.skipif(not SHARED_DATA.exists(), reason="../shared/data is not present")


def shared(rel: str) -> Path:
    p = SHARED_DATA / rel
    if not p.exists():
        pytest.skip(f"{p} is not present")
    return p


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def clip_av(media_dir: Path) -> Path:
    """2 s 160x96 H.264 @ 24 fps + AAC stereo tone, GOP 12 (key frame every 0.5 s)."""
    return make_video(media_dir / "A001C001_261122_R1AB.mp4", seconds=2.0)


@pytest.fixture(scope="session")
def clip_noaudio(media_dir: Path) -> Path:
    """Video only, 3 hard-cut scenes."""
    return make_video(media_dir / "noaudio.mp4", seconds=1.5, audio=False, scenes=3)


@pytest.fixture(scope="session")
def clip_vfr(media_dir: Path) -> Path:
    """Variable frame rate: every third frame lasts two frame periods."""
    return make_video(media_dir / "vfr.mp4", seconds=2.0, audio=False, vfr=True)


@pytest.fixture(scope="session")
def clip_ntsc_tc(media_dir: Path) -> Path:
    """29.97 fps MOV with a drop-frame start timecode 01:00:00;00."""
    return make_video(media_dir / "ntsc.mov", seconds=1.0, fps=Fraction(30000, 1001),
                      metadata={"timecode": "01:00:00;00"})


@pytest.fixture(scope="session")
def clip_rotated(media_dir: Path) -> Path:
    """Phone-style portrait clip: landscape pixels with a 90° display matrix."""
    return make_video(media_dir / "rot.mp4", seconds=0.5, audio=False, display_rotation=90)


@pytest.fixture(scope="session")
def wav_file(media_dir: Path) -> Path:
    return make_wav(media_dir / "tone.wav", seconds=1.0)


@pytest.fixture(scope="session")
def png_file(media_dir: Path) -> Path:
    return make_png(media_dir / "still.png")


@pytest.fixture()
def plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register the test-only analyzers of tests/plugins_for_tests.py."""
    import plugins_for_tests  # noqa: F401

    monkeypatch.setenv("RUSHES_PLUGINS", "plugins_for_tests")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]))
