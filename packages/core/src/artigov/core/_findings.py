"""Findings: one problem found in one place, with a stable code and a fix.

Every checker in artigov (validation, routing, contracts, verification)
returns ``Finding`` values; the command line renders them as text or JSON.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from artigov.core._catalogue import CATALOGUE, Code

__all__ = [
    "CATALOGUE",
    "Code",
    "Finding",
    "code_info",
    "codes_of",
    "markdown_table",
    "render_code_tables",
    "sort_findings",
]

_BY_CODE = {c.code: c for c in CATALOGUE}


def code_info(code: str) -> Code:
    """The catalogue entry of ``code`` (a code not in the catalogue is a bug: KeyError)."""
    return _BY_CODE[code]


def codes_of(families: Iterable[str]) -> tuple[Code, ...]:
    """The catalogue's codes of the given families (first letters), in code order."""
    wanted = tuple(families)
    return tuple(c for c in sorted(CATALOGUE, key=lambda c: c.code) if c.code[0] in wanted)


_TABLE = re.compile(r"^<!-- codes: (?P<families>[A-Z]+) \((?P<meaning>[^)]*)\) -->\n.*?^<!-- /codes -->$", re.M | re.S)
_FAULTS = re.compile(r"^<!-- faults -->\n.*?^<!-- /faults -->$", re.M | re.S)


def markdown_table(families: Iterable[str], meaning: str = "meaning") -> str:
    """A Markdown table of the given families' codes: code, name, summary."""
    lines = [f"| code | name | {meaning} |", "|------|------|" + "-" * (len(meaning) + 2) + "|"]
    lines += [f"| {c.code} | {c.name} | {c.summary} |" for c in codes_of(families)]
    return "\n".join(lines) + "\n"


def render_code_tables(markdown: str) -> str:
    """``markdown`` with every ``<!-- codes: FAMILIES (column) -->`` … ``<!-- /codes -->`` block
    regenerated from the catalogue, and every ``<!-- faults -->`` … ``<!-- /faults -->`` block from
    the fault-point catalogue (the README's tables are never edited by hand)."""
    from artigov.core._faults import fault_table

    def table(m: re.Match[str]) -> str:
        head = f"<!-- codes: {m['families']} ({m['meaning']}) -->\n"
        return head + markdown_table(m["families"], m["meaning"]) + "<!-- /codes -->"

    with_codes = _TABLE.sub(table, markdown)
    return _FAULTS.sub(lambda _: f"<!-- faults -->\n{fault_table()}<!-- /faults -->", with_codes)


@dataclass(frozen=True)
class Finding:
    """One problem: where (file, line, JSON pointer), what (code, message) and the fix.

    Attributes:
        code: stable code, e.g. ``S002`` (schema) or ``R001`` (routing).
        file: POSIX path relative to the workspace root (or as given).
        message: one line saying what is wrong.
        fix: one line saying what to do about it; by default the catalogue's help for the code.
        line: 1-based line in ``file``; 1 for a finding about the whole file (so every finding
            points somewhere: SARIF regions, editors).
        pointer: JSON pointer of the offending field (``/version``), or "".
        name: short stable name of the code (``schema-violation``); by default the catalogue's.
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
        info = _BY_CODE.get(self.code)
        if info is not None:  # name and default fix come from the catalogue
            if not self.name:
                object.__setattr__(self, "name", info.name)
            if not self.fix and info.help:
                object.__setattr__(self, "fix", info.help)

    def sort_key(self) -> tuple[bytes, int, str, str, str]:
        """The order findings are reported in: file (bytewise), line, code, pointer, message."""
        return (self.file.encode("utf-8"), self.line or 0, self.code, self.pointer, self.message)

    def to_dict(self) -> dict[str, Any]:
        """The finding as JSON values (every command's ``findings`` entries)."""
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
        """``file:line: CODE /pointer: message (fix: …)``: the text output."""
        where = self.file + (f":{self.line}" if self.line else "")
        field = f" {self.pointer}:" if self.pointer else ""
        fix = f" (fix: {self.fix})" if self.fix else ""
        return f"{where}: {self.code}{field} {self.message}{fix}"


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Findings in a deterministic order: file (bytewise), line, code, pointer."""
    return sorted(findings, key=Finding.sort_key)
