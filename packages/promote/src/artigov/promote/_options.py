"""How a promotion, a rollback and a verification run: each command's options, declared once.

The public calls take what they act on (the workspace, the framework, the gate) as arguments and
everything else as one of these frozen option objects, so a new option is one field here, seen by
every caller through mypy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from artigov.core import DEFAULT_LOCK_TIMEOUT

if TYPE_CHECKING:
    from artigov.core import TrustChain
    from artigov.promote._store import Head

__all__ = ["PromoteOptions", "Recording", "RollbackOptions", "VerifyOptions"]


@dataclass(frozen=True)
class Recording:
    """What every command that records a snapshot is told: the signing key (``None``: the
    configured ``signing.key``), whether to git-commit exactly what it wrote (``--commit``), and how
    long to wait for the framework lock, in seconds."""

    key: str | None = None
    commit: bool = False
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT


@dataclass(frozen=True)
class PromoteOptions(Recording):
    """A promotion's options: :class:`Recording`'s, the snapshot's lifetime in days (``None``:
    it never expires) and whether inputs with uncommitted changes may be promoted."""

    expires_days: int | None = None
    allow_dirty: bool = False


@dataclass(frozen=True)
class RollbackOptions(Recording):
    """A rollback's options: :class:`Recording`'s, the snapshot to restore (``to``), else the
    previous good snapshot of ``gate`` (``None``: the head's gate), and decisions recorded with it
    before its own (a trigger's)."""

    to: int | None = None
    gate: str | None = None
    extra_decisions: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class VerifyOptions:
    """A verification's options: the gate whose current snapshot is verified (``None``: the head),
    the time expiry is judged at (``None``: now), a HEAD to use instead of the file's (``repair-head``
    tries candidates), the trust chain already loaded (``None``: loaded, pinned by
    ``ARTIGOV_TRUST_PIN`` if set), and whether to skip the replay step (only to say which older
    snapshot would verify as the head)."""

    gate: str | None = None
    now: float | None = None
    head: Head | None = None
    trust: TrustChain | None = None
    ignore_newer: bool = False
