"""Verifying snapshots: an explicit, ordered sequence of named steps (:data:`STEPS`), nothing written.

Like a TUF client's refresh, every check runs before anything is persisted,
and a verification that fails leaves no trace but its operational-log event.
Everything it reads is in the committed record, so a fresh clone verifies:

1. the head pointer is readable and names a snapshot (V001, V002, V003);
2. the head manifest's bytes hash to the digest HEAD records (V004);
3. no newer snapshot exists, nor is recorded in the decision log: a replayed older head (V007);
4. sequences are exactly previous + 1 and each parent digest is the digest of the previous
   manifest (or of a pruned one) (V005, V006); HEAD's gate list agrees with the chain (V019);
5. the manifest is valid against snapshot.schema.json (V016);
6. the trust chain holds (``governance/trust/``, walked from version 1, pinned or trusted on first
   use), the manifest names a valid trust version, and no snapshot of the chain names an older
   version than its parent (T001-T006);
7. its signature is good and by a key that trust version lets sign the manifest's gate, verified in
   a throwaway GNUPGHOME holding only those keys from ``record/keys/`` (V010-V014, V018);
8. every object is there and intact, and holds the input its manifest entry describes: same
   checksum, id, version and status (V008, V009);
9. every approval it records is in the record unchanged, approves that very input, and is
   signed by the key it names, which the trust version the statement names gives its approver
   (V021, V022);
10. it has not expired (V015); the decision log holds, intact, the lines it pins (V017).

Each step owns the codes it can fail with; the error names the step (``step``), and ``verify``'s
audit event lists the steps passed. A snapshot recorded in the log whose HEAD move was interrupted
is V020 (finish it with
``repair-head`` or any writing command), never mistaken for a replay.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from artigov.contract import ApprovalStatement
    from artigov.promote._continuity import Continuity
    from artigov.schema import Artifact

from artigov.core import (
    ArtigovError,
    PathEscapeError,
    TrustChain,
    TrustError,
    VerifyingKeyring,
    Workspace,
    committed_keyring,
    digest_bytes,
    get_logger,
    resolve_inside,
    trusted_keyring,
    verify_log,
)
from artigov.promote._decisions import DecisionLog, LogCheck
from artigov.promote._manifest import InputApproval, Manifest, SnapshotInput
from artigov.promote._options import VerifyOptions
from artigov.promote._store import (
    Head,
    KeySource,
    ObjectStore,
    RecordFiles,
    RecordRead,
    SnapshotStore,
    refuse_old_layout,
    typed_manifest,
)
from artigov.promote.errors import PromotionError, VerificationError

__all__ = [
    "BROKEN_HISTORY",
    "STEPS",
    "GateVerdict",
    "UnverifiedGate",
    "VerifyStep",
    "Verified",
    "check_decision_logs",
    "check_history",
    "check_objects",
    "check_signature",
    "verify_all",
    "verify_in",
    "verify_read",
    "verify_snapshot",
]


@dataclass(frozen=True)
class Verified:
    """A snapshot that passed every step: which one, its manifest, its signer, and the steps run."""

    framework: str
    sequence: int
    digest: str
    signer: str
    manifest: Manifest
    head: Head
    #: The names of the steps it passed, in order (:data:`STEPS`).
    checks: tuple[str, ...] = ()
    #: The trust chain it was checked against (a writing command signs under the same one).
    trust: TrustChain | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """What verified, as JSON values: the snapshot, the head, its gate, digest and signer, the
        trust version that allowed the signer, the inputs checked and the steps passed."""
        return {
            "ok": True,
            "framework": self.framework,
            "snapshot": self.sequence,
            "head": self.head.sequence,
            "gate": self.manifest.gate,
            "digest": self.digest,
            "signer": self.signer,
            "trust_version": self.manifest.trust_version or 1,
            "inputs": len(self.manifest.inputs),
            "checks": list(self.checks),
        }


log = get_logger(__name__)

#: A verification's options when the caller names none.
_DEFAULTS = VerifyOptions()

#: Verification codes that mean the history itself is in question (not just the head's content).
BROKEN_HISTORY = frozenset({"V002", "V005", "V006", "V007", "V019", "V020"})


@dataclass
class _Run:
    """One verification: what the steps read and what each hands to the next."""

    store: SnapshotStore
    sequence: int | None
    options: VerifyOptions
    head: Head | None
    log: DecisionLog
    #: The record as read before any check (:meth:`RecordFiles.read`).
    read: RecordRead
    head_bytes: bytes = b""
    chain: dict[int, bytes] = field(default_factory=dict)
    target: int = 0
    manifest: Manifest | None = None
    signer: str = ""
    trust: TrustChain | None = None


def _head_exists(run: _Run) -> None:
    """V001, V002: there is a head (a missing HEAD beside snapshots names ``repair-head``)."""
    read, framework = run.read, run.store.framework
    if run.head is not None:
        return
    if read.sequences:
        raise VerificationError(
            "V002",
            f"framework {framework!r} has snapshots but no HEAD",
            fix=f"restore {read.head_shown} from git, or run `artigov repair-head --framework {framework}`",
        )
    raise VerificationError(
        "V001",
        f"framework {framework!r} has no snapshot yet",
        fix=f"promote first: artigov promote --framework {framework} --gate <gate>",
    )


def _not_replayed(run: _Run) -> None:
    """V007, V020: no newer snapshot exists or is recorded (an interrupted promotion is V020)."""
    assert run.head is not None
    _check_not_replayed(run.read, run.head, run.log)


def _head_digest(run: _Run) -> None:
    """V004: the head manifest's bytes hash to the digest HEAD records."""
    assert run.head is not None
    run.head_bytes = run.read.manifest_bytes(run.head.sequence)
    if digest_bytes(run.head_bytes) != run.head.digest:
        from artigov.core import CRLF_FIX, CRLF_HINT, crlf_only

        if crlf_only(run.head_bytes, run.head.digest):
            raise VerificationError(
                "V004",
                f"snapshot {run.head.sequence}: {CRLF_HINT}, not edited",
                snapshot=run.head.sequence,
                fix=CRLF_FIX,
            )
        raise VerificationError(
            "V004",
            f"snapshot {run.head.sequence}: manifest bytes do not match the digest HEAD records (altered manifest)",
            snapshot=run.head.sequence,
            fix="restore the manifest from git, or roll back",
        )


