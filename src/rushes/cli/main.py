"""The ``rushes`` command: a thin click layer over :class:`rushes.library.Library`.

Exit codes (also in docs/cli.md):

====  =====================================================================
0     everything succeeded
1     completed with failures (some inputs or steps failed; see the report)
2     usage error: bad option, unknown analyzer, invalid query or config
3     library/catalog error, or an unexpected internal error
4     media error (``info`` on a file that cannot be read)
5     a required model is not installed
6     the job was cancelled
130   interrupted (Ctrl-C); the job is left paused and can be resumed
====  =====================================================================
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from rushes.errors import ExitCode, RushesError

__all__ = ["calibrate_group", "cli", "eval_group", "main", "pass_library", "run_command"]

F = TypeVar("F", bound=Callable[..., Any])

#: modules adding commands; each defines ``register(cli: click.Group) -> None``
_COMMAND_MODULES = (
    "rushes.cli.ingest_cmd",
    "rushes.cli.jobs_cmd",
    "rushes.cli.demo_cmd",
    "rushes.cli.shots_cmd",
    "rushes.cli.triage_cmd",
    "rushes.cli.search_cmd",
    "rushes.cli.patterns_cmd",
)

library_option = click.option(
    "--library", "-L", "library", type=click.Path(file_okay=False, path_type=Path),
    default=Path("rushes-library"), show_default=True, envvar="RUSHES_LIBRARY",
    help="Library folder (catalog + artifacts).",
)


def run_command(fn: F) -> F:
    """Translate :class:`RushesError` into a one-line message and its documented exit code."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RushesError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(int(exc.exit_code))
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(int(ExitCode.INTERRUPTED))

    return wrapper  # type: ignore[return-value]


def print_json(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=2, default=str))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="rushes")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def cli(verbose: int) -> None:
    """rushes: offline dailies triage, shots, search and exports for film/TV footage."""
    level = logging.WARNING if verbose == 0 else (logging.INFO if verbose == 1 else logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


@cli.group("eval")
def eval_group() -> None:
    """Evaluate results against ground truth."""


@cli.group("calibrate")
def calibrate_group() -> None:
    """Tune detector thresholds from a few user-marked examples."""


def pass_library(create: bool = False) -> Callable[[F], F]:
    """Decorator: add ``--library`` and pass an opened :class:`Library` as ``lib``."""

    def deco(fn: F) -> F:
        @library_option
        @wraps(fn)
        def wrapper(*args: Any, library: Path, **kwargs: Any) -> Any:
            from rushes.library import Library

            lib = Library(library, create=create)
            try:
                return fn(*args, lib=lib, **kwargs)
            finally:
                lib.close()

        return wrapper  # type: ignore[return-value]

    return deco


def _register_all() -> None:
    for mod in _COMMAND_MODULES:
        try:
            module = importlib.import_module(mod)
        except ImportError as exc:  # an optional feature whose extra is not installed
            logging.getLogger(__name__).debug("commands from %s unavailable: %s", mod, exc)
            continue
        module.register(cli)


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv, prog_name="rushes")


_register_all()
