from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BROKEN = REPO / "tests" / "data" / "broken"
Runner = Callable[..., subprocess.CompletedProcess[str]]

EXPECTED: dict[str, str] = json.loads((BROKEN / "expected.json").read_text())


def test_example_workspace_validates_clean(artigov: Runner, example_copy: Path) -> None:
    result = artigov("validate", "--root", example_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok" in result.stdout.splitlines()[-1]
    audit = [json.loads(line) for line in (example_copy / ".artigov" / "audit.jsonl").read_text().splitlines()]
    assert audit[-1]["event"] == "command_completed" and audit[-1]["outcome"] == "ok"
    assert audit[-1]["command"] == "validate" and audit[-1]["data"]["events"]["validation_completed"] == 1
    assert audit[-1]["actor"] == "tests@example.org"


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_each_broken_case_exits_1_with_one_line_naming_file_and_problem(
    artigov: Runner, tmp_path: Path, case: str
) -> None:
    ws = tmp_path / "broken"
    shutil.copytree(BROKEN, ws)
    result = artigov("validate", f"artifacts/{case}", cwd=ws)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    finding_lines = result.stdout.splitlines()[:-1]
    assert len(finding_lines) == 1, result.stdout
    line = finding_lines[0]
    assert line.startswith(f"artifacts/{case}") or case.endswith("/")
    assert f" {EXPECTED[case]} " in line
    assert "(fix: " in line


def test_json_output_has_the_documented_shape(artigov: Runner, tmp_path: Path) -> None:
    ws = tmp_path / "broken"
    shutil.copytree(BROKEN, ws)
    result = artigov(
        "validate", "--format", "json", "artifacts/version-float.md", "artifacts/status-unknown.md", cwd=ws
    )
    assert result.returncode == 1
    payload = json.loads(result.stdout)
    assert set(payload) == {
        "command",
        "format_version",
        "ok",
        "checked",
        "valid",
        "skipped",
        "skipped_reasons",
        "findings",
    }
    assert payload["ok"] is False and payload["checked"] == 2
    finding = payload["findings"][0]
    assert set(finding) == {"code", "name", "file", "line", "pointer", "message", "fix"}
    assert finding["name"] == "schema-violation"


def test_whole_broken_workspace_reports_every_case(artigov: Runner, tmp_path: Path) -> None:
    ws = tmp_path / "broken"
    shutil.copytree(BROKEN, ws)
    payload = json.loads(artigov("validate", "--format", "json", cwd=ws).stdout)
    files = {f["file"] for f in payload["findings"]}
    for case in EXPECTED:
        assert any(f.startswith(f"artifacts/{case}") for f in files), case


def test_no_workspace_is_exit_2_and_one_line(artigov: Runner, tmp_path: Path) -> None:
    result = artigov("validate", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "artigov.yaml" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_config_is_exit_2_naming_the_field(artigov: Runner, tmp_path: Path) -> None:
    (tmp_path / "artigov.yaml").write_text("index: ../escape.json\n")
    result = artigov("validate", cwd=tmp_path)
    assert result.returncode == 2
    assert "field `index`" in result.stderr and "escapes the workspace" in result.stderr


def test_unknown_format_is_a_usage_error(artigov: Runner, example_copy: Path) -> None:
    result = artigov("validate", "--format", "xml", "--root", example_copy)
    assert result.returncode == 2


def test_log_format_json_prints_json_lines_on_stderr(artigov: Runner, tmp_path: Path) -> None:
    ws = tmp_path / "broken"
    shutil.copytree(BROKEN, ws)
    result = artigov("--log-format", "json", "--log-level", "info", "validate", "artifacts/empty.md", cwd=ws)
    events = [json.loads(line) for line in result.stderr.splitlines()]
    assert {e["event"] for e in events} >= {"artifact_invalid", "validation_completed"}


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys\nfrom artigov.cli.app import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('jsonschema', 'gnupg', 'yaml'))\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_completion_script_is_produced(artigov: Runner) -> None:
    result = artigov("--show-completion", "bash", env={"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"})
    assert result.returncode == 0
    assert "complete" in result.stdout and "artigov" in result.stdout.lower()


def test_route_check_example_is_clean_and_broken_pair_shows_every_code(artigov: Runner, example_copy: Path) -> None:
    clean = artigov("route", "check", "--root", example_copy)
    assert clean.returncode == 0, clean.stdout
    assert "0 conflicts" in clean.stdout
    broken = artigov("route", "check", "--root", REPO / "tests" / "data" / "routing", "--format", "json")
    assert broken.returncode == 1
    codes = sorted(f["code"] for f in json.loads(broken.stdout)["findings"])
    assert codes == [f"R00{i}" for i in range(1, 9)]


def test_route_fix_apply_then_check_is_clean(artigov: Runner, example_copy: Path) -> None:
    src = example_copy / "frameworks/fwk-001/plans/technical/tp-core-2.0.0.md"
    misplaced = example_copy / "frameworks/fwk-001/tp-core-2.0.0.md"
    src.rename(misplaced)
    assert artigov("route", "check", "--root", example_copy).returncode == 1
    dry = artigov("route", "fix", "--root", example_copy)
    assert (
        "planned: frameworks/fwk-001/tp-core-2.0.0.md -> frameworks/fwk-001/plans/technical/tp-core-2.0.0.md"
        in dry.stdout
    )
    assert misplaced.exists()
    applied = artigov("route", "fix", "--apply", "--root", example_copy)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert src.exists() and not misplaced.exists()
    assert artigov("route", "check", "--root", example_copy).returncode == 0
    resolved = artigov("route", "resolve", src, "--root", example_copy)
    assert resolved.stdout.strip() == "frameworks/fwk-001/plans/technical/tp-core-2.0.0.md"


def test_the_operational_log_gets_one_small_summary_per_run_not_one_event_per_finding(
    artigov: Runner, example_copy: Path
) -> None:
    """33,000 real files once made validate append 80 MB per run; now a run is one line."""
    folder = example_copy / "frameworks" / "fwk-001" / "broken"
    folder.mkdir()
    for i in range(300):
        (folder / f"b{i}.md").write_text(f"---\nid: b{i}\nversion: 1.10\n---\nbody\n")  # several findings each
    result = artigov("validate", "--root", example_copy)
    assert result.returncode == 1 and result.stdout.count("\n") > 300
    lines = (example_copy / ".artigov" / "audit.jsonl").read_bytes().splitlines()
    assert len(lines) == 1 and len(lines[0]) < 4096
    summary = json.loads(lines[0])
    assert summary["event"] == "command_completed" and summary["data"]["exit_code"] == 1
    assert summary["data"]["events"]["artifact_invalid"] >= 300
    subjects = [v["subject"] for v in summary["data"]["last"].values() if isinstance(v.get("subject"), str)]
    assert subjects and not any(s.startswith("/") for s in subjects)  # workspace-relative, never absolute


def test_a_run_whose_operational_log_cannot_be_written_fails(artigov: Runner, example_copy: Path) -> None:
    (example_copy / ".artigov" / "audit.jsonl").mkdir(parents=True)  # an append cannot succeed
    result = artigov("validate", "--root", example_copy)
    assert result.returncode == 1
    assert "could not write the operational log" in result.stderr and "Traceback" not in result.stderr


def test_a_frameworks_folder_that_is_a_symlink_to_outside_is_refused(
    artigov: Runner, example_copy: Path, tmp_path: Path
) -> None:
    """Its outside content is never indexed, stored or signed: validate names the link (S019)."""
    import shutil

    outside = tmp_path / "outside"
    shutil.move(str(example_copy / "frameworks"), outside)
    (example_copy / "frameworks").symlink_to(outside)
    result = artigov("validate", "--root", example_copy)
    assert result.returncode == 1 and "frameworks:" in result.stdout and "S019" in result.stdout
    rebuilt = artigov("index", "rebuild", "--root", example_copy)
    index = json.loads((example_copy / "artifacts_index.json").read_text())
    assert index["entries"] == {} and "Traceback" not in rebuilt.stderr


def test_a_fifo_or_a_device_link_is_refused_at_once_never_waited_on(artigov: Runner, example_copy: Path) -> None:
    import os

    folder = example_copy / "frameworks" / "fwk-001" / "config"
    os.mkfifo(folder / "pipe.md")
    (folder / "zero.md").symlink_to("/dev/zero")
    for args in (
        ["validate", "frameworks/fwk-001/config/pipe.md"],
        ["index", "add", "frameworks/fwk-001/config/pipe.md"],
        ["validate", "frameworks/fwk-001/config/zero.md"],
        ["route", "resolve", "frameworks/fwk-001/config/pipe.md"],
    ):
        result = artigov(*args, "--root", example_copy, cwd=example_copy)  # a hang would time out
        assert result.returncode == 1, args
        said = result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        # a FIFO is not a regular file; a link to /dev/zero leaves the workspace: never read either way
        assert ("not a regular file" in said) if "pipe" in args[-1] else ("S019" in said and "/dev/zero" in said)


def test_named_paths_never_read_through_a_symlink_leaving_the_workspace(
    artigov: Runner, example_copy: Path, tmp_path: Path
) -> None:
    """pre-commit names paths: a link to outside content is S019 for validate and index add, and
    never indexed (before, it was reported valid and its outside content indexed)."""
    outside = tmp_path / "outside.md"
    outside.write_text("---\nid: leak\nversion: '1'\nstatus: draft\nframework: fwk-001\nkind: runtime-config\n---\n")
    link = example_copy / "frameworks" / "fwk-001" / "config" / "link.md"
    link.symlink_to(outside)
    rel = "frameworks/fwk-001/config/link.md"
    for args in (["validate", rel], ["index", "add", rel], ["validate"]):
        result = artigov(*args, "--root", example_copy, cwd=example_copy)
        assert result.returncode == 1 and "S019" in result.stdout + result.stderr, (args, result.stdout)
    assert "leak" not in (example_copy / "artifacts_index.json").read_text()
    payload = json.loads(artigov("validate", "--format", "json", "--root", example_copy).stdout)
    assert [f["file"] for f in payload["findings"]] == [rel]


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("deep.bin.meta.json", "[" * 100_000 + "]" * 100_000, "J001"),
        (
            "big.md",
            "---\nid: big\nversion: " + "9" * 5000 + "\nstatus: draft\nframework: fwk-001\nkind: runtime-config\n---\n",
            "Y001",
        ),
    ],
)
def test_hostile_metadata_is_one_finding_never_a_traceback(
    artigov: Runner, example_copy: Path, name: str, content: str, code: str
) -> None:
    folder = example_copy / "frameworks" / "fwk-001" / "config"
    (folder / name).write_text(content)
    if name.endswith(".meta.json"):
        (folder / name.removesuffix(".meta.json")).write_bytes(b"\x00data")
    result = artigov("validate", "--root", example_copy)
    assert result.returncode == 1 and code in result.stdout and "Traceback" not in result.stderr
