"""artigov.schema: the artifact model, frontmatter and sidecar loading, validation.

Every public name is imported from here (``from artigov.schema import X``); the modules behind them
are private. Names load on first use (:func:`artigov.core.lazy_exports`), so importing the package
costs nothing until a name is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from artigov.core import lazy_exports

if TYPE_CHECKING:
    from artigov.schema._discovery import (
        MISSING,
        SIDECAR_SUFFIXES,
        ArtifactUnit,
        Relisted,
        Stamp,
        Streamed,
        discover,
        discovery_scope,
        group_units,
        relist,
        sidecar_target,
        stamp_of,
        unnameable,
        unsafe_artifact_path,
    )
    from artigov.schema._edit import (
        EditError,
        edit_metadata,
        edit_yaml_text,
        edited_artifact,
        newline_of,
        render_fields,
    )
    from artigov.schema._explain import explain_kind
    from artigov.schema._loader import (
        MAX_FILE_BYTES,
        load_frontmatter_artifact,
        load_sidecar_artifact,
        read_source,
    )
    from artigov.schema._model import STATUS_RANK, STATUSES, TRANSITION_FIELDS, Artifact, approved_metadata_digest
    from artigov.schema._validate import (
        ValidationReport,
        check_unit,
        check_units,
        duplicate_finding,
        load_unit,
        log_findings,
        unit_stamps,
        validate_workspace,
    )
    from artigov.schema._validator import SchemaSet, base_schema, packaged_kind_schema_names
    from artigov.schema.errors import ArtifactLoadError, EmptyMetadataError

__all__ = [
    "MAX_FILE_BYTES",
    "Artifact",
    "ArtifactLoadError",
    "EmptyMetadataError",
    "ArtifactUnit",
    "EditError",
    "MISSING",
    "SIDECAR_SUFFIXES",
    "STATUSES",
    "STATUS_RANK",
    "TRANSITION_FIELDS",
    "approved_metadata_digest",
    "Relisted",
    "SchemaSet",
    "Stamp",
    "Streamed",
    "ValidationReport",
    "base_schema",
    "check_unit",
    "check_units",
    "discover",
    "discovery_scope",
    "duplicate_finding",
    "edit_metadata",
    "edit_yaml_text",
    "edited_artifact",
    "explain_kind",
    "group_units",
    "load_frontmatter_artifact",
    "load_sidecar_artifact",
    "load_unit",
    "log_findings",
    "newline_of",
    "packaged_kind_schema_names",
    "read_source",
    "relist",
    "render_fields",
    "sidecar_target",
    "stamp_of",
    "unit_stamps",
    "unnameable",
    "unsafe_artifact_path",
    "validate_workspace",
]
__version__: str  # the distribution's version, read from its metadata on first use

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, __file__)
