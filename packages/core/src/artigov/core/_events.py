"""Structured events for every package, with structlog loaded only to render them.

Packages log with ``log = get_logger(__name__)`` and
``log.info("event_name", audit=True, subject=..., outcome=..., **data)``,
exactly as with structlog. Importing structlog (which imports rich and
asyncio) costs more than a no-change ``index update`` does, and nearly all
events are below the console level: they only feed the audit file. So:

* once :func:`artigov.core._logconfig.configure_logging` has run (the command
  line, the invoke tasks), an event is merged with the bound context
  (:func:`bind`), handed to the audit sink if ``audit=True``, and passed to
  structlog for rendering only when its level is shown — structlog is
  imported then, not before;
* before that (library use), every event goes straight to structlog, which
  keeps its own defaults and configuration (``structlog.testing`` works).

:func:`capture` records events for tests without touching the configuration.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

__all__ = ["EventLogger", "bind", "bound", "capture", "clear", "get_logger"]

LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40, "critical": 50}

_CONTEXT: ContextVar[dict[str, Any] | None] = ContextVar("artigov_events_context", default=None)
_CAPTURES: list[list[dict[str, Any]]] = []


class _Routing:
    """Where events go once the process has configured logging."""

    configured = False
    level = LEVELS["warning"]
    #: Receives (method, fields) of audit events: the audit sink.
    sink: Callable[[str, dict[str, Any]], None] | None = None
    #: Renders (logger name, method, fields) on the console: structlog, loaded on first use.
    render: Callable[[str, str, dict[str, Any]], None] | None = None


ROUTING = _Routing()


def bind(**fields: Any) -> None:
    """Add fields to every following event of this context (the command, say)."""
    _CONTEXT.set({**(_CONTEXT.get() or {}), **fields})


def bound() -> dict[str, Any]:
    """The fields bound in this context."""
    return dict(_CONTEXT.get() or {})


def clear() -> None:
    """Drop the bound fields."""
    _CONTEXT.set(None)


def _emit(name: str, method: str, event: str, fields: dict[str, Any]) -> None:
    merged = {**(_CONTEXT.get() or {}), **fields, "event": event}
    for captured in _CAPTURES:
        captured.append({**merged, "log_level": method})
    if not ROUTING.configured:
        import structlog

        getattr(structlog.get_logger(name), method)(event, **{k: v for k, v in merged.items() if k != "event"})
        return
    if merged.pop("audit", False) and ROUTING.sink is not None:
        ROUTING.sink(method, dict(merged))
    if LEVELS.get(method, 20) >= ROUTING.level and ROUTING.render is not None:
        ROUTING.render(name, method, merged)


class EventLogger:
    """The logger packages hold; the same call shape as a structlog bound logger."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def debug(self, event: str, **fields: Any) -> None:
        """Emit ``event`` at debug level."""
        _emit(self.name, "debug", event, fields)

    def info(self, event: str, **fields: Any) -> None:
        """Emit ``event`` at info level (``audit=True``: also to the audit log)."""
        _emit(self.name, "info", event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        """Emit ``event`` at warning level."""
        _emit(self.name, "warning", event, fields)

    def error(self, event: str, **fields: Any) -> None:
        """Emit ``event`` at error level."""
        _emit(self.name, "error", event, fields)


def get_logger(name: str) -> EventLogger:
    """The logger for module ``name``."""
    return EventLogger(name)


@contextmanager
def capture() -> Iterator[list[dict[str, Any]]]:
    """Record every event (with its bound context and ``log_level``) while the block runs."""
    captured: list[dict[str, Any]] = []
    _CAPTURES.append(captured)
    try:
        yield captured
    finally:
        _CAPTURES.remove(captured)
