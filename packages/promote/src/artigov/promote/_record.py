"""How a snapshot enters the committed record, and how an interrupted one is finished or discarded.

A new snapshot goes in four steps, under the framework lock:

1. its manifest (which pins the decision log *including the batch about to be appended*) and
   signature are written into ``snapshots/.NNNNNN.tmp/``;
2. the batch is appended to ``decisions.jsonl``: the COMMIT POINT;
3. HEAD is moved;
4. the temp folder is renamed to ``snapshots/NNNNNN/``.

A complete folder above HEAD therefore never comes from an interruption (it is a replayed HEAD or
a fork), while a recorded temp folder always does. :func:`recover` runs first in every writing
command: a temp folder whose snapshot the log records is finished (steps 3-4); one the log does not record
was never committed and is discarded, with any lines of its batch that reached the log. A complete
snapshot folder the log does not record is never deleted: that is a fork or a tampered record, and
the command refuses.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import Any

from artigov.core import (
    MANIFEST_NAME,
    DiskError,
    TrustChain,
    digest_bytes,
    fault_point,
    get_logger,
    publish_public_key,
    seal_lines,
    sign_detached,
)
from artigov.promote._decisions import DecisionLog
from artigov.promote._manifest import Manifest, ManifestError
from artigov.promote._store import Head, SnapshotStore
from artigov.promote.errors import PromotionError

__all__ = ["Committed", "Decider", "commit_snapshot", "recover", "set_aside"]

log = get_logger(__name__)


@dataclass(frozen=True)
class Committed:
    """A snapshot recorded: its sequence, its manifest's digest and the new HEAD."""

    sequence: int
    digest: str
    head: Head


@dataclass(frozen=True)
class Decider:
    """Who decides, when, in which framework, and for which snapshot (if one): what every decision
    of one command's batch carries. :meth:`event` makes each decision-log event."""

    ts: str
    actor: str
    framework: str
    #: The snapshot the decisions go with: each event's ``data.sequence`` (unless it names its own).
    sequence: int | None = None

    def event(self, event: str, subject: str, outcome: str, **data: Any) -> dict[str, Any]:
        """One decision-log event (``prev`` and ``id`` are added when the batch is sealed); ``data``
        without its None values."""
        data = {"sequence": self.sequence, **data}
        return {
            "ts": self.ts,
            "event": event,
            "actor": self.actor,
            "framework": self.framework,
            "subject": subject,
            "outcome": outcome,
            "data": {k: v for k, v in data.items() if v is not None},
        }


def recover(store: SnapshotStore) -> list[str]:
    """Finish a committed but unfinished snapshot, discard an uncommitted one, set aside any other
    leftover; say what was done.

    A leftover temp folder is evidence, not an instruction: it is rolled forward only when its
    manifest pins the log as it is now (its batch is recorded), and discarded (with the part of its
    batch that reached the log) only when every line after the point it was written on is its own.
    Anything else (a copy of an older snapshot, a folder whose log grew with other lines, say a
    prune pulled from another clone) is moved aside into ``state_dir/set-aside/``, never deleted,
    and the log is left as it is.
    """
    dlog = DecisionLog(store.decisions_path)
    notes: list[str] = []
    state = dlog.state()
    if dlog.exists() and store.decisions_path.stat().st_size > state.size:
        removed = dlog.truncate_to(state)
        notes.append(f"removed a torn last line ({removed} bytes) from {store.ws.rel(store.decisions_path)}")
    recorded = dlog.recorded()
    top = max(recorded, default=0)
    head = store.head()
    for n in store.unfinished():
        if n in recorded:
            notes += _finish_recorded(store, dlog, n, top, head)
        elif n > top:
            notes += _drop_unrecorded(store, dlog, n)
    notes += _finish_pruning(store, dlog)
    notes += _remove_dead_temps(store)
    for note in notes:
        log.info("record_recovered", audit=True, framework=store.framework, subject=store.framework, outcome=note)
    return notes


