"""Analyzer registry: name → class, and dependency resolution into an ordered graph."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Sequence
from typing import TypeVar

from rushes.errors import QueryError
from rushes.pipeline.analyzer import Analyzer

__all__ = ["all_analyzers", "default_analyzers", "get_analyzer", "register", "resolve_graph"]

A = TypeVar("A", bound=type[Analyzer])

_REGISTRY: dict[str, type[Analyzer]] = {}
#: modules that define built-in analyzers; imported on first lookup (their heavy dependencies
#: are imported lazily inside the analyzers, so listing them is cheap)
_BUILTIN_MODULES: tuple[str, ...] = (
    "rushes.analyzers.thumbnails",
    "rushes.analyzers.levels",
    "rushes.analyzers.audio_levels",
    # shot boundaries, near-duplicate groups
    "rushes.analyzers.shots",
    # dailies triage: slates, speech and set commands, claps, takes
    "rushes.analyzers.slate",
    "rushes.analyzers.speech",
    "rushes.analyzers.commands",
    "rushes.analyzers.clap",
    "rushes.analyzers.takes",
    # search: tag tracks, embeddings, OCR on frames (not in the default ingest set)
    "rushes.analyzers.tags",
    "rushes.analyzers.embed",
    "rushes.analyzers.ocr_text",
)
_loaded = False


def register(cls: A) -> A:
    """Class decorator adding an analyzer to the registry (names are unique)."""
    name = cls.name
    if name in _REGISTRY and _REGISTRY[name] is not cls:
        raise ValueError(f"analyzer name {name!r} registered twice")
    _REGISTRY[name] = cls
    return cls


def _load_builtins() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for mod in _BUILTIN_MODULES:
        importlib.import_module(mod)
    # third-party analyzers: installed packages declare an entry point in the group
    # "rushes.analyzers"; RUSHES_PLUGINS=mod1,mod2 imports modules by name (handy in development)
    from importlib.metadata import entry_points

    for ep in entry_points(group="rushes.analyzers"):
        try:
            ep.load()
        except Exception as exc:
            raise QueryError(f"analyzer plugin {ep.name!r} failed to load: {exc}") from exc
    for mod in filter(None, (m.strip() for m in os.environ.get("RUSHES_PLUGINS", "").split(","))):
        try:
            importlib.import_module(mod)
        except ImportError as exc:
            raise QueryError(f"RUSHES_PLUGINS: cannot import {mod!r}: {exc}") from exc


def add_builtin_module(module: str) -> None:
    """Register another module of built-in analyzers (used by feature packages)."""
    global _BUILTIN_MODULES
    if module not in _BUILTIN_MODULES:
        _BUILTIN_MODULES = (*_BUILTIN_MODULES, module)
        if _loaded:
            importlib.import_module(module)


def all_analyzers() -> dict[str, type[Analyzer]]:
    _load_builtins()
    return dict(sorted(_REGISTRY.items()))


def get_analyzer(name: str) -> type[Analyzer]:
    _load_builtins()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise QueryError(f"unknown analyzer {name!r}; available: {', '.join(sorted(_REGISTRY))}") from None


def default_analyzers() -> list[str]:
    return [n for n, c in all_analyzers().items() if c.default]


def resolve_graph(names: Iterable[str]) -> list[type[Analyzer]]:
    """The requested analyzers plus everything they require, in dependency order.

    Raises :class:`QueryError` for unknown names or a dependency cycle.
    """
    order: list[type[Analyzer]] = []
    state: dict[str, int] = {}  # 1 = visiting, 2 = done

    def visit(name: str, chain: Sequence[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            raise QueryError(f"analyzer dependency cycle: {' -> '.join([*chain, name])}")
        cls = get_analyzer(name)
        state[name] = 1
        for dep in cls.requires:
            visit(dep, [*chain, name])
        state[name] = 2
        order.append(cls)

    for n in names:
        visit(n, [])
    return order


def levels(graph: Sequence[type[Analyzer]]) -> list[list[type[Analyzer]]]:
    """Group an ordered graph into stages whose members depend only on earlier stages."""
    depth: dict[str, int] = {}
    for cls in graph:
        depth[cls.name] = 1 + max((depth[d] for d in cls.requires if d in depth), default=-1)
    out: list[list[type[Analyzer]]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for cls in graph:
        out[depth[cls.name]].append(cls)
    return out
