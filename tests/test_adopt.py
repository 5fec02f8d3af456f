"""`artigov adopt` on a generated legacy tree: Jekyll/Hugo frontmatter, no frontmatter, binaries,
duplicate names and titles, unrouted folders. What it applies passes validate, route check and
index rebuild at once; a second run changes nothing; existing frontmatter keeps every byte."""

from __future__ import annotations

import json
import os
import random
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import artigov.index as index_ops
from artigov.core import load_workspace
from artigov.onboard.scaffold import init_workspace
from artigov.router import check_routes
from artigov.schema import validate_workspace

Runner = Callable[..., subprocess.CompletedProcess[str]]
FOLDERS = ["plans/technical", "plans/action", "reports/summary", "registers/risk"]
NAMES = ["Overview", "rollout plan", "Überblick", "notes_2021", "design-1.4.0", "Q3 report (final)", "index"]


def _legacy_tree(root: Path, n: int, seed: int = 7) -> dict[str, bytes]:
    """n files under frameworks/legacy/: the bytes of each, by path."""
    rng = random.Random(seed)
    files: dict[str, bytes] = {}
    for i in range(n):
        folder = rng.choice([*FOLDERS, "misc", "drafts/old"]) if i % 10 else rng.choice(FOLDERS)
        base = f"{rng.choice(NAMES)}-{i // 3}" if rng.random() < 0.8 else rng.choice(NAMES)
        title = rng.choice(["Plan", "Report", "Notes"])  # duplicate titles on purpose
        style = i % 5
        if style == 0:  # Jekyll
            risks = "risks: [R-001]\n" if folder == "registers/risk" else ""
            text = (
                f'---\nlayout: post\ntitle: "{title}"\ndate: 2019-0{1 + i % 9}-01\ntags: [a, b]\n{risks}---\n'
                f"# {title}\n"
            )
            name = f"{base}.md"
        elif style == 1:  # Hugo, YAML frontmatter with a comment
            text = (
                f"---\n# hugo keeps this comment\ndraft: true\nweight: {i}\nslug: s{i}\nversion: 1.{i % 7}\n---\n"
                f"Body {i}\n"
            )
            name = f"{base}.md"
        elif style == 2:  # no frontmatter
            text = f"# {title} {i}\n\nPlain text.\n"
            name = f"{base}.markdown"
        elif style == 3:  # a binary: gets a sidecar
            files[f"frameworks/legacy/{folder}/{base}-{i}.png"] = b"\x89PNG\r\n\x1a\n\x00" + bytes([i % 256]) * 64
            continue
        else:  # text that is not Markdown
            text = f"key: value {i}\n"
            name = f"{base}-{i}.cfg"
        files[f"frameworks/legacy/{folder}/{name}"] = text.encode()
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return files


