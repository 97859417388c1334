"""Slate field names, label vocabulary, value normalisation and camera file name checks.

Everything here is pure Python (no models), so it is cheap to import and easy to test::

    >>> normalise_scene(" 12 a ")
    '12A'
    >>> normalise_take("O3")
    '3'
    >>> normalise_roll("AOO4")
    'A004'
    >>> parse_camera_filename("A004C012_230412_R1AB.mov")
    CameraFileName(camera='A', roll=4, clip=12)
    >>> roll_matches_filename("A004", "A004C012_230412_R1AB.mov"), roll_matches_filename("5", "A004C012_x.mov")
    (True, False)

Scenes look like ``12``, ``12A``, ``47B`` (an optional one- or two-letter prefix for pick-ups
such as ``X12`` is kept); takes are numbers; rolls are written ``A004``, ``004`` or ``4``.
OCR mixes up letters and digits that look alike (``O``/``0``, ``I``/``1``, ``S``/``5``...):
the normalisers map them where the field's grammar says a digit must be.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

from rushes.triage.distance import levenshtein

__all__ = [
    "FIELDS",
    "LABELS",
    "CameraFileName",
    "label_field",
    "normalise_camera",
    "normalise_field",
    "normalise_roll",
    "normalise_scene",
    "normalise_take",
    "normalise_text",
    "parse_camera_filename",
    "roll_matches_filename",
]

#: The fields read from a slate, in the order they are reported.
FIELDS: tuple[str, ...] = ("prod", "roll", "scene", "take", "director", "camera", "date")

#: Printed labels (upper case) that introduce each field on common slates.
LABELS: dict[str, tuple[str, ...]] = {
    "prod": ("PROD", "PRODUCTION", "TITLE", "PROD'N"),
    "roll": ("ROLL", "REEL", "ROL"),
    "scene": ("SCENE", "SC", "SCN", "SCENE#"),
    "take": ("TAKE", "TK", "TAKE#"),
    "director": ("DIRECTOR", "DIR", "DIRECTED", "DIRECTOR:"),
    "camera": ("CAMERA", "CAM", "CAMERAMAN", "CAMERA OP", "D.O.P", "DOP", "DP"),
    "date": ("DATE",),
}

# OCR confusions: letters that are read where a digit was written
_DIGIT_LIKE = {"O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "|": "1", "!": "1", "J": "1",
               "T": "7", "S": "5", "Z": "2", "B": "8", "G": "6", "g": "9", "q": "9", "l": "1", "o": "0",
               "i": "1", "s": "5", "z": "2", "b": "6"}
# after a roll's camera letter, a round hand-written 0 is often read as C
_ROLL_DIGIT_LIKE = {**_DIGIT_LIKE, "C": "0"}
# the subset that is safe inside a scene number (B, D, S... are also common scene suffix letters)
_SCENE_DIGIT_LIKE = {"O": "0", "o": "0", "I": "1", "l": "1", "|": "1", "!": "1", "i": "1", "L": "1"}
_SCENE_RE = re.compile(r"^([A-Z]{0,2}?)(\d{1,4})([A-Z]{0,2})$")
_ROLL_RE = re.compile(r"^([A-Z]{0,2})(\d{1,4})([A-Z]?)$")


def _label_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for fld, labels in LABELS.items():
        for lab in labels:
            table[re.sub(r"[^A-Z]", "", lab)] = fld
    return table


_LABEL_TO_FIELD = _label_table()


def label_field(token: str) -> tuple[str, float] | None:
    """The field a printed label introduces, with a match quality in (0, 1], or ``None``.

    Short labels (``SC``, ``TK``, ``CAM``...) must match exactly; longer ones tolerate OCR slips
    (one edit up to 5 letters, two up to 7, three from 8), so ``TARE`` still reads as ``TAKE``.
    """
    letters = re.sub(r"[^A-Za-z]", "", token).upper()
    if not letters or len(letters) > 12:
        return None
    if letters in _LABEL_TO_FIELD:
        return _LABEL_TO_FIELD[letters], 1.0
    # the rule of the label's box read as a letter stuck to it: "ITAKE", "lPROD", "SCENEI"
    for core in (letters[1:] if letters[0] in "IL" else "", letters[:-1] if letters[-1] in "IL" else ""):
        if len(core) >= 4 and core in _LABEL_TO_FIELD:
            return _LABEL_TO_FIELD[core], 0.95
    if len(letters) < 4:
        return None
    limit = 1 if len(letters) <= 5 else (2 if len(letters) <= 7 else 3)
    best: tuple[str, float] | None = None
    for lab, fld in _LABEL_TO_FIELD.items():
        if len(lab) < 4:
            continue
        d = levenshtein(letters, lab, limit)
        # slips on short words are only trusted when the first two letters agree (TARE is TAKE)
        if d <= limit and (len(lab) > 6 or letters[:2] == lab[:2]) and (d < 2 or letters[0] == lab[0]):
            quality = 1.0 - 0.15 * d
            if best is None or quality > best[1]:
                best = (fld, quality)
    return best


def normalise_text(text: str) -> str:
    """Collapse whitespace and strip separators (``:``, ``.``, ``-``) around a free-text value."""
    out = " ".join(text.split())
    return out.strip(" :;,.-_=|").strip()


def _alnum(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z|!]", "", text)


def normalise_scene(text: str) -> str | None:
    """A scene number like ``12``, ``12A``, ``47B`` (or ``X12``), or ``None`` when it is not one."""
    raw = _alnum(text)
    if not raw:
        return None
    chars = list(raw)
    # a confusable letter counts as a digit when a real digit follows it (``1O2`` -> 102, but the
    # trailing B of ``12B`` stays a letter)
    for i, c in enumerate(chars):
        if c in _SCENE_DIGIT_LIKE and any(d.isdigit() for d in chars[i + 1:]):
            chars[i] = _SCENE_DIGIT_LIKE[c]
    # a scene never has a letter between two digits: one there is a misread digit (a round
    # hand-written 0 read as C in ``1C6``, a 5 read as S)
    for i in range(1, len(chars) - 1):
        if chars[i - 1].isdigit() and chars[i + 1].isdigit() and chars[i] in _ROLL_DIGIT_LIKE:
            chars[i] = _ROLL_DIGIT_LIKE[chars[i]]
    s = "".join(chars).upper().replace("|", "1").replace("!", "1")
    if not any(c.isdigit() for c in s):
        # a lone confusable such as "O" or "I" read for a one-digit scene
        s = "".join(_SCENE_DIGIT_LIKE.get(c, c) for c in s) if len(s) <= 2 else s
    m = _SCENE_RE.match(s)
    if m is None:
        return None
    prefix, number, suffix = m.groups()
    if int(number) == 0:
        return None
    return f"{prefix}{int(number)}{suffix}"


def normalise_take(text: str) -> str | None:
    """A take number without leading zeros (``"03"`` -> ``"3"``), or ``None``."""
    raw = _alnum(text)
    if not raw:
        return None
    if len(raw) > 1 and not any(c.isdigit() for c in raw):
        return None
    digits = "".join(c if c.isdigit() else _DIGIT_LIKE.get(c, _DIGIT_LIKE.get(c.upper(), "")) for c in raw)
    if not digits or len(digits) > 3:
        return None
    # a take written with a trailing letter (e.g. "3A" for a pick-up) loses the letter; more than one
    # stray letter means this is not a take
    if sum(1 for c in raw if not c.isdigit() and c not in _DIGIT_LIKE and c.upper() not in _DIGIT_LIKE) > 1:
        return None
    return str(int(digits))


def normalise_roll(text: str) -> str | None:
    """A roll as written on the slate, tidied: ``AOO4`` -> ``A004``, ``#4`` -> ``4``, or ``None``."""
    raw = _alnum(text).upper()
    if not raw or not any(c.isdigit() for c in raw):
        return None
    # leading camera letters stay letters; after the first digit(-like) character, map confusables
    lead = ""
    rest = raw
    m = re.match(r"^([A-Z]{1,2})(?=[0-9OQDCIL|!SZBGT])", raw)
    if m and len(raw) > len(m.group(1)):
        lead = m.group(1)
        rest = raw[len(lead):]
        # "AO04": the O after the letter is a zero, unless it is the only character that follows
        # (a hand-written 0 is read as C too: "BCC9" is B009)
        if lead[-1] in "OQDIC" and len(lead) == 2 and any(c.isdigit() for c in rest):
            lead, rest = lead[:-1], lead[-1] + rest
    tail = ""
    if len(rest) > 1 and rest[-1].isalpha() and rest[-1] not in _DIGIT_LIKE:
        tail, rest = rest[-1], rest[:-1]
    digits = "".join(c if c.isdigit() else _ROLL_DIGIT_LIKE.get(c, "?") for c in rest)
    if "?" in digits or not digits:
        return None
    if not lead and not tail and re.fullmatch(r"80\d\d", digits):
        # rolls are a camera letter and three digits (A004): four digits with a leading 8 and a
        # zero are a hand-written B read as 8 ("8004" is B004; "804" and "1004" stay numbers)
        lead, digits = "B", digits[1:]
    out = f"{lead}{digits}{tail}"
    return out if _ROLL_RE.match(out) else None


