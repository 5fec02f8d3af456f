"""Writing the root of trust: ``trust init``, ``propose``, ``sign`` and ``status`` (DESIGN section 14).

A new version is first a *proposal* in ``trust/pending/NNNNNN/`` (committed, so the other root key
holders can pull it and sign); it is *accepted*, renamed to ``trust/NNNNNN/``, by the signature
that brings it to the threshold of the previous version's root keys and of its own. Nothing in
``pending/`` counts for anything. Each step is checked before anything is written: the document
is valid, every key it names has its public key committed in ``record/keys/``, and the version's
signatures are checked with the same code :func:`artigov.core.load_chain` uses.

Version 1 is made from the settings that were the root of trust before trust versions existed:
``signing.key`` (the root key, unless others are named), ``signing.trusted`` (who may sign any gate
of every framework) and each contract's ``people:`` (the approval keys).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artigov.core import (
    ANY_GATE,
    DEFAULT_LOCK_TIMEOUT,
    PENDING,
    TRUST_DIR,
    TRUST_DOC,
    ArtigovError,
    FileLock,
    FrameworkTrust,
    FsTree,
    TrustChain,
    TrustDocument,
    TrustError,
    Workspace,
    assess_version,
    check_framework_name,
    committed_keys,
    fsync_dir,
    get_logger,
    gpg_for,
    load_trust,
    publish_public_key,
    sign_detached,
    signature_name,
    trust_folder,
    write_atomic,
)

__all__ = [
    "TrustChanges",
    "TrustResult",
    "TrustStatus",
    "has_trust",
    "settings_document",
    "trust_init",
    "trust_propose",
    "trust_sign",
    "trust_status",
]

log = get_logger(__name__)
_FPR = re.compile(r"[0-9A-Fa-f]{40}")
_PERSON = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]*")


def _refused(message: str, fix: str) -> TrustError:
    return TrustError("T005", message, fix=fix)


@dataclass(frozen=True)
class TrustResult:
    """A version written or signed: where it stands (``accepted`` or ``pending``) and what it needs."""

    version: int
    digest: str
    state: str
    folder: str
    signed_by: tuple[str, ...]
    missing: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON values."""
        return {
            "version": self.version,
            "digest": self.digest,
            "state": self.state,
            "folder": self.folder,
            "signed_by": list(self.signed_by),
            "missing": list(self.missing),
            "notes": list(self.notes),
        }


def _fpr(value: str, what: str) -> str:
    if not _FPR.fullmatch(value):
        raise _refused(f"{what}: {value!r} is not a key fingerprint", "give the full 40-hex-digit fingerprint")
    return value.upper()


def _triple(value: str, what: str) -> tuple[str, str, str]:
    """``FRAMEWORK:NAME:FPR`` (NAME a gate, ``*``, or a person)."""
    head, sep, fpr = value.rpartition(":")
    framework, sep2, name = head.partition(":")
    if not sep or not sep2 or not framework or not name:
        raise _refused(f"{what} {value!r} is not FRAMEWORK:NAME:FINGERPRINT", f"e.g. {what} fwk-001:design:<40 hex>")
    check_framework_name(framework)
    return framework, name, _fpr(fpr, what)


