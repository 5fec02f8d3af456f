"""artigov.contract: per-framework contracts, gate checks and RACI.

Every public name is imported from here (``from artigov.contract import X``); the modules behind them
are private. Names load on first use (:func:`artigov.core.lazy_exports`), so importing the package
costs nothing until a name is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from artigov.core import lazy_exports

if TYPE_CHECKING:
    from artigov.contract._approvals import (
        ApprovalStatement,
        all_statements,
        approvals_dir,
        current_statements,
        statements_for,
        valid_approvals,
    )
    from artigov.contract._check import ContractReport, check_all_gates, check_contract, stale_index_finding
    from artigov.contract._model import Contract, Gate, Trigger, contract_frameworks, contract_path, load_contract
    from artigov.contract._transition import Signoff, transition
    from artigov.contract.errors import ContractError

__all__ = [
    "ApprovalStatement",
    "Contract",
    "ContractError",
    "ContractReport",
    "Gate",
    "Trigger",
    "all_statements",
    "approvals_dir",
    "current_statements",
    "statements_for",
    "check_all_gates",
    "stale_index_finding",
    "check_contract",
    "contract_frameworks",
    "contract_path",
    "load_contract",
    "Signoff",
    "transition",
    "valid_approvals",
]
__version__: str  # the distribution's version, read from its metadata on first use

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, __file__)
