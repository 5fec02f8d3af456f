"""The one logging configuration of the toolkit.

Libraries log through :func:`artigov.core._events.get_logger` and never
configure. The command line and the invoke tasks call
:func:`configure_logging` once:

* people get a concise structlog console rendering on stderr (warnings and up
  by default), or JSON lines with ``log_format="json"``; structlog is loaded
  only when an event is shown;
* every event logged with ``audit=True`` is also buffered, whatever the
  console level, and :func:`flush_audit` (the command line calls it when a
  command ends, also on failure) writes ONE summary event for the command run
  to the local operational log: its exit code, how many events of each kind it
  made, and the small scalar fields (digests, sequences, counts) of the last
  event of each kind. Never one event per finding: decisions an auditor needs
  live in the committed decision logs, not here.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from artigov.core._audit import ActorLookup, AuditLog, make_record
from artigov.core._events import LEVELS, ROUTING, bound

__all__ = [
    "DEFAULT_LOG_FORMAT",
    "DEFAULT_LOG_LEVEL",
    "LOG_FORMATS",
    "AuditSink",
    "configure_logging",
    "flush_audit",
    "get_sink",
    "set_audit_path",
]

#: How shown events are written on stderr (``--log-format``), and the default of every door.
LOG_FORMATS = ("console", "json")
DEFAULT_LOG_FORMAT = "console"
#: The lowest level shown on stderr unless ``--log-level`` says otherwise (the levels: ``LEVELS``).
DEFAULT_LOG_LEVEL = "warning"


class AuditSink:
    """Buffers audit events until :meth:`flush`; the event routing (:mod:`artigov.core._events`) feeds it."""

    def __init__(self) -> None:
        self.path: Path | None = None
        self.pending: list[dict[str, Any]] = []
        self._actor: str | None = None
        self._lookup: ActorLookup | None = None

    def actor(self) -> str:
        """Who runs the command (git's user, else the login name), looked up once."""
        if self._actor is None:
            lookup = self._lookup or ActorLookup(self.path.parent if self.path else None)
            self._actor = lookup.result()
        return self._actor

    def record(self, method: str, fields: dict[str, Any]) -> None:
        """Buffer one audit event (dropped when no audit file is configured: library use)."""
        if self.path is not None:
            self.pending.append(make_record(method, fields, self.actor()))

    def point_at(self, path: Path | None) -> None:
        """Buffer for ``path`` (None: drop events); the actor lookup starts now, so it overlaps the work."""
        self.path = path
        if path is None:
            self.pending.clear()
        elif self._actor is None and self._lookup is None:
            self._lookup = ActorLookup(path.parent)

    def flush(self, exit_code: int | None = None) -> str | None:
        """Write the summary of the command run (when there is one: events, or an exit code)."""
        if self.path is None or (not self.pending and exit_code is None):
            self.pending.clear()
            return None
        events, self.pending = self.pending, []
        return AuditLog(self.path).append([summarize(events, exit_code, self.actor())])


#: Scalar fields longer than this are left out of a summary (paths lists, messages stay short).
_SUMMARY_TEXT = 300


def summarize(events: list[dict[str, Any]], exit_code: int | None, actor: str) -> dict[str, Any]:
    """One ``command_completed`` record for a command run's audit events."""
    context = bound()
    counts: dict[str, int] = {}
    last: dict[str, dict[str, Any]] = {}
    for record in events:
        name = str(record.get("event", "?"))
        counts[name] = counts.get(name, 0) + 1
        seen = {"subject": record.get("subject"), "outcome": record.get("outcome"), **(record.get("data") or {})}
        small = {
            k: v
            for k, v in seen.items()
            if isinstance(v, (int, float, bool)) or (isinstance(v, str) and len(v) <= _SUMMARY_TEXT)
        }
        last[name] = small
    outcome = "ok" if exit_code == 0 else ("failed" if exit_code == 1 else ("error" if exit_code else "done"))
    data: dict[str, Any] = {"events": counts, "last": last}
    if exit_code is not None:
        data["exit_code"] = exit_code
    fields: dict[str, Any] = {
        "command": context.get("command"),
        "framework": context.get("framework") or next((e.get("framework") for e in events if e.get("framework")), None),
        "outcome": outcome,
        **data,
    }
    return make_record(
        "info", {k: v for k, v in fields.items() if v is not None} | {"event": "command_completed"}, actor
    )


_SINK = AuditSink()


def get_sink() -> AuditSink:
    """The process's audit sink."""
    return _SINK


def set_audit_path(path: Path | None) -> None:
    """Point the audit sink at a workspace's ``audit.jsonl`` (None: drop events)."""
    _SINK.point_at(path)


def flush_audit(exit_code: int | None = None) -> str | None:
    """Write the command run's summary event; return the new chain head, if one was written."""
    return _SINK.flush(exit_code)


def _structlog_renderer(log_format: str) -> Any:
    """Render shown events with structlog, configured (and imported) on the first one."""
    ready: list[bool] = []

    def render(name: str, method: str, fields: dict[str, Any]) -> None:
        import structlog

        if not ready:
            renderer: Any
            if log_format == "json":
                renderer = structlog.processors.JSONRenderer(sort_keys=True)
            else:
                renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty(), pad_event_to=0)
            structlog.configure(
                processors=[
                    structlog.processors.add_log_level,
                    structlog.processors.TimeStamper(fmt="iso", utc=True),
                    renderer,
                ],
                logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
                cache_logger_on_first_use=False,
            )
            ready.append(True)
        shown = dict(fields)
        event = shown.pop("event")
        getattr(structlog.get_logger(name), method)(event, **shown)

    return render


def configure_logging(log_format: str = DEFAULT_LOG_FORMAT, level: str = DEFAULT_LOG_LEVEL) -> None:
    """Route the toolkit's events: audit ones to the sink, shown ones to structlog; call once per process."""
    ROUTING.configured = True
    ROUTING.level = LEVELS.get(level, LEVELS[DEFAULT_LOG_LEVEL])
    ROUTING.sink = _SINK.record
    ROUTING.render = _structlog_renderer(log_format)
