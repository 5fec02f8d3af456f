"""A fast path for plain frontmatter: exact where it answers, silent where it cannot.

Most artifacts' frontmatter is ``key: value`` lines of simple scalars and
short lists. :func:`parse_plain` reads exactly that shape (and returns None
for anything else: comments, numbers, escapes, anchors, nesting, duplicate
keys), giving the same mapping the hardened YAML loader gives.
:func:`base_valid` answers True only when the base schema would accept the
metadata; otherwise the full jsonschema validator runs and reports.
Property tests check both against the real YAML loader and validator.
"""

from __future__ import annotations

import re
from typing import Any

from rfc3339_validator import validate_rfc3339  # type: ignore[import-untyped]

from artigov.core.fastschema import schema_valid

__all__ = ["base_valid", "parse_plain", "schema_valid"]


_KEY = r"[a-z_][a-z0-9_]*"
# A plain scalar that YAML (with artigov's 1.2 booleans) reads as this very string: it starts with a
# letter (so never a number, date or .inf), holds no space, quote or flow character, and a ':' only
# inside (a ':' at the end would be a mapping indicator).
_PLAIN = r"[A-Za-z](?:[A-Za-z0-9_.@+/:-]*[A-Za-z0-9_.@+/-])?"
# YAML forbids C0/C1 controls raw, and PyYAML treats NEL, U+2028 and U+2029 as line breaks.
_QUOTED = r'"[^"\\\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]*"'
_SCALAR = re.compile(rf"(?:{_PLAIN}|{_QUOTED})")
_LINE = re.compile(rf"({_KEY}):(?: (.*))?")
_FLOW = re.compile(rf"\[((?:{_PLAIN}|{_QUOTED})(?:, (?:{_PLAIN}|{_QUOTED}))*)?\]")
_ITEM = re.compile(rf"  - ({_PLAIN}|{_QUOTED})")
_SPECIAL = frozenset({"true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL"})
_SPLIT = re.compile(rf"{_PLAIN}|{_QUOTED}")


def _scalar(text: str) -> str | None:
    if not _SCALAR.fullmatch(text) or text in _SPECIAL:
        return None
    return text[1:-1] if text.startswith('"') else text


_VALUE = rf"(?:{_PLAIN}|{_QUOTED})"
_DOC_LINE = rf"{_KEY}: (?:{_VALUE}|\[(?:{_VALUE}(?:, {_VALUE})*)?\])"
#: A whole frontmatter of one-line ``key: value`` / ``key: [a, b]`` pairs: checked by one regex.
_DOC = re.compile(rf"(?:{_DOC_LINE}\n)*{_DOC_LINE}\n?")
_PAIR = re.compile(rf"({_KEY}): (.*)")


def _one_line_pairs(text: str) -> dict[str, Any] | None:
    """:func:`parse_plain` for the common case, which ``_DOC`` has already validated line by line."""
    out: dict[str, Any] = {}
    for key, raw in _PAIR.findall(text):
        if key in out:
            return None  # duplicate: the loader reports it
        if raw[0] == "[":
            items = _SPLIT.findall(raw[1:-1])
            if any(i in _SPECIAL for i in items):
                return None
            out[key] = [i[1:-1] if i[0] == '"' else i for i in items]
        elif raw[0] == '"':
            out[key] = raw[1:-1]
        elif raw in _SPECIAL:
            return None
        else:
            out[key] = raw
    return out or None


def parse_plain(text: str) -> dict[str, Any] | None:
    """The mapping for plain ``key: value`` frontmatter, or None if it is not that simple."""
    if _DOC.fullmatch(text):
        return _one_line_pairs(text)
    out: dict[str, Any] = {}
    pending: str | None = None
    for line in text.splitlines():
        if not line:
            continue
        if pending is not None:
            item = _ITEM.fullmatch(line)
            if item:
                value = _scalar(item.group(1))
                if value is None:
                    return None
                out[pending].append(value)
                continue
            if not out[pending]:
                return None  # "key:" with nothing under it is null in YAML: leave it to the loader
            pending = None
        match = _LINE.fullmatch(line)
        if match is None:
            return None
        key, raw = match.group(1), match.group(2)
        if key in out:
            return None  # duplicate: the loader reports it
        if raw is None or raw == "":
            out[key] = []
            pending = key
            continue
        if raw.startswith("["):
            flow = _FLOW.fullmatch(raw)
            if flow is None:
                return None
            items = [_scalar(i) for i in _SPLIT.findall(flow.group(1) or "")]
            if any(i is None for i in items):
                return None
            out[key] = items
            continue
        value = _scalar(raw)
        if value is None:
            return None
        out[key] = value
    if pending is not None and not out[pending]:
        return None
    return out or None  # empty frontmatter is null in YAML: the loader reports it


_ID = re.compile(r"[A-Za-z0-9_.-]{1,200}")
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+!-]{0,63}")
_FRAMEWORK = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_KIND = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")
_CHECKSUM = re.compile(r"sha256:[0-9a-f]{64}")
_SUPERSEDES = re.compile(r"[A-Za-z0-9_.-]+(@[A-Za-z0-9][A-Za-z0-9_.+!-]*)?")
_STATUSES = frozenset({"draft", "review", "approved"})


def base_valid(meta: dict[str, Any]) -> bool:
    """True only if the base schema certainly accepts ``meta`` (False: ask jsonschema)."""
    for stamp in ("created_at", "updated_at"):
        value = meta.get(stamp)
        # The very check jsonschema's date-time format checker makes (rfc3339-validator, upper-cased).
        if value is not None and not (isinstance(value, str) and validate_rfc3339(value.upper())):
            return False
    try:
        if not (
            _ID.fullmatch(meta["id"])
            and _VERSION.fullmatch(meta["version"])
            and meta["status"] in _STATUSES
            and _FRAMEWORK.fullmatch(meta["framework"])
            and _KIND.fullmatch(meta["kind"])
        ):
            return False
    except (KeyError, TypeError):
        return False
    title = meta.get("title")
    if title is not None and not (isinstance(title, str) and title):
        return False
    checksum = meta.get("checksum")
    if checksum is not None and not (isinstance(checksum, str) and _CHECKSUM.fullmatch(checksum)):
        return False
    supersedes = meta.get("supersedes")
    if supersedes is not None and not (isinstance(supersedes, str) and _SUPERSEDES.fullmatch(supersedes)):
        return False
    approvers = meta.get("approved_by")
    if approvers is not None:
        if not isinstance(approvers, list) or len(set(approvers)) != len(approvers):
            return False
        if not all(isinstance(a, str) and len(a) >= 3 for a in approvers):
            return False
    return True
