"""The ``takes`` analyzer: fuse slates, set commands and claps into takes; archive and discard ranges.

It decodes nothing itself: its inputs are the tracks of the ``slate`` (``slates``), ``commands``
(``commands``) and ``clap`` (``claps``) analyzers, fused by :func:`rushes.triage.takes.assemble_takes`.
It writes three tracks:

``takes``    one interval per take, label ``take``; attributes scene, roll, take, camera,
             fields_from, slate_t, action_t, cut_t, clap_t, tail_slate_t, start_rule, end_rule,
             preroll, slate (prod/director/date/...), notes, index (1-based)
``archive``  the takes padded by ``pad_s`` each side, merged (label ``archive``)
``discard``  the rest of the file (label ``discard``)

and three JPEG thumbnails per take (artifact kind ``take_thumbnail``: near its start, middle and
end), read with :func:`rushes.media.read_frame_at` at ``thumb_max_side`` pixels.

When the slate or the roll is not read, the camera and roll come from a camera file name such as
``A004C012_261122_R1AB.mov`` (camera ``A``, roll ``A004``); when the slate reader flags the roll
it read as disagreeing with the file name (``roll_mismatch``), the file name's roll is used and
the reading kept as ``slate.roll_read``. Both are noted in the take's ``notes``.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from rushes.media.decode import FrameSpec
from rushes.pipeline.analyzer import Analyzer, AnalyzerContext, AnalyzerOutput, ArtifactFile
from rushes.pipeline.registry import register
from rushes.triage.slate.fields import roll_matches_filename
from rushes.triage.takes import Take, TakeAssembly, TakeRules, assemble_takes, takes_to_intervals

__all__ = ["EVIDENCE_ANALYZERS", "Takes", "TakesParams", "camera_roll_from_name"]

#: the analyzers whose tracks the fusion reads (``requires`` lists those that are installed)
EVIDENCE_ANALYZERS: tuple[str, ...] = ("slate", "commands", "clap")
_CAMERA_FILE = re.compile(r"^([A-Z])(\d{3})C(\d{3})", re.IGNORECASE)
#: where in a take its three thumbnails are taken (fractions of the take)
THUMB_POSITIONS: tuple[tuple[str, float], ...] = (("start", 0.1), ("middle", 0.5), ("end", 0.9))


def camera_roll_from_name(name: str) -> tuple[str, str] | None:
    """``("A", "A004")`` from a camera file name like ``A004C012_261122_R1AB.mov``, else ``None``."""
    m = _CAMERA_FILE.match(Path(name).name)
    if m is None:
        return None
    cam = m.group(1).upper()
    return cam, f"{cam}{m.group(2)}"


_RULES = TakeRules()  # the fusion thresholds' defaults: one source of truth, TakeRules


@dataclass(frozen=True)
class TakesParams:
    """Parameters of the ``takes`` analyzer; the fusion thresholds are :class:`TakeRules`'s fields
    (same names, same defaults, documented there)."""

    pad_s: float = 3.0
    """Seconds kept before and after every take in the ``archive`` track."""
    merge_s: float = _RULES.merge_s
    reslate_gap_s: float = _RULES.reslate_gap_s
    slate_window_s: float = _RULES.slate_window_s
    clap_before_s: float = _RULES.clap_before_s
    clap_after_s: float = _RULES.clap_after_s
    min_take_s: float = _RULES.min_take_s
    tail_after_cut_s: float = _RULES.tail_after_cut_s
    preroll_window_s: float = _RULES.preroll_window_s
    min_action_score: float = _RULES.min_action_score
    min_cut_score: float = _RULES.min_cut_score
    min_slate_score: float = _RULES.min_slate_score
    min_clap_score: float = _RULES.min_clap_score
    clapped_slates: bool = _RULES.clapped_slates
    roll_from_name: bool = True
    """Fill a take's missing camera/roll from a camera file name (``A004C012_...``)."""
    thumbnails: bool = True
    thumb_max_side: int = 320
    thumb_quality: int = 80

    def __post_init__(self) -> None:
        if not 0 <= self.pad_s <= 600:
            raise ValueError("pad_s must be within 0..600")
        if not 16 <= self.thumb_max_side <= 4096:
            raise ValueError("thumb_max_side must be within 16..4096")
        if not 1 <= self.thumb_quality <= 100:
            raise ValueError("thumb_quality must be within 1..100")
        self.rules()  # validates the thresholds

    def rules(self) -> TakeRules:
        """The fusion thresholds as :class:`TakeRules`."""
        return TakeRules(**{f.name: getattr(self, f.name) for f in dataclasses.fields(TakeRules)})


