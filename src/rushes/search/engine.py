"""Hybrid search: one ranking across what is seen, said, written and tagged, as *moments*.

Each query term is answered by the sources that fit its field (see :mod:`rushes.search.query`):

=========  ==================================================================================
source     what it reads, and how its score (0–1) is made
=========  ==================================================================================
tags       tag tracks (``tags.*``): label = query word/phrase or a synonym (sentence embeddings);
           score = similarity × (0.5 + 0.5 × detection confidence)
said       the speech ``words`` track through FTS5, typo-tolerant; exact 1.0, one typo 0.85, ...
written    ``ocr`` and slate tracks through FTS5, the same way
clip       the CLIP vector index (only when a CLIP model is installed): cosine, rescaled
image      ``--image FILE``: the MobileNetV2 (and CLIP) vector index: cosine, rescaled
=========  ==================================================================================

Hits are time intervals of one file. An AND group intersects its terms' hits in time; a negated
term cuts its hits out (hard negation); OR groups are pooled. Hits of one file that overlap or
lie within ``merge_gap_s`` of each other merge into one moment, scored by its best hit plus a
bonus for each further source that agrees, and explained by its hits' reasons.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rushes.errors import ModelNotAvailable, QueryError
from rushes.search.labels import LabelIndex, content_words
from rushes.search.query import Query, Term, parse_query
from rushes.search.text import TextIndex

__all__ = ["Hit", "Moment", "SearchEngine", "SearchOptions", "SearchResult"]

log = logging.getLogger(__name__)

SAID_TRACKS = ("words", "words.*")
WRITTEN_TRACKS = ("ocr", "ocr.*", "*slate*")
TAG_TRACKS = ("tags.*",)
#: single words that name a whole track rather than a label
CONCEPTS: dict[str, tuple[str, ...]] = {
    "text": WRITTEN_TRACKS, "writing": WRITTEN_TRACKS, "caption": WRITTEN_TRACKS,
    "speech": SAID_TRACKS, "dialogue": SAID_TRACKS, "talking": SAID_TRACKS,
    "face": ("tags.faces",), "faces": ("tags.faces",),
}


@dataclass(frozen=True)
class Hit:
    """Evidence that a term matches ``[start, end]`` seconds of one file."""

    media_id: int
    start: float
    end: float
    score: float
    source: str
    why: str


@dataclass
class Moment:
    """A result: a stretch of one file, its score and why it matched."""

    media_id: int
    file: str
    path: str
    start: float
    end: float
    score: float
    sources: list[str]
    why: list[str]
    timecode: str | None = None
    thumbnail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "path": self.path, "media_id": self.media_id, "start": round(self.start, 3),
                "end": round(self.end, 3), "timecode": self.timecode, "score": round(self.score, 4),
                "sources": self.sources, "why": self.why, "thumbnail": self.thumbnail}


@dataclass(frozen=True)
class SearchOptions:
    """Filters and knobs of one search."""

    limit: int = 20
    files: tuple[str, ...] = ()
    """Only these files (ids, names, paths or fingerprint prefixes)."""
    start: float | None = None
    end: float | None = None
    """Only moments overlapping ``[start, end]`` seconds of their file."""
    tracks: tuple[str, ...] = ()
    """Only hits from these tracks (names or GLOB patterns; ``clip``/``image`` name the vector sources)."""
    merge_gap_s: float = 2.0
    min_score: float = 0.05
    negation_threshold: float = 0.3


@dataclass
class SearchResult:
    query: str
    moments: list[Moment]
    signals: dict[int, list[Hit]] = field(default_factory=dict)
    """Every hit per file before the limit (heat maps draw these)."""
    sources_used: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    took_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "took_ms": round(self.took_ms, 1), "sources": self.sources_used,
                "notes": self.notes, "moments": [m.to_dict() for m in self.moments]}


class SearchEngine:
    """Search one library (a :class:`rushes.library.Library` or anything with ``catalog``/``root``)."""

    def __init__(self, library: Any, *, use_clip: bool = True) -> None:
        self.library = library
        self.catalog = library.catalog
        self.root = Path(library.root)
        self.text = TextIndex(self.catalog)
        self._labels: LabelIndex | None = None
        self._use_clip = use_clip
        self._clip: Any = None
        self._clip_checked = False
        self._indexes: dict[str, Any] = {}
        self._class_weights: Any = None
        self.notes: list[str] = []
        self._media = {m.id: m for m in self.catalog.list_media()}

    # -- resources ------------------------------------------------------------------------------------
    @property
    def labels(self) -> LabelIndex:
        if self._labels is None:
            self._labels = LabelIndex(self.catalog, tracks=TAG_TRACKS)
        return self._labels

    def clip(self) -> Any:
        """The CLIP model, or None (with a note) when none is installed."""
        if not self._clip_checked:
            self._clip_checked = True
            if self._use_clip:
                try:
                    from rushes.models.clip import clip_model

                    self._clip = clip_model()
                except ModelNotAvailable as exc:
                    self.notes.append(str(exc))
        return self._clip

    def index(self, space: str) -> Any:
        """The vector index of an embedding space, synced with the library (None when empty)."""
        if space not in self._indexes:
            from rushes.search.index import sync_index

            self._indexes[space] = sync_index(self.catalog, self.root, space)
        return self._indexes[space]

    # -- entry point -----------------------------------------------------------------------------------
    def search(self, query: str | Query | None, *, image: Path | None = None,
               options: SearchOptions | None = None) -> SearchResult:
        """Run a query (and/or an image query) and return ranked moments."""
        t0 = time.perf_counter()
        opts = options or SearchOptions()
        if opts.limit < 1:
            raise QueryError("limit must be at least 1")
        if opts.start is not None and opts.end is not None and opts.end < opts.start:
            raise QueryError("--end is before --start")
        media_filter = self._resolve_files(opts.files)
        parsed: Query | None = None
        if query is not None and (not isinstance(query, str) or query.strip()):
            parsed = query if isinstance(query, Query) else parse_query(query)
        if parsed is None and image is None:
            raise QueryError("give a query, --image FILE, or both")
        used: set[str] = set()
        groups: list[list[Hit]] = []
        if parsed is not None:
            for group in parsed.groups:
                groups.append(self._eval_group(group, media_filter, opts, used))
        if image is not None:
            img_hits = self._image_hits(image, media_filter, used)
            groups = [_intersect(g, img_hits) for g in groups] if groups else [img_hits]
        hits = [h for g in groups for h in g if h.score >= opts.min_score]
        hits = self._filter(hits, media_filter, opts)
        signals: dict[int, list[Hit]] = {}
        for h in hits:
            signals.setdefault(h.media_id, []).append(h)
        moments = self._moments(signals, opts.merge_gap_s)
        moments.sort(key=lambda m: (-m.score, m.file, m.start))
        top = moments[: opts.limit]
        for m in top:
            self._decorate(m)
        label = str(parsed) if parsed is not None else ""
        if image is not None:
            label = (label + " " if label else "") + f"[image {Path(image).name}]"
        return SearchResult(label, top, signals, sorted(used), list(dict.fromkeys(self.notes)),
                            (time.perf_counter() - t0) * 1000)

    # -- evaluation of terms ----------------------------------------------------------------------------
    def _eval_group(self, group: Sequence[Term], media: list[int] | None, opts: SearchOptions,
                    used: set[str]) -> list[Hit]:
        result: list[Hit] | None = None
        for term in group:
            if term.negated:
                continue
            hits = self._eval_term(term, media, opts, used)
            result = hits if result is None else _intersect(result, hits)
        out = result or []
        for term in group:
            if term.negated:
                neg = [h for h in self._eval_term(term, media, opts, set()) if h.score >= opts.negation_threshold]
                out = _subtract(out, neg)
        return out

    def _allowed(self, track: str, opts: SearchOptions) -> bool:
        if not opts.tracks:
            return True
        from fnmatch import fnmatchcase

        return any(fnmatchcase(track, pat) for pat in opts.tracks)

    def _eval_term(self, term: Term, media: list[int] | None, opts: SearchOptions, used: set[str]) -> list[Hit]:
        hits: list[Hit] = []
        text = term.text
        words = text.split()
        if term.field == "any" and len(words) == 1 and text.lower() in CONCEPTS:
            return self._track_hits(CONCEPTS[text.lower()], media, opts, used, f"{text.lower()} present")
        if term.field in ("any", "said"):
            hits += self._text_hits(text, SAID_TRACKS, "said", term, media, opts, used)
        if term.field in ("any", "ocr"):
            hits += self._text_hits(text, WRITTEN_TRACKS, "written", term, media, opts, used)
        if term.field in ("any", "tag", "seen"):
            hits += self._tag_hits(text, media, opts, used, strict=term.field == "tag")
        if term.field in ("any", "seen"):
            hits += self._class_hits(text, media, opts, used)
            hits += self._clip_hits(text, media, opts, used)
        return hits

    def _class_hits(self, text: str, media: list[int] | None, opts: SearchOptions, used: set[str]) -> list[Hit]:
        """Samples whose ImageNet class distribution puts weight on classes the query resembles."""
        if opts.tracks and not self._allowed("classes", opts):
            return []
        idx = self.index("imagenet")
        if idx is None:
            return []
        if self._class_weights is None:
            try:
                from rushes.search.labels import ClassWeights
                from rushes.search.sentence import sentence_encoder

                self._class_weights = ClassWeights(sentence_encoder())
            except ModelNotAvailable as exc:
                self.notes.append(f"class search off: {exc}")
                self._class_weights = False
        if self._class_weights is False:
            return []
        w, best = self._class_weights.weights(text)
        if not best:
            return []
        rows = idx.search(w, k=400, media=media)
        names = ", ".join(n for n, _s in best[:3])
        out = [Hit(r.media_id, r.t, r.t + _sample_step(idx), round(0.85 * _rescale(r.score, 0.04, 0.6), 4), "classes",
                   f"classes like {text!r}: {names} ({r.score:.2f})") for r in rows if r.score >= 0.08]
        if out:
            used.add("classes")
        return out

    def _text_hits(self, text: str, tracks: Sequence[str], source: str, term: Term, media: list[int] | None,
                   opts: SearchOptions, used: set[str]) -> list[Hit]:
        out: list[Hit] = []
        for th in self.text.search(text, tracks=tracks, phrase=term.phrase or len(text.split()) > 1, media=media):
            if not self._allowed(th.track, opts):
                continue
            note = f" (read as {th.matched!r})" if th.typos else ""
            verb = "said" if source == "said" else "written"
            out.append(Hit(th.media_id, th.start_s, th.end_s, th.score, source,
                           f"{verb} {th.label!r}{note} [{th.track}]"))
        if out:
            used.add(source)
        return out

    def _track_hits(self, tracks: Sequence[str], media: list[int] | None, opts: SearchOptions, used: set[str],
                    why: str) -> list[Hit]:
        out: list[Hit] = []
        for pat in tracks:
            iv = self.catalog.get_intervals(pat)
            for row in iv:
                track = str(row.data.get("track", pat))
                if (media is not None and row.media not in media) or not self._allowed(track, opts):
                    continue
                out.append(Hit(int(row.media), row.start_seconds, row.end_seconds, max(0.5, min(1.0, row.score)),
                               "tags" if track.startswith("tags.") else "written", f"{why} [{track}]"))
        if out:
            used.add("tracks")
        return out

    def _tag_hits(self, text: str, media: list[int] | None, opts: SearchOptions, used: set[str],
                  strict: bool) -> list[Hit]:
        labels = self.labels
        if not labels.labels:
            return []
        phrase_matches = labels.match(text)
        per_word: dict[str, list[Any]] = {}
        words = content_words(text)
        if len(words) > 1 and not strict:
            per_word = labels.match_words(text)
        wanted: dict[tuple[str, str], tuple[float, str]] = {}
        for m in phrase_matches:
            wanted[(m.track, m.label)] = (m.similarity, f"{m.label!r} ≈ {text!r} ({m.similarity:.2f})"
                                          if m.similarity < 1 else f"tagged {m.label!r}")
        hits: list[Hit] = []
        for (track, label), (sim, why) in wanted.items():
            hits += self._label_rows(track, label, sim, why, media, opts)
        if per_word:
            # soft AND over the content words: each word's matches count 1/len(words)
            word_hits: list[Hit] = []
            weight = 1.0 / len(words)
            for w, matches in per_word.items():
                for m in matches[:3]:
                    if (m.track, m.label) in wanted:
                        continue
                    why = f"tagged {m.label!r} for {w!r}" + (f" ({m.similarity:.2f})" if m.similarity < 1 else "")
                    for h in self._label_rows(m.track, m.label, m.similarity, why, media, opts):
                        word_hits.append(Hit(h.media_id, h.start, h.end, h.score * weight, "tags", h.why))
            hits += _accumulate(word_hits)
        if hits:
            used.add("tags")
        return hits

    def _label_rows(self, track: str, label: str, sim: float, why: str, media: list[int] | None,
                    opts: SearchOptions) -> list[Hit]:
        if not self._allowed(track, opts):
            return []
        iv = self.catalog.get_intervals(track, label=label.replace("[", "[[]").replace("*", "[*]").replace("?", "[?]"))
        out: list[Hit] = []
        for row in iv:
            if media is not None and row.media not in media:
                continue
            score = sim * (0.5 + 0.5 * max(0.0, min(1.0, row.score)))
            out.append(Hit(int(row.media), row.start_seconds, row.end_seconds, round(score, 4), "tags",
                           f"{why} [{track} {row.score:.2f}]"))
        return out

    def _clip_hits(self, text: str, media: list[int] | None, opts: SearchOptions, used: set[str]) -> list[Hit]:
        if opts.tracks and not self._allowed("clip", opts):
            return []
        model = self.clip()
        if model is None:
            return []
        idx = self.index(f"clip:{model.name}")
        if idx is None:
            self.notes.append("no CLIP embeddings in this library: run `rushes ingest --analyzers search`")
            return []
        q = model.encode_texts([text])[0]
        rows = idx.search(q, k=400, media=media)
        if not rows:
            return []
        best = rows[0].score
        step = _sample_step(idx)
        out = [Hit(r.media_id, r.t, r.t + step, _rescale(r.score, 0.15, 0.35), "clip",
                   f"looks like {text!r} (CLIP {r.score:.3f})") for r in rows if r.score >= best - 0.08]
        if out:
            used.add("clip")
        return out

    def _image_hits(self, image: Path, media: list[int] | None, used: set[str]) -> list[Hit]:
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(image) as im:
                pixels = np.asarray(im.convert("RGB"))
        except (OSError, UnidentifiedImageError) as exc:
            from rushes.media import probe, read_frame_at

            try:
                info = probe(image)
                frame = read_frame_at(image, Fraction(0), info=info)
                pixels = frame.image if frame.image.ndim == 3 else np.repeat(frame.image[:, :, None], 3, 2)
            except Exception as exc2:
                raise QueryError(f"--image {image}: not an image or video we can read ({exc})") from exc2
        out: list[Hit] = []
        try:
            from rushes.shots.models import embedder

            emb = embedder()
            idx = self.index("mobilenetv2")
            if idx is not None:
                q = emb.embed([pixels])[0]
                rows = idx.search(q, k=400, media=media)
                step = _sample_step(idx)
                out += [Hit(r.media_id, r.t, r.t + step, _rescale(r.score, 0.45, 0.95), "image",
                            f"looks like {Path(image).name} (MobileNetV2 {r.score:.3f})") for r in rows
                        if r.score >= 0.5]
            else:
                self.notes.append("no image embeddings in this library: run `rushes ingest --analyzers search`")
        except (ModelNotAvailable, ImportError) as exc:
            self.notes.append(f"image search by MobileNetV2 unavailable: {exc}")
        model = self.clip()
        if model is not None:
            idx = self.index(f"clip:{model.name}")
            if idx is not None:
                q = model.encode_images([pixels])[0]
                rows = idx.search(q, k=400, media=media)
                step = _sample_step(idx)
                out += [Hit(r.media_id, r.t, r.t + step, _rescale(r.score, 0.5, 0.95), "image",
                            f"looks like {Path(image).name} (CLIP {r.score:.3f})") for r in rows if r.score >= 0.55]
        if out:
            used.add("image")
        return out

    # -- filters, moments, decoration ----------------------------------------------------------------------
    def _resolve_files(self, refs: Sequence[str]) -> list[int] | None:
        if not refs:
            return None
        ids: list[int] = []
        for ref in refs:
            found = self.catalog.find_media(ref)
            if not found:
                raise QueryError(f"no file matching {ref!r} in the library")
            ids.extend(m.id for m in found)
        return sorted(set(ids))

    def _filter(self, hits: list[Hit], media: list[int] | None, opts: SearchOptions) -> list[Hit]:
        out = []
        for h in hits:
            if media is not None and h.media_id not in media:
                continue
            if opts.start is not None and h.end < opts.start:
                continue
            if opts.end is not None and h.start > opts.end:
                continue
            out.append(h)
        return out

    def _moments(self, signals: dict[int, list[Hit]], gap: float) -> list[Moment]:
        moments: list[Moment] = []
        for media_id, hits in signals.items():
            rec = self._media.get(media_id) or self.catalog.get_media(media_id)
            if rec is None:
                continue
            hits = sorted(hits, key=lambda h: (h.start, h.end))
            group: list[Hit] = []
            end = -1e18
            for h in [*hits, None]:
                if h is not None and (not group or h.start <= end + gap):
                    group.append(h)
                    end = max(end, h.end)
                    continue
                if group:
                    moments.append(_moment(rec, group))
                if h is not None:
                    group, end = [h], h.end
        return moments

    def _decorate(self, m: Moment) -> None:
        rec = self._media.get(m.media_id)
        if rec is None:
            return
        tc = rec.info.start_timecode()
        rate = rec.frame_rate
        if rate is not None and rec.kind == "video":
            try:
                from rushes.timecode import Timecode

                off = Timecode.from_seconds(max(0.0, m.start), rate)
                m.timecode = str(tc + off) if tc is not None else str(off)
            except ValueError:
                m.timecode = None
        if rec.kind == "image":
            m.thumbnail = rec.path
            return
        thumbs = self.catalog.artifacts(m.media_id, "thumbnail")
        if thumbs:
            mid = (m.start + m.end) / 2
            best = min(thumbs, key=lambda a: abs(float(a.attrs.get("t", 0.0)) - mid))
            m.thumbnail = str(self.root / best.path)


def _moment(rec: Any, group: list[Hit]) -> Moment:
    best = max(group, key=lambda h: h.score)
    sources = sorted({h.source for h in group})
    bonus = 0.05 * (len(sources) - 1)
    why: list[str] = []
    for h in sorted(group, key=lambda h: -h.score):
        if h.why not in why:
            why.append(h.why)
        if len(why) >= 4:
            break
    return Moment(rec.id, rec.name, rec.path, min(h.start for h in group), max(h.end for h in group),
                  min(1.0, best.score + bonus), sources, why)


def _rescale(cos: float, lo: float, hi: float) -> float:
    return round(float(np.clip((cos - lo) / (hi - lo), 0.0, 1.0)), 4)


def _sample_step(idx: Any) -> float:
    return 1.0


def _overlaps(a: Hit, b: Hit, slack: float = 0.5) -> bool:
    return a.media_id == b.media_id and a.start <= b.end + slack and b.start <= a.end + slack


def _intersect(a: list[Hit], b: list[Hit]) -> list[Hit]:
    """Hits where both sides match in time (same file); score = geometric mean, reasons joined."""
    by_media: dict[int, list[Hit]] = {}
    for h in b:
        by_media.setdefault(h.media_id, []).append(h)
    out: list[Hit] = []
    for x in a:
        for y in by_media.get(x.media_id, ()):
            if _overlaps(x, y):
                s, e = max(x.start, y.start), min(x.end, y.end)
                if e < s:  # touching within the slack: keep the meeting point
                    s = e = (s + e) / 2
                score = float(np.sqrt(x.score * y.score))
                src = x.source if x.source == y.source else f"{x.source}+{y.source}"
                out.append(Hit(x.media_id, s, e, round(score, 4), src, f"{x.why} AND {y.why}"))
    return out


def _subtract(hits: list[Hit], neg: list[Hit]) -> list[Hit]:
    """Cut every negative hit's time span out of the positive hits (hard negation)."""
    by_media: dict[int, list[tuple[float, float]]] = {}
    for n in neg:
        by_media.setdefault(n.media_id, []).append((n.start, n.end))
    out: list[Hit] = []
    for h in hits:
        pieces = [(h.start, h.end)]
        for ns, ne in sorted(by_media.get(h.media_id, ())):
            nxt: list[tuple[float, float]] = []
            for s, e in pieces:
                if ne < s or ns > e:
                    nxt.append((s, e))
                    continue
                if s < ns:
                    nxt.append((s, ns))
                if ne < e:
                    nxt.append((ne, e))
            pieces = nxt
        out.extend(Hit(h.media_id, s, e, h.score, h.source, h.why) for s, e in pieces if e > s or (h.start == h.end
                   and not any(ns <= s <= ne for ns, ne in by_media.get(h.media_id, ()))))
    return out


