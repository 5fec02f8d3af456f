"""``artigov status``: where the workspace stands, like ``git status`` for governance. It never
writes the index, the record or the log; like ``git status``, it keeps what it computed for a
fresh index in a state folder that is already there (the placement, and each framework's gate
checks: :mod:`artigov.views.statuskept`).

1. the index: fresh (proved from stats by the stat cache, as ``index update`` proves it), stale
   (which files changed), missing, or interrupted (a journal to recover);
2. the artifacts: how many are valid, and the invalid ones by finding code;
3. routing: conflicts by code (placement checked from the index's kinds and ids);
4. per framework: each gate's state (passes, or its first finding), the gate's current snapshot
   and whether it verifies, documents waiting in review, and the rollback triggers that would fire;
5. trust: the trust chain holds (and how version 1 is trusted), and, when the branch has an
   upstream, the record extends the upstream's record (``verify --since @{upstream}``).

"All is well" (exit 0) means: a fresh index, no invalid artifact, no routing conflict, every
current snapshot verifies, no trigger would fire, the trust chain holds and the record did not
rewrite its upstream's. A gate that does not pass yet is shown but
is not a problem: it is work still to do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from artigov.core import Workspace

if TYPE_CHECKING:
    from artigov.core import TrustChain
    from artigov.index import Entries, Entry, Overlay
    from artigov.promote import TrustVerdict
    from artigov.router import RouteReport
    from artigov.views.statuskept import KeptSummary

__all__ = ["REVIEW_SHOWN", "Status", "framework_names", "workspace_status"]

Rows: TypeAlias = "Iterable[tuple[str, Entry]]"  # the entries a fold runs over
Waiting: TypeAlias = dict[str, list[str]]  # framework -> paths in review

#: documents in review a framework's part names (the first, in path byte order), beside their count;
#: the text report shows five of them, the JSON one every one (see :func:`workspace_status`)
REVIEW_SHOWN = 20


@dataclass
class Status:
    """What ``artigov status`` reports: the index, validation, routing and each framework."""

    index: dict[str, Any]
    validation: dict[str, Any]
    routing: dict[str, Any]
    frameworks: list[dict[str, Any]] = field(default_factory=list)
    trust: TrustVerdict | None = None
    continuity: dict[str, Any] | None = None

    @property
    def problems(self) -> list[str]:
        """Every problem, one line each (none: all is well)."""
        out = []
        if self.index["state"] != "fresh" and (
            self.index.get("committed", True) or self.index["state"] == "interrupted"
        ):
            out.append(f"index {self.index['state']}")  # a LOCAL stale index is a cache the next command refreshes
        if self.validation["invalid"]:
            out.append(f"{self.validation['invalid']} invalid artifact(s)")
        if self.routing["conflicts"]:
            out.append(f"{self.routing['conflicts']} routing conflict(s)")
        for fw in self.frameworks:
            out += [f"{fw['framework']}: {p}" for p in fw["problems"]]
        if self.trust is not None and not self.trust.ok:
            out.append(f"trust: {self.trust.code} {self.trust.message}")
        if self.continuity is not None:
            since = self.continuity["since"]
            out += [f"since {since}: {v['code']} {v['file']}: {v['message']}" for v in self.continuity["violations"]]
        return out

    @property
    def ok(self) -> bool:
        """True when there is no problem."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """The status as JSON values."""
        return {
            "ok": self.ok,
            "problems": self.problems,
            "index": self.index,
            "validation": self.validation,
            "routing": self.routing,
            "frameworks": self.frameworks,
            "trust": self.trust.to_dict() if self.trust is not None else {},
            "continuity": self.continuity,
        }


def _index_state(ws: Workspace) -> tuple[dict[str, Any], list[Any], Overlay | None]:
    """(what the index's state is, findings of the files read, and what the stat cache proved and
    read of the files changed since the index was written, when it proved them)."""
    from artigov.index import Journal, verify_by_stats

    committed = ws.index_committed
    if Journal(ws.state_dir / "index.journal").pending():
        return {"state": "interrupted", "fix": "artigov index recover", "committed": committed}, [], None
    if not ws.index_path.is_file():
        fix = "artigov index rebuild" if committed else "none: the next command that reads it builds it (local index)"
        return {"state": "missing", "fix": fix, "committed": committed}, [], None
    # By file stats where the stat cache proves them, else by content: what `index verify` does.
    drift = verify_by_stats(ws, refresh=False)
    changed = sorted({*drift.added, *drift.changed, *drift.removed}, key=lambda p: p.encode("utf-8"))
    state = {
        "state": "fresh" if drift.ok else "stale",
        "digest": drift.digest,
        "artifacts": drift.count,
        "proved_by": drift.proved_by,
        "changed": changed[:20],
        "changed_count": len(changed),
        "committed": committed,
    }
    if not drift.ok:
        state["fix"] = "artigov index update" if committed else "none: the next command that reads it updates it"
    return state, list(drift.findings), drift.overlay


def _placed(ws: Workspace, index: dict[str, Any], entries: Callable[[], Entries], keep: bool) -> RouteReport:
    """Routing conflicts; a fresh index's placement is the one ``route check`` (or an earlier
    status) kept for it, when there is one; ``keep``: placed from the index and kept when not
    (in a state folder that is already there). Otherwise placed from ``entries()``."""
    from artigov.router import check_routes
    from artigov.views.routecheck import index_placement

    known = index_placement(ws, index["digest"], compute=keep) if index["state"] == "fresh" else None
    return check_routes(ws, entries={}, known=known) if known is not None else check_routes(ws, entries=entries())


def _routing(check: Callable[[], RouteReport]) -> dict[str, Any]:
    """What ``check()`` says of routing: conflicts by code, the first one (a routing file that
    cannot be read is one)."""
    from artigov.core import ArtigovError

    try:
        report = check()
    except ArtigovError as e:
        return {"conflicts": 1, "by_code": {"config": 1}, "first": str(e)}
    return {
        "conflicts": len(report.findings),
        "by_code": dict(sorted(Counter(f.code for f in report.findings).items())),
        "first": report.findings[0].one_line() if report.findings else None,
    }


def _in_review(mine: Entries) -> list[str]:
    """The paths of ``mine`` in review, in byte order."""
    return sorted((p for p, e in mine.items() if e["status"] == "review"), key=lambda p: p.encode())


def _gates(ws: Workspace, framework: str, mine: Entries) -> dict[str, Any]:
    """What a framework's indexed entries (``mine``) say, the part status may keep: how many,
    those in review (the first :data:`REVIEW_SHOWN` and their count: a kept part stays small on a
    large workspace), each gate's check (or the contract's problem), and until when that holds."""
    from artigov.contract import ContractError, check_contract, load_contract

    part: dict[str, Any] = {"artifacts": len(mine), "gates": [], "contract": None, "valid_until": None}
    waiting = _in_review(mine)
    part["in_review"], part["in_review_count"] = waiting[:REVIEW_SHOWN], len(waiting)
    try:
        contract = load_contract(ws, framework)
    except ContractError as e:
        part["contract"] = e.findings[0].one_line()
        return part
    untils: list[int] = []
    for gate in contract.gates:
        report = check_contract(ws, framework, gate.name, entries=mine)
        first = report.findings[0].one_line() if report.findings else None
        part["gates"].append(
            {"gate": gate.name, "passes": report.ok, "first_finding": first, "warnings": len(report.warnings)}
        )
        untils += [report.valid_until] if report.valid_until is not None else []
    part["valid_until"] = min(untils, default=None)
    return part


def _framework(ws: Workspace, framework: str, part: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """One framework: its gates (``part``: from :func:`_gates`) with each gate's current snapshot and
    whether it verifies, documents in review, and the triggers of every gate's current snapshot,
    and the record checks ``verify --all`` and ``audit verify`` run (``record``: their results for
    this framework)."""
    from artigov.promote import triggers, withdrawn_versions

    out: dict[str, Any] = {"framework": framework, "artifacts": part["artifacts"], "gates": [], "problems": []}
    out["problems"] += record["problems"]
    if part["contract"] is not None:
        out["problems"].append(f"contract: {part['contract']}")
        return out
    verified: dict[str, int] = record["verified"]
    for gate in part["gates"]:
        name = gate["gate"]
        snapshot = verified.get(name, record["gates"].get(name))
        verifies = (name in verified) if name in record["gates"] else None
        out["gates"].append({**gate, "snapshot": snapshot, "verifies": verifies})
    out["in_review"] = list(part["in_review"])
    out["in_review_count"] = part["in_review_count"]
    out["withdrawn"] = [f"{i}@{v}: {why}" for (i, v), why in sorted(withdrawn_versions(ws, framework).items())]
    fired: list[dict[str, Any]] = []
    for gate in sorted(record["gates"]):  # every gate's current snapshot, not only the head's
        fired += [t for t in triggers(ws, framework, gate=gate).fired if t not in fired]
    out["triggers"] = fired
    out["problems"] += [f"trigger {t['on']} would {t['action']}" for t in fired]
    return out


def _records(ws: Workspace, trust: TrustChain | None) -> dict[str, dict[str, Any]]:
    """Per framework in the record: what ``verify --all`` and ``audit verify`` say (the gates with
    a snapshot, those that verify, and every problem), so status is never green where they fail.
    ``trust``: the chain, None when it does not hold (each framework's verification names why)."""
    from artigov.promote import SnapshotStore, VerificationError, check_decision_logs, verify_all

    out: dict[str, dict[str, Any]] = {}
    for row in verify_all(ws, trust):
        entry = out.setdefault(row.framework, {"gates": {}, "verified": {}, "problems": []})
        if row.ok:
            entry["verified"][row.gate] = row.snapshot
        else:
            entry["problems"].append(f"the record does not verify ({row.code} {row.message})")
    for check in check_decision_logs(ws):
        entry = out.setdefault(str(check.framework), {"gates": {}, "verified": {}, "problems": []})
        if not check.ok:
            where = f" at line {check.bad_line}" if check.bad_line else ""
            entry["problems"].append(f"decision log {check.path}{where}: {check.problem}")
    for name, entry in out.items():
        try:
            head = SnapshotStore(ws, name).head()
        except VerificationError:
            head = None
        entry["gates"] = {g: h.sequence for g, h in head.gates.items()} if head else {}
    return out


def _upstream(ws: Workspace) -> dict[str, Any] | None:
    """The record against the branch's upstream (``verify --since @{upstream}``), or None without one."""
    import subprocess

    from artigov.core import ArtigovError
    from artigov.promote import record_since

    done = subprocess.run(
        ["git", "-C", str(ws.root), "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}"],
        capture_output=True,
        text=True,
        check=False,
    )
    upstream = done.stdout.strip()
    if done.returncode != 0 or not upstream:
        return None
    try:
        return record_since(ws, upstream).to_dict()
    except ArtigovError as e:
        return {"since": upstream, "ok": False, "violations": [], "error": str(e)}


def framework_names(ws: Workspace, indexed: Iterable[str]) -> list[str]:
    """Every framework the workspace knows: a contract, an indexed artifact (``indexed``: their
    frameworks), or a record folder. What `status` reports and CI loops over."""
    from artigov.contract import contract_frameworks
    from artigov.promote import record_frameworks

    return sorted({*contract_frameworks(ws), *indexed, *record_frameworks(ws.record_dir)})


def _entries(
    ws: Workspace, index: dict[str, Any], overlay: Overlay | None
) -> tuple[Entries | None, list[Any] | None, str | None]:
    """(the entries the gates would read, the findings of the files read when they were read from
    the files (None: the index state's own findings stand), the digest of the index they were read
    from). No entries without an index. ``overlay``: what the index check proved of the files
    changed since (they are neither stat'ed nor read again)."""
    from artigov.index import overlaid_entries, read_index, scan

    if not ws.index_committed and index["state"] in ("stale", "missing"):
        # A local index is what the files say: the index and the few files the stat cache says
        # changed, were added or removed (when it proves them), else every file read. Nothing written.
        overlaid = overlaid_entries(ws, overlay) if index["state"] == "stale" else None
        if overlaid is not None:
            return overlaid[0], overlaid[1], None
        found = scan(ws)
        return found.entries, list(found.findings), None
    if index["state"] in ("fresh", "stale"):  # a stale committed index is still what the gates would read
        read = read_index(ws, refresh=False)
        return read.entries, None, read.digest
    return None, None, None


def _overlaid(ws: Workspace, overlay: Overlay | None) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(gate checks, routing) of a stale LOCAL index with the few files changed since it was
    written overlaid (what :func:`_entries` computes from every entry, without parsing the index):
    the summary and the placement kept for the index, only the frameworks of the changed files
    checked again. None when either is not kept, or an (id, version) of a changed file is held by
    another artifact (only a walk tells which one it keeps)."""
    from artigov.views.routecheck import index_placement, routes_over
    from artigov.views.statuskept import KeptSummary

    if overlay is None or overlay.clash:
        return None
    digest = overlay.proof.digest
    kept = KeptSummary(ws, digest).overlaid(
        overlay.indexed, overlay.fresh, overlay.found, lambda name, mine: _gates(ws, name, mine)
    )
    known = index_placement(ws, digest, compute=False) if kept is not None else None
    if kept is None or known is None:
        return None
    return kept, _routing(lambda: routes_over(ws, known, overlay.proof, overlay.fresh))


def _parts(ws: Workspace, names: list[str], entries: Entries | None, kept: dict[str, Any] | None) -> dict[str, Any]:
    """Each framework's part (:func:`_gates`): the kept one, else computed from ``entries``."""
    if kept is not None:  # every indexed framework is in it: any other one has no entry
        return {name: kept["frameworks"].get(name) or _gates(ws, name, {}) for name in names}
    by_framework: dict[str, Entries] = {}
    for path, entry in (entries or {}).items():
        by_framework.setdefault(entry["framework"], {})[path] = entry
    return {name: _gates(ws, name, by_framework.get(name, {})) for name in names}


def _kept(ws: Workspace, summary: KeptSummary | None, framework: str | None) -> dict[str, Any] | None:
    """The gate checks kept for this index, else those kept for an earlier one carried over the
    index steps since (only the touched frameworks checked again, and the result kept)."""
    if summary is None:
        return None
    kept = summary.get()
    if kept is None:
        kept = summary.carried(lambda name, mine: _gates(ws, name, mine))
        if kept is not None and not framework:
            summary.put(kept["frameworks"], kept["indexed"])
    return kept


def _every_review(parts: dict[str, Any], fold: Callable[[Callable[[Rows], Waiting]], Waiting]) -> dict[str, Any]:
    """``parts`` with every document in review listed where a part names only the first ones,
    from ``fold(collect)``: ``collect`` run over the entries the parts were checked from."""
    short = {name for name, part in parts.items() if part["in_review_count"] > len(part["in_review"])}
    if not short:
        return parts

    def collect(rows: Rows) -> Waiting:
        waiting: Waiting = {name: [] for name in short}
        for path, entry in rows:
            if entry["status"] == "review" and entry["framework"] in short:
                waiting[entry["framework"]].append(path)
        return waiting

    waiting = fold(collect)
    every = {name: sorted(paths, key=lambda p: p.encode()) for name, paths in waiting.items()}
    return {name: {**part, "in_review": every[name]} if name in short else part for name, part in parts.items()}


def _rows_fold(
    ws: Workspace, index: dict[str, Any], held: Entries | None, every: Callable[[], Entries]
) -> Callable[[Callable[[Rows], Waiting]], Waiting]:
    """A fold over the entries the gates were checked from: the fresh index read in chunks when
    its entries are not ``held`` (memory holds a chunk, never the index), else ``every()``."""

    def fold(collect: Callable[[Rows], Waiting]) -> Waiting:
        from artigov.index import fold_index

        streamed = fold_index(ws, index["digest"], collect) if held is None and index["state"] == "fresh" else None
        return streamed if streamed is not None else collect(every().items())

    return fold


def workspace_status(ws: Workspace, framework: str | None = None, every_review: bool = False) -> Status:
    """Everything ``artigov status`` shows (see the module doc). Each framework names its first
    :data:`REVIEW_SHOWN` documents in review and their count; ``every_review``: every one of them
    (what the JSON answer lists), reading the index's entries when what status kept names fewer."""
    from artigov.promote import check_trust
    from artigov.views.statuskept import KeptSummary

    index, findings, overlay = _index_state(ws)
    summary = KeptSummary(ws, index["digest"]) if index["state"] == "fresh" else None
    kept = _kept(ws, summary, framework)
    entries: Entries | None = None
    read_from = None
    routing: dict[str, Any] | None = None
    stale_local = index["state"] == "stale" and not ws.index_committed
    if kept is None and stale_local and (overlaid := _overlaid(ws, overlay)) is not None:
        kept, routing = overlaid  # the index's findings are those of the files read: all of them
    elif kept is None:
        entries, read, read_from = _entries(ws, index, overlay)
        findings = read if read is not None else findings
    invalid = Counter(code for code, _file in {(f.code, f.file) for f in findings})  # files, not findings
    if entries is not None:
        valid: int | None = len(entries)
    elif routing is not None and overlay is not None:
        valid = overlay.found  # the index's artifacts, overlaid
    else:
        valid = index["artifacts"] if kept is not None else None
    validation = {"valid": valid, "invalid": len({f.file for f in findings}), "by_code": dict(sorted(invalid.items()))}
    if entries is None and kept is None:  # no index to read from: routing and gates would say nothing true
        return Status(index, validation, {"conflicts": 0, "by_code": {}, "first": None})

    def all_entries() -> Entries:
        nonlocal entries
        if entries is None:
            entries = _entries(ws, index, overlay)[0] or {}
        return entries

    keep = summary is not None and summary.writable
    status = Status(index, validation, routing or _routing(lambda: _placed(ws, index, all_entries, keep)))
    indexed = sorted(kept["indexed"]) if kept is not None else sorted({e["framework"] for e in all_entries().values()})
    chain, status.trust = check_trust(ws)  # as verify reads it
    records = _records(ws, chain)
    empty: dict[str, Any] = {"gates": {}, "verified": {}, "problems": []}
    # Every framework found anywhere (one without a contract is a problem, never skipped).
    names = [framework] if framework else framework_names(ws, indexed)
    parts = _parts(ws, names, entries, kept)
    if summary is not None and kept is None and not framework and read_from == summary.digest:
        summary.put(parts, indexed)
    parts = _every_review(parts, _rows_fold(ws, index, entries, all_entries)) if every_review else parts
    status.frameworks = [_framework(ws, name, parts[name], records.get(name, empty)) for name in names]
    status.continuity = _upstream(ws)
    return status
