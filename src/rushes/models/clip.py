"""An open-vocabulary image–text encoder (CLIP / OpenCLIP exported to ONNX), loaded from a folder.

No package carries CLIP weights, so nothing here is installed by default and nothing is ever
downloaded implicitly. A model is a folder, in the layout of Immich's CLIP exports::

    <folder>/
    ├── config.json                 OpenCLIP config: embed_dim, vision_cfg.image_size, text_cfg.context_length
    ├── visual/model.onnx           image [N,3,S,S] float32 → embedding [N,D]
    ├── visual/preprocess_cfg.json  optional: size, mean, std
    ├── textual/model.onnx          text [N,77] int32/int64 → embedding [N,D]
    ├── textual/tokenizer.json      byte-level BPE (Hugging Face tokenizers format)
    └── rushes-model.json           written by ``rushes models pull``: name, revision, sha256 per file

(a flat ``visual.onnx`` / ``textual.onnx`` / ``tokenizer.json`` folder works too). Where it is
looked for, in order: ``$RUSHES_CLIP_MODEL``; ``<models dir>/clip/<name>`` for the registered
names (models dir: ``$RUSHES_MODELS_DIR`` or ``<rushes cache>/models``). When none is found,
:class:`~rushes.errors.ModelNotAvailable` says how to get one, and search works without it.

``rushes models pull NAME`` (user-invoked, for users who are online) fetches a registered model
at a pinned revision, verifies every file's sha256, and installs the folder atomically; see
:func:`pull`. :func:`build_tiny_clip` writes a tiny randomly initialised CLIP-shaped model (both
towers, tokenizer, config) so the plumbing is tested without any download.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import os
import re
import shutil
import tempfile
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rushes.errors import ModelNotAvailable, QueryError
from rushes.models.base import LazyModel, cache_dir, file_sha256, onnx_session

__all__ = [
    "CLIP_MODELS",
    "ClipModel",
    "ClipTokenizer",
    "RemoteModel",
    "build_tiny_clip",
    "clip_model",
    "find_clip_folder",
    "models_dir",
    "pull",
    "reset_clip_model",
    "zero_shot",
]

FloatArray = npt.NDArray[np.float32]
MANIFEST = "rushes-model.json"
_MEAN = (0.48145466, 0.4578275, 0.40821073)
_STD = (0.26862954, 0.26130258, 0.27577711)


# -- registry of pullable models ---------------------------------------------------------------


@dataclass(frozen=True)
class RemoteModel:
    """A model ``rushes models pull`` can fetch: a repository at a pinned revision.

    ``files`` maps each path in the repository to its sha256; ``None`` means the digest is not
    pinned in this release, and ``pull`` then refuses unless the user passes
    ``--trust-unpinned`` (the digests it computed are recorded in the manifest and checked from
    then on).
    """

    name: str
    repo: str
    revision: str
    files: dict[str, str | None]
    licence: str
    size_mb: int
    description: str = ""
    base_url: str = "https://huggingface.co/{repo}/resolve/{revision}/"

    def url(self, path: str, source: str | None = None) -> str:
        base = source or self.base_url.format(repo=self.repo, revision=self.revision)
        return base.rstrip("/") + "/" + urllib.parse.quote(path)


_IMMICH_FILES: dict[str, str | None] = {
    "config.json": None,
    "visual/model.onnx": None,
    "visual/preprocess_cfg.json": None,
    "textual/model.onnx": None,
    "textual/tokenizer.json": None,
}

#: registered names → where ``rushes models pull`` gets them (upstream licences in ``licence``)
CLIP_MODELS: dict[str, RemoteModel] = {
    "clip-vit-b32": RemoteModel(
        "clip-vit-b32", "immich-app/ViT-B-32__openai", "main", dict(_IMMICH_FILES),
        "MIT (OpenAI CLIP weights); ONNX export by Immich (AGPL-3.0 project, model repo MIT)", 350,
        "OpenAI CLIP ViT-B/32, 512-d; the classic open-vocabulary baseline",
    ),
}

DEFAULT_CLIP = "clip-vit-b32"


def models_dir() -> Path:
    """Where pulled models live: ``$RUSHES_MODELS_DIR`` or ``<rushes cache>/models``."""
    env = os.environ.get("RUSHES_MODELS_DIR")
    return Path(env) if env else cache_dir() / "models"


def find_clip_folder() -> Path:
    """The folder of the CLIP model to use (see the module docstring for the search order)."""
    env = os.environ.get("RUSHES_CLIP_MODEL")
    if env:
        p = Path(env).expanduser()
        if not _looks_like_clip(p):
            raise ModelNotAvailable(f"RUSHES_CLIP_MODEL={env}: not a CLIP model folder (see docs/search.md)")
        return p
    for name in [DEFAULT_CLIP, *sorted(set(CLIP_MODELS) - {DEFAULT_CLIP})]:
        p = models_dir() / "clip" / name
        if _looks_like_clip(p):
            return p
    raise ModelNotAvailable(
        "no CLIP model is installed, so open-vocabulary search and zero-shot tags are off (everything else"
        f" works). To enable them, run `rushes models pull {DEFAULT_CLIP}` once while online, or set"
        " RUSHES_CLIP_MODEL to a folder with visual/model.onnx, textual/model.onnx and textual/tokenizer.json"
    )


def _looks_like_clip(p: Path) -> bool:
    return p.is_dir() and _find(p, "visual") is not None and _find(p, "textual") is not None


def _find(folder: Path, tower: str) -> Path | None:
    for cand in (folder / tower / "model.onnx", folder / f"{tower}.onnx"):
        if cand.is_file():
            return cand
    return None


# -- tokenizer ------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _byte_unicode() -> dict[int, str]:
    """GPT-2/CLIP's reversible byte → printable unicode character map."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    chars = keep[:]
    extra = 0
    for b in range(256):
        if b not in keep:
            keep.append(b)
            chars.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(keep, chars, strict=True)}


