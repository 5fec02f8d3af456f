"""Status transitions as commands: ``review`` (draft -> review), ``approve`` (review -> approved)
and ``reject`` (review or approved -> draft).

Each one, in this order, and nothing is written until every check passed:

1. the document is a valid artifact of a framework with a contract;
2. the transition starts from the document's status (no state is skipped) (A001);
3. the person acts in a RACI role that allows it: ``approve`` needs *accountable*, ``review`` and
   ``reject`` *accountable* or *responsible* (A003); nobody approves what they submitted for review
   where the contract forbids it (A002, ``forbid_self_approval``, on by default);
4. the key is the person's in the newest trust version (``record/trust/``) (A004), and there is
   one where the contract requires signed approvals (A005); the statement names that version;
5. the statement is signed, then written add-only next to its signature (see
   :mod:`artigov.contract._approvals`); the person's public key is committed to ``record/keys/``;
6. the document's metadata is edited in place (status, ``approved_by``, ``updated_at``; the body
   and its checksum untouched, the edit proved by loading it again) and written atomically;
7. the document is re-indexed, and the operational log records the decision.

A run interrupted after step 5 is finished by running the same command again: the statement
already says what was decided about this content, so only the document edit is done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artigov.contract._approvals import (
    PERSON,
    ApprovalStatement,
    Statement,
    covers,
    current_statements,
    read_statement,
    statement_dir,
    statement_name,
    statements_for,
    trust_chain,
)
from artigov.contract._model import Contract, load_contract
from artigov.contract.errors import TransitionError
from artigov.core import (
    ActorLookup,
    PathEscapeError,
    Workspace,
    get_logger,
    gpg_for,
    publish_public_key,
    sign_detached,
    stamp_now,
    write_atomic,
    write_new,
)
from artigov.schema import Artifact

__all__ = ["ACTIONS", "Signoff", "Transition", "TransitionError", "transition"]

log = get_logger(__name__)

#: action -> (statuses it starts from, status it ends in)
ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "review": (("draft",), "review"),
    "approve": (("review", "approved"), "approved"),
    "reject": (("review", "approved"), "draft"),
}


@dataclass(frozen=True)
class Transition:
    """What a transition did (``changed`` False: it had been done already)."""

    action: str
    framework: str
    path: str
    id: str
    version: str
    checksum: str
    from_status: str
    to_status: str
    approver: str
    role: str | None
    fingerprint: str | None
    statement: str | None
    digest: str | None
    time: str
    changed: bool
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The transition as JSON values."""
        return {
            "action": self.action,
            "framework": self.framework,
            "path": self.path,
            "id": self.id,
            "version": self.version,
            "checksum": self.checksum,
            "from": self.from_status,
            "to": self.to_status,
            "approver": self.approver,
            "role": self.role,
            "fingerprint": self.fingerprint,
            "statement": self.statement,
            "digest": self.digest,
            "time": self.time,
            "changed": self.changed,
            "notes": self.notes,
        }


def _load(ws: Workspace, target: Path) -> Artifact:
    from artigov.schema import validate_workspace

    try:
        rel = ws.rel(target)
    except PathEscapeError:
        raise TransitionError("A006", str(target), "is outside the workspace", "name a file inside it") from None
    if not target.is_file():
        raise TransitionError("A006", rel, "is not a file", "name an artifact file (or its sidecar)")
    report = validate_workspace(ws, [target])
    if report.findings:
        first = report.findings[0]
        raise TransitionError(
            "A006",
            rel,
            f"is not a valid artifact ({first.code} {first.message})",
            first.fix or f"fix it first: artigov validate {rel}",
        )
    if not report.artifacts:
        raise TransitionError(
            "A006", rel, "is not an artifact (outside the artifact globs)", "name a file the workspace governs"
        )
    return report.artifacts[0]


