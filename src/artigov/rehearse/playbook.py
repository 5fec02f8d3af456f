"""Rollback playbooks: rehearsal steps run through the real command line on a copy of your workspace.

artigov ships its playbooks (the top-level ``playbooks/*.yaml`` of its repository, inside the wheel
as ``artigov/rehearse/playbooks/``); a workspace adds its own as ``playbooks/*.yaml``. Each is checked against
``schemas/playbook.schema.json`` before anything runs (a bad step is one line
naming the file, the step and the fix) and then runs once for each framework
with a passing gate, each time on a fresh copy of the workspace (see
:mod:`artigov.rehearse.workspace`): ``{framework}`` and ``{gate}`` in its
strings stand for them. Snapshot numbers are relative to the head the
playbook starts from: 1 is the first snapshot it makes. Every ``promote``
step makes a snapshot: if nothing changed since the head, it first changes
the head's first input (``edit_input``). An edited input that was approved is
approved again by its approvers through the real ``approve``, with the
rehearsal's throwaway keys, wherever the contract checks approvals (signed
approvals required, or statements recorded), so every playbook passes with
``require_signed_approvals`` on or off.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artigov.core import FAULT_EXIT_CODE, FAULT_POINTS, ArtigovError, load_yaml, packaged_dir, packaged_schema
from artigov.rehearse.workspace import Rehearsal, RehearsalError

if TYPE_CHECKING:
    from artigov.promote import SnapshotStore

__all__ = ["Playbook", "PlaybookResult", "load_playbooks", "packaged_playbooks", "run_playbook"]


@dataclass(frozen=True)
class Playbook:
    """A rehearsal scenario: named steps, checked against playbook.schema.json."""

    name: str
    source: str  # where it came from, for messages
    steps: tuple[dict[str, Any], ...]


@dataclass
class PlaybookResult:
    """How a playbook ran: steps passed, and what went wrong."""

    name: str
    framework: str = ""
    steps: int = 0
    passed: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every step passed."""
        return self.steps == self.passed and not self.problems


def _schema() -> dict[str, Any]:
    return packaged_schema("artigov.rehearse", "playbook.schema.json")


#: A checkout's playbooks (an editable install runs from ``src/``); a wheel carries them in the package.
_CHECKOUT_PLAYBOOKS = Path(__file__).resolve().parents[3] / "playbooks"


