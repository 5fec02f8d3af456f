"""``artigov adopt``: bring existing documents under artigov by proposing their metadata.

For every file under the artifact globs (or the named paths) that is not yet a valid artifact,
the metadata is proposed from what is already there, and only missing fields are added:

* ``kind``: the routing map run backwards: the folder a file sits in names its kind;
* ``id``: the file name, made valid for the id pattern (lower case, ``-`` for anything else); a
  folder's page (``_index.md``, ``README.md``) takes the folder's name; unique in the workspace
  (the folders above it first: ``guides-install``; then ``-2``, ``-3``, in path order), so the
  same tree gives the same ids;
* ``version``: a version at the end of the file name (``plan-1.2.0.md``, ``notes-v2.1.md``; not
  ``gpl-2.0.md``, whose two parts are its name), else ``0.1.0``;
* ``status: draft``, ``framework``: the one given; ``title``: the first heading, else the name;
* ``created_at``: the date of the git commit that added the file (when it is committed);
* ``checksum``: the body's sha256.

A document's own key with one of those names (``framework: Gatsby`` in an Astro guide,
``version: 3.0`` in a Jekyll page) is never silently read as artigov's
(:func:`artigov.onboard.adopt_rules.conflicts_of`): the dry run lists each, and ``--apply`` refuses until
the user picks ``rename`` (the author's key kept as ``source_KEY``) or ``take`` (the author's value
used, as the TEXT written: ``1.10`` stays ``"1.10"``).

Markdown files get the fields in their frontmatter: an existing block keeps every key, comment
and byte, new keys are appended to it with the file's own line breaks (see
:func:`artigov.schema.edit_metadata`); an empty block is filled; a file without one gets a new
block on top (after a byte-order mark), its bytes below untouched. A file whose frontmatter is
TOML (``+++``) or JSON (``{``), and anything not Markdown, gets a sidecar ``X.meta.yaml``: its own
bytes are never changed. Files git ignores, a site's configuration, fonts and hidden files are
skipped and listed (:func:`artigov.onboard.adopt_rules.skipped`).
Every proposal is proved before it is offered: the new bytes load, give exactly the intended
metadata and checksum, and pass the schemas. What cannot be adopted (no route matches its
folder, an existing field the schema refuses, a kind field only its author can fill in) is
listed with the fix. Nothing is written without ``apply``; with it each file is written
atomically and the index is updated.
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artigov.core import ArtigovError, Workspace
from artigov.onboard.adopt_routes import KindFolders, subtree_routes, write_routes
from artigov.onboard.adopt_rules import (
    CONFLICT_POLICIES,
    RESERVED,
    AdoptOptions,
    Conflict,
    Entry,
    Ids,
    conflicts_of,
    id_and_version,
    scalar_texts,
    skipped,
)

__all__ = ["AdoptOptions", "AdoptReport", "Proposal", "Skipped", "Unplaced", "adopt"]

_MARKDOWN = (".md", ".markdown", ".mdx")
_HEADING = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_GIT_LOG = ("git", "-c", "core.quotepath=off", "log", "--reverse", "--no-renames", "--diff-filter=A")
_ORDER = ("id", "version", "status", "framework", "kind", "title", "created_at", "checksum")
_BOM = b"\xef\xbb\xbf"
_OPEN = re.compile(rb"\A(?:\xef\xbb\xbf)?---[ \t]*(?:\r\n|\r|\n)")
_TOML_BLOCK = re.compile(rb"\A(?:\xef\xbb\xbf)?\+\+\+[ \t]*(?:\r\n|\r|\n)(.*?)(?<=[\r\n])\+\+\+", re.DOTALL)


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
    #: the document's own keys that mean something else (listed; resolved by ``--conflicts``)
    conflicts: tuple[Conflict, ...] = ()
    #: the author's keys kept under another name (``--conflicts rename``)
    renamed: dict[str, str] = field(default_factory=dict)
    #: why a Markdown file gets a sidecar (TOML or JSON frontmatter), "" otherwise
    why_sidecar: str = ""

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
            "conflicts": [c.to_dict() for c in self.conflicts],
            "renamed": dict(sorted(self.renamed.items())),
        }


@dataclass(frozen=True)
class Unplaced(Entry):
    """A file adopt cannot place: why, and what to do."""

    path: str
    reason: str
    fix: str


@dataclass(frozen=True)
class Skipped(Entry):
    """A file adopt leaves alone on purpose, why, and the ``exclude`` glob ``--apply`` records
    ("" where discovery passes it by itself)."""

    path: str
    reason: str
    exclude: str


@dataclass
class AdoptReport:
    """What ``adopt`` proposes (or wrote, with ``--apply``) for one framework."""

    framework: str
    proposals: list[Proposal] = field(default_factory=list)
    unplaced: list[Unplaced] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    already: int = 0
    applied: bool = False
    index_digest: str | None = None
    policy: str | None = None
    #: kind -> its route's new folder template: the kind owns the nested folders below (``/{path}``)
    routes: dict[str, str] = field(default_factory=dict)

    @property
    def unresolved(self) -> list[Proposal]:
        """Proposals with keys that mean something else, while no ``--conflicts`` policy is chosen."""
        return [] if self.policy else [p for p in self.proposals if p.conflicts]

    @property
    def ok(self) -> bool:
        """True when every file was placed and no conflict waits for a choice."""
        return not self.unplaced and not self.unresolved

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON values."""
        return {
            "framework": self.framework,
            "ok": self.ok,
            "applied": self.applied,
            "conflicts_policy": self.policy,
            "already_artifacts": self.already,
            "proposals": [p.to_dict() for p in self.proposals],
            "unplaced": [u.to_dict() for u in self.unplaced],
            "skipped": [k.to_dict() for k in self.skipped],
            "routes": dict(sorted(self.routes.items())),
            "unresolved_conflicts": [p.path for p in self.unresolved],
            "index_digest": self.index_digest,
        }