def _refuse_status(action: str, rel: str, status: str) -> TransitionError:
    starts, ends = ACTIONS[action]
    if action == "review":
        fix = "send it back to draft with `artigov reject`, or start a new version as draft"
    else:
        fix = f"submit it for review first: artigov review {rel}"
    return TransitionError(
        "A001",
        rel,
        f"is {status}; `{action}` moves {' or '.join(starts)} to {ends} (no state is skipped)",
        fix,
    )


def _check_role(contract: Contract, action: str, who: str, kind: str, rel: str) -> str:
    role = contract.role_of(who, kind)
    allowed = ("accountable",) if action == "approve" else ("accountable", "responsible")
    if role is None or role not in allowed:
        roles = contract.raci.get(kind, {})
        named = sorted({p for r in allowed for p in roles.get(r, ())})
        raise TransitionError(
            "A003",
            rel,
            f"{who} may not {action} a {kind!r}: RACI makes them {role or 'nothing'} for it, "
            f"and {action} needs {' or '.join(allowed)} ({', '.join(named) or 'nobody is'})",
            f"have {' or '.join(named) or 'an accountable person'} do it (--as), "
            f"or change the RACI in {contract.path.name} through a reviewed change",
        )
    return role


def _choose_key(
    ws: Workspace, contract: Contract, who: str, key: str | None, rel: str
) -> tuple[str | None, int | None]:
    """(the fingerprint to sign with, or None for an unsigned statement where allowed; the newest
    trust version, whose approval keys decide, or None when the record has no trust version)."""
    trust = trust_chain(ws)
    newest = trust.newest if trust else None
    known = newest.keys_of(contract.framework, who) if newest else ()
    add = f"artigov trust propose --add-person {contract.framework}:{who}:FPR"
    if (key or contract.require_signed_approvals) and newest is None:
        raise TransitionError(
            "A004",
            rel,
            f"the record has no trust version, so no key can be {who}'s",
            "create trust version 1 (artigov trust init --key FPR, or artigov migrate-record)",
        )
    version = newest.version if newest else None
    if key:
        chosen = key.upper()
        if known and chosen not in known:
            raise TransitionError(
                "A004",
                rel,
                f"key {chosen} is not {who}'s: trust version {version} gives them {', '.join(known)}",
                f"sign with your own key (--key {known[0]}), or have the root keys accept the new key: "
                f"artigov trust propose --add-person {contract.framework}:{who}:{chosen}",
            )
        if not known and contract.require_signed_approvals:
            raise TransitionError(
                "A004",
                rel,
                f"trust version {version} gives no key for {who}, so a signature by {chosen} could never be checked",
                add.replace("FPR", chosen),
            )
        return chosen, version
    secret = {k["fingerprint"].upper() for k in gpg_for(ws.signing.gnupghome).list_keys(secret=True)}
    usable = [f for f in known if f in secret]
    if usable:
        return usable[0], version
    if contract.require_signed_approvals:
        where = str(ws.signing.gnupghome or "your GnuPG home")
        if known:
            why = f"none of {who}'s keys ({', '.join(known)}) has a secret key in {where}"
            fix = f"run it where {who}'s key is (--key FPR)"
        else:
            why, fix = f"trust version {version} gives no key for {who}", add
        raise TransitionError("A005", rel, f"{contract.framework} requires signed approvals and {why}", fix)
    return None, version


