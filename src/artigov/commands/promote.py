"""`artigov promote`: the Typer-free command functions (see :mod:`artigov.commands`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from artigov.commands.formats import Format
from artigov.commands.names import Command
from artigov.commands.runner import execute
from artigov.core import EXIT_FINDINGS, EXIT_OK, Workspace

if TYPE_CHECKING:
    from artigov.promote import Continuity, PromoteOptions, Recording, RecordVerdict, RollbackOptions


@dataclass(frozen=True)
class Which:
    """The snapshot a command names: a sequence (``--snapshot``), else the current snapshot of a
    gate (``--gate``), else the head."""

    snapshot: int | None = None
    gate: str | None = None


def run_promote(
    root: Path | None, framework: str, gate: str, fmt: Format, options: PromoteOptions | None = None
) -> int:
    """``artigov promote``: a gate's inputs as a new signed snapshot."""

    def action(ws: Workspace) -> int:
        from artigov.commands.render import emit_json, findings_text
        from artigov.promote import GateFailedError, PromoteOptions, promote

        try:
            p = promote(ws, framework, gate, options or PromoteOptions())
        except GateFailedError as e:
            if fmt is Format.json:
                emit_json(e.to_dict())
            else:
                findings_text(e.findings)
                print(f"promote: {e}")
            return EXIT_FINDINGS
        if fmt is Format.json:
            emit_json({"ok": True, **p.to_dict()})
        else:
            print(
                f"promote: {framework} gate {gate!r} -> snapshot {p.sequence} ({p.inputs} inputs), "
                f"signed by {p.signer}, manifest {p.digest}"
            )
            if p.record_commit:
                print(f"promote: committed the record as {p.record_commit[:12]}; push it (git push)")
            else:
                index = f" and {ws.rel(ws.index_path)}" if ws.index_committed else ""  # a local index is git-ignored
                print(f"promote: commit {ws.rel(ws.record_dir)}/{index} (or pass --commit)")
        return EXIT_OK

    return execute(Command.PROMOTE, root, action, framework=framework)


def run_verify(
    root: Path | None, framework: str, fmt: Format, which: Which | None = None, pin: str | None = None
) -> int:
    """``artigov verify``: one snapshot (the head, a sequence or a gate's current one), every step."""
    which = which or Which()

    def action(ws: Workspace) -> int:
        from artigov.commands.render import emit_json
        from artigov.core import get_logger
        from artigov.promote import VerificationError, VerifyOptions, check_trust, verify_snapshot

        log = get_logger("artigov.promote")
        chain, trust = check_trust(ws, pin)
        try:
            v = verify_snapshot(ws, framework, which.snapshot, VerifyOptions(gate=which.gate, trust=chain))
        except VerificationError as e:
            log.info(
                "snapshot_verify_failed",
                audit=True,
                framework=framework,
                subject=f"{framework}#{e.snapshot}" if e.snapshot else framework,
                sequence=e.snapshot,
                outcome="failed",
                code=e.code,
                step=e.step,
                message=e.problem,
            )
            if fmt is Format.json:
                emit_json({**e.to_dict(), "trust": trust.to_dict()})
            else:
                print(f"verify: FAILED: {e}")
            return EXIT_FINDINGS
        log.info(
            "snapshot_verified",
            audit=True,
            framework=framework,
            subject=f"{framework}#{v.sequence}",
            outcome="verified",
            sequence=v.sequence,
            digest=v.digest,
            signer=v.signer,
            checks=list(v.checks),
        )
        if fmt is Format.json:
            emit_json({**v.to_dict(), "trust": trust.to_dict()})
        else:
            print(f"verify: {trust.note}")
            print(
                f"verify: snapshot {v.sequence} of {framework} (gate {v.manifest.gate}) ok "
                f"(head {v.head.sequence}): signature by {v.signer}, allowed by trust version "
                f"{v.manifest.trust_version or 1}, chain, decision log, "
                f"{len(v.manifest.inputs)} objects"
            )
        return EXIT_OK

    return execute(Command.VERIFY, root, action, framework=framework)


def run_verify_all(root: Path | None, fmt: Format, *, since: str | None = None, pin: str | None = None) -> int:
    """Every framework in the record: the current snapshot of each of its gates; with ``since``,
    also that the record extends the record at that git revision."""

    def action(ws: Workspace) -> int:
        from artigov.commands.render import emit_json
        from artigov.promote import verify_record

        verdict = verify_record(ws, pin=pin, since=since)
        if fmt is Format.json:
            emit_json(verdict.to_dict())
            return EXIT_OK if verdict.ok else EXIT_FINDINGS
        _print_record_verdict(ws, verdict)
        return EXIT_OK if verdict.ok else EXIT_FINDINGS

    return execute(Command.VERIFY, root, action)


