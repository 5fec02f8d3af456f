"""The rules ``artigov adopt`` decides by: what it skips, the ids it derives, and which of a
document's own keys mean something else than artigov's fields of the same name.

Kept apart from :mod:`artigov.onboard.adopt` (which reads, proposes, proves and writes) so each rule can be
read, and tested, on its own.
"""

from __future__ import annotations

import fnmatch
import re
import subprocess
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any

import yaml

__all__ = [
    "CONFLICT_POLICIES",
    "RENAME_PREFIX",
    "RESERVED",
    "AdoptOptions",
    "Conflict",
    "Entry",
    "Ids",
    "Skip",
    "conflicts_of",
    "id_and_version",
    "scalar_texts",
    "skipped",
]

#: What ``--conflicts`` accepts: keep the author's value under another name, or take it as artigov's.
CONFLICT_POLICIES = ("rename", "take")
#: The prefix ``--conflicts rename`` gives the author's key (``framework`` -> ``source_framework``).
RENAME_PREFIX = "source_"
#: artigov's fields an author may already use for something else (``title`` means the same everywhere).
RESERVED = ("id", "version", "status", "framework", "kind", "checksum")

_MARKDOWN = (".md", ".markdown", ".mdx")
#: ``plan-1.2.0``, ``notes_v2.1``: a version at the end of a name. Two parts without a ``v``
#: (``gpl-2.0``, ``python-3.11``) are part of the name, not a version.
_VERSION_TAIL = re.compile(r"^(?P<stem>.*?)[-_ ](?:v(?P<v>[0-9]+(?:\.[0-9]+){1,3})|(?P<n>[0-9]+(?:\.[0-9]+){2,3}))$")
#: Names that say "the page of this folder": their id comes from the folder.
_FOLDER_PAGES = frozenset({"_index", "index", "readme", "_readme"})

#: Files a docs tree holds that are not documents: never proposed unless named on the command line.
_SKIP_NAMES = {
    "cname": "the site's domain file",
    "thumbs.db": "operating-system clutter",
    "desktop.ini": "operating-system clutter",
    "_config.yml": "site configuration",
    "_config.yaml": "site configuration",
    "config.toml": "site configuration",
    "config.yaml": "site configuration",
    "config.yml": "site configuration",
    "hugo.toml": "site configuration",
    "hugo.yaml": "site configuration",
    "netlify.toml": "hosting configuration",
    "vercel.json": "hosting configuration",
    "package.json": "a package manifest",
    "package-lock.json": "a lock file",
    "yarn.lock": "a lock file",
    "pnpm-lock.yaml": "a lock file",
    "gemfile": "a package manifest",
    "gemfile.lock": "a lock file",
}
_SKIP_SUFFIXES = {
    ".woff": "a font",
    ".woff2": "a font",
    ".ttf": "a font",
    ".otf": "a font",
    ".eot": "a font",
    ".map": "a source map",
    ".lock": "a lock file",
    ".pyc": "compiled code",
}
_SKIP_PREFIXES = ("astro.config.", "docusaurus.config.", "tsconfig", "gatsby-config.", "next.config.")


@dataclass(frozen=True)
class AdoptOptions:
    """How ``adopt`` treats what it finds (the command line's ``--conflicts``, ``--rename-prefix``,
    ``--skip``, ``--no-default-skips`` and ``--apply``)."""

    #: None: list keys that mean something else and refuse to apply; "rename" or "take".
    conflicts: str | None = None
    rename_prefix: str = RENAME_PREFIX
    #: glob patterns of paths (or names) never to adopt, besides the default list
    skip: tuple[str, ...] = ()
    default_skips: bool = True
    #: files named on the command line: adopted even where a default skip would leave them
    named: frozenset[str] = field(default_factory=frozenset)
    #: write the proposals (else a dry run)
    apply: bool = False


