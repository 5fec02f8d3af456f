"""The record only grows: a later state of the record extends an earlier one (DESIGN section 14).

``verify --since REV`` (the working tree against a git revision), the pre-receive hook (a pushed
commit against the ref's old commit) and ``status`` (against the upstream branch) all ask one
question of two :class:`~artigov.core.Tree` views, as Certificate Transparency's consistency
check asks it of two views of a log:

- every snapshot of the earlier record is still there byte for byte, unless a recorded prune
  removed it (``pruned.json`` names it with its digest) (G001);
- every decision log of the earlier record is a prefix of the later one (G002);
- each framework's HEAD and each gate's head moved only forward (a rollback is a new snapshot,
  so it moves forward too) (G003);
- every trust version of the earlier record is still there byte for byte (signatures may be
  added), and none was removed (G004);
- every approval statement of the earlier record is still there byte for byte (G005);
- a snapshot or a signed approval added since names a trust version no older than the newest of
  the earlier record: a key the root keys have since removed cannot sign backdated work (G006).

Each violation names the file, what happened and the fix. Nothing is written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from artigov.core import (
    MANIFEST_NAME,
    RECORD_FOLDERS,
    TRUST_DIR,
    TRUST_DOC,
    RecordLayout,
    Tree,
    Workspace,
    digest_bytes,
)
from artigov.promote._manifest import Manifest, ManifestError
from artigov.promote._store import Head

if TYPE_CHECKING:
    from artigov.contract import ApprovalStatement
    from artigov.core import TrustChain

__all__ = [
    "Continuity",
    "RecordAt",
    "RefVerdict",
    "Violation",
    "check_continuity",
    "check_push",
    "pre_receive",
    "record_base",
    "record_since",
]

_SEQ = re.compile(r"[0-9]{6}")


@dataclass(frozen=True)
class Violation:
    """One way the later record does not extend the earlier one."""

    code: str
    file: str
    message: str
    fix: str

    def to_dict(self) -> dict[str, str]:
        """JSON values."""
        return {"code": self.code, "file": self.file, "message": self.message, "fix": self.fix}

    def one_line(self) -> str:
        """``code file: message (fix: …)``."""
        return f"{self.code} {self.file}: {self.message} (fix: {self.fix})"


@dataclass
class Compared:
    """What a comparison went through in the earlier record: its frameworks, snapshots, decision log
    lines, trust versions and approval files."""

    frameworks: int = 0
    snapshots: int = 0
    log_lines: int = 0
    trust_versions: int = 0
    approvals: int = 0

    def to_dict(self) -> dict[str, int]:
        """JSON values (``compared`` of ``verify --since``)."""
        return dict(vars(self))


@dataclass(frozen=True)
class Continuity:
    """The answer: the violations (none: the later record extends the earlier), and what was compared."""

    since: str
    violations: list[Violation] = field(default_factory=list)
    compared: Compared = field(default_factory=Compared)

    @property
    def ok(self) -> bool:
        """True when the later record extends the earlier one."""
        return not self.violations

    def to_dict(self) -> dict[str, Any]:
        """JSON values."""
        return {
            "since": self.since,
            "ok": self.ok,
            "violations": [v.to_dict() for v in self.violations],
            "compared": self.compared.to_dict(),
        }


def _frameworks(tree: Tree, base: str) -> list[str]:
    return [n for n in tree.folders(base) if n not in RECORD_FOLDERS and not n.startswith(".")]


def _json(data: bytes | None) -> Any:
    if data is None:
        return None
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def _head(data: bytes | None) -> tuple[int, dict[str, int]] | None:
    if data is None:
        return None
    try:
        head = Head.from_bytes(data)
    except ValueError:
        return None
    return head.sequence, {g: h.sequence for g, h in head.gates.items()}


def _manifest(data: bytes | None, signature: bytes | None, what: str) -> Manifest:
    """A pushed snapshot's manifest, read through its type.

    Raises:
        VerificationError: V010 the manifest or its signature is missing; V004/V016 it is not a manifest.
    """
    from artigov.core import VerificationError

    if data is None or signature is None:
        raise VerificationError("V010", f"{what} is incomplete or unreadable")
    try:
        return Manifest.from_bytes(data)
    except ManifestError as e:
        raise VerificationError(e.code, f"{what}: {e.problem}") from None


def _pruned(data: bytes | None) -> dict[int, str]:
    value = _json(data)
    if not isinstance(value, dict):
        return {}
    out = {}
    for k, v in value.items():
        if str(k).isdigit():
            out[int(k)] = str(v)
    return out


def _statement(data: bytes) -> ApprovalStatement | None:
    """What a pushed approval statement says (None: it is not a statement, and approves nothing)."""
    from artigov.contract import ApprovalStatement

    try:
        return ApprovalStatement.from_bytes(data)
    except ValueError:
        return None


def _manifest_trust(data: bytes | None) -> int:
    """The trust version a pushed manifest names (1 when it names none, or is not a manifest: the
    signature check says why)."""
    try:
        return (Manifest.from_bytes(data).trust_version if data is not None else None) or 1
    except ManifestError:
        return 1


class _Compare:
    """One comparison of an earlier record (``old``) with a later one (``new``)."""

    def __init__(self, old: RecordAt, new: RecordAt, rev: str, commit: str) -> None:
        (self.old, self.ob), (self.new, self.nb) = old, new
        self.rev = rev
        self.commit = commit
        self.out: list[Violation] = []
        self.compared = Compared()

    def add(self, code: str, rel: str, message: str, fix: str) -> None:
        self.out.append(Violation(code, f"{self.nb}/{rel}", message, fix))

    def restore(self, rel: str) -> str:
        return f"restore it from {self.rev} (git checkout {self.commit} -- {self.ob}/{rel})"

    def trust(self) -> int:
        """Compare the trust versions; return the newest version number of the earlier record."""
        prefix = f"{self.ob}/{TRUST_DIR}/"
        newest = 0
        for rel, data in sorted(self.old.read_all(f"{self.ob}/{TRUST_DIR}").items()):
            parts = rel[len(prefix) :].split("/")
            if len(parts) != 2 or not _SEQ.fullmatch(parts[0]):
                continue  # pending proposals may come and go
            newest = max(newest, int(parts[0]))
            if parts[1] == TRUST_DOC:
                self.compared.trust_versions += 1
            local = f"{TRUST_DIR}/{parts[0]}/{parts[1]}"
            now = self.new.read(f"{self.nb}/{local}")
            if now != data:
                what = "removed" if now is None else "changed"
                self.add(
                    "G004",
                    local,
                    f"trust version {int(parts[0])}'s {parts[1]} was {what} since {self.rev}: trust versions "
                    "are never edited; a change is a new version signed by the root keys",
                    self.restore(local) + "; propose the change as a new version (artigov trust propose)",
                )
        return newest

    def framework(self, name: str, trust_newest: int) -> None:
        self.compared.frameworks += 1
        files = self.old.read_all(f"{self.ob}/{name}")
        pruned_now = _pruned(self.new.read(f"{self.nb}/{RecordLayout(name).pruned}"))
        self._snapshots(name, files, pruned_now)
        self._log(name, files.get(f"{self.ob}/{RecordLayout(name).decisions}"))
        old_head = _head(files.get(f"{self.ob}/{RecordLayout(name).head}"))
        self._head(name, old_head)
        self._approvals(name, files, trust_newest)
        self._new_snapshots(name, old_head[0] if old_head else 0, trust_newest)
        for seq, digest in _pruned(files.get(f"{self.ob}/{RecordLayout(name).pruned}")).items():
            if pruned_now.get(seq) != digest:
                self.add(
                    "G001",
                    f"{RecordLayout(name).pruned}",
                    f"no longer records pruned snapshot {seq} ({digest}) as {self.rev} did",
                    self.restore(f"{RecordLayout(name).pruned}"),
                )

    def _snapshots(self, name: str, files: dict[str, bytes], pruned_now: dict[int, str]) -> None:
        prefix = f"{self.ob}/{RecordLayout(name).snapshots}/"
        by_seq: dict[int, dict[str, bytes]] = {}
        for rel, data in files.items():
            if rel.startswith(prefix):
                parts = rel[len(prefix) :].split("/")
                if len(parts) == 2 and _SEQ.fullmatch(parts[0]):
                    by_seq.setdefault(int(parts[0]), {})[parts[1]] = data
        for seq, snapshot in sorted(by_seq.items()):
            self.compared.snapshots += 1
            folder = RecordLayout(name).snapshot(seq)
            now = {f: self.new.read(f"{self.nb}/{folder}/{f}") for f in snapshot}
            if all(now[f] == data for f, data in snapshot.items()):
                continue
            manifest = snapshot.get("manifest.json")
            gone = all(v is None for v in now.values())
            if gone and manifest is not None and pruned_now.get(seq) == digest_bytes(manifest):
                continue  # a recorded prune removed it
            replaced = any(v is not None for v in now.values())
            why = (
                "replaced: another promotion took its place (a rebase, a merge with -X ours/theirs, or a race "
                "resolved by keeping the wrong side)"
                if replaced
                else "removed: a revert or a reset, and no recorded prune removed it"
            )
            self.add(
                "G001",
                f"{folder}/",
                f"snapshot {seq} of {name!r} was {why}, since {self.rev}",
                self.restore(f"{folder}/") + "; then promote again on top of it (never replace a published snapshot)",
            )

    def _log(self, name: str, old_log: bytes | None) -> None:
        if not old_log:
            return
        rel = f"{RecordLayout(name).decisions}"
        now = self.new.read(f"{self.nb}/{rel}") or b""
        self.compared.log_lines += old_log.count(b"\n")
        if now.startswith(old_log):
            return
        old_lines, new_lines = old_log.splitlines(keepends=True), now.splitlines(keepends=True)
        first = next((i for i, line in enumerate(old_lines) if i >= len(new_lines) or new_lines[i] != line), 0)
        what = "cut" if first >= len(new_lines) else "changed"
        self.add(
            "G002",
            rel,
            f"line {first + 1} of {len(old_lines)} the log held at {self.rev} was {what} "
            f"(the log now has {len(new_lines)} lines): a decision log only grows",
            self.restore(rel) + ", then append by running the command again",
        )

    def _head(self, name: str, old_head: tuple[int, dict[str, int]] | None) -> None:
        if old_head is None:
            return
        rel = f"{RecordLayout(name).head}"
        now = _head(self.new.read(f"{self.nb}/{rel}"))
        seq, gates = old_head
        if now is None:
            self.add("G003", rel, f"is gone or unreadable; at {self.rev} it named snapshot {seq}", self.restore(rel))
            return
        if now[0] < seq:
            self.add(
                "G003",
                rel,
                f"moved back from snapshot {seq} (at {self.rev}) to {now[0]}: a revert or a reset of a promotion "
                "(a rollback is a new signed snapshot on top, which moves forward)",
                self.restore(rel) + "; to go back, run `artigov rollback` (a new snapshot)",
            )
            return
        for gate, gseq in sorted(gates.items()):
            if now[1].get(gate, 0) < gseq:
                self.add(
                    "G003",
                    rel,
                    f"gate {gate!r} moved back from snapshot {gseq} (at {self.rev}) to {now[1].get(gate)}",
                    self.restore(rel) + "; to go back, run `artigov rollback --gate GATE`",
                )

    def _approvals(self, name: str, files: dict[str, bytes], trust_newest: int) -> None:
        prefix = f"{self.ob}/{name}/approvals/"
        for rel, data in sorted(files.items()):
            if not rel.startswith(prefix):
                continue
            self.compared.approvals += 1
            local = rel[len(self.ob) + 1 :]
            if self.new.read(f"{self.nb}/{local}") != data:
                self.add(
                    "G005",
                    local,
                    f"an approval statement of {self.rev} was removed or changed: statements are add-only",
                    self.restore(local),
                )
        old = {rel[len(self.ob) + 1 :] for rel in files if rel.startswith(prefix)}
        for rel, data in sorted(self.new.read_all(f"{self.nb}/{name}/approvals").items()):
            local = rel[len(self.nb) + 1 :]
            if local in old or not rel.endswith(".json"):
                continue
            body = _statement(data)
            named = (body.trust_version or 1) if body else 1
            if body is not None and body.fingerprint and named < trust_newest:
                self.add(
                    "G006",
                    local,
                    f"a statement added since {self.rev} names trust version {named}, "
                    f"older than version {trust_newest} in force there",
                    "approve again: a new statement names the newest trust version",
                )

    def _new_snapshots(self, name: str, old_seq: int, trust_newest: int) -> None:
        for folder in self.new.folders(f"{self.nb}/{RecordLayout(name).snapshots}"):
            if not _SEQ.fullmatch(folder) or int(folder) <= old_seq:
                continue
            rel = f"{RecordLayout(name).snapshots}/{folder}/{MANIFEST_NAME}"
            named = _manifest_trust(self.new.read(f"{self.nb}/{rel}"))
            if named < trust_newest:
                self.add(
                    "G006",
                    rel,
                    f"snapshot {int(folder)} was added since {self.rev} but names trust version {named}, older "
                    f"than version {trust_newest} in force there",
                    "promote again: a new snapshot names the newest trust version",
                )


class RecordAt(NamedTuple):
    """A record as a tree holds it: the tree and the record's folder in it."""

    tree: Tree
    base: str