@dataclass(frozen=True)
class _Decision:
    """One person's decision about one document, once every check passed: what the statement,
    the document edit and the log record all say."""

    ws: Workspace
    contract: Contract
    artifact: Artifact
    action: str
    who: str
    time: str

    @property
    def to(self) -> str:
        return ACTIONS[self.action][1]

    def metadata_updates(self) -> dict[str, Any]:
        artifact, who = self.artifact, self.who
        updates: dict[str, Any] = {"status": self.to, "updated_at": self.time}
        approvers = [str(a) for a in artifact.metadata.get("approved_by", [])]
        if self.action == "approve" and who not in approvers:
            updates["approved_by"] = [*approvers, who]
        elif self.action == "reject" and who in approvers:
            updates["approved_by"] = [a for a in approvers if a != who]
        return updates

    def write_statement(self, data: bytes, signature: bytes | None) -> Path:
        """Write the statement (and its signature first) under the next free number; never overwrite."""
        ws, framework, artifact = self.ws, self.contract.framework, self.artifact
        folder = statement_dir(ws, framework, artifact.id, artifact.version)
        taken = [s.n for s in statements_for(ws, framework, artifact.id, artifact.version) if s.approver == self.who]
        n = max(taken, default=0) + 1
        while True:
            path = folder / statement_name(self.who, n)
            sig = path.with_name(path.name + ".asc")
            try:
                if signature is not None:
                    write_new(sig, signature)
                elif sig.exists():  # an orphan signature of an interrupted run: never pair it with new bytes
                    raise FileExistsError(sig)
                try:
                    write_new(path, data)
                except FileExistsError:
                    if signature is not None:
                        sig.unlink()
                    raise
                return path
            except FileExistsError:
                n += 1

    def finish(self, statement: Statement) -> Transition:
        """Bring the document in line with ``statement`` (edit, write, re-index), log the decision."""
        from artigov.schema import edit_metadata

        ws, artifact, action, who, to = self.ws, self.artifact, self.action, self.who, self.to
        notes: list[str] = []
        approvers = [str(a) for a in artifact.metadata.get("approved_by", [])]
        in_line = artifact.status == to and ((who in approvers) == (action == "approve") or action == "review")
        if not in_line:
            source, new = edit_metadata(ws.root, artifact, self.metadata_updates())
            write_atomic(ws.root / source, new, lock=False)  # no lock file beside the document
        notes += _reindex(ws, artifact)  # also after a crash between the edit and the index: never left stale
        self._log(statement)
        body = statement.body
        return Transition(
            action=action,
            framework=self.contract.framework,
            path=artifact.path,
            id=artifact.id,
            version=artifact.version,
            checksum=artifact.checksum,
            from_status=body.from_status if body else artifact.status,
            to_status=to,
            approver=who,
            role=body.role if body else None,
            fingerprint=body.fingerprint if body else None,
            statement=statement.rel,
            digest=statement.digest,
            time=body.time if body else self.time,
            changed=not in_line,
            notes=notes,
        )

    def _log(self, statement: Statement) -> None:
        artifact = self.artifact
        action = self.action
        log.info(
            "artifact_approved"
            if action == "approve"
            else "artifact_rejected"
            if action == "reject"
            else "artifact_submitted",
            audit=True,
            framework=self.contract.framework,
            subject=artifact.path,
            outcome=self.to,
            id=artifact.id,
            version=artifact.version,
            checksum=artifact.checksum,
            approver=self.who,
            statement=statement.rel,
            digest=statement.digest,
            signed=statement.signature is not None,
        )


@dataclass(frozen=True)
class Signoff:
    """Who takes a transition (``None``: the git actor), the key they sign with (``None``: one of
    theirs with a secret key here, when signatures are required), and why (a rejection needs it)."""

    who: str | None = None
    key: str | None = None
    comment: str = ""


#: A sign-off by the git actor, unsigned unless the contract requires it, with no comment.
_ACTOR = Signoff()