def normalise_camera(text: str) -> str | None:
    """Camera letter (``"a"`` -> ``"A"``) or, on slates that name the operator, the name as written."""
    s = normalise_text(text)
    if not s:
        return None
    return s.upper() if len(s) <= 2 else s


def normalise_field(name: str, text: str) -> str | None:
    """Normalise ``text`` as the value of field ``name`` (``None`` when it is not a valid value)."""
    if name == "scene":
        return normalise_scene(text)
    if name == "take":
        return normalise_take(text)
    if name == "roll":
        return normalise_roll(text)
    if name == "camera":
        return normalise_camera(text)
    s = normalise_text(text)
    return s or None


@dataclass(frozen=True)
class CameraFileName:
    """What a camera-original file name says: camera letter, roll number and clip number."""

    camera: str
    roll: int
    clip: int | None = None

    @property
    def roll_label(self) -> str:
        """The roll as slates usually write it, e.g. ``A004``."""
        return f"{self.camera}{self.roll:03d}"


# ARRI / Sony / Canon: A004C012_230412_R1AB ; RED: A001_C003_0101AB ; Blackmagic: A001_08121432_C003
_FILENAME_PATTERNS = (
    re.compile(r"^([A-Z])(\d{3,4})_?C(\d{3,4})(?:[_.]|$)"),
    re.compile(r"^([A-Z])(\d{3,4})_\d{6,8}_C(\d{3,4})(?:[_.]|$)"),
    re.compile(r"^([A-Z])(\d{3,4})(?:[_.]|$)"),
)


