"""Signed approval statements: ``record/<framework>/approvals/<id>/<version>/<approver>[.<n>].json``.

A status transition (``review``, ``approve``, ``reject``) writes one statement: canonical JSON of
what was decided about which content, by whom, in which RACI role, when and why, with a detached
armored signature by the decider's key beside it (``.json.asc``). Statements are add-only files
with unique names (the n-th statement of one person about one id and version is ``<who>.<n>.json``),
so approvals made on different branches merge without conflict, and a later statement never
replaces an earlier one: a snapshot that names a statement can always be re-checked.

A person's *current* word on an id and version is their statement with the highest n. It counts
as an approval of the document only if it approves, is for the document's current content (body
checksum and version), and, where the contract asks for signatures, is signed by one of that
person's keys in the trust version the statement names (``record/trust/``; a statement from before
trust versions names none and is checked against version 1), whose public key is committed in
``record/keys/``. Who is accountable stays in the contract's RACI; which key is theirs is only in
the trust document, which a pull request cannot change without the root keys' signatures.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artigov.contract._model import Contract
from artigov.core import (
    Finding,
    RecordLayout,
    TrustChain,
    TrustError,
    VerificationError,
    VerifyingKeyring,
    Workspace,
    canonical_json,
    committed_keyring,
    digest_bytes,
)

if TYPE_CHECKING:
    from artigov.index import Entry

__all__ = [
    "STATEMENT_FORMAT",
    "ApprovalChecker",
    "ApprovalStatement",
    "Statement",
    "all_statements",
    "approvals_dir",
    "covers",
    "current_statements",
    "read_statement",
    "trust_chain",
    "statement_dir",
    "statements_for",
    "valid_approvals",
]

#: 2: names the trust version its key is checked against (``trust_version``) and covers the metadata
#: (``metadata``) besides the body; 1: before both (it covers the body only).
STATEMENT_FORMAT = 2


_STR = ("framework", "id", "version", "kind", "path", "checksum", "decision", "approver", "time", "comment")
_OPTIONAL_STR = ("role", "fingerprint", "metadata")


@dataclass(frozen=True)
class ApprovalStatement:
    """What one approval statement says (docs/formats.md, "Approval statements"): written through
    :meth:`to_bytes` and read back through :meth:`from_bytes`, nowhere as a loose mapping.

    ``metadata`` and ``trust_version`` are None in a format-1 statement (it covers the body only,
    and its key is checked against trust version 1)."""

    framework: str
    id: str
    version: str
    kind: str
    path: str
    checksum: str
    decision: str
    from_status: str
    to_status: str
    approver: str
    time: str
    comment: str
    role: str | None = None
    fingerprint: str | None = None
    metadata: str | None = None
    trust_version: int | None = None
    format_version: int = STATEMENT_FORMAT

    @property
    def covers_metadata(self) -> bool:
        """True from format 2 on: the statement covers the document's metadata too, not only its body."""
        return self.format_version >= 2

    def to_dict(self) -> dict[str, Any]:
        """The statement as JSON values (format 2 names ``metadata`` and ``trust_version``, null or not)."""
        out: dict[str, Any] = {"format_version": self.format_version, "type": "artigov-approval"}
        out.update({k: getattr(self, k) for k in (*_STR, *_OPTIONAL_STR[:2])})
        out.update({"from": self.from_status, "to": self.to_status})
        if self.covers_metadata:
            out.update(metadata=self.metadata, trust_version=self.trust_version)
        return out

    def to_bytes(self) -> bytes:
        """The statement's bytes, as committed and signed: canonical JSON."""
        return canonical_json(self.to_dict())

    @classmethod
    def from_bytes(cls, data: bytes) -> ApprovalStatement:
        """A statement read from its committed bytes.

        Raises:
            ValueError: not a statement (not JSON, another type or format, a field missing or of
                the wrong type), saying which; such a file approves nothing.
        """
        try:
            value = json.loads(data)
        except RecursionError:
            raise ValueError("nests too deeply") from None
        if not isinstance(value, dict) or value.get("type") != "artigov-approval":
            raise ValueError("not an artigov approval statement")
        fmt = value.get("format_version")
        if fmt not in (1, 2) or isinstance(fmt, bool):
            raise ValueError(f"format_version {fmt!r} is not 1 or 2")
        wrong = [k for k in (*_STR, "from", "to") if not isinstance(value.get(k), str)]
        wrong += [k for k in _OPTIONAL_STR if not isinstance(value.get(k), str | None)]
        named = value.get("trust_version")
        if named is not None and (not isinstance(named, int) or isinstance(named, bool)):
            wrong.append("trust_version")
        if wrong:
            raise ValueError(f"{', '.join(wrong)}: missing or of the wrong type")
        return cls(
            framework=value["framework"],
            id=value["id"],
            version=value["version"],
            kind=value["kind"],
            path=value["path"],
            checksum=value["checksum"],
            decision=value["decision"],
            from_status=value["from"],
            to_status=value["to"],
            approver=value["approver"],
            time=value["time"],
            comment=value["comment"],
            role=value.get("role"),
            fingerprint=value.get("fingerprint"),
            metadata=value.get("metadata"),
            trust_version=named,
            format_version=fmt,
        )


