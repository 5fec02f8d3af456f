"""Workspace discovery and configuration (``artigov.yaml``).

A workspace is a directory holding ``artigov.yaml``. Discovery walks up from
the current directory the way git finds ``.git``; ``--root`` overrides it.
Every path in the config must stay inside the workspace.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from artigov.core._fastschema import Check, compile_schema
from artigov.core._packaged import packaged_schema
from artigov.core.errors import (
    EXIT_USAGE,
    ArtigovError,
    ConfigError,
    PathEscapeError,
    WorkspaceNotFoundError,
    YamlSafetyError,
)

__all__ = [
    "CONFIG_NAME",
    "FRAMEWORK_NAME",
    "RECORD_FOLDERS",
    "SigningConfig",
    "Workspace",
    "check_framework_name",
    "find_root",
    "load_workspace",
    "resolve_inside",
    "shown_path",
]

CONFIG_NAME = "artigov.yaml"
#: A framework name (contract and snapshot schemas); it becomes a file and a folder name.
FRAMEWORK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
#: The record's shared folders (public keys, objects, trust versions): never a framework's name.
RECORD_FOLDERS = frozenset({"keys", "objects", "trust"})
_MAX_CONFIG_BYTES = 1 << 20

_DEFAULTS: dict[str, Any] = {
    "artifacts": ["frameworks/**"],
    "exclude": [],
    "routing_map": "artifact_routing.mdc",
    "command_routing": "routing_matrix.json",
    "contracts": "contracts",
    "index": "artifacts_index.json",
    "record": "governance",
    "state_dir": ".artigov",
    "kind_schemas": "schemas/kinds",
}


@dataclass(frozen=True)
class SigningConfig:
    """Who signs snapshots and whose signatures verify."""

    key: str | None = None
    trusted: tuple[str, ...] = ()
    gnupghome: Path | None = None


@dataclass(frozen=True)
class Workspace:
    """A loaded workspace: its root and every configured path, made absolute."""

    root: Path
    config_path: Path
    artifacts: tuple[str, ...]
    routing_map: Path
    command_routing: Path
    contracts_dir: Path
    index_path: Path
    #: COMMITTED: keys, objects, and per framework the HEAD, snapshots and decision log (DESIGN section 13).
    record_dir: Path
    #: LOCAL, git-ignored: lock, journal, stat cache, operational log.
    state_dir: Path
    kind_schemas_dir: Path
    signing: SigningConfig = field(default_factory=SigningConfig)
    #: False (default): the index is local derived state, git-ignored, kept fresh by the commands
    #: that read it; True: it is committed (merged by ``artigov index merge``; a stale one is refused).
    index_committed: bool = False
    #: globs of files under ``artifacts`` that are not artifacts (never discovered or indexed)
    exclude: tuple[str, ...] = ()

    @property
    def audit_path(self) -> Path:
        """The local operational log (one summary event per command run)."""
        return self.state_dir / "audit.jsonl"

    @property
    def keys_dir(self) -> Path:
        """Committed trusted public keys, ``<FPR>.asc`` each."""
        return self.record_dir / "keys"

    def rel(self, path: Path) -> str:
        """POSIX path of ``path`` relative to the root; raises if it is outside."""
        absolute = path if path.is_absolute() else Path.cwd() / path
        try:
            rel = Path(os.path.normpath(absolute)).relative_to(self.root)
        except ValueError:
            raise PathEscapeError(str(path), self.root) from None
        return rel.as_posix()


def check_framework_name(framework: str) -> str:
    """``framework`` if it is a safe file and folder name, else a usage error naming the rule."""
    if not FRAMEWORK_NAME.fullmatch(framework) or framework in RECORD_FOLDERS or framework.endswith("."):
        raise ArtigovError(
            f"invalid framework name {framework!r}",
            fix="a framework name is letters, digits, '_', '.' and '-', starting with a letter or digit",
            exit_code=EXIT_USAGE,
        )
    return framework


def shown_path(path: Path, root: Path) -> str:
    """``path`` as messages show it: POSIX and relative to ``root`` when inside it, else as it is
    (for paths that may lie outside the workspace, where :meth:`Workspace.rel` raises)."""
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def find_root(start: Path | None = None) -> Path:
    """The nearest directory at or above ``start`` holding ``artigov.yaml``."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / CONFIG_NAME).is_file():
            return candidate
    raise WorkspaceNotFoundError(here)


def resolve_inside(root: Path, rel: str, *, source: str | None = None) -> Path:
    """Resolve a workspace-relative path, refusing anything that leaves the root.

    Absolute paths, ``..`` components and symlinks that point outside are all
    refused with :class:`PathEscapeError`.
    """
    pure = PurePosixPath(rel)
    if pure.is_absolute() or Path(rel).is_absolute() or ".." in pure.parts:
        raise PathEscapeError(rel, root, source=source)
    candidate = root / Path(*pure.parts) if pure.parts else root
    real_root = root.resolve()
    real = candidate.resolve()
    if real != real_root and real_root not in real.parents:
        raise PathEscapeError(rel, root, source=source)
    return candidate


