"""audit show --framework F --format json passes decision-log lines through (the log field spliced in)
and prints exactly what parsing every event prints."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from artigov.commands.audit import with_log_field

Runner = Callable[..., subprocess.CompletedProcess[str]]

_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=300, deadline=None)
@given(
    subject=_TEXT,
    outcome=_TEXT,
    data=st.dictionaries(st.sampled_from(["outcome", "log", "x", "prev", "reason"]), _TEXT, max_size=4),
    level=st.booleans(),
)
def test_the_splice_is_parse_add_serialize(subject: str, outcome: str, data: dict[str, str], level: bool) -> None:
    event = {
        "actor": "a@x.org",
        "data": data,
        "event": "candidate_lost",
        "framework": "f",
        "id": "sha256:" + "0" * 64,
        "outcome": outcome,
        "prev": "sha256:" + "1" * 64,
        "subject": subject,
        "ts": "2026-01-01T00:00:00Z",
        **({"level": "info"} if level else {}),
    }
    raw = orjson.dumps(event, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
    expected = orjson.dumps({**event, "log": "decisions"}, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
    assert with_log_field(raw, b'"decisions"') == expected


def test_the_fast_path_prints_what_the_parsing_path_prints(artigov: Runner, tmp_path: Path) -> None:
    assert artigov("demo", "--dir", tmp_path / "d").returncode == 0
    ws = tmp_path / "d" / "workspace"
    fast = artigov("audit", "show", "--framework", "fwk-001", "--format", "json", "--root", ws)
    parsed = artigov(
        "audit", "show", "--framework", "fwk-001", "--since", "2000-01-01", "--format", "json", "--root", ws
    )
    assert fast.returncode == parsed.returncode == 0
    assert fast.stdout == parsed.stdout and fast.stdout.count("\n") > 20
