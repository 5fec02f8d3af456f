"""SARIF 2.1.0 rendering of findings, for code-scanning tools (GitHub, GitLab, IDEs)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from artigov.core import Code, Finding, codes_of

__all__ = ["FINGERPRINT", "SARIF_SCHEMA", "to_sarif"]

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFO_URI = "https://github.com/artigov/artigov#readme"
#: The partialFingerprints key: code scanning tracks an alert across commits by it (lines may move).
FINGERPRINT = "artigovFinding/v1"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:].rstrip(".")


def _rule(code: Code) -> dict[str, Any]:
    """A SARIF rule from the catalogue entry: its summary, and its default fix where it has one."""
    summary = _sentence(code.summary)
    fix = f" Fix: {_sentence(code.help)}." if code.help else ""
    return {
        "id": code.code,
        "name": code.name,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": f"{code.code} {code.name}: {summary}.{fix}"},
        "help": {
            "text": f"{summary}.{fix} Codes: {INFO_URI}",
            "markdown": f"**{code.code} {code.name}**\n\n{summary}.{fix}",
        },
        "helpUri": INFO_URI,
    }


def _fingerprint(finding: Finding, seen: dict[str, int]) -> str:
    """sha256 of (code, file, JSON pointer) and the occurrence number among equal ones: the same
    problem in the same place keeps its fingerprint when lines above it move."""
    key = "\0".join((finding.code, finding.file, finding.pointer))
    seen[key] = seen.get(key, 0) + 1
    return hashlib.sha256(f"{key}\0{seen[key]}".encode()).hexdigest()[:32]


def _version() -> str:
    from artigov.core import distribution_version

    return distribution_version() or "0+unknown"


def automation_id(command: str, scope: str = "") -> str:
    """``artigov/<command>/[<scope>/]``: distinct per command and per framework (and gate)."""
    parts = ["artigov", command.replace(" ", "-"), *(p for p in scope.split("/") if p)]
    return "/".join(parts) + "/"


def to_sarif(
    findings: Iterable[Finding], families: str, root: Path, command: str, *, scope: str = ""
) -> dict[str, Any]:
    """One SARIF log with one run: a rule per finding code, a result per finding.

    Args:
        findings: what to report.
        families: the code families the command can report (``"SYJ"``): a rule per catalogue code.
        root: the workspace root; result locations are relative to it (``%SRCROOT%``).
        command: the artigov command; with ``scope`` (``framework/gate``), the run's automation id
            ``artigov/<command>/<scope>/``, whose category (all before the last ``/``) code scanning
            keeps apart: one upload may carry every framework's run, each under its own category.
    """
    items = list(findings)
    rules = codes_of(families)
    codes = [r.code for r in rules]
    index = {code: i for i, code in enumerate(codes)}
    results = []
    seen: dict[str, int] = {}
    for f in items:
        location: dict[str, Any] = {
            "artifactLocation": {"uri": f.file, "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": f.line or 1},  # a whole-file finding points at line 1
        }
        message = f.message.rstrip(".") + (f". Fix: {f.fix}" if f.fix else ".")
        result: dict[str, Any] = {
            "ruleId": f.code,
            "level": "error",
            "message": {"text": message},
            "locations": [{"physicalLocation": location}],
            "partialFingerprints": {FINGERPRINT: _fingerprint(f, seen)},
        }
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        if f.pointer:
            result["properties"] = {"jsonPointer": f.pointer}
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "artigov",
                        "version": _version(),
                        "informationUri": INFO_URI,
                        "rules": [{**_rule(r), "defaultConfiguration": {"level": "error"}} for r in rules],
                    }
                },
                "automationDetails": {"id": automation_id(command, scope)},
                "originalUriBaseIds": {"%SRCROOT%": {"uri": root.resolve().as_uri() + "/"}},
                "results": results,
            }
        ],
    }
