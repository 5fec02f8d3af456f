"""Validation of a workspace's artifacts (``artigov validate``)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import Any

from artigov.core import (
    Finding,
    PathEscapeError,
    Workspace,
    bulk_results,
    cores,
    die_with_parent,
    fault_pause,
    get_logger,
    sort_findings,
)
from artigov.schema._discovery import (
    ArtifactUnit,
    Stamp,
    discover,
    group_units,
    in_artifact_globs,
    not_utf8_finding,
    stamp_of,
    symlink_verdict,
    utf8_name,
    walk_files,
)
from artigov.schema._loader import SIDECAR_SUFFIXES, load_frontmatter_artifact, load_sidecar_artifact, sidecar_target
from artigov.schema._model import Artifact
from artigov.schema._validator import SchemaSet
from artigov.schema.errors import ArtifactLoadError

__all__ = [
    "ValidationReport",
    "check_unit",
    "check_units",
    "stamp_of",
    "unit_stamps",
    "duplicate_finding",
    "load_unit",
    "log_findings",
    "validate_workspace",
]

log = get_logger(__name__)

#: Called with (done, total) as artifacts are checked.
ProgressHook = Callable[[int, int], None]


@dataclass
class ValidationReport:
    """What ``validate`` found: checked files, valid artifacts, findings."""

    checked: int = 0
    artifacts: list[Artifact] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    #: why each skipped path was skipped
    skipped_reasons: dict[str, str] = field(default_factory=dict)
    units: list[ArtifactUnit] = field(default_factory=list)

    def skip(self, rel: str, reason: str) -> None:
        """Record that ``rel`` was not checked, and why (one reason per path)."""
        if rel not in self.skipped_reasons:
            self.skipped.append(rel)
        self.skipped_reasons[rel] = reason

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not self.findings

    def to_dict(self) -> dict[str, object]:
        """The report as JSON values (``artigov validate --format json``)."""
        return {
            "ok": self.ok,
            "checked": self.checked,
            "valid": len(self.artifacts),
            "skipped": self.skipped,
            "skipped_reasons": self.skipped_reasons,
            "findings": [f.to_dict() for f in self.findings],
        }


def _finding(err: ArtifactLoadError) -> Finding:
    return Finding(code=err.code, file=err.file, line=err.line, message=err.problem, fix=err.fix or "")


def load_unit(root: Path, unit: ArtifactUnit) -> Artifact:
    """Load one artifact unit (frontmatter or sidecar)."""
    if unit.meta_path is not None:
        return load_sidecar_artifact(root, unit.path, unit.meta_path)
    return load_frontmatter_artifact(root, unit.path)


def check_unit(root: Path, unit: ArtifactUnit, schemas: SchemaSet) -> tuple[Artifact | None, list[Finding]]:
    """Load and check one artifact: the artifact if valid, and its findings."""
    artifact, problems = _loaded(root, unit, schemas)
    return (None if problems else artifact), problems


def _loaded(root: Path, unit: ArtifactUnit, schemas: SchemaSet) -> tuple[Artifact | None, list[Finding]]:
    """Load and check one artifact: the artifact if it could be loaded (valid or not), and its findings."""
    try:
        artifact = load_unit(root, unit)
    except ArtifactLoadError as e:
        return None, [_finding(e)]
    return artifact, schemas.check(artifact)


#: Below this many files, a process pool costs more than it saves.
PARALLEL_MIN = 2000
_BATCH = 256
#: Units sent to a worker at a time when they come one at a time (fewer wake-ups than :data:`_BATCH`),
#: and batches in flight per worker.
_SENT = 1024
_AHEAD = 4
#: (unit, artifact (or what ``transform`` made of it) or None, findings, content stamp, sidecar stamp);
#: stamps are taken from the opened files before reading them (of a file the loader refused to
#: read: after it did).
Checked = tuple[ArtifactUnit, Any, list[Finding], Stamp | None, Stamp | None]
_WORKER: dict[str, Any] = {}


def unit_stamps(root: Path, unit: ArtifactUnit) -> tuple[Stamp | None, Stamp | None]:
    """Stamps of a unit's content file and of its sidecar (None for none)."""
    meta = stamp_of(f"{root}/{unit.meta_path}") if unit.meta_path else None
    return stamp_of(f"{root}/{unit.path}"), meta


