"""SARIF 2.1.0 rendering of findings, for code-scanning tools (GitHub, GitLab, IDEs)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from artigov.core.findings import Finding

__all__ = ["SARIF_SCHEMA", "to_sarif"]

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFO_URI = "https://github.com/artigov/artigov#readme"


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
    for f in items:
        location: dict[str, Any] = {"artifactLocation": {"uri": f.file, "uriBaseId": "%SRCROOT%"}}
        if f.line:
            location["region"] = {"startLine": f.line}
        message = f.message.rstrip(".") + (f". Fix: {f.fix}" if f.fix else ".")
        result: dict[str, Any] = {
            "ruleId": f.code,
            "level": "error",
            "message": {"text": message},
            "locations": [{"physicalLocation": location}],
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
                                "shortDescription": {"text": rules[code][0].replace("-", " ")},
                                "help": {"text": rules[code][1] or rules[code][0]},
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