def _chain(run: _Run) -> None:
    """V005, V006: sequences are previous + 1, and each parent digest is the previous manifest's."""
    assert run.head is not None
    run.chain = _verify_chain(run.read, run.head, run.head_bytes)


def _gates(run: _Run) -> None:
    """V019: HEAD's list of gates agrees with the chain."""
    assert run.head is not None
    _check_gates(run.head, run.chain)


def _target(run: _Run) -> None:
    """V003: the snapshot asked for (the head, a sequence, or a gate's current one) is in the chain."""
    head, framework, gate = run.head, run.store.framework, run.options.gate
    assert head is not None
    sequence = run.sequence
    if gate is not None:
        if gate not in head.gates:
            raise VerificationError(
                "V003",
                f"gate {gate!r} of {framework!r} has no snapshot "
                f"(gates with one: {', '.join(sorted(head.gates)) or 'none'})",
                fix=f"promote it: artigov promote --framework {framework} --gate {gate}",
            )
        sequence = head.gates[gate].sequence
    target = head.sequence if sequence is None else sequence
    if target not in run.chain:
        if target in run.read.pruned():
            raise VerificationError("V003", f"snapshot {target} was pruned by retention", snapshot=target)
        raise VerificationError("V003", f"snapshot {target} does not exist (head is {head.sequence})", snapshot=target)
    run.target = target


def _valid_manifest(run: _Run) -> None:
    """V016: the manifest is valid against snapshot.schema.json."""
    run.manifest = typed_manifest(run.chain[run.target], run.target)


def _trust(run: _Run) -> None:
    """T001-T006: the trust chain holds, and every snapshot of the chain names a valid trust version
    no older than its parent's."""
    from artigov.core import load_trust

    run.trust = run.trust or load_trust(run.store.ws)
    before = 0
    for seq in sorted(run.chain):
        named = json.loads(run.chain[seq]).get("trust_version")
        run.trust.version(named, what=f"snapshot {seq}")
        if (named or 1) < before:
            raise TrustError(
                "T006",
                f"snapshot {seq} names trust version {named or 1}, older than version {before} its parent named",
                fix="a new snapshot is signed under the newest trust version: roll back to an earlier snapshot",
            )
        before = named or 1


def _signature(run: _Run) -> None:
    """V010-V014, V018: a good signature by a key the manifest's trust version lets sign its gate."""
    assert run.trust is not None
    assert run.manifest is not None
    signed = Signed(run.chain[run.target], run.read.signature_bytes(run.target))
    run.signer = check_signature(run.store.keys, signed, run.manifest, run.target, run.trust)


def _objects(run: _Run) -> None:
    """V008, V009: every object is there, intact, and holds the input its entry describes."""
    assert run.manifest is not None
    check_objects(run.store.objects, run.manifest, run.target)


def _approvals(run: _Run) -> None:
    """V021, V022: every recorded approval is in the record and approves exactly that input."""
    assert run.trust is not None and run.manifest is not None
    check_approvals(run.store.keys, run.store.objects, run.manifest, run.target, run.trust)


def _not_expired(run: _Run) -> None:
    """V015: the snapshot has not passed its ``expires``."""
    assert run.manifest is not None
    expires = run.manifest.expires
    current = time.time() if run.options.now is None else run.options.now
    if expires and datetime.fromisoformat(expires.replace("Z", "+00:00")).timestamp() < current:
        raise VerificationError(
            "V015",
            f"snapshot {run.target} expired at {expires}",
            snapshot=run.target,
            fix="promote again to issue a fresh snapshot",
        )


def _pinned_log(run: _Run) -> None:
    """V017: the decision log holds, intact, the lines the snapshot pins."""
    assert run.manifest is not None
    _check_pinned_log(run.read, run.log, run.manifest, run.target)


@dataclass(frozen=True)
class VerifyStep:
    """One named step of :func:`verify_snapshot` and the codes it can fail with."""

    name: str
    codes: tuple[str, ...]
    run: Callable[[_Run], None]


#: The steps, in order; the first that fails ends the verification (a test runs every code).
STEPS: tuple[VerifyStep, ...] = (
    VerifyStep("head_exists", ("V001", "V002"), _head_exists),
    VerifyStep("not_replayed", ("V007", "V020"), _not_replayed),
    VerifyStep("head_digest", ("V004",), _head_digest),
    VerifyStep("chain", ("V004", "V005", "V006"), _chain),
    VerifyStep("gates", ("V019",), _gates),
    VerifyStep("target", ("V003",), _target),
    VerifyStep("manifest_valid", ("V016",), _valid_manifest),
    VerifyStep("trust", ("T001", "T002", "T003", "T004", "T006", "V018"), _trust),
    VerifyStep("signature", ("V010", "V011", "V012", "V013", "V014", "V018"), _signature),
    VerifyStep("objects", ("V008", "V009"), _objects),
    VerifyStep("approvals", ("V021", "V022"), _approvals),
    VerifyStep("not_expired", ("V015",), _not_expired),
    VerifyStep("pinned_log", ("V017",), _pinned_log),
)