def _accumulate(hits: list[Hit]) -> list[Hit]:
    """Soft AND: per file, split time at hit boundaries and sum the scores of overlapping hits."""
    by_media: dict[int, list[Hit]] = {}
    for h in hits:
        by_media.setdefault(h.media_id, []).append(h)
    out: list[Hit] = []
    for media_id, hs in by_media.items():
        cuts = sorted({h.start for h in hs} | {h.end for h in hs})
        if len(cuts) == 1:  # still images: every hit is the instant [t, t]
            t = cuts[0]
            _append_sum(out, media_id, t, t, hs)
            continue
        for s, e in zip(cuts[:-1], cuts[1:], strict=True):
            inside = [h for h in hs if h.start <= s and h.end >= e]
            if inside:
                _append_sum(out, media_id, s, e, inside)
    return out


def _append_sum(out: list[Hit], media_id: int, s: float, e: float, hs: list[Hit]) -> None:
    best: dict[str, Hit] = {}
    for h in hs:
        key = h.why.split(" for ")[-1].split(" (")[0].split(" [")[0]
        if key not in best or best[key].score < h.score:
            best[key] = h
    total = min(1.0, sum(h.score for h in best.values()))
    why = "; ".join(sorted({h.why for h in best.values()}))
    out.append(Hit(media_id, s, e, round(total, 4), "tags", why))


def signal_curve(hits: Sequence[Hit], duration: float, step: float = 0.5) -> tuple[npt.NDArray[np.float64],
                                                                                   npt.NDArray[np.float64]]:
    """(times, max hit score covering each time) of one file: the heat map's row."""
    n = max(1, int(np.ceil(max(duration, step) / step)))
    t = np.arange(n) * step
    v = np.zeros(n)
    for h in hits:
        a = int(np.floor(h.start / step))
        b = max(a + 1, int(np.ceil(h.end / step)))
        v[a:b] = np.maximum(v[a:b], h.score)
    return t, v
