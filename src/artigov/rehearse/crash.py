"""The crash rehearsal: kill real writers on a copy of YOUR workspace and prove nothing is lost or torn.

It runs on a temporary copy of the current workspace (see
:mod:`artigov.rehearse.workspace`), never on the workspace itself.

Index writes: for every fault point x every operation (add, update, rebuild)
it runs the real command line in a subprocess that dies at that point, then
checks:

* the index is byte-identical to the old or the new version (never torn);
* when the journal record was durable, recovery alone gives the new version;
* ``artigov index recover`` leaves no pending journal and no temp file;
* re-running the operation gives an index byte-identical to a clean
  rebuild of the same files, and ``index verify`` passes.

Then it SIGKILLs index writers at random moments, with the same checks.

The record: for each framework with a passing gate, every file-system step of
``promote``, ``rollback``, ``prune --apply`` and ``approve`` (of a document in review, by its
accountable person with a throwaway key the copy's trust gives them) (numbered by ``fs_step`` in
:mod:`artigov.core`, the decision-log and operational-log appends included)
is crashed, and (unless ``--quick``) failed with ENOSPC and with EIO, each on a
fresh copy. After each: no traceback, the record verifies (or says V020 and
``repair-head`` mends it), and a re-run succeeds and verifies, with no temp file left in the
tree and the index in step with the files. Then the leftover case: a promotion crashed before its
commit point, then a pull that brings another clone's prune (lines appended to the decision log):
the next promote must keep every pulled line, set the leftover aside, and verify.

Run it with ``artigov rehearse crash`` (``invoke rehearse``, ``nox -s rehearse``).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from artigov.core import FAULT_EXIT_CODE, FAULT_POINTS
from artigov.rehearse._warm import active, run_cli
from artigov.rehearse.workspace import Rehearsal, RehearsalError, approve_again, cli_env, mutate_workspace, tail

__all__ = [
    "DURABLE_POINTS",
    "INDEX_POINTS",
    "OPERATIONS",
    "RECORD_MODES",
    "Row",
    "fault_matrix",
    "random_kills",
    "record_sweep",
    "render",
]

#: The fault points every index write passes, in order (from core's catalogue): the matrix kills each.
INDEX_POINTS = tuple(p.name for p in FAULT_POINTS if p.index_write)
#: Points where the journal record is already on disk: recovery alone must give the new index.
DURABLE_POINTS = frozenset(p.name for p in FAULT_POINTS if p.index_write and p.journal_durable)
#: ``update-edit``: only existing files are edited, so ``update`` patches the index in place.
OPERATIONS = ("add", "update", "update-edit", "rebuild")
#: How each file-system step of a record command is interrupted.
RECORD_MODES = ("crash", "enospc", "eio")


@dataclass
class Row:
    """One line of the crash table: a fault point, and how the runs killed there came out."""

    point: str
    op: str
    trials: int = 0
    recovered: int = 0
    identical: int = 0
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every killed run recovered to identical bytes."""
        return self.trials == self.recovered == self.identical and not self.problems


@dataclass(frozen=True)
class _Copies:
    """Where trials run: each on a fresh copy of ``base``, made under ``scratch``."""

    base: Path
    scratch: Path

    def fresh(self, name: str) -> Path:
        """A new copy of ``base`` named ``name``."""
        ws = self.scratch / name
        shutil.copytree(self.base, ws, symlinks=True)
        return ws


@dataclass(frozen=True)
class _Style:
    """How a record sweep interrupts: its modes (crash, enospc, eio), every step or only the
    :func:`chosen_steps` (``quick``), and where progress lines go."""

    modes: tuple[str, ...]
    quick: bool = False
    say: Callable[[str], None] | None = None