def verify_snapshot(
    ws: Workspace, framework: str, sequence: int | None = None, options: VerifyOptions = _DEFAULTS
) -> Verified:
    """Verify the head (or snapshot ``sequence``, or the current snapshot of ``options.gate``): run
    :data:`STEPS` in order and raise at the first that fails. Nothing is written.
    """
    return verify_in(SnapshotStore.open(ws, framework), sequence, options)


def verify_in(store: SnapshotStore, sequence: int | None = None, options: VerifyOptions = _DEFAULTS) -> Verified:
    """:func:`verify_snapshot` in the store a command already opened (its paths resolved once): the
    record read first (:meth:`RecordFiles.read`), then checked (:func:`verify_read`)."""
    read = store.read(sequence, options.gate, options.head)
    return verify_read(store, read, sequence, options)


def verify_read(
    store: SnapshotStore, read: RecordRead, sequence: int | None = None, options: VerifyOptions = _DEFAULTS
) -> Verified:
    """:func:`verify_in` on what was already read of ``store``'s record (``read``): the checks read
    no file of the record themselves."""
    framework = store.framework
    run = _Run(store, sequence, options, read.head, DecisionLog(read.decisions_path), read)
    run.trust = options.trust
    passed: list[str] = []
    for step in STEPS:
        if options.ignore_newer and step.name == "not_replayed":
            continue  # repair-head's diagnosis: would this snapshot verify as the head, newer ones aside?
        try:
            step.run(run)
        except VerificationError as e:
            e.step = step.name
            e.snapshot = e.snapshot or run.target or None
            log.debug("verify_step", framework=framework, subject=step.name, outcome="failed", code=e.code)
            raise
        log.debug("verify_step", framework=framework, subject=step.name, outcome="passed", codes=list(step.codes))
        passed.append(step.name)
    assert run.head is not None and run.manifest is not None
    digest = digest_bytes(run.chain[run.target])
    return Verified(framework, run.target, digest, run.signer, run.manifest, run.head, tuple(passed), run.trust)


def _check_not_replayed(read: RecordRead, head: Head, log: DecisionLog) -> None:
    newer = [s for s in read.sequences if s > head.sequence]
    recorded = [s for s in log.recorded() if s > head.sequence]
    nxt = head.sequence + 1
    interrupted = recorded == [nxt] and not newer and nxt in read.tmp_dirs
    if not interrupted and head.sequence in read.tmp_dirs and not read.head_folder:
        nxt = head.sequence
        interrupted = True
    if interrupted:
        raise VerificationError(
            "V020",
            f"snapshot {nxt} is recorded in {read.decisions_shown} but not yet in place "
            f"(HEAD names {head.sequence}): a promotion was interrupted after its commit point",
            snapshot=nxt,
            fix=f"finish it: artigov repair-head --framework {read.framework} (any promote or rollback also does)",
        )
    if newer or recorded:
        seen = max([*newer, *recorded])
        raise VerificationError(
            "V007",
            f"HEAD names snapshot {head.sequence} but snapshot {seen} exists or is recorded in "
            f"{read.decisions_shown}: an older snapshot was replayed as the head, or two branches "
            "promoted the same framework (a fork)",
            snapshot=head.sequence,
            fix="if a merge brought two promotions, keep one side's record and promote again on the merged branch; "
            f"otherwise restore HEAD to snapshot {seen} (a rollback must be a new snapshot: artigov rollback)",
        )


def _check_gates(head: Head, chain: dict[int, bytes]) -> None:
    """Each gate's current snapshot, as HEAD lists it, is the chain's newest snapshot of that gate."""
    newest: dict[str, tuple[int, str]] = {}
    for seq in sorted(chain):
        gate = json.loads(chain[seq]).get("gate")
        if isinstance(gate, str):
            newest[gate] = (seq, digest_bytes(chain[seq]))
    listed = {g: (h.sequence, h.digest) for g, h in head.gates.items()}
    head_gate = json.loads(chain[head.sequence]).get("gate")
    for gate, value in newest.items():
        if listed.get(gate) != value:
            raise VerificationError(
                "V019",
                f"HEAD lists gate {gate!r} at {listed.get(gate)} but the chain's newest {gate!r} snapshot "
                f"is {value[0]}",
                snapshot=head.sequence,
                fix="restore HEAD from git; a gate moves back only by a rollback (a new snapshot)",
            )
    for gate, (seq, _) in listed.items():
        if gate not in newest and seq in chain:
            raise VerificationError(
                "V019", f"HEAD lists gate {gate!r} at snapshot {seq}, which is not a {gate!r} snapshot", snapshot=seq
            )
    if head_gate not in listed:
        raise VerificationError("V019", f"HEAD does not list gate {head_gate!r} of its own snapshot")


@dataclass(frozen=True)
class Signed:
    """A manifest's exact bytes and their detached signature, as the record stores them."""

    data: bytes
    signature: bytes