@dataclass(frozen=True)
class TrustChanges:
    """What a proposal changes in the newest version (the command line's ``--add-*``/``--remove-*``)."""

    add_root: tuple[str, ...] = ()
    remove_root: tuple[str, ...] = ()
    threshold: int | None = None
    add_signer: tuple[str, ...] = ()
    remove_signer: tuple[str, ...] = ()
    add_person: tuple[str, ...] = ()
    remove_person: tuple[str, ...] = ()

    def empty(self) -> bool:
        """True when nothing would change."""
        return not any(
            (self.add_root, self.remove_root, self.add_signer, self.remove_signer, self.add_person, self.remove_person)
        ) and (self.threshold is None)

    def apply(self, doc: TrustDocument) -> TrustDocument:
        """The successor of ``doc`` with these changes (not yet checked as a whole)."""
        roots = {*doc.root_keys, *(_fpr(k, "--add-root") for k in self.add_root)}
        roots -= {_fpr(k, "--remove-root") for k in self.remove_root}
        frameworks = {
            name: ({g: set(k) for g, k in f.signers.items()}, {p: set(k) for p, k in f.people.items()})
            for name, f in doc.frameworks.items()
        }
        for flag, values, part, add in (
            ("--add-signer", self.add_signer, 0, True),
            ("--remove-signer", self.remove_signer, 0, False),
            ("--add-person", self.add_person, 1, True),
            ("--remove-person", self.remove_person, 1, False),
        ):
            for value in values:
                framework, name, fpr = _triple(value, flag)
                if part == 1 and not _PERSON.fullmatch(name):
                    raise _refused(f"{flag}: {name!r} cannot name a person", "use their e-mail address")
                group = frameworks.setdefault(framework, ({}, {}))[part]
                if add:
                    group.setdefault(name, set()).add(fpr)
                elif fpr not in group.get(name, set()):
                    raise _refused(
                        f"{flag} {value}: version {doc.version} does not list {fpr} there",
                        "`artigov trust show` lists what the newest version holds",
                    )
                else:
                    group[name].discard(fpr)
        kept = {
            name: FrameworkTrust(
                signers={g: tuple(sorted(k)) for g, k in sorted(s.items()) if k},
                people={p: tuple(sorted(k)) for p, k in sorted(pp.items()) if k},
            )
            for name, (s, pp) in sorted(frameworks.items())
            if any(s.values()) or any(pp.values())
        }
        threshold = self.threshold if self.threshold is not None else min(doc.threshold, max(len(roots), 1))
        return doc.successor(root_keys=tuple(sorted(roots)), threshold=threshold, frameworks=kept)


def _frameworks(ws: Workspace) -> list[str]:
    from artigov.contract import contract_frameworks
    from artigov.promote._decisions import record_frameworks

    return sorted({*contract_frameworks(ws), *record_frameworks(ws.record_dir)})


def _contract_people(ws: Workspace, framework: str) -> dict[str, tuple[str, ...]]:
    """The approval keys a contract's (retired) ``people:`` gave, read raw (the contract need not load)."""
    from artigov.contract import contract_path
    from artigov.core import load_yaml

    try:
        value = load_yaml(contract_path(ws, framework).read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ArtigovError):
        return {}
    people = value.get("people") if isinstance(value, dict) else None
    if not isinstance(people, dict):
        return {}
    out = {}
    for person, keys in people.items():
        if isinstance(person, str) and _PERSON.fullmatch(person) and isinstance(keys, list):
            fprs = tuple(sorted({str(k).upper() for k in keys if isinstance(k, str) and _FPR.fullmatch(k)}))
            if fprs:
                out[person] = fprs
    return out


def settings_document(
    ws: Workspace, root_keys: Sequence[str] = (), threshold: int = 1, frameworks: Iterable[str] = ()
) -> TrustDocument:
    """Version 1 from the settings that were trusted before: root keys ``root_keys`` (default
    ``signing.key``); ``signing.trusted`` (default: the root keys) may sign any gate of every
    framework (the contracts', the record's and ``frameworks``); each contract's ``people:`` keys."""
    roots = tuple(sorted({_fpr(k, "--root-key") for k in root_keys} or ({ws.signing.key} if ws.signing.key else set())))
    if not roots:
        raise _refused(
            "no root key: trust version 1 needs at least one",
            "pass --key FPR (your signing key), or set signing.key in artigov.yaml",
        )
    signers = tuple(sorted(ws.signing.trusted or roots))
    names = sorted({*_frameworks(ws), *frameworks})
    return TrustDocument(
        version=1,
        root_keys=roots,
        threshold=threshold,
        frameworks={
            name: FrameworkTrust(signers={ANY_GATE: signers}, people=_contract_people(ws, name)) for name in names
        },
    )


def _trust_root(ws: Workspace) -> Path:
    return ws.record_dir / TRUST_DIR


def _lock(ws: Workspace) -> FileLock:
    return FileLock(ws.state_dir / "locks" / "trust.lock", DEFAULT_LOCK_TIMEOUT)


def _publish_keys(ws: Workspace, doc: TrustDocument) -> list[str]:
    """Commit the public key of every fingerprint ``doc`` names; the root keys must all be there."""
    notes = []
    for fpr in sorted(doc.all_keys()):
        if publish_public_key(ws, fpr) is None:
            if fpr in doc.root_keys:
                raise _refused(
                    f"the public key of root key {fpr} is neither in {ws.rel(ws.keys_dir)}/ nor in gpg",
                    f"import it (gpg --import) or commit it as {ws.rel(ws.keys_dir)}/{fpr}.asc, then run again",
                )
            notes.append(f"no public key for {fpr}: commit {ws.rel(ws.keys_dir)}/{fpr}.asc before it signs")
    return notes