_SPLIT = re.compile(r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|[^\s\w]+|_+",
                    re.IGNORECASE)


class ClipTokenizer:
    """CLIP's lower-cased byte-level BPE with ``</w>`` word ends; fixed context length."""

    def __init__(self, vocab: dict[str, int], merges: Sequence[tuple[str, str]], context_length: int = 77,
                 pad_id: int = 0) -> None:
        self.vocab = vocab
        self.ranks = {pair: i for i, pair in enumerate(merges)}
        self.context_length = context_length
        self.pad_id = pad_id
        self.sot = vocab["<|startoftext|>"]
        self.eot = vocab["<|endoftext|>"]
        self._cache: dict[str, list[int]] = {}

    @classmethod
    def from_file(cls, path: Path, context_length: int = 77) -> ClipTokenizer:
        """From a Hugging Face ``tokenizer.json`` or OpenAI's ``bpe_simple_vocab_16e6.txt.gz``."""
        if path.name.endswith(".gz"):
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                lines = fh.read().split("\n")
            merges = [tuple(m.split()) for m in lines[1:49152 - 256 - 2 + 1]]
            base = list(_byte_unicode().values())
            words = [*base, *(b + "</w>" for b in base), *("".join(m) for m in merges),
                     "<|startoftext|>", "<|endoftext|>"]
            return cls({w: i for i, w in enumerate(words)}, [(a, b) for a, b in merges], context_length)
        data = json.loads(path.read_text(encoding="utf-8"))
        model = data.get("model", {})
        if model.get("type") != "BPE":
            raise ModelNotAvailable(f"{path}: not a BPE tokenizer")
        vocab = dict(model["vocab"])
        for tok in data.get("added_tokens", []):
            vocab.setdefault(tok["content"], int(tok["id"]))
        raw = model.get("merges", [])
        merges = [tuple(m.split(" ", 1)) if isinstance(m, str) else (m[0], m[1]) for m in raw]
        pad = vocab.get("<|endoftext|>", 0) if data.get("padding", {}) and \
            data["padding"].get("pad_id") == vocab.get("<|endoftext|>") else 0
        return cls(vocab, [(a, b) for a, b in merges], context_length, pad)

    def _bpe(self, token: str) -> list[int]:
        hit = self._cache.get(token)
        if hit is not None:
            return hit
        bu = _byte_unicode()
        chars = [bu[b] for b in token.encode("utf-8")]
        word = [*chars[:-1], chars[-1] + "</w>"]
        while len(word) > 1:
            pairs = [(self.ranks.get((word[i], word[i + 1]), 1 << 30), i) for i in range(len(word) - 1)]
            rank, first = min(pairs)
            if rank == 1 << 30:
                break
            pair = (word[first], word[first + 1])
            merged: list[str] = []
            i = 0
            while i < len(word):
                if i < len(word) - 1 and (word[i], word[i + 1]) == pair:
                    merged.append(word[i] + word[i + 1])
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        unk = self.vocab.get("<|endoftext|>", 0)
        ids = [self.vocab.get(w, unk) for w in word]
        self._cache[token] = ids
        return ids

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` without start/end tokens."""
        clean = " ".join(html.unescape(html.unescape(text)).split()).lower()
        return [i for tok in _SPLIT.findall(clean) for i in self._bpe(tok)]

    def __call__(self, texts: Sequence[str]) -> npt.NDArray[np.int64]:
        """[N, context_length] ids: start, tokens (truncated), end, padding."""
        out = np.full((len(texts), self.context_length), self.pad_id, dtype=np.int64)
        for r, text in enumerate(texts):
            ids = [*[self.sot, *self.encode(text)][: self.context_length - 1], self.eot]
            out[r, : len(ids)] = ids
        return out


# -- model ----------------------------------------------------------------------------------------


class ClipModel:
    """Both towers of a CLIP model in ONNX Runtime; outputs are L2-normalised."""

    def __init__(self, folder: Path, threads: int | None = None) -> None:
        self.folder = folder
        visual, textual = _find(folder, "visual"), _find(folder, "textual")
        if visual is None or textual is None:
            raise ModelNotAvailable(f"{folder}: visual/model.onnx and textual/model.onnx are required")
        tok = next((p for p in (folder / "textual" / "tokenizer.json", folder / "tokenizer.json",
                                folder / "bpe_simple_vocab_16e6.txt.gz") if p.is_file()), None)
        if tok is None:
            raise ModelNotAvailable(f"{folder}: no tokenizer (textual/tokenizer.json)")
        config = _read_json(folder / "config.json")
        manifest = _read_json(folder / MANIFEST)
        if manifest.get("files"):
            verify_folder(folder, manifest["files"])
        pre = _read_json(folder / "visual" / "preprocess_cfg.json")
        size = pre.get("size", config.get("vision_cfg", {}).get("image_size", 224))
        self.image_size = int(size[0] if isinstance(size, list) else size)
        self.mean = np.asarray(pre.get("mean", _MEAN), dtype=np.float32).reshape(1, 1, 3)
        self.std = np.asarray(pre.get("std", _STD), dtype=np.float32).reshape(1, 1, 3)
        ctx = int(config.get("text_cfg", {}).get("context_length", 77))
        self.tokenizer = ClipTokenizer.from_file(tok, ctx)
        self.name = str(manifest.get("name") or config.get("name") or folder.name)
        self.revision = str(manifest.get("revision") or config.get("revision") or "local")
        digest = hashlib.sha256((file_sha256(visual) + file_sha256(textual)).encode()).hexdigest()
        self.sha256 = digest
        self.model_id = f"{self.name}@{digest[:16]}"
        self._visual = onnx_session(visual, threads)
        self._textual = onnx_session(textual, threads)
        vin = self._visual.get_inputs()[0]
        tin = self._textual.get_inputs()[0]
        self._vname, self._tname = vin.name, tin.name
        self._tdtype = np.int32 if "int32" in str(tin.type) else np.int64
        self.dim = int(config.get("embed_dim", 0)) or None
        self._lock = threading.Lock()
        self._prompt_cache: dict[tuple[str, ...], FloatArray] = {}

    def _preprocess(self, image: npt.NDArray[np.uint8]) -> FloatArray:
        from PIL import Image

        img = Image.fromarray(np.ascontiguousarray(image[:, :, :3] if image.ndim == 3 else
                                                   np.repeat(image[:, :, None], 3, 2)))
        s = self.image_size
        w, h = img.size
        scale = s / min(w, h)
        img = img.resize((max(s, round(w * scale)), max(s, round(h * scale))), Image.Resampling.BICUBIC)
        w, h = img.size
        left, top = (w - s) // 2, (h - s) // 2
        arr = np.asarray(img.crop((left, top, left + s, top + s)), dtype=np.float32) / 255.0
        out: FloatArray = ((arr - self.mean) / self.std).transpose(2, 0, 1)
        return out

    def encode_images(self, images: Sequence[npt.NDArray[np.uint8]]) -> FloatArray:
        """Unit vectors [N, D] of RGB uint8 images."""
        if not images:
            return np.zeros((0, self.dim or 0), np.float32)
        batch = np.stack([self._preprocess(im) for im in images]).astype(np.float32)
        with self._lock:
            (out,) = self._visual.run(None, {self._vname: batch})[:1]
        return _normalise(np.asarray(out, dtype=np.float32))

    def encode_texts(self, texts: Sequence[str]) -> FloatArray:
        """Unit vectors [N, D] of texts."""
        if not texts:
            return np.zeros((0, self.dim or 0), np.float32)
        ids = self.tokenizer(texts).astype(self._tdtype)
        with self._lock:
            (out,) = self._textual.run(None, {self._tname: ids})[:1]
        return _normalise(np.asarray(out, dtype=np.float32))

    def prompts(self, labels: Sequence[str], template: str = "a photo of {}.") -> FloatArray:
        """Cached text embeddings of ``template`` filled with each label (zero-shot classes)."""
        key = (template, *labels)
        hit = self._prompt_cache.get(key)
        if hit is None:
            hit = self.encode_texts([template.format(lab) for lab in labels])
            self._prompt_cache[key] = hit
        return hit


def _normalise(x: FloatArray) -> FloatArray:
    out: FloatArray = (x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)).astype(np.float32)
    return out


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelNotAvailable(f"{path}: unreadable ({exc})") from exc
    return data if isinstance(data, dict) else {}


@lru_cache(maxsize=1)
def zero_shot_vocabulary() -> tuple[str, ...]:
    """COCO objects plus a film/TV vocabulary (``rushes/data/labels/film_vocabulary.txt``)."""
    from rushes.models.zoo import coco_labels

    text = resources.files("rushes").joinpath("data", "labels", "film_vocabulary.txt").read_text()
    film = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    seen: dict[str, None] = {}
    for lab in [*coco_labels(), *film]:
        if lab != "N/A":
            seen.setdefault(lab, None)
    return tuple(seen)


def zero_shot(model: ClipModel, image: npt.NDArray[np.uint8], *, top_k: int = 5, min_score: float = 0.1,
              labels: Sequence[str] | None = None, temperature: float = 100.0) -> list[tuple[str, float]]:
    """The ``top_k`` vocabulary labels for an image, as softmax probabilities over the vocabulary."""
    vocab = tuple(labels) if labels is not None else zero_shot_vocabulary()
    text = model.prompts(vocab)
    img = model.encode_images([image])[0]
    logits = temperature * (text @ img)
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    order = np.argsort(-probs)[:top_k]
    return [(vocab[i], float(probs[i])) for i in order if probs[i] >= min_score]


_LOCK = threading.Lock()
_CURRENT: dict[str, LazyModel[ClipModel]] = {}


def clip_model() -> ClipModel:
    """The process-wide CLIP model from :func:`find_clip_folder` (raises ModelNotAvailable)."""
    folder = find_clip_folder()
    key = str(folder.resolve())
    with _LOCK:
        lazy = _CURRENT.get(key)
        if lazy is None:
            lazy = LazyModel(f"clip:{folder.name}", lambda: ClipModel(folder))
            _CURRENT[key] = lazy
    return lazy.get()


def reset_clip_model() -> None:
    """Forget loaded CLIP models (tests; after ``models pull``)."""
    with _LOCK:
        _CURRENT.clear()


# -- pull: explicit, verified, atomic -------------------------------------------------------------


def _sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_folder(folder: Path, files: dict[str, str]) -> None:
    """Check every file's sha256 against a manifest (raises :class:`ModelNotAvailable`)."""
    for rel, digest in files.items():
        p = folder / rel
        if not p.is_file():
            raise ModelNotAvailable(f"{folder}: {rel} is missing; pull the model again")
        if file_sha256(p) != digest:
            raise ModelNotAvailable(f"{folder}: {rel} does not match its recorded sha256; pull the model again")


def _fetch(url: str, dest: Path, progress: Callable[[str, int], None] | None) -> None:
    """Copy ``url`` (http(s), file:// or a plain local path) to ``dest`` in 1 MiB blocks."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme in ("", "file"):
        src = Path(urllib.parse.unquote(parsed.path if parsed.scheme else url))
        if not src.is_file():
            raise ModelNotAvailable(f"{src}: not found in the model source")
        shutil.copyfile(src, dest)
        if progress:
            progress(dest.name, dest.stat().st_size)
        return
    if parsed.scheme not in ("http", "https"):
        raise QueryError(f"unsupported model source {url!r}")
    req = urllib.request.Request(url, headers={"User-Agent": "rushes-models-pull"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp, dest.open("wb") as out:
            done = 0
            for block in iter(lambda: resp.read(1 << 20), b""):
                out.write(block)
                done += len(block)
                if progress:
                    progress(dest.name, done)
    except OSError as exc:
        raise ModelNotAvailable(f"download of {url} failed: {exc}") from exc


def pull(
    name: str,
    *,
    dest: Path | None = None,
    source: str | None = None,
    trust_unpinned: bool = False,
    registry: dict[str, RemoteModel] | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> Path:
    """Fetch registered model ``name`` into ``dest`` (default ``<models dir>/clip/<name>``).

    ``source`` replaces the remote base (a ``file://`` URL or a local folder laid out like the
    repository: how tests exercise this without a network). Every file is downloaded into a
    temporary folder beside ``dest``, its sha256 compared with the pinned one, and only when
    all match is the folder renamed into place with a ``rushes-model.json`` manifest. Files
    without a pinned digest need ``trust_unpinned=True``.
    """
    reg = registry if registry is not None else CLIP_MODELS
    if name not in reg:
        raise QueryError(f"unknown model {name!r}; available: {', '.join(sorted(reg)) or 'none'}")
    spec = reg[name]
    unpinned = sorted(p for p, d in spec.files.items() if d is None)
    if unpinned and not trust_unpinned:
        raise QueryError(
            f"{name}: this release has no pinned sha256 for {', '.join(unpinned)}; re-run with --trust-unpinned"
            " to accept what the source serves (the digests are then recorded and checked on every load)"
        )
    target = dest or models_dir() / "clip" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    base = source
    if source and "://" not in source:
        base = Path(source).absolute().as_uri()
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=target.parent))
    try:
        digests: dict[str, str] = {}
        for rel, expected in spec.files.items():
            out = staging / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            _fetch(spec.url(rel, base), out, progress)
            got = _sha256_of(out)
            if expected is not None and got != expected:
                raise ModelNotAvailable(f"{name}: {rel} failed verification (sha256 {got[:16]}…, expected"
                                        f" {expected[:16]}…); nothing was installed")
            digests[rel] = got
        manifest = {"name": spec.name, "repo": spec.repo, "revision": spec.revision, "licence": spec.licence,
                    "source": base or spec.base_url.format(repo=spec.repo, revision=spec.revision),
                    "files": digests, "pinned": not unpinned}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2))
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
            os.replace(staging, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    reset_clip_model()
    return target


def installed_models() -> list[dict[str, Any]]:
    """Registered and installed CLIP models with their state (for ``rushes models list``)."""
    rows: list[dict[str, Any]] = []
    for name, spec in sorted(CLIP_MODELS.items()):
        folder = models_dir() / "clip" / name
        manifest = _read_json(folder / MANIFEST)
        rows.append({"name": name, "kind": "clip", "installed": _looks_like_clip(folder), "path": str(folder),
                     "repo": spec.repo, "revision": manifest.get("revision", spec.revision),
                     "licence": spec.licence, "size_mb": spec.size_mb, "description": spec.description})
    env = os.environ.get("RUSHES_CLIP_MODEL")
    if env:
        rows.append({"name": Path(env).name, "kind": "clip", "installed": _looks_like_clip(Path(env)),
                     "path": env, "repo": None, "revision": "local", "licence": "?", "size_mb": None,
                     "description": "from RUSHES_CLIP_MODEL"})
    return rows


# -- a tiny CLIP-shaped model for tests ------------------------------------------------------------


def build_tiny_clip(folder: Path, *, dim: int = 32, image_size: int = 64, patch: int = 16, seed: int = 0,
                    words: Iterable[str] = ()) -> Path:
    """Write a tiny randomly initialised CLIP-shaped model (needs the ``onnx`` package).

    Text tower: token embedding, masked mean over tokens, projection. Image tower: patch
    convolution, mean over patches, projection. Same inputs/outputs, tokenizer format and
    folder layout as a real export; ``words`` become whole-word BPE merges.
    """
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError as exc:
        raise ModelNotAvailable("building the tiny test model needs the onnx package") from exc
    rng = np.random.default_rng(seed)
    bu = _byte_unicode()
    base = list(bu.values())
    merges: list[tuple[str, str]] = []
    vocab_words = base + [b + "</w>" for b in base]
    for w in sorted(set(words)):
        parts = [bu[b] for b in w.lower().encode()]
        parts[-1] += "</w>"
        while len(parts) > 1:
            merges.append((parts[0], parts[1]))
            parts = [parts[0] + parts[1], *parts[2:]]
            if parts[0] not in vocab_words:
                vocab_words.append(parts[0])
    vocab_words += ["<|startoftext|>", "<|endoftext|>"]
    vocab = {w: i for i, w in enumerate(vocab_words)}
    n_vocab, ctx = len(vocab), 77
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "textual").mkdir(exist_ok=True)
    (folder / "visual").mkdir(exist_ok=True)
    tok = {"version": "1.0", "model": {"type": "BPE", "vocab": vocab, "merges": [f"{a} {b}" for a, b in merges]},
           "added_tokens": [{"id": vocab["<|startoftext|>"], "content": "<|startoftext|>"},
                            {"id": vocab["<|endoftext|>"], "content": "<|endoftext|>"}]}
    (folder / "textual" / "tokenizer.json").write_text(json.dumps(tok))
    (folder / "config.json").write_text(json.dumps({"embed_dim": dim, "name": "tiny-clip", "revision": f"seed{seed}",
                                                    "vision_cfg": {"image_size": image_size},
                                                    "text_cfg": {"context_length": ctx}}))
    (folder / "visual" / "preprocess_cfg.json").write_text(json.dumps({"size": [image_size, image_size],
                                                                       "mean": list(_MEAN), "std": list(_STD)}))
    width = 2 * dim
    # text tower
    emb = numpy_helper.from_array(rng.normal(0, 1, (n_vocab, width)).astype(np.float32), "token_embedding")
    tproj = numpy_helper.from_array(rng.normal(0, width ** -0.5, (width, dim)).astype(np.float32), "text_projection")
    zero = numpy_helper.from_array(np.array(0, dtype=np.int64), "zero")
    axis1 = numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1")
    axis2 = numpy_helper.from_array(np.array([2], dtype=np.int64), "axis2")
    text_nodes = [
        helper.make_node("Cast", ["text"], ["ids"], to=TensorProto.INT64),
        helper.make_node("Gather", ["token_embedding", "ids"], ["tok"]),
        helper.make_node("Greater", ["ids", "zero"], ["valid"]),
        helper.make_node("Cast", ["valid"], ["maskf"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["maskf", "axis2"], ["mask3"]),
        helper.make_node("Mul", ["tok", "mask3"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "axis1"], ["summed"], keepdims=0),
        helper.make_node("MatMul", ["summed", "text_projection"], ["embedding"]),
    ]
    text_graph = helper.make_graph(
        text_nodes, "tiny_clip_text",
        [helper.make_tensor_value_info("text", TensorProto.INT32, ["batch", ctx])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", dim])],
        [emb, tproj, zero, axis1, axis2],
    )
    # image tower
    conv = numpy_helper.from_array(rng.normal(0, 0.05, (width, 3, patch, patch)).astype(np.float32), "patch_embed")
    vproj = numpy_helper.from_array(rng.normal(0, width ** -0.5, (width, dim)).astype(np.float32), "visual_projection")
    axes23 = numpy_helper.from_array(np.array([2, 3], dtype=np.int64), "axes23")
    image_nodes = [
        helper.make_node("Conv", ["image", "patch_embed"], ["patches"], strides=[patch, patch]),
        helper.make_node("ReduceMean", ["patches", "axes23"], ["pooled"], keepdims=0),
        helper.make_node("MatMul", ["pooled", "visual_projection"], ["embedding"]),
    ]
    image_graph = helper.make_graph(
        image_nodes, "tiny_clip_image",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, image_size, image_size])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", dim])],
        [conv, vproj, axes23],
    )
    outputs = ((text_graph, folder / "textual" / "model.onnx"), (image_graph, folder / "visual" / "model.onnx"))
    for graph, path in outputs:
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], producer_name="rushes-tiny-clip")
        model.ir_version = 9
        onnx.checker.check_model(model)
        onnx.save(model, str(path))
    return folder