class _InstalledEvidence:
    """``Takes.requires``: the evidence analyzers of :data:`EVIDENCE_ANALYZERS` that are registered.

    The fusion works with whatever evidence exists (a missing track is an empty one), so an
    installation without, say, the slate reader still gets takes from the spoken commands.
    Resolved on access, after the registry has loaded every analyzer module.
    """

    def __get__(self, obj: object, owner: type | None = None) -> tuple[str, ...]:
        from rushes.pipeline.registry import all_analyzers

        known = all_analyzers()
        return tuple(n for n in EVIDENCE_ANALYZERS if n in known)


@register
class Takes(Analyzer):
    """Takes, archive and discard ranges, and take thumbnails (see the module docstring)."""

    name = "takes"
    version = "5"
    Params = TakesParams
    requires = _InstalledEvidence()  # type: ignore[assignment]
    media_kinds = frozenset({"video", "audio"})
    default = True
    description = "Takes from slates + 'action'/'cut' + claps; archive/discard ranges; 3 thumbnails per take."

    def __init__(self, params: TakesParams | None = None) -> None:
        super().__init__(params)
        self.p: TakesParams = self.params

    def finish(self) -> AnalyzerOutput:
        """Fuse the evidence, write the tracks and the thumbnails."""
        ctx = self.context
        dur = ctx.duration
        duration = float(dur) if dur is not None else None
        inputs = ctx.inputs
        asm = assemble_takes(inputs.get("slates"), inputs.get("commands"), inputs.get("claps"), duration,
                             self.p.rules(), candidates=inputs.get("slate_candidates"))
        if self.p.roll_from_name:
            asm = _fill_from_name(asm, ctx.media.name)
        tracks = takes_to_intervals(asm, self.p.pad_s)
        artifacts: list[ArtifactFile] = []
        thumb_errors = 0
        if self.p.thumbnails and ctx.media.kind == "video" and ctx.media.info.primary_video is not None:
            artifacts, thumb_errors = self._thumbnails(ctx, asm)
        archive_s = float(tracks["archive"].duration_seconds.sum())
        discard_s = float(tracks["discard"].duration_seconds.sum())
        metrics: dict[str, Any] = {
            "takes": len(asm.takes), "archive_s": round(archive_s, 3), "discard_s": round(discard_s, 3),
            "pad_s": self.p.pad_s, "evidence": sorted(inputs), "notes": list(asm.notes),
            "thumbnails": len(artifacts), "thumbnail_errors": thumb_errors,
        }
        return AnalyzerOutput(tracks=tracks, artifacts=artifacts, metrics=metrics)

    def _thumbnails(self, ctx: AnalyzerContext, asm: TakeAssembly) -> tuple[list[ArtifactFile], int]:
        from PIL import Image

        from rushes.errors import RushesError
        from rushes.media import read_frame_at

        spec = FrameSpec(max_side=self.p.thumb_max_side)
        out: list[ArtifactFile] = []
        errors = 0
        for index, take in enumerate(asm.takes, start=1):
            for position, frac in THUMB_POSITIONS:
                t = take.start + frac * take.duration
                try:
                    frame = read_frame_at(ctx.path, Fraction(t).limit_denominator(1_000_000), spec, ctx.media.info)
                except RushesError:
                    errors += 1
                    continue
                path = ctx.workdir / f"take{index:03d}_{position}.jpg"
                Image.fromarray(frame.image).save(path, quality=self.p.thumb_quality)
                out.append(ArtifactFile("take_thumbnail", path, {
                    "take": index, "position": position, "t": round(float(frame.time), 6),
                    "width": int(frame.image.shape[1]), "height": int(frame.image.shape[0]),
                }))
        return out, errors


def _fill_from_name(asm: TakeAssembly, name: str) -> TakeAssembly:
    found = camera_roll_from_name(name)
    if found is None:
        return asm
    camera, roll = found
    takes: list[Take] = []
    for t in asm.takes:
        updates: dict[str, Any] = {}
        notes = list(t.notes)
        if t.camera is None:
            updates["camera"] = camera
        read = t.roll
        agrees = roll_matches_filename(read, name) if read is not None else None
        if read is None:
            updates["roll"] = roll
        elif read.upper() != roll and t.slate.get("roll_mismatch"):
            # the camera wrote the file name; the slate is hand-written and read by OCR
            notes.append(f"the slate reads roll {read} but the file name says {roll}: using the file name")
            t = replace(t, roll=roll, slate={**t.slate, "roll_read": read})
        elif read != roll and agrees:
            # the same roll written short ("4", "A4", "004"): report it as the camera names it
            notes.append(f"the slate's roll {read} is the file name's {roll}")
            t = replace(t, roll=roll, slate={**t.slate, "roll_read": read})
        if updates:
            notes.append(f"{' and '.join(sorted(updates))} from the file name {name}")
            t = replace(t, camera=updates.get("camera", t.camera), roll=updates.get("roll", t.roll))
        takes.append(replace(t, notes=tuple(notes)))
    return replace(asm, takes=tuple(takes))

