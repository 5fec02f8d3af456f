"""``artigov adopt``: bring existing documents under artigov by proposing their metadata.

For every file under the artifact globs (or the named paths) that is not yet a valid artifact,
the metadata is proposed from what is already there, and only missing fields are added:

* ``kind``: the routing map run backwards: the folder a file sits in names its kind;
* ``id``: the file name, made valid for the id pattern (lower case, ``-`` for anything else),
  unique in the workspace (``-2``, ``-3``, … in path order), so the same tree gives the same ids;
* ``version``: a version at the end of the file name (``plan-1.2.0.md``), else ``0.1.0``; an
  existing ``version: 1.2`` (a YAML number) is kept as the text ``"1.2"``;
* ``status: draft``, ``framework``: the one given; ``title``: the first heading, else the name;
* ``created_at``: the date of the git commit that added the file (when it is committed);
* ``checksum``: the body's sha256.

Markdown files get the fields in their frontmatter: an existing block keeps every key, comment
and byte, new keys are appended to it (see :func:`artigov.schema.edit_metadata`); a file without one gets
a new block on top, its bytes below untouched. Anything else gets a sidecar ``X.meta.yaml``.
Every proposal is proved before it is offered: the new bytes load, give exactly the intended
metadata and checksum, and pass the schemas. What cannot be adopted (no route matches its
folder, an existing field the schema refuses, a kind field only its author can fill in) is
listed with the fix. Nothing is written without ``apply``; with it each file is written
atomically and the index is updated.
"""

from __future__ import annotations

import re
import subprocess
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artigov.core import Workspace

__all__ = ["AdoptReport", "Proposal", "Unplaced", "adopt"]

_MARKDOWN = (".md", ".markdown", ".mdx")
_VERSION_TAIL = re.compile(r"^(?P<stem>.*?)[-_ ]v?(?P<version>[0-9]+(?:\.[0-9]+){1,3})$")
_HEADING = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_GIT_LOG = ("git", "-c", "core.quotepath=off", "log", "--reverse", "--no-renames", "--diff-filter=A")
_ORDER = ("id", "version", "status", "framework", "kind", "title", "created_at", "checksum")


@dataclass(frozen=True)
class Proposal:
    """What adopting one file writes."""

    path: str
    written: str  # the file written: the document itself, or its new sidecar
    kind: str
    id: str
    version: str
    added: dict[str, Any]
    fixed: dict[str, Any]
    data: bytes
    new_file: bool

    def to_dict(self) -> dict[str, Any]:
        """The proposal as JSON values (``artigov adopt --format json``)."""
        return {
            "path": self.path,
            "written": self.written,
            "kind": self.kind,
            "id": self.id,
            "version": self.version,
            "added": sorted(self.added),
            "fixed": sorted(self.fixed),
            "sidecar": self.new_file,
        }


@dataclass(frozen=True)
class Unplaced:
    """A file adopt cannot place: why, and what to do."""

    path: str
    reason: str
    fix: str

    def to_dict(self) -> dict[str, str]:
        """The entry as JSON values."""
        return {"path": self.path, "reason": self.reason, "fix": self.fix}