def _worker_init() -> None:
    """A pool worker: drop inherited locks, and die with the parent rather than outlive it."""
    die_with_parent(_WORKER["parent"])


def _check_range(span: tuple[int, int]) -> list[tuple[Any, list[Finding], Stamp | None, Stamp | None]]:
    """Check ``_WORKER["units"][start:end]``: a forked worker inherits the units, so only two
    numbers travel to it, and only what the parent lacks travels back (not the unit)."""
    return _checked(_WORKER["units"][span[0] : span[1]])


def _check_batch(batch: list[tuple[str, str | None]]) -> list[tuple[Any, list[Finding], Stamp | None, Stamp | None]]:
    """Check the units of ``batch`` (their paths and sidecar paths: plain values travel cheaply)."""
    return _checked([ArtifactUnit(path, meta) for path, meta in batch])


def _checked(units: Sequence[ArtifactUnit]) -> list[tuple[Any, list[Finding], Stamp | None, Stamp | None]]:
    """Each unit's (result, findings, content stamp, sidecar stamp): what the parent lacks."""
    root: Path = _WORKER["root"]
    schemas: SchemaSet = _WORKER["schemas"]
    transform: Callable[[Artifact], Any] | None = _WORKER["transform"]
    out = []
    for unit in units:
        artifact, problems = _loaded(root, unit, schemas)
        # The loader's stamps, from the files it opened, before reading them (a later change shows
        # up as a new stamp); a file it refused to read is stat'ed now.
        content, meta = artifact.stamps if artifact is not None else unit_stamps(root, unit)
        if problems:
            artifact = None
        result = transform(artifact) if transform is not None and artifact is not None else artifact
        out.append((result, problems, content, meta))
    return out


def check_units(
    root: Path,
    units: Iterable[ArtifactUnit],
    schemas: SchemaSet,
    progress: ProgressHook | None = None,
    *,
    transform: Callable[[Artifact], Any] | None = None,
) -> Iterator[Checked]:
    """Check units, yielding each one's result in order; in a pool of worker processes (fork, one per
    core) when there are many.

    ``progress`` hears (units checked, units given) as batches finish; for units given one at a time
    (an iterator: a streamed walk's), (units checked, 0) until the last, then (all, all).
    ``transform`` runs in the worker on each valid artifact, so only what the caller needs (an
    index entry, say) travels back, not the whole artifact: it keeps the parent's memory small. So
    does yielding: the caller keeps what it needs of each batch as it comes, and no list of every
    result is held (at 300,000 artifacts that list, with its stamps, was ~170 MB at a rebuild's
    peak). One at a time: the workers read their units from a module-level slot, so a second call
    while one is still being iterated would take it over.
    """
    _WORKER.update(root=root, schemas=schemas, transform=transform, parent=os.getpid())
    if isinstance(units, Sequence):
        yield from _check_listed(units, progress)
        return
    given = iter(units)
    first = list(islice(given, PARALLEL_MIN))
    if len(first) < PARALLEL_MIN:  # few: the listed way (one process)
        yield from _check_listed(first, progress)
        return
    yield from _check_streamed(chain(first, given), progress, _parallel(len(first)))


def _parallel(count: int) -> bool:
    """Whether ``count`` units are checked in a pool of workers (many, more than one core, fork)."""
    return count >= PARALLEL_MIN and min(cores(), 8) > 1 and hasattr(os, "fork")


def _pool() -> Any:
    """A pool of forked workers, one per core (at most eight), that inherit :data:`_WORKER`."""
    import multiprocessing  # loaded only for big jobs
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    return ProcessPoolExecutor(max_workers=min(cores(), 8), mp_context=context, initializer=_worker_init)


