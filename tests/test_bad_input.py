"""Bad input: every case gets a clear one-line error, the batch goes on, exit code says so."""

from __future__ import annotations

import contextlib
import importlib
import os
import pkgutil
import shutil
import stat
import tempfile
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SHARED_DATA, make_video, needs_shared, shared
from rushes.errors import (
    CorruptMediaError,
    EmptyMediaError,
    ExitCode,
    MediaNotFound,
    MediaPermissionError,
    UnsupportedMediaError,
)
from rushes.library import Library
from rushes.media import probe
from rushes.pipeline.registry import all_analyzers


@pytest.fixture(scope="module")
def bad_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("bad")
    (d / "empty.mov").write_bytes(b"")
    (d / "notes.mp4").write_text("this is a text file pretending to be a movie\n" * 50)
    full = make_video(d / "full.mp4", seconds=2.0)
    data = full.read_bytes()
    (d / "truncated.mp4").write_bytes(data[: len(data) // 2])  # moov atom (at the end) is lost
    ts = make_video(d / "stream.ts", seconds=2.0, codec="mpeg2video", audio=False)
    tsdata = ts.read_bytes()
    (d / "truncated.ts").write_bytes(tsdata[: len(tsdata) * 2 // 3])  # streamable: the head still plays
    corrupt = bytearray(tsdata)
    for off in range(len(corrupt) // 4, len(corrupt) * 3 // 4, 997):  # scribble over the middle
        corrupt[off: off + 40] = os.urandom(40)
    (d / "corrupt_frames.ts").write_bytes(bytes(corrupt))
    (d / "garbage.mkv").write_bytes(os.urandom(20000))
    return d


@contextlib.contextmanager
def as_nobody() -> Iterator[None]:
    """Drop the effective uid (root ignores file permissions)."""
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)


def _import_everything() -> None:
    """Import every rushes module (and the analyzers' registry) now: as "nobody", a checkout or an
    interpreter under a private folder (/root, a 0700 temp dir) cannot be read any more."""
    import rushes

    for mod in pkgutil.walk_packages(rushes.__path__, "rushes."):
        with contextlib.suppress(ImportError):
            importlib.import_module(mod.name)
    all_analyzers()
    from PIL import Image

    Image.init()  # Pillow imports its format plugins (JPEG for thumbnails) on first save


@pytest.fixture()
def unreadable_file(clip_av: Path) -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix="rushes-perm-"))
    os.chmod(d, 0o777)
    p = d / "locked.mp4"
    shutil.copy(clip_av, p)
    os.chmod(p, 0)
    yield p
    shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("empty.mov", EmptyMediaError),
        ("notes.mp4", UnsupportedMediaError),
        ("garbage.mkv", UnsupportedMediaError),
        ("missing.mov", MediaNotFound),
    ],
)
def test_probe_errors_are_typed(bad_dir: Path, name: str, error: type[Exception]) -> None:
    with pytest.raises(error) as exc:
        probe(bad_dir / name)
    msg = str(exc.value)
    assert "\n" not in msg and name in msg


def test_truncated_mp4_is_reported(bad_dir: Path) -> None:
    with pytest.raises((UnsupportedMediaError, CorruptMediaError)) as exc:
        probe(bad_dir / "truncated.mp4")
    assert "truncated.mp4" in str(exc.value)


def test_unreadable_permissions(unreadable_file: Path) -> None:
    with as_nobody(), pytest.raises(MediaPermissionError, match="permission denied"):
        probe(unreadable_file)


def test_unreadable_in_a_batch(unreadable_file: Path, clip_av: Path) -> None:
    libdir = unreadable_file.parent / "lib"
    readable = shutil.copy(clip_av, unreadable_file.parent / clip_av.name)
    os.chmod(readable, 0o644)
    # As "nobody" the interpreter's own stdlib under /root is unreadable, so modules imported lazily
    # by the model analyzers would fail: this test is about the input, so it runs the light ones.
    _import_everything()  # while our sources and the stdlib are still readable
    with as_nobody():
        lib = Library(libdir)
        rep = lib.ingest([unreadable_file, readable], engine="serial",
                         analyzers=["thumbnails", "levels", "audio_levels"])
        lib.close()
    by_name = {Path(i["path"]).name: i for i in rep.items}
    assert by_name["locked.mp4"]["status"] == "failed"
    assert "permission denied" in by_name["locked.mp4"]["error"]
    assert by_name[clip_av.name]["status"] == "ok"
    assert rep.exit_code == ExitCode.COMPLETED_WITH_FAILURES