def check_signature(keys: KeySource, signed: Signed, manifest: Manifest, target: int, trust: TrustChain) -> str:
    """The signer of ``signed`` (a manifest's bytes, which parse to ``manifest``): a good signature
    by a key that the trust version the manifest names lets sign its framework's gate (keys from the
    record and ``signing.gnupghome``, as ``keys`` names them), the one the manifest names (V010-V014, V018)."""
    version = trust.version(manifest.trust_version, what=f"snapshot {target}")
    framework, gate = manifest.framework, manifest.gate
    allowed = version.signers_for(framework, gate)
    where = f"the keys trust version {version.version} lets sign gate {gate!r} of {framework!r}"
    if not allowed:
        raise VerificationError(
            "V014",
            f"snapshot {target}: trust version {version.version} names no "
            f"key that may sign gate {gate!r} of {framework!r}",
            snapshot=target,
        )
    with trusted_keyring(
        allowed, source_home=keys.gnupghome, keys_dir=keys.keys_dir, keys_label=keys.label, allow_list=where
    ) as keyring:
        signer = keyring.verify(signed.data, signed.signature, snapshot=target)
    if signer != manifest.signer:
        raise VerificationError(
            "V011",
            f"snapshot {target}: signed by {signer} but the manifest names {manifest.signer}",
            snapshot=target,
        )
    return signer


def check_objects(objects: ObjectStore, manifest: Manifest, target: int) -> None:
    """Every object a manifest names is there, intact, and holds the input it describes (V008, V009).
    Each object is read once: the bytes hashed are the bytes then loaded (up to the loader's limit);
    a sidecar artifact's content is hashed in chunks, never held."""
    from artigov.schema import MAX_FILE_BYTES

    for item in manifest.inputs:
        held: dict[str, bytes] = {}
        for obj, path in zip(item.objects, item.paths, strict=True):
            keep = MAX_FILE_BYTES if obj == _loaded_object(item) else 0
            problem, data = objects.read_checked(obj, keep=keep)
            if problem == "missing":
                raise VerificationError(
                    "V008",
                    f"snapshot {target}: object {obj} of {path} is missing",
                    snapshot=target,
                    fix=f"restore {objects.shown(obj)} from git",
                )
            if problem:
                raise VerificationError(
                    "V009",
                    f"snapshot {target}: object of {path} is corrupt ({problem})",
                    snapshot=target,
                    fix="restore the object from git, or roll back",
                )
            if data is not None and keep:
                held[obj] = data
        mismatch = _describes(objects, item, held)
        if mismatch:
            raise VerificationError(
                "V009",
                f"snapshot {target}: the stored bytes of {item.path} are not the input the manifest names ({mismatch})",
                snapshot=target,
                fix="this snapshot signed bytes it did not check: roll back to an earlier snapshot",
            )


def check_approvals(keys: KeySource, objects: ObjectStore, manifest: Manifest, target: int, trust: TrustChain) -> None:
    """Every approval a manifest records is still in the record, byte for byte, approves exactly
    the input it is listed under, and (if it names a key) is signed by that key, checked against the
    committed public keys alone, and that key is the approver's in the trust version the statement
    names (V021, V022). The statements are read in the workspace ``objects`` names, with the
    committed keys of ``keys``."""
    recorded = [(item, a) for item in manifest.inputs for a in item.approvals]
    if not recorded:
        return
    fprs = tuple(sorted({a.fingerprint for _, a in recorded if a.fingerprint}))
    with committed_keyring(keys.keys_dir, fprs, keys.label, "the approvals' recorded keys") as keyring:
        check = _ApprovalCheck(objects, keyring, target, trust, manifest.framework)
        for item, approval in recorded:
            check.one(item, approval)


def _approval_body(root: Path, rel: str, digest: str, where: str, target: int) -> tuple[Path, bytes, ApprovalStatement]:
    """The approval statement ``rel`` a snapshot records (its path, bytes and what it says): it must
    be there, have the recorded ``digest`` and be a statement.

    Raises:
        VerificationError: V021, naming ``where`` and the fix.
    """
    try:
        path = resolve_inside(root, rel, source=f"snapshot {target}")
        data = path.read_bytes()
    except (OSError, PathEscapeError):
        raise VerificationError("V021", f"{where} is missing", snapshot=target, fix=f"restore {rel} from git") from None
    if digest_bytes(data) != digest:
        from artigov.core import CRLF_FIX, CRLF_HINT, crlf_only

        if crlf_only(data, digest):
            raise VerificationError("V021", f"{where}: {CRLF_HINT}, not edited", snapshot=target, fix=CRLF_FIX)
        raise VerificationError(
            "V021",
            f"{where} was altered (its digest is not the one the manifest records)",
            snapshot=target,
            fix=f"restore {rel} from git",
        )
    from artigov.contract import ApprovalStatement

    try:
        return path, data, ApprovalStatement.from_bytes(data)
    except ValueError as e:
        raise VerificationError(
            "V021", f"{where} is not a JSON statement ({e})", snapshot=target, fix=f"restore {rel} from git"
        ) from None