def _cli(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(args, cwd, cli_env(env))


def _op_args(op: str, touched: list[str]) -> list[str]:
    if op == "update-edit":
        return ["index", "update"]
    return ["index", op, *touched] if op == "add" else ["index", op]


def _prepare(ws: Path, op: str, seed: int) -> list[str]:
    """Change the copied workspace for ``op``; for ``update-edit``, first let the stat cache learn the
    copy (new inodes), so the edits that follow are all it sees."""
    if op == "update-edit":
        settled = _cli(["index", "update"], ws)
        if settled.returncode not in (0, 1):
            raise RuntimeError(f"settling update failed: {settled.stderr}")
        return mutate_workspace(ws, seed, edits_only=True)
    return mutate_workspace(ws, seed)


def _clean_rebuild(ws: Path) -> bytes:
    """The bytes a clean rebuild of these files gives, computed in-process (nothing written)."""
    from artigov.core import load_workspace
    from artigov.index import Index, scan

    entries = scan(load_workspace(ws)).entries
    return Index(entries).to_bytes()


def _leftovers(ws: Path) -> list[str]:
    from artigov.core import load_workspace

    loaded = load_workspace(ws)
    out = []
    journal = loaded.state_dir / "index.journal"
    if journal.exists() and journal.stat().st_size:
        out.append("pending journal")
    out.extend(p.name for p in loaded.index_path.parent.glob(f".{loaded.index_path.name}.tmp.*"))
    out.extend(p.name for p in loaded.state_dir.glob(".statcache.bin.tmp.*"))
    return out


def _index_bytes(ws: Path) -> bytes:
    from artigov.core import load_workspace

    path = load_workspace(ws).index_path
    return path.read_bytes() if path.is_file() else b""


def _trial(
    copies: _Copies, op: str, seed: int, *, point: str | None = None, kill_after: float | None = None
) -> tuple[bool, bool, list[str]]:
    """One crash trial of an index write; returns (recovered, identical, problems)."""
    ws = copies.fresh(f"ws-{op}-{point or 'kill'}-{seed}")
    problems: list[str] = []
    touched = _prepare(ws, op, seed)
    old = _index_bytes(ws)
    new = _clean_rebuild(ws)
    args = _op_args(op, touched)
    if point is not None:
        result = _cli(args, ws, {"ARTIGOV_FAULT": point})
        if result.returncode != FAULT_EXIT_CODE:
            problems.append(f"expected exit {FAULT_EXIT_CODE} at {point}, got {result.returncode}: {tail(result)}")
    else:
        runner = active()
        if runner is not None:
            forked = runner.start(args, ws, cli_env())
            time.sleep(kill_after or 0)
            with contextlib.suppress(ProcessLookupError):  # it may have ended already
                os.kill(forked.pid, signal.SIGKILL)
            forked.result(args)
        else:
            proc = subprocess.Popen(
                [sys.executable, "-m", "artigov.cli", *args],
                cwd=ws,
                env=cli_env(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(kill_after or 0)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    current = _index_bytes(ws)
    if current not in (old, new):
        problems.append("index is neither the old nor the new version (torn)")
    recovered = _cli(["index", "recover"], ws)
    after = _index_bytes(ws)
    ok_recovery = recovered.returncode == 0 and not _leftovers(ws)
    if not ok_recovery:
        problems.append(f"recover: exit {recovered.returncode}, leftovers {_leftovers(ws)} {tail(recovered)}")
    if point in DURABLE_POINTS and after != new:
        problems.append("journal was durable but recovery did not give the new index")
    if after not in (old, new):
        problems.append("after recovery the index is neither old nor new")
    rerun = _cli(args, ws)
    final = _index_bytes(ws)
    verify = _cli(["index", "verify", "--full"], ws)
    # A change may leave some artifacts invalid (an edit under a declared checksum): exit 1, not a crash.
    identical = rerun.returncode in (0, 1) and "Traceback" not in rerun.stderr and final == new
    identical = identical and verify.returncode == 0
    if not identical:
        problems.append(
            f"re-run exit {rerun.returncode}, verify exit {verify.returncode}, identical {final == new}: "
            f"{tail(rerun)} // {tail(verify)}"
        )
    shutil.rmtree(ws)
    return ok_recovery, identical, problems


def fault_matrix(
    base: Path, scratch: Path, *, trials: int = 1, quick: bool = False, say: Callable[[str], None] | None = None
) -> list[Row]:
    """Every fault point x every index operation on copies of ``base`` (a workspace with its index);
    with ``quick``, every fault point once, the operations taking turns."""
    scratch.mkdir(parents=True, exist_ok=True)
    copies = _Copies(base, scratch)
    rows = []
    for i, point in enumerate(INDEX_POINTS):
        for op in (OPERATIONS[i % len(OPERATIONS)],) if quick else OPERATIONS:
            row = Row(point, op)
            problems: list[str] = []
            for t in range(trials):
                rec, ident, probs = _trial(copies, op, 1 + t, point=point)
                row.trials += 1
                row.recovered += rec
                row.identical += ident
                problems.extend(probs)
            row.problems = tuple(problems)
            rows.append(row)
            if say is not None:
                say(f"  index {op} killed at {point}: {'held' if row.ok else 'PROBLEM'}")
    return rows


def random_kills(
    base: Path, scratch: Path, *, trials: int, seed: int = 0, say: Callable[[str], None] | None = None
) -> list[Row]:
    """SIGKILL index writers at random moments, on copies of ``base``; one row per operation."""
    rng = random.Random(seed)
    scratch.mkdir(parents=True, exist_ok=True)
    copies = _Copies(base, scratch)
    durations = {}
    for op in OPERATIONS:
        probe = copies.fresh(f"probe-{op}")
        touched = _prepare(probe, op, 10_000)
        start = time.monotonic()
        _cli(_op_args(op, touched), probe)
        durations[op] = time.monotonic() - start
        shutil.rmtree(probe)
    rows = {op: Row("random SIGKILL", op) for op in OPERATIONS}
    for t in range(trials):
        op = OPERATIONS[t % len(OPERATIONS)]
        delay = rng.uniform(0.0, durations[op] * 1.1)
        rec, ident, probs = _trial(copies, op, 100 + t, kill_after=delay)
        row = rows[op]
        row.trials += 1
        row.recovered += rec
        row.identical += ident
        row.problems = (*row.problems, *probs)
        if say is not None:
            say(f"  index {op} SIGKILLed after {delay:.3f} s: {'held' if not probs else 'PROBLEM'}")
    return list(rows.values())


# -- the record: every file-system step of promote and rollback ----------------------------------------

_CHECK = """
import json, sys
from pathlib import Path
from artigov.core import ArtigovError, configure_logging, load_workspace
from artigov.promote import VerificationError, repair_head, verify_snapshot
configure_logging("console", "error")
root, framework, index = Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "index"
try:
    try:
        head = verify_snapshot(load_workspace(root), framework).sequence
        repaired = False
    except VerificationError as e:
        if e.code != "V020":
            raise
        head, repaired = repair_head(load_workspace(root), framework).head, True
    state = {"ok": True, "head": head, "repaired": repaired}
    if index:
        from artigov.index import verify_by_stats
        ws = load_workspace(root)
        checked = verify_by_stats(ws)
        if not checked.ok:
            state["index"] = f"added {checked.added}, changed {checked.changed}, removed {checked.removed}"
    print(json.dumps(state))
except ArtigovError as e:
    print(json.dumps({"ok": False, "problem": str(e)}))
"""


def _record_check(ws: Path, framework: str, *, index: bool = False) -> dict[str, object]:
    """Does the framework's record verify (after ``repair-head`` where it says V020)? With ``index``,
    also: is the index in step with the files (``index verify``), in the same process."""
    done = run_cli([str(ws), framework, "index" if index else "-"], ws, cli_env(), code=_CHECK)
    try:
        value: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"ok": False, "problem": f"record check crashed: {tail(done, 8)}"}
    return value


def _record_trial(copies: _Copies, args: list[str], framework: str, step: int, mode: str) -> list[str]:
    """One interrupted record command on a fresh copy; the problems found (none: it held)."""
    ws = copies.fresh(f"rec-{step}-{mode}")
    try:
        done = _cli(args, ws, {"ARTIGOV_FAULT_STEP": str(step), "ARTIGOV_FAULT_MODE": mode})
        where = f"{' '.join(args[:1])} step {step} {mode}"
        problems = []
        if "Traceback" in done.stderr:
            problems.append(f"{where}: traceback: {tail(done, 8)}")
        allowed = (FAULT_EXIT_CODE,) if mode == "crash" else (0, 1, 2)  # 0: a failed cleanup step
        if done.returncode not in allowed:
            problems.append(f"{where}: exit {done.returncode} (want {allowed}): {tail(done)}")
        state = _record_check(ws, framework)
        if not state["ok"]:
            problems.append(f"{where}: the record does not verify: {state['problem']}")
        again = _cli(args, ws)
        if again.returncode != 0:
            problems.append(f"{where}: the re-run failed (exit {again.returncode}): {tail(again)}")
        final = _record_check(ws, framework, index=True)
        if not final["ok"] or final.get("repaired"):
            problems.append(f"{where}: after the re-run the record does not verify: {final}")
        if final.get("index"):
            problems.append(f"{where}: after the re-run the index is out of step: {final['index']}")
        problems += [f"{where}: after the re-run: {p}" for p in _temp_files(ws)]
        return problems
    finally:
        shutil.rmtree(ws, ignore_errors=True)


def _temp_files(ws: Path) -> list[str]:
    """A temp file left in the tree (outside the state folder)."""
    return [
        f"{p.relative_to(ws)} was left behind"
        for p in ws.rglob("*")
        if ".tmp." in p.name and ".artigov" not in p.relative_to(ws).parts and p.is_file()
    ]


#: A record command's commit points: the decision-log append and the renames or deletions that make
#: its outcome the record's. A quick sweep crashes at each, and at the step after it.
COMMIT_OPS = ("decisions-append", "snapshot-rename", "restore-rename", "prune-delete")


def command_steps(copies: _Copies, args: list[str]) -> tuple[list[str], subprocess.CompletedProcess[str]]:
    """The file-system steps (their names, in order) an uninterrupted run of ``args`` takes on a fresh
    copy (``ARTIGOV_FAULT_TRACE``), and how that run ended."""
    probe, trace = copies.fresh("probe"), copies.scratch / "probe.trace"
    try:
        done = _cli(args, probe, {"ARTIGOV_FAULT_TRACE": str(trace)})
        lines = trace.read_text("utf-8").splitlines() if trace.is_file() else []
        return [line.split(" ", 1)[1] for line in lines], done
    finally:
        shutil.rmtree(probe, ignore_errors=True)
        trace.unlink(missing_ok=True)


def chosen_steps(ops: list[str], quick: bool) -> list[int]:
    """Every step (1-based); or with ``quick``, around each commit point (:data:`COMMIT_OPS`; a run of
    the same one, such as one rename per restored file, counts once): the step that would do it and
    the step after it (the last step when no commit point is found)."""
    if not quick:
        return list(range(1, len(ops) + 1))
    chosen: set[int] = set()
    for i, op in enumerate(ops, start=1):
        if op not in COMMIT_OPS:
            continue
        if i == 1 or ops[i - 2] != op:
            chosen.add(i)  # before the first of a run
        if i == len(ops) or ops[i] != op:
            chosen.add(min(i + 1, len(ops)))  # after the last of it
    return sorted(chosen or {len(ops)})


def _sweep(copies: _Copies, args: list[str], framework: str, label: str, style: _Style) -> list[Row]:
    """Crash (and fail) the steps of the command ``args`` (every one; or with ``style.quick``, the
    :func:`chosen_steps`) on fresh copies."""
    modes, quick, say = style.modes, style.quick, style.say
    copies.scratch.mkdir(parents=True, exist_ok=True)
    point = f"{'commit points' if quick else 'every step'} ({label})"
    rows = {mode: Row(point, mode) for mode in modes}
    ops, reached = command_steps(copies, args)
    if reached.returncode != 0:
        rows[modes[0]].problems += (f"{label}: the uninterrupted run failed: {tail(reached)}",)
        return list(rows.values())
    steps = chosen_steps(ops, quick)
    for n, step in enumerate(steps, start=1):
        for mode in modes:
            problems = _record_trial(copies, args, framework, step, mode)
            row = rows[mode]
            row.trials += 1
            row.recovered += not problems
            row.identical += not problems
            row.problems = (*row.problems, *problems)
        if say is not None:
            failed = sum(len(r.problems) for r in rows.values())
            say(f"  {label}: step {step} ({ops[step - 1]}) [{n}/{len(steps)}]{' PROBLEM' if failed else ''}")
    return list(rows.values())


def record_sweep(
    run: Rehearsal,
    scratch: Path,
    *,
    modes: tuple[str, ...] = RECORD_MODES,
    quick: bool = False,
    say: Callable[[str], None] | None = None,
) -> list[Row]:
    """For each framework with a passing gate: the steps of promote, rollback, prune and approve,
    interrupted (every step; with ``quick``, the :func:`chosen_steps`), and the leftover case."""
    rows: list[Row] = []
    for framework, gate in sorted(run.gates.items()):
        rows += _framework_sweep(run, scratch, framework, gate, _Style(modes, quick, say))
    return rows


def _framework_sweep(run: Rehearsal, scratch: Path, framework: str, gate: str, style: _Style) -> list[Row]:
    """One framework's record sweep (see :func:`record_sweep`)."""
    template = _Copies(run.ws, scratch).fresh(f"template-{framework}")
    say = style.say

    on_template = _Copies(template, scratch)

    def sweep(args: list[str], label: str) -> list[Row]:
        return _sweep(on_template, args, framework, f"{framework} {label}", style)

    _must(_cli(["promote", "-f", framework, "-g", gate], template), f"{framework}: first promote")
    start = _head(template, framework)
    edit_first_input(template, framework, run)
    _must(_cli(["index", "update"], template, None), f"{framework}: index update", allowed=(0, 1))
    promote = ["promote", "-f", framework, "-g", gate]
    rows = sweep(promote, "promote")
    _must(_cli(promote, template), f"{framework}: second promote")
    rows += sweep(["rollback", "-f", framework, "--to", str(start), "--reason", "rehearsal"], "rollback")
    # A third snapshot and keep_last 1 (in the copy's contract only), so prune has one to delete:
    # the head and the gate's previous good snapshot (its rollback target) are always kept.
    edit_first_input(template, framework, run)
    _must(_cli(["index", "update"], template), f"{framework}: index update", allowed=(0, 1))
    _must(_cli(promote, template), f"{framework}: third promote")
    _keep_last_one(template, framework)
    rows += sweep(["prune", "-f", framework, "--apply"], "prune")
    rows.append(_leftover_after_pull(run, on_template, framework, gate))
    if say is not None:
        say(f"  {framework}: leftover + pulled prune {'held' if rows[-1].ok else 'PROBLEM'}")
    approve = _approvable(run, template, framework)
    if approve is not None:
        rows += sweep(approve, "approve")
    shutil.rmtree(template, ignore_errors=True)
    return rows


def _approvable(run: Rehearsal, ws: Path, framework: str) -> list[str] | None:
    """``approve`` of the first document of ``framework`` in review, by the first person accountable
    for its kind, signing with their rehearsal key (given to them by a trust version of the copy);
    None when no document waits for approval."""
    from artigov.contract import load_contract
    from artigov.core import load_workspace
    from artigov.index import read_index

    loaded = load_workspace(ws)
    contract = load_contract(loaded, framework)
    entries = read_index(loaded).entries
    for path, entry in sorted(entries.items()):
        who = contract.accountable(entry["kind"])
        if entry["framework"] == framework and entry["status"] == "review" and who and who[0] in run.people:
            return ["approve", path, "--as", who[0], "--key", run.people[who[0]]]
    return None


def _leftover_after_pull(run: Rehearsal, copies: _Copies, framework: str, gate: str) -> Row:
    """A promotion crashed before its commit point; then a pull brings another clone's prune (its
    lines appended to the decision log). The next promote keeps every pulled line and sets the
    leftover aside; the record verifies."""
    row = Row("leftover + pulled prune", "promote", trials=1)
    ws, other = copies.fresh(f"leftover-{framework}"), copies.fresh(f"leftover-{framework}-other")
    try:
        problems = []
        _must(_cli(["prune", "-f", framework, "--apply"], other), "the other clone's prune")
        edit_first_input(ws, framework, run)
        _cli(["index", "update"], ws)
        crashed = _cli(["promote", "-f", framework, "-g", gate], ws, {"ARTIGOV_FAULT": "after-signature"})
        if crashed.returncode != FAULT_EXIT_CODE:
            problems.append(f"the promotion did not crash where asked (exit {crashed.returncode})")
        _pull_record(other, ws, framework)
        pulled = _decisions(ws, framework)
        done = _cli(["promote", "-f", framework, "-g", gate], ws)
        if done.returncode != 0:
            problems.append(f"promote after the pull failed: {tail(done)}")
        if not _decisions(ws, framework).startswith(pulled):
            problems.append("lines pulled from the other clone were cut from the decision log")
        state = _record_check(ws, framework)
        if not state["ok"] or state.get("repaired"):
            problems.append(f"the record does not verify: {state}")
        row.recovered = row.identical = int(not problems)
        row.problems = tuple(problems)
        return row
    finally:
        shutil.rmtree(ws, ignore_errors=True)
        shutil.rmtree(other, ignore_errors=True)


def _decisions(ws: Path, framework: str) -> bytes:
    from artigov.core import load_workspace
    from artigov.promote import SnapshotStore

    return SnapshotStore(load_workspace(ws), framework).decisions_path.read_bytes()


def _pull_record(source: Path, ws: Path, framework: str) -> None:
    """What ``git pull`` of a fast-forward brings of a framework's record (temp folders are ignored)."""
    from artigov.core import load_workspace
    from artigov.promote import SnapshotStore

    theirs, ours = SnapshotStore(load_workspace(source), framework), SnapshotStore(load_workspace(ws), framework)
    pairs = [(ours.decisions_path, theirs.decisions_path), (ours.head_path, theirs.head_path)]
    for mine, pulled in [*pairs, (ours.pruned_path, theirs.pruned_path)]:
        if pulled.exists():
            mine.unlink(missing_ok=True)
            shutil.copy2(pulled, mine)
    for seq in ours.sequences():
        if seq not in theirs.sequences():
            shutil.rmtree(ours.seq_dir(seq))


def _keep_last_one(ws: Path, framework: str) -> None:
    import yaml

    from artigov.contract import contract_path
    from artigov.core import load_workspace, load_yaml

    path = contract_path(load_workspace(ws), framework)
    contract = load_yaml(path.read_text("utf-8"))
    contract["retention"] = {"keep_last": 1}
    path.write_text(yaml.safe_dump(contract, sort_keys=False, allow_unicode=True), "utf-8")


def _must(done: subprocess.CompletedProcess[str], what: str, allowed: tuple[int, ...] = (0,)) -> None:
    if done.returncode not in allowed:
        raise RehearsalError(f"rehearsal setup: {what} failed (exit {done.returncode}): {tail(done)}")


def _head(ws: Path, framework: str) -> int:
    from artigov.core import load_workspace
    from artigov.promote import SnapshotStore

    head = SnapshotStore(load_workspace(ws), framework).head()
    return head.sequence if head else 0


def edit_first_input(ws: Path, framework: str, run: Rehearsal | None = None) -> str:
    """Append a line to the head snapshot's first input (keeping a declared checksum true), so the
    next promotion has a change to sign: the path changed. With ``run``, an approved input is then
    approved again by its approvers through the real ``approve`` (:func:`approve_again`), so the
    gate passes where approvals must be signed.

    Raises:
        RehearsalError: the approval of the edit failed (the line says why).
    """
    from artigov.core import load_workspace
    from artigov.promote import SnapshotStore

    store = SnapshotStore(load_workspace(ws), framework)
    head = store.head()
    if head is None:
        raise RuntimeError(f"{framework} has no snapshot to change")
    item = store.manifest(head.sequence).inputs[0]
    rel, meta = item.path, item.meta
    with open(ws / rel, "ab") as f:
        f.write(b"\nRevised in rehearsal.\n")
    _restamp(ws, rel, str(meta) if meta else None)
    if run is not None:
        problem = approve_again(run, ws, rel, str(meta) if meta else None)
        if problem:
            raise RehearsalError(f"rehearsal: {problem}")
    return rel


def _restamp(ws: Path, rel: str, meta: str | None) -> None:
    """Keep the declared ``checksum:`` of an artifact whose content changed true, as an author who
    re-stamps it would: the loader says what the content hashes to now."""
    from artigov.schema import ArtifactLoadError, ArtifactUnit, load_unit

    try:
        artifact = load_unit(ws, ArtifactUnit(rel, meta))
    except ArtifactLoadError:
        return  # not loadable: nothing to re-stamp (validation reports it)
    declared = artifact.metadata.get("checksum")
    if isinstance(declared, str) and declared != artifact.checksum:
        source = ws / (meta or rel)  # the metadata comes first in a frontmatter file: never the body
        source.write_bytes(source.read_bytes().replace(declared.encode(), artifact.checksum.encode(), 1))


def render(rows: list[Row]) -> str:
    """The crash table as text."""
    width = max([26, *(len(r.point) + 2 for r in rows)])
    header = f"{'point':<{width}}{'operation':<12}{'trials':>7}{'recovered':>11}{'identical':>11}"
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(f"{r.point:<{width}}{r.op:<12}{r.trials:>7}{r.recovered:>11}{r.identical:>11}")
        lines.extend(f"    ! {p}" for p in r.problems[:3])
    return "\n".join(lines)