def _check_listed(units: Sequence[ArtifactUnit], progress: ProgressHook | None) -> Iterator[Checked]:
    """:func:`check_units` of a list: the workers inherit it, and are sent spans of it."""
    total = len(units)
    _WORKER["units"] = units
    spans = [(i, min(i + _BATCH, len(units))) for i in range(0, len(units), _BATCH)]
    done = 0
    try:
        if _parallel(total):
            with bulk_results(), _pool() as pool:
                for (start, end), checked in zip(spans, pool.map(_check_range, spans), strict=True):
                    for unit, rest in zip(units[start:end], checked, strict=True):
                        yield (unit, *rest)
                    done += end - start
                    fault_pause("mid-scan")  # a rehearsal's place to interrupt a scan with workers running
                    if progress is not None:
                        progress(done, total)
        else:
            for start, end in spans:
                for unit, rest in zip(units[start:end], _check_range((start, end)), strict=True):
                    yield (unit, *rest)
                done += end - start
                if progress is not None:
                    progress(done, total)
    finally:
        _WORKER.pop("units", None)  # not kept alive past the call


def _check_streamed(units: Iterator[ArtifactUnit], progress: ProgressHook | None, parallel: bool) -> Iterator[Checked]:
    """:func:`check_units` of units given one at a time, a batch at a time: memory holds a few
    batches, never every unit."""
    done = 0
    for batch, checked in _pooled(units) if parallel else _in_process(units):
        for unit, rest in zip(batch, checked, strict=True):
            yield (unit, *rest)
        done += len(batch)
        if progress is not None:
            progress(done, 0)
    if progress is not None:
        progress(done, done)


def _batches(units: Iterator[ArtifactUnit]) -> Iterator[list[ArtifactUnit]]:
    """``units`` in lists of :data:`_SENT`."""
    return iter(lambda: list(islice(units, _SENT)), [])


def _in_process(units: Iterator[ArtifactUnit]) -> Iterator[tuple[list[ArtifactUnit], list[Any]]]:
    """Each batch with its results, checked here (one core, or no fork)."""
    for batch in _batches(units):
        yield batch, _checked(batch)


def _pooled(units: Iterator[ArtifactUnit]) -> Iterator[tuple[list[ArtifactUnit], list[Any]]]:
    """Each batch with its results, checked by the workers: at most :data:`_AHEAD` batches a worker
    in flight (the parent walks on while they check), answered in order."""
    from collections import deque

    with bulk_results(), _pool() as pool:
        flying: deque[tuple[list[ArtifactUnit], Any]] = deque()
        for sent in _batches(units):
            flying.append((sent, pool.submit(_check_batch, [(u.path, u.meta_path) for u in sent])))
            while len(flying) >= _AHEAD * min(cores(), 8) or (flying and flying[0][1].done()):
                batch, future = flying.popleft()
                yield batch, future.result()
                fault_pause("mid-scan")  # a rehearsal's place to interrupt a scan with workers running
        while flying:
            batch, future = flying.popleft()
            yield batch, future.result()
            fault_pause("mid-scan")


def duplicate_finding(source: str, id_: str, version: str, other: str) -> Finding:
    """S016 for the artifact declared in ``source``, whose (id, version) ``other`` also declares."""
    return Finding(
        "S016",
        source,
        f"id {id_!r} version {version!r} is also declared in {other}",
        fix="give one of the two a new version, or remove the copy",
        pointer="/id",
    )


def log_findings(findings: Sequence[Finding]) -> None:
    """One audit event per finding."""
    for f in findings:
        log.info(
            "artifact_invalid",
            audit=True,
            subject=f.file,
            outcome="rejected",
            code=f.code,
            line=f.line,
            pointer=f.pointer,
            message=f.message,
        )


def _outside(path: Path, ws: Workspace) -> Finding:
    return Finding(
        "S019",
        str(path),
        f"is outside the workspace {ws.root}",
        fix="pass paths inside the workspace",
    )


def _symlinked(ws: Workspace, rel: str, report: ValidationReport) -> bool:
    """True if ``rel`` is, or goes through, a symlink: reported (S019, its target is outside the
    workspace) or skipped (its target is inside), never read; the same policy as a full walk."""
    verdict = symlink_verdict(ws.root, rel)
    if isinstance(verdict, Finding):
        report.findings.append(verdict)
    elif verdict is not None:
        report.skip(rel, verdict)
    return verdict is not None