def transition(ws: Workspace, target: Path, action: str, signoff: Signoff = _ACTOR) -> Transition:
    """Move ``target`` through ``action`` as ``signoff`` says (see the module doc for the steps).

    Raises:
        TransitionError: a refused transition (A001-A008); nothing was written.
        ContractError: the framework has no valid contract.
        SigningError: gpg could not sign.
    """
    from artigov.schema import edit_metadata

    starts, to = ACTIONS[action]
    artifact = _load(ws, target)
    rel = artifact.path
    _remove_dead_temps(ws, artifact)
    key, comment = signoff.key, signoff.comment
    if action == "reject" and not comment.strip():
        raise TransitionError("A007", rel, "a rejection needs a reason", 'say why: --comment "..."')
    who = signoff.who or ActorLookup(ws.root).result()
    if not PERSON.match(who):
        raise TransitionError(
            "A008", rel, f"{who!r} cannot name an approver", "use an e-mail address (--as name@example.org)"
        )
    contract = load_contract(ws, artifact.framework)
    if artifact.kind not in contract.allowed_kinds:
        raise TransitionError(
            "A006",
            rel,
            f"kind {artifact.kind!r} is not allowed in framework {contract.framework!r}",
            f"add it to allowed_kinds in {ws.rel(contract.path)}, or move the document out",
        )
    statements = statements_for(ws, contract.framework, artifact.id, artifact.version)
    mine = current_statements(statements).get(who)
    time, _source = stamp_now()
    decision = _Decision(ws, contract, artifact, action, who, time)
    done = _already_done(action, artifact, mine, to)
    if done is not None:
        return decision.finish(done)
    if artifact.status not in starts:
        raise _refuse_status(action, rel, artifact.status)
    role = _check_role(contract, action, who, artifact.kind, rel)
    if action == "approve" and contract.forbid_self_approval:
        submitted = [s for s in statements if s.approver == who and s.decision == "review"]
        if submitted:
            raise TransitionError(
                "A002",
                rel,
                f"{who} submitted this document for review ({submitted[-1].rel}) and may not approve it",
                "have another accountable person approve it (the contract sets forbid_self_approval)",
            )
    fingerprint, trust_version = _choose_key(ws, contract, who, key, rel)
    data = ApprovalStatement(
        framework=contract.framework,
        id=artifact.id,
        version=artifact.version,
        kind=artifact.kind,
        path=rel,
        checksum=artifact.checksum,
        metadata=artifact.approval_digest,
        decision=action,
        from_status=artifact.status,
        to_status=to,
        approver=who,
        role=role,
        fingerprint=fingerprint,
        trust_version=trust_version,
        time=time,
        comment=comment,
    ).to_bytes()
    # Prove the document edit before anything is written: a refused edit leaves no statement behind.
    edit_metadata(ws.root, artifact, decision.metadata_updates())
    signature = sign_detached(data, fingerprint, ws.signing.gnupghome) if fingerprint else None
    notes = []
    if fingerprint and publish_public_key(ws, fingerprint) is None:
        notes.append(f"gpg has no public key {fingerprint} to commit to {ws.rel(ws.keys_dir)}/")
    if fingerprint is None:
        notes.append(f"the statement is not signed ({contract.framework} does not require signed approvals)")
    path = decision.write_statement(data, signature)
    statement = read_statement(ws, path)
    assert statement is not None
    result = decision.finish(statement)
    return Transition(**{**result.__dict__, "changed": True, "notes": notes + result.notes})


def _remove_dead_temps(ws: Workspace, artifact: Artifact) -> None:
    """A crashed transition's temp files beside the document (their writer is gone): removed."""
    from artigov.core import dead_writer_temps

    for tmp in dead_writer_temps(ws.root / artifact.source):
        tmp.unlink(missing_ok=True)
        log.info("leftover_removed", audit=True, subject=ws.rel(tmp), outcome="removed: its writer is gone")


def _already_done(action: str, artifact: Artifact, mine: Statement | None, to: str) -> Statement | None:
    """The person's statement that already decided ``action`` about this very content, if any."""
    if mine is None or mine.decision != action or not covers(mine.body, artifact.checksum, artifact.approval_digest):
        return None
    if action == "approve" and artifact.status not in ("review", "approved"):
        return None  # rejected or reset since: a new decision is needed
    if action == "review" and artifact.status not in ("draft", "review"):
        return None
    return mine


def _reindex(ws: Workspace, artifact: Artifact) -> list[str]:
    from artigov.index import add

    if not ws.index_path.is_file():
        return [f"no index yet: run `artigov index rebuild` to index {artifact.path}"]
    result = add(ws, [ws.root / artifact.path])
    if not result.ok:
        return [f"re-indexing {artifact.path} reported {len(result.findings)} finding(s): run `artigov index update`"]
    return []
