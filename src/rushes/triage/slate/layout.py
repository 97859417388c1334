"""Slate layout parsing: OCR lines with character boxes → field values, by position.

A slate is a form: printed labels (``ROLL``, ``SCENE``, ``TAKE``, ``PROD``, ``DIRECTOR``,
``CAMERA``, ``DATE`` and their short forms) with hand-written values either **to the right**
of the label on the same row (``DIRECTOR  J. OKAFOR``) or **below** it in the label's column
(the big ROLL / SCENE / TAKE boxes). OCR often merges neighbouring values into one line
(``A004 12A 3`` across three boxes), so values are assigned **per character**, using the
character boxes RapidOCR returns:

1. every line is split into tokens (at spaces and ``:``); a token that is a label (exactly,
   or within one or two OCR slips for long labels, see :func:`~rushes.triage.slate.fields.label_field`)
   becomes a *label*; ``SCENE12A`` is split into a label and a value;
2. each remaining character goes to the nearest label on its row to its left (no other label in
   between), else to the nearest label above it whose column holds it (a column runs from
   the label's left edge to the next label on the label's row) with no label row in between;
3. ROLL / SCENE / TAKE not found through labels are taken from the row of the largest short
   codes, left to right (``4  7C  3``), at a lower confidence — slates whose labels are printed
   sideways or are unreadable still give their numbers.

Values are normalised (:func:`~rushes.triage.slate.fields.normalise_field`) and get a confidence:
mean OCR character score x label match quality x (1 if the value is well formed, else 0.3)
x (0.6 when read by position only).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, NamedTuple

from rushes.triage.slate.fields import (
    FIELDS,
    LABELS,
    label_field,
    normalise_field,
    normalise_text,
    roll_matches_filename,
)

__all__ = [
    "Box", "FieldValue", "LabelHit", "OcrGlyph", "OcrLine", "empty_fields", "lines_from_boxes", "normalise_value",
    "parse_layout", "realign_to_filename", "right_cell", "value_cell",
]

Box = tuple[float, float, float, float]
"""Axis-aligned box ``(x0, y0, x1, y1)`` in image pixels."""

_SPLIT_RE = re.compile(r"[\s:;]+")
_DATE_RE = re.compile(
    r"(\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{2,4}|\d{1,2}\s+[A-Za-z]{3,9}\.?\s+\d{2,4}|[A-Za-z]{3,9}\.?\s+\d{1,2},?\s+\d{2,4})"
)
_CODE_RE = re.compile(r"^[0-9A-Za-z]{1,5}$")


@dataclass(frozen=True)
class OcrGlyph:
    """One recognised character with its box, score and place in its line's text."""

    char: str
    score: float
    box: Box
    line: int
    pos: int


@dataclass(frozen=True)
class OcrLine:
    """One line of text as OCR returned it: text, score, bounding box and character glyphs."""

    text: str
    score: float
    box: Box
    """Box in the levelled frame the layout is read in (the image rotated so text is horizontal)."""
    glyphs: tuple[OcrGlyph, ...]
    image_box: Box | None = None
    """Bounding box in image pixels (``box`` when no levelling was needed)."""
    rot: tuple[float, float] = (1.0, 0.0)
    """(cos, sin) of the rotation from image pixels to the levelled frame of ``box``."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form (without the glyphs)."""
        b = self.image_box or self.box
        return {"text": self.text, "score": round(self.score, 4), "box": [round(v, 1) for v in b]}


