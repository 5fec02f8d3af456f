"""Finding the artifacts of a workspace: glob matching and a sorted walk.

Globs are workspace-relative and '/'-separated: ``*`` and ``?`` match within
one path segment, ``**`` matches any number of segments (zero included),
``[abc]`` a character class. Hidden files and folders (a name starting with
``.``), the state folder and ``.git`` are never artifacts. The walk sorts
every directory listing, so the result never depends on file-system order.

Symlinks have one policy, however a file is reached (a full walk, a named
path, pre-commit): artigov reads a file only under its own path. A symlink
(or a path through a symlinked folder) whose target leaves the workspace is
an S019 finding and is never read, hashed, stored or restored over; one whose
target is inside is skipped (listed in ``skipped`` with the reason), so a tree
reached twice is indexed once, under its real path.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

from artigov.core import Finding, PathEscapeError, Workspace, printable

__all__ = [
    "SIDECAR_SUFFIXES",
    "unsafe_artifact_path",
    "symlink_verdict",
    "unnameable",
    "ArtifactUnit",
    "Discovery",
    "Stamp",
    "Relisted",
    "Streamed",
    "discover",
    "discovery_scope",
    "glob_regex",
    "in_artifact_globs",
    "matches_any",
    "not_utf8_finding",
    "relist",
    "sidecar_target",
    "stamp_from",
    "stamp_of",
    "utf8_name",
]


SIDECAR_SUFFIXES = (".meta.yaml", ".meta.yml", ".meta.json")


def sidecar_target(rel: str) -> str | None:
    """For a sidecar path, the path of the file it describes; else None."""
    for suffix in SIDECAR_SUFFIXES:
        if rel.endswith(suffix) and len(rel) > len(suffix) and not rel.endswith("/" + suffix):
            return rel[: -len(suffix)]
    return None


@lru_cache(maxsize=256)
def glob_regex(glob: str) -> re.Pattern[str]:
    """Compile a workspace glob to a regex over POSIX relative paths."""
    out: list[str] = []
    parts = glob.strip("/").split("/")
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "**":
            out.append(".*" if last else "(?:[^/]+/)*")
            continue
        j = 0
        seg = ""
        while j < len(part):
            c = part[j]
            if c == "*":
                seg += "[^/]*"
            elif c == "?":
                seg += "[^/]"
            elif c == "[":
                k = part.find("]", j + 1)
                if k == -1:
                    seg += re.escape(c)
                else:
                    inner = part[j + 1 : k]
                    if inner.startswith("!"):
                        inner = "^" + inner[1:]
                    seg += "[" + inner.replace("\\", "\\\\") + "]"
                    j = k
            else:
                seg += re.escape(c)
            j += 1
        out.append(seg + ("" if last else "/"))
    return re.compile("".join(out) + r"\Z")


def _static_prefix(glob: str) -> str:
    """The leading segments of a glob without wildcards (where the walk starts)."""
    parts = []
    for part in glob.strip("/").split("/")[:-1]:
        if any(c in part for c in "*?["):
            break
        parts.append(part)
    return "/".join(parts)


@lru_cache(maxsize=64)
def _any_of(globs: tuple[str, ...]) -> Callable[[str], Any]:
    """One compiled match for several globs, in one regex call (each glob's regex is anchored at
    both ends, so their alternation matches what one of them does); none matches nothing."""
    if not globs:
        return lambda rel: None
    return re.compile("|".join(f"(?:{glob_regex(g).pattern})" for g in globs)).match


def matches_any(rel: str, globs: tuple[str, ...]) -> bool:
    """True when ``rel`` matches one of ``globs``."""
    return _any_of(tuple(globs))(rel) is not None


@dataclass(frozen=True, slots=True)
class ArtifactUnit:
    """One artifact to load: its content file and its sidecar, if any (slots: a walk holds one per
    artifact, ~40 bytes less each)."""

    path: str
    meta_path: str | None = None


#: (size, mtime_ns, ctime_ns, inode)
Stamp = tuple[int, int, int, int]


#: The stamp recorded for a folder the walk would start in but that does not exist.
MISSING: Stamp = (-1, -1, -1, -1)


def stamp_of(path: Path | str) -> Stamp | None:
    """(size, mtime_ns, ctime_ns, inode) of a file or folder, or None if it cannot be stat'ed."""
    try:
        st = os.stat(path)  # noqa: PTH116 - a str path (hot loop): no Path object per call
    except OSError:
        return None
    return stamp_from(st)


