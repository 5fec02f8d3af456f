from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import structlog

from artigov.core.audit import GENESIS, AuditLog
from artigov.core.logconfig import configure_logging, flush_audit, set_audit_path


def _check_chain(path: Path) -> list[dict[str, object]]:
    prev = GENESIS
    events = []
    for raw in path.read_bytes().splitlines(keepends=True):
        event = json.loads(raw)
        assert event["prev"] == prev
        prev = "sha256:" + hashlib.sha256(raw).hexdigest()
        events.append(event)
    return events


def test_append_chains_each_line_to_the_previous(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    log.append([{"event": "a"}, {"event": "b"}])
    head = log.append([{"event": "c"}])
    events = _check_chain(tmp_path / "audit.jsonl")
    assert [e["event"] for e in events] == ["a", "b", "c"]
    last = (tmp_path / "audit.jsonl").read_bytes().splitlines(keepends=True)[-1]
    assert head == "sha256:" + hashlib.sha256(last).hexdigest()


def test_torn_last_line_is_closed_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    AuditLog(path).append([{"event": "a"}])
    with open(path, "ab") as f:
        f.write(b'{"event":"tor')
    log = AuditLog(path)
    log.append([{"event": "b"}])
    assert log.torn_lines_repaired == 1
    lines = path.read_bytes().splitlines()
    assert lines[1] == b'{"event":"tor'
    assert json.loads(lines[2])["event"] == "audit_torn_line_detected"
    assert json.loads(lines[3])["event"] == "b"


def test_concurrent_writers_lose_nothing_and_keep_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    code = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from artigov.core.audit import AuditLog
        log = AuditLog(Path({str(path)!r}))
        for i in range(50):
            log.append([{{"event": "e", "writer": sys.argv[1], "i": i}}])
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(w)]) for w in range(4)]
    assert all(p.wait() == 0 for p in procs)
    events = _check_chain(path)
    assert len(events) == 200
    assert {(e["writer"], e["i"]) for e in events} == {(str(w), i) for w in range(4) for i in range(50)}


def test_structlog_audit_events_reach_the_file_with_context(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    configure_logging("json", "error")
    set_audit_path(path)
    try:
        structlog.contextvars.bind_contextvars(command="validate")
        log = structlog.get_logger("t")
        log.info("artifact_invalid", audit=True, subject="a.md", outcome="rejected", code="S014")
        log.info("not_audited", detail=1)
        flush_audit()
    finally:
        structlog.contextvars.clear_contextvars()
        set_audit_path(None)
    (event,) = _check_chain(path)
    assert event["event"] == "artifact_invalid"
    assert event["command"] == "validate"
    assert event["subject"] == "a.md"
    assert event["data"] == {"code": "S014"}
    assert str(event["ts"]).endswith("Z")
    assert event["actor"]