@dataclass(frozen=True)
class FieldValue:
    """A field read from a slate: normalised value (``None`` if unreadable), raw text, confidence."""

    value: str | None
    raw: str
    confidence: float
    source: str
    """``label`` (found next to its printed label) or ``position`` (by the layout alone)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"value": self.value, "raw": self.raw, "confidence": round(self.confidence, 4),
                "source": self.source}


@dataclass(frozen=True)
class LabelHit:
    """A printed label found on the slate."""

    field: str
    text: str
    quality: float
    box: Box
    line: int


@dataclass
class _Piece:
    text: str
    glyphs: list[OcrGlyph]
    label: tuple[str, float] | None


def lines_from_boxes(
    quads: Sequence[Sequence[Sequence[float]]],
    texts: Sequence[str],
    scores: Sequence[float],
    chars: Sequence[Sequence[tuple[str, float, Sequence[Sequence[float]]]]] | None = None,
) -> list[OcrLine]:
    """Build :class:`OcrLine` objects from RapidOCR-style output.

    ``quads`` are 4-point boxes per line, ``chars`` (optional) per-line ``(char, score, quad)``
    tuples as RapidOCR's ``word_results`` gives them with ``return_single_char_box``. Characters
    are matched to the non-space characters of the line text; when they do not line up (or are
    absent) the line box is divided evenly among the characters.
    """
    out: list[OcrLine] = []
    rot = _deskew(quads, texts)
    for i, (quad, text, score) in enumerate(zip(quads, texts, scores, strict=True)):
        box = _quad_box(quad, rot)
        positions = [p for p, c in enumerate(text) if not c.isspace()]
        glyphs: list[OcrGlyph] = []
        line_chars = list(chars[i]) if chars is not None and i < len(chars) else []
        if line_chars and len(line_chars) == len(positions) and all(
            str(c[0]) == text[p] for c, p in zip(line_chars, positions, strict=True)
        ):
            for (ch, sc, q), p in zip(line_chars, positions, strict=True):
                glyphs.append(OcrGlyph(str(ch), float(sc), _quad_box(q, rot), i, p))
        elif text:
            step = (box[2] - box[0]) / max(1, len(text))
            for p in positions:
                glyphs.append(OcrGlyph(text[p], float(score), (box[0] + p * step, box[1],
                                                               box[0] + (p + 1) * step, box[3]), i, p))
        out.append(OcrLine(text, float(score), box, tuple(glyphs), _quad_box(quad), rot))
    return out


def _deskew(quads: Sequence[Sequence[Sequence[float]]], texts: Sequence[str]) -> tuple[float, float]:
    """(cos, sin) of the rotation that levels the text: minus the median angle of the lines' top
    edges (lines of 3+ characters, wider than tall; angles beyond ±45° are ignored)."""
    angles: list[float] = []
    for quad, text in zip(quads, texts, strict=True):
        if len(text.strip()) < 3 or len(quad) < 4:
            continue
        (x0, y0), (x1, y1) = (float(quad[0][0]), float(quad[0][1])), (float(quad[1][0]), float(quad[1][1]))
        if abs(x1 - x0) < 1e-6:
            continue
        a = math.atan2(y1 - y0, x1 - x0)
        if abs(a) < math.pi / 4:
            angles.append(a)
    if not angles:
        return (1.0, 0.0)
    a = sorted(angles)[len(angles) // 2]
    if abs(a) < math.radians(1.0):
        return (1.0, 0.0)
    return (math.cos(-a), math.sin(-a))


def _quad_box(quad: Sequence[Sequence[float]], rot: tuple[float, float] = (1.0, 0.0)) -> Box:
    c, s = rot
    xs = [float(p[0]) * c - float(p[1]) * s for p in quad]
    ys = [float(p[0]) * s + float(p[1]) * c for p in quad]
    return (min(xs), min(ys), max(xs), max(ys))


def _union(boxes: Sequence[Box]) -> Box:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _pieces(line: OcrLine) -> list[_Piece]:
    """Split a line into label and value pieces (tokens; ``SCENE12A`` -> ``SCENE`` + ``12A``)."""
    by_pos = {g.pos: g for g in line.glyphs}
    out: list[_Piece] = []
    for m in re.finditer(r"[^\s:;|]+", line.text):
        token, start = m.group(0), m.start()
        glyphs = [by_pos[p] for p in range(start, start + len(token)) if p in by_pos]
        out.extend(_split_token(token, glyphs, start))
    return out


def _split_token(token: str, glyphs: list[OcrGlyph], start: int) -> list[_Piece]:
    hit = label_field(token)
    if hit is not None and not any(c.isdigit() for c in token):
        return [_Piece(token, glyphs, hit)]
    # a value run into the next printed label: "DuarteDATE" (the label in capitals after a small letter)
    for n in range(4, min(len(token) - 1, 10) + 1):
        tail, cut = token[-n:], len(token) - n
        # (in capitals too, "FERREIRADATE", when three letters or more come before a label of a
        # row's end, DATE / CAMERA / DIRECTOR: not "MISTAKE" in a title)
        caps = cut >= 3 and token[:cut].replace(".", "").isalpha()
        if tail.isalpha() and tail.isupper() and (not token[cut - 1].isupper() or caps):
            t = label_field(tail)
            if t is not None and t[1] == 1.0 and (not token[cut - 1].isupper() or t[0] in _ROW_END_LABELS):
                head_g = [g for g in glyphs if g.pos < start + cut]
                tail_g = [g for g in glyphs if g.pos >= start + cut]
                return [*_split_token(token[:cut], head_g, start), _Piece(tail, tail_g, t)]
    # a printed label run together with its value or with the next label: exact prefixes only
    for n in range(min(len(token) - 1, 10), 3, -1):
        head = token[:n]
        if not head.isalpha():
            continue
        h = label_field(head)
        if h is not None and h[1] == 1.0:
            head_g = [g for g in glyphs if g.pos < start + n]
            tail_g = [g for g in glyphs if g.pos >= start + n]
            return [_Piece(head, head_g, h), *_split_token(token[n:], tail_g, start + n)]
    # a short label run into its number: "SC93", "TK4" (two or three letters, a digit after them)
    for n in (3, 2):
        head = token[:n]
        if len(token) > n and head.isalpha() and token[n].isdigit():
            h = label_field(head)
            if h is not None and h[0] in ("scene", "take", "roll"):
                head_g = [g for g in glyphs if g.pos < start + n]
                tail_g = [g for g in glyphs if g.pos >= start + n]
                return [_Piece(head, head_g, h), *_split_token(token[n:], tail_g, start + n)]
    # a code label (misread or not) run into a value that reads as its code: "ROLA006" is ROL +
    # A006 (an exact label beats a longer misread one: not ROLA + 006), "ROLLIB12", "SCEN12A"
    best: tuple[float, int, tuple[str, float]] | None = None
    for n in range(3, min(len(token) - 1, 8) + 1):
        head, tail = token[:n], token[n:]
        if not head.isalpha() or not any(c.isdigit() for c in tail):
            continue
        h = label_field(head) or _code_label_prefix(head)
        if h is not None and h[0] in ("roll", "scene", "take") and normalise_field(h[0], tail) is not None \
                and (best is None or (h[1], n) > best[:2]):
            best = (h[1], n, h)
    if best is not None:
        n = best[1]
        return [_Piece(token[:n], [g for g in glyphs if g.pos < start + n], best[2]),
                _Piece(token[n:], [g for g in glyphs if g.pos >= start + n], None)]
    return [_Piece(token, glyphs, None)]


#: labels that may follow a value in capitals on one row ("A. FERREIRADATE 3/1/25")
_ROW_END_LABELS = ("date", "camera", "director")


def _code_label_prefix(head: str) -> tuple[str, float] | None:
    """A code label cut short ("SCE", "TAK": the box's rule or edge over its end), three letters
    at least."""
    up = head.upper()
    if len(up) < 3:
        return None
    for name in ("roll", "scene", "take"):
        if any(len(lab) > len(up) and lab.startswith(up) for lab in LABELS[name]):
            return name, 0.8
    return None


def _v_overlap(a: Box, b: Box) -> float:
    return max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def parse_layout(lines: Sequence[OcrLine]) -> tuple[dict[str, FieldValue], list[LabelHit]]:
    """Read the slate fields from OCR lines (see the module docstring)."""
    labels: list[LabelHit] = []
    values: list[OcrGlyph] = []
    tokens: list[list[OcrGlyph]] = []
    for line in lines:
        for piece in _pieces(line):
            if piece.label is not None and piece.glyphs:
                labels.append(LabelHit(piece.label[0], piece.text, piece.label[1],
                                       _union([g.box for g in piece.glyphs]), piece.glyphs[0].line))
            else:
                values.extend(piece.glyphs)
                tokens.append(piece.glyphs)

    assigned: dict[int, list[OcrGlyph]] = {i: [] for i in range(len(labels))}
    pending: list[OcrGlyph] = []
    for g in values:
        k = _assign_right(g, labels)
        if k is None:
            pending.append(g)
        else:
            assigned[k].append(g)
    # a label with its value on its own row is an inline label: it takes nothing from below, and
    # its row (label and value) closes the columns of the labels above it
    # (ROLL/SCENE/TAKE stay column labels whatever follows them: an unread neighbour label's
    # fragment such as "AKE" must not stop the box below from being read)
    # A label printed sideways (up the edge of its box) has its value to its right only.
    column_labels = [k for k in range(len(labels)) if not _sideways(labels[k].box)
                     and (not assigned[k] or labels[k].field in ("roll", "scene", "take"))]
    extents = [_union([lab.box, *(g.box for g in assigned[k])]) for k, lab in enumerate(labels)]
    for g in pending:
        k = _assign_below(g, labels, column_labels, extents)
        if k is not None:
            assigned[k].append(g)

    _keep_tokens_whole(tokens, assigned)
    fields: dict[str, FieldValue] = {}
    used: dict[str, set[tuple[int, int]]] = {}
    for k, lab in enumerate(labels):
        glyphs = assigned[k]
        if not glyphs:
            continue
        if lab.field in ("roll", "scene", "take"):
            glyphs = _best_code_group(lab.field, glyphs, lab.box)
        raw = _join(glyphs)
        value = _normalise(lab.field, raw)
        mean = sum(g.score for g in glyphs) / len(glyphs)
        conf = mean * lab.quality * (1.0 if value is not None else 0.3)
        cand = FieldValue(value, raw, conf, "label")
        old = fields.get(lab.field)
        if old is None or (old.value is None and value is not None) or (
            (old.value is None) == (value is None) and conf > old.confidence
        ):
            fields[lab.field] = cand
            used[lab.field] = {(g.line, g.pos) for g in glyphs}
    taken = {key: f for f, keys in used.items() if fields[f].value is not None for key in keys}
    _positional_codes(lines, labels, fields, taken)
    _date_out_of_camera(fields)
    return fields, labels


def _date_out_of_camera(fields: dict[str, FieldValue]) -> None:
    """The date written on the camera's row when the DATE label was not read ("CAM A  12/4/26"):
    the date-looking run leaves the camera and is the date, when no date was read."""
    cam = fields.get("camera")
    if cam is None or cam.value is None:
        return
    m = _DATE_RE.search(cam.raw)
    if m is None:
        return
    date = fields.get("date")
    if date is None or date.value is None:
        fields["date"] = FieldValue(normalise_text(m.group(0)), m.group(0), cam.confidence * 0.8, cam.source)
    rest = (cam.raw[:m.start()] + " " + cam.raw[m.end():]).strip()
    value = normalise_field("camera", rest) if rest else None
    fields["camera"] = FieldValue(value, rest, cam.confidence if value else 0.0, cam.source if value else "none")


def _keep_tokens_whole(tokens: Sequence[list[OcrGlyph]], assigned: dict[int, list[OcrGlyph]]) -> None:
    """Give a token's stray end character back to the rest of the token.

    Character boxes of a long line drift, so the last ``4`` of ``A004`` can fall into the next
    column. When OCR itself separated the tokens (``A004 2B 2``) and a token of 3+ characters has
    exactly one end character in another label's column, where another token is already read,
    that character belongs to its own token. (A run OCR did not separate, ``C022139C17``, is
    split by columns as before: there each column holds several of its characters.)"""
    owner = {id(g): k for k, gs in assigned.items() for g in gs}
    for token in tokens:
        if len(token) < 3:
            continue
        found = [owner.get(id(g)) for g in token]
        ks = [k for k in found if k is not None]
        if len(ks) != len(found) or len(set(ks)) != 2:
            continue
        for end, rest in ((0, ks[1:]), (len(ks) - 1, ks[:-1])):
            stray, home = ks[end], rest[0]
            if all(k == home for k in rest) and stray != home and any(
                owner.get(id(g)) == stray for other in tokens if other is not token for g in other
            ):
                g = token[end]
                assigned[stray] = [x for x in assigned[stray] if x is not g]
                assigned[home].append(g)
                break


def _assign_right(g: OcrGlyph, labels: Sequence[LabelHit]) -> int | None:
    """Index of the nearest label left of a value glyph on its row (no label in between)."""
    gx0, gy0, _gx1, gy1 = g.box
    best_right: tuple[float, int] | None = None
    for k, lab in enumerate(labels):
        _lx0, ly0, lx1, ly1 = lab.box
        h = max(1.0, ly1 - ly0)
        # on the label's row: the glyph's middle lies within the label's height (± half of it) —
        # the tall value boxes under a row of labels overlap it but are centred well below
        if not (ly0 - 0.5 * h <= (gy0 + gy1) / 2 <= ly1 + 0.5 * h):
            continue
        if gx0 < lx1 - 0.3 * h:
            continue
        # another label on the row between the two takes the glyph instead
        blocked = any(
            j != k and _v_overlap(m.box, lab.box) >= 0.5 * min(h, m.box[3] - m.box[1])
            and m.box[0] >= lx1 - 0.3 * h and m.box[2] <= gx0 + 0.3 * h
            for j, m in enumerate(labels)
        )
        if blocked:
            continue
        gap = (gx0 - lx1) / h
        if gap > 40:
            continue
        if best_right is None or gap < best_right[0]:
            best_right = (gap, k)
    return None if best_right is None else best_right[1]


def _assign_below(
    g: OcrGlyph, labels: Sequence[LabelHit], candidates: Sequence[int], extents: Sequence[Box]
) -> int | None:
    """Index of the nearest label above a value glyph whose column holds it (no label row between)."""
    gx0, gy0, gx1, gy1 = g.box
    gcx = (gx0 + gx1) / 2
    best_below: tuple[float, int] | None = None
    for k in candidates:
        lab = labels[k]
        _lx0, ly0, _lx1, ly1 = lab.box
        h = max(1.0, ly1 - ly0)
        if (gy0 + gy1) / 2 <= ly1 or max(0.0, gy0 - ly1) > 8 * h:
            continue
        col_start, col_end = _column(labels, k)
        if not (col_start <= gcx < col_end):
            continue
        # a row of labels between the label and the glyph ends the label's column
        if any(
            j != k and m.box[1] >= ly1 - 0.2 * h and m.box[3] <= gy0 + 0.25 * (gy1 - gy0)
            and extents[j][2] > col_start and extents[j][0] < col_end
            for j, m in enumerate(labels)
        ):
            continue
        gap = max(0.0, gy0 - ly1) / h
        if best_below is None or gap < best_below[0]:
            best_below = (gap, k)
    return None if best_below is None else best_below[1]


def _sideways(box: Box) -> bool:
    """Whether a label's box is that of text printed sideways (much taller than wide)."""
    return box[3] - box[1] > 1.5 * (box[2] - box[0])


def _column(labels: Sequence[LabelHit], k: int) -> tuple[float, float]:
    """Left and right edge of the column below label ``k``: the columns of a row of labels tile
    the row, each ending where the next label's begins."""
    lab = labels[k]
    lx0, _ly0, lx1, _ly1 = lab.box
    h = max(1.0, lab.box[3] - lab.box[1])
    row = [m for j, m in enumerate(labels)
           if j != k and _v_overlap(m.box, lab.box) >= 0.5 * min(h, m.box[3] - m.box[1])]
    right = [m.box[0] - 0.3 * (m.box[3] - m.box[1]) for m in row if m.box[0] > lx1 - 0.3 * h]
    has_left = any(m.box[2] < lx0 + 0.3 * h for m in row)
    col_start = lx0 - (0.3 if has_left else 0.8) * h
    left_x = [m.box[0] for m in row if m.box[2] < lx0 + 0.3 * h]
    if right:
        col_end = min(right)
    elif left_x:  # last label of a row whose next label was not read: about one column wide
        col_end = lx0 + 1.4 * (lx0 - max(left_x))
    else:
        col_end = lx0 + max(8 * h, 4 * (lx1 - lx0))
    return col_start, col_end


def value_cell(labels: Sequence[LabelHit], k: int, max_rows: float = 6.0) -> Box:
    """The box (levelled frame) under label ``k`` where its hand-written value is: the label's
    column, from the label's bottom to the next label below in the column (at most ``max_rows``
    label heights); for a label printed sideways (taller than wide), the box to its right."""
    lab = labels[k]
    lx0, ly0, lx1, ly1 = lab.box
    h = max(1.0, ly1 - ly0)
    if _sideways(lab.box):
        # printed sideways (read up the box's edge): the value is to its right, as tall as the label
        w = lx1 - lx0
        nxt = [m.box[0] for j, m in enumerate(labels)
               if j != k and m.box[0] > lx1 and _v_overlap(m.box, lab.box) > 0.5 * h]
        return (lx1 + 0.2 * w, ly0 - 0.25 * h, min([lx1 + 2.5 * h, *nxt]) - 0.2 * w, ly1 + 0.25 * h)
    x0, x1 = _column(labels, k)
    top = ly1
    below = [m.box[1] for j, m in enumerate(labels)
             if j != k and m.box[1] >= top + 0.5 * h and m.box[0] < x1 and m.box[2] > x0]
    bottom = min([top + max_rows * h, *below])
    return (x0, top, x1, bottom)


def right_cell(labels: Sequence[LabelHit], k: int, max_width: float = 8.0) -> Box:
    """The box (levelled frame) right of an inline label ``k`` (``CAM  A``) where its hand-written
    value is: from the label's right edge to the next label on its row (at most ``max_width``
    label heights), a little taller than the label (hand-writing is bigger than print)."""
    _lx0, ly0, lx1, ly1 = labels[k].box
    h = max(1.0, ly1 - ly0)
    nxt = [m.box[0] for j, m in enumerate(labels)
           if j != k and m.box[0] > lx1 and _v_overlap(m.box, labels[k].box) > 0.5 * h]
    return (lx1 + 0.1 * h, ly0 - 0.6 * h, min([lx1 + max_width * h, *nxt]) - 0.1 * h, ly1 + 0.6 * h)


def normalise_value(name: str, raw: str) -> str | None:
    """A field's value from raw OCR text as the layout reads it (codes: the first token that
    parses; dates: the first date-looking run)."""
    return _normalise(name, raw)


def _best_code_group(name: str, glyphs: list[OcrGlyph], label: Box) -> list[OcrGlyph]:
    """A code is one run of adjacent characters: split the glyphs at gaps wider than half a
    character (and between lines) and keep the run that reads as a valid value — the longest,
    then the nearest to its label (a farther run of the same length is the next box's value
    whose label was not read). Column rules and chalk lines read as ``1``/``3`` drop out this way."""
    groups = _gap_groups(glyphs)
    if len(groups) == 1:
        return glyphs

    def key(grp: list[OcrGlyph]) -> tuple[bool, int, float]:
        text = "".join(g.char for g in grp)
        box = _union([g.box for g in grp])
        gap = max(0.0, box[0] - label[2]) + max(0.0, box[1] - label[3])
        return (normalise_field(name, text) is not None, len(text), -gap)

    return max(groups, key=key)


def _join(glyphs: Sequence[OcrGlyph]) -> str:
    """Text of glyphs in reading order (rows top to bottom, then line and position)."""
    line_top: dict[int, float] = {}
    for g in glyphs:
        line_top[g.line] = min(line_top.get(g.line, g.box[1]), g.box[1])
    ordered = sorted(glyphs, key=lambda g: (line_top[g.line], g.line, g.pos))
    parts: list[str] = []
    prev: OcrGlyph | None = None
    for g in ordered:
        if prev is not None and (g.line != prev.line or g.pos > prev.pos + 1):
            parts.append(" ")
        parts.append(g.char)
        prev = g
    return "".join(parts)


def _normalise(name: str, raw: str) -> str | None:
    if name == "date":
        m = _DATE_RE.search(raw)
        return normalise_text(m.group(0)) if m else normalise_field(name, raw)
    if name in ("roll", "scene", "take"):
        # a code is one token; prefer the first token that parses (stray marks around it are dropped)
        value = normalise_field(name, raw.replace(" ", ""))
        if value is not None:
            return value
        for token in raw.split():
            if not any(c.isdigit() for c in token):
                continue
            value = normalise_field(name, token)
            if value is not None:
                return value
        return None
    return normalise_field(name, raw)


def _positional_codes(
    lines: Sequence[OcrLine], labels: Sequence[LabelHit], fields: dict[str, FieldValue],
    taken: dict[tuple[int, int], str],
) -> None:
    """Fill missing roll/scene/take from the row of the biggest short codes, left to right."""
    missing = [f for f in ("roll", "scene", "take") if fields.get(f) is None or fields[f].value is None]
    if not missing:
        return
    codes: list[_Code] = []
    for line in lines:
        for piece in _pieces(line):
            if piece.label is not None or not piece.glyphs:
                continue
            # a dash or dot between codes separates them ("28-122-57": three boxes read as one line)
            runs = [g for g in _gap_groups(piece.glyphs) for g in _split_at_marks(g)]
            for group in runs:
                # a run whose characters went to different fields, or only partly to one
                # ("1125C15" whose "25C" and "15" went to SCENE and TAKE) is one code per owner
                start = 0
                for i in range(1, len(group) + 1):
                    if i == len(group) or (taken.get((group[i].line, group[i].pos))
                                           != taken.get((group[i - 1].line, group[i - 1].pos))):
                        _add_code(group[start:i], taken, codes)
                        start = i
    if len(codes) < 2:
        return
    _fill_from_rows(codes, missing, fields)


def _gap_groups(glyphs: Sequence[OcrGlyph]) -> list[list[OcrGlyph]]:
    """Runs of adjacent glyphs of one line (split where the gap exceeds half a character)."""
    groups: list[list[OcrGlyph]] = []
    for g in sorted(glyphs, key=lambda g: (g.line, g.pos)):
        prev = groups[-1][-1] if groups else None
        if prev is not None and prev.line == g.line and g.box[0] - prev.box[2] <= max(
                0.5 * (g.box[2] - g.box[0]), _GAP_OF_HEIGHT * (g.box[3] - g.box[1]), 1.0):
            groups[-1].append(g)
        else:
            groups.append([g])
    return groups


#: a gap within one code may be this share of the characters' height, however narrow they are:
#: hand-written digits in a big box stand apart ("1  7"), narrow glyphs make half a width too tight
_GAP_OF_HEIGHT = 0.3


def _split_at_marks(glyphs: list[OcrGlyph]) -> list[list[OcrGlyph]]:
    """A run split at its punctuation (the marks dropped)."""
    out: list[list[OcrGlyph]] = [[]]
    for g in glyphs:
        if g.char.isalnum():
            out[-1].append(g)
        elif out[-1]:
            out.append([])
    return [run for run in out if run]


class _Code(NamedTuple):
    """A run of glyphs that could be a roll/scene/take value (``text`` blank when ``owner``,
    the field that already read it, is set)."""

    box: Box
    text: str
    score: float
    owner: str | None


def _add_code(group: list[OcrGlyph], taken: Mapping[tuple[int, int], str], codes: list[_Code]) -> None:
    """Record a run of glyphs as a candidate code (its text blanked when a field already owns it)."""
    text = re.sub(r"[^0-9A-Za-z]", "", "".join(g.char for g in group))
    if not _CODE_RE.match(text) or not any(c.isdigit() for c in text):
        return
    box = _union([g.box for g in group])
    if len(text) >= 2 and box[2] - box[0] < 0.2 * len(text) * (box[3] - box[1]):
        # narrower than a fifth of its height per character: sideways print (a label up a box's
        # edge read as characters), not a written code
        return
    owner = next((taken[(g.line, g.pos)] for g in group if (g.line, g.pos) in taken), None)
    codes.append(_Code(box, "" if owner else text, sum(g.score for g in group) / len(group), owner))


#: shapes that tell two positional codes apart: a scene with a letter suffix (``99C``), a roll with
#: a camera letter or zero padding (``A2``, ``B004``, ``004``)
_SCENE_LIKE = re.compile(r"^\d{1,4}[A-Za-z]{1,2}$")
_ROLL_LIKE = re.compile(r"^(?:[A-Za-z]{1,2}\d{1,4}|0\d{1,3})$")
_CODE_ORDER = ("roll", "scene", "take")


def _height(c: _Code) -> float:
    return c.box[3] - c.box[1]


def _row_names(row: Sequence[_Code]) -> list[str | None]:
    """Field of each code of a row sorted left to right: a code a labelled field already read
    anchors the order (left of SCENE is ROLL, right of it TAKE); without one, three codes are
    roll, scene, take and two are scene, take (roll, scene when they look like it)."""
    anchor = next(((i, _CODE_ORDER.index(c.owner)) for i, c in enumerate(row) if c.owner in _CODE_ORDER), None)
    if anchor is not None:
        j, fi = anchor
        names: list[str | None] = [None] * len(row)
        names[j] = _CODE_ORDER[fi]
        for side, slots in ((list(range(j - 1, -1, -1)), _CODE_ORDER[:fi][::-1]),
                            (list(range(j + 1, len(row))), _CODE_ORDER[fi + 1:])):
            if len(side) > len(slots):
                # more codes than fields on this side: the longest are the values (a column rule
                # read as "3" is one character)
                keep = sorted(sorted(side, key=lambda i: -len(row[i].text))[:len(slots)], key=side.index)
                side = keep
            for i, name in zip(side, slots, strict=False):
                names[i] = name
        return names
    if len(row) >= 3:
        return [None] * (len(row) - 3) + list(_CODE_ORDER)
    if _SCENE_LIKE.match(row[1].text) and _ROLL_LIKE.match(row[0].text):
        # a take is a number and a roll rarely a bare scene: "A2 | 99C" is roll and scene (take unread)
        return ["roll", "scene"]
    return ["scene", "take"]


def _fill_from_rows(codes: list[_Code], missing: list[str], fields: dict[str, FieldValue]) -> None:
    """Assign roll/scene/take from the row of the tallest codes, left to right."""
    # rows of codes (vertical overlap), scored by height: the ROLL/SCENE/TAKE values are the biggest
    codes.sort(key=_height, reverse=True)
    best_row: list[_Code] = []
    for anchor in codes:
        ah = _height(anchor)
        row = [c for c in codes
               if _v_overlap(c.box, anchor.box) >= 0.5 * min(ah, _height(c)) and _height(c) >= 0.5 * ah]
        if len(row) >= 2:
            best_row = row
            break
    if not best_row:
        return
    best_row.sort(key=lambda c: c.box[0])
    if len(best_row) == 2 and "roll" in missing:
        # the roll is often written smaller than scene and take: a code left of the pair, on its
        # row, at least a third of its height, is the roll
        ah = max(_height(c) for c in best_row)
        left = [c for c in codes if c not in best_row and c.box[2] <= best_row[0].box[0] + 0.1 * ah
                and _v_overlap(c.box, best_row[0].box) >= 0.5 * _height(c)
                and _height(c) >= ah / 3 and normalise_field("roll", c.text) is not None]
        if left:
            best_row.insert(0, max(left, key=lambda c: c.box[2]))
    for name, code in zip(_row_names(best_row), best_row, strict=True):
        if name is None or name not in missing or not code.text:
            continue
        value = normalise_field(name, code.text)
        if value is None:
            continue
        fields[name] = FieldValue(value, code.text, code.score * 0.6, "position")


def realign_to_filename(fields: dict[str, FieldValue], filename: str | PurePath) -> dict[str, FieldValue]:
    """Shift codes read by position when the "scene" is the camera file's roll.

    Two codes without labels are read as scene and take, but when the first one is written like
    a roll (camera letter or zero padding: ``A2``, ``002``) and is the roll of the camera file
    name (``A002C018_...``), they are roll and scene, and the take was not read."""
    roll, scene, take = (fields.get(f) for f in ("roll", "scene", "take"))
    if (roll is not None and roll.value is not None) or scene is None or scene.value is None \
            or scene.source != "position" or not _ROLL_LIKE.match(scene.raw):
        return fields
    if roll_matches_filename(scene.raw, filename) is not True:
        return fields
    out = dict(fields)
    out["roll"] = FieldValue(normalise_field("roll", scene.raw), scene.raw, scene.confidence, "position")
    none = FieldValue(None, "", 0.0, "none")
    out["scene"] = none
    if take is not None and take.value is not None and take.source == "position":
        value = normalise_field("scene", take.raw)
        if value is not None:
            out["scene"] = FieldValue(value, take.raw, take.confidence, "position")
        out["take"] = none
    return out


def empty_fields() -> dict[str, FieldValue]:
    """A reading with nothing found (every field ``None`` with confidence 0)."""
    return {f: FieldValue(None, "", 0.0, "none") for f in FIELDS}
