"""One example per command, shown at the end of its ``--help`` (a test holds every command to it)."""

from __future__ import annotations

from typing import Any

__all__ = ["EXAMPLES", "add_examples"]

#: command path -> a command line a user can copy.
EXAMPLES: dict[str, str] = {
    "init": "artigov init governance --framework payments --owner alice@example.org --key FPR",
    "validate": "artigov validate frameworks/payments/plans/technical/technical-plan-0.1.0.md",
    "hydrate": "artigov hydrate --framework payments --stage design --deterministic --out plan.json",
    "promote": "artigov promote --framework payments --gate design --commit",
    "verify": "artigov verify --all --since origin/main",
    "rollback": "artigov rollback --framework payments --gate design --reason 'bad figures in 1.1' --commit",
    "prune": "artigov prune --framework payments --apply",
    "triggers": "artigov triggers --framework payments --format json",
    "snapshots": "artigov snapshots --framework payments",
    "diff": "artigov diff --framework payments 1 2",
    "migrate-record": "artigov migrate-record",
    "repair-head": "artigov repair-head --framework payments",
    "review": "artigov review frameworks/payments/plans/technical/technical-plan-0.1.0.md --as bob@example.org",
    "approve": "artigov approve frameworks/payments/plans/technical/technical-plan-0.1.0.md --as alice@example.org",
    "reject": "artigov reject frameworks/payments/plans/technical/technical-plan-0.1.0.md --comment 'scope unclear'",
    "adopt": "artigov adopt docs/ --framework payments (then again with --apply)",
    "status": "artigov status --framework payments --format json",
    "report": "artigov report --framework payments --out report.html",
    "demo": "artigov demo --dir /tmp/artigov-demo",
    "rehearse": "artigov rehearse --quick",
    "route check": "artigov route check --format sarif > routes.sarif",
    "route resolve": "artigov route resolve drafts/technical-plan-0.1.0.md",
    "route fix": "artigov route fix --apply",
    "index add": "artigov index add frameworks/payments/plans/technical/technical-plan-0.1.0.md",
    "index update": "artigov index update",
    "index rebuild": "artigov index rebuild",
    "index verify": "artigov index verify --full",
    "index recover": "artigov index recover",
    "index merge": 'git config merge.artigov-index.driver "artigov index merge %O %A %B"',
    "audit verify": "artigov audit verify",
    "audit show": "artigov audit show --framework payments --event approval_recorded",
    "schema show": "artigov schema show risk-register",
    "trust init": "artigov trust init --key FPR",
    "trust propose": "artigov trust propose --add-person payments:carol@example.org:FPR",
    "trust sign": "artigov trust sign",
    "trust show": "artigov trust show --format json",
    "trust status": "artigov trust status",
    "hook pre-receive": "(installed by `artigov hook install`; git runs it on every push)",
    "hook install": "artigov hook install /srv/git/governance.git --workspace .",
    "contract check": "artigov contract check --framework payments --all-gates --format sarif > payments.sarif",
    "contract frameworks": "for f in $(artigov contract frameworks); do artigov contract check -f $f --all-gates; done",
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
