"""``artigov promote|verify|rollback|prune|triggers|snapshots|migrate-record|repair-head``."""

from __future__ import annotations

from typing import Annotated

import typer

from artigov.cli.options import Format, FormatOpt, RootOpt
from artigov.commands.promote import run_promote, run_rollback, run_verify, run_verify_all
from artigov.commands.runner import execute
from artigov.core.errors import EXIT_FINDINGS, EXIT_OK
from artigov.core.workspace import Workspace

__all__ = ["register", "run_promote", "run_rollback", "run_verify", "run_verify_all"]

FrameworkOpt = Annotated[str, typer.Option("--framework", "-f", help="The framework.")]
KeyOpt = Annotated[str | None, typer.Option("--key", help="Signing key fingerprint (default: signing.key).")]


def register(app: typer.Typer) -> None:
    @app.command("promote")
    def promote_cmd(
        framework: FrameworkOpt,
        gate: Annotated[str, typer.Option("--gate", "-g", help="The contract gate to promote at.")],
        key: KeyOpt = None,
        expires_days: Annotated[
            int | None, typer.Option("--expires-days", min=1, help="Snapshot expires this many days after created_at.")
        ] = None,
        allow_dirty: Annotated[
            bool, typer.Option("--allow-dirty", help="Promote inputs with uncommitted changes (recorded).")
        ] = False,
        commit: Annotated[
            bool, typer.Option("--commit", help="Stage the record changes and make one git commit.")
        ] = False,
        root: RootOpt = None,
        fmt: FormatOpt = Format.text,
    ) -> None:
        """Promote a framework at a gate as a GPG-signed snapshot in the committed record."""
        raise typer.Exit(
            run_promote(root, framework, gate, key, expires_days, fmt, allow_dirty=allow_dirty, commit=commit)
        )

    @app.command("verify")
    def verify_cmd(
        framework: Annotated[str | None, typer.Option("--framework", "-f", help="The framework.")] = None,
        all_: Annotated[
            bool, typer.Option("--all", help="Every framework in the record, each gate's current snapshot.")
        ] = False,
        snapshot: Annotated[
            int | None, typer.Option("--snapshot", "-n", help="A snapshot number (default: head).")
        ] = None,
        gate: Annotated[
            str | None, typer.Option("--gate", "-g", help="Verify the current snapshot of this gate.")
        ] = None,
        root: RootOpt = None,
        fmt: FormatOpt = Format.text,
    ) -> None:
        """Verify a snapshot: trusted signature, chain, decision log, objects, expiry (exit 1 on any failure)."""
        if all_:
            if framework or snapshot is not None or gate:
                raise typer.BadParameter("--all verifies everything: drop --framework, --snapshot and --gate")
            raise typer.Exit(run_verify_all(root, fmt))
        if not framework:
            raise typer.BadParameter("pass --framework F (or --all)")
        raise typer.Exit(run_verify(root, framework, snapshot, fmt, gate))

    @app.command("rollback")
    def rollback_cmd(
        framework: FrameworkOpt,
        to: Annotated[
            int | None, typer.Option("--to", help="Snapshot to restore (default: the gate's previous good one).")
        ] = None,
        reason: Annotated[str, typer.Option("--reason", help="Why (required; recorded and signed).")] = "",
        gate: Annotated[
            str | None, typer.Option("--gate", "-g", help="The gate to roll back (default: the head's gate).")
        ] = None,
        commit: Annotated[
            bool, typer.Option("--commit", help="Stage the record and restored files and make one git commit.")
        ] = False,
        key: KeyOpt = None,
        root: RootOpt = None,
        fmt: FormatOpt = Format.text,
    ) -> None:
        """Restore a snapshot's files and record it as a new signed snapshot of its gate."""
        raise typer.Exit(run_rollback(root, framework, to, key, fmt, reason=reason, gate=gate, commit=commit))

    @app.command("prune")
    def prune_cmd(
        framework: FrameworkOpt,
        apply: Annotated[bool, typer.Option("--apply", help="Delete (default: dry run).")] = False,
        root: RootOpt = None,
        fmt: FormatOpt = Format.text,
    ) -> None:
        """Apply the contract's retention to snapshots and objects (dry run unless --apply)."""

        def action(ws: Workspace) -> int:
            from artigov.commands.render import emit_json
            from artigov.promote.ops import prune

            r = prune(ws, framework, apply=apply)
            if fmt is Format.json:
                emit_json(
                    {
                        "command": "prune",
                        "applied": r.applied,
                        "deleted": r.deleted,
                        "kept": r.kept,
                        "objects_deleted": r.objects_deleted,
                    }
                )
            else:
                verb = "deleted" if apply else "would delete"
                print(
                    f"prune: {verb} snapshots {r.deleted or 'none'} and {len(r.objects_deleted)} object(s); "
                    f"kept {r.kept}" + ("" if apply else " (dry run; pass --apply)")
                )
            return EXIT_OK

        raise typer.Exit(execute("prune", root, action, framework=framework))

    @app.command("triggers")
    def triggers_cmd(
        framework: FrameworkOpt,
        auto_rollback: Annotated[
            bool, typer.Option("--auto-rollback", help="Roll back when a trigger says so.")
        ] = False,
        gate: Annotated[
            str | None, typer.Option("--gate", "-g", help="The gate whose current snapshot is checked.")
        ] = None,
        key: KeyOpt = None,
        root: RootOpt = None,
        fmt: FormatOpt = Format.text,
    ) -> None:
        """Evaluate the contract's rollback triggers (exit 1 if any fired)."""

        def action(ws: Workspace) -> int:
            from artigov.commands.render import emit_json
            from artigov.promote.ops import triggers

            r = triggers(ws, framework, auto_rollback=auto_rollback, key=key, gate=gate)
            rolled = r.rolled_back.sequence if r.rolled_back else None
            if fmt is Format.json:
                emit_json({"command": "triggers", "fired": r.fired, "rolled_back_to_new_snapshot": rolled})
            else:
                for t in r.fired:
                    todo = (
                        "roll back: artigov rollback" if t["action"] == "rollback" else "review; rollback recommended"
                    )
                    print(f"fired: {t['on']} -> {t['action']}: {t['detail']} ({todo})")
                if not r.fired:
                    print("triggers: none fired")
                if r.rolled_back:
                    print(f"triggers: rolled back to snapshot {r.rolled_back.rollback_of} as snapshot {rolled}")
            return EXIT_OK if r.ok or r.rolled_back else EXIT_FINDINGS

        raise typer.Exit(execute("triggers", root, action, framework=framework))

    @app.command("snapshots")
    def snapshots_cmd(framework: FrameworkOpt, root: RootOpt = None, fmt: FormatOpt = Format.text) -> None:
        """List a framework's snapshot history."""

        def action(ws: Workspace) -> int:
            from artigov.commands.render import emit_json
            from artigov.promote.ops import history

            rows = history(ws, framework)
            if fmt is Format.json:
                emit_json({"command": "snapshots", "framework": framework, "snapshots": rows})
            else:
                print(
                    f"{'seq':>4}  {'status':<12} {'gate':<10} {'created_at':<21} {'signer':<16} {'commit':<12} "
                    "rollback_of"
                )
                for r in rows:
                    signer = (r.get("signer") or "")[-16:]
                    print(
                        f"{r['sequence']:>4}  {r['status']:<12} {r.get('gate') or '':<10} "
                        f"{r.get('created_at') or '':<21} {signer:<16} {(r.get('commit') or '')[:12]:<12} "
                        f"{r.get('rollback_of') or ''}"
                    )
            return EXIT_OK

        raise typer.Exit(execute("snapshots", root, action, framework=framework))

    @app.command("migrate-record")
    def migrate_cmd(root: RootOpt = None, fmt: FormatOpt = Format.text) -> None:
        """Move snapshots and objects from the old local state_dir into the committed record (verified)."""

        def action(ws: Workspace) -> int:
            from artigov.commands.render import emit_json
            from artigov.promote.migrate import migrate_record

            m = migrate_record(ws)
            if fmt is Format.json:
                emit_json({"command": "migrate-record", "ok": True, "frameworks": m.frameworks, "objects": m.objects})
            else:
                done = ", ".join(f"{f} ({n} snapshot(s))" for f, n in sorted(m.frameworks.items()))
                print(
                    f"migrate-record: moved {done} and {m.objects} object(s) into {ws.rel(ws.record_dir)}/; "
                    "verified before and after. Commit it: git add "
                    f"{ws.rel(ws.record_dir)} && git commit"
                )
            return EXIT_OK

        raise typer.Exit(execute("migrate-record", root, action))

    @app.command("repair-head")
    def repair_cmd(framework: FrameworkOpt, root: RootOpt = None, fmt: FormatOpt = Format.text) -> None:
        """Re-derive a framework's HEAD from the newest snapshot whose whole chain verifies."""

        def action(ws: Workspace) -> int:
            from artigov.commands.render import emit_json
            from artigov.promote.migrate import repair_head

            seq, note = repair_head(ws, framework)
            if fmt is Format.json:
                emit_json({"command": "repair-head", "ok": True, "framework": framework, "head": seq, "note": note})
            else:
                print(f"repair-head: {note}")
            return EXIT_OK

        raise typer.Exit(execute("repair-head", root, action, framework=framework))
