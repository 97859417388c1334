"""Label search with synonyms: "automobile" finds tag intervals labelled "car".

The distinct labels of a library's tag tracks (plus the aliases of ImageNet classes, e.g.
``tabby`` → "tabby cat") are embedded with the packaged sentence encoder
(:mod:`rushes.search.sentence`). A query phrase matches a label exactly (similarity 1, also
singular/plural), or by cosine similarity of the embeddings above ``min_similarity``. Free-text
queries are also split into content words, each matched on its own, so "a man riding a horse"
can find the ``person`` and ``horse`` intervals (see :meth:`LabelIndex.match_words`).

When the sentence encoder is not installed, only exact (and plural) matches are made.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from rushes.errors import ModelNotAvailable

__all__ = ["STOPWORDS", "LabelIndex", "LabelMatch", "content_words"]

log = logging.getLogger(__name__)

_STOP = (
    "a an the of on in at to with and or for from by as is are be this that these those its it his her "
    "their there here some any into onto over under near next up down out off than then very just standing "
    "looking photo picture image shot scene video clip frame view portrait"
)
STOPWORDS = frozenset(_STOP.split())


def content_words(text: str) -> list[str]:
    """Lower-case words of ``text`` minus stop words (order kept, duplicates dropped)."""
    from rushes.search.text import tokenize

    out: list[str] = []
    for w in tokenize(text.replace("-", " ")):
        if w not in STOPWORDS and w not in out and len(w) > 1:
            out.append(w)
    return out


def _variants(text: str) -> set[str]:
    t = " ".join(text.lower().replace("-", " ").replace("_", " ").split())
    out = {t}
    if t.endswith("ies") and len(t) > 4:
        out.add(t[:-3] + "y")
    if t.endswith("es") and len(t) > 3:
        out.add(t[:-2])
    if t.endswith("s") and len(t) > 3:
        out.add(t[:-1])
    out.add(t + "s")
    return out


@dataclass(frozen=True)
class LabelMatch:
    """A library label matched by a query: track, label, similarity, and the alias that matched."""

    track: str
    label: str
    similarity: float
    via: str


class LabelIndex:
    """Distinct labels of tag tracks and their embeddings (rebuilt when the labels change)."""

    def __init__(self, catalog: Any, *, tracks: Iterable[str] = ("tags.*",), min_similarity: float = 0.55,
                 encoder: Any = None) -> None:
        self.catalog = catalog
        self.patterns = tuple(tracks)
        self.min_similarity = min_similarity
        self._encoder = encoder
        self._encoder_failed = False
        self._labels: list[tuple[str, str]] = []
        self._aliases: list[tuple[int, str]] = []
        self._alias_vecs: npt.NDArray[np.float32] | None = None
        self._exact: dict[str, list[tuple[int, str]]] = {}
        self._load()

    def _load(self) -> None:
        where = " OR ".join("track GLOB ?" for _ in self.patterns)
        rows = self.catalog.execute(f"SELECT DISTINCT track, label FROM intervals WHERE {where} ORDER BY track, label",
                                    self.patterns).fetchall()
        self._labels = [(str(r[0]), str(r[1])) for r in rows]
        imagenet = _imagenet_aliases()
        aliases: list[tuple[int, str]] = []
        for i, (_track, label) in enumerate(self._labels):
            names = {label.lower(), *imagenet.get(label, ())}
            aliases.extend((i, a) for a in sorted(names))
        self._aliases = aliases
        self._exact = {}
        for i, a in aliases:
            for v in _variants(a):
                self._exact.setdefault(v, []).append((i, a))
        self._alias_vecs = None

    @property
    def labels(self) -> list[tuple[str, str]]:
        return list(self._labels)

    def _encode(self, texts: list[str]) -> npt.NDArray[np.float32] | None:
        if self._encoder is None and not self._encoder_failed:
            try:
                from rushes.search.sentence import sentence_encoder

                self._encoder = sentence_encoder()
            except ModelNotAvailable as exc:
                log.info("synonym search off: %s", exc)
                self._encoder_failed = True
        if self._encoder is None:
            return None
        return np.asarray(self._encoder.encode(texts), dtype=np.float32)

    def match(self, phrase: str, *, min_similarity: float | None = None) -> list[LabelMatch]:
        """Labels matching ``phrase`` exactly or as synonyms, best first (one entry per label)."""
        floor = self.min_similarity if min_similarity is None else min_similarity
        best: dict[int, LabelMatch] = {}
        for v in _variants(phrase):
            for i, alias in self._exact.get(v, ()):
                track, label = self._labels[i]
                best[i] = LabelMatch(track, label, 1.0, alias)
        if self._aliases:
            if self._alias_vecs is None:
                self._alias_vecs = self._encode([a for _i, a in self._aliases])
            if self._alias_vecs is not None:
                q = self._encode([phrase])
                if q is not None:
                    sims = self._alias_vecs @ q[0]
                    for k in np.flatnonzero(sims >= floor):
                        i, alias = self._aliases[int(k)]
                        sim = float(sims[k])
                        if i not in best or best[i].similarity < sim:
                            track, label = self._labels[i]
                            best[i] = LabelMatch(track, label, round(sim, 4), alias)
        return sorted(best.values(), key=lambda m: (-m.similarity, m.track, m.label))

    def match_words(self, text: str) -> dict[str, list[LabelMatch]]:
        """Each content word of ``text`` → its label matches (words without a match map to [])."""
        return {w: self.match(w) for w in content_words(text)}


def _imagenet_aliases() -> dict[str, tuple[str, ...]]:
    try:
        from rushes.models.zoo import imagenet_labels

        classes = imagenet_labels()
    except (ModelNotAvailable, OSError):
        return {}
    return {names[0]: tuple(n.lower() for n in names) for names in classes}


class ClassWeights:
    """Turns a query into weights over the 1000 ImageNet classes, by sentence similarity.

    A sample's class distribution (the ``imagenet`` embedding space) dotted with these weights
    scores how much the sample shows what the query names, even when no class passed the tag
    threshold. Alias embeddings are cached on disk (``<rushes cache>/search``), keyed by the
    sentence model's id.
    """

    def __init__(self, encoder: Any, *, floor: float = 0.5, top: int = 8) -> None:
        from rushes.models.base import cache_dir
        from rushes.models.zoo import imagenet_labels

        self.encoder = encoder
        self.floor = floor
        self.top = top
        classes = imagenet_labels()
        self.names = [names[0] for names in classes]
        self.aliases = [(i, a.lower()) for i, names in enumerate(classes) for a in names]
        path = cache_dir() / "search" / f"imagenet-aliases-{str(encoder.model_id).replace('@', '-')}.npy"
        vecs: npt.NDArray[np.float32] | None = None
        if path.exists():
            try:
                vecs = np.load(path, allow_pickle=False).astype(np.float32)
            except (OSError, ValueError):
                vecs = None
        if vecs is None or vecs.shape[0] != len(self.aliases):
            vecs = np.asarray(encoder.encode([a for _i, a in self.aliases]), dtype=np.float32)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{id(self)}.npy")
            np.save(tmp, vecs.astype(np.float16), allow_pickle=False)
            tmp.replace(path)
        self.vecs = vecs
        self._index = np.asarray([i for i, _a in self.aliases], dtype=np.int64)

    def weights(self, text: str) -> tuple[npt.NDArray[np.float32], list[tuple[str, float]]]:
        """(weights [1000], the best classes and their similarity) for a query phrase."""
        phrases = [text, *content_words(text)] if len(content_words(text)) > 1 else [text]
        q = np.asarray(self.encoder.encode(phrases), dtype=np.float32)
        sims = (self.vecs @ q.T).max(axis=1)
        per_class = np.full(len(self.names), -1.0, dtype=np.float32)
        np.maximum.at(per_class, self._index, sims)
        order = np.argsort(-per_class)[: self.top]
        w = np.zeros(len(self.names), dtype=np.float32)
        best: list[tuple[str, float]] = []
        for c in order:
            if per_class[c] >= self.floor:
                w[c] = per_class[c] - self.floor + 0.05
                best.append((self.names[c], round(float(per_class[c]), 3)))
        return w, best