def _folder(path: str) -> str:
    return path.rpartition("/")[0]


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


def adopt(
    ws: Workspace,
    framework: str,
    paths: list[Path] | None = None,
    *,
    options: AdoptOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> AdoptReport:
    """Propose (and with ``options.apply``, write) metadata for the files that are not artifacts yet.
    ``progress`` is called with (done, total) as files are read, then proposed (each counts twice).

    Raises:
        ArtigovError: ``options.apply`` while some document has keys that mean something else and
            ``options.conflicts`` chooses nothing (nothing is written), or an unknown policy.
    """
    from artigov.core import check_framework_name
    from artigov.schema import SchemaSet

    options = options or AdoptOptions()
    apply = options.apply
    check_framework_name(framework)
    _check_policy(options)
    report = AdoptReport(framework, policy=options.conflicts)
    schemas = SchemaSet(ws.kind_schemas_dir)
    ticks = _Ticks(progress)
    checked = _scan(ws, paths, schemas, ticks)
    ids = Ids({(a.id, a.version) for a in checked.valid})
    report.already = len(checked.valid)
    todo = checked.todo
    leave = skipped(str(ws.root), [u.path for u in todo], options)
    folders = KindFolders(ws, framework)
    report.routes = subtree_routes(
        folders, [_folder(u.path) for u in todo if u.path not in leave and not folders.kinds_of(_folder(u.path))]
    )
    if report.routes:
        folders = KindFolders(ws, framework, report.routes)
    context = _Context(ws, framework, folders, schemas, ids, _git_added(ws), options)
    _list_skipped(report, checked, leave)
    ticks.done = ticks.total - len(todo)  # the valid files are done: only the rest are proposed
    for unit in todo:
        ticks.step()
        if unit.path in leave:
            continue
        source = _read(ws, unit.path, unit.meta_path, checked.loaded.get(unit.path))
        outcome = source if isinstance(source, Unplaced) else _propose(context, source)
        (report.proposals if isinstance(outcome, Proposal) else report.unplaced).append(outcome)  # type: ignore[arg-type]
    if apply:
        _refuse_unresolved(report)
        _apply(ws, report)
    _log(report, apply)
    return report


def _check_policy(options: AdoptOptions) -> None:
    if options.conflicts not in (None, *CONFLICT_POLICIES):
        raise ArtigovError(
            f"unknown --conflicts {options.conflicts!r}",
            fix=" or ".join(f"--conflicts {policy}" for policy in CONFLICT_POLICIES),
        )


def _list_skipped(report: AdoptReport, checked: _Scanned, leave: dict[str, Any]) -> None:
    """Everything adopt leaves alone, listed in ``report`` (never silently): what the skip rules
    left, FIFOs and links out of the workspace (excluded), links discovery passed by; a name with a
    line break or bytes that are not UTF-8, which no glob can name, is listed as unplaced, to fix."""
    from artigov.schema import unnameable

    special = []
    for f in checked.findings:
        if f.code in ("S019", "S021") and not unnameable(f):
            special.append(Skipped(f.file, f"{f.code} {f.message}", f.file))
        elif f.code in ("S019", "S021", "S022"):  # S022: a folder adopt cannot list, to fix
            report.unplaced.append(Unplaced(f.file, f"{f.code} {f.message}", f.fix))
    links = [Skipped(path, why, "") for path, why in checked.skipped.items()]
    found = [Skipped(path, why.reason, why.glob) for path, why in leave.items()]
    report.skipped = sorted([*found, *special, *links], key=lambda k: k.path)


def _log(report: AdoptReport, apply: bool) -> None:
    """The audit event of one adopt run (a dry run too)."""
    from artigov.core import get_logger

    get_logger(__name__).info(
        "artifacts_adopted" if apply else "adoption_proposed",
        audit=True,
        framework=report.framework,
        subject=report.framework,
        outcome="applied" if apply else "dry-run",
        adopted=[{"path": p.path, "kind": p.kind, "id": p.id, "version": p.version} for p in report.proposals],
        unplaced=[u.path for u in report.unplaced],
        skipped=[k.path for k in report.skipped],
        conflicts={p.path: [c.key for c in p.conflicts] for p in report.proposals if p.conflicts},
        conflicts_policy=report.policy,
        already=report.already,
    )


@dataclass
class _Scanned:
    """The files under the globs (or ``paths``): the valid artifacts, the rest, and what loaded."""

    valid: list[Any] = field(default_factory=list)
    todo: list[Any] = field(default_factory=list)
    findings: list[Any] = field(default_factory=list)
    #: path -> the artifact its frontmatter loaded to (valid or not), read once for the whole run
    loaded: dict[str, Any] = field(default_factory=dict)
    #: path -> why discovery passed it by (a symlink to a file inside the workspace)
    skipped: dict[str, str] = field(default_factory=dict)


class _Ticks:
    """(done, total) to a progress callback, at most every 64 files and at the end."""

    def __init__(self, progress: Callable[[int, int], None] | None) -> None:
        self.progress, self.done, self.total = progress, 0, 0

    def step(self) -> None:
        self.done += 1
        if self.progress is not None and (self.done % 64 == 0 or self.done == self.total):
            self.progress(self.done, self.total)


def _scan(ws: Workspace, paths: list[Path] | None, schemas: Any, ticks: _Ticks) -> _Scanned:
    """Which files are artifacts already, each loaded once. A file without every required field is
    not one: it is never schema-checked (an explanation per missing field costs more than the rest)."""
    from artigov.schema import ArtifactLoadError, base_schema, discover, load_unit, validate_workspace

    out = _Scanned()
    if paths:  # named files: validate's own rules for paths (outside the globs, sidecars)
        checked = validate_workspace(ws, paths)
        valid = {a.source for a in checked.artifacts} | {a.path for a in checked.artifacts}
        out.valid, out.findings = list(checked.artifacts), list(checked.findings)
        reasons = checked.skipped_reasons.items()
        out.skipped = {p: why for p, why in reasons if not why.startswith("outside the artifact")}
        out.todo = [u for u in checked.units if u.path not in valid]
        ticks.total = ticks.done = len(checked.units)
        ticks.total += len(out.todo)
        return out
    required = frozenset(base_schema()["required"])  # without every one, a file cannot be an artifact
    found = discover(ws)
    out.findings = list(found.findings)
    out.skipped = dict(found.skipped)
    seen: set[tuple[str, str]] = set()
    ticks.total = 2 * len(found.units)
    for unit in found.units:
        ticks.step()
        try:
            artifact = load_unit(ws.root, unit)
        except ArtifactLoadError:
            out.todo.append(unit)
            continue
        key = (str(artifact.metadata.get("id")), str(artifact.metadata.get("version")))
        if artifact.metadata.keys() >= required and key not in seen and not schemas.check(artifact):
            seen.add(key)
            out.valid.append(artifact)
            continue
        out.todo.append(unit)
        out.loaded[unit.path] = artifact
    return out


def _refuse_unresolved(report: AdoptReport) -> None:
    waiting = report.unresolved
    if waiting:
        keys = sorted({c.key for p in waiting for c in p.conflicts})
        raise ArtigovError(
            f"{len(waiting)} document(s) have their own {', '.join(keys)} keys, which mean something else than "
            f"artigov's (first: {waiting[0].path}: "
            + ", ".join(f"{c.key}: {c.theirs}" for c in waiting[0].conflicts)
            + "); nothing was written",
            fix="see them in the dry run (artigov adopt -f FRAMEWORK), then pass --conflicts rename (keep the "
            "author's as source_KEY; --rename-prefix to choose) or --conflicts take (use the author's values)",
        )


def _apply(ws: Workspace, report: AdoptReport) -> None:
    from artigov.core import write_batch, write_new
    from artigov.index import rebuild, update

    report.applied = True
    if report.routes:
        write_routes(ws, ws.routing_map, report.routes)
    if report.skipped:
        ws = _exclude(ws, sorted({k.exclude for k in report.skipped if k.exclude}))
    if not report.proposals and not report.skipped and not report.routes:
        return  # nothing to write: the index is left as it is
    for p in report.proposals:
        if p.new_file:
            write_new(ws.root / p.written, p.data)  # a sidecar: never over a file that appeared meanwhile
    # Each edited file replaced atomically, all made durable by one sync (the batch seam).
    write_batch([(ws.root / p.written, p.data) for p in report.proposals if not p.new_file])
    result = update(ws) if ws.index_path.is_file() else rebuild(ws)
    report.index_digest = result.digest


def _exclude(ws: Workspace, globs: list[str]) -> Workspace:
    """``artigov.yaml`` with ``globs`` added to ``exclude`` (its other lines kept byte for byte), so
    ``validate``, the index and ``status`` leave what adopt skipped alone too: the workspace reloaded."""
    from artigov.core import load_workspace, write_atomic
    from artigov.schema import edit_yaml_text

    wanted = sorted({*ws.exclude, *globs})
    if list(ws.exclude) == wanted:
        return ws
    text = ws.config_path.read_text("utf-8") if ws.config_path.is_file() else ""
    write_atomic(ws.config_path, edit_yaml_text(text, {"exclude": wanted}).encode("utf-8"), lock=False)
    return load_workspace(ws.root)


@dataclass(frozen=True)
class _Context:
    """What every proposal of one run is made with."""

    ws: Workspace
    framework: str
    folders: KindFolders
    schemas: Any
    ids: Ids
    added_at: dict[str, str]
    options: AdoptOptions


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
    #: each existing key's value as written (``1.10``, not the number 1.1)
    written: dict[str, str] = field(default_factory=dict)
    #: "" (frontmatter or none), "empty" (an empty ``---`` block to fill), or why it gets a sidecar
    shape: str = ""


def _written(meta_text: str, metadata: dict[str, Any]) -> dict[str, str]:
    """The values as written, only where a reserved key could conflict (composing YAML costs)."""
    return scalar_texts(meta_text) if any(key in metadata for key in RESERVED) else {}


def _read(ws: Workspace, path: str, meta_path: str | None, loaded: Any = None) -> _Source | Unplaced:
    """Load ``path`` as it is (``loaded``: as the scan already did): with its sidecar, its
    frontmatter, or none yet."""
    from artigov.core import digest_bytes, digest_file
    from artigov.schema import ArtifactLoadError, load_frontmatter_artifact, load_sidecar_artifact, read_source

    name = path.rpartition("/")[2]
    sidecar = meta_path is not None or not name.lower().endswith(_MARKDOWN)
    try:
        if meta_path is not None:
            artifact = loaded or load_sidecar_artifact(ws.root, path, meta_path)
            meta = read_source(ws.root, meta_path, sidecar=True).decode("utf-8", "replace")
            written = _written(meta, artifact.metadata)
            return _Source(path, meta_path, artifact, True, dict(artifact.metadata), artifact.checksum, "", written)
        if sidecar:
            return _Source(path, None, None, True, {}, digest_file(ws.root / path), "")
        data = read_source(ws.root, path)
        try:
            artifact = loaded or load_frontmatter_artifact(ws.root, path, data=data)
        except ArtifactLoadError as e:
            body = data[len(_BOM) :] if data.startswith(_BOM) else data  # a new block goes after the mark
            return _without_metadata(e, path, data, digest_bytes(body))
        written = _written(artifact.meta_text or "", artifact.metadata)
        text = data.decode("utf-8")
        return _Source(path, None, artifact, False, dict(artifact.metadata), artifact.checksum, text, written)
    except ArtifactLoadError as e:
        return Unplaced(path, f"{e.code} {e.problem}", e.fix or "fix the file, then adopt it again")


def _without_metadata(e: Exception, path: str, data: bytes, whole: str) -> _Source:
    """A Markdown file with no YAML metadata adopt can edit: no frontmatter (a block goes on top), an
    empty block (filled), or TOML/JSON frontmatter (a sidecar: its bytes are never changed).

    Raises:
        ArtifactLoadError: ``e`` again, for anything else.
    """
    from artigov.schema import EmptyMetadataError

    code = getattr(e, "code", "")
    text = data.decode("utf-8")
    if code == "S020":  # TOML frontmatter (+++): described by a sidecar
        return _Source(path, None, None, True, {}, whole, _toml_title(data), shape="TOML frontmatter kept")
    if code == "S005" and text.lstrip("\ufeff \t\r\n").startswith("{"):
        return _Source(path, None, None, True, {}, whole, _json_title(text), shape="JSON frontmatter kept")
    if code == "S005":
        return _Source(path, None, None, False, {}, whole, text)
    if isinstance(e, EmptyMetadataError):
        return _Source(path, None, None, False, {}, _after_empty_block(data), text, shape="empty")
    raise e


def _toml_title(data: bytes) -> str:
    m = _TOML_BLOCK.match(data)
    try:
        title = tomllib.loads(m.group(1).decode("utf-8")).get("title") if m else None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        title = None
    return f"# {title}" if isinstance(title, str) and title.strip() else data.decode("utf-8", "replace")


def _json_title(text: str) -> str:
    try:
        value, _ = json.JSONDecoder().raw_decode(text.lstrip("\ufeff \t\r\n"))
    except ValueError:
        return text
    title = value.get("title") if isinstance(value, dict) else None
    return f"# {title}" if isinstance(title, str) and title.strip() else text


def _after_empty_block(data: bytes) -> str:
    """The checksum of the body after an empty ``---`` block (the loader's rule: after its closing line)."""
    from artigov.core import digest_bytes

    closing = re.compile(rb"(?<=[\r\n])(?:---|\.\.\.)[ \t]*(?:\r\n|\r|\n|\Z)")
    opening = _OPEN.match(data)
    end = closing.search(data, opening.end() if opening else 0)
    return digest_bytes(data[end.end() :] if end else data)


def _propose(ctx: _Context, source: _Source) -> Proposal | Unplaced:
    """The metadata a file lacks (never overwriting what it has), proved by loading the result."""
    path, existing = source.path, source.existing
    folder, _, name = path.rpartition("/")
    routed = ctx.folders.kinds_of(folder)
    kinds = routed or ([existing["kind"]] if isinstance(existing.get("kind"), str) else [])
    if len(kinds) != 1:
        why = "no route's folder matches" if not kinds else f"several routes match ({', '.join(kinds)})"
        return Unplaced(
            path,
            f"{why} {folder or '.'}/ for framework {ctx.framework}",
            "add a route for this folder to the routing map, or move the file into its kind's folder "
            "(artigov route fix --apply moves artifacts that have a kind)",
        )
    kind = kinds[0]
    ident, named_version, parents = id_and_version(name, folder)
    derived = {
        "id": ident,
        "version": named_version or "0.1.0",
        "status": "draft",
        "framework": ctx.framework,
        "kind": kind,
        "checksum": source.checksum,
    }
    conflicts = conflicts_of(existing, derived, ctx.framework, source.written)
    policy = ctx.options.conflicts or "rename"  # no choice yet: shown as rename would write it
    renamed = {c.key: ctx.options.rename_prefix + c.key for c in conflicts} if policy == "rename" else {}
    clash = next((new for new in renamed.values() if new in existing), None)
    if clash:
        return Unplaced(
            path,
            f"cannot keep the author's {clash[len(ctx.options.rename_prefix) :]} as {clash}: it has that key too",
            "choose another prefix: --rename-prefix PREFIX",
        )
    kept = {k: v for k, v in existing.items() if k not in renamed}
    fixed = {c.key: c.theirs for c in conflicts if policy == "take" and not isinstance(existing[c.key], str)}
    theirs = {**kept, **fixed}
    version = str(theirs.get("version", derived["version"]))
    if "id" in theirs:
        ctx.ids.taken.add((str(theirs["id"]), version))
    defaults: dict[str, Callable[[], Any]] = {
        "id": lambda: ctx.ids.claim(ident, version, parents),
        "version": lambda: version,
        "status": lambda: "draft",
        "framework": lambda: ctx.framework,
        "kind": lambda: kind,
        "title": lambda: _title(source.text, ident),
        "checksum": lambda: source.checksum,
    }
    if path in ctx.added_at:
        defaults["created_at"] = lambda: ctx.added_at[path]
    added = {k: defaults[k]() for k in _ORDER if k in defaults and k not in theirs}
    return _prove(ctx, source, _Edit(added, fixed, renamed, tuple(conflicts)), kind)


@dataclass(frozen=True)
class _Edit:
    """The change adopt makes to one file's metadata."""

    added: dict[str, Any]
    fixed: dict[str, Any]
    renamed: dict[str, str]
    conflicts: tuple[Conflict, ...]

    def expected(self, existing: dict[str, Any]) -> dict[str, Any]:
        kept = {self.renamed.get(k, k): v for k, v in existing.items()}
        return {**kept, **self.fixed, **self.added}


def _new_block(data: bytes, fields: str, empty: bool) -> bytes:
    """``data`` with ``fields`` as its frontmatter: in its empty block, or a new block on top (after
    a byte-order mark), with the file's own line breaks."""
    from artigov.schema import newline_of

    newline = newline_of(data[:65536].decode("utf-8", "replace"))
    lines = fields.replace("\n", newline).encode("utf-8")
    if empty:
        opening = _OPEN.match(data)
        assert opening is not None  # an empty block was found by the loader
        return data[: opening.end()] + lines + data[opening.end() :]
    bom = _BOM if data.startswith(_BOM) else b""
    rule = ("---" + newline).encode("ascii")
    return bom + rule + lines + rule + data[len(bom) :]


def _prove(ctx: _Context, source: _Source, edit: _Edit, kind: str) -> Proposal | Unplaced:
    """The new bytes, loaded again and checked against the schemas: offered only if they pass."""
    from artigov.schema import (
        ArtifactLoadError,
        EditError,
        edited_artifact,
        load_frontmatter_artifact,
        load_sidecar_artifact,
        read_source,
        render_fields,
    )

    ws, path, meta_path, artifact = ctx.ws, source.path, source.meta_path, source.artifact
    check = None
    try:
        if artifact is not None:  # the edit is loaded again by edited_artifact itself: its proof
            written, data, check = edited_artifact(ws.root, artifact, {**edit.fixed, **edit.added}, edit.renamed)
            new_file = False
        elif source.sidecar:
            written, new_file = f"{path}.meta.yaml", True
            if (ws.root / written).exists():
                return Unplaced(path, f"{written} exists but is not its sidecar", "remove or rename it")
            data = render_fields(edit.added).encode("utf-8")
        else:
            written, new_file = path, False
            data = _new_block(read_source(ws.root, path), render_fields(edit.added), source.shape == "empty")
        if check is None and (written.endswith(".meta.yaml") or meta_path):
            check = load_sidecar_artifact(ws.root, path, written, meta_data=data)
        elif check is None:
            check = load_frontmatter_artifact(ws.root, path, data=data)
    except (EditError, ArtifactLoadError) as e:
        return Unplaced(path, f"{e.code} {e.problem}", e.fix or "add the metadata by hand")
    problems = ctx.schemas.check(check)
    if check.metadata != edit.expected(source.existing) or problems:
        return _refused(path, kind, problems, edit)
    why = source.shape if source.sidecar else ""
    return Proposal(
        path, written, kind, check.id, check.version, edit.added, edit.fixed, data, new_file,
        edit.conflicts, edit.renamed, why,
    )  # fmt: skip


def _refused(path: str, kind: str, problems: list[Any], edit: _Edit) -> Unplaced:
    first = problems[0] if problems else None
    why = f"{first.code} {first.pointer} {first.message}" if first else "the new metadata would not load as intended"
    fix = first.fix if first else "add the metadata by hand"
    if first and "is a required property" in first.message:
        fix = f"this {kind!r} needs a field only its author can fill in: {first.fix}; then adopt it again"
    elif first and first.pointer.lstrip("/") in {c.key for c in edit.conflicts}:
        fix = f"{first.fix}; or keep the author's value under another name: --conflicts rename"
    return Unplaced(path, why, fix)
