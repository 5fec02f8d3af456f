"""One example per command, shown at the end of its ``--help`` (a test holds every command to it)."""

from __future__ import annotations

from typing import Any

from artigov.commands.names import Command

__all__ = ["EXAMPLES", "add_examples"]

#: command (:class:`~artigov.commands.names.Command`) -> a command line a user can copy.
EXAMPLES: dict[str, str] = {
    Command.INIT: "artigov init governance --framework payments --owner alice@example.org --key FPR",
    Command.VALIDATE: "artigov validate frameworks/payments/plans/technical/technical-plan-0.1.0.md",
    Command.HYDRATE: "artigov hydrate --framework payments --stage design --deterministic --out plan.json",
    Command.PROMOTE: "artigov promote --framework payments --gate design --commit",
    Command.VERIFY: "artigov verify --all --since origin/main",
    Command.ROLLBACK: "artigov rollback --framework payments --gate design --reason 'bad figures in 1.1' --commit",
    Command.PRUNE: "artigov prune --framework payments --apply",
    Command.TRIGGERS: "artigov triggers --framework payments --format json",
    Command.SNAPSHOTS: "artigov snapshots --framework payments",
    Command.DIFF: "artigov diff --framework payments 1 2",
    Command.MIGRATE_RECORD: "artigov migrate-record",
    Command.REPAIR_HEAD: "artigov repair-head --framework payments",
    Command.REVIEW: "artigov review frameworks/payments/plans/technical/technical-plan-0.1.0.md --as bob@example.org",
    Command.APPROVE: (
        "artigov approve frameworks/payments/plans/technical/technical-plan-0.1.0.md --as alice@example.org"
    ),
    Command.REJECT: (
        "artigov reject frameworks/payments/plans/technical/technical-plan-0.1.0.md --comment 'scope unclear'"
    ),
    Command.ADOPT: "artigov adopt docs/ --framework payments (then again with --apply)",
    Command.STATUS: "artigov status --framework payments --format json",
    Command.REPORT: "artigov report --framework payments --out report.html",
    Command.DEMO: "artigov demo --dir /tmp/artigov-demo",
    Command.REHEARSE: "artigov rehearse --quick",
    Command.ROUTE_CHECK: "artigov route check --format sarif > routes.sarif",
    Command.ROUTE_RESOLVE: "artigov route resolve drafts/technical-plan-0.1.0.md",
    Command.ROUTE_FIX: "artigov route fix --apply",
    Command.INDEX_ADD: "artigov index add frameworks/payments/plans/technical/technical-plan-0.1.0.md",
    Command.INDEX_UPDATE: "artigov index update",
    Command.INDEX_REBUILD: "artigov index rebuild",
    Command.INDEX_VERIFY: "artigov index verify --full",
    Command.INDEX_RECOVER: "artigov index recover",
    Command.INDEX_MERGE: 'git config merge.artigov-index.driver "artigov index merge %O %A %B"',
    Command.AUDIT_VERIFY: "artigov audit verify",
    Command.AUDIT_SHOW: "artigov audit show --framework payments --event approval_recorded",
    Command.SCHEMA_SHOW: "artigov schema show risk-register",
    Command.TRUST_INIT: "artigov trust init --key FPR",
    Command.TRUST_PROPOSE: "artigov trust propose --add-person payments:carol@example.org:FPR",
    Command.TRUST_SIGN: "artigov trust sign",
    Command.TRUST_SHOW: "artigov trust show --format json",
    Command.TRUST_STATUS: "artigov trust status",
    Command.HOOK_PRE_RECEIVE: "(installed by `artigov hook install`; git runs it on every push)",
    Command.HOOK_PRE_COMMIT: "artigov hook pre-commit $(git diff --cached --name-only)",
    Command.HOOK_INSTALL: "artigov hook install /srv/git/governance.git --workspace .",
    Command.CONTRACT_CHECK: "artigov contract check --framework payments --all-gates --format sarif > payments.sarif",
    Command.CONTRACT_FRAMEWORKS: (
        "for f in $(artigov contract frameworks); do artigov contract check -f $f --all-gates; done"
    ),
}


def add_examples(app: Any, prefix: str = "") -> None:
    """Give every command of ``app`` (a Typer app, its groups included) its example as the epilog."""
    for info in app.registered_commands:
        name = info.name or (info.callback.__name__.removesuffix("_cmd").replace("_", "-") if info.callback else "")
        example = EXAMPLES.get(f"{prefix}{name}")
        if example and not info.epilog:
            info.epilog = f"Example: {example}"
    for group in app.registered_groups:
        if group.typer_instance is not None and group.name:
            add_examples(group.typer_instance, f"{prefix}{group.name} ")
