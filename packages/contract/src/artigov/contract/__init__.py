"""artigov.contract: per-framework contracts, gate checks and RACI."""

from __future__ import annotations

from artigov.contract.check import ContractReport, check_contract
from artigov.contract.model import Contract, ContractError, Gate, Trigger, contract_path, load_contract

__all__ = [
    "Contract",
    "ContractError",
    "ContractReport",
    "Gate",
    "Trigger",
    "check_contract",
    "contract_path",
    "load_contract",
]
__version__ = "0.1.0"
