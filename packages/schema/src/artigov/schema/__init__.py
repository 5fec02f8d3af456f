"""artigov.schema: the artifact model, frontmatter and sidecar loading, validation.

Import cost matters (``artigov --help`` must stay fast), so this module only
re-exports light names; ``validate_workspace`` and ``SchemaSet`` (which pull
in jsonschema) load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from artigov.schema.model import STATUS_RANK, STATUSES, Artifact

if TYPE_CHECKING:
    from artigov.schema.validate import ValidationReport, validate_workspace
    from artigov.schema.validator import SchemaSet

__all__ = ["STATUSES", "STATUS_RANK", "Artifact", "SchemaSet", "ValidationReport", "validate_workspace"]
__version__ = "0.1.0"

_LAZY = {
    "ValidationReport": "artigov.schema.validate",
    "validate_workspace": "artigov.schema.validate",
    "SchemaSet": "artigov.schema.validator",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'artigov.schema' has no attribute {name!r}")