def covers(statement: ApprovalStatement | None, checksum: str, metadata: str | None) -> bool:
    """True when ``statement`` is about this content: the body ``checksum`` and, if the statement
    covers it (format 2) and ``metadata`` is known, the metadata digest
    (:func:`artigov.schema.approved_metadata_digest`)."""
    if statement is None or statement.checksum != checksum:
        return False
    said = statement.metadata
    return said is None or metadata is None or said == metadata


#: A name usable as a file name: e-mail addresses and fingerprints qualify.
PERSON = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$")
_NAME = re.compile(r"^(?P<who>.+?)(?:\.(?P<n>[1-9][0-9]*))?\.json$")


@dataclass(frozen=True)
class Statement:
    """One approval statement file as committed: its bytes, their digest, its signature if any, and
    what it says (``body``; None when the file is not a statement: it approves nothing)."""

    rel: str
    n: int
    body: ApprovalStatement | None
    data: bytes
    signature: bytes | None

    @property
    def digest(self) -> str:
        """The statement's sha256 (of its bytes as committed)."""
        return digest_bytes(self.data)

    @property
    def approver(self) -> str:
        """Who the statement says approves (or rejects), "" if it does not say."""
        return self.body.approver if self.body else ""

    @property
    def decision(self) -> str:
        """``approve`` or ``reject`` ("" if it does not say)."""
        return self.body.decision if self.body else ""

    def summary(self) -> dict[str, Any]:
        """What a manifest and a decision log record about it."""
        return {
            "approver": self.approver,
            "decision": self.decision,
            "role": self.body.role if self.body else None,
            "fingerprint": self.body.fingerprint if self.body else None,
            "time": self.body.time if self.body else None,
            "statement": self.rel,
            "digest": self.digest,
        }


def approvals_dir(ws: Workspace, framework: str) -> Path:
    """The framework's approvals folder in the record."""
    return ws.record_dir / RecordLayout(framework).approvals


def _safe_part(value: str, what: str) -> str:
    if value in (".", "..") or "/" in value or not value:
        raise ValueError(f"{what} {value!r} cannot name a folder")
    return value


def statement_dir(ws: Workspace, framework: str, artifact_id: str, version: str) -> Path:
    """The folder of the statements about one version of an artifact (id and version made safe)."""
    return approvals_dir(ws, framework) / _safe_part(artifact_id, "id") / _safe_part(version, "version")


def statement_name(approver: str, n: int) -> str:
    """The file name of ``approver``'s ``n``-th statement (``alice.json``, ``alice.2.json``)."""
    return f"{approver}.json" if n == 1 else f"{approver}.{n}.json"


def read_statement(ws: Workspace, path: Path) -> Statement | None:
    """The statement at ``path``, or None if it is not a readable statement file."""
    match = _NAME.match(path.name)
    if match is None or not path.is_file() or path.is_symlink():
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        body: ApprovalStatement | None = ApprovalStatement.from_bytes(data)
    except ValueError:  # not a statement: it approves nothing
        body = None
    sig_path = path.with_name(path.name + ".asc")
    signature = sig_path.read_bytes() if sig_path.is_file() and not sig_path.is_symlink() else None
    return Statement(ws.rel(path), int(match.group("n") or 1), body, data, signature)


def statements_for(ws: Workspace, framework: str, artifact_id: str, version: str) -> list[Statement]:
    """Every statement about ``artifact_id`` at ``version``, by approver, oldest first."""
    try:
        folder = statement_dir(ws, framework, artifact_id, version)
    except ValueError:
        return []
    if not folder.is_dir():
        return []
    found = [s for p in folder.glob("*.json") if (s := read_statement(ws, p)) is not None]
    return sorted(found, key=lambda s: (s.approver, s.n, s.rel))


def all_statements(ws: Workspace, framework: str) -> list[Statement]:
    """Every statement of the framework, in path order (bytewise)."""
    folder = approvals_dir(ws, framework)
    if not folder.is_dir():
        return []
    found = [s for p in folder.glob("*/*/*.json") if (s := read_statement(ws, p)) is not None]
    return sorted(found, key=lambda s: s.rel.encode("utf-8"))


def current_statements(statements: list[Statement]) -> dict[str, Statement]:
    """Each person's latest statement (the highest n)."""
    out: dict[str, Statement] = {}
    for s in statements:
        if s.approver not in out or s.n > out[s.approver].n:
            out[s.approver] = s
    return out