def _remove_dead_temps(store: SnapshotStore) -> list[str]:
    """Temp files a crashed writer left in the record (``.HEAD.tmp.<pid>``, ``.pruned.json.tmp.<pid>``,
    an object's ``.<hash>.tmp.<pid>`` or ``.incoming.<pid>``) whose writer is no longer running:
    they never became part of the record, and would otherwise be committed by ``git add -A``."""
    from artigov.core import dead_writer_temps, writer_gone

    found = [*dead_writer_temps(store.head_path), *dead_writer_temps(store.pruned_path)]
    objects = store.objects.root
    if objects.is_dir():
        found += [p for p in objects.glob(".incoming.*") if writer_gone(p)]
        for folder in objects.iterdir():
            if folder.is_dir():
                found += [p for p in folder.glob(".*.tmp.*") if writer_gone(p)]
    for path in found:
        path.unlink(missing_ok=True)
    return [f"removed {store.ws.rel(p)}: a crashed writer's temp file" for p in sorted(found)]


def _tmp_manifest(store: SnapshotStore, n: int) -> Manifest | None:
    """The leftover's manifest, if it is a valid manifest of its own folder's sequence that pins the log."""
    try:
        value = Manifest.from_bytes((store.tmp_dir(n) / MANIFEST_NAME).read_bytes())
    except (OSError, ManifestError):
        return None
    return value if value.sequence == n and value.decisions is not None else None


def set_aside(store: SnapshotStore, n: int, why: str) -> str:
    """Move leftover folder ``n`` out of the record into ``state_dir/set-aside/`` (kept, never
    deleted); the one line that says so."""
    tmp = store.tmp_dir(n)
    base = store.ws.state_dir / "set-aside" / store.framework
    k = 1
    while (base / f"{tmp.name.strip('.')}-{k}").exists():
        k += 1
    target = base / f"{tmp.name.strip('.')}-{k}"
    try:
        base.mkdir(parents=True, exist_ok=True)
        tmp.replace(target)
    except OSError:  # another file system: keep it beside, under a name no command reads
        target = tmp.with_name(f"{tmp.name[:-4]}.aside-{k}.tmp")
        tmp.replace(target)
    line = f"set aside {store.ws.rel(tmp)} as {store.ws.rel(target)}: {why}; the record was not changed"
    log.warning("leftover_set_aside", audit=True, framework=store.framework, subject=store.ws.rel(tmp), outcome=line)
    return line


def _finish_recorded(store: SnapshotStore, dlog: DecisionLog, n: int, top: int, head: Head | None) -> list[str]:
    """A leftover whose snapshot the log records: finished (HEAD, folder) when it is the newest and
    its manifest pins the log as it is; else left for verify to explain, or set aside."""
    head_seq = head.sequence if head else 0
    if not (n == top and n in (head_seq, head_seq + 1) and not store.seq_dir(n).exists()):
        return []  # anything else recorded is left for verify to explain
    manifest = _tmp_manifest(store, n)
    pin = (manifest.decisions if manifest else None) or {}
    if manifest is None or dlog.hash_at(int(pin.get("lines", -1))) != pin.get("head"):
        why = "its manifest does not pin the decision log that records snapshot " + str(n)
        return [set_aside(store, n, why)]
    notes = []
    if n == head_seq + 1:
        data = (store.tmp_dir(n) / MANIFEST_NAME).read_bytes()
        store.move_head((head or Head(0, "", {})).with_gate(manifest.gate, n, digest_bytes(data)))
        notes.append(f"moved HEAD to snapshot {n}: it was recorded before the interruption")
    store.publish(n)
    return [*notes, f"published snapshot {n}"]


def _own_lines(lines: list[bytes], n: int) -> bool:
    """True when every line is an event of snapshot ``n``'s batch."""
    from artigov.promote._decisions import DecisionEvent

    try:
        events = list(DecisionEvent.parse(lines))
    except (ValueError, RecursionError):
        return False
    return len(events) == len(lines) and all(e.sequence == n for e in events)


def _drop_unrecorded(store: SnapshotStore, dlog: DecisionLog, n: int) -> list[str]:
    """A leftover the log does not record: discarded only when provably this command's own
    unfinished promotion (the log is where it was written, or grew by its own lines alone)."""
    manifest = _tmp_manifest(store, n)
    if manifest is None:
        return [set_aside(store, n, "its manifest is unreadable, or names another sequence")]
    pin = manifest.decisions
    assert pin is not None  # _tmp_manifest hands on only a manifest that pins the log
    start = pin["from"]  # the schema's shape: {"head": digest, "lines": count}
    base = dlog.state_at(start["lines"])
    if base is None or base.head != start["head"]:
        return [set_aside(store, n, "it was written on a decision log that is not a prefix of this one")]
    after = dlog.lines_after(base.lines) or []
    if after and not (len(after) < pin["lines"] - base.lines and _own_lines(after, n)):
        why = f"the decision log grew by {len(after)} line(s) that are not its own since it was written"
        return [set_aside(store, n, why)]
    notes = []
    if after:
        dlog.truncate_to(base)
        notes.append(f"removed the unrecorded part of snapshot {n}'s decisions ({len(after)} line(s))")
    shutil.rmtree(store.tmp_dir(n))
    return [*notes, f"discarded unfinished snapshot {n} (interrupted before it was recorded)"]


