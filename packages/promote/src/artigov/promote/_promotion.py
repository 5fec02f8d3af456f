"""Promotion: a framework's gate as a new signed snapshot.

``promote`` is a few named calls on one :class:`SnapshotStore` (the framework's record, its paths
resolved once); each must pass before the next, and nothing enters the record until the gate
passed, the inputs were stored and the manifest was signed and proved:

1. open the record for writing (:meth:`SnapshotStore.writing`: the framework lock, taken once, and
   recovery of what an interrupted command left) and verify its head (a tampered, replayed or
   forked history refuses);
2. plan (:func:`_plan`): refuse no signing key, or one that the newest trust version (``governance/trust/``)
   does not let sign the gate (its snapshot would never verify); the index without drift; the
   contract gate passing (a failing gate promotes nothing); the inputs hydrated deterministically,
   uncommitted inputs refused unless ``allow_dirty``;
3. stage: every input's bytes stored in the object store (``after-objects``), read once;
4. commit (:meth:`SnapshotStore.commit`): the manifest signed and proved to verify, the decisions
   recorded (the commit point), HEAD moved, the snapshot published; then a git commit of exactly
   what was written (``--commit``).

Every snapshot's decisions (gate result, every hydration candidate, inputs and approvers, signer,
git commit) go to the framework's committed decision log; the local operational log gets a summary.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from artigov.contract import all_statements, check_contract, current_statements, statements_for, valid_approvals
from artigov.core import (
    TRUST_DIR,
    ActorLookup,
    SigningConfig,
    TrustChain,
    Workspace,
    digest_bytes,
    fault_point,
    get_logger,
    iso,
    load_trust,
    stamp_now,
    trust_folder,
)
from artigov.hydrate import Decision, DeterminismCheck, hydrate_slice
from artigov.index import IndexSlice, read_framework, verify_by_stats
from artigov.promote._decisions import Decider, DecisionLog
from artigov.promote._gitstate import GitState, commit_record, git_state
from artigov.promote._manifest import InputApproval, Manifest, SnapshotInput
from artigov.promote._options import PromoteOptions
from artigov.promote._store import Committed, ObjectStore, SnapshotStore
from artigov.promote._verify import Verified
from artigov.promote.errors import GateFailedError, PromotionError

if TYPE_CHECKING:
    from artigov.index import Entries

__all__ = [
    "announce",
    "authorize_signer",
    "trust_events",
    "Promotion",
    "git_fields",
    "promote",
    "signing_key",
    "withdrawn_versions",
]

log = get_logger(__name__)

#: A promotion's options when the caller names none.
_DEFAULTS = PromoteOptions()

#: Input bytes held before they are stored (:func:`_store_inputs`): memory stays bounded.
_BATCH_BYTES = 64 << 20


@dataclass(frozen=True)
class Promotion:
    """A recorded snapshot: its framework, gate, sequence, manifest digest, signer and inputs."""

    framework: str
    gate: str
    sequence: int
    digest: str
    signer: str
    inputs: int
    rollback_of: int | None = None
    commit: str | None = None
    record_commit: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The snapshot recorded, as JSON values (``promote`` and ``rollback --format json``)."""
        return {
            "framework": self.framework,
            "gate": self.gate,
            "sequence": self.sequence,
            "digest": self.digest,
            "signer": self.signer,
            "inputs": self.inputs,
            "rollback_of": self.rollback_of,
            "commit": self.commit,
            "record_commit": self.record_commit,
        }


def signing_key(signing: SigningConfig, key: str | None) -> str:
    """The fingerprint to sign with: ``key``, else ``signing.key`` (upper case)."""
    chosen = (key or signing.key or "").upper()
    if not chosen:
        raise PromotionError(
            "no signing key: pass --key FINGERPRINT or set signing.key in artigov.yaml",
            fix="list keys with `gpg --list-secret-keys --with-colons`",
        )
    return chosen


