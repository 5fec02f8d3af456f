"""Validation of a workspace's artifacts (``artigov validate``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from artigov.core.errors import PathEscapeError
from artigov.core.findings import Finding, sort_findings
from artigov.core.workspace import Workspace
from artigov.schema.codes import name_for
from artigov.schema.discovery import ArtifactUnit, discover, group_units, matches_any
from artigov.schema.errors import ArtifactLoadError
from artigov.schema.loader import SIDECAR_SUFFIXES, load_frontmatter_artifact, load_sidecar_artifact, sidecar_target
from artigov.schema.model import Artifact
from artigov.schema.validator import SchemaSet

__all__ = [
    "ValidationReport",
    "check_unit",
    "duplicate_finding",
    "load_unit",
    "log_findings",
    "validate_workspace",
]

log = structlog.get_logger(__name__)

#: Called with (done, total) after each artifact.
ProgressHook = Callable[[int, int], None]


@dataclass
class ValidationReport:
    """What ``validate`` found: checked files, valid artifacts, findings."""

    checked: int = 0
    artifacts: list[Artifact] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    units: list[ArtifactUnit] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "valid": len(self.artifacts),
            "skipped": self.skipped,
            "findings": [f.to_dict() for f in self.findings],
        }


def _finding(err: ArtifactLoadError) -> Finding:
    return Finding(
        code=err.code, name=name_for(err.code), file=err.file, line=err.line, message=err.problem, fix=err.fix or ""
    )


def load_unit(root: Path, unit: ArtifactUnit) -> Artifact:
    """Load one artifact unit (frontmatter or sidecar)."""
    if unit.meta_path is not None:
        return load_sidecar_artifact(root, unit.path, unit.meta_path)
    return load_frontmatter_artifact(root, unit.path)


def _expand_dirs(paths: Sequence[Path]) -> list[Path]:
    """Directories stand for every file below them (sorted, hidden names skipped)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(
                sorted(
                    f
                    for f in p.rglob("*")
                    if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts)
                )
            )
        else:
            out.append(p)
    return out


def check_unit(root: Path, unit: ArtifactUnit, schemas: SchemaSet) -> tuple[Artifact | None, list[Finding]]:
    """Load and check one artifact: the artifact if valid, and its findings."""
    try:
        artifact = load_unit(root, unit)
    except ArtifactLoadError as e:
        return None, [_finding(e)]
    problems = schemas.check(artifact)
    return (None if problems else artifact), problems


def duplicate_finding(source: str, id_: str, version: str, other: str) -> Finding:
    """S016 for the artifact declared in ``source``, whose (id, version) ``other`` also declares."""
    return Finding(
        "S016",
        source,
        f"id {id_!r} version {version!r} is also declared in {other}",
        fix="give one of the two a new version, or remove the copy",
        name=name_for("S016"),
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


def _units_for_paths(ws: Workspace, paths: Sequence[Path], report: ValidationReport) -> list[ArtifactUnit]:
    rels: list[str] = []
    for p in _expand_dirs(paths):
        try:
            rel = ws.rel(p)
        except PathEscapeError:
            report.findings.append(
                Finding(
                    "S019",
                    str(p),
                    f"is outside the workspace {ws.root}",
                    fix="pass paths inside the workspace",
                    name=name_for("S019"),
                )
            )
            continue
        if not matches_any(rel, ws.artifacts) or any(part.startswith(".") for part in rel.split("/")):
            report.skipped.append(rel)
            continue
        target = sidecar_target(rel)
        # A sidecar stands for the file it describes; an orphan stays itself, to be reported once.
        rels.append(target if target is not None and (ws.root / target).exists() else rel)
    # Every content file named (directly or through its sidecar) loads with its sidecars.
    names: set[str] = set()
    for rel in rels:
        names.add(rel)
        names.update(rel + suffix for suffix in SIDECAR_SUFFIXES if (ws.root / (rel + suffix)).is_file())
    unique = sorted(names, key=lambda r: r.encode("utf-8"))
    present = {r for r in unique if (ws.root / r).exists()}
    found = group_units(unique, present)
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
        units = found.units
    report.units = units
    schemas = schemas or SchemaSet(ws.kind_schemas_dir)
    seen: dict[tuple[str, str], str] = {}
    total = len(units)
    for i, unit in enumerate(units, start=1):
        report.checked += 1
        artifact, problems = check_unit(ws.root, unit, schemas)
        report.findings.extend(problems)
        if artifact is not None:
            key = (artifact.id, artifact.version)
            if key in seen:
                report.findings.append(duplicate_finding(artifact.source, artifact.id, artifact.version, seen[key]))
            else:
                seen[key] = artifact.source
                report.artifacts.append(artifact)
        if progress is not None:
            progress(i, total)
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