def _print_record_verdict(ws: Workspace, verdict: RecordVerdict) -> None:
    trust = verdict.trust
    if trust.note is not None:
        print(f"verify: {trust.note}")
    elif not trust.ok:
        print(f"verify: trust: FAILED: {trust.code} {trust.message} (fix: {trust.fix})")
    for r in verdict.results:
        if r.ok:
            print(f"verify: {r.framework} gate {r.gate}: snapshot {r.snapshot} ok")
        else:
            print(f"verify: {r.framework}: FAILED: {r.code} {r.message} (fix: {r.fix})")
    for u in verdict.unverified:
        print(f"verify: {u.framework}{' gate ' + u.gate if u.gate else ''}: {u.why}")
    if verdict.continuity is not None:
        _print_continuity(verdict.continuity)
    unchecked = f"; {len(verdict.unverified)} gate(s) with no snapshot" if verdict.unverified else ""
    state = "ok" if verdict.ok else "FAILED"
    print(f"verify: {state}: {len(verdict.results)} check(s) in {ws.rel(ws.record_dir)}/{unchecked}")


def _print_continuity(continuity: Continuity) -> None:
    if continuity.ok:
        c = continuity.compared
        print(
            f"verify: since {continuity.since}: the record only grew ({c.snapshots} snapshot(s), "
            f"{c.log_lines} log line(s), {c.trust_versions} trust version(s), "
            f"{c.approvals} approval file(s) kept)"
        )
        return
    for v in continuity.violations:
        print(f"verify: since {continuity.since}: FAILED: {v.one_line()}")


def run_rollback(root: Path | None, framework: str, fmt: Format, reason: str, options: RollbackOptions) -> int:
    """``artigov rollback``: an earlier snapshot's files, recorded as a new signed snapshot."""

    def action(ws: Workspace) -> int:
        from artigov.commands.render import emit_json
        from artigov.promote import rollback

        p = rollback(ws, framework, reason=reason, options=options)
        if fmt is Format.json:
            emit_json({"ok": True, **p.to_dict()})
        else:
            print(
                f"rollback: restored snapshot {p.rollback_of} of {framework} (gate {p.gate}) as new snapshot "
                f"{p.sequence} (parent: the previous head), signed by {p.signer}"
            )
        return EXIT_OK

    return execute(Command.ROLLBACK, root, action, framework=framework)


def run_prune(root: Path | None, framework: str, apply: bool, fmt: Format) -> int:
    """`artigov prune`."""

    def action(ws: Workspace) -> int:
        from artigov.commands.render import emit_json
        from artigov.promote import prune

        r = prune(ws, framework, apply=apply)
        if fmt is Format.json:
            emit_json(r.to_dict())
        else:
            verb = "deleted" if apply else "would delete"
            print(
                f"prune: {verb} snapshots {r.deleted or 'none'} and {len(r.objects_deleted)} object(s); "
                f"kept {r.kept}" + ("" if apply else " (dry run; pass --apply)")
            )
        return EXIT_OK

    return execute(Command.PRUNE, root, action, framework=framework)


#: What a fired trigger asks of the maintainer, by its action.
_TODO = {
    "rollback": "roll back: artigov rollback",
    "recommend": "review; rollback recommended",
    "re-sign": "the signer's key expired: re-sign, never roll back",
    "rotate-key": "the signer's key was revoked: rotate keys, never roll back",
}


def run_triggers(
    root: Path | None, framework: str, fmt: Format, gate: str | None = None, auto_rollback: Recording | None = None
) -> int:
    """`artigov triggers`: the contract's rollback triggers on the current snapshot of ``gate`` (default:
    the head's); with ``auto_rollback``, a fired rollback trigger rolls back, recorded as it says."""

    def action(ws: Workspace) -> int:
        from artigov.commands.render import emit_json
        from artigov.promote import triggers

        r = triggers(ws, framework, gate=gate, auto_rollback=auto_rollback)
        rolled = r.rolled_back.sequence if r.rolled_back else None
        if fmt is Format.json:
            emit_json(r.to_dict())
        else:
            for t in r.fired:
                todo = _TODO.get(t["action"], "review; rollback recommended")
                print(f"fired: {t['on']} -> {t['action']}: {t['detail']} ({todo})")
            if not r.fired:
                print("triggers: none fired")
            if r.rolled_back:
                print(f"triggers: rolled back to snapshot {r.rolled_back.rollback_of} as snapshot {rolled}")
        return EXIT_OK if r.ok or r.rolled_back else EXIT_FINDINGS

    return execute(Command.TRIGGERS, root, action, framework=framework)


