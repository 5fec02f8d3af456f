"""The one structlog configuration of the toolkit.

Libraries call ``structlog.get_logger(__name__)`` and never configure.
The command line and the invoke tasks call :func:`configure_logging` once:

* people get a concise console rendering on stderr (warnings and up by
  default), or JSON lines with ``log_format="json"``;
* every event logged with ``audit=True`` is also buffered for the audit
  file, whatever the console level, and written as one hash-chained batch by
  :func:`flush_audit` (the command line calls it when a command ends, also
  on failure).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import structlog

from artigov.core.audit import AuditLog, make_record, resolve_actor

__all__ = ["AuditSink", "configure_logging", "flush_audit", "get_sink", "set_audit_path"]

_LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}


class AuditSink:
    """Buffers audit events until :meth:`flush`; a structlog processor feeds it."""

    def __init__(self) -> None:
        self.path: Path | None = None
        self.pending: list[dict[str, Any]] = []
        self._actor: str | None = None

    def actor(self) -> str:
        if self._actor is None:
            self._actor = resolve_actor(self.path.parent if self.path else None)
        return self._actor

    def __call__(self, logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        if not event_dict.pop("audit", False) or self.path is None:
            return event_dict  # no audit file configured (library use): nothing to buffer
        self.pending.append(make_record(method if method != "msg" else "info", dict(event_dict), self.actor()))
        return event_dict

    def flush(self) -> str | None:
        if not self.pending or self.path is None:
            self.pending.clear()
            return None
        events, self.pending = self.pending, []
        return AuditLog(self.path).append(events)


_SINK = AuditSink()


def get_sink() -> AuditSink:
    return _SINK


def set_audit_path(path: Path | None) -> None:
    """Point the audit sink at a workspace's ``audit.jsonl`` (None: drop events)."""
    _SINK.path = path
    if path is None:
        _SINK.pending.clear()


def flush_audit() -> str | None:
    """Write buffered audit events; return the new chain head, if any were written."""
    return _SINK.flush()


def _drop_below(level: int) -> Any:
    def processor(logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        if _LEVELS.get(event_dict.get("level", "info"), 20) < level:
            raise structlog.DropEvent
        return event_dict

    return processor


def configure_logging(log_format: str = "console", level: str = "warning") -> None:
    """Configure structlog for the toolkit; call once per process."""
    renderer: Any
    if log_format == "json":
        renderer = structlog.processors.JSONRenderer(sort_keys=True)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty(), pad_event_to=0)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            _SINK,
            _drop_below(_LEVELS.get(level, logging.WARNING)),
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
