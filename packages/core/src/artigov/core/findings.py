"""Findings: one problem found in one place, with a stable code and a fix.

Every checker in artigov (validation, routing, contracts, verification)
returns ``Finding`` values; the command line renders them as text or JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Finding", "sort_findings"]


@dataclass(frozen=True)
class Finding:
    """One problem: where (file, line, JSON pointer), what (code, message) and the fix.

    Attributes:
        code: stable code, e.g. ``S002`` (schema) or ``R001`` (routing).
        file: POSIX path relative to the workspace root (or as given).
        message: one line saying what is wrong.
        fix: one line saying what to do about it.
        line: 1-based line in ``file``; 1 for a finding about the whole file (so every finding
            points somewhere: SARIF regions, editors).
        pointer: JSON pointer of the offending field (``/version``), or "".
        name: short stable name of the code (``schema-violation``).
    """

    code: str
    file: str
    message: str
    fix: str = ""
    line: int | None = None
    pointer: str = ""
    name: str = ""

    def __post_init__(self) -> None:
        if self.line is None:
            object.__setattr__(self, "line", 1)

    def sort_key(self) -> tuple[bytes, int, str, str, str]:
        return (self.file.encode("utf-8"), self.line or 0, self.code, self.pointer, self.message)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "file": self.file,
            "line": self.line,
            "pointer": self.pointer,
            "message": self.message,
            "fix": self.fix,
        }

    def one_line(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        field = f" {self.pointer}:" if self.pointer else ""
        fix = f" (fix: {self.fix})" if self.fix else ""
        return f"{where}: {self.code}{field} {self.message}{fix}"


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Findings in a deterministic order: file (bytewise), line, code, pointer."""
    return sorted(findings, key=Finding.sort_key)