def authorize_signer(trust: TrustChain, framework: str, gate: str, signer: str) -> TrustChain:
    """``trust`` (the workspace's chain, :func:`load_trust`), if its newest version lets ``signer``
    sign a promotion of ``gate``.

    Raises:
        PromotionError: the newest version does not list the signer for that gate.
    """
    newest = trust.newest
    allowed = newest.signers_for(framework, gate)
    if signer not in allowed:
        raise PromotionError(
            f"refusing to sign with {signer}: trust version {newest.version} does not let it sign gate {gate!r} "
            f"of {framework!r} (it lets: {', '.join(allowed) or 'nobody'}), so its snapshot would never verify",
            fix=f"sign with an allowed key (--key), or have the root keys accept a trust version that lists it: "
            f"artigov trust propose --add-signer {framework}:{gate}:{signer}",
        )
    return trust


def trust_events(dlog: DecisionLog, decider: Decider, trust: TrustChain) -> list[dict[str, Any]]:
    """A ``trust_version_recorded`` event for every trust version the framework's log does not hold
    yet: who was root, who could sign which gate of this framework, whose approval keys counted."""
    seen = {e.data.get("version") for e in dlog.events(b"trust_version_recorded") if e.name == "trust_version_recorded"}
    events = []
    for v in trust.versions:
        doc = v.document
        if doc.version in seen:
            continue
        mine = doc.frameworks.get(decider.framework)
        events.append(
            decider.event(
                "trust_version_recorded",
                f"{TRUST_DIR}/{trust_folder(doc.version)}",
                "accepted",
                version=doc.version,
                digest=v.digest,
                previous=doc.previous,
                root_keys=list(doc.root_keys),
                threshold=doc.threshold,
                signed_by=list(v.signed_by),
                signers={g: list(k) for g, k in sorted(mine.signers.items())} if mine else {},
                people={p: list(k) for p, k in sorted(mine.people.items())} if mine else {},
            )
        )
    return events


def _store_inputs(run: _Promoting) -> list[SnapshotInput]:
    """Store each planned input's bytes, read ONCE: those very bytes are validated, compared with
    the plan (an input edited since it was indexed is refused), stored, and named by the manifest."""
    from artigov.schema import SchemaSet

    ws, objects, inputs = run.ws, run.store.objects, run.plan.inputs
    schemas = SchemaSet(ws.kind_schemas_dir)
    out = []
    pending: list[bytes] = []  # read and checked, stored in batches (ObjectStore.put_all)
    held = 0
    for item in inputs:
        stored, data = _read_input(ws, objects, schemas, item)
        out.append(stored)
        pending.append(data)
        held += len(data)
        if held > _BATCH_BYTES:
            objects.put_all(pending)
            pending, held = [], 0
    objects.put_all(pending)
    fault_point("after-objects")
    return out


def _changed(item: dict[str, Any]) -> PromotionError:
    """The refusal of a planned input that changed while it was being promoted."""
    return PromotionError(
        f"{item['path']} changed while it was being promoted (it no longer is the {item['status']} "
        f"{item['id']}@{item['version']} with {item['checksum']} the plan selected); nothing was recorded",
        fix="let the edit finish, run `artigov index update`, and promote again",
    )


