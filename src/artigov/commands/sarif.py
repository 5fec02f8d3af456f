"""SARIF 2.1.0 rendering of findings, for code-scanning tools (GitHub, GitLab, IDEs)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from artigov.core.findings import Finding

__all__ = ["FINGERPRINT", "SARIF_SCHEMA", "to_sarif"]

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFO_URI = "https://github.com/artigov/artigov#readme"
#: The partialFingerprints key: code scanning tracks an alert across commits by it (lines may move).
FINGERPRINT = "artigovFinding/v1"


def _sentence(name: str) -> str:
    text = name.replace("-", " ")
    return text[:1].upper() + text[1:]


def _fix(rule: tuple[str, str]) -> str:
    return (rule[1] or rule[0]).rstrip(".")


def _fingerprint(finding: Finding, seen: dict[str, int]) -> str:
    """sha256 of (code, file, JSON pointer) and the occurrence number among equal ones: the same
    problem in the same place keeps its fingerprint when lines above it move."""
    key = "\0".join((finding.code, finding.file, finding.pointer))
    seen[key] = seen.get(key, 0) + 1
    return hashlib.sha256(f"{key}\0{seen[key]}".encode()).hexdigest()[:32]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("artigov")
    except PackageNotFoundError:  # pragma: no cover - source tree without metadata
        return "0+unknown"


def to_sarif(
    findings: Iterable[Finding], rules: Mapping[str, tuple[str, str]], root: Path, command: str
) -> dict[str, Any]:
    """One SARIF log with one run: a rule per finding code, a result per finding.

    Args:
        findings: what to report.
        rules: code -> (name, default fix) for every code the command can report.
        root: the workspace root; result locations are relative to it (``%SRCROOT%``).
        command: the artigov command (the run's automation id).
    """
    items = list(findings)
    codes = sorted(rules)
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
                        "rules": [
                            {
                                "id": code,
                                "name": rules[code][0],
                                "shortDescription": {"text": _sentence(rules[code][0])},
                                "fullDescription": {"text": f"{code} {_sentence(rules[code][0])}: {_fix(rules[code])}"},
                                "help": {
                                    "text": f"Fix: {_fix(rules[code])}. Codes: {INFO_URI}",
                                    "markdown": f"**{code} {rules[code][0]}**\n\nFix: {_fix(rules[code])}.",
                                },
                                "helpUri": INFO_URI,
                                "defaultConfiguration": {"level": "error"},
                            }
                            for code in codes
                        ],
                    }
                },
                "automationDetails": {"id": f"artigov/{command.replace(' ', '-')}/"},
                "originalUriBaseIds": {"%SRCROOT%": {"uri": root.resolve().as_uri() + "/"}},
                "results": results,
            }
        ],
    }
