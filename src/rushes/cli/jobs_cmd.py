"""``rushes jobs list|pause|resume|cancel``: control batch jobs from any terminal."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from rushes.cli.ingest_cmd import print_report
from rushes.cli.main import library_option, print_json, run_command
from rushes.cli.progress import IngestProgress

__all__ = ["register"]


def register(cli: click.Group) -> None:
    @cli.group("jobs")
    def jobs() -> None:
        """List, pause, resume and cancel batch jobs (state is kept in the library)."""

    @jobs.command("list")
    @library_option
    @click.option("--json", "as_json", is_flag=True)
    @run_command
    def list_(library: Path, as_json: bool) -> None:
        """Recent jobs, newest first; `interrupted` means its process is gone (resume it)."""
        from rushes.library import Library

        with Library(library, create=False) as lib:
            rows = [j.to_dict() for j in lib.list_jobs()]
        if as_json:
            print_json(rows)
            return
        if not rows:
            click.echo("no jobs")
        for j in rows:
            when = datetime.fromtimestamp(j["created_at"]).strftime("%Y-%m-%d %H:%M")
            items = ", ".join(f"{k} {v}" for k, v in sorted(j["items"].items()))
            click.echo(f"{j['id']:>4}  {j['kind']:<8} {j['state']:<12} {when}  pid {j['pid']}  {items}")

    @jobs.command("pause")
    @click.argument("job_id", type=int)
    @library_option
    @run_command
    def pause(job_id: int, library: Path) -> None:
        """Pause a running job (its workers stop within about a second, mid-file)."""
        from rushes.library import Library

        with Library(library, create=False) as lib:
            job = lib.pause_job(job_id)
        click.echo(f"job {job.id} {job.effective_state}")

    @jobs.command("resume")
    @click.argument("job_id", type=int)
    @library_option
    @click.option("--workers", "-j", type=click.IntRange(1, 64))
    @click.option("--json", "as_json", is_flag=True)
    @run_command
    def resume(job_id: int, library: Path, workers: int | None, as_json: bool) -> None:
        """Resume a paused job; an interrupted or cancelled job runs its remaining files here."""
        from rushes.library import Library

        with Library(library, create=False) as lib, IngestProgress(enabled=not as_json) as bar:
            job, report = lib.resume_job(job_id, progress=bar, workers=workers)
        if report is None:
            click.echo(f"job {job.id} {job.effective_state}")
            return
        if as_json:
            print_json(report.to_dict())
        else:
            print_report(report.to_dict())
        sys.exit(int(report.exit_code))

    @jobs.command("cancel")
    @click.argument("job_id", type=int)
    @library_option
    @run_command
    def cancel(job_id: int, library: Path) -> None:
        """Cancel a job; finished files keep their results, the rest stay pending."""
        from rushes.library import Library

        with Library(library, create=False) as lib:
            job = lib.cancel_job(job_id)
        click.echo(f"job {job.id} {job.effective_state}")
