"""``route check``: every conflict between routing map, command routing, contracts and files.

Each conflict is a :class:`Finding` with a stable code, the files and keys
involved and a one-line fix, sorted deterministically.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from artigov.core import (
    ArtigovError,
    ConfigError,
    Finding,
    PathEscapeError,
    Workspace,
    YamlSafetyError,
    get_logger,
    load_yaml,
    resolve_inside,
    sort_findings,
)
from artigov.router._maps import (
    FILENAME_PLACEHOLDERS,
    PLACEHOLDERS,
    SUBTREE,
    RoutingMap,
    RoutingMatrix,
    load_matrix,
    load_routing_map,
    placeholders,
    subtree_base,
)
from artigov.router._resolve import PlacementCache
from artigov.schema import Artifact, SchemaSet, check_unit, discover, sidecar_target

__all__ = ["Misplaced", "RouteReport", "check_routes", "contract_allowed_kinds", "placed_artifacts"]

log = get_logger(__name__)


@dataclass(frozen=True)
class Misplaced:
    """An artifact (and its sidecar) not at its canonical path."""

    path: str
    target: str
    meta_path: str | None = None


@dataclass
class RouteReport:
    """What ``route check`` found: the findings, the misplaced artifacts, how many were checked."""

    findings: list[Finding] = field(default_factory=list)
    misplaced: list[Misplaced] = field(default_factory=list)
    artifacts_checked: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not self.findings


@dataclass
class PlacementResult:
    """Placement findings of a set of artifacts (for a cache to keep: see :func:`check_placement`)."""

    findings: list[Finding] = field(default_factory=list)
    misplaced: list[Misplaced] = field(default_factory=list)
    checked: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON values (what the derived cache stores)."""
        return {
            "findings": [f.to_dict() for f in self.findings],
            "misplaced": [[m.path, m.target, m.meta_path] for m in self.misplaced],
            "checked": self.checked,
        }

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> PlacementResult:
        """The result :meth:`to_dict` gave."""
        return cls(
            [Finding(**f) for f in value["findings"]],
            [Misplaced(path, target, meta) for path, target, meta in value["misplaced"]],
            int(value["checked"]),
        )

    def without(self, paths: set[str]) -> PlacementResult:
        """The same, minus what concerns the artifacts at ``paths`` (a finding may name an
        artifact's sidecar: it goes too)."""
        kept = [m for m in self.misplaced if m.path not in paths]
        findings = [f for f in self.findings if f.file not in paths and sidecar_target(f.file) not in paths]
        return PlacementResult(findings, kept, self.checked)


def check_placement(
    ws: Workspace, entries: Mapping[str, Mapping[str, Any]] | Iterable[tuple[str, Mapping[str, Any]]]
) -> PlacementResult:
    """Only the placement of ``entries`` (index entries: path -> entry, or (path, entry) pairs as
    they are read), nothing logged."""
    report = RouteReport()
    pairs = entries.items() if isinstance(entries, Mapping) else entries
    items = ((p, e.get("meta"), e) for p, e in pairs)
    _check_artifacts(ws, load_routing_map(ws), items, report)
    return PlacementResult(report.findings, report.misplaced, report.artifacts_checked)


def _line_of(path: Path, needle: str) -> int | None:
    try:
        for i, text in enumerate(path.read_text("utf-8").splitlines(), start=1):
            if needle in text:
                return i
    except (OSError, UnicodeDecodeError):
        return None
    return None


def _segments(template: str, kind: str) -> list[str]:
    """Path segments with {kind} filled in; segments with other placeholders match anything."""
    filled = template.replace("{kind}", kind).strip("/")
    return [s for s in filled.split("/") if s not in ("", ".")]


def _subtree_last(template: str) -> bool:
    base, subtree = subtree_base(template)
    return subtree and SUBTREE not in placeholders(base)


def _compatible(a: str, b: str) -> bool:
    return "{" in a or "{" in b or a == b


def _overlap(a: list[str], b: list[str]) -> str | None:
    """'same' if the templates can name the same folder, 'nested' if one can be inside the other."""
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    if not all(_compatible(x, y) for x, y in zip(shorter, longer, strict=False)):
        return None
    return "same" if len(a) == len(b) else "nested"


def _escapes(template: str) -> bool:
    pure = PurePosixPath(template)
    return (
        template.startswith(("/", "\\"))
        or pure.is_absolute()
        or ".." in pure.parts
        or re.match(r"^[A-Za-z]:", template) is not None
    )


def _literal_prefix(template: str) -> str:
    out = []
    for seg in template.strip("/").split("/"):
        if "{" in seg:
            break
        out.append(seg)
    return "/".join(out)