def _config_schema() -> dict[str, Any]:
    return packaged_schema("artigov.core", "workspace-config.schema.json")


@lru_cache(maxsize=1)
def _config_check() -> Check:
    return compile_schema(_config_schema())


@lru_cache(maxsize=1)
def _config_validator() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(_config_schema())


def _field_name(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _check_globs(merged: dict[str, Any], root: Path, source: str) -> None:
    """Every ``artifacts`` and ``exclude`` glob stays inside the workspace."""
    for key in ("artifacts", "exclude"):
        for glob in merged[key]:
            pure = PurePosixPath(glob)
            if pure.is_absolute() or ".." in pure.parts:
                raise PathEscapeError(glob, root, source=f"{source}: field `{key}`")


def _root_of(root: Path | None, start: Path | None) -> Path:
    """The workspace root: ``root`` checked to hold a config, or found upwards from ``start``.

    Raises:
        ConfigError: ``root`` is no folder, or has no ``artigov.yaml``.
        WorkspaceNotFoundError: none was found from ``start``.
    """
    if root is None:
        return find_root(start)
    root = root.resolve()
    if not (root / CONFIG_NAME).is_file():
        if not root.is_dir():
            raise ConfigError(root, None, "no such directory", fix="pass an existing workspace directory to --root")
        raise ConfigError(root / CONFIG_NAME, None, "file not found", fix="create it, or run `artigov init` there")
    return root


def _read_config(config_path: Path) -> dict[str, Any]:
    """The config's settings: at most 1 MiB of UTF-8 YAML, a mapping (an empty file is no settings).

    Raises:
        ConfigError: naming what is wrong and the fix.
    """
    from artigov.core._safeyaml import load_yaml

    raw = config_path.read_bytes()
    if len(raw) > _MAX_CONFIG_BYTES:
        raise ConfigError(config_path, None, "larger than 1 MiB", fix="this is not a workspace config")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(config_path, None, f"not UTF-8 (byte {e.start})", fix="save the file as UTF-8") from e
    try:
        data = load_yaml(text)
    except YamlSafetyError as e:
        where = f" (line {e.line})" if e.line else ""
        raise ConfigError(config_path, None, f"{e.message}{where}", fix=e.fix) from e
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(config_path, None, "must be a mapping of settings", fix="see the README for the fields")
    return data


def _check_config(config_path: Path, data: dict[str, Any]) -> None:
    """Raise ConfigError naming the first field the config schema refuses, with its fix."""
    errors = (
        []
        if _config_check()(data)  # jsonschema (and its import) only if in doubt
        else sorted(_config_validator().iter_errors(data), key=lambda err: list(map(str, err.absolute_path)))
    )
    if not errors:
        return
    err = errors[0]
    name = _field_name(err.absolute_path) or None
    fix = "see the README's artigov.yaml reference"
    if err.validator == "additionalProperties":
        fix = "remove or rename the unknown field (known: " + ", ".join(sorted(err.schema.get("properties", {}))) + ")"
    elif err.validator == "pattern" and name and "signing" in name:
        fix = "use the full 40-hex-digit key fingerprint (gpg --list-keys --with-colons)"
    raise ConfigError(config_path, name, err.message, fix=fix)


def load_workspace(root: Path | None = None, *, start: Path | None = None) -> Workspace:
    """Load the workspace at ``root``, or find it from ``start`` (default: cwd).

    Raises:
        WorkspaceNotFoundError: no ``artigov.yaml`` was found.
        ConfigError: the config is unreadable, not YAML, or fails its schema;
            the message names the file and the field.
        PathEscapeError: a configured path leaves the workspace.
    """
    root = _root_of(root, start)
    config_path = root / CONFIG_NAME
    data = _read_config(config_path)
    _check_config(config_path, data)

    merged = {**_DEFAULTS, **{k: v for k, v in data.items() if k not in ("signing", "index_committed")}}
    source = str(config_path)
    _check_globs(merged, root, source)

    def inside(key: str) -> Path:
        return resolve_inside(root, merged[key], source=f"{source}: field `{key}`")

    signing_raw = data.get("signing") or {}
    gnupghome = signing_raw.get("gnupghome")
    signing = SigningConfig(
        key=(signing_raw.get("key") or None) and str(signing_raw["key"]).upper(),
        trusted=tuple(sorted(str(f).upper() for f in signing_raw.get("trusted", []))),
        gnupghome=(root / Path(gnupghome).expanduser()) if gnupghome else None,
    )
    return Workspace(
        root=root,
        config_path=config_path,
        artifacts=tuple(merged["artifacts"]),
        exclude=tuple(merged["exclude"]),
        routing_map=inside("routing_map"),
        command_routing=inside("command_routing"),
        contracts_dir=inside("contracts"),
        index_path=inside("index"),
        record_dir=inside("record"),
        state_dir=inside("state_dir"),
        kind_schemas_dir=inside("kind_schemas"),
        signing=signing,
        index_committed=bool(data.get("index_committed", False)),
    )
