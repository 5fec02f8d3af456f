"""The crash rehearsal: kill real index writers and prove nothing is lost or torn.

For every fault point x every operation (add, update, rebuild) it runs the
real command line in a subprocess that dies at that point, then checks:

* the index is byte-identical to the old or the new version (never torn);
* when the journal record was durable, recovery alone gives the new version;
* ``artigov index recover`` leaves no pending journal and no temp file;
* re-running the operation gives an index byte-identical to a clean
  rebuild of the same files, and ``index verify`` passes.

Then it SIGKILLs writers at random moments during real writes of a larger
workspace, with the same checks. Run it with ``nox -s rehearse -- crash`` or
``python -m artigov.rehearse.crash``.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from artigov.core.faults import FAULT_EXIT_CODE
from artigov.index.testing import mutate, synth_workspace

__all__ = ["DURABLE_POINTS", "FAULT_POINTS", "OPERATIONS", "Row", "fault_matrix", "main", "random_kills"]

FAULT_POINTS = (
    "after-lock",
    "after-journal-append",
    "mid-temp-write",
    "after-temp-fsync",
    "after-rename",
    "before-journal-truncate",
)
#: Points where the journal record is already on disk: recovery alone must give the new index.
DURABLE_POINTS = frozenset(FAULT_POINTS[1:])
#: ``update-edit``: only existing files are edited, so ``update`` patches the index in place.
OPERATIONS = ("add", "update", "update-edit", "rebuild")


@dataclass
class Row:
    point: str
    op: str
    trials: int = 0
    recovered: int = 0
    identical: int = 0
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.trials == self.recovered == self.identical and not self.problems


def _cli(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("ARTIGOV_FAULT")}
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "artigov.cli", *args],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _popen(args: list[str], cwd: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTIGOV_FAULT")}
    return subprocess.Popen(
        [sys.executable, "-m", "artigov.cli", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _op_args(op: str, touched: list[str]) -> list[str]:
    if op == "update-edit":
        return ["index", "update"]
    return ["index", op, *touched] if op == "add" else ["index", op]


def _prepare(ws: Path, op: str, seed: int, n: int) -> list[str]:
    """Change the copied workspace for ``op``; for ``update-edit``, first let the stat cache learn the
    copy (new inodes), so the edits that follow are all it sees."""
    if op == "update-edit":
        settled = _cli(["index", "update"], ws)
        if settled.returncode != 0:
            raise RuntimeError(f"settling update failed: {settled.stderr}")
        return mutate(ws, seed, n_existing=n, edits_only=True)
    return mutate(ws, seed, n_existing=n)


def _clean_rebuild(ws: Path) -> bytes:
    """The bytes a clean rebuild of these files gives, computed in-process (nothing written)."""
    from artigov.core.workspace import load_workspace
    from artigov.index.model import Index
    from artigov.index.ops import scan

    entries = scan(load_workspace(ws)).entries
    return Index(entries).to_bytes()


def _leftovers(ws: Path) -> list[str]:
    out = []
    journal = ws / ".artigov" / "index.journal"
    if journal.exists() and journal.stat().st_size:
        out.append("pending journal")
    out.extend(p.name for p in ws.glob(".artifacts_index.json.tmp.*"))
    out.extend(p.name for p in (ws / ".artigov").glob(".statcache.bin.tmp.*"))
    return out


def _trial(
    base: Path, scratch: Path, op: str, seed: int, n: int, *, point: str | None = None, kill_after: float | None = None
) -> tuple[bool, bool, list[str]]:
    """One crash trial; returns (recovered, identical, problems)."""
    ws = scratch / f"ws-{op}-{point or 'kill'}-{seed}"
    shutil.copytree(base, ws)
    problems: list[str] = []
    touched = _prepare(ws, op, seed, n)
    old = (ws / "artifacts_index.json").read_bytes()
    new = _clean_rebuild(ws)
    args = _op_args(op, touched)
    if point is not None:
        result = _cli(args, ws, {"ARTIGOV_FAULT": point})
        if result.returncode != FAULT_EXIT_CODE:
            problems.append(
                f"expected exit {FAULT_EXIT_CODE} at {point}, got {result.returncode}: {result.stderr[-300:]}"
            )
    else:
        proc = _popen(args, ws)
        time.sleep(kill_after or 0)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    current = (ws / "artifacts_index.json").read_bytes()
    if current not in (old, new):
        problems.append("index is neither the old nor the new version (torn)")
    recovered = _cli(["index", "recover"], ws)
    after = (ws / "artifacts_index.json").read_bytes()
    ok_recovery = recovered.returncode == 0 and not _leftovers(ws)
    if not ok_recovery:
        problems.append(f"recover: exit {recovered.returncode}, leftovers {_leftovers(ws)} {recovered.stderr[-300:]}")
    if point in DURABLE_POINTS and after != new:
        problems.append("journal was durable but recovery did not give the new index")
    if after not in (old, new):
        problems.append("after recovery the index is neither old nor new")
    rerun = _cli(args, ws)
    final = (ws / "artifacts_index.json").read_bytes()
    verify = _cli(["index", "verify"], ws)
    identical = rerun.returncode == 0 and final == new and verify.returncode == 0
    if not identical:
        problems.append(
            f"re-run exit {rerun.returncode}, verify exit {verify.returncode}, identical {final == new}: "
            f"{(rerun.stdout + rerun.stderr)[-300:]!r} / {verify.stdout[-300:]!r}"
        )
    shutil.rmtree(ws)
    return ok_recovery, identical, problems


def _base(scratch: Path, n: int) -> Path:
    base = synth_workspace(scratch / f"base-{n}", n)
    result = _cli(["index", "rebuild"], base)
    if result.returncode != 0:
        raise RuntimeError(f"initial rebuild failed: {result.stderr}")
    return base


def fault_matrix(scratch: Path, *, n: int = 60, trials: int = 1) -> list[Row]:
    """Every fault point x every operation, ``trials`` times each."""
    scratch.mkdir(parents=True, exist_ok=True)
    base = _base(scratch, n)
    rows = []
    for point in FAULT_POINTS:
        for op in OPERATIONS:
            row = Row(point, op)
            problems: list[str] = []
            for t in range(trials):
                rec, ident, probs = _trial(base, scratch, op, 1 + t, n, point=point)
                row.trials += 1
                row.recovered += rec
                row.identical += ident
                problems.extend(probs)
            row.problems = tuple(problems)
            rows.append(row)
    return rows


def random_kills(scratch: Path, *, trials: int, n: int, seed: int = 0) -> list[Row]:
    """SIGKILL writers at random moments; one row per operation."""
    rng = random.Random(seed)
    scratch.mkdir(parents=True, exist_ok=True)
    base = _base(scratch, n)
    durations = {}
    for op in OPERATIONS:
        probe = scratch / f"probe-{op}"
        shutil.copytree(base, probe)
        touched = _prepare(probe, op, 10_000, n)
        start = time.monotonic()
        _cli(_op_args(op, touched), probe)
        durations[op] = time.monotonic() - start
        shutil.rmtree(probe)
    rows = {op: Row("random SIGKILL", op) for op in OPERATIONS}
    for t in range(trials):
        op = OPERATIONS[t % len(OPERATIONS)]
        delay = rng.uniform(0.0, durations[op] * 1.1)
        rec, ident, probs = _trial(base, scratch, op, 100 + t, n, kill_after=delay)
        row = rows[op]
        row.trials += 1
        row.recovered += rec
        row.identical += ident
        row.problems = (*row.problems, *probs)
    return list(rows.values())


def render(rows: list[Row]) -> str:
    header = f"{'point':<26}{'operation':<10}{'trials':>7}{'recovered':>11}{'identical':>11}"
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(f"{r.point:<26}{r.op:<10}{r.trials:>7}{r.recovered:>11}{r.identical:>11}")
        lines.extend(f"    ! {p}" for p in r.problems[:3])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="artigov-crash-rehearsal", description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=200, help="random SIGKILL trials (default 200)")
    parser.add_argument("--artifacts", type=int, default=2000, help="workspace size for the random kills")
    parser.add_argument("--fault-trials", type=int, default=1, help="trials per fault point and operation")
    parser.add_argument("--quick", action="store_true", help="CI size: every point once, 20 kills of 500 artifacts")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.quick:
        args.kills, args.fault_trials, args.artifacts = 20, 1, 500
    # A short path: some tests put gpg sockets under it later; keep it short everywhere.
    from artigov.core.logconfig import configure_logging

    configure_logging("console", "error")
    with tempfile.TemporaryDirectory(prefix="agcr-") as tmp:
        scratch = Path(tmp)
        rows = fault_matrix(scratch, trials=args.fault_trials)
        if args.kills:
            rows += random_kills(scratch, trials=args.kills, n=args.artifacts, seed=args.seed)
    print(render(rows))
    bad = [r for r in rows if not r.ok]
    print(f"crash rehearsal: {len(rows) - len(bad)}/{len(rows)} rows all recovered and identical")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