@dataclass(frozen=True)
class _ApprovalCheck:
    """The approvals of one snapshot (``target``) checked against the record, the committed keys
    (``keyring``) and the trust chain."""

    objects: ObjectStore
    keyring: VerifyingKeyring
    target: int
    trust: TrustChain
    #: The framework the manifest names (whose approvers the trust version lists).
    framework: str

    def one(self, item: SnapshotInput, approval: InputApproval) -> None:
        """One recorded approval: the statement is there, approves exactly ``item``, and (if it names
        a key) is signed by that key, which the trust version it names gives its approver (V021, V022)."""
        objects, target = self.objects, self.target
        rel = approval.statement
        where = f"snapshot {target}: {item.path}: approval by {approval.approver} ({rel})"
        path, data, body = _approval_body(objects.workspace, rel, approval.digest, where, target)
        said, meant = _said_and_meant(objects, item, approval, body)
        if said != meant or body.decision != "approve":
            raise VerificationError(
                "V022",
                f"{where} does not approve this input ({said} vs {meant})",
                snapshot=target,
                fix="this snapshot recorded an approval of other content: roll back to an earlier snapshot",
            )
        if approval.fingerprint:
            self._signed_by_recorded_key(path, data, approval, where)
            self._key_is_approvers(body, approval, where)

    def _signed_by_recorded_key(self, path: Path, data: bytes, approval: InputApproval, where: str) -> None:
        """V021, V022 unless the statement's signature is there and by the key the manifest records."""
        target, rel, fpr = self.target, approval.statement, approval.fingerprint
        try:
            signer = self.keyring.verify(data, path.with_name(path.name + ".asc").read_bytes(), snapshot=target)
        except OSError:
            missing = f"{where}: its signature {rel}.asc is missing"
            raise VerificationError("V021", missing, snapshot=target, fix=f"restore {rel}.asc from git") from None
        except VerificationError as e:
            raise VerificationError("V022", f"{where}: {e.problem}", snapshot=target, fix=e.fix) from None
        if signer != fpr:
            raise VerificationError(
                "V022", f"{where} is signed by {signer}, the manifest records {fpr}", snapshot=target, fix=_ROLL_BACK
            )

    def _key_is_approvers(self, body: ApprovalStatement, approval: InputApproval, where: str) -> None:
        """V022 unless the approval's key is its approver's in the trust version the statement names."""
        version = self.trust.version(body.trust_version, what=where)
        if approval.fingerprint not in version.keys_of(self.framework, approval.approver):
            raise VerificationError(
                "V022",
                f"{where} is signed by {approval.fingerprint}, which trust version {version.version} does not give "
                f"{approval.approver}",
                snapshot=self.target,
                fix="an approval counts only with the approver's own key from the trust document: roll back",
            )


_ROLL_BACK = "roll back to an earlier snapshot"


def _said_and_meant(
    objects: ObjectStore, item: SnapshotInput, approval: InputApproval, body: ApprovalStatement
) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """What the statement says it approves, and what the manifest's input is: id, version, body
    checksum and approver, and, for a statement that covers the metadata (format 2), the stored
    input's metadata digest."""
    said: dict[str, str | None] = {k: getattr(body, k) for k in ("id", "version", "checksum", "approver")}
    meant: dict[str, str | None] = {
        "id": item.id,
        "version": item.version,
        "checksum": item.checksum,
        "approver": approval.approver,
    }
    if body.covers_metadata:  # format 2 covers the metadata too: the stored input's
        from artigov.schema import ArtifactLoadError

        said["metadata"] = body.metadata
        try:
            meant["metadata"] = _stored_artifact(objects, item).approval_digest
        except ArtifactLoadError as e:
            meant["metadata"] = f"(the stored input does not load: {e.problem})"
    return said, meant


def _stored_artifact(objects: ObjectStore, item: SnapshotInput, held: Mapping[str, bytes] | None = None) -> Artifact:
    """The input ``item`` as its stored objects hold it (sidecar artifacts from their two objects);
    ``held``: objects' bytes the caller read (and checked) already, by digest.

    Raises:
        ArtifactLoadError: the stored bytes do not load.
    """
    from artigov.schema import load_frontmatter_artifact, load_sidecar_artifact

    root = objects.workspace
    loaded = _loaded_object(item)
    data = (held or {}).get(loaded)
    if data is None:
        data = objects.get(loaded)
    if item.meta_object and item.meta:  # the content's checksum is its object's name (checked, streamed, above)
        content = (item.object, objects.path_for(item.object).stat().st_size)
        return load_sidecar_artifact(root, item.path, item.meta, meta_data=data, described=content)
    return load_frontmatter_artifact(root, item.path, data=data)


def _loaded_object(item: SnapshotInput) -> str:
    """The object an input is loaded from: a sidecar artifact's metadata object (its content is only
    hashed and sized), else its one object."""
    return item.meta_object if item.meta_object and item.meta else item.object


def _describes(objects: ObjectStore, item: SnapshotInput, held: Mapping[str, bytes]) -> str | None:
    """Why the stored object does not hold the input ``item`` describes (id, version, status,
    checksum), or None. Sidecar artifacts are read from their two objects (``held``: those the
    caller read already)."""
    from artigov.schema import ArtifactLoadError

    try:
        artifact = _stored_artifact(objects, item, held)
    except ArtifactLoadError as e:
        return f"they do not load: {e.problem}"
    if artifact.checksum != item.checksum:
        return f"their checksum is {artifact.checksum}, the manifest says {item.checksum}"
    for key in ("id", "version", "status"):
        if artifact.metadata.get(key) != getattr(item, key):
            return f"their {key} is {artifact.metadata.get(key)!r}, the manifest says {getattr(item, key)!r}"
    return None


