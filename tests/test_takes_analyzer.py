"""The ``takes`` analyzer: registration, requirements, parameters, audio-only files."""

from __future__ import annotations

from pathlib import Path

import pytest

from rushes.analyzers.takes import EVIDENCE_ANALYZERS, Takes, TakesParams
from rushes.errors import QueryError
from rushes.intervals import Intervals
from rushes.library import Library
from rushes.media import fingerprint, probe
from rushes.pipeline.analyzer import AnalyzerContext, params_from_mapping
from rushes.pipeline.registry import all_analyzers, get_analyzer, resolve_graph


def test_registered_default_and_requires_installed_evidence() -> None:
    cls = get_analyzer("takes")
    assert cls is Takes and cls.default
    assert set(cls.requires) <= set(EVIDENCE_ANALYZERS)
    assert set(cls.requires) == {n for n in EVIDENCE_ANALYZERS if n in all_analyzers()}
    assert Takes().requires == cls.requires
    names = [c.name for c in resolve_graph(["takes"])]
    assert names[-1] == "takes" and set(cls.requires) <= set(names)


def test_params_validate_and_map_to_rules() -> None:
    p = params_from_mapping(Takes, {"pad_s": "5", "min_take_s": 1})
    assert p.pad_s == 5.0 and p.rules().min_take_s == 1.0
    with pytest.raises(QueryError):
        params_from_mapping(Takes, {"pad_s": -1})
    with pytest.raises(QueryError):
        params_from_mapping(Takes, {"merge_s": "nan"})


def test_audio_only_file_gets_takes_without_thumbnails(tmp_path: Path, wav_file: Path) -> None:
    lib = Library(tmp_path / "lib")
    mid = lib.catalog.upsert_media(fingerprint(wav_file), probe(wav_file))
    media = lib.catalog.get_media(mid)
    assert media is not None and media.kind == "audio"
    inst = Takes(TakesParams(pad_s=0.1))
    assert inst.applies_to(media)
    cmds = Intervals.from_seconds([0.1, 0.8], [0.3, 0.9], ["action", "cut"], score=0.9)
    (tmp_path / "w").mkdir()
    inst.begin(AnalyzerContext(media=media, workdir=tmp_path / "w", inputs={"commands": cmds},
                               catalog=lib.catalog, library_root=lib.root))
    out = inst.finish()
    # the cut 0.7 s after action is too soon (min_take_s 2): the take runs to the end of the file
    assert out.artifacts == [] and out.metrics["takes"] == 1
    assert out.tracks["takes"].end_seconds.tolist() == pytest.approx([1.0], abs=0.05)
    inst = Takes(TakesParams(pad_s=0.1, min_take_s=0.5))
    inst.begin(AnalyzerContext(media=media, workdir=tmp_path / "w", inputs={"commands": cmds},
                               catalog=lib.catalog, library_root=lib.root))
    out = inst.finish()
    assert out.tracks["takes"].end_seconds.tolist() == pytest.approx([0.8]) and out.artifacts == []
    assert out.tracks["archive"].start_seconds.tolist() == [0.0]
    assert out.metrics["evidence"] == ["commands"]
    lib.close()


def test_roll_mismatch_prefers_the_camera_file_name() -> None:
    from rushes.analyzers.takes import _fill_from_name
    from rushes.triage.takes import Take, TakeAssembly

    misread = Take(0.0, 5.0, "action", "cut", roll="089", slate={"roll_mismatch": True})
    agrees = Take(6.0, 9.0, "action", "cut", roll="A008", camera="A", slate={"roll_mismatch": False})
    unflagged = Take(10.0, 12.0, "action", "cut", roll="B002", camera="B")
    asm = _fill_from_name(TakeAssembly((misread, agrees, unflagged), (), 20.0), "A008C012_261203_R7PP.mp4")
    a, b, c = asm.takes
    assert (a.roll, a.camera, a.slate["roll_read"]) == ("A008", "A", "089")
    assert any("file name says A008" in n for n in a.notes)
    assert (b.roll, b.notes) == ("A008", ())
    assert c.roll == "B002"  # no mismatch flagged by the slate reader: the reading stands


def test_a_short_roll_that_agrees_is_reported_as_the_camera_names_it() -> None:
    from rushes.analyzers.takes import _fill_from_name
    from rushes.triage.takes import Take, TakeAssembly

    short = [Take(float(k), k + 0.5, "action", "cut", roll=r, slate={"roll_mismatch": False})
             for k, r in enumerate(("8", "A8", "008", "a008"))]
    other_camera = Take(5.0, 5.5, "action", "cut", roll="B008", slate={"roll_mismatch": False})
    asm = _fill_from_name(TakeAssembly((*short, other_camera), (), 20.0), "A008C012_261203_R7PP.mp4")
    for t, read in zip(asm.takes[:4], ("8", "A8", "008", "a008")):
        assert t.roll == "A008" and t.slate["roll_read"] == read
        assert any("file name's A008" in n for n in t.notes)
    assert asm.takes[4].roll == "B008"  # another camera's roll is not the same roll