@dataclass
class AdoptReport:
    """What ``adopt`` proposes (or wrote, with ``--apply``) for one framework."""

    framework: str
    proposals: list[Proposal] = field(default_factory=list)
    unplaced: list[Unplaced] = field(default_factory=list)
    already: int = 0
    applied: bool = False
    index_digest: str | None = None

    @property
    def ok(self) -> bool:
        """True when every file was placed."""
        return not self.unplaced

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON values."""
        return {
            "framework": self.framework,
            "ok": self.ok,
            "applied": self.applied,
            "already_artifacts": self.already,
            "proposals": [p.to_dict() for p in self.proposals],
            "unplaced": [u.to_dict() for u in self.unplaced],
            "index_digest": self.index_digest,
        }


def _route_patterns(ws: Workspace, framework: str) -> list[tuple[str, re.Pattern[str]]]:
    """(kind, pattern of its folder) for every route, with ``{framework}`` set to ``framework``."""
    from artigov.router import PLACEHOLDER, load_routing_map

    routing = load_routing_map(ws)
    out = []
    for kind, route in sorted(routing.routes.items()):
        parts, last = [], 0
        for m in PLACEHOLDER.finditer(route.dir):
            parts.append(re.escape(route.dir[last : m.start()]))
            name = m.group(1)
            parts.append(
                re.escape(framework) if name == "framework" else re.escape(kind) if name == "kind" else "[^/]+"
            )
            last = m.end()
        parts.append(re.escape(route.dir[last:]))
        out.append((kind, re.compile("".join(parts).strip("/"))))
    return out


def _kind_of(folder: str, patterns: list[tuple[str, re.Pattern[str]]]) -> list[str]:
    return [kind for kind, pattern in patterns if pattern.fullmatch(folder)]


def _id_and_version(name: str) -> tuple[str, str | None]:
    stem = name
    for suffix in (*_MARKDOWN, ".meta.yaml"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    else:
        stem = stem.rsplit(".", 1)[0] if "." in stem.strip(".") else stem
    version = None
    m = _VERSION_TAIL.match(stem)
    if m and m.group("stem"):
        stem, version = m.group("stem"), m.group("version")
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")  # Überblick: uberblick
    ident = re.sub(r"[^a-z0-9_.]+", "-", ascii_stem.lower()).strip("-.") or "document"
    return ident, version


def _title(text: str, fallback: str) -> str:
    m = _HEADING.search(text)
    return m.group(1).strip() if m else fallback


def _git_added(ws: Workspace) -> dict[str, str]:
    """Workspace-relative path -> UTC time of the commit that added it (one ``git log`` for all)."""
    from datetime import UTC, datetime

    try:
        out = subprocess.run(
            [*_GIT_LOG, "--relative", "--name-only", "--format=%x01%aI"],
            cwd=ws.root,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
    except (OSError, subprocess.SubprocessError):
        return {}
    if out.returncode != 0:
        return {}
    added: dict[str, str] = {}
    when = ""
    for line in out.stdout.splitlines():
        if line.startswith("\x01"):
            stamp = datetime.fromisoformat(line[1:])
            when = stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        elif line and line not in added:
            added[line] = when
    return added


class _Ids:
    """(id, version) pairs taken, so every proposed id is unique; suffixes in path order."""

    def __init__(self, taken: set[tuple[str, str]]) -> None:
        self.taken = taken

    def claim(self, ident: str, version: str) -> str:
        candidate, n = ident, 1
        while (candidate, version) in self.taken:
            n += 1
            candidate = f"{ident}-{n}"
        self.taken.add((candidate, version))
        return candidate


def adopt(ws: Workspace, framework: str, paths: list[Path] | None = None, *, apply: bool = False) -> AdoptReport:
    """Propose (and with ``apply``, write) metadata for the files that are not artifacts yet."""
    from artigov.core import check_framework_name, get_logger
    from artigov.schema import SchemaSet, validate_workspace

    check_framework_name(framework)
    report = AdoptReport(framework)
    checked = validate_workspace(ws, paths or None)
    valid = {a.source for a in checked.artifacts} | {a.path for a in checked.artifacts}
    ids = _Ids({(a.id, a.version) for a in checked.artifacts})
    report.already = len(checked.artifacts)
    patterns = _route_patterns(ws, framework)
    schemas = SchemaSet(ws.kind_schemas_dir)
    added_at = _git_added(ws)
    for f in checked.findings:  # where artifacts are, but never read: a file adopt cannot take either
        if f.code in ("S019", "S021"):
            report.unplaced.append(Unplaced(f.file, f"{f.code} {f.message}", f.fix))
    for unit in checked.units:
        if unit.path in valid:
            continue
        source = _read(ws, unit.path, unit.meta_path)
        outcome = (
            source
            if isinstance(source, Unplaced)
            else _propose(ws, framework, source, patterns, schemas, ids, added_at)
        )
        (report.proposals if isinstance(outcome, Proposal) else report.unplaced).append(outcome)  # type: ignore[arg-type]
    if apply:
        _apply(ws, report)
    get_logger(__name__).info(
        "artifacts_adopted" if apply else "adoption_proposed",
        audit=True,
        framework=framework,
        subject=framework,
        outcome="applied" if apply else "dry-run",
        adopted=[{"path": p.path, "kind": p.kind, "id": p.id, "version": p.version} for p in report.proposals],
        unplaced=[u.path for u in report.unplaced],
        already=report.already,
    )
    return report


def _apply(ws: Workspace, report: AdoptReport) -> None:
    from artigov.core import write_atomic, write_new
    from artigov.index import rebuild, update

    report.applied = True
    if not report.proposals:
        return  # nothing to write: the index is left as it is
    for p in report.proposals:
        target = ws.root / p.written
        if p.new_file:
            write_new(target, p.data)  # a sidecar: never over a file that appeared meanwhile
        else:
            write_atomic(target, p.data, lock=False)
    result = update(ws) if ws.index_path.is_file() else rebuild(ws)
    report.index_digest = result.digest


@dataclass(frozen=True)
class _Source:
    """A file as adopt found it: its metadata so far (none without frontmatter or sidecar)."""

    path: str
    meta_path: str | None
    #: the loaded artifact, when it already has metadata
    artifact: Any
    #: whether its metadata lives (or will live) in a sidecar
    sidecar: bool
    existing: dict[str, Any]
    checksum: str
    #: its text, for a title ("" for sidecar artifacts)
    text: str


def _read(ws: Workspace, path: str, meta_path: str | None) -> _Source | Unplaced:
    """Load ``path`` as it is: with its sidecar, its frontmatter, or none yet."""
    from artigov.core import digest_bytes, digest_file
    from artigov.schema import ArtifactLoadError, load_frontmatter_artifact, load_sidecar_artifact, read_source

    name = path.rpartition("/")[2]
    sidecar = meta_path is not None or not name.lower().endswith(_MARKDOWN)
    try:
        if meta_path is not None:
            artifact = load_sidecar_artifact(ws.root, path, meta_path)
            return _Source(path, meta_path, artifact, True, dict(artifact.metadata), artifact.checksum, "")
        if sidecar:
            return _Source(path, None, None, True, {}, digest_file(ws.root / path), "")
        data = read_source(ws.root, path)
        try:
            artifact = load_frontmatter_artifact(ws.root, path, data=data)
        except ArtifactLoadError as e:
            if e.code != "S005":
                raise
            return _Source(path, None, None, False, {}, digest_bytes(data), data.decode("utf-8"))
        return _Source(path, None, artifact, False, dict(artifact.metadata), artifact.checksum, data.decode("utf-8"))
    except ArtifactLoadError as e:
        return Unplaced(path, f"{e.code} {e.problem}", e.fix or "fix the file, then adopt it again")


def _propose(
    ws: Workspace,
    framework: str,
    source: _Source,
    patterns: list[tuple[str, re.Pattern[str]]],
    schemas: Any,
    ids: _Ids,
    added_at: dict[str, str],
) -> Proposal | Unplaced:
    """The metadata a file lacks (never overwriting what it has), proved by loading the result."""
    path, existing = source.path, source.existing
    folder, _, name = path.rpartition("/")
    kinds = [existing["kind"]] if isinstance(existing.get("kind"), str) else _kind_of(folder, patterns)
    if len(kinds) != 1:
        why = "no route's folder matches" if not kinds else f"several routes match ({', '.join(kinds)})"
        return Unplaced(
            path,
            f"{why} {folder or '.'}/ for framework {framework}",
            "add a route for this folder to the routing map, or move the file into its kind's folder "
            "(artigov route fix --apply moves artifacts that have a kind)",
        )
    kind = kinds[0]
    ident, named_version = _id_and_version(name)
    fixed: dict[str, Any] = {
        key: str(existing[key])  # `version: 1.2` is the number 1.2: keep it as the text "1.2"
        for key in ("id", "version")
        if key in existing and not isinstance(existing[key], str) and isinstance(existing[key], (int, float))
    }
    version = str(existing.get("version", named_version or "0.1.0"))
    if "id" in existing:
        ids.taken.add((str(existing["id"]), version))
    defaults: dict[str, Callable[[], Any]] = {
        "id": lambda: ids.claim(ident, version),
        "version": lambda: version,
        "status": lambda: "draft",
        "framework": lambda: framework,
        "kind": lambda: kind,
        "title": lambda: _title(source.text, ident),
        "checksum": lambda: source.checksum,
    }
    if path in added_at:
        defaults["created_at"] = lambda: added_at[path]
    added = {k: defaults[k]() for k in _ORDER if k in defaults and k not in existing}
    return _prove(ws, source, added, fixed, kind, schemas)


def _prove(
    ws: Workspace, source: _Source, added: dict[str, Any], fixed: dict[str, Any], kind: str, schemas: Any
) -> Proposal | Unplaced:
    """The new bytes, loaded again and checked against the schemas: offered only if they pass."""
    from artigov.schema import (
        ArtifactLoadError,
        EditError,
        edit_metadata,
        load_frontmatter_artifact,
        load_sidecar_artifact,
        read_source,
        render_fields,
    )

    path, meta_path, artifact, existing = source.path, source.meta_path, source.artifact, source.existing
    updates = {**fixed, **added}
    try:
        if artifact is not None:
            written, data = edit_metadata(ws.root, artifact, updates)
            new_file = False
        elif source.sidecar:
            written, new_file = f"{path}.meta.yaml", True
            if (ws.root / written).exists():
                return Unplaced(path, f"{written} exists but is not its sidecar", "remove or rename it")
            data = render_fields(added).encode("utf-8")
        else:
            written, new_file = path, False
            data = b"---\n" + render_fields(added).encode("utf-8") + b"---\n" + read_source(ws.root, path)
        if written.endswith(".meta.yaml") or meta_path:
            check = load_sidecar_artifact(ws.root, path, written, meta_data=data)
        else:
            check = load_frontmatter_artifact(ws.root, path, data=data)
    except (EditError, ArtifactLoadError) as e:
        return Unplaced(path, f"{e.code} {e.problem}", e.fix or "add the metadata by hand")
    problems = schemas.check(check)
    if check.metadata != {**existing, **updates} or problems:
        first = problems[0] if problems else None
        why = (
            f"{first.code} {first.pointer} {first.message}" if first else "the new metadata would not load as intended"
        )
        fix = first.fix if first else "add the metadata by hand"
        if first and "is a required property" in first.message:
            fix = f"this {kind!r} needs a field only its author can fill in: {first.fix}; then adopt it again"
        return Unplaced(path, why, fix)
    return Proposal(path, written, kind, check.id, check.version, added, fixed, data, new_file)
