"""Write docs/cli.md from the commands' own --help, so the reference cannot drift (a test compares them).

    .venv/bin/python tools/cli_reference.py > docs/cli.md
"""

from __future__ import annotations

HEADER = """# Command-line reference

Generated from `tallycheck COMMAND --help` by `tools/cli_reference.py`; `tests/test_cli_reference.py` fails when
this file and the commands disagree. Exit codes: 0 done / valid, 1 refused / problems found, 2 usage error,
3 internal error.
"""


def commands() -> list[str]:
    from tallycheck.cli import app
    import typer.main

    group = typer.main.get_command(app)
    names = []
    for name, command in sorted(group.commands.items()):  # type: ignore[attr-defined]
        names.append(name)
        # a command group (tallycheck audit ...) documents each of its commands too
        names += [f"{name} {sub}" for sub in sorted(getattr(command, "commands", {}) or {})]
    return names


def help_text(args: list[str]) -> str:
    from typer.testing import CliRunner

    from tallycheck.cli import app

    result = CliRunner().invoke(app, [*args, "--help"], terminal_width=100, color=False, prog_name="tallycheck",
                                env={"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"})
    return "\n".join(line.rstrip() for line in result.output.splitlines()).strip("\n")


def reference() -> str:
    parts = [HEADER, "## tallycheck\n", "```text", help_text([]), "```\n"]
    for name in commands():
        parts += [f"## tallycheck {name}\n", "```text", help_text(name.split()), "```\n"]
    return "\n".join(parts)


if __name__ == "__main__":
    print(reference(), end="")
