"""The root of trust: numbered, signed versions of one trust document (DESIGN section 14).

::

    governance/trust/000001/trust.json       version 1: canonical JSON (docs/formats.md)
    governance/trust/000001/<FPR>.asc        a detached armored signature of trust.json by FPR
    governance/trust/000002/...              version 2, and so on
    governance/trust/pending/000003/...      a proposal still gathering signatures (counts for nothing)

The document names the root keys and their threshold; per framework, which keys may sign a
promotion of which gate (``"*"``: any gate), and each person's approval keys. Version N+1 counts
only when signed by at least ``threshold`` of version N's root keys AND ``threshold`` of its own,
and names version N's digest (``previous``). Version 1 is signed by its own root keys and trusted on
first use unless pinned (``--trust-pin`` or ``ARTIGOV_TRUST_PIN``: a digest kept OUTSIDE the
repository, since anything inside can be edited by a pull request), as TUF clients pin root.

Like a TUF client's root update, the chain is walked in order from version 1 and the first
version that does not validate stops everything: a trust document edited without the root
signatures fails, naming the version and the signatures it lacks.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from artigov.core._canonical import canonical_json, digest_bytes
from artigov.core._tree import FsTree, Tree
from artigov.core.errors import VerificationError

__all__ = [
    "ANY_GATE",
    "PENDING",
    "Assessment",
    "assess_version",
    "PIN_ENV",
    "TRUST_DIR",
    "TRUST_DOC",
    "TRUST_FORMAT",
    "FrameworkTrust",
    "TrustChain",
    "TrustDocument",
    "TrustError",
    "TrustVersion",
    "load_chain",
    "load_trust",
    "signature_name",
    "trust_folder",
    "committed_key_files",
    "committed_keys",
    "keys_for",
    "check_pin",
    "pin_from_env",
]

TRUST_FORMAT = 1
TRUST_TYPE = "artigov-trust"
#: The folder of the trust versions inside the record, and a version's document name.
TRUST_DIR = "trust"
TRUST_DOC = "trust.json"
PENDING = "pending"
#: In ``signers``: keys that may sign a promotion of any gate of the framework.
ANY_GATE = "*"
#: The environment variable holding the pinned digest of version 1 (a CI secret or variable).
PIN_ENV = "ARTIGOV_TRUST_PIN"
_FPR = re.compile(r"[0-9A-F]{40}")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_FOLDER = re.compile(r"[0-9]{6}")
_SIG = re.compile(r"(?P<fpr>[0-9A-F]{40})\.asc")


class TrustError(VerificationError):
    """The trust chain does not hold (no document, a bad version, missing signatures, a wrong pin)."""


def trust_folder(version: int) -> str:
    """``000001``: a trust version's folder name."""
    from artigov.core._layout import sequence_name

    return sequence_name(version)


def signature_name(fpr: str) -> str:
    """``<FPR>.asc``: the file of ``fpr``'s signature of a trust version."""
    return f"{fpr}.asc"


