"""``artigov promote|verify|rollback|prune|triggers|snapshots|migrate-record|repair-head``."""

from __future__ import annotations

from typing import Annotated

import typer

from artigov.cli.complete import complete_framework, complete_gate, complete_snapshot
from artigov.cli.options import Format, FormatOpt, RootOpt
from artigov.cli.trust import PinOpt
from artigov.commands.names import Command
from artigov.commands.promote import Which, run_promote, run_rollback, run_verify, run_verify_all

__all__ = ["register", "run_promote", "run_rollback", "run_verify", "run_verify_all"]

FrameworkOpt = Annotated[
    str, typer.Option("--framework", "-f", help="The framework.", autocompletion=complete_framework)
]
KeyOpt = Annotated[str | None, typer.Option("--key", help="Signing key fingerprint (default: signing.key).")]


def register(app: typer.Typer) -> None:
    """Add the snapshot commands (promote, verify, rollback, prune, triggers, snapshots, …) to the command line."""
    _register_main(app)
    _register_views(app)


def _register_main(app: typer.Typer) -> None:
    """promote, verify, rollback, prune: the commands that make, check and undo snapshots."""

    @app.command(Command.PROMOTE.leaf)
    def promote_cmd(
        framework: FrameworkOpt,
        gate: Annotated[
            str, typer.Option("--gate", "-g", help="The contract gate to promote at.", autocompletion=complete_gate)
        ],
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
        from artigov.promote import PromoteOptions

        options = PromoteOptions(key=key, commit=commit, expires_days=expires_days, allow_dirty=allow_dirty)
        raise typer.Exit(run_promote(root, framework, gate, fmt, options))

    @app.command(Command.VERIFY.leaf)
    def verify_cmd(
        framework: Annotated[
            str | None, typer.Option("--framework", "-f", help="The framework.", autocompletion=complete_framework)
        ] = None,
        all_: Annotated[
            bool, typer.Option("--all", help="Every framework in the record, each gate's current snapshot.")
        ] = False,
        snapshot: Annotated[
            int | None,
            typer.Option(
                "--snapshot", "-n", help="A snapshot number (default: head).", autocompletion=complete_snapshot
            ),
        ] = None,
        gate: Annotated[
            str | None,
            typer.Option(
                "--gate", "-g", help="Verify the current snapshot of this gate.", autocompletion=complete_gate
            ),
        ] = None,
        since: Annotated[
            str | None,
            typer.Option(
                "--since",
                help="Also check that the record extends the record at this git revision (implies --all).",
                show_default=False,
            ),
        ] = None,
        trust_pin: PinOpt = None,
        root: RootOpt = None,
        fmt: FormatOpt = Format.text,
    ) -> None:
        """Verify a snapshot: trusted signature, chain, decision log, objects, expiry (exit 1 on any failure)."""
        if all_ or since:
            if framework or snapshot is not None or gate:
                raise typer.BadParameter("--all and --since verify everything: drop --framework, --snapshot, --gate")
            raise typer.Exit(run_verify_all(root, fmt, since=since, pin=trust_pin))
        if not framework:
            raise typer.BadParameter("pass --framework F (or --all, or --since REV)")
        raise typer.Exit(run_verify(root, framework, fmt, Which(snapshot, gate), trust_pin))

    @app.command(Command.ROLLBACK.leaf)
    def rollback_cmd(
        framework: FrameworkOpt,
        to: Annotated[
            int | None,
            typer.Option(
                "--to",
                help="Snapshot to restore (default: the gate's previous good one).",
                autocompletion=complete_snapshot,
            ),
        ] = None,
        reason: Annotated[str, typer.Option("--reason", help="Why (required; recorded and signed).")] = "",
        gate: Annotated[
            str | None,
            typer.Option(
                "--gate", "-g", help="The gate to roll back (default: the head's gate).", autocompletion=complete_gate
            ),
        ] = None,
        commit: Annotated[
            bool, typer.Option("--commit", help="Stage the record and restored files and make one git commit.")
        ] = False,
        key: KeyOpt = None,
        root: RootOpt = None,
        fmt: FormatOpt = Format.text,
    ) -> None:
        """Restore a snapshot's files and record it as a new signed snapshot of its gate."""
        from artigov.promote import RollbackOptions

        raise typer.Exit(run_rollback(root, framework, fmt, reason, RollbackOptions(key, commit, to=to, gate=gate)))

    @app.command(Command.PRUNE.leaf)
    def prune_cmd(
        framework: FrameworkOpt,
        apply: Annotated[bool, typer.Option("--apply", help="Delete (default: dry run).")] = False,
        root: RootOpt = None,
        fmt: FormatOpt = Format.text,
    ) -> None:
        """Apply the contract's retention to snapshots and objects (dry run unless --apply)."""

        from artigov.commands.promote import run_prune

        raise typer.Exit(run_prune(root, framework, apply, fmt))


def _register_views(app: typer.Typer) -> None:
    """triggers, snapshots, diff, migrate-record, repair-head."""

    @app.command(Command.TRIGGERS.leaf)
    def triggers_cmd(
        framework: FrameworkOpt,
        auto_rollback: Annotated[
            bool, typer.Option("--auto-rollback", help="Roll back when a trigger says so.")
        ] = False,
        gate: Annotated[
            str | None,
            typer.Option(
                "--gate", "-g", help="The gate whose current snapshot is checked.", autocompletion=complete_gate
            ),
        ] = None,
        key: KeyOpt = None,
        root: RootOpt = None,
        fmt: FormatOpt = Format.text,
    ) -> None:
        """Evaluate the contract's rollback triggers (exit 1 if any fired)."""

        from artigov.commands.promote import run_triggers
        from artigov.promote import Recording

        raise typer.Exit(run_triggers(root, framework, fmt, gate, Recording(key) if auto_rollback else None))

    @app.command(Command.SNAPSHOTS.leaf)
    def snapshots_cmd(framework: FrameworkOpt, root: RootOpt = None, fmt: FormatOpt = Format.text) -> None:
        """List a framework's snapshot history."""

        from artigov.commands.promote import run_snapshots

        raise typer.Exit(run_snapshots(root, framework, fmt))

    @app.command(Command.DIFF.leaf)
    def diff_cmd(
        framework: FrameworkOpt,
        a: Annotated[
            int,
            typer.Argument(
                help="The earlier snapshot's sequence number.", show_default=False, autocompletion=complete_snapshot
            ),
        ],
        b: Annotated[
            int,
            typer.Argument(
                help="The later snapshot's sequence number.", show_default=False, autocompletion=complete_snapshot
            ),
        ],
        root: RootOpt = None,
        fmt: FormatOpt = Format.text,
    ) -> None:
        """Inputs added, removed and changed from snapshot A to snapshot B (exit 1 if either does not verify)."""

        from artigov.commands.promote import run_diff

        raise typer.Exit(run_diff(root, framework, a, b, fmt))

    @app.command(Command.MIGRATE_RECORD.leaf)
    def migrate_cmd(root: RootOpt = None, fmt: FormatOpt = Format.text) -> None:
        """Move snapshots and objects from the old local state_dir into the committed record (verified)."""

        from artigov.commands.promote import run_migrate_record

        raise typer.Exit(run_migrate_record(root, fmt))

    @app.command(Command.REPAIR_HEAD.leaf)
    def repair_cmd(framework: FrameworkOpt, root: RootOpt = None, fmt: FormatOpt = Format.text) -> None:
        """Re-derive a framework's HEAD from the newest snapshot whose whole chain verifies."""

        from artigov.commands.promote import run_repair_head

        raise typer.Exit(run_repair_head(root, framework, fmt))