def check_continuity(old: RecordAt, new: RecordAt, *, since: str, commit: str | None = None) -> Continuity:
    """Does the ``new`` record extend the ``old`` one (``since``: how the earlier state is named in
    messages; ``commit``: the revision a fix checks files out of)?"""
    old, new = RecordAt(old.tree, old.base.strip("/")), RecordAt(new.tree, new.base.strip("/"))
    run = _Compare(old, new, since, commit or since)
    newest = run.trust()
    for name in _frameworks(run.old, run.ob):
        run.framework(name, newest)
    return Continuity(since, run.out, run.compared)


def record_base(tree: Tree, prefix: str) -> str | None:
    """Where the record is in ``tree`` for the workspace at ``prefix`` (its ``artigov.yaml``'s
    ``record:``), or None when there is no workspace there."""
    from artigov.core import ArtigovError, load_yaml

    config = tree.read(f"{prefix}/artigov.yaml".lstrip("/"))
    if config is None:
        return None
    try:
        value = load_yaml(config.decode("utf-8"))
    except (UnicodeDecodeError, ArtigovError):
        value = None
    record = value.get("record") if isinstance(value, dict) else None
    record = record if isinstance(record, str) and record and ".." not in record.split("/") else "governance"
    return f"{prefix}/{record.strip('/')}".strip("/")