def _git(root: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_DATE": "2021-03-04T05:06:07Z", "GIT_COMMITTER_DATE": "2021-03-04T05:06:07Z"}
    subprocess.run(["git", "-c", "user.email=t@x.org", "-c", "user.name=t", *args], cwd=root, env=env, check=True,
                   capture_output=True)  # fmt: skip


def test_a_legacy_tree_is_adopted_in_one_apply(tmp_path: Path, artigov: Runner) -> None:
    root = tmp_path / "docs"
    init_workspace(root, "legacy", "al@x.org")
    files = _legacy_tree(root, 3000)
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "the docs as they were")

    dry = artigov("adopt", "--framework", "legacy", "--format", "json", "--root", root)
    plan = json.loads(dry.stdout)
    assert dry.returncode == 1 and plan["applied"] is False  # some files cannot be adopted: exit 1
    assert {p: (root / p).read_bytes() for p in files} == files  # a dry run writes nothing
    unplaced = {u["path"]: u for u in plan["unplaced"]}
    assert all("/misc/" in p or "/drafts/" in p or "/registers/risk/" in p for p in unplaced)
    assert any("no route's folder matches" in u["reason"] for u in unplaced.values())
    assert any("risks" in u["fix"] for u in unplaced.values())  # a risk register without risks

    _apply_refused_until_conflicts_are_chosen(root, plan, files, artigov)

    done = artigov("adopt", "-f", "legacy", "--apply", "--conflicts", "take", "--format", "json", "--root", root)
    applied = json.loads(done.stdout)
    assert [p["path"] for p in applied["proposals"]] == [p["path"] for p in plan["proposals"]]
    adopted = [Path(root / p["path"]) for p in applied["proposals"]]
    assert len(adopted) + len(unplaced) == len(files) and len(adopted) > 1500  # each one adopted or listed
    _adopted_tree_is_valid(root, adopted, set(unplaced))
    _frontmatter_keeps_every_byte(root, files, set(unplaced))

    again = artigov("adopt", "--framework", "legacy", "--apply", "--format", "json", "--root", root)
    assert json.loads(again.stdout)["proposals"] == []
    snapshot = {p: (root / p).read_bytes() for p in files}
    assert {p: (root / p).read_bytes() for p in files} == snapshot

    status = artigov("status", "--format", "json", "--root", root)
    report = json.loads(status.stdout)
    assert report["index"]["state"] == "fresh" and report["validation"]["invalid"] == len(unplaced)
    assert report["routing"]["conflicts"] == 0


def _apply_refused_until_conflicts_are_chosen(
    root: Path, plan: dict[str, Any], files: dict[str, bytes], artigov: Runner
) -> None:
    """Hugo's `version: 1.3` is the author's key, not artigov's: listed, and --apply refuses until
    a --conflicts choice is made (an unknown one too), writing nothing."""
    hugo_conflicts = [p for p in plan["proposals"] if p["conflicts"]]
    assert hugo_conflicts and all(c["key"] == "version" for p in hugo_conflicts for c in p["conflicts"])
    assert plan["unresolved_conflicts"] == [p["path"] for p in hugo_conflicts]
    refused = artigov("adopt", "--framework", "legacy", "--apply", "--root", root)
    assert refused.returncode == 2 and "--conflicts rename" in refused.stderr
    assert "nothing was written" in refused.stderr
    assert {p: (root / p).read_bytes() for p in files} == files
    unknown = artigov("adopt", "-f", "legacy", "--apply", "--conflicts", "keep", "--root", root)
    assert unknown.returncode == 2
    assert unknown.stderr.strip().splitlines() == [
        "artigov: error: unknown --conflicts 'keep' (fix: --conflicts rename or --conflicts take)"
    ]
    assert {p: (root / p).read_bytes() for p in files} == files


def _adopted_tree_is_valid(root: Path, adopted: list[Path], unplaced: set[str]) -> None:
    ws = load_workspace(root)
    assert validate_workspace(ws, adopted).findings == []
    assert check_routes(ws).findings == []
    rebuilt = index_ops.rebuild(ws)
    assert {f.file for f in rebuilt.findings} <= set(unplaced)  # only what adopt could not place
    assert rebuilt.count == len(adopted) + 1  # the scaffold's own plan too
    ids = [(e["id"], e["version"]) for e in index_ops.read_index(ws).entries.values()]
    assert len(ids) == len(set(ids))


def _frontmatter_keeps_every_byte(root: Path, files: dict[str, bytes], unplaced: set[str]) -> None:
    """Existing frontmatter keeps every byte: the comment, the keys in order, the body."""
    hugo = next(p for p, d in files.items() if b"hugo keeps this comment" in d and p not in unplaced)
    before, after = files[hugo].decode(), (root / hugo).read_text()
    kept = [line for line in before.splitlines() if not line.startswith("version:")]
    assert [line for line in after.splitlines() if line in kept] == kept
    written = next(line for line in before.splitlines() if line.startswith("version:")).split(": ")[1]
    assert f'version: "{written}"' in after  # the author's text (1.3), taken as text, never retyped
    assert 'created_at: "2021-03-04T05:06:07Z"' in after and after.endswith(before.split("---\n", 2)[2])
