"""Hydration: pick exactly one artifact version per kind a stage needs.

The candidates come from the index (recovered first), never from walking
the tree, and the plan's checksums are the index's. Every candidate gets one
audit event: won, lost (to which, with both rank keys) or rejected (why).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artigov.contract import Contract, Gate, load_contract
from artigov.core import EXIT_FINDINGS, ArtigovError, Finding, Workspace, get_logger
from artigov.hydrate._plan import HydrationPlan
from artigov.hydrate._precedence import RULE_VERSION, Candidate, CommitTimes, decided_by, rank, rank_key
from artigov.hydrate.errors import HydrationError, NondeterminismError
from artigov.index import Index, IndexSlice, read_framework
from artigov.schema import STATUS_RANK

if TYPE_CHECKING:
    from artigov.core import ForkDoor

__all__ = [
    "DETERMINISM_DOOR_ENV",
    "RERUN_SEED",
    "SELFCHECK",
    "Decision",
    "DeterminismCheck",
    "HydrationError",
    "HydrationResult",
    "NondeterminismError",
    "Pool",
    "determinism_door",
    "door_env",
    "hydrate",
    "hydrate_slice",
    "select",
]

log = get_logger(__name__)


@dataclass(frozen=True)
class Decision:
    """What happened to one candidate."""

    kind: str
    path: str
    outcome: str  # won | lost | rejected
    key: dict[str, Any]
    reason: str = ""
    lost_to: str | None = None
    #: For a loser: the rule that decided against it (status, version, commit_time or path).
    rule: str | None = None


@dataclass
class HydrationResult:
    """A hydration: the plan (None when none could be made), each decision and each finding."""

    plan: HydrationPlan | None
    decisions: list[Decision] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    runs: int = 1
    #: The framework's index entries the selection read (a promotion records their approvers).
    index: Index | IndexSlice | None = None

    @property
    def ok(self) -> bool:
        """True when a plan was made and nothing was found."""
        return self.plan is not None and not self.findings


def _finding(code: str, file: str, message: str, fix: str) -> Finding:
    return Finding(code=code, file=file, message=message, fix=fix)


def _qualified(
    kind: str,
    minimum: str,
    of_kind: list[Candidate],
    withdrawn: Mapping[tuple[str, str], str] | None,
    result: HydrationResult,
) -> tuple[list[Candidate], list[Candidate]]:
    """The candidates of ``kind`` a rollback did not withdraw, and those of them at ``minimum`` or
    better; each one left out gets its rejection decision in ``result`` (by path, in byte order)."""
    pulled = {
        c.path: why
        for c in of_kind
        if withdrawn and (why := withdrawn.get((str(c.entry.get("id")), str(c.entry.get("version"))))) is not None
    }
    for path, why in sorted(pulled.items(), key=lambda item: item[0].encode("utf-8")):
        c = next(x for x in of_kind if x.path == path)
        result.decisions.append(Decision(kind, path, "rejected", rank_key(c, None), why, rule="withdrawn"))
    of_kind = [c for c in of_kind if c.path not in pulled]
    eligible = [c for c in of_kind if STATUS_RANK[c.status] >= STATUS_RANK[minimum]]
    eligible_paths = {c.path for c in eligible}
    below = [c for c in of_kind if c.path not in eligible_paths]
    for c in sorted(below, key=lambda c: c.path.encode("utf-8")):
        result.decisions.append(
            Decision(
                kind,
                c.path,
                "rejected",
                rank_key(c, None),
                f"status {c.status} is below the stage minimum {minimum}",
            )
        )
    return of_kind, eligible


def _prefetch(commit_times: CommitTimes, entries: list[Candidate], gate: Gate) -> None:
    """One batched commit-time lookup for every candidate the stage may need to order (where the
    lookup offers ``prefetch``)."""
    prefetch = getattr(commit_times, "prefetch", None)
    if prefetch is not None:
        requires = gate.requires
        prefetch(
            [
                c
                for c in entries
                if c.entry["kind"] in requires and STATUS_RANK[c.status] >= STATUS_RANK[requires[c.entry["kind"]]]
            ]
        )


def _won(kind: str, ranked: list[Candidate], commit_times: CommitTimes, result: HydrationResult) -> dict[str, Any]:
    """The plan's input for ``kind``: the first of ``ranked``; the decisions (won, and each lost
    with the rule that decided it) go to ``result``."""
    winner = ranked[0]
    tied = len(ranked) > 1
    win_key = rank_key(winner, commit_times(winner) if tied else None)
    result.decisions.append(Decision(kind, winner.path, "won", win_key))
    for c in ranked[1:]:
        lost_key = rank_key(c, commit_times(c))
        rule = decided_by(c, winner, commit_times)
        result.decisions.append(Decision(kind, c.path, "lost", lost_key, lost_to=winner.path, rule=rule))
    item = {k: winner.entry[k] for k in ("id", "version", "status", "checksum")}
    item.update(kind=kind, path=winner.path)
    if winner.entry.get("meta"):
        item["meta"] = winner.entry["meta"]
    return item


@dataclass(frozen=True)
class Pool:
    """What a framework's selection picks from, the same for every stage and every rerun: its
    contract, its index entries, their commit times, and ``withdrawn``, (id, version) -> why, the
    versions a rollback withdrew and nobody approved again (rejected whatever their status, rule
    ``withdrawn``)."""

    contract: Contract
    index: Index | IndexSlice
    commit_times: CommitTimes
    withdrawn: Mapping[tuple[str, str], str] = field(default_factory=dict)


@dataclass(frozen=True)
class DeterminismCheck:
    """Rerun the selection ``runs`` more times over shuffled candidate orders, and once in a
    subprocess with another PYTHONHASHSEED; any difference raises :class:`NondeterminismError`."""

    runs: int = 3


def select(pool: Pool, stage: str, *, shuffle_seed: int | None = None) -> HydrationResult:
    """Run the selection for one stage on ``pool`` (pure but for commit-time lookups)."""
    contract, index, commit_times, withdrawn = pool.contract, pool.index, pool.commit_times, pool.withdrawn
    gate = contract.gate(stage)
    rel = contract.path.name
    if gate is None:
        names = ", ".join(g.name for g in contract.gates)
        raise HydrationError([_finding("H003", rel, f"no stage {stage!r} in the contract", f"use one of: {names}")])
    entries = [Candidate(p, e) for p, e in index.entries.items() if e["framework"] == contract.framework]
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(entries)
    result = HydrationResult(None)
    inputs: list[dict[str, Any]] = []
    _prefetch(commit_times, entries, gate)
    by_kind: dict[str, list[Candidate]] = {}
    for c in entries:  # in the entries' order, as a filter per kind would keep them
        by_kind.setdefault(c.entry["kind"], []).append(c)
    for kind in sorted(gate.requires):
        minimum = gate.requires[kind]
        of_kind = by_kind.get(kind, [])
        of_kind, eligible = _qualified(kind, minimum, of_kind, withdrawn, result)
        if not eligible:
            result.findings.append(
                _finding(
                    "H001",
                    rel,
                    f"stage {stage!r} needs a {kind!r} at status {minimum} or better; none of "
                    f"{len(of_kind)} candidate(s) qualifies",
                    f"add or promote a {kind!r} artifact to {minimum}",
                )
            )
            continue
        ranked = rank(eligible, commit_times)
        winner = ranked[0]
        if winner.status == "draft" and len(ranked) > 1 and contract.draft_fallback != "newest":
            paths = ", ".join(c.path for c in ranked)
            result.findings.append(
                _finding(
                    "H002",
                    rel,
                    f"{len(ranked)} drafts of {kind!r} and nothing better: {paths}",
                    "move one to review, delete the others, or set draft_fallback: newest",
                )
            )
            for c in ranked:
                result.decisions.append(
                    Decision(
                        kind,
                        c.path,
                        "rejected",
                        rank_key(c, commit_times(c)),
                        "ambiguous: several drafts and nothing better",
                    )
                )
            continue
        inputs.append(_won(kind, ranked, commit_times, result))
    if not result.findings:
        result.plan = HydrationPlan(contract.framework, stage, RULE_VERSION, index.digest, tuple(inputs))
    return result


#: The module that prints a plan's bytes in a process of its own (the determinism check's rerun).
SELFCHECK = "artigov.hydrate._selfcheck"
#: The hash seed the rerun runs with, and the one it takes when this process already runs with it.
RERUN_SEED, OTHER_SEED = "271828", "314159"
#: Names a warm server for that rerun, ``<hash seed>:<socket>`` (:func:`determinism_door`): a
#: rehearsal sets it for the commands it runs, so each promotion's rerun is forked from a process
#: that imported artigov once instead of starting a new interpreter.
DETERMINISM_DOOR_ENV = "ARTIGOV_DETERMINISM_DOOR"
#: What that server imports once: what the rerun uses.
RERUN_PRELOAD = (SELFCHECK, "artigov.contract", "artigov.hydrate", "artigov.index", "yaml")


def determinism_door() -> ForkDoor:
    """A warm server for the rerun (:class:`artigov.core.ForkDoor`), started with
    :data:`RERUN_SEED`; give a command :func:`door_env` of it.

    Raises:
        OSError: it could not start (the reruns then start new interpreters).
    """
    from artigov.core import ForkDoor

    return ForkDoor(RERUN_PRELOAD, f"{SELFCHECK}:main", env={"PYTHONHASHSEED": RERUN_SEED})


def door_env(door: ForkDoor) -> dict[str, str]:
    """The environment that names ``door`` (a :func:`determinism_door`) to a command's reruns."""
    return {DETERMINISM_DOOR_ENV: f"{RERUN_SEED}:{door.path}"}