def statements_about(statements: list[Statement], checksum: str, metadata: str | None) -> dict[str, Statement]:
    """Each person's latest statement about THIS content (:func:`covers`). After a rollback restores
    content a person approved (and later approved something else), that approval is what they said
    about it; a later rejection of the same content still wins, being later."""
    return current_statements([s for s in statements if covers(s.body, checksum, metadata)])


def trust_chain(ws: Workspace) -> TrustChain | None:
    """The workspace's trust chain, or None when the record has no trust version yet (T001).

    Raises:
        TrustError: the chain exists but does not hold (T002-T004).
    """
    from artigov.core import load_trust

    try:
        return load_trust(ws)
    except TrustError as e:
        if e.code == "T001":
            return None
        raise


class ApprovalChecker:
    """Checks statements against the trust document's approval keys with ONE throwaway keyring for
    all of them.

    Use it as a context manager (the keyring is made on first use and removed at the end).
    """

    def __init__(self, ws: Workspace, contract: Contract) -> None:
        self.ws = ws
        self.contract = contract
        self._keyring: VerifyingKeyring | None = None
        self._trust: TrustChain | None = None
        folder = approvals_dir(ws, contract.framework)
        #: ids with any statement (listed once: most documents of a large framework have none)
        self.ids = {p.name for p in folder.iterdir() if p.is_dir()} if folder.is_dir() else set()

    def statements(self, entry: Entry) -> list[Statement]:
        """Every statement about ``entry``'s id and version."""
        if entry["id"] not in self.ids:
            return []
        return statements_for(self.ws, self.contract.framework, entry["id"], entry["version"])

    def __enter__(self) -> ApprovalChecker:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._keyring is not None:
            self._keyring.__exit__()

    def valid_until(self) -> int | None:
        """When time alone could change what the checks so far found (a key or a signature they
        relied on expires), in epoch seconds; None when it cannot (no signature was checked, or
        nothing expires)."""
        return None if self._keyring is None else self._keyring.valid_until()

    def metadata_digest(self, path: str, entry: Entry) -> str | None:
        """The approval digest of the document's metadata as it is on disk (None: it does not load)."""
        from artigov.schema import ArtifactLoadError, load_frontmatter_artifact, load_sidecar_artifact

        try:
            if entry.get("meta"):
                artifact = load_sidecar_artifact(self.ws.root, path, str(entry["meta"]), described=("", 0))
            else:
                artifact = load_frontmatter_artifact(self.ws.root, path)
        except ArtifactLoadError:
            return None
        return artifact.approval_digest

    def body_only(self, entry: Entry) -> bool:
        """True if an approver's current approval is from before statements covered the metadata."""
        if entry["id"] not in self.ids:
            return False
        current = current_statements(self.statements(entry))
        return any(
            (st := current.get(who)) is not None
            and st.decision == "approve"
            and st.body is not None
            and not st.body.covers_metadata
            for who in entry.get("approved_by", [])
        )

    def trust(self) -> TrustChain:
        """The trust chain (loaded once).

        Raises:
            TrustError: there is none (T001), or it does not hold.
        """
        if self._trust is None:
            from artigov.core import load_trust

            self._trust = load_trust(self.ws)
        return self._trust

    def keyring(self) -> VerifyingKeyring:
        """One verifying keyring holding every approval key any trust version gives in this framework."""
        if self._keyring is None:
            framework = self.contract.framework
            keys = {k for v in self.trust().versions for k in v.document.owners(framework)}
            self._keyring = committed_keyring(
                self.ws.keys_dir,
                tuple(sorted(keys)),
                keys_label=self.ws.rel(self.ws.keys_dir),
                allow_list="the trust document's approval keys",
            )
        return self._keyring

    def signer_problem(self, st: Statement) -> tuple[str, str, str] | None:
        """(code, message, fix) if the statement is not signed by its approver's key, else None."""
        try:
            return self._signer_problem(st)
        except TrustError as e:
            return (e.code, f"{st.rel}: {e.problem}", e.fix or "")

    def _signer_problem(self, st: Statement) -> tuple[str, str, str] | None:
        who, framework = st.approver, self.contract.framework
        version = self.trust().version(st.body.trust_version if st.body else None, what=st.rel)
        wanted = version.keys_of(framework, who)
        missing = self._key_problem(who, version.version, wanted)
        if missing is not None:
            return missing
        if st.signature is None:
            return (
                "C010",
                f"{who}'s approval {st.rel} is not signed",
                f"approve it again with their key: artigov approve {_path_of(st)} --as {who}",
            )
        try:
            fpr = self.keyring().verify(st.data, st.signature)
        except VerificationError as e:
            return ("C012", f"{st.rel}: the signature does not verify ({e.code} {e.problem})", _reapprove(st))
        if fpr not in wanted:
            other = version.owners(framework).get(fpr, "someone else")
            return (
                "C012",
                f"{st.rel} names {who} but is signed by {other}'s key {fpr} (trust version {version.version})",
                _reapprove(st),
            )
        named = st.body.fingerprint if st.body else None
        if named not in (None, fpr):
            return ("C012", f"{st.rel} names key {named} but is signed by {fpr}", _reapprove(st))
        return None

    def _key_problem(self, who: str, version: int, wanted: Sequence[str]) -> tuple[str, str, str] | None:
        """C013 when trust version ``version`` gives ``who`` no key, or none of ``wanted`` is committed."""
        framework, rel_keys = self.contract.framework, self.ws.rel(self.ws.keys_dir)
        if not wanted:
            return (
                "C013",
                f"trust version {version} gives no key for {who}, so their approval cannot be checked",
                f"have the root keys accept their key: artigov trust propose --add-person {framework}:{who}:FPR",
            )
        if not any((self.ws.keys_dir / f"{fpr}.asc").is_file() for fpr in wanted):
            return (
                "C013",
                f"{who}'s key ({', '.join(wanted)}) is not in {rel_keys}/",
                f"commit their public key: gpg --armor --export {wanted[0]} > {rel_keys}/{wanted[0]}.asc",
            )
        return None

    def findings(self, path: str, entry: Entry, gate: str) -> Iterator[Finding]:
        """What is wrong with the approvals of the approved index ``entry`` of ``path``, for ``gate``."""
        if entry["id"] not in self.ids and not self.contract.require_signed_approvals:
            return  # no statement about it, and none required: nothing to check
        statements = self.statements(entry)
        current = current_statements(statements)
        if any(not covers(st.body, entry["checksum"], None) for st in current.values()):
            about = statements_about(statements, entry["checksum"], self.metadata_digest(path, entry))
            current = {**current, **about}
        for who in entry.get("approved_by", []):
            found = self._person_finding(path, entry, gate, who, current.get(who))
            if found is not None:
                yield found

    def _person_finding(self, path: str, entry: Entry, gate: str, who: str, st: Statement | None) -> Finding | None:
        """What is wrong with ``who``'s approval of ``entry`` (``st``: their current statement), or None."""
        signed = self.contract.require_signed_approvals
        if st is None:
            return (
                _f(
                    "C010",
                    path,
                    f"{who} is listed in approved_by but has no signed approval statement "
                    f"(gate {gate!r} requires signed approvals)",
                    f"have {who} run: artigov approve {path} --as {who}",
                )
                if signed
                else None
            )
        if st.decision == "reject":
            return _f(
                "C014",
                path,
                f"{who} is listed in approved_by but their latest statement ({st.rel}) rejects it",
                f"address the rejection ({_comment_of(st)}) and have {who} approve it",
            )
        said = st.body.checksum if st.body else None
        if st.decision != "approve" or said != entry["checksum"]:
            return _f(
                "C011",
                path,
                f"{who}'s approval ({st.rel}) is for other content: the document changed after it was "
                f"approved (approved {said}, now {entry['checksum']})",
                f"have {who} review the change and approve again: artigov approve {path} --as {who}",
            )
        if not covers(st.body, entry["checksum"], self.metadata_digest(path, entry)):
            return _f(
                "C011",
                path,
                f"{who}'s approval ({st.rel}) is for other metadata: a field (other than status, approved_by, "
                "updated_at and checksum) changed after it was approved",
                f"have {who} review the change and approve again: artigov approve {path} --as {who}",
            )
        problem = self.signer_problem(st) if signed else None
        return _f(problem[0], path, problem[1], problem[2]) if problem else None


def _comment_of(st: Statement) -> str:
    """The reason a statement gives ("no comment" when it gives none)."""
    return (st.body.comment if st.body else "") or "no comment"


def _path_of(st: Statement) -> str:
    """The document path a statement names ("PATH" when the file is not a statement)."""
    return st.body.path if st.body else "PATH"


def _reapprove(st: Statement) -> str:
    return f"approve it again with {st.approver}'s own key: artigov approve {_path_of(st)}"


def _f(code: str, path: str, message: str, fix: str) -> Finding:
    return Finding(code=code, file=path, message=message, fix=fix, pointer="/approved_by")


def valid_approvals(ws: Workspace, framework: str, entry: Entry, metadata: str | None = None) -> list[Statement]:
    """The current approving statements of ``entry``'s approvers that are for its current content
    (body checksum, and ``metadata``, its approval digest, where a statement covers it)."""
    about = statements_about(statements_for(ws, framework, entry["id"], entry["version"]), entry["checksum"], metadata)
    return [
        st
        for who in sorted(entry.get("approved_by", []))
        if (st := about.get(who)) is not None and st.decision == "approve"
    ]
