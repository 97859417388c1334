"""Evaluation of set-command and clap detection against generated dailies (``rushes.demo``).

Truth: every ``speech`` word of a reel's ``truth.json`` said by the director or crew whose word
is a command label (``action``, ``cut``, ``rolling``, ``speed``, ``mark``, ``reset``), at its
onset; claps are the ``clap`` events. A detection matches an unused truth item of the same label
within ``tolerance_s`` (±3 s, the issue's target); the rest are false commands (reported per 10
minutes of footage) and misses.

The code path is the shipped one: :class:`~rushes.triage.speech.engine.SpeechEngine` fed in
decoder-sized chunks, then :func:`~rushes.triage.speech.commands.detect_commands`, then
:func:`~rushes.triage.speech.clap.detect_claps`. Speed is measured as x-realtime of the audio
(process CPU seconds and wall seconds; audio decoding excluded, reported separately).

>>> dirs = generate_eval_reels(Path("/tmp/eval"), seeds=range(1, 6))        # doctest: +SKIP
>>> ev = evaluate_reels(dirs, model="tiny.en")                              # doctest: +SKIP
>>> ev.recall, ev.false_per_10min                                           # doctest: +SKIP
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rushes.triage.speech.clap import ClapParams, detect_claps
from rushes.triage.speech.commands import CommandParams, DetectedCommand, array_source, detect_commands
from rushes.triage.speech.engine import SpeechParams, SpeechResult, transcribe_array

__all__ = [
    "ClapEval",
    "CommandEval",
    "command_truth",
    "evaluate_claps",
    "evaluate_reels",
    "generate_eval_reels",
    "match_events",
    "score_transcripts",
]

#: command labels the demo generator speaks
TRUTH_LABELS: tuple[str, ...] = ("action", "cut", "rolling", "speed", "mark", "reset")
F32 = npt.NDArray[np.float32]


def command_truth(file_truth: dict[str, Any], labels: Iterable[str] = TRUTH_LABELS) -> list[tuple[str, float]]:
    """``[(label, onset), ...]`` of the commands spoken in one file of a ``truth.json``."""
    wanted = set(labels)
    return sorted(
        ((str(w["word"]), float(w["start"])) for w in file_truth.get("speech", ())
         if w.get("speaker") in ("director", "crew") and w["word"] in wanted),
        key=lambda x: x[1],
    )


def match_events(
    detected: Sequence[tuple[str, float]], truth: Sequence[tuple[str, float]], tolerance_s: float = 3.0
) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Greedy one-to-one matching by label, nearest first.

    Returns ``(matches as (detected index, truth index), unmatched detections, unmatched truth)``.
    """
    pairs = sorted(
        (abs(d[1] - t[1]), i, j)
        for i, d in enumerate(detected) for j, t in enumerate(truth)
        if d[0] == t[0] and abs(d[1] - t[1]) <= tolerance_s
    )
    used_d: set[int] = set()
    used_t: set[int] = set()
    matches: list[tuple[int, int]] = []
    for _, i, j in pairs:
        if i in used_d or j in used_t:
            continue
        used_d.add(i)
        used_t.add(j)
        matches.append((i, j))
    return (sorted(matches), [i for i in range(len(detected)) if i not in used_d],
            [j for j in range(len(truth)) if j not in used_t])


def _stats(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"mean": float("nan"), "median": float("nan"), "max": float("nan"), "n": 0}
    a = [abs(v) for v in values]
    return {"mean": round(statistics.fmean(a), 4), "median": round(statistics.median(a), 4),
            "max": round(max(a), 4), "signed_mean": round(statistics.fmean(values), 4), "n": len(a)}