def _finish_pruning(store: SnapshotStore, dlog: DecisionLog) -> list[str]:
    """A prune recorded in the decision log (its commit point) but interrupted: finish it."""
    recorded = {
        e.sequence: str(e.data["digest"])
        for e in dlog.events(b"snapshot_pruned")
        if e.name == "snapshot_pruned" and e.sequence is not None and "digest" in e.data
    }
    notes = []
    missing = {s: d for s, d in recorded.items() if s not in store.pruned()}
    if missing:
        store.record_pruned(missing)
        notes.append(f"recorded pruned snapshots {sorted(missing)} in pruned.json")
    for sequence in sorted(store.pruned()):
        folder = store.seq_dir(sequence)
        if folder.exists() and sequence in recorded:
            shutil.rmtree(folder)
            notes.append(f"finished deleting pruned snapshot {sequence}")
    return notes


def _prove(store: SnapshotStore, body: Manifest, data: bytes, signature: bytes, trust: TrustChain) -> None:
    """Before anything is recorded: the checks verify will run on the new snapshot. Its signature
    verifies with the committed keys and is by a key its trust version lets sign its gate, and
    every object it names holds the input it describes (never sign a head that every later
    promotion would refuse)."""
    from artigov.promote._verify import Signed, check_objects, check_signature
    from artigov.promote.errors import VerificationError

    sequence = body.sequence
    try:
        check_signature(store, Signed(data, signature), body, sequence, trust)
        check_objects(store, body, sequence)
    except VerificationError as e:
        raise PromotionError(
            f"snapshot {sequence} would not verify ({e.code} {e.problem}); nothing was recorded", fix=e.fix
        ) from None


def commit_snapshot(
    store: SnapshotStore,
    head: Head | None,
    manifest: Manifest,
    batch: list[dict[str, Any]],
    trust: TrustChain,
) -> Committed:
    """Sign ``manifest`` (pinning the log with ``batch`` appended), record it, publish it, move HEAD.

    The caller holds the framework lock, has run :func:`recover`, verified ``head``, and checked
    that ``trust``'s newest version lets the signer sign the manifest's gate (:func:`authorize_signer`).
    """
    dlog = DecisionLog(store.decisions_path)
    state = dlog.state()
    lines = seal_lines(batch, state.head)
    pinned = manifest.pinning(
        {
            "from": {"head": state.head, "lines": state.lines},
            "head": digest_bytes(lines[-1]),
            "lines": state.lines + len(lines),
        }
    )
    data = pinned.to_bytes()
    signature = sign_detached(data, pinned.signer, store.ws.signing.gnupghome)
    store.ensure_record_files()
    publish_public_key(store.ws, pinned.signer)
    _prove(store, pinned, data, signature, trust)
    store.write_tmp(pinned.sequence, data, signature)
    try:
        dlog.append(lines, state)
    except BaseException:
        shutil.rmtree(store.tmp_dir(pinned.sequence), ignore_errors=True)  # never recorded: provably unfinished
        raise
    fault_point("after-decisions")
    new_head = (head or Head(0, "", {})).with_gate(pinned.gate, pinned.sequence, digest_bytes(data))
    _put_in_place(store, new_head)
    return Committed(pinned.sequence, new_head.digest, new_head)


def _put_in_place(store: SnapshotStore, head: Head) -> None:
    """After the commit point (the decisions recorded): HEAD moved to ``head``, the snapshot published.

    Raises:
        PromotionError: the disk refused (the next command finishes it first).
    """
    try:
        fault_point("before-head-move")
        store.move_head(head)
        fault_point("before-publish")
        store.publish(head.sequence)
    except (OSError, DiskError) as e:
        why = e.strerror if isinstance(e, OSError) else e.message
        raise PromotionError(
            f"snapshot {head.sequence} is recorded in the decision log but could not be put in place ({why or e})",
            fix="free the disk and run the command again (or `artigov repair-head`): it finishes the snapshot first",
        ) from e
