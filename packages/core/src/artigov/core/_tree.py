"""Reading a repository's files from the working tree or from a git revision, the same way.

The trust chain and the continuity check (``verify --since``, the pre-receive hook) read the
record as bytes through a :class:`Tree`: :class:`FsTree` over a folder, :class:`GitTree` over a
commit of a repository (bare or not). Paths are POSIX, relative to the tree's top.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path, PurePosixPath
from typing import Protocol

from artigov.core.errors import ArtigovError

__all__ = ["FsTree", "GitTree", "GitTreeError", "Tree", "git_toplevel"]


class Tree(Protocol):
    """Files by POSIX path: the working tree or a git revision."""

    label: str

    def read(self, rel: str) -> bytes | None:
        """The bytes of file ``rel``, or None when there is no such regular file."""

    def files(self, prefix: str) -> list[str]:
        """Every file under folder ``prefix`` (recursively), sorted bytewise."""

    def folders(self, prefix: str) -> list[str]:
        """The names of the folders directly in folder ``prefix``, sorted."""

    def read_all(self, prefix: str) -> dict[str, bytes]:
        """Every file under ``prefix`` with its bytes."""


class GitTreeError(ArtigovError):
    """A git revision that cannot be read (unknown revision, not a repository)."""


class FsTree:
    """The files under ``root`` (symlinks and special files are not read)."""

    def __init__(self, root: Path, label: str = "the working tree") -> None:
        self.root = root
        self.label = label

    def read(self, rel: str) -> bytes | None:
        """See :meth:`Tree.read`."""
        path = self.root / Path(*PurePosixPath(rel).parts)
        if path.is_symlink() or not path.is_file():
            return None
        try:
            return path.read_bytes()
        except OSError:
            return None

    def files(self, prefix: str) -> list[str]:
        """See :meth:`Tree.files`."""
        base = self.root / Path(*PurePosixPath(prefix).parts)
        if not base.is_dir():
            return []
        out = []
        for folder, dirs, names in os.walk(base):
            dirs[:] = [d for d in dirs if not Path(folder, d).is_symlink()]
            for name in names:
                path = Path(folder, name)
                if path.is_file() and not path.is_symlink():
                    out.append(path.relative_to(self.root).as_posix())
        return sorted(out, key=lambda p: p.encode("utf-8"))

    def folders(self, prefix: str) -> list[str]:
        """See :meth:`Tree.folders`."""
        base = self.root / Path(*PurePosixPath(prefix).parts)
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir() if p.is_dir() and not p.is_symlink())

    def read_all(self, prefix: str) -> dict[str, bytes]:
        """See :meth:`Tree.read_all`."""
        return {rel: data for rel in self.files(prefix) if (data := self.read(rel)) is not None}


def _git(git_dir: Path, *args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE")}
    return subprocess.run(
        ["git", "--git-dir", str(git_dir), *args], input=data, capture_output=True, env=env, check=False
    )


def git_toplevel(path: Path) -> tuple[Path, Path] | None:
    """(git dir, top of the working tree) of the repository around ``path``, or None outside git."""
    done = subprocess.run(
        ["git", "-C", str(path), "rev-parse", "--absolute-git-dir", "--show-toplevel"],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = done.stdout.splitlines()
    if done.returncode != 0 or len(lines) < 2:
        return None
    return Path(lines[0]), Path(lines[1])


class GitTree:
    """The files of commit ``rev`` in the repository ``git_dir`` (bare or not), read with git.

    The listing is read once per prefix (``git ls-tree``), the blobs in one ``git cat-file --batch``.
    """

    def __init__(self, git_dir: Path, rev: str) -> None:
        self.git_dir = git_dir
        done = _git(git_dir, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
        if done.returncode != 0:
            raise GitTreeError(
                f"{rev!r} is not a commit of the repository at {git_dir}",
                fix="name a branch, tag or commit that exists (git log --oneline), and fetch it first",
            )
        self.commit = done.stdout.decode().strip()
        self.rev = rev
        self.label = f"{rev} ({self.commit[:12]})"
        self._listed: dict[str, dict[str, str]] = {}

    def _listing(self, prefix: str) -> dict[str, str]:
        prefix = prefix.strip("/")
        if prefix not in self._listed:
            args = ["ls-tree", "-r", "-z", "--full-tree", self.commit]
            if prefix:
                args += ["--", prefix + "/"]
            done = _git(self.git_dir, *args)
            if done.returncode != 0:
                raise GitTreeError(f"git ls-tree {self.rev} failed: {done.stderr.decode(errors='replace').strip()}")
            out: dict[str, str] = {}
            for record in done.stdout.split(b"\0"):
                if not record:
                    continue
                meta, _, path = record.partition(b"\t")
                mode, kind, blob = meta.decode().split()
                if kind == "blob" and mode in ("100644", "100755"):
                    out[path.decode("utf-8", errors="surrogateescape")] = blob
            self._listed[prefix] = out
        return self._listed[prefix]

    def folders(self, prefix: str) -> list[str]:
        """See :meth:`Tree.folders`."""
        done = _git(self.git_dir, "ls-tree", "-z", "--full-tree", self.commit, "--", prefix.strip("/") + "/")
        names = []
        for record in done.stdout.split(b"\0"):
            meta, _, path = record.partition(b"\t")
            if meta.split()[1:2] == [b"tree"]:
                names.append(path.decode("utf-8", errors="surrogateescape").rsplit("/", 1)[-1])
        return sorted(names)

    def files(self, prefix: str) -> list[str]:
        """See :meth:`Tree.files`."""
        return sorted(self._listing(prefix), key=lambda p: p.encode("utf-8", errors="surrogateescape"))

    def read(self, rel: str) -> bytes | None:
        """See :meth:`Tree.read`."""
        parent = str(PurePosixPath(rel).parent)
        listing = self._listing("" if parent == "." else parent)
        blob = listing.get(rel)
        if blob is None:
            return None
        return self.read_blobs([blob])[blob]

    def read_blobs(self, blobs: list[str]) -> dict[str, bytes]:
        """The contents of ``blobs`` (object ids), read in one ``git cat-file --batch``."""
        if not blobs:
            return {}
        done = _git(self.git_dir, "cat-file", "--batch", data=("\n".join(blobs) + "\n").encode())
        out: dict[str, bytes] = {}
        data, pos = done.stdout, 0
        for blob in blobs:
            end = data.index(b"\n", pos)
            header = data[pos:end].split()
            if len(header) < 3 or header[1] == b"missing":
                raise GitTreeError(f"git object {blob} of {self.rev} is missing")
            size = int(header[2])
            out[blob] = data[end + 1 : end + 1 + size]
            pos = end + 1 + size + 1
        return out

    def read_all(self, prefix: str) -> dict[str, bytes]:
        """Every file under ``prefix`` with its bytes (one ``cat-file`` for all)."""
        listing = self._listing(prefix)
        blobs = self.read_blobs(sorted(set(listing.values())))
        return {rel: blobs[blob] for rel, blob in listing.items()}