def _through_door(env: Mapping[str, str], args: list[str], hashseed: str) -> subprocess.CompletedProcess[bytes] | None:
    """The rerun through the door :data:`DETERMINISM_DOOR_ENV` names, when it is one whose server
    hashes with ``hashseed``; None otherwise (no door, another seed, nothing answering)."""
    seed, _, path = env.get(DETERMINISM_DOOR_ENV, "").partition(":")
    if not path or seed != hashseed:
        return None
    from artigov.core import call_door

    try:
        cwd = Path.cwd()
    except OSError:  # the working folder was removed: the new interpreter's way copes with that
        return None
    return call_door(path, [SELFCHECK, *args], cwd, env)


class _Rerun:
    """The determinism check's rerun in a process of its own with another hash seed, started as
    soon as the pool is known so that it runs while this process selects (:meth:`plan` waits for
    it); through a warm door (:data:`DETERMINISM_DOOR_ENV`) it runs when :meth:`plan` asks."""

    def __init__(
        self, ws: Workspace, framework: str, stage: str, hashseed: str, withdrawn: Mapping[tuple[str, str], str]
    ) -> None:
        import json

        pairs = [[i, v, why] for (i, v), why in sorted(withdrawn.items())]
        self.hashseed = hashseed
        self.env = {**os.environ, "PYTHONHASHSEED": hashseed, "ARTIGOV_WITHDRAWN": json.dumps(pairs)}
        self.args = [str(ws.root), framework, stage]
        self.process: subprocess.Popen[bytes] | None = None
        seed, _, door = self.env.get(DETERMINISM_DOOR_ENV, "").partition(":")
        if not door or seed != hashseed:
            self.process = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", SELFCHECK, *self.args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def plan(self) -> bytes:
        """The plan's bytes the rerun printed.

        Raises:
            ArtigovError: it failed (or took more than 300 s).
        """
        if self.process is None:
            done = _through_door(self.env, self.args, self.hashseed)
            if done is not None:
                return self._checked(done.returncode, done.stdout, done.stderr)
            self.process = self._start()  # the door did not answer: a new interpreter, as without one
        try:
            out, err = self.process.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            self.stop()
            return self._checked(-1, b"", b"it ran for more than 300 s")
        return self._checked(self.process.returncode, out, err)

    @staticmethod
    def _checked(code: int, out: bytes, err: bytes) -> bytes:
        if code != 0:
            raise ArtigovError(
                f"determinism check subprocess failed: {err.decode(errors='replace').strip()}",
                exit_code=EXIT_FINDINGS,
            )
        return out

    def stop(self) -> None:
        """End the rerun if it still runs (the selection failed: its answer is not needed)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


def _rerun_seed() -> str:
    """The hash seed of the rerun: :data:`RERUN_SEED`, or :data:`OTHER_SEED` when this process runs with it."""
    return RERUN_SEED if os.environ.get("PYTHONHASHSEED") != RERUN_SEED else OTHER_SEED


def hydrate(
    ws: Workspace,
    framework: str,
    stage: str,
    *,
    withdrawn: Mapping[tuple[str, str], str] | None = None,
    check: DeterminismCheck | None = None,
) -> HydrationResult:
    """Select a stage's inputs from the index and log every decision (``withdrawn``: see
    :class:`Pool`); with ``check``, prove the selection deterministic first. The framework's
    entries are read here (a local index brought up to date first): :func:`hydrate_slice`.

    Raises:
        ContractError: no contract, or an invalid one.
        HydrationError: a kind has no candidate, or several drafts tie.
        NondeterminismError: ``check`` found two runs that disagree.
    """
    index = read_framework(ws, framework)  # parses only this framework's entries
    return hydrate_slice(ws, index, stage, withdrawn=withdrawn, check=check)


def hydrate_slice(
    ws: Workspace,
    index: IndexSlice,
    stage: str,
    *,
    withdrawn: Mapping[tuple[str, str], str] | None = None,
    check: DeterminismCheck | None = None,
) -> HydrationResult:
    """:func:`hydrate` of the framework slice ``index`` the caller read already (promote reads it
    once, after its index check, for the gate and the hydration)."""
    framework = index.framework
    pool = Pool(load_contract(ws, framework), index, CommitTimes(ws.root), dict(withdrawn or {}))
    # The rerun in another interpreter starts now and runs while this process selects.
    rerun = None if check is None else _Rerun(ws, framework, stage, _rerun_seed(), pool.withdrawn)
    try:
        result = select(pool, stage)
        result.index = index
        _log(result, framework, stage)
        if not result.ok:
            raise HydrationError(result.findings)
        if rerun is not None and check is not None:
            _check_determinism(pool, stage, result, check, rerun)
        return result
    finally:
        if rerun is not None:
            rerun.stop()


def _check_determinism(pool: Pool, stage: str, result: HydrationResult, check: DeterminismCheck, rerun: _Rerun) -> None:
    """Raise :class:`NondeterminismError` unless every rerun ``check`` asks for, and ``rerun`` (the
    process of its own), makes ``result``'s plan."""
    assert result.plan is not None
    first = result.plan.to_bytes()
    for seed in range(1, check.runs + 1):
        other = select(pool, stage, shuffle_seed=seed).plan
        if other is None or other.to_bytes() != first:
            raise NondeterminismError(
                result.plan.digest, other.digest if other else "none", f"candidates were shuffled (seed {seed})"
            )
    framework = pool.contract.framework
    if rerun.plan() != first:
        raise NondeterminismError(
            result.plan.digest, "a different one", "run in a subprocess with another PYTHONHASHSEED"
        )
    result.runs = check.runs + 2
    log.info(
        "hydration_determinism_checked",
        audit=True,
        framework=framework,
        subject=stage,
        outcome="identical",
        runs=result.runs,
        digest=result.plan.digest,
    )


def _log(result: HydrationResult, framework: str, stage: str) -> None:
    for d in result.decisions:
        event = {"won": "candidate_selected", "lost": "candidate_lost", "rejected": "candidate_rejected"}[d.outcome]
        log.info(
            event,
            audit=True,
            framework=framework,
            subject=d.path,
            outcome=d.outcome,
            stage=stage,
            kind=d.kind,
            rank_key=d.key,
            reason=d.reason or None,
            lost_to=d.lost_to,
            rule=d.rule,
        )
    log.info(
        "hydration_completed",
        audit=True,
        framework=framework,
        subject=stage,
        outcome="planned" if result.ok else "failed",
        digest=result.plan.digest if result.plan else None,
        inputs=[i["path"] for i in result.plan.inputs] if result.plan else [],
        findings=[f.message for f in result.findings],
    )