def record_since(ws: Workspace, rev: str) -> Continuity:
    """Does the record in the working tree extend the record at git revision ``rev``?

    Raises:
        ArtigovError: the workspace is not in git, or ``rev`` is not a commit.
    """
    from artigov.core import EXIT_USAGE, ArtigovError, FsTree, GitTree, git_toplevel

    found = git_toplevel(ws.root)
    if found is None:
        raise ArtigovError(
            f"{ws.root} is not in a git repository: --since compares the record with a git revision",
            fix="run it in a clone of the governance repository",
            exit_code=EXIT_USAGE,
        )
    git_dir, top = found
    prefix = ws.root.resolve().relative_to(top.resolve()).as_posix().strip(".")
    old = GitTree(git_dir, rev)
    old_base = record_base(old, prefix)
    label = f"{rev} ({old.commit[:12]})"
    if old_base is None:
        return Continuity(label)  # no workspace there: nothing to extend
    new_base = f"{prefix}/{ws.rel(ws.record_dir)}".strip("/")
    return check_continuity(
        RecordAt(old, old_base), RecordAt(FsTree(top), new_base), since=label, commit=old.commit[:12]
    )


ZERO = "0" * 40


@dataclass(frozen=True)
class RefVerdict:
    """What the pre-receive hook says about one pushed ref."""

    ref: str
    old: str
    new: str
    accepted: bool
    reason: str
    violations: list[Violation] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON values."""
        return {
            "ref": self.ref,
            "old": self.old,
            "new": self.new,
            "accepted": self.accepted,
            "reason": self.reason,
            "violations": [v.to_dict() for v in self.violations],
        }


def _new_signatures(tree: Tree, base: str, old_heads: dict[str, int], rev: str) -> list[Violation]:
    """Every snapshot added since: signed by a key its trust version lets sign its gate (the trust
    chain at ``tree`` must hold: walked from version 1, pinned by ``ARTIGOV_TRUST_PIN`` if set)."""
    from artigov.core import TrustError, VerificationError, committed_key_files, load_chain, pin_from_env

    try:
        chain = load_chain(tree, base, pin=pin_from_env())
    except TrustError as e:
        return [Violation(e.code, f"{base}/{TRUST_DIR}/", e.problem, e.fix or "")]
    key_files = committed_key_files(tree, base)
    out = []
    for name in _frameworks(tree, base):
        for folder in tree.folders(f"{base}/{RecordLayout(name).snapshots}"):
            if not _SEQ.fullmatch(folder) or int(folder) <= old_heads.get(name, 0):
                continue
            rel = f"{base}/{RecordLayout(name).snapshots}/{folder}/{MANIFEST_NAME}"
            try:
                _check_signed(tree, rel, chain, key_files, name)
            except VerificationError as e:
                out.append(Violation(e.code, rel, e.problem, e.fix or f"the push to {rev} carries a bad snapshot"))
    return out


def _check_signed(tree: Tree, rel: str, chain: TrustChain, key_files: dict[str, bytes], framework: str) -> None:
    """The new snapshot manifest at ``rel`` (of ``framework``'s record) is signed by a key its
    trust version lets sign its gate, and the signer is the one the manifest names.

    Raises:
        VerificationError: it is not.
    """
    from artigov.core import VerificationError, VerifyingKeyring, keys_for

    data, sig = tree.read(rel), tree.read(rel + ".asc")
    what = f"snapshot {int(rel.split('/')[-2])} of {framework!r}"
    manifest = _manifest(data, sig, what)
    assert data is not None and sig is not None  # _manifest refused a missing one
    version = chain.version(manifest.trust_version, what=what)
    allowed = version.signers_for(framework, manifest.gate)
    with VerifyingKeyring.shared_by(
        keys_for(key_files, allowed), allowed, allow_list=f"the signers trust version {version.version} allows"
    ) as k:
        signer = k.verify(data, sig)
    if signer != manifest.signer:
        raise VerificationError("V011", f"signed by {signer}, but the manifest names {manifest.signer}")


def _old_heads(tree: Tree, base: str | None) -> dict[str, int]:
    if base is None:
        return {}
    heads = {}
    for name in _frameworks(tree, base):
        head = _head(tree.read(f"{base}/{RecordLayout(name).head}"))
        heads[name] = head[0] if head else 0
    return heads


def check_push(git_dir: Any, old: str, new: str, ref: str, *, prefix: str = "") -> RefVerdict:
    """The pre-receive check of one ref update (``old`` -> ``new``) in the repository ``git_dir``:
    the record at ``new`` extends the record at ``old``, its trust chain holds, and every snapshot
    added is signed by a key its trust version allows. A deleted ref, or a commit without a
    workspace, is accepted."""
    from artigov.core import GitTree

    if new == ZERO:
        return RefVerdict(ref, old, new, True, "ref deleted")
    new_tree = GitTree(git_dir, new)
    new_base = record_base(new_tree, prefix)
    old_tree = GitTree(git_dir, old) if old != ZERO else None
    old_base = record_base(old_tree, prefix) if old_tree is not None else None
    if new_base is None:
        if old_base is None:
            return RefVerdict(ref, old, new, True, "no artigov workspace in the pushed commit")
        gone = Violation("G003", f"{prefix}/artigov.yaml".strip("/"), "the workspace was removed", "restore it")
        return RefVerdict(ref, old, new, False, gone.one_line(), [gone])
    violations: list[Violation] = []
    if old_tree is not None and old_base is not None:
        since = f"{ref} at {old[:12]}"
        found = check_continuity(
            RecordAt(old_tree, old_base), RecordAt(new_tree, new_base), since=since, commit=old[:12]
        )
        violations += found.violations
    has_record = bool(new_tree.folders(new_base)) or bool(new_tree.files(f"{new_base}/{TRUST_DIR}"))
    if has_record:
        heads = _old_heads(old_tree, old_base) if old_tree is not None else {}
        violations += _new_signatures(new_tree, new_base, heads, ref)
    if violations:
        return RefVerdict(ref, old, new, False, violations[0].one_line(), violations)
    what = "a new ref" if old == ZERO else f"it extends {old[:12]}"
    return RefVerdict(ref, old, new, True, f"the record at {new[:12]} verifies and {what}")


def pre_receive(git_dir: Any, lines: list[str], *, prefix: str = "") -> list[RefVerdict]:
    """Every ``old new ref`` line git gives a pre-receive hook, checked (:func:`check_push`)."""
    verdicts = []
    for line in lines:
        parts = line.split()
        if len(parts) != 3:
            continue
        old, new, ref = parts
        verdicts.append(check_push(git_dir, old, new, ref, prefix=prefix))
    return verdicts