def run_snapshots(root: Path | None, framework: str, fmt: Format) -> int:
    """`artigov snapshots`."""

    def action(ws: Workspace) -> int:
        from artigov.commands.render import emit_json
        from artigov.promote import history

        rows = history(ws, framework)
        if fmt is Format.json:
            emit_json({"framework": framework, "snapshots": [r.to_dict() for r in rows]})
        else:
            print(
                f"{'seq':>4}  {'status':<12} {'gate':<10} {'created_at':<21} {'signer':<16} {'commit':<12} rollback_of"
            )
            for r in rows:
                print(
                    f"{r.sequence:>4}  {r.status:<12} {r.gate or '':<10} {r.created_at or '':<21} "
                    f"{(r.signer or '')[-16:]:<16} {(r.commit or '')[:12]:<12} {r.rollback_of or ''}"
                )
        return EXIT_OK

    return execute(Command.SNAPSHOTS, root, action, framework=framework)


def run_diff(root: Path | None, framework: str, a: int, b: int, fmt: Format) -> int:
    """`artigov diff`: inputs added, removed and changed from snapshot A to B; exit 1 if either does not verify."""

    def action(ws: Workspace) -> int:
        from artigov.commands.render import emit_json
        from artigov.promote import diff_snapshots

        diff = diff_snapshots(ws, framework, a, b)
        if fmt is Format.json:
            emit_json(diff.to_dict())
            return EXIT_OK if diff.ok else EXIT_FINDINGS
        print(f"diff: {framework} snapshot {a} -> {b}")
        for item in diff.added:
            print(f"  + {item['kind']} {item['id']}@{item['version']} ({item['status']}) {item['path']}")
        for item in diff.removed:
            print(f"  - {item['kind']} {item['id']}@{item['version']} ({item['status']}) {item['path']}")
        for c in diff.changed:
            old, new = c["from"], c["to"]
            print(
                f"  ~ {c['kind']} {c['id']}: {old['version']} ({old['status']}) -> {new['version']} ({new['status']})"
                f" [{', '.join(c['fields'])}] {new['path']}"
            )
        print(
            f"diff: {len(diff.added)} added, {len(diff.removed)} removed, {len(diff.changed)} changed, "
            f"{diff.unchanged} unchanged"
        )
        for n, state in sorted(diff.verifies.items()):
            if not state["ok"]:
                print(f"warning: snapshot {n} does not verify today: {state['code']} {state['problem']}")
        return EXIT_OK if diff.ok else EXIT_FINDINGS

    return execute(Command.DIFF, root, action, framework=framework)


def run_migrate_record(root: Path | None, fmt: Format) -> int:
    """`artigov migrate-record`."""

    def action(ws: Workspace) -> int:
        from artigov.commands.render import emit_json
        from artigov.promote import migrate_record

        m = migrate_record(ws)
        if fmt is Format.json:
            emit_json(m.to_dict())
            return EXIT_OK
        if m.frameworks:
            done = ", ".join(f"{f} ({n} snapshot(s))" for f, n in sorted(m.frameworks.items()))
            print(
                f"migrate-record: moved {done} and {m.objects} object(s) into {ws.rel(ws.record_dir)}/; "
                "verified before and after"
            )
        if m.trust is not None:
            print(
                f"migrate-record: trust version 1 ({m.trust.digest}) made from signing.key, signing.trusted and "
                f"the contracts' people: in {m.trust.folder}/; pin it in CI: ARTIGOV_TRUST_PIN={m.trust.digest}"
            )
        for path in m.attributes:
            print(f"migrate-record: {path}: added the lines that keep the record and the artifacts byte-exact")
        print(f"migrate-record: commit it: git add -A {ws.rel(ws.record_dir)} .gitattributes && git commit")
        return EXIT_OK

    return execute(Command.MIGRATE_RECORD, root, action)


def run_repair_head(root: Path | None, framework: str, fmt: Format) -> int:
    """`artigov repair-head`."""

    def action(ws: Workspace) -> int:
        from artigov.commands.render import emit_json
        from artigov.promote import repair_head

        repaired = repair_head(ws, framework)
        if fmt is Format.json:
            emit_json(repaired.to_dict())
        else:
            print(f"repair-head: {repaired.note}")
        return EXIT_OK

    return execute(Command.REPAIR_HEAD, root, action, framework=framework)
