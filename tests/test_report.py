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
        self.generated: dict[str, str | None] = {}
        self.sections: list[dict[str, str | None]] = []
        self.rolled: list[dict[str, str | None]] = []
        self.external: list[str] = []
        self.rank_cells: list[str] = []
        self._in_rank = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "tr" and a.get("class"):
            self.rows.append(a)
        if a.get("id") == "audit":
            self.audit = a
        if a.get("id") == "generated":
            self.generated = a
        if tag == "section":
            self.sections.append(a)
        if "rolled-back" in str(a.get("class", "")):
            self.rolled.append(a)
        self._in_rank = (tag == "td" and a.get("class") == "rank") or self._in_rank
        if tag == "td" and a.get("class") == "rank":
            self.rank_cells.append("")
        for key in ("src", "href"):
            if a.get(key):
                self.external.append(str(a[key]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._in_rank = False

    def handle_data(self, data: str) -> None:
        if self._in_rank:
            self.rank_cells[-1] += data


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (.ci/run installs Debian's chromium)")
def test_report_in_headless_chromium_shows_history_gates_decisions_and_audit(
    artigov: Runner, tmp_path: Path, printed_pages: Callable[[Path, Path], list[str]]
) -> None:
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
    # every snapshot names the git commit it promoted; the page, when and from which commit it was made
    import json

    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ws, capture_output=True, text=True, check=True)
    assert parser.generated.get("data-commit") == head.stdout.strip()
    for section in parser.sections:
        manifest = ws / "governance/fwk-001/snapshots" / f"{int(str(section['data-sequence'])):06d}" / "manifest.json"
        assert section["data-commit"] == json.loads(manifest.read_text())["git"]["commit"]
    # the rolled-back snapshot says which rollback set it aside, and why
    assert [(r["data-rolled-back-by"]) for r in parser.rolled] == ["3"]
    # rank keys read as words and dates: no raw JSON, no epoch
    assert parser.rank_cells and all("{" not in c and "status:" in c for c in parser.rank_cells), parser.rank_cells[:2]
    text = "\n".join(printed_pages(page, profile))
    assert "Generated" in text and "Rolled back by snapshot 3" in text
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