def _secret_keys(ws: Workspace) -> set[str]:
    return {str(k["fingerprint"]).upper() for k in gpg_for(ws.signing.gnupghome).list_keys(secret=True)}


def _signers(ws: Workspace, keys: Sequence[str], candidates: set[str]) -> list[str]:
    """The keys to sign with: ``keys`` (each must be a candidate), else every candidate gpg holds."""
    if keys:
        chosen = [_fpr(k, "--key") for k in keys]
        for k in chosen:
            if k not in candidates:
                raise _refused(
                    f"{k} is not a root key of this version or the previous one: its signature would not count",
                    f"sign with a root key ({', '.join(sorted(candidates))})",
                )
        return chosen
    return sorted(candidates & _secret_keys(ws))


def _sign_into(ws: Workspace, folder: Path, data: bytes, keys: Sequence[str]) -> list[str]:
    """Write each key's signature of ``data`` into ``folder`` (a signature already there is kept)."""
    signed = []
    for fpr in keys:
        path = folder / signature_name(fpr)
        if path.exists():
            continue
        write_atomic(path, sign_detached(data, fpr, ws.signing.gnupghome), lock=False, mode=0o444)
        signed.append(fpr)
    return signed


def _signatures(folder: Path) -> dict[str, bytes]:
    out = {}
    for path in sorted(folder.glob("*.asc")) if folder.is_dir() else []:
        if path.is_file() and not path.is_symlink() and _FPR.fullmatch(path.stem):
            out[path.stem] = path.read_bytes()
    return out


def _settle(ws: Workspace, previous: TrustDocument | None, doc: TrustDocument, folder: Path) -> TrustResult:
    """Accept the pending version in ``folder`` if its signatures now suffice (rename it into place)."""
    data = doc.to_bytes()
    keys = committed_keys(FsTree(ws.root), ws.rel(ws.record_dir))
    found = assess_version(previous, doc, data, _signatures(folder), keys)
    if not found.ok:
        return TrustResult(doc.version, doc.digest, "pending", ws.rel(folder), found.good, found.missing)
    final = _trust_root(ws) / trust_folder(doc.version)
    if final.exists():
        raise _refused(
            f"{ws.rel(final)} already exists: version {doc.version} was accepted elsewhere",
            "pull, then propose the change again on top of the newest version",
        )
    folder.replace(final)
    fsync_dir(final.parent)
    log.info(
        "trust_accepted",
        audit=True,
        subject=f"{TRUST_DIR}/{trust_folder(doc.version)}",
        outcome="accepted",
        version=doc.version,
        digest=doc.digest,
        signed_by=list(found.good),
        root_keys=list(doc.root_keys),
        threshold=doc.threshold,
    )
    return TrustResult(doc.version, doc.digest, "accepted", ws.rel(final), found.good)


def has_trust(ws: Workspace) -> bool:
    """True when the record holds at least one (accepted) trust version folder."""
    return any(p.is_dir() and p.name.isdigit() for p in _trust_root(ws).glob("*"))


def _newest(ws: Workspace) -> TrustChain | None:
    """The chain, or None when the record has no trust version at all."""
    return load_trust(ws) if has_trust(ws) else None