def _check_pinned_log(read: RecordRead, log: DecisionLog, manifest: Manifest, target: int) -> None:
    pin = manifest.decisions
    if pin is None:
        return  # a format-1 manifest (migrated) pinned the local operational log, which did not travel
    rel = read.decisions_shown
    if log.exists():
        result = verify_log(read.decisions_path)
        if not result.ok and (result.bad_line or 0) <= pin["lines"]:
            raise VerificationError(
                "V017",
                f"snapshot {target}: {rel} line {result.bad_line}: {result.problem}",
                snapshot=target,
                fix="restore the decision log from git (`artigov audit verify` names the damage)",
            )
    problem = log.pin_problem(pin, target)
    if problem:
        raise VerificationError("V017", f"{rel} {problem}", snapshot=target, fix="restore the decision log from git")


def _parent_of(sequence: int, data: bytes) -> Any:
    """The parent digest the manifest bytes of snapshot ``sequence`` record (None for none).

    Raises:
        VerificationError: V004 not JSON, V005 not the manifest of that sequence.
    """
    try:
        manifest = json.loads(data)
    except ValueError:
        raise VerificationError("V004", f"snapshot {sequence}: manifest is not JSON", snapshot=sequence) from None
    if not isinstance(manifest, dict) or manifest.get("sequence") != sequence:
        got = manifest.get("sequence") if isinstance(manifest, dict) else None
        raise VerificationError(
            "V005", f"snapshot folder {sequence} holds a manifest with sequence {got!r}", snapshot=sequence
        )
    return manifest.get("parent")


def _verify_chain(files: RecordFiles | RecordRead, head: Head, head_bytes: bytes) -> dict[int, bytes]:
    """Walk from the head back to the first snapshot, checking sequences and parent digests."""
    chain = {head.sequence: head_bytes}
    pruned = files.pruned()
    sequence, data = head.sequence, head_bytes
    while True:
        parent = _parent_of(sequence, data)
        if sequence == 1:
            if parent is not None:
                raise VerificationError("V006", "snapshot 1 names a parent", snapshot=1)
            return chain
        if parent is None:
            raise VerificationError(
                "V006", f"snapshot {sequence} has no parent but is not the first", snapshot=sequence
            )
        previous = sequence - 1
        if previous in pruned:
            if pruned[previous] != parent:
                raise VerificationError(
                    "V006", f"snapshot {sequence}'s parent is not the pruned snapshot {previous}", snapshot=sequence
                )
            return chain
        try:
            prev_bytes = files.manifest_bytes(previous)
        except VerificationError:
            raise VerificationError(
                "V006",
                f"snapshot {previous} (parent of {sequence}) is missing and not recorded as pruned",
                snapshot=sequence,
            ) from None
        if digest_bytes(prev_bytes) != parent:
            raise VerificationError(
                "V006",
                f"snapshot {previous} does not hash to the parent digest snapshot {sequence} records (altered history)",
                snapshot=previous,
            )
        chain[previous] = prev_bytes
        sequence, data = previous, prev_bytes


