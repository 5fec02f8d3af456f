"""Smaller holes found beside the record-integrity review: each one a traceback, a silent skip or a
silent loss on today's main, each now one line and a non-zero exit (or a message)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

Runner = Callable[..., subprocess.CompletedProcess[str]]


def test_special_files_and_line_breaks_in_names_are_named_by_validate_and_adopt(
    artigov: Runner, example_copy: Path
) -> None:
    folder = example_copy / "frameworks/fwk-001/plans/technical"
    os.mkfifo(folder / "pipe.md")
    (folder / "out.md").symlink_to("/etc/passwd")
    (folder / "new\nline.md").write_text(
        '---\nid: nl\nversion: "1"\nstatus: draft\nframework: fwk-001\nkind: technical-plan\n---\n'
    )
    done = artigov("validate", "--format", "json", "--root", example_copy)
    found = {(f["code"], f["file"]) for f in json.loads(done.stdout)["findings"]}
    assert done.returncode == 1
    assert ("S021", "frameworks/fwk-001/plans/technical/pipe.md") in found
    assert ("S021", "frameworks/fwk-001/plans/technical/new\\nline.md") in found
    assert ("S019", "frameworks/fwk-001/plans/technical/out.md") in found
    adopted = artigov("adopt", "-f", "fwk-001", "--root", example_copy)
    assert adopted.returncode == 1 and adopted.stdout.count("cannot adopt") == 1, adopted.stdout  # the line break
    assert "cannot adopt frameworks/fwk-001/plans/technical/new\\nline.md: S021" in adopted.stdout
    # a FIFO and a link out of the workspace: listed as skipped with why, never silently; --apply excludes them
    assert "skipped frameworks/fwk-001/plans/technical/pipe.md: S021" in adopted.stdout
    assert "skipped frameworks/fwk-001/plans/technical/out.md: S019" in adopted.stdout
    artigov("adopt", "-f", "fwk-001", "--apply", "--root", example_copy)
    assert "frameworks/fwk-001/plans/technical/pipe.md" in (example_copy / "artigov.yaml").read_text()
    again = artigov("validate", "--format", "json", "--root", example_copy)
    assert {f["file"].rsplit("/", 1)[1] for f in json.loads(again.stdout)["findings"]} == {"new\\nline.md"}


def test_a_file_name_that_is_not_utf8_is_a_finding_not_a_traceback(artigov: Runner, example_copy: Path) -> None:
    """A docs tree copied from an old system can hold names in Latin-1: validate, index rebuild and
    status crashed on sorting them, and a command given one as its argument crashed writing its
    audit event. Each now names the file (its odd byte as \\xff) with S021 and exits 1."""
    folder = example_copy / "frameworks/fwk-001/plans/technical"
    name = os.fsdecode(b"caf\xe9-plan.md")  # the byte 0xe9 alone is not UTF-8
    (folder / name).write_text(
        '---\nid: cafe\nversion: "1"\nstatus: draft\nframework: fwk-001\nkind: technical-plan\n---\n'
    )
    shown = "frameworks/fwk-001/plans/technical/caf\\xe9-plan.md"
    for args in (("validate",), ("validate", folder / name), ("index", "rebuild")):
        done = artigov(*args, "--format", "json", "--root", example_copy)
        assert done.returncode == 1 and "Traceback" not in done.stderr, (args, done.stderr)
        assert ("S021", shown) in {(f["code"], f["file"]) for f in json.loads(done.stdout)["findings"]}, args
    status = artigov("status", "--root", example_copy)
    assert status.returncode == 1 and "Traceback" not in status.stderr and "1 invalid artifact" in status.stdout
    approved = artigov("approve", folder / name, "--root", example_copy)
    assert approved.returncode != 0 and "Traceback" not in approved.stderr and "S021" in approved.stderr
    assert artigov("audit", "verify", "--root", example_copy).returncode == 0  # its events were logged
    config = (example_copy / "artigov.yaml").read_bytes()
    adopted = artigov("adopt", "-f", "fwk-001", "--apply", "--root", example_copy)
    assert f"cannot adopt {shown}: S021" in adopted.stdout  # no glob can name it: to rename, not to exclude
    assert (example_copy / "artigov.yaml").read_bytes() == config


def _index_merge(tmp_path: Path, base: bytes, ours: bytes, theirs: bytes) -> tuple[int, str, bytes]:
    paths = []
    for name, data in (("O", base), ("A", ours), ("B", theirs)):
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(str(path))
    done = subprocess.run(
        [sys.executable, "-m", "artigov.cli", "index", "merge", *paths], capture_output=True, text=True, check=False
    )
    return done.returncode, done.stderr, (tmp_path / "A").read_bytes()


def test_index_merge_refuses_an_empty_side_and_deep_json(example_copy: Path, tmp_path: Path) -> None:
    index = (example_copy / "artifacts_index.json").read_bytes()
    code, err, ours = _index_merge(tmp_path, index, index, b"")
    assert code != 0 and "is empty" in err and ours == index  # never "merged" into an empty index
    code, err, _ = _index_merge(tmp_path, index, index, b"[" * 100000 + b"]" * 100000)
    assert code != 0 and "Traceback" not in err and "cannot be merged" in err


def test_a_deep_json_approval_statement_is_no_traceback(artigov: Runner, tmp_path: Path) -> None:
    assert artigov("demo", "--dir", tmp_path / "d").returncode == 0
    ws = tmp_path / "d" / "workspace"
    subprocess.run(["git", "checkout", "--", "governance"], cwd=ws, check=True, capture_output=True)
    statement = next((ws / "governance/fwk-001/approvals").rglob("*.json"))
    statement.write_bytes(b"[" * 100000 + b"]" * 100000)
    for args in (("contract", "check", "-f", "fwk-001", "--all-gates"), ("verify", "--all"), ("status",)):
        done = artigov(*args, "--root", ws)
        assert "Traceback" not in done.stderr, (args, done.stderr[-500:])
        assert done.returncode in (0, 1), (args, done.stderr)
    verified = artigov("verify", "-f", "fwk-001", "--snapshot", "2", "--root", ws)  # the snapshot that records it
    assert verified.returncode == 1 and "V021" in verified.stdout, verified.stdout


def test_a_malformed_manifest_with_a_matching_head_digest_is_one_line_everywhere(
    artigov: Runner, tmp_path: Path
) -> None:
    from artigov.core import canonical_json, digest_bytes

    assert artigov("demo", "--dir", tmp_path / "d").returncode == 0
    ws = tmp_path / "d" / "workspace"
    subprocess.run(["git", "checkout", "--", "governance"], cwd=ws, check=True, capture_output=True)
    path = ws / "governance/fwk-001/snapshots/000003/manifest.json"
    path.chmod(0o644)
    data = canonical_json({"gate": "design", "inputs": "not a list", "parent": None, "sequence": 3})
    path.write_bytes(data)
    head = ws / "governance/fwk-001/HEAD"
    value = json.loads(head.read_bytes())
    value["digest"] = value["gates"]["design"]["digest"] = digest_bytes(data)
    head.write_bytes(canonical_json(value))
    commands = [
        ("prune", "-f", "fwk-001"),
        ("report", "-f", "fwk-001", "--out", str(tmp_path / "r.html")),
        ("diff", "-f", "fwk-001", "1", "3"),
        ("snapshots", "-f", "fwk-001"),
        ("triggers", "-f", "fwk-001"),
        ("status",),
        ("verify", "--all"),
    ]
    for args in commands:
        done = artigov(*args, "--root", ws)
        assert "Traceback" not in done.stderr, (args, done.stderr[-800:])
        assert done.returncode == 1, (args, done.stdout, done.stderr)
    repaired = artigov("repair-head", "-f", "fwk-001", "--root", ws)
    assert repaired.returncode == 1
    assert "snapshot 2 verifies with its chain, but newer snapshots that do not" in repaired.stderr
    shutil.rmtree(ws / "governance/fwk-001/snapshots/000003")  # the broken one never committed: gone
    assert "no snapshot" not in artigov("repair-head", "-f", "fwk-001", "--root", ws).stderr


@pytest.mark.parametrize("torn", [b'{"event":"tor', b"\x00\x01"])
def test_a_torn_operational_log_line_does_not_fail_audit_verify_for_good(
    artigov: Runner, example_copy: Path, torn: bytes
) -> None:
    assert artigov("index", "update", "--root", example_copy).returncode == 0
    log = example_copy / ".artigov" / "audit.jsonl"
    with open(log, "ab") as f:
        f.write(torn)  # a crash mid-write
    assert artigov("audit", "verify", "--root", example_copy).returncode == 1  # said once...
    assert artigov("index", "update", "--root", example_copy).returncode == 0  # ...the next writer sets it aside
    again = artigov("audit", "verify", "--root", example_copy)
    assert again.returncode == 0, again.stdout
    assert (example_copy / ".artigov" / "audit.jsonl.1").read_bytes().endswith(torn)  # kept as evidence


def _unprivileged(run: Callable[[], dict[str, object]]) -> dict[str, object]:
    """``run()`` where permissions hold: in this process for a normal user; as root (CI), in a fork
    that became ``nobody`` first (root lists any folder), its answer sent back as JSON. The fork
    can import no module nobody cannot read (the interpreter may live under ``/root``): the caller
    runs the same commands once before, as itself, so their modules are loaded."""
    if os.geteuid() != 0:
        return run()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop to nobody, run, answer, and never return into pytest
        code = 1
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            os.write(write, json.dumps(run()).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    import select
    import signal

    data = b""
    with os.fdopen(read, "rb", buffering=0) as answer:
        while select.select([answer], [], [], 120)[0]:  # a fork stuck on a lock another thread held: killed
            chunk = answer.read(1 << 16)
            if not chunk:
                break
            data += chunk
        else:
            os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0 and data, "the unprivileged run failed"
    return dict(json.loads(data))


def test_a_folder_that_cannot_be_listed_is_a_finding_not_a_silent_loss() -> None:
    """A folder of artifacts without read permission (made by a container as root, say) was passed
    by in silence: validate, index rebuild and index update answered green with its artifacts gone
    from the index. Each now names the folder with S022 and exits 1, until it is readable again."""
    import tempfile

    from typer.testing import CliRunner

    from artigov.cli.app import app

    top = Path(tempfile.mkdtemp(prefix="agt-s022-", dir="/tmp"))  # nobody can reach it (tmp_path is private)
    try:
        top.chmod(0o755)
        ws = top / "workspace"
        shutil.copytree(Path(__file__).parents[1] / "examples/workspace", ws, ignore=shutil.ignore_patterns(".artigov"))
        subprocess.run(["chmod", "-R", "a+rwX", str(ws)], check=True)
        folder = "frameworks/fwk-001/plans/technical"
        hidden = sorted(p.name for p in (ws / folder).iterdir())
        actor = {"ARTIGOV_ACTOR": "tests@example.org"}

        def run() -> dict[str, object]:
            out: dict[str, object] = {}
            for name, args in (
                ("validate", ["validate"]),
                ("rebuild", ["index", "rebuild"]),
                ("update", ["index", "update"]),  # from the stat cache the rebuild left
            ):
                done = CliRunner(env=actor).invoke(app, [*args, "--format", "json", "--root", str(ws)])
                out[name] = [
                    done.exit_code,
                    done.output if isinstance(done.exception, (SystemExit, type(None))) else repr(done.exception),
                ]
            return out

        def adopt() -> dict[str, object]:
            done = CliRunner(env=actor).invoke(app, ["adopt", "-f", "fwk-001", "--root", str(ws)])
            return {"adopt": [done.exit_code, done.output]}

        before = run()  # readable: every artifact indexed (and, as root, the modules loaded for the fork)
        assert all(code == 0 for code, _ in before.values()), before
        adopted = adopt()["adopt"]
        assert isinstance(adopted, list) and adopted[0] == 0 and "0 cannot be adopted" in adopted[1], adopted
        assert all(f"{folder}/{name}" in (ws / "artifacts_index.json").read_text() for name in hidden)
        subprocess.run(["chmod", "-R", "a+rwX", str(ws)], check=True)  # what the run wrote: nobody's too
        (ws / folder).chmod(0)
        answers = _unprivileged(run)
        for name, (code, output) in answers.items():
            assert code == 1, (name, output)
            findings = {(f["code"], f["file"]) for f in json.loads(str(output))["findings"]}
            assert ("S022", folder) in findings, (name, output)
        index = (ws / "artifacts_index.json").read_text()
        assert hidden and not any(f"{folder}/{name}" in index for name in hidden)
        assert f"cannot adopt {folder}: S022" in str(_unprivileged(adopt)["adopt"])  # to fix, never skipped silently
        config = (ws / "artigov.yaml").read_text()
        (ws / "artigov.yaml").write_text(config + f"exclude:\n  - {folder}/**\n")  # left out on purpose: no finding
        validated = _unprivileged(run)["validate"]
        assert isinstance(validated, list) and validated[0] == 0, validated
        (ws / "artigov.yaml").write_text(config)
        (ws / folder).chmod(0o777)
        again = _unprivileged(run)
        assert all(code == 0 for code, _ in again.values()), again
        assert all(f"{folder}/{name}" in (ws / "artifacts_index.json").read_text() for name in hidden)
    finally:
        subprocess.run(["chmod", "-R", "u+rwX", str(top)], check=False)
        shutil.rmtree(top, ignore_errors=True)