def stamp_from(st: os.stat_result) -> Stamp:
    """The stamp of a ``stat`` (or ``fstat``) result."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


@dataclass
class Discovery:
    """What a walk found: the artifacts to load, problems with the layout, and the folders it listed.

    ``dirs`` holds each listed folder's stamp, taken before listing it: while no stamp changes, no
    file was added, removed or renamed in them (the index's stat cache relies on it).
    """

    units: list[ArtifactUnit] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    dirs: dict[str, Stamp] = field(default_factory=dict)
    #: path -> why it is not an artifact although it sits where artifacts are (a symlink, say)
    skipped: dict[str, str] = field(default_factory=dict)


def _first_link(root: Path, rel: str) -> str | None:
    """The first component of ``rel`` (itself included) that is a symlink, or None."""
    here = ""
    for part in rel.split("/") if rel else []:
        here = f"{here}/{part}" if here else part
        if (root / here).is_symlink():
            return here
    return None


def symlink_verdict(root: Path, rel: str) -> Finding | str | None:
    """How the symlink policy treats ``rel``: None (no symlink on the way: read it), an S019 finding
    (a symlink whose target leaves the workspace: never read), or the reason it is skipped (a
    symlink into the workspace: its target is an artifact under its own path, if at all)."""
    link = _first_link(root, rel)
    if link is None:
        return None
    target = os.path.realpath(f"{root}/{link}")
    real_root = os.path.realpath(root)
    if target != real_root and not target.startswith(real_root + os.sep):
        return Finding(
            "S019",
            rel,
            f"{'is' if link == rel else 'goes through'} the symlink {link}, whose target {target} is outside "
            "the workspace: artigov never reads, indexes or signs it",
            fix="replace the symlink with the file or folder itself, or remove it",
            line=1,
        )
    inside = os.path.relpath(target, real_root).replace(os.sep, "/")
    if not Path(target).exists():
        return f"{link} is a broken symlink (to {inside})"
    return f"{link} is a symlink to {inside}: artigov reads files only under their own path"


@dataclass
class _Walked:
    """What walks collect, into the fields the caller asks for (None: not collected): every file,
    in sorted order per walk; listed folders' stamps; the symlinks met (never followed); FIFOs,
    sockets and devices (never opened)."""

    files: list[str] = field(default_factory=list)
    dirs: dict[str, Stamp] | None = None
    links: list[str] | None = None
    special: list[str] | None = None
    #: folders that exist but could not be listed, with the reason (S022: their artifacts are left out)
    unlisted: list[tuple[str, str]] | None = None


def _walk(root: Path, start: str, skip: set[str], into: _Walked) -> None:
    """Every file under ``root/start``, as POSIX relative paths, and what else ``into`` collects."""
    base = root / start if start else root
    if not base.is_dir():
        if into.dirs is not None:
            into.dirs[start] = MISSING  # so creating it later shows up as a changed stamp
        return
    stack = [start]
    while stack:
        rel_dir = stack.pop()
        entries = _list_folder(root, rel_dir, into.dirs, into.unlisted)
        if entries is not None:
            stack.extend(reversed(_sort_out(entries, rel_dir, skip, into)))


def _list_folder(
    root: Path, rel_dir: str, dirs: dict[str, Stamp] | None, unlisted: list[tuple[str, str]] | None = None
) -> list[os.DirEntry[str]] | None:
    """The folder's entries by name, or None if it cannot be listed; its stamp (taken before
    listing: a later change shows up as a new stamp) into ``dirs``; why a folder that is there
    could not be listed (permissions, an I/O error) into ``unlisted`` (one gone since its parent
    was listed is not reported: it holds nothing now)."""
    where = root / rel_dir if rel_dir else root
    stamp = stamp_of(where)
    try:
        entries = sorted(os.scandir(where), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as e:
        if unlisted is not None:
            unlisted.append((rel_dir, e.strerror or type(e).__name__))
        return None
    if dirs is not None and stamp is not None:
        dirs[rel_dir] = stamp
    return entries


def _sort_out(entries: list[os.DirEntry[str]], rel_dir: str, skip: set[str], into: _Walked) -> list[str]:
    """The folder's subfolders; its files, symlinks and special files into ``into`` (where it
    collects them). Hidden names and ``skip`` are passed by."""
    found, links, special = into.files, into.links, into.special
    subdirs = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
        if rel in skip:
            continue
        if entry.is_dir(follow_symlinks=False):
            subdirs.append(rel)
        elif entry.is_file(follow_symlinks=False):
            found.append(rel)
        elif links is not None and entry.is_symlink():
            links.append(rel)
        elif special is not None:
            special.append(rel)
    return subdirs


def walk_files(root: Path, start: str, links: list[str] | None = None) -> list[str]:
    """Every file under ``root/start`` (hidden names skipped at every level), as sorted relative paths;
    the symlinks met go into ``links``."""
    walked = _Walked(links=links)
    _walk(root, start, {".git"}, walked)
    return walked.files


def group_units(paths: list[str], exists: set[str] | None = None) -> Discovery:
    """Pair content files with their sidecars; report orphans and double sidecars."""
    out = Discovery()
    sidecars: dict[str, list[str]] = {}
    targets = [sidecar_target(rel) for rel in paths]  # once per path: the loops below both need it
    for rel, target in zip(paths, targets, strict=True):
        if target is not None:
            sidecars.setdefault(target, []).append(rel)
    # Which described files are there: a set of the few targets, not of every path (a walk's
    # paths are most of a rebuild's memory).
    present = {rel for rel in paths if rel in sidecars} if exists is None else exists
    for target, metas in sorted(sidecars.items()):
        if len(metas) > 1:
            out.findings.append(
                Finding(
                    "S018",
                    metas[1],
                    f"{target} has more than one sidecar: {', '.join(sorted(metas))}",
                )
            )
    units: list[ArtifactUnit] = []
    for rel, target in zip(paths, targets, strict=True):
        if target is None:
            own = sidecars.get(rel)
            units.append(ArtifactUnit(rel, sorted(own)[0] if own else None))
        elif target not in present:
            out.findings.append(Finding("S017", rel, f"describes {target}, which does not exist"))
    if any(a.path >= b.path for a, b in pairwise(units)):  # not sorted, or a path twice: one unit a path
        units = list({u.path: u for u in sorted(units, key=lambda u: u.path)}.values())
    out.units = units  # byte order: the names are UTF-8 (see discover)
    return out


def _skipped(ws: Workspace) -> list[str]:
    """Folders the walk never enters: ``.git`` and the state folder (one outside the root is not walked)."""
    skip = [".git"]
    with suppress(PathEscapeError):
        skip.append(ws.rel(ws.state_dir))
    return skip


def discover(ws: Workspace) -> Discovery:
    """All artifacts under the workspace's ``artifacts`` globs, sorted by path (:class:`Streamed`
    walked through, its units listed)."""
    streamed = Streamed(ws)
    units = list(streamed.units())
    return Discovery(units, streamed.findings, streamed.dirs, streamed.skipped)


def _walk_key(name: str, folder: bool) -> str:
    """A folder entry's place among its siblings such that a depth-first walk meets the files in
    their paths' byte order (git's tree order): a folder sorts as its name with ``/`` after it, a
    file as its name."""
    return name + "/" if folder else name


class Streamed:
    """:func:`discover`, one unit at a time: :meth:`units` walks the folders depth first, siblings in
    :func:`_walk_key` order, and yields each folder's units as the walk passes their places, so the
    units come in byte order of their paths (UTF-8 names: code point order) and no list of every
    path is held (a rebuild at 300,000 artifacts held ~200 bytes an artifact for it). A unit's
    sidecar sits in its folder, so each folder pairs its own files.

    ``findings``, ``dirs`` and ``skipped`` are :func:`discover`'s once :meth:`units` is exhausted
    (``dirs`` fills as folders are listed)."""

    def __init__(self, ws: Workspace) -> None:
        self._ws = ws
        self.findings: list[Finding] = []
        self.dirs: dict[str, Stamp] = {}
        self.skipped: dict[str, str] = {}
        self._include, self._exclude = _any_of(ws.artifacts), _any_of(ws.exclude)
        self._skip = set(_skipped(ws))
        self._walked = _Walked(dirs=self.dirs, links=[], special=[], unlisted=[])
        self._odd: list[str] = []  # names with a line break or not UTF-8 (the few S021 can be about)
        self._doubles: list[tuple[str, Finding]] = []  # S018, by the described file
        self._orphans: list[Finding] = []  # S017

    def units(self) -> Iterator[ArtifactUnit]:
        """Every unit, in byte order of its path; then the findings are complete."""
        ws = self._ws
        starts = sorted({_static_prefix(g) for g in ws.artifacts})
        # Walk each distinct prefix once; a prefix inside another is covered by it.
        roots = [s for s in starts if not any(s != o and (o == "" or s.startswith(o + "/")) for o in starts)]
        refused: list[Finding] = []
        for start in sorted(roots, key=lambda r: _walk_key(r, True)):
            if _first_link(ws.root, start) is not None:
                _judge_link(ws, start, refused, self.skipped)
                self.dirs[start] = MISSING  # the stat cache never vouches for a walk it did not make
                continue
            yield from self._walk(start)
        exclude = self._exclude
        for link in self._walked.links or ():
            if exclude(link):
                continue  # the workspace says it is not an artifact (artigov.yaml `exclude`)
            if self._include(link) or (ws.root / link).is_dir() or sidecar_target(link) is not None:
                _judge_link(ws, link, refused, self.skipped)
        special = [f for f in self._walked.special or () if not exclude(f)]
        refused += _unusable(self._odd, special, self._include)
        refused += _unlisted(self._walked.unlisted or [], exclude)
        doubles = [f for _, f in sorted(self._doubles, key=lambda d: d[0])]
        orphans = sorted(self._orphans, key=lambda f: f.file)
        self.findings = refused + doubles + orphans
        self.skipped = dict(sorted(self.skipped.items()))

    def _walk(self, start: str) -> Iterator[ArtifactUnit]:
        """The units under ``start`` (a folder), depth first, in byte order."""
        base = self._ws.root / start if start else self._ws.root
        if not base.is_dir():
            self.dirs[start] = MISSING  # so creating it later shows up as a changed stamp
            return
        stack = [iter(self._folder(start))]
        while stack:
            part = next(stack[-1], None)
            if part is None:
                stack.pop()
            elif isinstance(part, str):
                stack.append(iter(self._folder(part)))
            else:
                yield from part

    def _folder(self, rel_dir: str) -> list[list[ArtifactUnit] | str]:
        """One folder listed: its units (in runs) and subfolders (as paths) in walk order."""
        entries = _list_folder(self._ws.root, rel_dir, self.dirs, self._walked.unlisted)
        if entries is None:
            return []
        walked = self._walked
        walked.files = []
        subdirs: list[str] = _sort_out(entries, rel_dir, self._skip, walked)
        include, exclude = self._include, self._exclude
        self._odd += (f for f in walked.files if not f.isascii() or "\n" in f or "\r" in f)
        # Byte order: for names that are UTF-8 (the others are left out) it is code point order.
        grouped = group_units([f for f in walked.files if utf8_name(f) and include(f) and not exclude(f)])
        for finding in grouped.findings:
            if finding.code == "S018":
                self._doubles.append((sidecar_target(finding.file) or "", finding))
            else:
                self._orphans.append(finding)
        units = grouped.units
        if not subdirs:  # most folders hold files or folders, not both
            return [units]
        subdirs.sort(key=lambda d: _walk_key(d.rpartition("/")[2], True))
        if not units:
            return list(subdirs)
        parts: list[list[ArtifactUnit] | str] = []
        taken = 0
        for sub in subdirs:
            key = _walk_key(sub.rpartition("/")[2], True)
            upto = taken
            while upto < len(units) and units[upto].path.rpartition("/")[2] < key:
                upto += 1
            parts += (units[taken:upto], sub)
            taken = upto
        parts.append(units[taken:])
        return parts


@dataclass(frozen=True)
class Relisted:
    """Folders listed again: each one's stamp (taken before listing it) and the artifact files
    directly in it (content files and sidecars, sorted), by the walk's own rules."""

    dirs: dict[str, Stamp]
    files: dict[str, list[str]]


