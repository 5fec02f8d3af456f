"""The auditors' HTML report, opened in real headless Chromium."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest

Runner = Callable[..., subprocess.CompletedProcess[str]]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class _Rows(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, str | None]] = []
        self.audit: dict[str, str | None] = {}
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "tr" and a.get("class"):
            self.rows.append(a)
        if a.get("id") == "audit":
            self.audit = a
        for key in ("src", "href"):
            if a.get(key):
                self.external.append(str(a[key]))


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (.ci/run installs Debian's chromium)")
def test_report_in_headless_chromium_shows_history_gates_decisions_and_audit(artigov: Runner, tmp_path: Path) -> None:
    assert artigov("demo", "--dir", tmp_path / "d").returncode == 0
    ws = tmp_path / "d" / "workspace"
    page = tmp_path / "report.html"
    made = artigov("report", "--framework", "fwk-001", "--out", page, "--root", ws)
    assert made.returncode == 0, made.stderr
    profile = tmp_path / "chromium-profile"
    dom = subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    parser = _Rows()
    parser.feed(dom)
    snapshots = [r for r in parser.rows if r["class"] == "snapshot"]
    assert [(r["data-sequence"], r["data-status"]) for r in snapshots] == [
        ("1", "superseded"),
        ("2", "rolled back"),
        ("3", "current"),
    ]
    gates = {r["data-gate"]: r["data-status"] for r in parser.rows if r["class"] == "gate"}
    assert gates == {"design": "passed", "build": "passed", "release": "failed"}
    decisions = [r for r in parser.rows if r["class"] == "decision"]
    winners = {r["data-kind"] for r in decisions if r["data-outcome"] == "won"}
    assert winners == {"acceptance-record", "risk-register", "technical-plan"}
    assert any(r["data-outcome"] == "rejected" for r in decisions)
    assert parser.audit.get("data-ok") == "true"
    assert parser.external == []  # self-contained: no network resources
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            str(CHROMIUM),
            *FLAGS,
            f"--user-data-dir={profile}",
            "--window-size=1280,1800",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.stat().st_size > 10_000


def test_report_marks_a_broken_audit_chain(artigov: Runner, tmp_path: Path) -> None:
    assert artigov("demo", "--dir", tmp_path / "d").returncode == 0
    ws = tmp_path / "d" / "workspace"
    log = ws / "governance" / "fwk-001" / "decisions.jsonl"
    log.write_bytes(log.read_bytes().replace(b'"outcome":"won"', b'"outcome":"w0n"', 1))
    page = tmp_path / "report.html"
    made = artigov("report", "--framework", "fwk-001", "--out", page, "--root", ws)
    assert "decision log BROKEN" in made.stdout
    assert "data-ok=false" in page.read_text()