def _read_input(ws: Workspace, objects: ObjectStore, schemas: Any, item: dict[str, Any]) -> tuple[SnapshotInput, bytes]:
    """Planned input ``item`` read once and proved still the one the plan selected: its manifest
    entry, and the bytes still to store (a sidecar artifact's content is streamed into the store
    here; its metadata file's bytes are returned).

    Raises:
        PromotionError: it changed since it was planned (nothing was recorded).
    """
    from artigov.schema import ArtifactLoadError, load_frontmatter_artifact, load_sidecar_artifact, read_source

    rel, meta_rel = str(item["path"]), item.get("meta")
    planned = {k: item[k] for k in ("id", "version", "status")}
    data = b""
    try:
        if meta_rel:  # the content, of any size, is streamed into the store once
            data = read_source(ws.root, meta_rel, sidecar=True)
            stored = objects.put_file(ws.root / rel)
            artifact = load_sidecar_artifact(ws.root, rel, meta_rel, meta_data=data, described=stored)
        else:  # at most 16 MiB (the loader's limit): read once, into memory
            data = read_source(ws.root, rel)
            artifact = load_frontmatter_artifact(ws.root, rel, data=data)
        same = not schemas.check(artifact) and artifact.checksum == item["checksum"]
        same = same and {k: artifact.metadata.get(k) for k in planned} == planned
    except ArtifactLoadError:
        same = False
    if not same:
        raise _changed(item)
    entry = SnapshotInput(
        kind=str(item["kind"]),
        path=rel,
        id=str(item["id"]),
        version=str(item["version"]),
        status=str(item["status"]),
        checksum=str(item["checksum"]),
        object=artifact.checksum if meta_rel else digest_bytes(data),
        meta=str(meta_rel) if meta_rel else None,
        meta_object=digest_bytes(data) if meta_rel else None,
    )
    return entry, data


def _input_approvals(
    ws: Workspace, framework: str, inputs: Sequence[dict[str, Any]], entries: Entries
) -> dict[str, tuple[InputApproval, ...]]:
    """Each approved input's approvals as the manifest records them: approver, role, key, time,
    and the statement's path and digest (the gate has checked them)."""
    from artigov.schema import ArtifactLoadError, load_frontmatter_artifact, load_sidecar_artifact

    out = {}
    for item in inputs:
        entry = entries.get(str(item["path"]))
        if entry is not None and item["status"] == "approved":
            path = str(item["path"])
            try:  # the metadata an approval covers, as it is now (the stored bytes are checked again)
                artifact = (
                    load_sidecar_artifact(ws.root, path, str(entry["meta"]), described=("", 0))
                    if entry.get("meta")
                    else load_frontmatter_artifact(ws.root, path)
                )
                digest: str | None = artifact.approval_digest
            except ArtifactLoadError:
                digest = None
            found = valid_approvals(ws, framework, entry, digest)
            out[str(item["path"])] = tuple(InputApproval.from_dict(s.summary()) for s in found)
    return out


def _approval_events(ws: Workspace, store: SnapshotStore, decider: Decider) -> list[dict[str, Any]]:
    """An ``approval_recorded`` event for every statement of the framework the log does not hold yet
    (reviews, approvals and rejections alike): they enter the committed log with the next snapshot,
    since an append on a branch would make every two approving branches conflict."""
    seen = {
        e.data.get("digest")
        for e in DecisionLog(store.decisions_path).events(b"approval_recorded")
        if e.name == "approval_recorded"
    }
    events = []
    for st in all_statements(ws, decider.framework):
        if st.digest in seen:
            continue
        body = st.body
        events.append(
            decider.event(
                "approval_recorded",
                body.path if body else st.rel,
                st.decision or "unknown",
                id=body.id if body else None,
                version=body.version if body else None,
                checksum=body.checksum if body else None,
                signed=st.signature is not None,
                comment=(body.comment if body else None) or None,
                **{k: v for k, v in st.summary().items() if k != "decision"},
            )
        )
    return events


def _candidate_events(decider: Decider, gate: str, decisions: Sequence[Decision]) -> list[dict[str, Any]]:
    """A ``candidate_selected``, ``candidate_lost`` or ``candidate_rejected`` event per hydration decision."""
    names = {"won": "candidate_selected", "lost": "candidate_lost", "rejected": "candidate_rejected"}
    return [
        decider.event(
            names[d.outcome],
            d.path,
            d.outcome,
            stage=gate,
            kind=d.kind,
            rank_key=d.key,
            lost_to=d.lost_to,
            rule=d.rule,
            reason=d.reason or None,
        )
        for d in decisions
    ]