def _named_files(ws: Workspace, paths: Sequence[Path], report: ValidationReport) -> tuple[list[str], set[str]]:
    """The files ``paths`` name (a folder: every file below it, hidden ones skipped), and those a
    walked folder listed (known to exist, no stat needed); a path outside the workspace or through
    a symlink is reported instead."""
    named: list[str] = []
    listed: set[str] = set()
    for p in paths:
        try:
            rel = ws.rel(p)
        except PathEscapeError:
            report.findings.append(_outside(p, ws))
            continue
        rel = "" if rel == "." else rel
        if _symlinked(ws, rel, report):
            continue
        if p.is_dir():
            links: list[str] = []
            below = walk_files(ws.root, rel, links)
            for link in links:
                _symlinked(ws, link, report)
            listed.update(below)
            named.extend(below)
        else:
            named.append(rel)
    return named, listed


def _units_for_paths(ws: Workspace, paths: Sequence[Path], report: ValidationReport) -> list[ArtifactUnit]:
    """The units the named files and folders stand for (a folder: every file below it, hidden ones skipped)."""
    root = ws.root
    named, listed = _named_files(ws, paths, report)

    def exists(rel: str) -> bool:
        return rel in listed or (root / rel).exists()

    def is_file(rel: str) -> bool:
        return rel in listed or (root / rel).is_file()

    rels: list[str] = []
    for rel in named:
        if not utf8_name(rel):
            report.findings.append(not_utf8_finding(rel))
            continue
        if not in_artifact_globs(ws, rel) or any(part.startswith(".") for part in rel.split("/")):
            report.skip(rel, "outside the artifact globs (or in `exclude`)")
            continue
        target = sidecar_target(rel)
        # A sidecar stands for the file it describes; an orphan stays itself, to be reported once.
        rels.append(target if target is not None and exists(target) else rel)
    # Every content file named (directly or through its sidecar) loads with its sidecars.
    names: set[str] = set()
    for rel in rels:
        names.add(rel)
        names.update(rel + suffix for suffix in SIDECAR_SUFFIXES if is_file(rel + suffix))
    unique = sorted(names, key=lambda r: r.encode("utf-8"))
    found = group_units(unique, {r for r in unique if exists(r)})
    report.findings.extend(found.findings)
    return found.units


def validate_workspace(
    ws: Workspace,
    paths: Sequence[Path] | None = None,
    *,
    schemas: SchemaSet | None = None,
    progress: ProgressHook | None = None,
) -> ValidationReport:
    """Validate every artifact of the workspace, or only those in ``paths``.

    Paths outside the artifact globs are skipped (pre-commit passes every
    staged file); paths outside the workspace are findings. Every problem is
    reported, not the first: load errors, schema violations, checksum
    mismatches and duplicate (id, version) pairs naming both files.
    """
    report = ValidationReport()
    if paths:
        units = _units_for_paths(ws, paths, report)
    else:
        found = discover(ws)
        report.findings.extend(found.findings)
        for rel, why in found.skipped.items():
            report.skip(rel, why)
        units = found.units
    report.units = units
    schemas = schemas or SchemaSet(ws.kind_schemas_dir)
    seen: dict[tuple[str, str], str] = {}
    for _unit, artifact, problems, _c, _m in check_units(ws.root, units, schemas, progress):
        report.checked += 1
        report.findings.extend(problems)
        if artifact is not None:
            key = (artifact.id, artifact.version)
            if key in seen:
                report.findings.append(duplicate_finding(artifact.source, artifact.id, artifact.version, seen[key]))
            else:
                seen[key] = artifact.source
                report.artifacts.append(artifact)
    report.findings = sort_findings(report.findings)
    log_findings(report.findings)
    log.info(
        "validation_completed",
        audit=True,
        outcome="ok" if report.ok else "findings",
        checked=report.checked,
        valid=len(report.artifacts),
        findings=len(report.findings),
        skipped=len(report.skipped),
    )
    return report
