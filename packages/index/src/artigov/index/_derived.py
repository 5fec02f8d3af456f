"""Results derived from one version of the index, kept for the next command (a speed seam).

A command that checks something of every indexed artifact (placement, say) can keep its result
for the index it read: ``state_dir/derived-<name>.json`` holds the index digest, a key naming
every other input it depends on (file stamps), and the value. Asked again with the same digest
and key, it answers without reading the index; with anything else it answers None and the caller
computes afresh. A corrupt or foreign file is the same as none, and so is one whose value does not
match its seal (the sha256 of its digest, key and value, written with them: a value edited by hand
or by another tool is never read as the index's); writing is best effort (a read-only state folder
only costs speed). Nothing in it is ever committed or trusted for more.

An index version made from another by a few changed entries need not be computed afresh either:
every write of the index records its *step* (base digest, new digest, the paths added, changed or
removed, and, when the writer knew them, the frameworks of the entries it changed or removed as
they were; ``state_dir/index-steps.json``, the last :data:`STEPS_KEPT`, only for writes of at most
:data:`STEP_PATHS_MAX` paths). :meth:`DerivedCache.before` walks those steps back from an index
digest to the one a value is stored for, and answers that value with every path the steps touched:
the caller recomputes just those (:meth:`DerivedCache.chain`: and the frameworks they left, which
the new index no longer names for a path removed). The steps name content digests, so
a step is true for as long as anyone holds either digest; a lost or corrupt steps file only costs
speed.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any, NamedTuple

from artigov.core import Workspace

__all__ = ["STEPS_KEPT", "STEPS_NAME", "STEP_PATHS_MAX", "Chain", "DerivedCache", "file_stamp", "record_step"]

_FORMAT = 1

#: How many index writes the steps file remembers.
STEPS_KEPT = 16
#: A write touching more paths than this is not recorded: its successors compute afresh.
STEP_PATHS_MAX = 256
#: The steps file in the state folder (written only by the index lock's holder).
STEPS_NAME = "index-steps.json"


def _seal(payload: dict[str, Any]) -> str:
    """The sha256 of a kept payload's canonical JSON (every field but ``seal``)."""
    import hashlib

    body = {k: v for k, v in payload.items() if k != "seal"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _sealed(data: dict[str, Any]) -> bytes:
    return json.dumps({**data, "seal": _seal(data)}).encode()


def _unsealed(path: Path) -> dict[str, Any] | None:
    """The kept payload at ``path``, or None when it is missing, corrupt, foreign or its seal fails."""
    try:
        held = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(held, dict) or held.get("format") != _FORMAT or held.get("seal") != _seal(held):
        return None
    return held


def _steps(ws: Workspace) -> list[dict[str, Any]]:
    """The recorded steps, oldest first; none when the file is missing, corrupt or foreign."""
    held = _unsealed(ws.state_dir / STEPS_NAME)
    if held is None or not isinstance(held.get("steps"), list):
        return []
    return [
        s
        for s in held["steps"]
        if isinstance(s, dict)
        and isinstance(s.get("base"), str)
        and isinstance(s.get("digest"), str)
        and isinstance(s.get("paths"), list)
        and all(isinstance(p, str) for p in s["paths"])
        and _names_or_none(s.get("frameworks"))
    ]


def _names_or_none(value: Any) -> bool:
    """Whether a step's ``frameworks`` is absent (None) or a list of names."""
    return value is None or (isinstance(value, list) and all(isinstance(n, str) for n in value))


def record_step(
    ws: Workspace, base: str | None, digest: str, paths: list[str] | None, frameworks: list[str] | None = None
) -> None:
    """Record that index ``digest`` was written from index ``base`` by adding, changing or removing
    ``paths`` (None, or more than :data:`STEP_PATHS_MAX`: not recorded), the entries changed or
    removed having been of ``frameworks`` (None: not known). Best effort."""
    from artigov.core import DiskError, write_atomic

    if base is None or paths is None or len(paths) > STEP_PATHS_MAX or base == digest:
        return
    step: dict[str, Any] = {"base": base, "digest": digest, "paths": sorted(paths)}
    if frameworks is not None:
        step["frameworks"] = sorted(set(frameworks))
    steps = [*_steps(ws), step][-STEPS_KEPT:]
    data = _sealed({"format": _FORMAT, "steps": steps})
    with contextlib.suppress(OSError, DiskError):  # best effort: only speed depends on it
        write_atomic(ws.state_dir / STEPS_NAME, data, lock=False)


def file_stamp(path: Path) -> list[int] | None:
    """(size, mtime_ns, ctime_ns, inode) of ``path``, or None if it is not there."""
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


class Chain(NamedTuple):
    """A value kept for an earlier index, and the recorded steps from that index to a later one."""

    value: Any
    steps: list[dict[str, Any]]

    @property
    def paths(self) -> set[str]:
        """Every path the steps added, changed or removed."""
        return {path for step in self.steps for path in step["paths"]}

    @property
    def frameworks(self) -> set[str] | None:
        """The frameworks of the entries the steps changed or removed, as they were; None when a
        step did not record them."""
        if any(step.get("frameworks") is None for step in self.steps):
            return None
        return {name for step in self.steps for name in step["frameworks"]}


class DerivedCache:
    """One value computed from an index, kept in ``state_dir`` and valid only for that index's digest
    and the same key (a speed seam: losing it costs one recomputation)."""

    def __init__(self, ws: Workspace, name: str) -> None:
        self.ws = ws
        self.path = ws.state_dir / f"derived-{name}.json"

    def _held(self, key: Any) -> tuple[str, Any] | None:
        """(index digest, value) stored for ``key``, or None."""
        held = _unsealed(self.path)
        if held is None or held.get("key") != key:
            return None
        digest = held.get("index_digest")
        return (digest, held.get("value")) if isinstance(digest, str) else None

    def get(self, digest: str, key: Any) -> Any | None:
        """The value stored for index ``digest`` and ``key``, or None."""
        held = self._held(key)
        return held[1] if held is not None and held[0] == digest else None

    def before(self, digest: str, key: Any) -> tuple[Any, set[str]] | None:
        """The value stored for an earlier index that recorded steps lead from to index ``digest``,
        with every path those steps added, changed or removed; None when no such chain is known.

        The value holds for every other path: the caller recomputes the ones returned.
        """
        chain = self.chain(digest, key)
        return None if chain is None else (chain.value, chain.paths)

    def chain(self, digest: str, key: Any) -> Chain | None:
        """The value stored for ``key`` and the recorded steps from its index to index ``digest``
        (what :meth:`before` answers, and the frameworks the steps left); None when no such chain
        is known."""
        held = self._held(key)
        if held is None:
            return None
        stored, value = held
        steps = _steps(self.ws)
        chain: list[dict[str, Any]] = []
        at = digest
        for _ in steps:  # each step at most once: a chain longer than the file is a cycle
            if at == stored:
                return Chain(value, chain)
            step = next((s for s in reversed(steps) if s["digest"] == at), None)
            if step is None:
                return None
            chain.append(step)
            at = step["base"]
        return Chain(value, chain) if at == stored else None

    def put(self, digest: str, key: Any, value: Any) -> None:
        """Store ``value`` for index ``digest`` and ``key`` (best effort: a failed write is ignored)."""
        from artigov.core import DiskError, write_atomic

        data = _sealed({"format": _FORMAT, "index_digest": digest, "key": key, "value": value})
        with contextlib.suppress(OSError, DiskError):  # best effort: the next command computes it again
            write_atomic(self.path, data, lock=False)
