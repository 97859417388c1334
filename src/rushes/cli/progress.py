"""Rich progress display for ingest-like jobs, fed by the library's progress events."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

__all__ = ["IngestProgress"]


class IngestProgress:
    """Overall files bar plus a line for the file and step in progress (serial mode)."""

    def __init__(self, enabled: bool = True, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.enabled = enabled and self.console.is_terminal
        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"), TimeElapsedColumn(), TimeRemainingColumn(),
            console=self.console, disable=not self.enabled, transient=False,
        )
        self._task: Any = None
        self.failed = 0

    def __enter__(self) -> IngestProgress:
        self._progress.__enter__()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self._progress.__exit__(et, ev, tb)

    def __call__(self, event: str, details: Mapping[str, Any]) -> None:
        if event == "job":
            total = int(details.get("total", 0))
            done = total - int(details.get("pending", total))
            self._task = self._progress.add_task(f"job {details.get('job')}", total=total, completed=done,
                                                 detail="")
        elif self._task is None:
            return
        elif event == "probe":
            name = str(details.get("path", "")).rsplit("/", 1)[-1]
            self._progress.update(self._task, detail=name[:40])
        elif event == "step":
            name = str(details.get("path", "")).rsplit("/", 1)[-1]
            self._progress.update(self._task, detail=f"{name[:32]} · {details.get('analyzer')}")
        elif event == "item":
            status = details.get("status")
            if status == "failed":
                self.failed += 1
                if self.enabled:
                    self.console.print(f"[red]failed[/red] {details.get('path')}: {details.get('error')}")
            if status != "cancelled":
                self._progress.advance(self._task)