@dataclass
class CommandEval:
    """Command detection quality and speed over a set of reels."""

    model: str
    refine: str
    files: int = 0
    audio_s: float = 0.0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    per_label: dict[str, dict[str, int]] = field(default_factory=dict)
    onset_error_s: dict[str, float] = field(default_factory=dict)
    """|refined onset − truth| over matched commands (mean, median, max, signed mean)."""
    asr_error_s: dict[str, float] = field(default_factory=dict)
    """|recogniser start − truth| over the same matches."""
    speech_cpu_s: float = 0.0
    speech_wall_s: float = 0.0
    commands_cpu_s: float = 0.0
    voiced_fraction: float = 0.0
    retries: int = 0
    false_commands: list[dict[str, Any]] = field(default_factory=list)
    missed: list[dict[str, Any]] = field(default_factory=list)
    errors: list[float] = field(default_factory=list, repr=False)
    """Signed refined-onset errors of the matches (seconds)."""
    asr_errors: list[float] = field(default_factory=list, repr=False)

    @property
    def recall(self) -> float:
        """Matched / truth commands."""
        return self.tp / max(1, self.tp + self.fn)

    @property
    def precision(self) -> float:
        """Matched / detected commands."""
        return self.tp / max(1, self.tp + self.fp)

    @property
    def false_per_10min(self) -> float:
        """False commands per 10 minutes of footage."""
        return self.fp / max(self.audio_s / 600.0, 1e-9)

    def recall_of(self, labels: Iterable[str]) -> float:
        """Recall over some labels only (e.g. ``("action", "cut")``)."""
        found = sum(self.per_label.get(lab, {}).get("found", 0) for lab in labels)
        total = sum(self.per_label.get(lab, {}).get("total", 0) for lab in labels)
        return found / max(1, total)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary with the derived rates."""
        out = asdict(self)
        del out["errors"], out["asr_errors"]
        out.update(
            minutes=round(self.audio_s / 60.0, 2),
            recall=round(self.recall, 4),
            precision=round(self.precision, 4),
            false_per_10min=round(self.false_per_10min, 3),
            recall_action_cut=round(self.recall_of(("action", "cut")), 4),
            recall_without_speed=round(self.recall_of([x for x in TRUTH_LABELS if x != "speed"]), 4),
            speech_x_realtime_cpu=round(self.audio_s / max(self.speech_cpu_s, 1e-9), 2),
            speech_x_realtime_wall=round(self.audio_s / max(self.speech_wall_s, 1e-9), 2),
        )
        return out


@dataclass
class ClapEval:
    """Clap detection quality over a set of reels (tolerance 0.1 s)."""

    files: int = 0
    claps: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    error_s: dict[str, float] = field(default_factory=dict)
    x_realtime_cpu: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return asdict(self)


def generate_eval_reels(out_dir: Path, seeds: Iterable[int] = range(1, 6), *, files: int = 3,
                        takes_per_file: int = 4, director_snr_db: float = 20.0, width: int = 320,
                        height: int = 180) -> list[Path]:
    """Generate (or reuse) one reel per seed under ``out_dir/seed<N>`` with confusers and set calls.

    The defaults give about 2.7 minutes per seed: five seeds are ~13.6 minutes of footage. A
    reel whose ``truth.json`` exists is reused. Needs the ``tts`` extra (Piper voice).
    """
    from rushes.demo import generate_reel

    dirs: list[Path] = []
    for seed in seeds:
        d = Path(out_dir) / f"seed{seed}"
        if not (d / "truth.json").is_file():
            generate_reel(d, files=files, takes_per_file=takes_per_file, seed=seed, width=width, height=height,
                          director_snr_db=director_snr_db, confusers=True, set_calls=True)
        dirs.append(d)
    return dirs


def _media_of(reel: Path) -> list[tuple[Path, dict[str, Any]]]:
    truth = json.loads((reel / "truth.json").read_text(encoding="utf-8"))["files"]
    return [(reel / name, ft) for name, ft in sorted(truth.items())]


def _load_audio(path: Path) -> tuple[F32, float]:
    from rushes.media.decode import extract_audio

    audio, t0 = extract_audio(path)
    return audio, float(t0)


def evaluate_reels(
    reels: Sequence[Path],
    *,
    model: str = "base",
    refine: str = "auto",
    speech: SpeechParams | None = None,
    commands: CommandParams | None = None,
    tolerance_s: float = 3.0,
    threads: int | None = None,
    audio_cache: dict[str, tuple[F32, float]] | None = None,
    transcripts: dict[str, SpeechResult] | None = None,
) -> CommandEval:
    """Run speech + command detection over every file of ``reels`` and score it against truth.

    ``audio_cache`` (path → samples, start) avoids decoding twice when comparing models;
    ``transcripts`` receives each file's :class:`SpeechResult` (to re-score rules cheaply).
    """
    from rushes.triage.speech.models import whisper_model

    sp = speech or SpeechParams(model=model, asr_input="raw")
    cp = commands or CommandParams(refine=refine)
    _spec, lazy = whisper_model(sp.model, threads)
    lazy.get()  # load outside the timed part
    ev = CommandEval(model=sp.model, refine=cp.refine)
    voiced = 0.0
    for reel in reels:
        for path, ft in _media_of(reel):
            key = str(path)
            if audio_cache is not None and key in audio_cache:
                audio, t0 = audio_cache[key]
            else:
                audio, t0 = _load_audio(path)
                if audio_cache is not None:
                    audio_cache[key] = (audio, t0)
            c0, w0 = time.process_time(), time.perf_counter()
            result = transcribe_array(audio, sp, model=lazy.get, time_offset=t0, chunk=16_000)
            c1, w1 = time.process_time(), time.perf_counter()
            dets = detect_commands(result.words, result.utterances, array_source(audio, t0), cp)
            c2 = time.process_time()
            if transcripts is not None:
                transcripts[key] = result
            ev.speech_cpu_s += c1 - c0
            ev.speech_wall_s += w1 - w0
            ev.commands_cpu_s += c2 - c1
            ev.audio_s += audio.size / 16_000
            ev.files += 1
            ev.retries += int(result.metrics.get("retries", 0))
            voiced += float(result.metrics.get("voiced_s", 0.0))
            _score_file(ev, path.name, dets, command_truth(ft), tolerance_s)
    ev.voiced_fraction = round(voiced / max(ev.audio_s, 1e-9), 4)
    ev.speech_cpu_s = round(ev.speech_cpu_s, 3)
    ev.speech_wall_s = round(ev.speech_wall_s, 3)
    ev.commands_cpu_s = round(ev.commands_cpu_s, 3)
    ev.audio_s = round(ev.audio_s, 3)
    return ev


def _score_file(ev: CommandEval, name: str, dets: Sequence[DetectedCommand],
                truth: Sequence[tuple[str, float]], tolerance_s: float) -> None:
    matches, false, missed = match_events([(d.label, d.start) for d in dets], truth, tolerance_s)
    for i, j in matches:
        ev.errors.append(dets[i].start - truth[j][1])
        ev.asr_errors.append(dets[i].raw_start - truth[j][1])
    ev.onset_error_s = _stats(ev.errors)
    ev.asr_error_s = _stats(ev.asr_errors)
    ev.tp += len(matches)
    ev.fp += len(false)
    ev.fn += len(missed)
    for lab, _t in truth:
        ev.per_label.setdefault(lab, {"found": 0, "total": 0})["total"] += 1
    for _i, j in matches:
        ev.per_label[truth[j][0]]["found"] += 1
    ev.false_commands += [{"file": name, "label": dets[i].label, "t": round(dets[i].start, 3),
                           "rule": dets[i].rule, "text": dets[i].text} for i in false]
    ev.missed += [{"file": name, "label": truth[j][0], "t": round(truth[j][1], 3)} for j in missed]


def score_transcripts(
    transcripts: dict[str, SpeechResult],
    reels: Sequence[Path],
    commands: CommandParams | None = None,
    *,
    model: str = "",
    tolerance_s: float = 3.0,
    audio_cache: dict[str, tuple[F32, float]] | None = None,
) -> CommandEval:
    """Re-score saved transcripts (from :func:`evaluate_reels`) with other rules or refinement,
    without running recognition again. Speech timings are left at zero."""
    cp = commands or CommandParams()
    ev = CommandEval(model=model, refine=cp.refine)
    for reel in reels:
        for path, ft in _media_of(reel):
            key = str(path)
            result = transcripts[key]
            if audio_cache is not None and key in audio_cache:
                audio, t0 = audio_cache[key]
            else:
                audio, t0 = _load_audio(path)
            c0 = time.process_time()
            dets = detect_commands(result.words, result.utterances, array_source(audio, t0), cp)
            ev.commands_cpu_s += time.process_time() - c0
            ev.audio_s += audio.size / 16_000
            ev.files += 1
            _score_file(ev, path.name, dets, command_truth(ft), tolerance_s)
    ev.commands_cpu_s = round(ev.commands_cpu_s, 3)
    ev.audio_s = round(ev.audio_s, 3)
    return ev


def evaluate_claps(reels: Sequence[Path], params: ClapParams | None = None, *, tolerance_s: float = 0.1,
                   audio_cache: dict[str, tuple[F32, float]] | None = None) -> ClapEval:
    """Clap detection against the ``clap`` events of ``reels`` (one-to-one within ``tolerance_s``)."""
    ev = ClapEval()
    errs: list[float] = []
    cpu = 0.0
    audio_s = 0.0
    for reel in reels:
        for path, ft in _media_of(reel):
            key = str(path)
            if audio_cache is not None and key in audio_cache:
                audio, t0 = audio_cache[key]
            else:
                audio, t0 = _load_audio(path)
            c0 = time.process_time()
            claps = detect_claps(audio, params, time_offset=t0)
            cpu += time.process_time() - c0
            audio_s += audio.size / 16_000
            truth = [("clap", float(e["t"])) for e in ft["events"] if e["type"] == "clap"]
            matches, false, missed = match_events([("clap", c.t) for c in claps], truth, tolerance_s)
            errs += [claps[i].t - truth[j][1] for i, j in matches]
            ev.files += 1
            ev.claps += len(truth)
            ev.tp += len(matches)
            ev.fp += len(false)
            ev.fn += len(missed)
    ev.error_s = _stats(errs)
    ev.x_realtime_cpu = round(audio_s / max(cpu, 1e-9), 1)
    return ev