@dataclass(frozen=True)
class FrameworkTrust:
    """One framework's keys: who may sign a promotion of which gate, and each person's keys."""

    signers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    people: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON values, keys and fingerprints sorted."""
        return {
            "people": {p: sorted(set(k)) for p, k in sorted(self.people.items())},
            "signers": {g: sorted(set(k)) for g, k in sorted(self.signers.items())},
        }


@dataclass(frozen=True)
class TrustDocument:
    """One version of the trust document (its bytes: :meth:`to_bytes`; docs/formats.md)."""

    version: int
    root_keys: tuple[str, ...]
    threshold: int
    frameworks: Mapping[str, FrameworkTrust]
    previous: str | None = None
    format_version: int = TRUST_FORMAT

    def to_dict(self) -> dict[str, Any]:
        """The document as JSON values."""
        return {
            "format_version": self.format_version,
            "frameworks": {name: f.to_dict() for name, f in sorted(self.frameworks.items())},
            "previous": self.previous,
            "root": {"keys": sorted(set(self.root_keys)), "threshold": self.threshold},
            "type": TRUST_TYPE,
            "version": self.version,
        }

    def to_bytes(self) -> bytes:
        """The signed bytes: canonical JSON."""
        return canonical_json(self.to_dict())

    @property
    def digest(self) -> str:
        """``sha256:`` of :meth:`to_bytes`."""
        return digest_bytes(self.to_bytes())

    @classmethod
    def from_bytes(cls, data: bytes, *, where: str = "trust.json") -> TrustDocument:
        """Parse and check a trust document; its bytes must be exactly its canonical JSON.

        Raises:
            TrustError: T002 naming the field and what is wrong.
        """
        try:
            value = json.loads(data)
        except (ValueError, RecursionError) as e:
            raise _invalid(where, f"not JSON ({type(e).__name__})") from None
        doc = _document(value, where)
        if doc.to_bytes() != data:
            if doc.to_bytes() == data.replace(b"\r\n", b"\n"):
                from artigov.core._lineendings import CRLF_FIX, CRLF_HINT

                raise TrustError("T002", f"{where}: {CRLF_HINT}, not edited", fix=CRLF_FIX)
            raise _invalid(where, "not in canonical form (sorted keys, compact, one trailing newline)")
        return doc

    def signers_for(self, framework: str, gate: str) -> tuple[str, ...]:
        """The keys that may sign a promotion of ``gate`` of ``framework`` (its gate's and ``*``)."""
        f = self.frameworks.get(framework)
        if f is None:
            return ()
        return tuple(sorted({*f.signers.get(gate, ()), *f.signers.get(ANY_GATE, ())}))

    def keys_of(self, framework: str, person: str) -> tuple[str, ...]:
        """``person``'s approval keys in ``framework`` (empty if none)."""
        f = self.frameworks.get(framework)
        return tuple(f.people.get(person, ())) if f else ()

    def owners(self, framework: str) -> dict[str, str]:
        """Approval key -> person, in ``framework``."""
        f = self.frameworks.get(framework)
        return {k: p for p, keys in sorted(f.people.items()) for k in keys} if f else {}

    def all_keys(self) -> set[str]:
        """Every fingerprint the document names."""
        keys = set(self.root_keys)
        for f in self.frameworks.values():
            keys.update(k for ks in f.signers.values() for k in ks)
            keys.update(k for ks in f.people.values() for k in ks)
        return keys

    def successor(self, **changes: Any) -> TrustDocument:
        """Version N+1 naming this version as ``previous``, with ``changes`` applied."""
        return replace(self, version=self.version + 1, previous=self.digest, **changes)


def _invalid(where: str, problem: str) -> TrustError:
    return TrustError(
        "T002",
        f"{where}: {problem}",
        fix="restore the trust document from git; a new version is made with `artigov trust propose`",
    )


def _fprs(value: Any, where: str, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and _FPR.fullmatch(v) for v in value):
        raise _invalid(where, f"`{name}` must be a list of 40-hex-digit upper-case fingerprints")
    return tuple(value)


def _framework_entry(name: str, entry: Any, where: str) -> FrameworkTrust:
    """One framework's ``signers`` and ``people``; a key given to two people is refused."""
    if not isinstance(entry, dict) or set(entry) != {"people", "signers"}:
        raise _invalid(where, f"`frameworks.{name}` must hold exactly `people` and `signers`")
    groups: list[dict[str, tuple[str, ...]]] = []
    for part in ("signers", "people"):
        if not isinstance(entry[part], dict):
            raise _invalid(where, f"`frameworks.{name}.{part}` must be an object")
        groups.append({k: _fprs(v, where, f"frameworks.{name}.{part}.{k}") for k, v in entry[part].items()})
    owners: dict[str, str] = {}
    for person, keys in groups[1].items():
        for key in keys:
            if owners.setdefault(key, person) != person:
                raise _invalid(where, f"`frameworks.{name}.people` gives key {key} to {owners[key]} and {person}")
    return FrameworkTrust(signers=groups[0], people=groups[1])


def _document(value: Any, where: str) -> TrustDocument:
    expected = {"format_version", "frameworks", "previous", "root", "type", "version"}
    if not isinstance(value, dict):
        raise _invalid(where, "not a JSON object")
    if set(value) != expected:
        raise _invalid(where, f"fields must be exactly {sorted(expected)} (has {sorted(value)})")
    if value["type"] != TRUST_TYPE or value["format_version"] != TRUST_FORMAT:
        raise _invalid(where, f"not an {TRUST_TYPE} document of format {TRUST_FORMAT}")
    version = value["version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _invalid(where, "`version` must be an integer from 1")
    previous = value["previous"]
    if not (previous is None or (isinstance(previous, str) and _DIGEST.fullmatch(previous))):
        raise _invalid(where, "`previous` must be null or sha256:<64 hex>")
    root = value["root"]
    if not isinstance(root, dict) or set(root) != {"keys", "threshold"}:
        raise _invalid(where, "`root` must hold exactly `keys` and `threshold`")
    keys = _fprs(root["keys"], where, "root.keys")
    threshold = root["threshold"]
    if not isinstance(threshold, int) or isinstance(threshold, bool) or not 1 <= threshold <= len(keys):
        raise _invalid(where, f"`root.threshold` must be an integer from 1 to the number of root keys ({len(keys)})")
    frameworks = value["frameworks"]
    if not isinstance(frameworks, dict):
        raise _invalid(where, "`frameworks` must be an object")
    parsed = {name: _framework_entry(name, entry, where) for name, entry in frameworks.items()}
    return TrustDocument(version, keys, threshold, parsed, previous)


@dataclass(frozen=True)
class TrustVersion:
    """A version that validated: its document, its digest, and the keys that signed it."""

    document: TrustDocument
    digest: str
    signed_by: tuple[str, ...]


@dataclass(frozen=True)
class TrustChain:
    """Every valid version from 1 to the newest, in order, and how version 1 was trusted."""

    versions: tuple[TrustVersion, ...]
    #: True when version 1 matched a pin given from outside the repository.
    pinned: bool

    @property
    def newest(self) -> TrustDocument:
        """The version in force now: keys for new signatures come only from it."""
        return self.versions[-1].document

    @property
    def first_digest(self) -> str:
        """The digest of version 1 (what a pin names)."""
        return self.versions[0].digest

    def version(self, number: int | None, *, what: str = "a signature") -> TrustDocument:
        """The version ``number`` a manifest or statement names (None, from before trust versions
        were named: version 1, which ``migrate-record`` made from the settings of that time).

        Raises:
            TrustError: T006, no such valid version.
        """
        n = 1 if number is None else number
        if not 1 <= n <= len(self.versions):
            raise TrustError(
                "T006",
                f"{what} names trust version {n}, but the valid versions are 1 to {len(self.versions)}",
                fix="restore the trust versions from git; a signature is checked against the version it names",
            )
        return self.versions[n - 1].document

    def tofu_note(self) -> str:
        """One line saying how version 1 was trusted."""
        if self.pinned:
            return f"trust: version 1 ({self.first_digest}) matches the pin; newest version {self.newest.version}"
        return (
            f"trust: version 1 ({self.first_digest}) trusted on first use, newest version {self.newest.version}; "
            f"pin it: --trust-pin {self.first_digest} (or {PIN_ENV})"
        )


def _needs(doc: TrustDocument, good: set[str], which: str) -> str | None:
    have = sorted(good & set(doc.root_keys))
    if len(have) >= doc.threshold:
        return None
    missing = sorted(set(doc.root_keys) - good)
    return (
        f"needs {doc.threshold} signature(s) by {which} root keys (version {doc.version}: "
        f"{', '.join(doc.root_keys)}), has {len(have)}; missing: {', '.join(missing)}"
    )


def _read_versions(tree: Tree, base: str) -> dict[int, dict[str, bytes]]:
    """Version number -> {file name: bytes} of every accepted version folder."""
    out: dict[int, dict[str, bytes]] = {}
    prefix = f"{base}/{TRUST_DIR}/"
    for rel in tree.files(f"{base}/{TRUST_DIR}"):
        parts = rel[len(prefix) :].split("/")
        if len(parts) != 2 or not _FOLDER.fullmatch(parts[0]):
            continue
        data = tree.read(rel)
        if data is not None:
            out.setdefault(int(parts[0]), {})[parts[1]] = data
    return out


def committed_key_files(tree: Tree, base: str) -> dict[str, bytes]:
    """Each armored public key file committed in ``<record>/keys/`` of ``tree``, by its file name."""
    found = {rel: tree.read(rel) for rel in tree.files(f"{base}/keys") if rel.endswith(".asc") and rel.count("/") == 2}
    return {rel.rsplit("/", 1)[1]: blob for rel, blob in found.items() if blob}


def keys_for(files: Mapping[str, bytes], only: Iterable[str]) -> bytes:
    """The keys of ``files`` (key file name -> armored bytes) a keyring for ``only`` needs: the files
    named by those fingerprints (``<FPR>.asc``) when every one of them has its file, else every file
    (a key committed under another name counts). Fewer keys imported is fewer to delete: the
    keyring still keeps only its allow-list, whatever a file holds."""
    wanted = sorted({f.upper() for f in only})
    named = [files.get(f"{fpr}.asc") for fpr in wanted]
    chosen = named if wanted and all(named) else list(files.values())
    return b"\n".join(blob for blob in chosen if blob)


def committed_keys(tree: Tree, base: str) -> bytes:
    """The armored public keys committed in ``<record>/keys/`` of ``tree``."""
    return b"\n".join(committed_key_files(tree, base).values())


_CHAINS: dict[str, TrustChain] = {}


def load_chain(tree: Tree, base: str, *, pin: str | None = None) -> TrustChain:
    """Walk the trust versions of the record at ``base`` in ``tree`` from version 1, in order.

    Raises:
        TrustError: T001 no version, T002 a malformed version or a gap, T003 a version without
            the signatures it needs, T004 version 1 does not match ``pin``.
    """
    folders = _read_versions(tree, base)
    where = f"{base}/{TRUST_DIR}"
    if not folders:
        raise TrustError(
            "T001",
            f"{where}/ holds no trust version: nothing says whose signatures count",
            fix="create version 1: `artigov trust init --key FPR` (a new record) or `artigov migrate-record` "
            "(from artigov.yaml's signing.trusted and the contracts' people:)",
        )
    key_files = committed_key_files(tree, base)
    keys = b"\n".join(key_files.values())
    cache_key = hashlib.sha256(
        repr((base, pin, sorted((n, sorted(f.items())) for n, f in folders.items()))).encode() + keys
    ).hexdigest()
    if cache_key in _CHAINS:
        return _CHAINS[cache_key]
    docs: list[tuple[TrustDocument, bytes, dict[str, bytes]]] = []
    for n in range(1, max(folders) + 1):
        files = folders.get(n)
        rel = f"{where}/{trust_folder(n)}/{TRUST_DOC}"
        if files is None or TRUST_DOC not in files:
            raise _invalid(rel, f"is missing, but version {max(folders)} exists (versions must be 1, 2, 3, ...)")
        doc = TrustDocument.from_bytes(files[TRUST_DOC], where=rel)
        if doc.version != n:
            raise _invalid(rel, f"says version {doc.version} but sits in folder {trust_folder(n)}")
        previous = digest_bytes(docs[-1][1]) if docs else None
        if doc.previous != previous:
            raise _invalid(rel, f"`previous` is {doc.previous}, version {n - 1}'s digest is {previous}")
        sigs = {m["fpr"]: b for name, b in files.items() if (m := _SIG.fullmatch(name))}
        docs.append((doc, files[TRUST_DOC], sigs))
    if pin is not None and digest_bytes(docs[0][1]) != pin:
        raise TrustError(
            "T004",
            f"{where}/000001/{TRUST_DOC} is {digest_bytes(docs[0][1])}, the pin says {pin}",
            fix="version 1 was replaced: restore it from git; a pin changes only outside the repository",
        )
    all_roots = {k for doc, _, _ in docs for k in doc.root_keys}
    checker = _Checker(keys_for(key_files, all_roots), all_roots)
    try:
        versions = [_validated(docs, i, checker, where) for i in range(len(docs))]
    finally:
        checker.close()
    chain = TrustChain(tuple(versions), pinned=pin is not None)
    if len(_CHAINS) > 16:
        _CHAINS.clear()
    _CHAINS[cache_key] = chain
    return chain


@dataclass(frozen=True)
class Assessment:
    """The signatures of one version: each file's result, the keys that count, and what is missing."""

    results: dict[str, str]
    good: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Signed by the threshold of the previous version's root keys and of its own."""
        return not self.missing


def _assess(
    previous: TrustDocument | None, doc: TrustDocument, data: bytes, sigs: Mapping[str, bytes], checker: _Checker
) -> Assessment:
    candidates = set(doc.root_keys) | (set(previous.root_keys) if previous else set())
    results = checker.check(data, sigs, candidates)
    good = {fpr for fpr, r in results.items() if r == "ok"}
    needs = [_needs(previous, good, "the previous version's") if previous else None, _needs(doc, good, "its own")]
    return Assessment(results, tuple(sorted(good)), tuple(p for p in needs if p))


def assess_version(
    previous: TrustDocument | None, doc: TrustDocument, data: bytes, sigs: Mapping[str, bytes], keys: bytes
) -> Assessment:
    """How far the signatures ``sigs`` (fingerprint -> armored signature) of version ``doc``'s bytes
    ``data`` go towards making it valid after ``previous`` (None: ``doc`` is version 1)."""
    checker = _Checker(keys, set(doc.root_keys) | (set(previous.root_keys) if previous else set()))
    try:
        return _assess(previous, doc, data, sigs, checker)
    finally:
        checker.close()


def _validated(
    docs: list[tuple[TrustDocument, bytes, dict[str, bytes]]], i: int, checker: _Checker, where: str
) -> TrustVersion:
    """Version ``i + 1``, if signed by the threshold of the previous version's root keys and of its own."""
    doc, data, sigs = docs[i]
    found = _assess(docs[i - 1][0] if i else None, doc, data, sigs, checker)
    unknown = sorted(f for f, r in found.results.items() if r.startswith("V018"))
    if not found.ok and unknown:
        raise TrustError(
            "V018",
            f"trust version {doc.version}: the public key of root key {unknown[0]} is not found, "
            "so its signature cannot be checked",
            fix=f"add {where.rsplit('/', 1)[0]}/keys/{unknown[0]}.asc (gpg --armor --export {unknown[0]}) "
            "and commit it",
        )
    if not found.ok:
        bad = "; ".join(f"{f}: {r}" for f, r in sorted(found.results.items()) if r != "ok")
        raise TrustError(
            "T003",
            f"trust version {doc.version} ({where}/{trust_folder(doc.version)}/) is not signed as it must be: "
            + "; ".join(found.missing)
            + (f" (signatures that do not count: {bad})" if bad else ""),
            fix="a new trust version must be proposed and signed by the root keys: "
            "`artigov trust propose`, then `artigov trust sign` by each root key holder",
        )
    return TrustVersion(doc, digest_bytes(data), found.good)


class _Checker:
    """One verifying keyring for every version of a chain (made on first use)."""

    def __init__(self, keys: bytes, candidates: set[str]) -> None:
        self.keys = keys
        self.candidates = candidates
        self._keyring: Any = None

    def check(self, data: bytes, sigs: Mapping[str, bytes], candidates: set[str]) -> dict[str, str]:
        from artigov.core._gpg import VerifyingKeyring

        out: dict[str, str] = {}
        for name, signature in sorted(sigs.items()):
            if name not in candidates:
                out[name] = "not a root key of this version or the previous one"
                continue
            if self._keyring is None:
                self._keyring = VerifyingKeyring.shared_by(
                    self.keys, tuple(sorted(self.candidates)), allow_list="the trust document's root keys"
                )
            try:
                signer = self._keyring.verify(data, signature)
            except VerificationError as e:
                out[name] = f"{e.code} {e.problem}"
                continue
            out[name] = "ok" if signer == name else f"the file is named {name} but signed by {signer}"
        return out

    def close(self) -> None:
        if self._keyring is not None:
            self._keyring.__exit__()


def check_pin(pin: str, source: str = "--trust-pin") -> str:
    """``pin`` if it is a digest (``sha256:`` and 64 lower-case hex digits).

    Raises:
        ArtigovError: a usage error naming ``source``.
    """
    from artigov.core.errors import ArtigovError

    if not _DIGEST.fullmatch(pin):
        raise ArtigovError(
            f"{source}: {pin!r} is not a digest",
            fix="give the sha256 of version 1's trust.json as sha256:<64 hex> (`artigov trust status` prints it)",
        )
    return pin


def pin_from_env() -> str | None:
    """The pin in ``ARTIGOV_TRUST_PIN`` (None when unset or empty)."""
    value = os.environ.get(PIN_ENV, "").strip()
    return check_pin(value, PIN_ENV) if value else None


def load_trust(ws: Any, *, pin: str | None = None) -> TrustChain:
    """The trust chain of workspace ``ws``'s record, in the working tree (``pin``: else the
    environment's :data:`PIN_ENV`)."""
    tree = FsTree(ws.root)
    return load_chain(tree, ws.rel(ws.record_dir), pin=check_pin(pin) if pin else pin_from_env())
