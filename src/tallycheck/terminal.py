"""Printing for the command line: Rich tables on a terminal, plain tab-separated text in a pipe."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pyarrow as pa
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from .problems import Problem, Severity

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def is_terminal() -> bool:
    return out.is_terminal


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return "" if v != v else f"{v:.4f}"
    if isinstance(v, int) and not isinstance(v, bool) and is_terminal():
        return f"{v:,}"
    return str(v)


def print_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None,
               limit: int | None = None) -> None:
    shown = rows if limit is None else rows[:limit]
    if is_terminal():
        t = Table(title=title, show_lines=False, header_style="bold")
        for c in columns:
            t.add_column(c, overflow="fold")
        for r in shown:
            t.add_row(*[_fmt(v) for v in r])
        out.print(t)
        if limit is not None and len(rows) > limit:
            out.print(f"… {len(rows) - limit:,} more rows (use --json or --format csv for all)")
    else:
        sys.stdout.write("\t".join(columns) + "\n")
        for r in shown:
            sys.stdout.write("\t".join(_fmt(v).replace("\t", " ") for v in r) + "\n")


def print_table(table: pa.Table, title: str | None = None, limit: int | None = None) -> None:
    rows = [tuple(r.values()) for r in table.to_pylist()]
    print_rows(table.column_names, rows, title, limit)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=1, default=str) + "\n")


def print_problems(problems: Sequence[Problem], limit: int | None = 200) -> None:
    if not problems:
        return
    columns = ("severity", "file", "row", "column", "rule", "value", "message")
    rows = [(p.severity.value, p.file, p.row, p.column, p.rule, p.value, p.message) for p in problems]
    print_rows(columns, rows, title="Problems", limit=limit if is_terminal() else None)


def summarise_problems(problems: Sequence[Problem]) -> str:
    errors = sum(p.severity is Severity.ERROR for p in problems)
    warnings = len(problems) - errors
    return f"{errors:,} error{'s' * (errors != 1)}, {warnings:,} warning{'s' * (warnings != 1)}"


@contextmanager
def progress_steps(enabled: bool = True) -> Iterator[Callable[..., None]]:
    """A progress line on a terminal only (stderr), so pipes stay clean: `step(name)` names the current step;
    `step(name, done, total)` also fills a bar."""
    if not (enabled and err.is_terminal):
        yield lambda *_args: None
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as p:
        task = p.add_task("starting", total=None)

        def step(name: str, done: int | None = None, total: int | None = None) -> None:
            p.update(task, description=name, completed=done or 0, total=total)

        yield step
