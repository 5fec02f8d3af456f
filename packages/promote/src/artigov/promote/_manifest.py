"""The snapshot manifest: one typed value, built in one place, serialized in one place, and read
back through the same type (:meth:`Manifest.from_bytes`).

Its byte format (canonical JSON of :meth:`Manifest.to_dict`) is what gets signed and what
``docs/formats.md`` documents; ``schemas/snapshot.schema.json`` validates it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from artigov.core import canonical_json

__all__ = [
    "MANIFEST_FORMAT",
    "InputApproval",
    "Manifest",
    "ManifestError",
    "SnapshotInput",
    "manifest_problem",
    "tool_version",
]

MANIFEST_FORMAT = 3
#: Fields written only when they have a value (the others are always written, ``parent`` as null).
_OPTIONAL = ("expires", "rollback_of", "reason", "decisions", "trust_version", "rolled_back", "withdrawn")


def _schema() -> dict[str, Any]:
    from artigov.core import packaged_schema

    return packaged_schema("artigov.promote", "snapshot.schema.json")


@lru_cache(maxsize=1)
def _certainly_valid() -> Any:
    """The check compiled from snapshot.schema.json: True only for a manifest certainly valid."""
    from artigov.core import compile_schema

    return compile_schema(_schema())


@lru_cache(maxsize=1)
def _validator() -> Any:
    """The jsonschema validator, loaded only to explain a manifest the compiled check doubts
    (importing jsonschema costs a command ~65 ms)."""
    from jsonschema import Draft202012Validator

    from artigov.core import format_checker

    return Draft202012Validator(_schema(), format_checker=format_checker())


def manifest_problem(value: Any) -> str | None:
    """Why ``value`` is not a valid manifest (schema/snapshot.schema.json: the first error, with
    its place), or None. The compiled check answers for a valid one; jsonschema explains."""
    if _certainly_valid()(value):
        return None
    errors = sorted(_validator().iter_errors(value), key=lambda e: list(map(str, e.absolute_path)))
    if not errors:
        return None
    where = "/".join(map(str, errors[0].absolute_path))
    return f"manifest {where or '(root)'}: {errors[0].message}"


class ManifestError(ValueError):
    """Bytes that are not a manifest: ``code`` is V004 (not a JSON object) or V016 (not valid
    against the schema); the message says why, without the snapshot (the reader adds it)."""

    def __init__(self, code: str, problem: str) -> None:
        super().__init__(problem)
        self.code = code
        self.problem = problem


def tool_version() -> str:
    """The artigov-promote version that signs (``tool_version``)."""
    try:
        return version("artigov-promote")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


@dataclass(frozen=True)
class InputApproval:
    """One approval a manifest records under an input: who, in which role, with which key and
    when, and the signed statement in the record (its path and digest)."""

    approver: str
    statement: str
    digest: str
    role: str | None = None
    fingerprint: str | None = None
    time: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The approval as JSON values (every field written, the unknown ones as null)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InputApproval:
        """An approval as a manifest (or the gate's summary of a statement) holds it."""
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True)
class SnapshotInput:
    """One stored input: where it was, what it is (id, version, status, checksum), the object that
    holds its bytes (and, for a sidecar artifact, its metadata file's path and object), and the
    approvals the gate accepted for it."""

    kind: str
    path: str
    id: str
    version: str
    status: str
    checksum: str
    object: str
    meta: str | None = None
    meta_object: str | None = None
    approvals: tuple[InputApproval, ...] = ()

    @property
    def objects(self) -> tuple[str, ...]:
        """The objects that hold it: its content's, then its metadata file's if it has one."""
        return (self.object, self.meta_object) if self.meta_object else (self.object,)

    @property
    def paths(self) -> tuple[str, ...]:
        """The workspace paths it came from: its content's, then its metadata file's."""
        return (self.path, self.meta) if self.meta else (self.path,)

    def to_dict(self) -> dict[str, Any]:
        """The input as JSON values (``meta``, ``meta_object`` and ``approvals`` only when set)."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "path": self.path,
            "id": self.id,
            "version": self.version,
            "status": self.status,
            "checksum": self.checksum,
            "object": self.object,
        }
        if self.meta is not None:
            out["meta"] = self.meta
        if self.meta_object is not None:
            out["meta_object"] = self.meta_object
        if self.approvals:
            out["approvals"] = [a.to_dict() for a in self.approvals]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SnapshotInput:
        """An input as a manifest (or the promotion that stores it) holds it."""
        values = {k: data[k] for k in cls.__dataclass_fields__ if k in data and k != "approvals"}
        approvals = tuple(InputApproval.from_dict(a) for a in data.get("approvals") or ())
        return cls(**values, approvals=approvals)


@dataclass(frozen=True)
class Manifest:
    """What a snapshot is: its place in the chain, its inputs, who signed it, and when.

    Attributes:
        framework, gate, sequence: which snapshot (sequences count 1, 2, … per framework).
        parent: the digest of the previous snapshot's manifest (None for the first).
        index_digest, plan_digest: the index and the hydration plan the inputs came from.
        inputs: one entry per stored input (path, id, version, status, checksum, object, and
            its approvals when approved), in the plan's order.
        signer: the signing key's primary fingerprint.
        trust_version: the trust version in force when it was signed (``governance/trust/``); the
            signer is checked against it. None in manifests made before format 3 (version 1 applies).
        created_at, created_at_source: when (``SOURCE_DATE_EPOCH`` or the clock, said which).
        git: the commit the inputs came from, and whether they were committed.
        expires: when the snapshot stops verifying, if it does.
        rollback_of, reason: for a rollback, the snapshot restored and why.
        rolled_back, withdrawn: for a rollback, the gate's snapshot it replaced, and the versions it
            withdrew (hydration skips them until they are approved again).
        decisions: the decision-log lines the snapshot pins (added when it is committed).
    """

    framework: str
    gate: str
    sequence: int
    parent: str | None
    index_digest: str
    plan_digest: str
    inputs: tuple[SnapshotInput, ...]
    signer: str
    created_at: str
    created_at_source: str
    git: dict[str, Any]
    tool_version: str = field(default_factory=tool_version)
    expires: str | None = None
    rollback_of: int | None = None
    reason: str | None = None
    decisions: dict[str, Any] | None = None
    trust_version: int | None = None
    rolled_back: int | None = None
    withdrawn: list[dict[str, Any]] | None = None
    format_version: int = MANIFEST_FORMAT

    def to_dict(self) -> dict[str, Any]:
        """The manifest as JSON values (the optional fields only when set)."""
        out = {f: getattr(self, f) for f in self.__dataclass_fields__}
        out["inputs"] = [i.to_dict() for i in self.inputs]
        for key in _OPTIONAL:
            if out[key] is None:
                del out[key]
        return out

    def to_bytes(self) -> bytes:
        """The signed bytes: canonical JSON (sorted keys, compact, UTF-8)."""
        return canonical_json(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        """A manifest from JSON values already valid against the schema; fields of older formats
        (``audit_head``) are not carried."""
        values = {k: data[k] for k in cls.__dataclass_fields__ if k in data and k != "inputs"}
        values.setdefault("git", {})
        return cls(**values, inputs=tuple(SnapshotInput.from_dict(i) for i in data["inputs"]))

    @classmethod
    def from_bytes(cls, data: bytes) -> Manifest:
        """A manifest read from its signed bytes (unverified): JSON, valid against the schema.

        Raises:
            ManifestError: V004 not a JSON object, V016 not a valid manifest.
        """
        try:
            value = json.loads(data)
        except RecursionError:
            raise ManifestError("V004", "manifest nests too deeply") from None
        except ValueError as e:
            raise ManifestError("V004", f"manifest is not JSON ({e})") from None
        if not isinstance(value, dict):
            raise ManifestError("V004", "manifest is not a JSON object")
        problem = manifest_problem(value)
        if problem:  # never handed on: every reader may rely on the schema's shape
            raise ManifestError("V016", problem)
        return cls.from_dict(value)

    def as_rollback(
        self, *, sequence: int, parent: str, signer: str, created_at: str, created_at_source: str, **fields: Any
    ) -> Manifest:
        """The manifest of a rollback to this snapshot: its framework, gate and inputs, as a new
        snapshot at the head of the chain (no expiry, no pin yet)."""
        return replace(
            self,
            sequence=sequence,
            parent=parent,
            signer=signer,
            created_at=created_at,
            created_at_source=created_at_source,
            tool_version=tool_version(),
            format_version=MANIFEST_FORMAT,
            **{"expires": None, "decisions": None, "rolled_back": None, "withdrawn": None, **fields},
        )

    def pinning(self, decisions: dict[str, Any]) -> Manifest:
        """This manifest pinning the decision-log lines ``decisions`` (``from``, ``head``, ``lines``)."""
        return replace(self, decisions=decisions)
