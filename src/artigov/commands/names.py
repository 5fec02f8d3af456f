"""Every command's name, written once: the Typer command line registers each under it, each
command's run (:func:`artigov.commands.runner.execute`) binds it to its audit events and JSON,
the invoke tasks and the fast door run the same functions, and a test holds the Typer tree, this
table and the published output schema's ``command`` enum to each other (nox's ``_option_set``
idea, for command names: :mod:`artigov.commands.options` does it for the shared options).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Command"]


class Command(StrEnum):
    """A command of the ``artigov`` command line, by its full name (``index update``)."""

    ADOPT = "adopt"
    APPROVE = "approve"
    AUDIT_SHOW = "audit show"
    AUDIT_VERIFY = "audit verify"
    CONTRACT_CHECK = "contract check"
    CONTRACT_FRAMEWORKS = "contract frameworks"
    DEMO = "demo"
    DIFF = "diff"
    HOOK_INSTALL = "hook install"
    HOOK_PRE_COMMIT = "hook pre-commit"
    HOOK_PRE_RECEIVE = "hook pre-receive"
    HYDRATE = "hydrate"
    INDEX_ADD = "index add"
    INDEX_MERGE = "index merge"
    INDEX_REBUILD = "index rebuild"
    INDEX_RECOVER = "index recover"
    INDEX_UPDATE = "index update"
    INDEX_VERIFY = "index verify"
    INIT = "init"
    MIGRATE_RECORD = "migrate-record"
    PROMOTE = "promote"
    PRUNE = "prune"
    REHEARSE = "rehearse"
    REJECT = "reject"
    REPAIR_HEAD = "repair-head"
    REPORT = "report"
    REVIEW = "review"
    ROLLBACK = "rollback"
    ROUTE_CHECK = "route check"
    ROUTE_FIX = "route fix"
    ROUTE_RESOLVE = "route resolve"
    SCHEMA_SHOW = "schema show"
    SNAPSHOTS = "snapshots"
    STATUS = "status"
    TRIGGERS = "triggers"
    TRUST_INIT = "trust init"
    TRUST_PROPOSE = "trust propose"
    TRUST_SHOW = "trust show"
    TRUST_SIGN = "trust sign"
    TRUST_STATUS = "trust status"
    VALIDATE = "validate"
    VERIFY = "verify"

    @property
    def group(self) -> str | None:
        """The command group it is in (``index``), None for a top-level command."""
        head, _, rest = self.value.partition(" ")
        return head if rest else None

    @property
    def leaf(self) -> str:
        """Its name within its group (``update``): what Typer registers it as."""
        return self.value.rpartition(" ")[2]