def relist(ws: Workspace, folders: Sequence[str], known: Collection[str]) -> Relisted | None:
    """List ``folders`` (folders the walk listed before, whose stamp changed: a file was added,
    removed or renamed in them) again, with :func:`discover`'s rules: hidden names and the skipped
    folders passed by, the ``artifacts`` and ``exclude`` globs applied. None when only a walk can
    say what changed: a folder gone or not listable, a subfolder the walk did not list (``known``:
    the folders it did), a symlink, a FIFO, socket or device, or a name with a line break or bytes
    that are not UTF-8 (a walk reports those)."""
    skip = set(_skipped(ws))
    include, exclude = _any_of(ws.artifacts), _any_of(ws.exclude)
    stamps: dict[str, Stamp] = {}
    files: dict[str, list[str]] = {}
    for folder in folders:
        into = _Walked(links=[], special=[])
        entries = _list_folder(ws.root, folder, stamps)
        if entries is None or folder not in stamps:
            return None
        subfolders = _sort_out(entries, folder, skip, into)
        if into.links or into.special or any(sub not in known for sub in subfolders):
            return None
        if any("\n" in f or "\r" in f or not utf8_name(f) for f in into.files):
            return None
        files[folder] = sorted(f for f in into.files if include(f) and not exclude(f))
    return Relisted(stamps, files)