def _write_proposal(
    ws: Workspace, previous: TrustDocument | None, doc: TrustDocument, keys: Sequence[str]
) -> TrustResult:
    """Write ``doc`` as a pending proposal, sign it with ``keys`` (or every root key gpg holds), and
    accept it if that is enough."""
    data = TrustDocument.from_bytes(doc.to_bytes(), where="the proposal").to_bytes()  # the checks of every reader
    folder = _trust_root(ws) / PENDING / trust_folder(doc.version)
    if folder.exists():
        raise _refused(
            f"{ws.rel(folder)} already holds a proposal for version {doc.version}",
            f"sign it (artigov trust sign), or remove it (git rm -r {ws.rel(folder)}) and propose again",
        )
    from artigov.promote._store import ensure_record_files

    ensure_record_files(ws.record_dir)
    notes = _publish_keys(ws, doc)
    candidates = set(doc.root_keys) | (set(previous.root_keys) if previous else set())
    signers = _signers(ws, keys, candidates)
    tmp = folder.with_name(f".{folder.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    write_atomic(tmp / TRUST_DOC, data, lock=False, mode=0o444)
    _sign_into(ws, tmp, data, signers)
    tmp.replace(folder)
    log.info(
        "trust_proposed",
        audit=True,
        subject=f"{TRUST_DIR}/{trust_folder(doc.version)}",
        outcome="proposed",
        version=doc.version,
        digest=doc.digest,
        signed_by=signers,
    )
    result = _settle(ws, previous, doc, folder)
    return TrustResult(**{**result.__dict__, "notes": tuple(notes)})


def trust_init(
    ws: Workspace,
    *,
    root_keys: Sequence[str] = (),
    threshold: int = 1,
    keys: Sequence[str] = (),
    frameworks: Iterable[str] = (),
) -> TrustResult:
    """Make version 1 from today's settings (:func:`settings_document`) and sign it with ``keys``
    (default: the root keys gpg holds); accepted at once when they reach the threshold.

    Raises:
        TrustError: T005, the record already has a trust version, or no root key.
    """
    with _lock(ws):
        if _newest(ws) is not None:
            raise _refused(
                f"{ws.rel(_trust_root(ws))}/ already holds trust versions",
                "change trust with a new version: artigov trust propose",
            )
        doc = settings_document(ws, root_keys, threshold, frameworks)
        return _write_proposal(ws, None, doc, keys)


def trust_propose(
    ws: Workspace, changes: TrustChanges | None = None, *, document: bytes | None = None, keys: Sequence[str] = ()
) -> TrustResult:
    """Propose version N+1: the newest version with ``changes``, or ``document`` (a trust document's
    JSON whose ``version`` and ``previous`` are filled in), signed with ``keys`` if given.

    Raises:
        TrustError: T001-T004 the chain does not hold; T005 nothing changes, a bad change, or a
            proposal for that version is pending already.
    """
    with _lock(ws):
        chain = load_trust(ws)
        newest = chain.newest
        if document is not None:
            doc = _document_from(document, newest)
        elif changes is None or changes.empty():
            raise _refused("the proposal changes nothing", "say what changes: --add-signer, --add-person, --add-root …")
        else:
            doc = changes.apply(newest)
        if doc.to_dict() | {"version": 0, "previous": None} == newest.to_dict() | {"version": 0, "previous": None}:
            raise _refused(f"the proposal is the same as version {newest.version}", "say what changes")
        return _write_proposal(ws, newest, doc, keys)


def _document_from(data: bytes, newest: TrustDocument) -> TrustDocument:
    try:
        value = json.loads(data)
    except (ValueError, RecursionError) as e:
        raise _refused(f"the proposed document is not JSON ({type(e).__name__})", "give a trust document") from None
    if not isinstance(value, dict):
        raise _refused("the proposed document is not a JSON object", "give a trust document")
    value = {**newest.to_dict(), **value, "version": newest.version + 1, "previous": newest.digest}
    from artigov.core import canonical_json

    return TrustDocument.from_bytes(canonical_json(value), where="the proposed document")


def _proposal(ws: Workspace, chain: TrustChain | None, number: int, folder: Path) -> tuple[bytes, TrustDocument]:
    """The pending proposal for trust version ``number`` in ``folder`` (its bytes and document): it
    must be there, be the next version, and name the newest version as its previous one.

    Raises:
        TrustError: it is missing, stale, or not on top of the newest version.
    """
    previous = chain.newest if chain else None
    if not (folder / TRUST_DOC).is_file():
        raise _refused(
            f"no proposal for trust version {number} in {ws.rel(folder)}/",
            "pull the branch that holds it, or make one: artigov trust propose",
        )
    if previous is not None and number != previous.version + 1:
        raise _refused(
            f"the proposal is for version {number}, but the next version is {previous.version + 1}",
            f"it is stale: remove it (git rm -r {ws.rel(folder)}) and propose again",
        )
    data = (folder / TRUST_DOC).read_bytes()
    doc = TrustDocument.from_bytes(data, where=ws.rel(folder / TRUST_DOC))
    if doc.previous != (chain.versions[-1].digest if chain else None):
        raise _refused(
            f"{ws.rel(folder / TRUST_DOC)} does not name version {number - 1} as its previous version",
            "propose the change again on top of the newest version",
        )
    return data, doc


def trust_sign(ws: Workspace, *, keys: Sequence[str] = (), version: int | None = None) -> TrustResult:
    """Sign the pending proposal (the one after the newest version, or ``version``) with ``keys``
    (default: every root key gpg holds that has not signed); accept it when that is enough.

    Raises:
        TrustError: no such proposal, or a key whose signature would not count.
    """
    with _lock(ws):
        chain = _newest(ws)
        previous = chain.newest if chain else None
        number = version or (previous.version + 1 if previous else 1)
        folder = _trust_root(ws) / PENDING / trust_folder(number)
        data, doc = _proposal(ws, chain, number, folder)
        candidates = set(doc.root_keys) | (set(previous.root_keys) if previous else set())
        signers = _signers(ws, keys, candidates)
        signed = _sign_into(ws, folder, data, signers)
        if not signed and not keys:
            have = ", ".join(sorted(candidates & _secret_keys(ws))) or "none"
            notes: tuple[str, ...] = (f"nothing new to sign: root keys gpg holds here: {have}",)
        else:
            notes = ()
        for fpr in signed:
            log.info(
                "trust_signed",
                audit=True,
                subject=f"{TRUST_DIR}/{trust_folder(number)}",
                outcome="signed",
                version=number,
                key=fpr,
            )
        result = _settle(ws, previous, doc, folder)
        return TrustResult(**{**result.__dict__, "notes": notes})


@dataclass(frozen=True)
class TrustStatus:
    """The chain as it stands: valid versions, proposals and what they lack, how version 1 is trusted."""

    ok: bool
    versions: list[dict[str, Any]] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)
    pinned: bool = False
    first_digest: str | None = None
    note: str = ""
    problem: dict[str, Any] | None = None
    retired_settings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON values."""
        return dict(self.__dict__)


def _pending(ws: Workspace, chain: TrustChain) -> list[dict[str, Any]]:
    """Each pending proposal: unreadable, stale (not the newest version's successor), or pending
    with the root keys that signed it and those still missing."""
    pending = []
    keys = committed_keys(FsTree(ws.root), ws.rel(ws.record_dir))
    for folder in sorted((_trust_root(ws) / PENDING).glob("[0-9]" * 6)):
        entry: dict[str, Any] = {"version": int(folder.name), "folder": ws.rel(folder)}
        try:
            doc = TrustDocument.from_bytes((folder / TRUST_DOC).read_bytes(), where=ws.rel(folder / TRUST_DOC))
        except (OSError, TrustError) as e:
            pending.append({**entry, "state": "unreadable", "problem": str(e)})
            continue
        if doc.version != chain.newest.version + 1 or doc.previous != chain.versions[-1].digest:
            pending.append(
                {**entry, "state": "stale", "problem": f"not the successor of version {chain.newest.version}"}
            )
            continue
        found = assess_version(chain.newest, doc, doc.to_bytes(), _signatures(folder), keys)
        pending.append({**entry, "state": "pending", "signed_by": list(found.good), "missing": list(found.missing)})
    return pending


def trust_status(ws: Workspace, *, pin: str | None = None) -> TrustStatus:
    """Where the trust chain stands (nothing written)."""
    from artigov.core import load_chain

    retired = _retired_settings(ws)
    try:
        chain = load_chain(FsTree(ws.root), ws.rel(ws.record_dir), pin=pin) if pin else load_trust(ws)
    except TrustError as e:
        problem = {"code": e.code, "message": e.problem, "fix": e.fix}
        return TrustStatus(ok=False, problem=problem, retired_settings=retired)
    versions = [
        {
            "version": v.document.version,
            "digest": v.digest,
            "signed_by": list(v.signed_by),
            "root_keys": list(v.document.root_keys),
            "threshold": v.document.threshold,
        }
        for v in chain.versions
    ]
    pending = _pending(ws, chain)
    return TrustStatus(
        ok=True,
        versions=versions,
        pending=pending,
        pinned=chain.pinned,
        first_digest=chain.first_digest,
        note=chain.tofu_note(),
        retired_settings=retired,
    )


def _retired_settings(ws: Workspace) -> list[str]:
    """Settings that once were the root of trust and now count for nothing (said, so nobody relies on them)."""
    out = []
    if ws.signing.trusted:
        out.append(f"{ws.rel(ws.config_path)}: signing.trusted (trust comes from {ws.rel(_trust_root(ws))}/)")
    for name in _frameworks(ws):
        if _contract_people(ws, name):
            from artigov.contract import contract_path

            out.append(f"{ws.rel(contract_path(ws, name))}: people: (approval keys come from the trust document)")
    return out