def git_fields(git: GitState, allow_dirty: bool) -> dict[str, Any]:
    """The manifest's ``git`` fields: the commit promoted from and whether its inputs were committed."""
    return {
        "commit": git.commit,
        "inputs_committed": git.inputs_committed,
        "allow_dirty": allow_dirty,
        "dirty": list(git.dirty),
    }


def _input_paths(inputs: Sequence[dict[str, Any]]) -> list[str]:
    return sorted({p for i in inputs for p in (i.get("path"), i.get("meta")) if p})


def announce(framework: str, done: Committed, event: str, outcome: str, **fields: Any) -> None:
    """The operational log's summary of a snapshot just recorded (the decision log holds the detail)."""
    log.info(
        event,
        audit=True,
        framework=framework,
        subject=f"{framework}#{done.sequence}",
        outcome=outcome,
        sequence=done.sequence,
        digest=done.digest,
        **fields,
    )


@dataclass
class _Promoting:
    """One promotion as it goes: what it was asked, and what each step hands to the next."""

    ws: Workspace
    store: SnapshotStore
    gate: str
    signer: str
    trust: TrustChain
    options: PromoteOptions
    index: IndexSlice | None = None
    report: Any = None
    plan: Any = None
    decisions: list[Decision] | None = None
    git: GitState | None = None
    approvers: dict[str, list[str]] | None = None
    approvals: dict[str, tuple[InputApproval, ...]] | None = None
    actor: ActorLookup | None = None

    @property
    def framework(self) -> str:
        """The framework promoted."""
        return self.store.framework


def promote(ws: Workspace, framework: str, gate: str, options: PromoteOptions = _DEFAULTS) -> Promotion:
    """Promote ``framework`` at ``gate`` as a new signed snapshot (see the module doc for the steps):
    open the record for writing (locked, recovered) and verify its head; plan (the signer authorized,
    the index, the gate, the inputs); record the snapshot (:meth:`SnapshotStore.commit`); git commit what it wrote.

    Raises:
        PromotionError: untrusted key, index drift, uncommitted inputs, or a broken history.
        GateFailedError: the gate's contract check failed.
        VerificationError: the current head does not verify.
    """
    store = SnapshotStore.open(ws, framework)
    with store.writing(options.lock_timeout) as recovered:
        current = store.verified_head()
        run = _plan(ws, store, gate, options, current.trust if current else None)
        again = _recorded_already(run, recovered, current)
        if again is not None:
            return again
        manifest = _manifest(run, current, _store_inputs(run))
        done = store.commit(current.head if current else None, manifest, _batch(run, manifest), run.trust)
        signer, written = run.signer, store.written(run.signer, manifest.inputs)
    announce(framework, done, "snapshot_promoted", "promoted", gate=gate)
    git = manifest.git
    message = (
        f"artigov: promote {framework} gate {gate} as snapshot {done.sequence}\n\n"
        f"manifest {done.digest}\nsigned by {signer}\ninputs from commit {git['commit'] or '(none)'}"
    )
    record_commit = commit_record(ws.root, written, message) if options.commit else None
    n = len(manifest.inputs)
    return Promotion(
        framework, gate, done.sequence, done.digest, signer, n, commit=git["commit"], record_commit=record_commit
    )