def contract_allowed_kinds(ws: Workspace) -> set[str] | None:
    """Union of ``allowed_kinds`` over ``contracts/*.yaml``; None when there are no contracts."""
    folder = ws.contracts_dir
    files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")) if folder.is_dir() else []
    if not files:
        return None
    kinds: set[str] = set()
    for path in files:
        try:
            value = load_yaml(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(path, None, f"cannot read: {e}") from None
        except YamlSafetyError as e:
            raise ConfigError(path, None, e.message, fix=e.fix) from None
        allowed = value.get("allowed_kinds") if isinstance(value, dict) else None
        if not isinstance(allowed, list):
            raise ConfigError(path, "allowed_kinds", "missing or not a list", fix="list the kinds the framework allows")
        kinds.update(str(k) for k in allowed)
    return kinds


def _templates(ws: Workspace, routing: RoutingMap, matrix: RoutingMatrix) -> list[tuple[str, str, str, str, set[str]]]:
    """Every template of the map and the matrix: (file, key, template, kind, the placeholders allowed)."""
    map_rel = ws.rel(routing.path)
    matrix_rel = ws.rel(matrix.path)
    templates: list[tuple[str, str, str, str, set[str]]] = []
    for kind, route in routing.routes.items():
        templates.append((map_rel, f"routes.{kind}.dir", route.dir, kind, {*PLACEHOLDERS, SUBTREE}))
        if route.filename:
            templates.append((map_rel, f"routes.{kind}.filename", route.filename, kind, set(FILENAME_PLACEHOLDERS)))
    for cmd, produces in matrix.commands.items():
        for kind, directory in produces.items():
            templates.append((matrix_rel, f"commands.{cmd}.produces.{kind}", directory, kind, set(PLACEHOLDERS)))
    return templates


def _check_templates(ws: Workspace, routing: RoutingMap, matrix: RoutingMatrix) -> list[Finding]:
    findings: list[Finding] = []
    for file, key, template, kind, allowed in _templates(ws, routing, matrix):
        line = _line_of(ws.root / file, kind)
        try:
            unknown = sorted(set(placeholders(template)) - allowed)
        except ValueError as e:
            findings.append(
                Finding(
                    "R007",
                    file,
                    f"malformed template {template!r} ({e})",
                    "balance the braces: {framework}, {kind}, {id}",
                    line,
                    key,
                )
            )
            continue
        if unknown:
            findings.append(
                Finding(
                    "R007",
                    file,
                    f"unknown placeholder(s) {', '.join(unknown)} in {template!r}",
                    f"use only {', '.join(sorted(allowed))}",
                    line,
                    key,
                )
            )
        if SUBTREE in placeholders(template) and not (key.endswith(".dir") and _subtree_last(template)):
            findings.append(
                Finding(
                    "R007",
                    file,
                    f"{{path}} in {template!r} is not its last folder",
                    "use {path} only at the end of a route's dir (frameworks/{framework}/docs/{path})",
                    line,
                    key,
                )
            )
        if key.endswith(".filename"):
            if "/" in template or template in (".", ".."):
                findings.append(
                    Finding(
                        "R005",
                        file,
                        f"filename {template!r} must be a plain file name",
                        "remove '/' and '..' from the filename template",
                        line,
                        key,
                    )
                )
            continue
        if _escapes(template):
            findings.append(
                Finding(
                    "R005",
                    file,
                    f"{template!r} escapes the workspace",
                    "use a relative folder inside the workspace, without '..'",
                    line,
                    key,
                )
            )
            continue
        prefix = _literal_prefix(template)
        if prefix:
            try:
                resolve_inside(ws.root, prefix)
            except PathEscapeError:
                findings.append(
                    Finding(
                        "R005",
                        file,
                        f"{prefix!r} is a link that leads outside the workspace",
                        "replace the symlink with a real folder inside the workspace",
                        line,
                        key,
                    )
                )
    return findings


def _overlaps(routing: RoutingMap, map_rel: str, kinds: list[str]) -> list[Finding]:
    """R001 for each two kinds routed to the same folder, or one inside the other's."""
    findings: list[Finding] = []
    for i, a in enumerate(kinds):
        for b in kinds[i + 1 :]:
            ra, rb = routing.routes[a], routing.routes[b]
            overlap = _overlap(_segments(ra.dir, a), _segments(rb.dir, b))
            if overlap:
                owns = "{path}" in ra.dir or "{path}" in rb.dir  # one owns the subtree the other is in
                relation = "the same folder" if overlap == "same" and not owns else "nested folders"
                findings.append(
                    Finding(
                        "R001",
                        map_rel,
                        f"kinds {a!r} ({ra.dir}) and {b!r} ({rb.dir}) are routed to {relation}",
                        f"give {b!r} a folder of its own, beside (not inside) {a!r}'s",
                        _line_of(routing.path, f"{b}:"),
                        f"routes.{b}.dir",
                    )
                )
    return findings


def _check_pairs(ws: Workspace, routing: RoutingMap, matrix: RoutingMatrix, allowed: set[str] | None) -> list[Finding]:
    findings: list[Finding] = []
    map_rel = ws.rel(routing.path)
    matrix_rel = ws.rel(matrix.path)
    kinds = sorted(routing.routes)
    findings += _overlaps(routing, map_rel, kinds)
    for cmd, produces in matrix.commands.items():
        for kind, directory in produces.items():
            key = f"commands.{cmd}.produces.{kind}"
            line = _line_of(matrix.path, f'"{kind}"')
            route = routing.routes.get(kind)
            if route is None:
                findings.append(
                    Finding(
                        "R003",
                        matrix_rel,
                        f"command {cmd!r} produces kind {kind!r}, which has no route",
                        f"add a route for {kind!r} to {map_rel}",
                        line,
                        key,
                    )
                )
            elif directory.strip("/") not in (route.dir.strip("/"), subtree_base(route.dir)[0].strip("/")):
                findings.append(
                    Finding(
                        "R002",
                        matrix_rel,
                        f"command {cmd!r} writes {kind!r} to {directory!r} but its canonical folder is {route.dir!r}",
                        f"set {key} to {route.dir!r} (or change the route in {map_rel})",
                        line,
                        key,
                    )
                )
    if allowed is not None:
        for kind in kinds:
            if kind not in allowed:
                findings.append(
                    Finding(
                        "R004",
                        map_rel,
                        f"kind {kind!r} is routed but no contract allows it",
                        f"add {kind!r} to a contract's allowed_kinds, or remove the route",
                        _line_of(routing.path, f"{kind}:"),
                        f"routes.{kind}",
                    )
                )
    return findings


def placed_artifacts(ws: Workspace) -> list[Artifact]:
    """Every valid artifact of the workspace (invalid ones are `validate`'s business)."""
    schemas = SchemaSet(ws.kind_schemas_dir)
    out = []
    for unit in discover(ws).units:
        artifact, _ = check_unit(ws.root, unit, schemas)
        if artifact is not None:
            out.append(artifact)
    return out


#: One artifact to place: (content path, sidecar path or None, metadata with framework/kind/id/version).
Placed = tuple[str, str | None, Mapping[str, Any]]


def _check_artifacts(ws: Workspace, routing: RoutingMap, items: Iterable[Placed], report: RouteReport) -> None:
    targets = PlacementCache(routing)
    for path, meta_path, metadata in items:
        report.artifacts_checked += 1
        kind = str(metadata.get("kind", ""))
        if kind not in routing.routes:
            report.findings.append(
                Finding(
                    "R008",
                    meta_path or path,
                    f"kind {kind!r} has no route",
                    f"add a route for {kind!r} to {ws.rel(routing.path)}",
                    pointer="/kind",
                )
            )
            continue
        if targets.placed(path, metadata):
            continue  # where it belongs: nothing to build or resolve
        try:
            target = targets.target(path, metadata)
            if target != path:  # an artifact where it belongs was found inside the workspace
                resolve_inside(ws.root, target)
        except (KeyError, ValueError):
            continue  # the template itself is reported as R007
        except PathEscapeError:
            report.findings.append(
                Finding(
                    "R005",
                    meta_path or path,
                    f"its canonical path {target!r} escapes the workspace",
                    "fix the route's template or the artifact's metadata",
                )
            )
            continue
        except ArtigovError:
            continue
        if target != path:
            report.misplaced.append(Misplaced(path, target, meta_path))
            report.findings.append(
                Finding(
                    "R006",
                    path,
                    f"{kind!r} artifact is not in its canonical folder; it belongs at {target}",
                    f"move it there: `artigov route fix --apply` (or `git mv {path} {target}`)",
                )
            )


def check_routes(
    ws: Workspace,
    *,
    allowed_kinds: set[str] | None = None,
    artifacts: Iterable[Artifact] | None = None,
    entries: Mapping[str, Mapping[str, Any]] | None = None,
    known: PlacementResult | None = None,
) -> RouteReport:
    """Check routing map, command routing, contracts and artifact placement.

    Args:
        ws: the workspace.
        allowed_kinds: kinds the contracts allow (default: read from the contracts folder).
        artifacts: the artifacts to check placement of (default: every valid one).
        entries: instead of artifacts, a fresh index's entries (path -> entry): the same check
            from the kinds and ids the index holds, without reading any artifact.
        known: the placement of every other artifact, already known (kept from an earlier check
            of the same index and routing map); merged into the report.

    Raises:
        ConfigError: the routing map, matrix or a contract cannot be read or is invalid.
    """
    routing = load_routing_map(ws)
    matrix = load_matrix(ws)
    if allowed_kinds is None:
        allowed_kinds = contract_allowed_kinds(ws)
    report = RouteReport()
    report.findings.extend(_check_templates(ws, routing, matrix))
    report.findings.extend(_check_pairs(ws, routing, matrix, allowed_kinds))
    if entries is not None:
        items: Iterable[Placed] = ((p, e.get("meta"), e) for p, e in entries.items())  # findings are sorted below
    else:
        found = artifacts if artifacts is not None else placed_artifacts(ws)
        items = ((a.path, a.meta_path, a.metadata) for a in found)
    _check_artifacts(ws, routing, items, report)
    if known is not None:
        report.findings += known.findings
        report.misplaced += known.misplaced
        report.artifacts_checked += known.checked
    report.findings = sort_findings(report.findings)
    report.misplaced.sort(key=lambda m: m.path.encode("utf-8"))
    for f in report.findings:
        log.info("route_conflict", audit=True, subject=f.file, outcome="conflict", code=f.code, message=f.message)
    log.info("route_checked", audit=True, outcome="ok" if report.ok else "conflicts", conflicts=len(report.findings))
    return report
