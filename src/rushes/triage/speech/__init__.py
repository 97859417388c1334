"""Spoken set commands, transcript and clap from the sound of dailies (issue #4, parts 3 and 4).

Pipeline (each step its own module; heavy libraries are imported only when used)::

    audio 16 kHz ─► preprocess (high-pass, spectral gate, compression)   rushes.triage.speech.preprocess
                 ─► Silero VAD → voiced regions                           rushes.triage.speech.vad
                 ─► Whisper (faster-whisper) on packed regions            rushes.triage.speech.asr / engine
                 ─► words + utterances                                     (analyzer ``speech``)
                 ─► rules: director's call vs dialogue                     rushes.triage.speech.rules
                 ─► onset refinement (energy / pocketsphinx alignment)     rushes.triage.speech.refine
                 ─► commands                                               (analyzer ``commands``)
    audio 16 kHz ─► broadband impulsive transients                        rushes.triage.speech.clap
                 ─► claps                                                  (analyzer ``clap``)

Models (:mod:`rushes.triage.speech.models`) come only from installed packages (extra
``triage``); nothing is downloaded. :mod:`rushes.triage.speech.evaluate` scores all of it on
generated reels; ``docs/speech.md`` has the numbers and the choices they led to.
"""

from rushes.triage.speech.asr import AsrParams, Utterance, Word, normalize_word
from rushes.triage.speech.clap import Clap, ClapDetector, ClapParams, detect_claps
from rushes.triage.speech.commands import CommandParams, DetectedCommand, array_source, detect_commands
from rushes.triage.speech.engine import SpeechEngine, SpeechParams, SpeechResult, transcribe_array
from rushes.triage.speech.models import WhisperSpec, resolve_model, whisper_model
from rushes.triage.speech.preprocess import PreprocessParams, preprocess
from rushes.triage.speech.rules import COMMAND_LABELS, Command, RuleParams, spot_commands
from rushes.triage.speech.vad import VadParams

__all__ = [
    "COMMAND_LABELS",
    "AsrParams",
    "Clap",
    "ClapDetector",
    "ClapParams",
    "Command",
    "CommandParams",
    "DetectedCommand",
    "PreprocessParams",
    "RuleParams",
    "SpeechEngine",
    "SpeechParams",
    "SpeechResult",
    "Utterance",
    "VadParams",
    "WhisperSpec",
    "Word",
    "array_source",
    "detect_claps",
    "detect_commands",
    "normalize_word",
    "preprocess",
    "resolve_model",
    "spot_commands",
    "transcribe_array",
    "whisper_model",
]