@dataclass(frozen=True)
class GateVerdict:
    """One row of ``verify --all``: a framework's gate whose current snapshot verified (``gate``,
    ``snapshot``), or, not ``ok``, the framework's first failed check (``code``, ``message``, ``fix``)."""

    framework: str
    ok: bool
    gate: str | None = None
    snapshot: int | None = None
    code: str | None = None
    message: str | None = None
    fix: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The row as ``verify --all --format json`` gives it."""
        if self.ok:
            return {"framework": self.framework, "gate": self.gate, "ok": True, "snapshot": self.snapshot}
        return {"framework": self.framework, "ok": False, "code": self.code, "message": self.message, "fix": self.fix}


@dataclass(frozen=True)
class UnverifiedGate:
    """A gate ``verify --all`` had nothing to verify for, and why (``gate`` is "" when the
    framework's contract cannot be read)."""

    framework: str
    gate: str
    why: str

    def to_dict(self) -> dict[str, str]:
        """The row as ``verify --all --format json`` gives it (``unverified``)."""
        return {"framework": self.framework, "gate": self.gate, "why": self.why}


@dataclass(frozen=True)
class TrustVerdict:
    """What ``verify`` says of the record's trust chain: it holds (``newest`` version, the
    ``first_digest`` of version 1, ``pinned`` or not, and the one-line ``note`` saying how version 1
    was trusted), or it fails (``code``, ``message``, ``fix``; still ``ok`` when a record without
    frameworks has no trust at all)."""

    ok: bool
    newest: int | None = None
    first_digest: str | None = None
    pinned: bool = False
    note: str | None = None
    code: str | None = None
    message: str | None = None
    fix: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``trust`` member of ``verify --format json``."""
        if self.note is not None:
            return {
                "ok": True,
                "newest": self.newest,
                "first_digest": self.first_digest,
                "pinned": self.pinned,
                "note": self.note,
            }
        return {"ok": self.ok, "code": self.code, "message": self.message, "fix": self.fix}


def check_trust(ws: Workspace, pin: str | None = None) -> tuple[TrustChain | None, TrustVerdict]:
    """The record's trust chain (None when it does not hold) and its :class:`TrustVerdict`
    (``pin``: version 1's digest, else ``ARTIGOV_TRUST_PIN``)."""
    from artigov.core import TrustError, load_trust
    from artigov.promote._decisions import record_frameworks

    try:
        chain = load_trust(ws, pin=pin)
    except TrustError as e:
        fine = e.code == "T001" and not record_frameworks(ws.record_dir)
        return None, TrustVerdict(fine, code=e.code, message=e.problem, fix=e.fix)
    verdict = TrustVerdict(
        True, newest=chain.newest.version, first_digest=chain.first_digest, pinned=chain.pinned, note=chain.tofu_note()
    )
    return chain, verdict


@dataclass(frozen=True)
class RecordVerdict:
    """``verify --all``: every gate's current snapshot (``results``), the gates with none
    (``unverified``), the trust chain (``trust``) and, with ``--since``, whether the record only
    grew (``continuity``)."""

    results: list[GateVerdict]
    unverified: list[UnverifiedGate]
    trust: TrustVerdict
    continuity: Continuity | None = None

    @property
    def ok(self) -> bool:
        """True when every check holds (a gate with no snapshot is named, not failed)."""
        grew = self.continuity is None or self.continuity.ok
        return all(r.ok for r in self.results) and self.trust.ok and grew

    def to_dict(self) -> dict[str, Any]:
        """What ``verify --all --format json`` prints."""
        out: dict[str, Any] = {
            "all": True,
            "ok": self.ok,
            "results": [r.to_dict() for r in self.results],
            "unverified": [u.to_dict() for u in self.unverified],
            "trust": self.trust.to_dict(),
        }
        if self.continuity is not None:
            out["continuity"] = self.continuity.to_dict()
        return out


def verify_record(ws: Workspace, *, pin: str | None = None, since: str | None = None) -> RecordVerdict:
    """Everything ``verify --all`` checks: the trust chain (``pin``: version 1's digest), every
    framework's gates, the gates nobody promoted, and with ``since`` (a git revision) that the
    record extends the record there."""
    from artigov.promote._continuity import record_since

    chain, trust = check_trust(ws, pin)
    results = verify_all(ws, chain)
    continuity = record_since(ws, since) if since else None
    return RecordVerdict(results, unpromoted_gates(ws, results), trust, continuity)


def verify_all(ws: Workspace, trust: TrustChain | None = None) -> list[GateVerdict]:
    """Every framework in the record: the current snapshot of each of its gates (what CI runs).

    One verdict per verified gate, or one failed verdict per framework at its first failed check.
    ``trust``: the chain already loaded (else loaded once for all).
    """
    from artigov.core import load_trust
    from artigov.promote._decisions import record_frameworks

    results: list[GateVerdict] = []
    for framework in record_frameworks(ws.record_dir):
        if _approvals_only(ws, framework):
            continue  # reviewed or approved, nothing promoted yet: :func:`unpromoted_gates` lists its gates
        try:
            store = SnapshotStore.open(ws, framework)
            head = store.head()
            if head is None:
                verify_in(store)  # explains a missing HEAD
            trust = trust or load_trust(ws)
            rows: list[GateVerdict] = []
            for gate in sorted(head.gates) if head else []:
                v = verify_in(store, options=VerifyOptions(gate=gate, trust=trust))
                rows.append(GateVerdict(framework, True, gate=gate, snapshot=v.sequence))
            if head is not None:
                check_history(ws, store, head, trust, frozenset(r.snapshot for r in rows if r.snapshot is not None))
            results += rows
        except VerificationError as e:
            where = f"snapshot {e.snapshot}: " if e.snapshot and f"snapshot {e.snapshot}" not in e.problem else ""
            results.append(GateVerdict(framework, False, code=e.code, message=where + e.problem, fix=e.fix))
    return results


def _approvals_only(ws: Workspace, framework: str) -> bool:
    """Whether the framework's record folder holds its signed approval statements and nothing else
    (``review`` and ``approve`` write them before any promotion): no HEAD, snapshot, decision log
    or leftover of one, so nothing to verify yet."""
    from artigov.core import RecordLayout

    approvals = ws.record_dir / RecordLayout(framework).approvals
    try:
        return all(entry == approvals for entry in approvals.parent.iterdir())
    except OSError:
        return False


def unpromoted_gates(ws: Workspace, results: list[GateVerdict]) -> list[UnverifiedGate]:
    """The gates ``verify --all`` had nothing to verify for: each gate of each framework with a
    contract that has no snapshot in the record, so a green run never hides a framework or gate
    nobody promoted; a contract that cannot be read is named too."""
    from artigov.contract import contract_frameworks, load_contract

    seen = {(r.framework, r.gate) for r in results}
    failed = {r.framework for r in results if not r.ok}
    out: list[UnverifiedGate] = []
    for framework in contract_frameworks(ws):
        if framework in failed:
            continue  # its failure row says more
        try:
            gates = [g.name for g in load_contract(ws, framework).gates]
        except ArtigovError as e:
            out.append(UnverifiedGate(framework, "", f"its contract cannot be read: {e.message}"))
            continue
        for gate in gates:
            if (framework, gate) not in seen:
                out.append(UnverifiedGate(framework, gate, "no snapshot: nothing promoted yet"))
    return out


def check_history(
    ws: Workspace, store: SnapshotStore, head: Head, trust: TrustChain, done: frozenset[int] = frozenset()
) -> None:
    """Every snapshot of the chain (not only the gates' current ones, ``done``): signed by a key
    the trust version it names lets sign its gate, so a snapshot signed by a key that was never
    allowed cannot hide behind a newer head; and the decision log holds, intact, the lines each
    one pins (a log cut below an older snapshot's pin is caught even when the head's pin holds).

    Raises:
        VerificationError: the first snapshot that fails (V010-V014, V017, T006).
    """
    chain = _verify_chain(store, head, store.manifest_bytes(head.sequence))
    dlog = DecisionLog(store.decisions_path)
    for seq in sorted(chain):
        manifest = typed_manifest(chain[seq], seq)
        if seq not in done:
            check_signature(store.keys, Signed(chain[seq], store.signature_bytes(seq)), manifest, seq, trust)
        pin = manifest.decisions
        problem = dlog.pin_problem(pin, seq) if pin is not None else None
        if problem:
            rel = ws.rel(store.decisions_path)
            raise VerificationError("V017", f"{rel} {problem}", snapshot=seq, fix="restore the decision log from git")


def check_decision_logs(ws: Workspace, framework: str | None = None) -> list[LogCheck]:
    """Every framework's decision log (or ``framework``'s): its chain, and that it holds what the
    head snapshot pins."""
    from artigov.promote._decisions import record_frameworks

    refuse_old_layout(ws)
    out = []
    for name in record_frameworks(ws.record_dir):
        if framework is not None and name != framework:
            continue
        out.append(_check_decision_log(ws, name))
    return out


def _check_decision_log(ws: Workspace, framework: str) -> LogCheck:
    store = SnapshotStore(ws, framework)
    rel = ws.rel(store.decisions_path)
    result = verify_log(store.decisions_path)

    def failed(problem: str) -> LogCheck:
        return LogCheck(rel, framework, False, result.events, result.head, None, problem)

    try:
        head = store.head()
        pin = store.manifest(head.sequence).decisions if head else None
    except VerificationError as e:
        return failed(f"the head is unreadable: {e}")
    if not result.ok:
        return LogCheck(rel, framework, False, result.events, result.head, result.bad_line, result.problem)
    if head is None:
        return (
            failed("snapshots exist but no HEAD")
            if store.sequences()
            else LogCheck(rel, framework, True, result.events, result.head)
        )
    dlog = DecisionLog(store.decisions_path)
    for seq in sorted({head.sequence, *store.sequences()}, reverse=True):
        try:
            pinned = pin if seq == head.sequence else store.manifest(seq).decisions
        except VerificationError as e:
            return failed(f"snapshot {seq}: {e.problem}")
        problem = dlog.pin_problem(pinned, seq) if pinned is not None else None
        if problem:
            return failed(problem)
    return LogCheck(rel, framework, True, result.events, result.head)


@dataclass(frozen=True)
class RollbackTarget:
    """What a rollback leaves and what it restores, verified from one read of the record."""

    #: The head it leaves.
    head: Head
    #: The snapshot it restores.
    verified: Verified
    #: The record as read (the manifest of the snapshot it replaces is there too).
    read: RecordRead


def rollback_target(store: SnapshotStore, read: RecordRead, gate: str | None, to: int | None) -> RollbackTarget:
    """What a rollback leaves and what it restores, verified from one read of the record (``read``,
    with every signature: ``store.read(every_signature=True)``): the head (:func:`_head_to_leave`),
    and snapshot ``to`` or else the previous good snapshot of ``gate`` (default the head's).

    Raises:
        PromotionError: no snapshot yet, no such snapshot, or one of another gate than the one asked.
        VerificationError: it does not verify, or the head's history does not hold.
    """
    framework, head = store.framework, read.head
    if head is None:
        store.verified_head()
        raise PromotionError(f"framework {framework!r} has no snapshot to roll back to")
    trust = _head_to_leave(store, read)
    if to is None:
        chosen_gate = gate or read.manifest(head.sequence).gate
        if chosen_gate not in head.gates:
            raise PromotionError(f"gate {chosen_gate!r} of {framework!r} has no snapshot to roll back")
        to = previous_good(store, read, chosen_gate, trust)
    if to > head.sequence or to < 1:
        raise PromotionError(
            f"cannot roll back to snapshot {to}: the head is {head.sequence}",
            fix="pick an earlier snapshot (artigov snapshots)",
        )
    verified = verify_read(store, read, to, VerifyOptions(trust=trust))
    if gate is not None and gate != verified.manifest.gate:
        raise PromotionError(f"snapshot {to} is a {verified.manifest.gate!r} snapshot, not {gate!r}")
    return RollbackTarget(head, verified, read)


def _head_to_leave(store: SnapshotStore, read: RecordRead) -> TrustChain | None:
    """The head a rollback leaves must hold as history (a head whose objects, signature or log fail
    is exactly what a rollback is for): the trust chain its verification loaded, if it got that far.

    Raises:
        VerificationError: a replayed, forked or interrupted history.
    """
    try:
        return verify_read(store, read).trust
    except VerificationError as e:
        if e.code in BROKEN_HISTORY:
            raise  # a replayed, forked or interrupted history: nothing is written until it is sorted out
        return None


def previous_good(store: SnapshotStore, read: RecordRead, gate: str, trust: TrustChain | None = None) -> int:
    """The newest snapshot of ``gate`` before its current one (``read``'s head names it) that
    verifies, from one read of the record that holds their signatures."""
    assert read.head is not None
    for candidate in _gate_snapshots(read, gate, read.head.gates[gate].sequence):
        try:
            verify_read(store, read, candidate, VerifyOptions(trust=trust))
            return candidate
        except VerificationError:
            continue
    raise PromotionError(
        f"no earlier {gate!r} snapshot of {store.framework!r} verifies; nothing to roll back to",
        fix="pass --to N to restore a specific snapshot (artigov snapshots lists them)",
    )


def _gate_snapshots(read: RecordRead, gate: str, below: int) -> list[int]:
    """Sequences of ``gate``'s snapshots before ``below``, newest first."""
    out = []
    for s in sorted((s for s in read.manifests if s < below), reverse=True):
        with contextlib.suppress(VerificationError):
            if read.manifest(s).gate == gate:
                out.append(s)
    return out