@dataclass(frozen=True)
class Entry:
    """A line of adopt's report: its fields, as text, are its JSON."""

    def to_dict(self) -> dict[str, str]:
        """The entry as JSON values (its fields, in order)."""
        return {k: str(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Conflict(Entry):
    """One of a document's own keys that artigov would otherwise read as its field."""

    key: str
    #: the author's value as written in the file
    theirs: str
    #: what adopt derives for artigov's field
    ours: str


def slug(text: str) -> str:
    """``text`` made valid for the id pattern: ASCII, lower case, ``-`` for anything else."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")  # Überblick: uberblick
    return re.sub(r"[^a-z0-9_.]+", "-", ascii_text.lower()).strip("-.")


def id_and_version(name: str, folder: str) -> tuple[str, str | None, list[str]]:
    """The id a file's name gives (a folder's page, ``_index.md``, takes the folder's name), the
    version at the end of the name if any, and the folders above, nearest last, that can make the
    id unique (:meth:`Ids.claim`)."""
    stem = name
    for suffix in (*_MARKDOWN, ".meta.yaml"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    else:
        stem = stem.rsplit(".", 1)[0] if "." in stem.strip(".") else stem
    parents = [p for p in folder.split("/") if p]
    if stem.lower() in _FOLDER_PAGES and parents:
        stem = parents.pop()
    version = None
    m = _VERSION_TAIL.match(stem)
    if m and m.group("stem"):
        stem, version = m.group("stem"), m.group("v") or m.group("n")
    return slug(stem) or "document", version, parents


class Ids:
    """(id, version) pairs taken, so every proposed id is unique: a name taken already gets the
    folders above it (``guides-install``, then ``en-guides-install``), and only then ``-2``, ``-3``."""

    def __init__(self, taken: set[tuple[str, str]]) -> None:
        self.taken = taken

    def claim(self, ident: str, version: str, parents: list[str] | None = None) -> str:
        """A free id for ``ident`` at ``version`` (taken from then on)."""
        candidate = ident
        if (candidate, version) in self.taken:  # the folders' slugs only for a name taken already
            above = [s for s in (slug(p) for p in parents or []) if s]
            depth = 0
            while (candidate, version) in self.taken and depth < len(above):
                depth += 1
                candidate = "-".join([*above[-depth:], ident])[-200:].lstrip("-.")
        n = 1
        base = candidate
        while (candidate, version) in self.taken:
            n += 1
            candidate = f"{base}-{n}"
        self.taken.add((candidate, version))
        return candidate


def scalar_texts(meta_text: str) -> dict[str, str]:
    """Each top-level key's value exactly as written, for plain values (``version: 1.10`` -> ``1.10``:
    the text the author typed, not the number 1.1 YAML reads)."""
    try:
        node = yaml.compose(meta_text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {
        str(k.value): str(v.value)
        for k, v in node.value
        if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode)
    }


def conflicts_of(
    existing: dict[str, Any], derived: dict[str, str], framework: str, written: dict[str, str]
) -> list[Conflict]:
    """The reserved keys of ``existing`` that cannot be read as artigov's fields without asking.

    A document that does not name ``framework`` was not written for it: each reserved key it has is
    the author's own (Astro's ``framework: Gatsby``, Jekyll's ``version: 3.0``). One that names it
    was: only a value that is not text (a YAML number, a date) or a routed kind that differs
    conflicts, since reading it as text would change what the author wrote.
    """
    ours_doc = existing.get("framework") == framework
    found = []
    for key in RESERVED:
        if key not in existing:
            continue
        value = existing[key]
        differs = value != derived[key]
        if (differs and not ours_doc) or not isinstance(value, str) or (key == "kind" and differs):
            found.append(Conflict(key, written.get(key, str(value)), derived[key]))
    return found


@dataclass(frozen=True)
class Skip:
    """Why adopt leaves a file alone, and the ``exclude`` glob that says so in ``artigov.yaml``."""

    reason: str
    glob: str


def skipped(root: str, paths: list[str], options: AdoptOptions) -> dict[str, Skip]:
    """The paths adopt leaves alone, each with why: on the default skip list (a site's
    configuration, fonts, lock files: not documents), matching ``--skip``, or ignored by git
    (a folder whose every file git ignores is excluded as a whole)."""
    out: dict[str, Skip] = {}
    for path in paths:
        if path in options.named:
            continue
        why = _skip_reason(path, options)
        if why:
            out[path] = why
    rest = [p for p in paths if p not in out and p not in options.named]
    ignored = set(_git_ignored(root, rest))
    for path, folder in _ignored_folders(ignored, set(paths)).items():
        out[path] = Skip("ignored by .gitignore", f"{folder}/**" if folder else path)
    return out


def _ignored_folders(ignored: set[str], paths: set[str]) -> dict[str, str]:
    """Each ignored path -> the highest folder whose every listed file is ignored ("" if none)."""
    blocked = {p.rpartition("/")[0] for p in paths - ignored}
    blocked_above = {"/".join(b.split("/")[:i]) for b in blocked for i in range(len(b.split("/")) + 1)}
    out = {}
    for path in ignored:
        parts = path.split("/")[:-1]
        top = ""
        for i in range(len(parts), 0, -1):
            folder = "/".join(parts[:i])
            if folder in blocked_above:
                break
            top = folder
        out[path] = top
    return out


def _skip_reason(path: str, options: AdoptOptions) -> Skip | None:
    name = path.rpartition("/")[2]
    for pattern in options.skip:
        if fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(name, pattern):
            return Skip(f"matches --skip {pattern}", pattern if "/" in pattern else f"**/{pattern}")
    if not options.default_skips:
        return None
    lower = name.lower()
    if lower in _SKIP_NAMES:
        return Skip(_SKIP_NAMES[lower] + " (default skip list)", f"**/{name}")
    suffix = "." + lower.rpartition(".")[2] if "." in lower else ""
    if suffix in _SKIP_SUFFIXES:
        return Skip(_SKIP_SUFFIXES[suffix] + " (default skip list)", f"**/*{name[len(name) - len(suffix) :]}")
    prefix = next((p for p in _SKIP_PREFIXES if lower.startswith(p)), None)
    if prefix:
        return Skip("tool configuration (default skip list)", f"**/{name[: len(prefix)]}*")
    return None


def _git_ignored(root: str, paths: list[str]) -> list[str]:
    """The paths git ignores (``.gitignore``, ``.git/info/exclude``, ``core.excludesFile``) and does
    not track: what ``git check-ignore`` answers, in two steps that are each fast: the paths the
    rules ignore (``--no-index``: consulting the index path by path cost 80 us a path, 0.8 s CPU
    for 10,000 documents), then those of them git tracks left out (``cat-file --batch-check``
    looks each one up in the index read once). None outside a repository."""
    if not paths:
        return []
    ruled = _git(
        root, ["check-ignore", "--no-index", "-z", "--stdin"], "".join(f"{p}\0" for p in paths).encode("utf-8")
    )
    if ruled is None or not ruled.stdout:
        return []
    matched = [p.decode("utf-8") for p in ruled.stdout.split(b"\0") if p]
    looked = _git(
        root, ["cat-file", "--batch-check=%(objecttype)"], "".join(f":./{p}\n" for p in matched).encode("utf-8")
    )
    if looked is None or looked.returncode != 0:
        return []  # git cannot tell which are tracked: none is called ignored (adopt proposes them)
    answers = looked.stdout.decode("utf-8", "replace").splitlines()
    if len(answers) != len(matched):
        return []
    return [p for p, answer in zip(matched, answers, strict=True) if answer.endswith(" missing")]


def _git(root: str, args: list[str], given: bytes) -> subprocess.CompletedProcess[bytes] | None:
    """``git ARGS`` in ``root`` with ``given`` on its stdin; None when it does not run, or ``root``
    is in no repository (exit 128)."""
    try:
        done = subprocess.run(["git", *args], cwd=root, input=given, capture_output=True, check=False, timeout=300)
    except (OSError, subprocess.SubprocessError):
        return None
    return done if done.returncode in (0, 1) else None