_LINE_BREAK_NAME = "its name holds a line break: artigov never reads or indexes it"
_NOT_UTF8_NAME = "its name is not UTF-8: artigov never reads or indexes it"


def unnameable(finding: Finding) -> bool:
    """Whether the finding is about a file no glob can name (a line break or bytes that are not
    UTF-8 in its name): it cannot be excluded by path, only renamed."""
    return finding.code == "S021" and finding.message in (_LINE_BREAK_NAME, _NOT_UTF8_NAME)


def utf8_name(rel: str) -> bool:
    """Whether the file name was valid UTF-8 (the walk decodes other bytes as lone surrogates)."""
    if rel.isascii():
        return True
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _unusable(files: list[str], special: list[str], include: Callable[[str], Any]) -> list[Finding]:
    """S021 for what sits where artifacts are but is never read: a FIFO, socket or device (opening
    one could block), a file whose name holds a line break (no line-based record can hold it), and
    one whose name is not UTF-8 (no JSON record can name it)."""
    out = []
    for rel in sorted(special, key=lambda p: p.encode("utf-8", "surrogateescape")):
        if include(rel.replace("\n", " ").replace("\r", " ")):
            out.append(
                Finding(
                    "S021",
                    rel,
                    "is not a regular file (a FIFO, socket or device): artigov never opens it",
                    fix="remove it, or move it out of the artifact folders",
                    line=1,
                )
            )
    odd = (f for f in files if not f.isascii() or "\n" in f or "\r" in f)  # the few names it can be about
    for rel in sorted(odd, key=lambda p: p.encode("utf-8", "surrogateescape")):
        if ("\n" in rel or "\r" in rel) and include(rel.replace("\n", " ").replace("\r", " ")):
            out.append(
                Finding(
                    "S021",
                    rel.replace("\n", "\\n").replace("\r", "\\r"),
                    _LINE_BREAK_NAME,
                    fix="rename it without the line break",
                    line=1,
                )
            )
        elif not utf8_name(rel) and include(rel):
            out.append(not_utf8_finding(rel))
    return out