def _plan(
    ws: Workspace, store: SnapshotStore, gate: str, options: PromoteOptions, trust: TrustChain | None
) -> _Promoting:
    """The promotion planned: its signer chosen and authorized, the index without drift, the gate
    passing, and its inputs planned (:func:`_plan_inputs`). ``trust``: the chain the head verified
    under (None: none yet, loaded here).

    Raises:
        PromotionError: no or an untrusted signer, or the index differs from the files.
        GateFailedError: the gate's contract check failed.
    """
    signer = signing_key(ws.signing, options.key)
    trust = authorize_signer(trust or load_trust(ws), store.framework, gate, signer)  # TrustError: it does not hold
    run = _Promoting(ws, store, gate, signer, trust, options)
    framework, lock_timeout = run.framework, options.lock_timeout
    drift = verify_by_stats(ws, lock_timeout=lock_timeout)  # what `index verify` answers; inputs are re-read
    if not drift.ok:
        n = len(drift.added) + len(drift.changed) + len(drift.removed)
        raise PromotionError(
            f"the index differs from the files in {n} path(s); nothing was promoted",
            fix="run `artigov index update` (and review the changes) first",
        )
    # The framework's entries, read once for the gate and the hydration: the check above brought a
    # local index up to date already (a second stat pass would prove nothing new).
    run.index = read_framework(ws, framework, lock_timeout=lock_timeout, refresh=False)
    run.report = check_contract(ws, framework, run.gate, entries=run.index.entries)
    if not run.report.ok:
        log.info(
            "promotion_refused",
            audit=True,
            framework=framework,
            subject=run.gate,
            outcome="gate_failed",
            findings=len(run.report.findings),
        )
        raise GateFailedError(run.gate, run.report.findings)
    _plan_inputs(run)
    return run


def _plan_inputs(run: _Promoting) -> None:
    """The gate's inputs, hydrated deterministically; their git state (uncommitted inputs refused
    unless ``allow_dirty``); each input's approvers and the approvals the manifest records.

    Raises:
        PromotionError: inputs with uncommitted changes.
    """
    ws, framework = run.ws, run.framework
    withdrawn = withdrawn_in(run.store)
    assert run.index is not None
    result = hydrate_slice(ws, run.index, run.gate, withdrawn=withdrawn, check=DeterminismCheck())
    run.plan, run.decisions = result.plan, result.decisions
    assert run.plan is not None and result.index is not None
    run.git = git_state(ws.root, _input_paths(run.plan.inputs))
    if run.git.dirty and not run.options.allow_dirty:
        dirty = run.git.dirty
        shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
        raise PromotionError(
            f"{len(dirty)} input(s) have uncommitted changes: {shown}; nothing was promoted",
            fix="commit them first (promotion records the git commit), "
            "or pass --allow-dirty (recorded in the manifest)",
        )
    run.approvers = {p: e.get("approved_by", []) for p, e in result.index.entries.items()}
    run.approvals = _input_approvals(ws, framework, run.plan.inputs, result.index.entries)
    run.actor = ActorLookup(ws.root)  # started now, answered when the decisions are written


def _recorded_already(run: _Promoting, recovered: list[str], current: Verified | None) -> Promotion | None:
    """The promotion an interrupted run of this very promotion recorded (recovery published it, and
    the head is of this gate and plan), else None: it is finished, never made twice."""
    plan = run.plan
    if (
        any(note.startswith("published snapshot") for note in recovered)
        and current is not None
        and current.manifest.gate == run.gate
        and current.manifest.plan_digest == plan.digest
    ):
        return Promotion(run.framework, run.gate, current.sequence, current.digest, current.signer, len(plan.inputs))
    return None


def _manifest(run: _Promoting, current: Verified | None, inputs: list[SnapshotInput]) -> Manifest:
    """The new snapshot's manifest on top of ``current`` (unsigned, the log not pinned yet), each
    input with the approvals it records."""
    assert run.git is not None
    head = current.head if current else None
    sequence, parent = (head.sequence if head else 0) + 1, head.digest if head else None
    approvals = run.approvals or {}
    created_at, source = stamp_now()
    expires_days = run.options.expires_days
    return Manifest(
        framework=run.framework,
        gate=run.gate,
        sequence=sequence,
        parent=parent,
        index_digest=run.plan.index_digest,
        plan_digest=run.plan.digest,
        inputs=tuple(replace(i, approvals=approvals.get(i.path, ())) for i in inputs),
        signer=run.signer,
        trust_version=run.trust.newest.version,
        created_at=created_at,
        created_at_source=source,
        git=git_fields(run.git, run.options.allow_dirty),
        # From now (the real clock), never from created_at: SOURCE_DATE_EPOCH (often the HEAD
        # commit's time) would give a snapshot that is born expired.
        expires=iso(int(time.time()) + expires_days * 86400) if expires_days is not None else None,
    )


