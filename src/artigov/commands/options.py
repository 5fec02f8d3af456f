"""The options every door shares, declared once: the command line (Typer, ``artigov.cli.options``),
the invoke tasks (``artigov.tasks``) and the fast door (``artigov.cli.quick``) take each one's
flag, help and default from here, as nox declares each option once (``nox/_option_set.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from artigov.core import DEFAULT_LOCK_TIMEOUT, DEFAULT_LOG_FORMAT, DEFAULT_LOG_LEVEL

__all__ = ["FORMAT", "LOCK_TIMEOUT", "LOG_FORMAT", "LOG_LEVEL", "ROOT", "SHARED_OPTIONS", "SharedOption"]


@dataclass(frozen=True)
class SharedOption:
    """One shared option: its Python name, its help line and its default."""

    name: str
    help: str
    default: Any

    @property
    def flag(self) -> str:
        """The command-line flag (``--lock-timeout``)."""
        return "--" + self.name.replace("_", "-")

    @property
    def task_name(self) -> str:
        """invoke's name for it in a task's ``help`` (``lock-timeout``)."""
        return self.name.replace("_", "-")


ROOT = SharedOption("root", "Workspace root (default: the nearest directory up from here with artigov.yaml).", None)
FORMAT = SharedOption("format", "Output format: text or json.", "text")
LOCK_TIMEOUT = SharedOption("lock_timeout", "Seconds to wait for another writer's lock.", DEFAULT_LOCK_TIMEOUT)
LOG_FORMAT = SharedOption("log_format", "Log lines on stderr: console or JSON lines.", DEFAULT_LOG_FORMAT)
LOG_LEVEL = SharedOption("log_level", "Lowest level shown on stderr: debug, info, warning or error.", DEFAULT_LOG_LEVEL)
#: Every shared option, in the order help lists them.
SHARED_OPTIONS = (ROOT, FORMAT, LOCK_TIMEOUT, LOG_FORMAT, LOG_LEVEL)
