"""Execution engines: where per-file tasks run.

An engine maps a picklable top-level function over task tuples and reports each result as it
completes. ``serial`` runs in the calling process; ``process`` uses a pool of worker processes
(default: one per core). A distributed engine (Ray) plugs in behind the same interface: it only
has to run the same function on another machine that can see the library folder.
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Protocol

__all__ = ["ExecutionEngine", "ProcessPoolEngine", "SerialEngine", "make_engine"]

TaskFn = Callable[..., dict[str, Any]]
ResultFn = Callable[[tuple[Any, ...], dict[str, Any]], None]


class ExecutionEngine(Protocol):
    name: str

    def run(self, fn: TaskFn, tasks: Sequence[tuple[Any, ...]], on_result: ResultFn) -> None:
        """Run ``fn(*task)`` for every task; call ``on_result(task, result)`` as each completes."""


class SerialEngine:
    name = "serial"

    def run(self, fn: TaskFn, tasks: Sequence[tuple[Any, ...]], on_result: ResultFn) -> None:
        for task in tasks:
            on_result(task, fn(*task))


def _die_with_parent() -> None:
    """Linux: have the kernel SIGTERM this worker when its parent dies (e.g. ``kill -9``)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except OSError:
        pass
    # the parent handles Ctrl-C; a worker just stops with it
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class ProcessPoolEngine:
    name = "process"

    def __init__(self, workers: int | None = None, initializer: Callable[..., None] | None = None,
                 initargs: tuple[Any, ...] = ()) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._init = initializer
        self._initargs = initargs

    def run(self, fn: TaskFn, tasks: Sequence[tuple[Any, ...]], on_result: ResultFn) -> None:
        if not tasks:
            return
        ctx = mp.get_context("spawn")  # never fork a process that runs threads (decode, progress UI)
        with ProcessPoolExecutor(
            max_workers=min(self.workers, len(tasks)), mp_context=ctx,
            initializer=_init_trampoline, initargs=(self._init, self._initargs),
        ) as pool:
            futures: dict[Future[dict[str, Any]], tuple[Any, ...]] = {pool.submit(fn, *t): t for t in tasks}
            try:
                while futures:
                    done, _ = wait(futures, return_when=FIRST_COMPLETED)
                    for fut in done:
                        task = futures.pop(fut)
                        on_result(task, fut.result())
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise


def _init_trampoline(init: Callable[..., None] | None, args: tuple[Any, ...]) -> None:
    _die_with_parent()
    if init is not None:
        init(*args)


def make_engine(name: str | None, workers: int | None, n_tasks: int,
                initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()) -> ExecutionEngine:
    """``serial``, ``process`` or automatic (process pool when more than one worker and task)."""
    w = workers or os.cpu_count() or 1
    if name == "serial" or (name is None and (w <= 1 or n_tasks <= 1)):
        return SerialEngine()
    if name in (None, "process"):
        return ProcessPoolEngine(w, initializer, initargs)
    from rushes.errors import QueryError

    raise QueryError(f"unknown engine {name!r}; available: serial, process")
