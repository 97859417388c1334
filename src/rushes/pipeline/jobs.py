"""Persisted batch jobs: state machine, per-file items, and control from another terminal.

States::

    running ──pause──▶ paused ──resume──▶ running
       │                  │
       └──cancel──▶ cancelling ──(runner stops)──▶ cancelled
    running ──(all items done)──▶ completed

A job whose state is ``running``/``paused``/``cancelling`` but whose process is gone (killed,
crashed, machine rebooted) is shown as ``interrupted``; ``rushes jobs resume`` runs its
remaining items in the calling process, and cached results make finished work free.
Workers poll the job's state (at most every :data:`POLL_S` seconds) between frames, so pause
and cancel take effect within about a second, even in the middle of a long file.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rushes.catalog import Catalog
from rushes.errors import JobCancelled, QueryError

__all__ = ["POLL_S", "JobControl", "JobRecord", "JobStore"]

POLL_S = 0.5
ACTIVE_STATES = ("running", "paused", "cancelling")


@dataclass(frozen=True)
class JobRecord:
    id: int
    kind: str
    state: str
    params: dict[str, Any]
    created_at: float
    updated_at: float
    pid: int | None
    host: str | None
    message: str | None
    counts: dict[str, int]

    @property
    def alive(self) -> bool:
        """Whether the process that runs this job still exists (on this host)."""
        if self.pid is None or self.host != socket.gethostname():
            return self.host is not None and self.host != socket.gethostname()
        return _pid_alive(self.pid)

    @property
    def effective_state(self) -> str:
        if self.state in ACTIVE_STATES and not self.alive:
            return "interrupted"
        return self.state

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "state": self.effective_state, "stored_state": self.state,
            "created_at": self.created_at, "updated_at": self.updated_at, "pid": self.pid,
            "host": self.host, "message": self.message, "items": self.counts,
            "params": self.params,
        }


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (exited, not yet reaped) is not alive for our purposes
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


class JobStore:
    """Jobs and their items in the catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def create(self, kind: str, params: dict[str, Any], paths: Sequence[str]) -> int:
        now = time.time()
        with self.catalog.transaction() as db:
            cur = db.execute(
                "INSERT INTO jobs(kind, state, params_json, created_at, updated_at, pid, host)"
                " VALUES (?,?,?,?,?,?,?)",
                (kind, "running", json.dumps(params, sort_keys=True), now, now, os.getpid(), socket.gethostname()),
            )
            job_id = int(cur.lastrowid or 0)
            db.executemany(
                "INSERT INTO job_items(job_id, seq, path, state) VALUES (?,?,?, 'pending')",
                [(job_id, i, p) for i, p in enumerate(paths)],
            )
        return job_id

    def get(self, job_id: int) -> JobRecord:
        row = self.catalog.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
        if row is None:
            raise QueryError(f"no job {job_id} in this library")
        counts = {
            r[0]: int(r[1]) for r in self.catalog.execute(
                "SELECT state, COUNT(*) FROM job_items WHERE job_id=? GROUP BY state", (job_id,))
        }
        return JobRecord(
            id=int(row["id"]), kind=row["kind"], state=row["state"], params=json.loads(row["params_json"]),
            created_at=row["created_at"], updated_at=row["updated_at"], pid=row["pid"], host=row["host"],
            message=row["message"], counts=counts,
        )

    def recent(self, limit: int = 50) -> list[JobRecord]:
        ids = [int(r[0]) for r in self.catalog.execute("SELECT id FROM jobs ORDER BY id DESC LIMIT ?", (limit,))]
        return [self.get(i) for i in ids]

    def state(self, job_id: int) -> str:
        row = self.catalog.execute("SELECT state FROM jobs WHERE id=?", (job_id,)).fetchone()
        return str(row[0]) if row else "cancelled"

    def set_state(self, job_id: int, state: str, message: str | None = None, *, owner: bool = False) -> None:
        with self.catalog.transaction() as db:
            if owner:
                db.execute("UPDATE jobs SET state=?, message=COALESCE(?, message), updated_at=?, pid=?, host=?"
                           " WHERE id=?", (state, message, time.time(), os.getpid(), socket.gethostname(), job_id))
            else:
                db.execute("UPDATE jobs SET state=?, message=COALESCE(?, message), updated_at=? WHERE id=?",
                           (state, message, time.time(), job_id))

    # -- control (from any terminal) ------------------------------------------------------
    def pause(self, job_id: int) -> JobRecord:
        job = self.get(job_id)
        if job.effective_state != "running":
            raise QueryError(f"job {job_id} is {job.effective_state}; only a running job can be paused")
        self.set_state(job_id, "paused")
        return self.get(job_id)

    def cancel(self, job_id: int) -> JobRecord:
        job = self.get(job_id)
        eff = job.effective_state
        if eff in ("completed", "cancelled"):
            raise QueryError(f"job {job_id} is already {eff}")
        # a live runner finishes the cancel itself; a dead one cannot
        self.set_state(job_id, "cancelling" if job.alive and eff != "interrupted" else "cancelled")
        if not job.alive or eff == "interrupted":
            self._reset_running_items(job_id)
        return self.get(job_id)

    def request_resume(self, job_id: int) -> tuple[JobRecord, bool]:
        """Resume a job. Returns (job, needs_runner): True when no live process owns it."""
        job = self.get(job_id)
        eff = job.effective_state
        if eff == "completed":
            raise QueryError(f"job {job_id} is already completed")
        if eff == "paused" and job.alive:
            self.set_state(job_id, "running")
            return self.get(job_id), False
        if eff == "running":
            return job, False
        # interrupted or cancelled: the caller runs the remaining items
        self._reset_running_items(job_id)
        self.set_state(job_id, "running", owner=True)
        return self.get(job_id), True

    def _reset_running_items(self, job_id: int) -> None:
        with self.catalog.transaction() as db:
            db.execute("UPDATE job_items SET state='pending' WHERE job_id=? AND state='running'", (job_id,))

    # -- items ----------------------------------------------------------------------------
    def items(self, job_id: int, states: Sequence[str] | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM job_items WHERE job_id=?"
        params: list[Any] = [job_id]
        if states:
            sql += f" AND state IN ({','.join('?' * len(states))})"
            params.extend(states)
        return [dict(r) for r in self.catalog.execute(sql + " ORDER BY seq", params)]

    def start_item(self, job_id: int, seq: int) -> None:
        with self.catalog.transaction() as db:
            db.execute("UPDATE job_items SET state='running', started_at=?, attempts=attempts+1"
                       " WHERE job_id=? AND seq=?", (time.time(), job_id, seq))

    def finish_item(self, job_id: int, seq: int, state: str, *, media_id: int | None = None,
                    error: str | None = None, error_type: str | None = None,
                    stats: dict[str, Any] | None = None) -> None:
        with self.catalog.transaction() as db:
            db.execute(
                "UPDATE job_items SET state=?, media_id=?, error=?, error_type=?, finished_at=?, stats_json=?"
                " WHERE job_id=? AND seq=?",
                (state, media_id, error, error_type, time.time(),
                 json.dumps(stats, default=str) if stats is not None else None, job_id, seq),
            )


class JobControl:
    """What a worker consults between frames: wait while paused, stop when cancelled."""

    def __init__(self, store: JobStore, job_id: int, poll_s: float = POLL_S) -> None:
        self.store = store
        self.job_id = job_id
        self.poll_s = poll_s
        self._next = 0.0
        self._cancelled = False

    def should_stop(self) -> bool:
        if self._cancelled:
            return True
        now = time.monotonic()
        if now < self._next:
            return False
        self._next = now + self.poll_s
        state = self.store.state(self.job_id)
        while state == "paused":
            time.sleep(self.poll_s)
            state = self.store.state(self.job_id)
        if state in ("cancelling", "cancelled"):
            self._cancelled = True
        return self._cancelled

    def check(self) -> None:
        """Raise :class:`JobCancelled` if the job was cancelled (waits while paused)."""
        self._next = 0.0
        if self.should_stop():
            raise JobCancelled(f"job {self.job_id} was cancelled")
