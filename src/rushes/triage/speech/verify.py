"""A second opinion on short calls that the recogniser heard as a near miss of a command.

Whisper decodes voiced regions in packs (:mod:`rushes.triage.speech.asr`), and inside a pack the
text before a short call steers what it hears: a real, quickly spoken "Cut!" after dialogue
comes out as "cup", "cuck" or "come", words the rules must (and do) reject. Heard *alone*, the
same audio is scored very differently. :class:`CommandVerifier` re-scores such a region on its
own: the region is encoded alone, and the recogniser's probability of the text it heard is
compared, by teacher forcing (CTranslate2's ``align``: the probability of each given token), with
the probability of the same text with the near-miss word replaced by each command it sounds
like. The command wins only when it is at least as probable as what was heard *and* above an
absolute floor (noise and knocks score every command below ~-11 in log-probability; a real
command ~-1 to -3).

Which regions are re-scored (cheap gate, so most regions cost nothing):

* the region is short (``max_region_s``, a called word with its VAD pads);
* its transcript has at most ``max_words`` tokens, holds no command already, and every token but
  one is a filler ("okay", "and", ...);
* that one token *sounds like* a single-word command: phoneme edit distance ≤ 1 in the CMU
  pronouncing dictionary that pocketsphinx ships ("cup" K AH P ~ "cut" K AH T; "auction" ~
  "action"), ≤ 2 for commands of five phonemes or more; letters are compared when the word or
  the dictionary is missing;
* or that token *is* a command the pack decoding gave a low probability (``confirm_below``):
  alone, the region is also decoded freely (greedy, no prompt). When that decoding holds the
  command, the command keeps the better of its two probabilities, so a real call that the text
  before it made unlikely is not dropped by the rules' ``min_probability`` (noise that Whisper
  wrote "Cut" into stays below the floor alone, too). When it does not and reads as a line of
  dialogue instead (two words or more that are not fillers), the two opinions disagree and the
  word keeps the *lower* probability: inside a pack Whisper sometimes writes
  the first syllable of a word of dialogue as the command ("cutlery in the drawer" → "Cut,"
  at 0.07), and alone the same region decodes as dialogue with "Cut" forced at ~0.01;
* or (``fillers``) every token is a filler ("Okay.", "Thank you."): the text before a lone call
  can make Whisper write a filler for it (a distant "Cut." after dialogue came out as "Okay.").
  Alone the region is decoded freely; when that is a call (one single-word command and
  fillers), its teacher-forced probability is compared with the heard text's (whole texts, alone),
  and the call replaces the region's words when it wins, with the command word above the floor.

**The set's protocol as a prior** (``context_prior``). Calls come in order: "rolling" and "speed"
(either first), then "mark", then "action". A short region right after one of those calls
(``context_s``) whose one word is not a command is re-scored against the calls expected next
too, and an expected command is forgiven ``context_prior`` nats of log-probability against what
was heard (a prior of e^3 ≈ 20 : 1 that a lone word there is the expected call). A synthetic
"Speed!" that Whisper hears as "three" scores −5.1 as "Speed." against −2.9 as "Three." and is
taken; a real "Three!" scores −12.4 as "Speed." against −1.6 and is not. The verdict's
probability includes the prior.

Each re-scored region costs one encoder window (~0.5 s of CPU for tiny.en on two threads), a
few teacher-forced passes (~35 ms each) and, when confirming, one short greedy decoding.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rushes.triage.distance import levenshtein
from rushes.triage.speech.preprocess import SAMPLE_RATE
from rushes.triage.speech.rules import FILLERS, PHRASES, tokens_of

__all__ = [
    "EXPECTED_NEXT", "SINGLE_COMMANDS", "CommandVerifier", "Verdict", "VerifyParams", "all_fillers", "candidate",
    "expected_after", "phonemes", "sounds_like",
]

F32 = npt.NDArray[np.float32]

#: the commands with a one-word spoken form (the rules' own vocabulary): what the verifier can restore
SINGLE_COMMANDS: tuple[str, ...] = tuple(label for label, forms in PHRASES.items() if (label,) in forms)
#: punctuation Whisper writes after a word
_TRAILING = ".,!?;:"


@dataclass(frozen=True)
class VerifyParams:
    """Settings of the second opinion (part of the speech analyzer's cache key)."""

    max_region_s: float = 2.0
    """Longest voiced region (VAD pads included) re-scored; 0 turns verification off."""
    max_words: int = 3
    margin: float = 0.0
    """The command's log-probability must be at least the heard text's plus this."""
    floor: float = -6.0
    """…and at least this (natural log, summed over the command word's tokens)."""
    fillers: bool = True
    """Re-decode regions whose words are all fillers (see the module docstring)."""
    confirm_below: float = 0.3
    """A called command word (the region's one non-filler token) that the pack decoding gave a
    lower probability than this is re-scored alone too, and keeps the better of the two
    probabilities: a real, flapped "Cut" after dialogue came out of a pack at 0.02-0.04, under
    the rules' ``min_probability``, and alone scores ~0.2. 0 turns this off."""

    unsure_below: float = 0.1
    """A lone word (the region's one non-filler token) that sounds like no command but that the
    pack decoding gave less than this probability is re-scored against the commands that begin
    with its sound: a flapped "Cut!" right after dialogue came out of a pack as "comment" at
    0.04. 0 turns this off."""
    context_prior: float = 3.0
    """Log-probability forgiven to a call the set's protocol expects next (see the module
    docstring); 0 turns the protocol prior off."""
    context_s: float = 8.0
    """A call expects the next one for this long (seconds from its end to the region's start)."""

    def __post_init__(self) -> None:
        if self.max_region_s < 0 or self.max_words < 1:
            raise ValueError("max_region_s must be >= 0 and max_words >= 1")
        if self.context_prior < 0 or self.context_s < 0:
            raise ValueError("context_prior and context_s must be >= 0")


@dataclass(frozen=True)
class Verdict:
    """A near-miss token that the second opinion turned into a command."""

    token_index: int
    """Index of the replaced token among the region's words."""
    command: str
    text: str
    """The command as written (``"Cut!"``)."""
    heard: str
    logp_command: float
    logp_heard: float
    """``-inf`` when re-scoring a command the pack heard (nothing else was heard)."""
    replace_all: bool = False
    """The region's words were all fillers: :attr:`text` (the call heard alone) replaces all of
    them (``token_index`` 0)."""
    alone: str = ""
    """The region decoded freely on its own (only when re-scoring a command the pack heard)."""
    rejected: bool = False
    """The free decoding alone does not hold the command: the opinions disagree, and the word
    keeps the lower of its two probabilities."""
    prior: float = 0.0
    """Log prior odds of the command over what was heard (the set's protocol expected it)."""

    @property
    def confirmed(self) -> bool:
        """Whether the pack had heard the command already (unsure) and the region alone was asked
        about it: confirmed, or (:attr:`rejected`) contradicted."""
        return math.isinf(self.logp_heard)

    @property
    def probability(self) -> float:
        """Confidence in the command: against the near miss that was heard, the share of the two
        forced probabilities, P(command) / (P(command) + P(heard)); when confirming, the command
        word's forced probability alone. (Distance and reverb lower every word's absolute
        probability — a real distant "Cut" scores ~0.03 alone — but not which word wins.)"""
        if self.confirmed:
            return math.exp(self.logp_command)
        return 1.0 / (1.0 + math.exp(self.logp_heard - self.logp_command - self.prior))


@lru_cache(maxsize=1)
def _cmudict() -> dict[str, tuple[str, ...]]:
    """The CMU pronouncing dictionary of pocketsphinx (first pronunciation per word), or ``{}``."""
    try:
        import pocketsphinx
    except ImportError:
        return {}
    path = Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"
    if not path.is_file():
        return {}
    out: dict[str, tuple[str, ...]] = {}
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.split()
            if len(parts) < 2 or "(" in parts[0]:
                continue
            out.setdefault(parts[0].lower(), tuple(parts[1:]))
    return out


def phonemes(word: str) -> tuple[str, ...] | None:
    """CMU phonemes of ``word`` (stress-free ARPAbet), ``None`` when it is not in the dictionary."""
    return _cmudict().get(word.lower())


def sounds_like(token: str) -> list[str]:
    """The single-word commands ``token`` is a near miss of, closest first (``"cup"`` → ``["cut"]``)."""
    token = token.lower()
    if not token or token in SINGLE_COMMANDS:
        return []
    mine = phonemes(token)
    found: list[tuple[int, str]] = []
    for cmd in SINGLE_COMMANDS:
        theirs = phonemes(cmd)
        a, b = (mine, theirs) if mine is not None and theirs is not None else (token, cmd)
        limit = 2 if len(b) >= 5 else 1
        d = levenshtein(a, b, limit)
        if d <= limit:
            found.append((d, cmd))
    return [c for _d, c in sorted(found)]


def same_onset(token: str) -> list[str]:
    """The single-word commands that begin with the sound ``token`` begins with (its first CMU
    phoneme, else its first letter): ``"comment"`` → ``["cut"]``."""
    token = token.lower()
    mine = phonemes(token)
    out: list[str] = []
    for cmd in SINGLE_COMMANDS:
        theirs = phonemes(cmd)
        same = mine[0] == theirs[0] if mine and theirs else token[:1] == cmd[:1]
        if same and cmd != token:
            out.append(cmd)
    return out


#: the calls the set's protocol expects after each roll call (sound and camera in either order)
EXPECTED_NEXT: dict[str, tuple[str, ...]] = {
    "rolling": ("speed", "mark"), "speed": ("rolling", "mark"), "mark": ("action",),
}


def expected_after(previous: str | None) -> tuple[str, ...]:
    """The single-word calls expected after a word (``"Rolling."`` → speed, mark), or ``()``."""
    last = tuple(tokens_of(previous or "")[-1:])
    for label, forms in PHRASES.items():
        if label in EXPECTED_NEXT and last and last in forms:
            return EXPECTED_NEXT[label]
    return ()


def _one_token_each(words: Sequence[str], max_words: int) -> list[str] | None:
    """The normalised token of each of 1..``max_words`` words, or ``None`` when there are none,
    too many, or a word is not exactly one token."""
    toks = [tokens_of(w) for w in words]
    if not words or len(words) > max_words or any(len(t) != 1 for t in toks):
        return None
    return [t[0] for t in toks]


def candidate(words: Sequence[str], params: VerifyParams,
              probabilities: Sequence[float] | None = None,
              expected: Sequence[str] = ()) -> tuple[int, list[str]] | None:
    """The index of the one token to re-score among a region's ``words`` and the commands it may
    be, or ``None`` when the region is not one to re-score (see the module docstring): a near
    miss of a command, (with ``probabilities``) a command the pack was unsure of, or (with
    ``expected``, the calls the protocol expects next) any lone word that is no command."""
    flat = _one_token_each(words, params.max_words)
    if flat is None:
        return None
    others = [k for k, t in enumerate(flat) if t not in FILLERS]
    if len(others) != 1:
        return None
    k = others[0]
    if flat[k] in SINGLE_COMMANDS:
        if probabilities is not None and probabilities[k] < params.confirm_below:
            return k, [flat[k]]
        return None
    if any(t in SINGLE_COMMANDS for t in flat):
        return None
    cmds = sounds_like(flat[k])
    if not cmds and probabilities is not None and probabilities[k] < params.unsure_below:
        cmds = same_onset(flat[k])
    if params.context_prior > 0:
        cmds += [c for c in expected if c not in cmds]
    return (k, cmds) if cmds else None


class CommandVerifier:
    """Teacher-forced re-scoring of one short region with the recogniser that heard it.

    ``model`` returns a ``faster_whisper.WhisperModel``; models without the CTranslate2 interface
    (test doubles) make :meth:`verify` return ``None``.
    """

    def __init__(self, model: Callable[[], Any], params: VerifyParams | None = None) -> None:
        self._model = model
        self.params = params or VerifyParams()
        self._tokenizer: Any = None
        self.calls = 0

    def _parts(self) -> tuple[Any, Any] | None:
        m = self._model()
        if not all(hasattr(m, a) for a in ("feature_extractor", "encode", "model", "hf_tokenizer")):
            return None
        if self._tokenizer is None:
            from faster_whisper.tokenizer import Tokenizer

            self._tokenizer = Tokenizer(m.hf_tokenizer, m.model.is_multilingual, task="transcribe", language="en")
        return m, self._tokenizer

    def verify(self, audio: F32, words: Sequence[str], probabilities: Sequence[float] | None = None,
               expected: Sequence[str] = ()) -> Verdict | None:
        """A :class:`Verdict` when ``words`` (the region's tokens as written) hold a near miss
        that the region's audio, heard alone, says is a command, or a command that the pack was
        unsure of (``probabilities``) and that the audio alone confirms; else ``None``.
        ``expected``: the calls the set's protocol expects here (:func:`expected_after` the word
        before the region), given :attr:`VerifyParams.context_prior`."""
        p = self.params
        if p.max_region_s <= 0 or audio.size > p.max_region_s * SAMPLE_RATE:
            return None
        cand = candidate(words, p, probabilities, expected)
        fillers = cand is None and p.fillers and all_fillers(words, p)
        if cand is None and not fillers:
            return None
        parts = self._parts()
        if parts is None:
            return None
        model, tok = parts
        from faster_whisper.audio import pad_or_trim

        feats = model.feature_extractor(np.asarray(audio, dtype=np.float32))
        n_frames = int(feats.shape[-1])
        enc = model.encode(pad_or_trim(feats))
        self.calls += 1

        def score(texts: list[str], focus: int | None) -> float:
            """Summed log-probability of the tokens of word ``focus`` of ``texts`` (joined by
            spaces); of all the tokens when ``focus`` is ``None``."""
            ids: list[int] = []
            span = (0, 0)
            for j, w in enumerate(texts):
                piece = tok.encode(" " + w)
                if j == focus:
                    # the word's own tokens, not the punctuation that follows it
                    core = tok.encode(" " + w.rstrip(_TRAILING))
                    span = (len(ids), len(ids) + max(1, len(core)))
                ids.extend(piece)
            if focus is None:
                span = (0, len(ids))
            res = model.model.align(enc, tok.sot_sequence, [ids], n_frames)
            probs = np.asarray(res[0].text_token_probs, dtype=np.float64)[span[0]:span[1]]
            return float(np.sum(np.log(np.maximum(probs, 1e-12))))

        if cand is None:
            return self._filler_call(list(words), _free_decoding(model, tok, enc), score, expected)
        k, cmds = cand

        heard = list(words)
        confirming = tokens_of(heard[k]) == cmds
        lp_heard = -math.inf if confirming else score(heard, k)
        best: tuple[float, str, str, float] | None = None  # log-p + prior, command, as written, prior
        punct = heard[k][len(heard[k].rstrip(_TRAILING)):] or "."
        for cmd in cmds:
            prior = p.context_prior if cmd in expected and not confirming else 0.0
            for mark in dict.fromkeys((punct, "!", ".")):
                written = (cmd.capitalize() if heard[k][:1].isupper() or k == 0 else cmd) + mark
                lp = score([*heard[:k], written, *heard[k + 1:]], k)
                if best is None or lp + prior > best[0] + best[3]:
                    best = (lp, cmd, written, prior)
        if best is None:
            return None
        alone = _free_decoding(model, tok, enc) if confirming else ""
        if confirming and cmds[0] not in tokens_of(alone) and _is_dialogue(alone):
            if probabilities is not None and math.exp(best[0]) >= probabilities[k]:
                return None  # nothing to lower
            return Verdict(token_index=k, command=best[1], text=heard[k], heard=heard[k],
                           logp_command=round(best[0], 3), logp_heard=lp_heard, alone=alone, rejected=True)
        if best[0] < p.floor or best[0] + best[3] < lp_heard + p.margin:
            return None
        if confirming and probabilities is not None and math.exp(best[0]) <= probabilities[k]:
            return None  # alone it is no surer than in the pack
        return Verdict(token_index=k, command=best[1], text=best[2], heard=heard[k],
                       logp_command=round(best[0], 3), logp_heard=lp_heard if confirming else round(lp_heard, 3),
                       alone=alone, prior=best[3])

    def _filler_call(self, heard: list[str], alone: str, score: Callable[[list[str], int | None], float],
                     expected: Sequence[str] = ()) -> Verdict | None:
        """The call a region of fillers holds when heard alone (``alone``) or, where the set's
        protocol expects a call (``expected``), the expected call when it wins with the prior;
        else ``None``."""
        said = alone.split()
        flat = _one_token_each(said, self.params.max_words)
        calls = [j for j, t in enumerate(flat or ()) if t in SINGLE_COMMANDS]
        if flat is None or len(calls) != 1 or any(t not in FILLERS for j, t in enumerate(flat) if j != calls[0]):
            return self._expected_call(heard, said, alone, score, expected)
        lp_word = score(said, calls[0])
        lp_said, lp_heard = score(said, None), score(heard, None)
        if lp_word < self.params.floor or lp_said < lp_heard + self.params.margin:
            return None
        return Verdict(token_index=0, command=flat[calls[0]], text=alone, heard=" ".join(heard),
                       logp_command=round(lp_said, 3), logp_heard=round(lp_heard, 3), replace_all=True,
                       alone=alone)

    def _expected_call(self, heard: list[str], said: list[str], alone: str,
                       score: Callable[[list[str], int | None], float], expected: Sequence[str]) -> Verdict | None:
        """The expected call (the protocol prior) for a region of fillers that is no call alone:
        it must beat, with the prior, both what the pack heard and what the region alone decodes
        to ("to the" in the pack and "Three." alone for a synthetic "Speed!")."""
        p = self.params
        if p.context_prior <= 0 or not expected:
            return None
        rival = max([score(heard, None)] + ([score(said, None)] if said else []))
        best: tuple[float, str, str] | None = None
        for cmd in expected:
            for mark in ("!", "."):
                lp = score([cmd.capitalize() + mark], None)
                if best is None or lp > best[0]:
                    best = (lp, cmd, cmd.capitalize() + mark)
        if best is None or best[0] < p.floor or best[0] + p.context_prior < rival + p.margin:
            return None
        return Verdict(token_index=0, command=best[1], text=best[2], heard=" ".join(heard),
                       logp_command=round(best[0], 3), logp_heard=round(rival, 3), replace_all=True,
                       alone=alone, prior=p.context_prior)


def _is_dialogue(text: str) -> bool:
    """Two or more words that are not fillers: a line, not a call ("cupboardy in the drawer";
    a lone other word such as "three" for a distant "Speed!" is not enough)."""
    return sum(1 for t in tokens_of(text) if t not in FILLERS) >= 2


def all_fillers(words: Sequence[str], params: VerifyParams) -> bool:
    """Whether a region's transcript is 1..``max_words`` tokens, every one a filler ("Okay.")."""
    toks = [t for w in words for t in tokens_of(w)]
    return 0 < len(toks) <= params.max_words and all(t in FILLERS for t in toks)


def _free_decoding(model: Any, tok: Any, enc: Any, max_tokens: int = 24) -> str:
    """Greedy decoding of an encoded region with no prompt and no timestamps (what the
    recogniser hears in the region on its own)."""
    prompt = [*tok.sot_sequence, tok.no_timestamps]
    res = model.model.generate(enc, [prompt], beam_size=1, max_length=len(prompt) + max_tokens)
    return str(tok.decode(res[0].sequences_ids[0])).strip()