def _unlisted(folders: list[tuple[str, str]], exclude: Callable[[str], Any]) -> list[Finding]:
    """S022 for each folder where artifacts are that could not be listed (a walk cannot see what is
    in it, so an index or a check made without it must not pass silently); none for a folder the
    workspace's ``exclude`` globs leave out."""
    return [
        Finding(
            "S022",
            folder or ".",
            f"this folder could not be listed ({why}): the artifacts in it are left out of every check and the index",
            fix=f"make it readable (chmod u+rx '{folder or '.'}'), or leave it out with `exclude` in artigov.yaml",
            line=1,
        )
        for folder, why in sorted(folders)
        if not exclude(f"{folder}/x")
    ]


def not_utf8_finding(rel: str) -> Finding:
    """S021 for a file whose name is not UTF-8 (shown with its other bytes as ``\\xNN``)."""
    return Finding(
        "S021",
        printable(rel),
        _NOT_UTF8_NAME,
        fix="rename it to a UTF-8 name (e.g. convmv -f latin1 -t utf-8)",
        line=1,
    )


def _judge_link(ws: Workspace, rel: str, refused: list[Finding], skipped: dict[str, str]) -> None:
    verdict = symlink_verdict(ws.root, rel)
    if isinstance(verdict, Finding):
        refused.append(verdict)
    elif verdict is not None:
        skipped[rel] = verdict


