"""Package hygiene: light imports, documented exit codes, error tree."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from rushes import errors

HEAVY = ("cv2", "onnxruntime", "torch", "faster_whisper", "rapidocr", "mediapipe", "faiss", "piper",
         "opentimelineio", "scenedetect")


def test_core_imports_stay_light() -> None:
    code = (
        "import sys, rushes, rushes.library, rushes.cli.main, rushes.media, rushes.catalog;"
        "from rushes.pipeline.registry import all_analyzers; all_analyzers();"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", f"heavy modules imported at startup: {out.stdout}"


def test_exit_codes_are_distinct_and_documented() -> None:
    codes = [c.value for c in errors.ExitCode]
    assert len(codes) == len(set(codes))
    assert errors.ExitCode.COMPLETED_WITH_FAILURES != errors.ExitCode.OK
    doc = (errors.__file__ or "").replace("errors.py", "cli/main.py")
    text = Path(doc).read_text()
    for c in codes:
        assert f"\n{c} " in text or f"\n{c:<4}" in text, f"exit code {c} is not documented in cli/main.py"


def test_every_error_has_an_exit_code() -> None:
    for name in dir(errors):
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, errors.RushesError):
            assert isinstance(obj.exit_code, errors.ExitCode)
            assert obj.exit_code != errors.ExitCode.OK