def test_batch_goes_on(bad_dir: Path, clip_av: Path, clip_noaudio: Path, wav_file: Path,
                       tmp_path: Path) -> None:
    inputs = [bad_dir / n for n in ("empty.mov", "notes.mp4", "truncated.mp4", "truncated.ts",
                                    "corrupt_frames.ts", "garbage.mkv", "missing.mov")]
    inputs += [clip_av, clip_noaudio, wav_file]
    lib = Library(tmp_path / "lib")
    rep = lib.ingest(inputs, workers=2)
    by = {Path(i["path"]).name: i for i in rep.items}
    assert len(by) == len(inputs)
    for name in ("empty.mov", "notes.mp4", "truncated.mp4", "garbage.mkv", "missing.mov"):
        assert by[name]["status"] == "failed", name
        err = by[name]["error"]
        assert err and "\n" not in err and len(err) < 300
    assert "empty" in by["empty.mov"]["error"]
    assert "no such file" in by["missing.mov"]["error"]
    assert "not a media file" in by["notes.mp4"]["error"]
    # damaged but streamable files still give what can be decoded
    assert by["truncated.ts"]["status"] == "ok"
    assert by["corrupt_frames.ts"]["status"] == "ok"
    # audio-only and video-without-audio are fine: inapplicable analyzers say so
    assert by[wav_file.name]["status"] == "ok"
    wav_steps = {s["analyzer"]: s["status"] for s in by[wav_file.name]["steps"]}
    assert wav_steps["audio_levels"] == "ok" and wav_steps["levels"] == "n/a"
    noaudio_steps = {s["analyzer"]: s["status"] for s in by[clip_noaudio.name]["steps"]}
    assert noaudio_steps["audio_levels"] == "n/a" and noaudio_steps["levels"] == "ok"
    assert rep.exit_code == ExitCode.COMPLETED_WITH_FAILURES
    assert lib.catalog.integrity_ok()
    failures = {Path(f["path"]).name for f in lib.catalog.failures()}
    assert {"empty.mov", "notes.mp4", "missing.mov"} <= failures


def test_cli_json_report_and_exit_code(bad_dir: Path, clip_av: Path, tmp_path: Path) -> None:
    import json

    from rushes.cli.main import cli

    res = CliRunner().invoke(cli, ["ingest", str(bad_dir / "empty.mov"), str(clip_av), "--json",
                                   "-L", str(tmp_path / "lib"), "-j", "1"])
    assert res.exit_code == 1, res.output
    report = json.loads(res.output)
    statuses = {Path(i["path"]).name: i["status"] for i in report["inputs"]}
    assert statuses == {"empty.mov": "failed", clip_av.name: "ok"}
    failed = next(i for i in report["inputs"] if i["status"] == "failed")
    assert "error" in failed and "empty" in failed["error"]


@pytest.mark.parametrize(
    ("suffix", "codec", "audio"),
    [("mkv", "ffv1", False), ("avi", "mjpeg", False), ("mxf", "mpeg2video", False), ("nut", "mpeg4", False),
     ("mov", "prores_ks", False), ("webm", "libvpx-vp9", False), ("mkv", "libx264", True)],
)
def test_exotic_containers(tmp_path: Path, suffix: str, codec: str, audio: bool) -> None:
    import av

    if codec not in av.codecs_available:
        pytest.skip(f"{codec} not in this FFmpeg build")
    p = make_video(tmp_path / f"clip_{codec}.{suffix}", seconds=1.0, fps=Fraction(25), codec=codec, audio=audio)
    info = probe(p)
    assert info.kind == "video" and info.duration is not None
    rep = Library(tmp_path / "lib").ingest([p], engine="serial")
    assert rep.items[0]["status"] == "ok", rep.items[0]


@needs_shared
def test_shared_damaged_and_odd_files(tmp_path: Path) -> None:
    files = [shared("video/ocv_megamind_bugy.avi"), shared("video/imio_test.webm"),
             shared("video/psd_goldeneye_vfr_drop3.mp4"), shared("video/mpy_video_with_failing_audio.mp4")]
    rep = Library(tmp_path / "lib").ingest(files, workers=2)
    for item in rep.items:
        assert item["status"] == "ok", item
    assert SHARED_DATA.exists()


def test_library_path_is_a_file(tmp_path: Path) -> None:
    from rushes.errors import StoreError

    f = tmp_path / "lib"
    f.write_text("x")
    with pytest.raises(StoreError):
        Library(f)
    assert stat.S_ISREG(f.stat().st_mode)
