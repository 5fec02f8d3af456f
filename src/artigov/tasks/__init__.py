"""The invoke task collection ``artigov.tasks``.

A governance repository's ``tasks.py`` is one line::

    from artigov.tasks import ns

and maintainers run ``invoke validate`` (later ``invoke promote``). Each task
parses its flags and calls the same function as the command line.
"""

from __future__ import annotations

from pathlib import Path

from invoke.collection import Collection
from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from artigov.cli.options import Format

__all__ = ["ns", "validate"]


def _setup(log_format: str, log_level: str) -> None:
    from artigov.core.logconfig import configure_logging

    configure_logging(log_format, log_level)


def _format(value: str) -> Format:
    try:
        return Format(value)
    except ValueError:
        raise Exit(f"artigov: error: --format must be one of: {', '.join(f.value for f in Format)}", code=2) from None


def _finish(code: int) -> None:
    if code:
        raise Exit(code=code)


@task(
    iterable=["path"],
    help={
        "path": "an artifact file to check (repeat for several); default: every artifact",
        "root": "workspace root (default: found from the current directory)",
        "format": "text or json",
        "log-format": "console or json",
        "log-level": "debug, info, warning or error",
    },
)
def validate(
    c: Context,
    path: list[str] | None = None,
    root: str | None = None,
    format_: str = "text",
    log_format: str = "console",
    log_level: str = "warning",
) -> None:
    """Check artifacts' metadata against the schemas, checksums and duplicates."""
    from artigov.cli.validate import run_validate

    fmt = _format(format_)
    _setup(log_format, log_level)
    _finish(run_validate(Path(root) if root else None, [Path(p) for p in path or []], fmt))


ns = Collection(validate)
