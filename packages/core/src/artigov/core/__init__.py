"""artigov.core: workspace and config, errors, audit log, atomic I/O, canonical JSON.

Light to import: heavy modules (jsonschema, yaml) load only when used.

Every public name is imported from here (``from artigov.core import X``); the modules behind them
are private. Names load on first use (:func:`artigov.core.lazy_exports`), so importing the package
costs nothing until a name is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from artigov.core._lazy import lazy_exports

if TYPE_CHECKING:
    from artigov.core._atomic import (
        DEFAULT_LOCK_TIMEOUT,
        Chunks,
        FileLock,
        dead_writer_temps,
        flock_exclusive,
        fsync_dir,
        lock_path_for,
        write_all,
        write_atomic,
        write_new,
        writer_gone,
    )
    from artigov.core._audit import (
        GENESIS,
        ActorLookup,
        AuditLog,
        last_line,
        parse_events,
        read_events,
        seal_lines,
        verify_log,
        write_whole_lines,
    )
    from artigov.core._batchwrite import write_batch
    from artigov.core._canonical import canonical_json, digest_bytes, digest_file, sha256_hex
    from artigov.core._catalogue import CATALOGUE, Code
    from artigov.core._clock import iso, stamp_now
    from artigov.core._events import LEVELS, bind, capture, clear, get_logger
    from artigov.core._fastschema import Check, compile_schema, format_checker
    from artigov.core._faults import (
        FAULT_EXIT_CODE,
        FAULT_POINTS,
        PAUSE_POINTS,
        FaultPoint,
        configure_faults,
        fault_pause,
        fault_point,
        fault_requested,
        fault_table,
        fs_step,
        steps_taken,
    )
    from artigov.core._findings import Finding, code_info, codes_of, render_code_tables, sort_findings
    from artigov.core._forkserver import Forked, ForkServer
    from artigov.core._gpg import (
        VerifyingKeyring,
        committed_keyring,
        gpg_for,
        key_user_ids,
        publish_public_key,
        sign_detached,
        trusted_keyring,
    )
    from artigov.core._layout import MANIFEST_NAME, SIGNATURE_NAME, RecordLayout, sequence_name
    from artigov.core._lineendings import (
        CRLF_FIX,
        CRLF_HINT,
        byte_exact_lines,
        crlf_only,
        ensure_byte_exact,
        record_attributes,
    )
    from artigov.core._logconfig import (
        DEFAULT_LOG_FORMAT,
        DEFAULT_LOG_LEVEL,
        LOG_FORMATS,
        configure_logging,
        flush_audit,
        set_audit_path,
    )
    from artigov.core._packaged import packaged_dir, packaged_schema, packaged_schema_names
    from artigov.core._parallel import bulk_results, cores, die_with_parent, fork_map
    from artigov.core._safeyaml import load_yaml, pointer_lines
    from artigov.core._throwaway import make_throwaway_key, throwaway_gnupg_home
    from artigov.core._tree import FsTree, GitTree, GitTreeError, Tree, git_toplevel
    from artigov.core._trust import (
        ANY_GATE,
        PENDING,
        PIN_ENV,
        TRUST_DIR,
        TRUST_DOC,
        Assessment,
        FrameworkTrust,
        TrustChain,
        TrustDocument,
        TrustError,
        TrustVersion,
        assess_version,
        check_pin,
        committed_keys,
        load_chain,
        load_trust,
        pin_from_env,
        signature_name,
        trust_folder,
    )
    from artigov.core._version import DISTRIBUTIONS, distribution_version
    from artigov.core._workspace import (
        CONFIG_NAME,
        FRAMEWORK_NAME,
        RECORD_FOLDERS,
        SigningConfig,
        Workspace,
        check_framework_name,
        find_root,
        load_workspace,
        resolve_inside,
    )
    from artigov.core.errors import (
        EXIT_FINDINGS,
        EXIT_OK,
        EXIT_USAGE,
        ArtigovError,
        ConfigError,
        DiskError,
        LockTimeoutError,
        PathEscapeError,
        SigningError,
        VerificationError,
        WorkspaceNotFoundError,
        YamlSafetyError,
    )

__all__ = [
    "lazy_exports",
    "ANY_GATE",
    "Assessment",
    "FrameworkTrust",
    "FsTree",
    "GitTree",
    "GitTreeError",
    "PENDING",
    "PIN_ENV",
    "TRUST_DIR",
    "TRUST_DOC",
    "Tree",
    "TrustChain",
    "TrustDocument",
    "TrustError",
    "TrustVersion",
    "assess_version",
    "check_pin",
    "committed_keys",
    "git_toplevel",
    "load_chain",
    "load_trust",
    "pin_from_env",
    "signature_name",
    "trust_folder",
    "ActorLookup",
    "ArtigovError",
    "AuditLog",
    "CATALOGUE",
    "CRLF_FIX",
    "CRLF_HINT",
    "CONFIG_NAME",
    "Check",
    "Chunks",
    "Code",
    "ConfigError",
    "DEFAULT_LOCK_TIMEOUT",
    "DEFAULT_LOG_FORMAT",
    "DEFAULT_LOG_LEVEL",
    "LOG_FORMATS",
    "MANIFEST_NAME",
    "DISTRIBUTIONS",
    "DiskError",
    "EXIT_FINDINGS",
    "EXIT_OK",
    "EXIT_USAGE",
    "FAULT_EXIT_CODE",
    "FAULT_POINTS",
    "FaultPoint",
    "PAUSE_POINTS",
    "FRAMEWORK_NAME",
    "RECORD_FOLDERS",
    "RecordLayout",
    "SIGNATURE_NAME",
    "FileLock",
    "ForkServer",
    "Forked",
    "Finding",
    "GENESIS",
    "LEVELS",
    "LockTimeoutError",
    "PathEscapeError",
    "SigningConfig",
    "SigningError",
    "VerificationError",
    "VerifyingKeyring",
    "Workspace",
    "WorkspaceNotFoundError",
    "YamlSafetyError",
    "bind",
    "byte_exact_lines",
    "crlf_only",
    "ensure_byte_exact",
    "record_attributes",
    "bulk_results",
    "canonical_json",
    "check_framework_name",
    "capture",
    "clear",
    "code_info",
    "codes_of",
    "committed_keyring",
    "compile_schema",
    "format_checker",
    "configure_logging",
    "cores",
    "dead_writer_temps",
    "die_with_parent",
    "digest_bytes",
    "digest_file",
    "distribution_version",
    "fault_pause",
    "fault_point",
    "fault_requested",
    "fault_table",
    "find_root",
    "flock_exclusive",
    "flush_audit",
    "fork_map",
    "fs_step",
    "configure_faults",
    "fsync_dir",
    "get_logger",
    "gpg_for",
    "iso",
    "key_user_ids",
    "last_line",
    "load_workspace",
    "load_yaml",
    "make_throwaway_key",
    "lock_path_for",
    "packaged_dir",
    "packaged_schema",
    "packaged_schema_names",
    "parse_events",
    "pointer_lines",
    "publish_public_key",
    "read_events",
    "render_code_tables",
    "resolve_inside",
    "seal_lines",
    "sequence_name",
    "set_audit_path",
    "sha256_hex",
    "sign_detached",
    "sort_findings",
    "stamp_now",
    "throwaway_gnupg_home",
    "trusted_keyring",
    "steps_taken",
    "verify_log",
    "write_all",
    "writer_gone",
    "write_atomic",
    "write_batch",
    "write_new",
    "write_whole_lines",
]
__version__: str  # the distribution's version, read from its metadata on first use

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, __file__)
