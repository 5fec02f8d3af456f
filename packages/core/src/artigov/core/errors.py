"""The error hierarchy: one base, ``ArtigovError``, carrying an exit code.

Every error a user can meet is an ``ArtigovError`` whose ``str()`` is one line
that names the file, the field and the fix. The command line prints that line
and exits with ``exit_code``; it never prints a traceback for one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from artigov.core._findings import code_info

__all__ = [
    "EXIT_FINDINGS",
    "EXIT_OK",
    "EXIT_USAGE",
    "ArtigovError",
    "ConfigError",
    "DiskError",
    "LockTimeoutError",
    "PathEscapeError",
    "SigningError",
    "VerificationError",
    "WorkspaceNotFoundError",
    "YamlSafetyError",
]

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


class ArtigovError(Exception):
    """Base of every error artigov reports to a user."""

    exit_code: int = EXIT_USAGE

    def __init__(self, message: str, *, fix: str | None = None, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        if self.fix:
            return f"{self.message} (fix: {self.fix})"
        return self.message


class WorkspaceNotFoundError(ArtigovError):
    """No ``artigov.yaml`` in the start directory or any parent."""

    def __init__(self, start: Path) -> None:
        super().__init__(
            f"no artigov.yaml found in {start} or any parent directory",
            fix="run inside a workspace, pass --root DIR, or create one with `artigov init`",
        )
        self.start = start


class ConfigError(ArtigovError):
    """The workspace configuration is missing, malformed or invalid."""

    def __init__(self, path: Path | str, field: str | None, problem: str, *, fix: str | None = None) -> None:
        where = f"{path}: field `{field}`" if field else f"{path}"
        super().__init__(f"{where}: {problem}", fix=fix)
        self.path = str(path)
        self.field = field
        self.problem = problem


class PathEscapeError(ArtigovError):
    """A path would resolve outside the workspace."""

    def __init__(self, path: str, root: Path, *, source: str | None = None) -> None:
        origin = f"{source}: " if source else ""
        super().__init__(
            f"{origin}path {path!r} escapes the workspace {root}",
            fix="use a relative path inside the workspace, without '..' or links pointing outside",
        )
        self.path = path
        self.root = root


class LockTimeoutError(ArtigovError):
    """Another process held a lock for longer than the timeout."""

    exit_code = EXIT_FINDINGS

    def __init__(self, path: Path, timeout: float, holder: str | None) -> None:
        held_by = f"held by {holder}" if holder else "held by another process"
        super().__init__(
            f"{path}: lock {held_by}; gave up after {timeout:g} s",
            fix="wait for that process to finish, or raise --lock-timeout",
        )
        self.path = path
        self.timeout = timeout
        self.holder = holder


class DiskError(ArtigovError):
    """A write failed (disk full, I/O error); the previous file is left in place."""

    exit_code = EXIT_FINDINGS

    def __init__(self, path: Path, error: OSError, *, replaced: bool = False) -> None:
        what = (
            "the new version is in place, but its folder could not be synced to disk"
            if replaced
            else "the previous version is left in place"
        )
        super().__init__(
            f"{path}: write failed: {error.strerror or error}; {what}",
            fix="free disk space or fix the I/O problem, then run the command again",
        )
        self.path = path
        self.errno = error.errno


class YamlSafetyError(ArtigovError):
    """YAML that is malformed or uses a construct artigov refuses."""

    exit_code = EXIT_FINDINGS

    def __init__(self, code: str, message: str, *, line: int | None = None, fix: str | None = None) -> None:
        super().__init__(message, fix=fix)
        self.code = code
        self.line = line


class SigningError(ArtigovError):
    """gpg could not sign (no key, no secret key, agent trouble); nothing was written."""

    exit_code = EXIT_FINDINGS


class VerificationError(ArtigovError):
    """A signature (of a snapshot, or of an approval) failed verification; ``code`` says which check."""

    exit_code = EXIT_FINDINGS

    def __init__(self, code: str, message: str, *, fix: str | None = None, snapshot: int | None = None) -> None:
        super().__init__(f"{code} {message}", fix=fix or code_info(code).help or None)
        self.code = code
        self.problem = message
        self.snapshot = snapshot
        #: The verification step that failed (set by the verifier that ran the steps).
        self.step: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The failure as JSON values: ``ok`` false, the code, the snapshot, the step, the message and the fix."""
        return {
            "ok": False,
            "code": self.code,
            "snapshot": self.snapshot,
            "step": self.step,
            "message": self.problem,
            "fix": self.fix,
        }
