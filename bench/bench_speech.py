"""Benchmark and evaluation of spoken set commands and claps on generated dailies.

Generates (once, cached in ``bench/.cache/speech_reels``) five reels of three files with four
takes each: about 13.6 minutes of footage with a distant director (20 dB SNR, reverb), actor
lines that sound like "cut"/"action" (confusers) and crew calls. Then, for each Whisper model:

* command precision / recall at ±3 s and false commands per 10 minutes
  (:func:`rushes.triage.speech.evaluate.evaluate_reels`), per label;
* onset error of the refined command times against truth, for each refinement method
  (``none`` = the recogniser's time, ``energy``, ``align`` = pocketsphinx, ``auto``);
* x realtime of the speech stage (process CPU and wall; audio decode excluded and reported);

and clap detection (±0.1 s). Writes ``bench/results/speech.json``.

    python bench/bench_speech.py [--seeds 1-5] [--models tiny.en,base] [--out bench/results/speech.json]

CPU seconds are steadier than wall seconds on a shared machine; the load average is recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / ".cache" / "speech_reels"


def _seeds(text: str) -> list[int]:
    if "-" in text:
        a, b = text.split("-", 1)
        return list(range(int(a), int(b) + 1))
    return [int(x) for x in text.split(",") if x]


def main() -> None:
    """Run the evaluation and write the JSON report."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="1-5")
    ap.add_argument("--models", default="tiny.en,base")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "speech.json")
    args = ap.parse_args()

    from rushes.media.decode import extract_audio
    from rushes.triage.speech.commands import CommandParams
    from rushes.triage.speech.evaluate import (
        evaluate_claps,
        evaluate_reels,
        generate_eval_reels,
        score_transcripts,
    )

    t0 = time.perf_counter()
    reels = generate_eval_reels(CACHE, _seeds(args.seeds))
    gen_s = time.perf_counter() - t0
    audio_cache: dict[str, Any] = {}
    dec_cpu = dec_wall = 0.0
    for reel in reels:
        for media in sorted(reel.glob("*.mp4")):
            c, w = time.process_time(), time.perf_counter()
            audio, start = extract_audio(media)
            dec_cpu += time.process_time() - c
            dec_wall += time.perf_counter() - w
            audio_cache[str(media)] = (audio, float(start))
    audio_s = sum(a.size for a, _ in audio_cache.values()) / 16_000
    report: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_avg_start": [round(x, 2) for x in os.getloadavg()]},
        "footage": {"seeds": _seeds(args.seeds), "files": len(audio_cache), "minutes": round(audio_s / 60, 2),
                    "director_snr_db": 20, "confusers": True, "set_calls": True, "generate_s": round(gen_s, 1)},
        "audio_decode": {"cpu_s": round(dec_cpu, 2), "wall_s": round(dec_wall, 2),
                         "x_realtime_cpu": round(audio_s / max(dec_cpu, 1e-9), 1)},
        "models": {},
    }
    for model in [m for m in args.models.split(",") if m]:
        transcripts: dict[str, Any] = {}
        ev = evaluate_reels(reels, model=model, refine="auto", threads=args.threads, audio_cache=audio_cache,
                            transcripts=transcripts)
        entry = ev.to_dict()
        entry["refinement"] = {}
        for method in ("none", "energy", "align", "auto"):
            r = score_transcripts(transcripts, reels, CommandParams(refine=method), model=model,
                                  audio_cache=audio_cache)
            entry["refinement"][method] = {"onset_error_s": r.onset_error_s, "commands_cpu_s": r.commands_cpu_s,
                                           "recall": round(r.recall, 4)}
        report["models"][model] = entry
        print(f"{model}: recall {entry['recall']} (action+cut {entry['recall_action_cut']}, without speed "
              f"{entry['recall_without_speed']}), precision {entry['precision']}, false/10min "
              f"{entry['false_per_10min']}, onset error {entry['onset_error_s']}, "
              f"speech x{entry['speech_x_realtime_cpu']} realtime (CPU)", flush=True)
    claps = evaluate_claps(reels, audio_cache=audio_cache)
    report["claps"] = claps.to_dict()
    report["machine"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"claps: {claps.tp}/{claps.claps}, {claps.fp} false, error {claps.error_s}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
