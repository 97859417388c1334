"""The command-line reference (``docs/cli-reference.md``), generated from the click command tree.

``python -m rushes.cli.reference > docs/cli-reference.md`` rewrites it; a test checks that the
committed file is current, so the reference never drifts from the commands.
"""

from __future__ import annotations

import sys

import click

__all__ = ["render_reference"]

_HEADER = """# Command-line reference

Generated from the commands themselves (`python -m rushes.cli.reference > docs/cli-reference.md`);
a test fails when it is out of date. Task-oriented guides: [cli.md](cli.md) and the feature pages.
"""


def _walk(cmd: click.Command, path: list[str], ctx: click.Context | None, out: list[str]) -> None:
    name = " ".join(path)
    settings = {"terminal_width": 100, "max_content_width": 100, **cmd.context_settings}
    sub = click.Context(cmd, info_name=path[-1], parent=ctx, **settings)
    out.append(f"\n## `{name}`\n")
    out.append("```text")
    out.append(cmd.get_help(sub).rstrip())
    out.append("```")
    if isinstance(cmd, click.Group):
        for child_name in sorted(cmd.list_commands(sub)):
            child = cmd.get_command(sub, child_name)
            if child is not None and not child.hidden:
                _walk(child, [*path, child_name], sub, out)


def render_reference() -> str:
    """The whole reference as Markdown."""
    from rushes.cli.main import cli

    out = [_HEADER]
    _walk(cli, ["rushes"], None, out)
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render_reference())