def packaged_playbooks() -> list[Path]:
    """The playbooks shipped with artigov: the checkout's top-level folder, else the wheel's copy."""
    in_checkout = Path(__file__).resolve().parents[2].name == "src" and _CHECKOUT_PLAYBOOKS.is_dir()
    folder = _CHECKOUT_PLAYBOOKS if in_checkout else packaged_dir("artigov.rehearse", "playbooks")
    return sorted(p for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_playbook(path: Path, label: str | None = None) -> Playbook:
    """Read and schema-check one playbook.

    Raises:
        RehearsalError: unreadable, not YAML, or a step the schema refuses (the line names the step).
    """
    from jsonschema import Draft202012Validator

    where = label or str(path)
    try:
        spec = load_yaml(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise RehearsalError(f"{where}: cannot read the playbook: {e}", fix="fix or remove the file") from None
    except ArtigovError as e:
        raise RehearsalError(f"{where}: {e.message}", fix=e.fix or "fix the YAML") from None
    errors = sorted(
        Draft202012Validator(_schema()).iter_errors(spec), key=lambda e: (len(e.absolute_path), str(e.absolute_path))
    )
    if errors:
        err = errors[0]
        at = "/".join(str(p) for p in err.absolute_path) or "(top)"
        raise RehearsalError(
            f"{where}: {at}: {err.message}",
            fix="write it as schemas/playbook.schema.json says (steps: promote, edit_input, edit, tamper, crash, "
            "run, replay, verify, check_triggers, rollback, record, assert_same, note)",
        )
    _check_points(where, spec["steps"])
    return Playbook(spec["name"], where, tuple(spec["steps"]))


def _check_points(where: str, steps: list[dict[str, Any]]) -> None:
    """Refuse a ``crash`` step whose point no writer has (it would never stop the command).

    Raises:
        RehearsalError: naming the step and the points there are.
    """
    names = [p.name for p in FAULT_POINTS]
    for number, step in enumerate(steps):
        point = step.get("crash", {}).get("point")
        if point is not None and point not in names:
            raise RehearsalError(
                f"{where}: steps/{number}/crash/point: no fault point is named {point!r}",
                fix=f"use one of {', '.join(names)} (README: Fault injection)",
            )


def load_playbooks(source: Path, only: Sequence[Path] | None = None) -> list[Playbook]:
    """The packaged playbooks and the workspace's own ``playbooks/*.yaml`` (or just ``only``)."""
    if only:
        return [load_playbook(p) for p in only]
    own = sorted((source / "playbooks").glob("*.yaml")) if (source / "playbooks").is_dir() else []
    found = [load_playbook(p, f"artigov:playbooks/{p.name}") for p in packaged_playbooks()]
    found += [load_playbook(p, f"playbooks/{p.name}") for p in own]
    names = [p.name for p in found]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise RehearsalError(
            f"two playbooks are named {', '.join(duplicated)}", fix="give the workspace's playbook another name"
        )
    return found


class _Run:
    def __init__(self, run: Rehearsal, framework: str, gate: str) -> None:
        self.run, self.framework, self.gate = run, framework, gate
        self.ws = run.ws
        self.states: dict[str, dict[str, Any]] = {}
        self.base = self._head_sequence()

    def cli(self, *args: str, env: dict[str, str] | None = None) -> Any:
        return self.run.cli(*args, env=env)

    def fill(self, value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("{framework}", self.framework).replace("{gate}", self.gate)
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        return value

    def _store(self) -> SnapshotStore:
        from artigov.core import load_workspace
        from artigov.promote import SnapshotStore

        return SnapshotStore(load_workspace(self.ws), self.framework)

    def _head_sequence(self) -> int:
        head = self._store().head()
        return head.sequence if head else 0

    def absolute(self, relative: int) -> int:
        return self.base + relative

    def state(self) -> dict[str, Any]:
        store = self._store()
        head = store.head()
        inputs = store.manifest(head.sequence).inputs if head else ()
        files = {}
        for item in inputs:
            path = self.ws / item.path
            files[item.path] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
        index = store.ws.index_path
        decisions = store.decisions_path
        return {
            "files": files,
            "index": index.read_bytes() if index.is_file() else b"",
            "head": inputs,
            "decisions": decisions.read_bytes() if decisions.is_file() else b"",
        }

    def _promote(self, arg: dict[str, Any]) -> str | None:
        key = self.run.keys[arg.get("key", "trusted")]
        gate = arg.get("gate", self.gate)
        want = arg.get("expect_exit", 0)
        before = self._head_sequence()
        r = self.cli("promote", "-f", self.framework, "-g", gate, "--key", key)
        if r.returncode == 0 and want == 0 and self._head_sequence() == before:  # nothing changed: change it
            problem = self._edit_input()
            if problem:
                return problem
            r = self.cli("promote", "-f", self.framework, "-g", gate, "--key", key)
        return None if r.returncode == want else f"promote exit {r.returncode} (want {want}): {r.stdout}{r.stderr}"

    def _edit_input(self, reindex: bool = True) -> str | None:
        from artigov.rehearse.crash import edit_first_input

        if self._store().head() is None:
            return None  # nothing promoted yet: the first promotion has its inputs as they are
        edit_first_input(self.ws, self.framework, self.run)  # approved again where approvals are checked
        if not reindex:
            return None
        r = self.cli("index", "update")
        return None if r.returncode in (0, 1) else f"index update exit {r.returncode}: {r.stdout}{r.stderr}"

    def step(self, step: dict[str, Any]) -> str | None:
        """Run one step; return a problem or None."""
        kind, arg = next(iter(self.fill(step).items()))
        run = getattr(self, f"_step_{kind}", None)
        if run is None:  # pragma: no cover - the schema allows no other
            return f"unknown step {kind!r}"
        problem: str | None = run(arg)
        return problem

    @staticmethod
    def _exit(what: str, r: Any, want: int = 0) -> str | None:
        return None if r.returncode == want else f"{what} exit {r.returncode}: {r.stdout}{r.stderr}"

    def _step_note(self, _: Any) -> str | None:
        return None

    def _step_promote(self, arg: Any) -> str | None:
        return self._promote(arg)

    def _step_edit_input(self, arg: dict[str, Any]) -> str | None:
        return self._edit_input(arg.get("reindex", True))

    def _step_edit(self, arg: dict[str, Any]) -> str | None:
        path = self.ws / arg["path"]
        text = path.read_text("utf-8")
        if arg["replace"] not in text:
            return f"edit: {arg['replace']!r} not found in {arg['path']}"
        path.write_text(text.replace(arg["replace"], arg["with"], 1), "utf-8")
        return self._exit("index update", self.cli("index", "update")) if arg.get("reindex") else None

    def _step_tamper(self, arg: dict[str, Any]) -> str | None:
        return self._tamper(arg["target"], arg.get("snapshot"))

    def _step_run(self, arg: dict[str, Any]) -> str | None:
        return self._exit(str(arg["command"]), self.cli(*arg["command"]), arg.get("expect_exit", 0))

    def _step_crash(self, arg: dict[str, Any]) -> str | None:
        r = self.cli(*arg["command"], env={"ARTIGOV_FAULT": arg["point"]})
        if r.returncode != FAULT_EXIT_CODE:
            return f"crash at {arg['point']}: exit {r.returncode}, want {FAULT_EXIT_CODE}: {r.stdout}{r.stderr}"
        return None

    def _step_replay(self, arg: dict[str, Any]) -> str | None:
        return self._replay(self.absolute(arg["to"]))

    def _step_verify(self, arg: dict[str, Any]) -> str | None:
        return self._verify(arg)

    def _step_check_triggers(self, arg: dict[str, Any]) -> str | None:
        return self._triggers(arg)

    def _step_rollback(self, arg: dict[str, Any]) -> str | None:
        args = ["rollback", "-f", self.framework, "--key", self.run.keys["trusted"], "--reason", "rehearsal"]
        if "to" in arg:
            args += ["--to", str(self.absolute(arg["to"]))]
        return self._exit("rollback", self.cli(*args))

    def _step_record(self, arg: str) -> str | None:
        self.states[arg] = self.state()
        return None

    def _step_assert_same(self, arg: dict[str, Any]) -> str | None:
        if arg["as"] not in self.states:
            return f"no state recorded as {arg['as']!r}"
        now, then = self.state(), self.states[arg["as"]]
        diff = [part for part in arg.get("parts", ["files", "index", "head"]) if now[part] != then[part]]
        return f"differs from {arg['as']!r} in: {', '.join(diff)}" if diff else None

    def _verify(self, arg: dict[str, Any]) -> str | None:
        args = ["verify", "-f", self.framework, "--format", "json"]
        if "snapshot" in arg:
            args += ["--snapshot", str(self.absolute(arg["snapshot"]))]
        r = self.cli(*args)
        try:
            payload = json.loads(r.stdout)
        except ValueError:
            return f"verify printed no JSON: {r.stdout}{r.stderr}"
        got = "ok" if payload.get("ok") else payload.get("code")
        want = arg.get("expect", "ok")
        return None if got == want else f"verify gave {got} ({payload.get('message')}), want {want}"

    def _triggers(self, arg: dict[str, Any]) -> str | None:
        from artigov.contract import load_contract
        from artigov.core import load_workspace

        configured = {t.on for t in load_contract(load_workspace(self.ws), self.framework).triggers}
        r = self.cli("triggers", "-f", self.framework, "--format", "json")
        try:
            fired = sorted(t["on"] for t in json.loads(r.stdout)["fired"] if t["on"] in configured)
        except (ValueError, KeyError):
            return f"triggers printed no JSON: {r.stdout}{r.stderr}"
        want = sorted(set(arg.get("expect_fired", [])) & configured)
        return None if fired == want else f"triggers fired {fired}, want {want} (configured: {sorted(configured)})"

    def _replay(self, to: int) -> str | None:
        from artigov.core import digest_bytes
        from artigov.promote import Head

        store = self._store()
        digest = digest_bytes(store.manifest_bytes(to))
        store.head_path.write_bytes(Head(to, digest).with_gate(store.manifest(to).gate, to, digest).to_bytes())
        return None

    def _tamper(self, target: str, snapshot: int | None) -> str | None:
        store = self._store()
        sequence = self.absolute(snapshot) if snapshot else self._head_sequence()
        folder = store.seq_dir(sequence)
        from artigov.promote import MANIFEST_NAME, SIGNATURE_NAME, ObjectStore

        if target == "object":
            path = ObjectStore(store.ws).path_for(store.manifest(sequence).inputs[0].object)
        else:
            path = folder / (MANIFEST_NAME if target == "manifest" else SIGNATURE_NAME)
        path.chmod(0o644)
        data = bytearray(path.read_bytes())
        offset = len(data) // 2 if target != "signature" else data.index(b"\n\n") + 12
        data[offset] = ord("A") if data[offset] != ord("A") else ord("B")
        path.write_bytes(bytes(data))
        return None


def run_playbook(playbook: Playbook, prepared: Rehearsal, framework: str, gate: str, scratch: Path) -> PlaybookResult:
    """Run one playbook for one framework on a fresh copy of the prepared rehearsal workspace."""
    result = PlaybookResult(playbook.name, framework)
    copy = scratch / f"pb-{playbook.name}-{framework}"
    shutil.copytree(prepared.ws, copy, symlinks=True)
    copied = Rehearsal(prepared.source, copy, prepared.home, prepared.keys, prepared.gates, prepared.people)
    run = _Run(copied, framework, gate)
    try:
        for i, step in enumerate(playbook.steps, start=1):
            result.steps += 1
            try:
                problem = run.step(step)
            except (OSError, ValueError, KeyError, ArtigovError) as e:
                problem = f"{type(e).__name__}: {e}"
            if problem:
                result.problems.append(f"step {i} {next(iter(step))}: {problem.strip()[:400]}")
                break
            result.passed += 1
    finally:
        shutil.rmtree(copy, ignore_errors=True)
    return result


def render(results: list[PlaybookResult]) -> str:
    """The playbook results as a text table (name and framework, steps, passed)."""
    width = max([10, *(len(f"{r.name} ({r.framework})") + 2 for r in results)])
    lines = [f"{'playbook':<{width}}{'steps':>6}{'passed':>8}", "-" * (width + 14)]
    for r in results:
        lines.append(f"{f'{r.name} ({r.framework})':<{width}}{r.steps:>6}{r.passed:>8}")
        lines.extend(f"    ! {p}" for p in r.problems)
    return "\n".join(lines)
