"""artigov.core: workspace and config, errors, audit log, atomic I/O, canonical JSON.

Light to import: heavy modules (jsonschema, yaml) load only when used.
"""

from __future__ import annotations

from artigov.core.canonical import canonical_json, digest_bytes, digest_file, sha256_hex
from artigov.core.errors import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    ArtigovError,
    ConfigError,
    DiskError,
    LockTimeoutError,
    PathEscapeError,
    WorkspaceNotFoundError,
    YamlSafetyError,
)
from artigov.core.findings import Finding, sort_findings
from artigov.core.workspace import CONFIG_NAME, SigningConfig, Workspace, find_root, load_workspace, resolve_inside

__all__ = [
    "CONFIG_NAME",
    "EXIT_FINDINGS",
    "EXIT_OK",
    "EXIT_USAGE",
    "ArtigovError",
    "ConfigError",
    "DiskError",
    "Finding",
    "LockTimeoutError",
    "PathEscapeError",
    "SigningConfig",
    "Workspace",
    "WorkspaceNotFoundError",
    "YamlSafetyError",
    "canonical_json",
    "digest_bytes",
    "digest_file",
    "find_root",
    "load_workspace",
    "resolve_inside",
    "sha256_hex",
    "sort_findings",
]
__version__ = "0.1.0"