def _batch(run: _Promoting, manifest: Manifest) -> list[dict[str, Any]]:
    """The decisions the snapshot records: trust versions new to the log, the gate's result, every
    hydration candidate, the promotion itself, and approval statements new to the log."""
    gate = run.gate
    who = (run.actor or ActorLookup(run.ws.root)).result()
    decider = Decider(manifest.created_at, who, run.framework, manifest.sequence)
    report = run.report
    return [
        *trust_events(DecisionLog(run.store.decisions_path), decider, run.trust),
        decider.event(
            "gate_checked",
            gate,
            "passed",
            gate=gate,
            checked=report.checked,
            findings=[f.to_dict() for f in report.findings],
        ),
        *_candidate_events(decider, gate, run.decisions or []),
        _promoted_event(run, manifest, decider),
        *_approval_events(run.ws, run.store, decider),
    ]


def _promoted_event(run: _Promoting, manifest: Manifest, decider: Decider) -> dict[str, Any]:
    """The ``snapshot_promoted`` decision: the snapshot, its signer and trust version, its plan and
    index, and each input with its approvers and approvals."""
    approvers = run.approvers or {}
    return decider.event(
        "snapshot_promoted",
        f"{run.framework}#{manifest.sequence}",
        "promoted",
        gate=run.gate,
        signer=run.signer,
        trust_version=run.trust.newest.version,
        plan_digest=manifest.plan_digest,
        index_digest=manifest.index_digest,
        inputs=[
            {
                "path": i.path,
                "id": i.id,
                "version": i.version,
                "status": i.status,
                "checksum": i.checksum,
                "approved_by": approvers.get(i.path, []),
                "approvals": [a.to_dict() for a in i.approvals],
            }
            for i in manifest.inputs
        ],
        **manifest.git,
    )


def withdrawn_versions(ws: Workspace, framework: str) -> dict[tuple[str, str], str]:
    """(id, version) -> why, for every version a rollback of ``framework`` withdrew (read from the
    committed decision log: a pruned rollback snapshot still withdrew them) that nobody approved
    again since (an approving statement the rollback did not know)."""
    return withdrawn_in(SnapshotStore(ws, framework))


def withdrawn_in(store: SnapshotStore) -> dict[tuple[str, str], str]:
    """:func:`withdrawn_versions` of the framework of ``store`` (the command's own store)."""
    ws, framework = store.ws, store.framework
    withdrawals: dict[tuple[str, str], tuple[int, set[str], int | None]] = {}
    for event in DecisionLog(store.decisions_path).events(b'"withdrawn"'):
        data = event.data
        if event.name != "snapshot_rolled_back":
            continue
        for w in data.get("withdrawn") or []:
            if isinstance(w, dict) and "id" in w and "version" in w:
                known = {str(d) for d in w.get("approvals", [])}
                withdrawals[(str(w["id"]), str(w["version"]))] = (int(data["sequence"]), known, data.get("rolled_back"))
    out = {}
    for (artifact_id, version), (seq, known, rolled_back) in sorted(withdrawals.items()):
        current = current_statements(statements_for(ws, framework, artifact_id, version))
        if any(st.decision == "approve" and st.digest not in known for st in current.values()):
            continue  # approved again since the rollback
        out[(artifact_id, version)] = (
            f"withdrawn by the rollback in snapshot {seq} (of snapshot {rolled_back}); approve it again to use it"
        )
    return out