def in_artifact_globs(ws: Workspace, rel: str) -> bool:
    """Whether ``rel`` is where artifacts are: under an ``artifacts`` glob and under no ``exclude`` glob."""
    return matches_any(rel, ws.artifacts) and not (ws.exclude and matches_any(rel, ws.exclude))


def discovery_scope(ws: Workspace) -> str:
    """What decides which files :func:`discover` finds besides the files themselves (globs, skipped folders)."""
    return "\0".join([*ws.artifacts, "|", *_skipped(ws), "|", *ws.exclude])


def unsafe_artifact_path(ws: Workspace, rel: str) -> str | None:
    """Why artigov may not write an artifact at ``rel`` (None: it may).

    A restore (even of a manifest signed by a trusted key) and a route move write only inside the
    artifact set: never the config, a contract, the routing files, the index, the record, the state
    folder or ``.git``, never outside the ``artifacts`` globs, and never through a symlinked folder.
    """
    protected = {
        ws.config_path: "the workspace config",
        ws.contracts_dir: "the contracts",
        ws.routing_map: "the routing map",
        ws.command_routing: "the command routing",
        ws.index_path: "the index",
        ws.record_dir: "the governance record",
        ws.state_dir: "the state folder",
        ws.root / ".git": "git's own folder",
    }
    target = ws.root / rel
    for path, what in protected.items():
        if target == path or path in target.parents:
            return f"it is {what}"
    if not in_artifact_globs(ws, rel):
        return "it is outside the `artifacts` globs (or in `exclude`)"
    link = _first_link(ws.root, rel)
    if link is None:
        return None
    return "it is a symlink" if link == rel else f"it goes through the symlinked folder {link}"
