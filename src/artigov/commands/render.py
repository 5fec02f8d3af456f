"""Rendering results: text for people, JSON for tools. No logic, no decisions."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from artigov.core import Finding

__all__ = ["PROGRESS_MIN_ITEMS", "emit_json", "findings_text", "progress_hook", "running"]

#: Work on fewer items than this shows no progress bar.
PROGRESS_MIN_ITEMS = 1000


#: The version of every command's JSON output (schemas/cli-output.schema.json); SARIF has its own.
JSON_FORMAT_VERSION = 1


#: The command running now (its name as ``execute`` was given it): the ``command`` of its JSON.
_RUNNING: ContextVar[str | None] = ContextVar("artigov_command", default=None)


@contextmanager
def running(command: str) -> Iterator[None]:
    """While the body runs, ``command`` is the one whose JSON :func:`emit_json` prints: each
    command's name is written once, where it is run, not again in each payload."""
    token = _RUNNING.set(command)
    try:
        yield
    finally:
        _RUNNING.reset(token)


def emit_json(payload: dict[str, Any]) -> None:
    """Print ``payload`` as stable, sorted, indented JSON on stdout.

    Every command's JSON names its ``command`` (the running one, :func:`running`, unless the
    payload names it) and carries ``format_version`` (schemas/cli-output.schema.json); a SARIF log
    (it has ``$schema``) is printed as it is.
    """
    if "$schema" not in payload:
        command = payload.get("command", _RUNNING.get())
        if command is None:  # pragma: no cover - a programming error, caught by the output test
            raise ValueError("JSON output without a `command`")
        payload = {"format_version": JSON_FORMAT_VERSION, "command": command, **payload}
    sys.stdout.write(json.dumps(payload, sort_keys=True, indent=2, ensure_ascii=False) + "\n")


def findings_text(findings: Iterable[Finding]) -> None:
    """Print one line per finding."""
    for f in findings:
        print(f.one_line())


class _RichProgress:
    """Calls from a package function, (done, total), drawn as a bar on stderr."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._progress: Any = None
        self._task: Any = None

    def __call__(self, done: int, total: int) -> None:
        """Draw ``done`` of ``total`` (0: not known yet, as a walk streams: the bar pulses)."""
        if (total or done) < PROGRESS_MIN_ITEMS:
            return
        if self._progress is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._progress = Progress(
                TextColumn(self.label),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                transient=True,
                console=Console(stderr=True),
            )
            self._progress.start()
            self._task = self._progress.add_task(self.label, total=total or None)
        self._progress.update(self._task, completed=done, total=total or None)
        if total and done >= total:
            self._progress.stop()


def progress_hook(label: str, fmt: str) -> _RichProgress | None:
    """A progress callback for long work on a terminal; None in JSON mode, in CI or into a pipe."""
    if fmt != "text" or not sys.stderr.isatty() or os.environ.get("CI"):
        return None
    return _RichProgress(label)