def parse_camera_filename(filename: str | PurePath) -> CameraFileName | None:
    """Camera letter, roll and clip from a camera file name such as ``A004C012_230412_R1AB.mov``.

    Understands ARRI/Sony-style ``A004C012_...``, RED ``A001_C003_...`` and Blackmagic
    ``A001_08121432_C003`` names; returns ``None`` for anything else.
    """
    stem = PurePath(str(filename)).name.upper()
    for i, pattern in enumerate(_FILENAME_PATTERNS):
        m = pattern.match(stem)
        if m:
            clip = int(m.group(3)) if i < 2 else None
            return CameraFileName(m.group(1), int(m.group(2)), clip)
    return None


def roll_matches_filename(roll: str | None, filename: str | PurePath) -> bool | None:
    """Whether the roll read from a slate agrees with the camera file name.

    ``True``/``False`` when both are known; ``None`` when the roll is unreadable or the file
    name is not a camera name. The roll number must match; a camera letter written on the slate
    (``A004``) must match the file's camera letter too.
    """
    if not roll:
        return None
    parsed = parse_camera_filename(filename)
    norm = normalise_roll(roll)
    if parsed is None or norm is None:
        return None
    m = _ROLL_RE.match(norm)
    if m is None:
        return None
    letters, digits, _tail = m.groups()
    if int(digits) != parsed.roll:
        return False
    return not (letters and letters[-1] != parsed.camera)
