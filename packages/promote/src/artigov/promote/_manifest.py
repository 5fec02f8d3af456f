"""The snapshot manifest: one typed value, built in one place, serialized in one place.

Its byte format (canonical JSON of :meth:`Manifest.to_dict`) is what gets signed and what
``docs/formats.md`` documents; ``schemas/snapshot.schema.json`` validates it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from artigov.core import canonical_json

__all__ = ["MANIFEST_FORMAT", "Manifest", "manifest_problem", "tool_version"]

MANIFEST_FORMAT = 3
#: Fields written only when they have a value (the others are always written, ``parent`` as null).
_OPTIONAL = ("expires", "rollback_of", "reason", "decisions", "trust_version", "rolled_back", "withdrawn")


@lru_cache(maxsize=1)
def _checks() -> tuple[Any, Any]:
    """(the compiled fast check, the jsonschema validator) of snapshot.schema.json, built once."""
    from jsonschema import Draft202012Validator

    from artigov.core import compile_schema, format_checker, packaged_schema

    schema = packaged_schema("artigov.promote", "snapshot.schema.json")
    return compile_schema(schema), Draft202012Validator(schema, format_checker=format_checker())


def manifest_problem(value: Any) -> str | None:
    """Why ``value`` is not a valid manifest (schema/snapshot.schema.json: the first error, with
    its place), or None. The compiled check answers for a valid one; jsonschema explains."""
    certain, validator = _checks()
    if certain(value):
        return None
    errors = sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.absolute_path)))
    if not errors:
        return None
    where = "/".join(map(str, errors[0].absolute_path))
    return f"manifest {where or '(root)'}: {errors[0].message}"


def tool_version() -> str:
    """The artigov-promote version that signs (``tool_version``)."""
    try:
        return version("artigov-promote")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


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
    inputs: list[dict[str, Any]]
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
        out = asdict(self)
        for key in _OPTIONAL:
            if out[key] is None:
                del out[key]
        return out

    def to_bytes(self) -> bytes:
        """The signed bytes: canonical JSON (sorted keys, compact, UTF-8)."""
        return canonical_json(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        """A manifest read from the record (validated against the schema by the caller); fields of
        older formats (``audit_head``) are not carried."""
        names = {f for f in cls.__dataclass_fields__ if f in data}
        values = {k: data[k] for k in names}
        values.setdefault("git", {})
        return cls(**values)

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
