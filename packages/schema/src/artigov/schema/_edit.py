"""Change an artifact's metadata fields in place, keeping everything else byte for byte.

The text is edited, never re-dumped: the lines of a changed top-level key are replaced (or new
keys appended at the end of the block), so comments, key order, quoting and the body stay as the
author wrote them. The result is loaded again with the loader before it is returned: the edit is
proved to give exactly the intended metadata and an unchanged body checksum, or it is refused.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from artigov.schema._loader import _CLOSE, _OPEN, load_frontmatter_artifact, load_sidecar_artifact, read_source
from artigov.schema._model import Artifact
from artigov.schema._plainfields import plain_field
from artigov.schema.errors import ArtifactLoadError

__all__ = ["EditError", "edit_metadata", "edit_yaml_text", "edited_artifact", "newline_of", "render_fields"]

_TOP_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)[ \t]*:(?:[ \t]|$)")


class EditError(ArtifactLoadError):
    """The metadata could not be changed safely; the file was not touched."""


def _render(key: str, value: Any, newline: str) -> list[str]:
    fast = plain_field(key, value)  # the speed seam: most values are plain text
    if fast is not None:
        return [fast + newline]
    dumped = yaml.safe_dump({key: value}, default_flow_style=False, sort_keys=False, allow_unicode=True, width=4096)
    return [line + newline for line in dumped.splitlines()]


def render_fields(values: dict[str, Any], newline: str = "\n") -> str:
    """``key: value`` lines for a new metadata block, in the given order."""
    return "".join(line for key, value in values.items() for line in _render(key, value, newline))


def _block_end(lines: list[str], start: int) -> int:
    """The line after the value of the top-level key on line ``start`` (its indented or ``- `` lines)."""
    end = start + 1
    while end < len(lines):
        line = lines[end]
        stripped = line.strip()
        if line[:1] in (" ", "\t") or line.startswith("- ") or stripped == "-":
            end += 1
        elif not stripped:  # a blank line belongs to the value only if the value goes on after it
            nxt = end + 1
            while nxt < len(lines) and not lines[nxt].strip():
                nxt += 1
            if nxt < len(lines) and (lines[nxt][:1] in (" ", "\t") or lines[nxt].startswith("- ")):
                end = nxt
            else:
                break
        else:
            break
    return end


def newline_of(text: str) -> str:
    """The line break ``text`` uses: ``\\r\\n``, a lone ``\\r`` (classic Mac) or ``\\n`` (also for none)."""
    if "\r\n" in text:
        return "\r\n"
    return "\r" if "\r" in text else "\n"


def _key_line(lines: list[str], key: str) -> int | None:
    return next((i for i, line in enumerate(lines) if (m := _TOP_KEY.match(line)) and m.group(1) == key), None)


def edit_yaml_text(text: str, updates: dict[str, Any], renames: dict[str, str] | None = None) -> str:
    """``text`` (a YAML mapping) with each key of ``renames`` renamed (its value's bytes kept), then
    each key of ``updates`` set: its lines replaced in place, or appended at the end, with the
    text's own line breaks. Everything else is kept as it was.

    Raises:
        ValueError: a key to rename is not a plain top-level key of ``text``.
    """
    newline = newline_of(text)
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += newline
    # A key's line holds its name: one that is in neither the text nor a line set here is not
    # searched for, line by line (adopt adds six or seven keys a document).
    named = set(renames.values()) if renames else set()
    for old, new in (renames or {}).items():
        found = _key_line(lines, old)
        if found is None:
            raise ValueError(f"{old!r} is not a plain top-level key")
        lines[found] = new + lines[found][len(old) :]
    for key, value in updates.items():
        found = _key_line(lines, key) if key in text or key in named else None
        named.add(key)
        rendered = _render(key, value, newline)
        if found is None:
            lines.extend(rendered)
        else:
            lines[found : _block_end(lines, found)] = rendered
    return "".join(lines)


def _expected(artifact: Artifact, updates: dict[str, Any], renames: dict[str, str]) -> dict[str, Any]:
    kept = {renames.get(k, k): v for k, v in artifact.metadata.items()}
    return {**kept, **updates}


def edit_metadata(
    root: Path, artifact: Artifact, updates: dict[str, Any], renames: dict[str, str] | None = None
) -> tuple[str, bytes]:
    """The file to write and its new bytes: :func:`edited_artifact` without the loaded result.

    Raises:
        EditError: as :func:`edited_artifact`.
    """
    source, new, _ = edited_artifact(root, artifact, updates, renames)
    return source, new


def edited_artifact(
    root: Path, artifact: Artifact, updates: dict[str, Any], renames: dict[str, str] | None = None
) -> tuple[str, bytes, Artifact]:
    """The file to write, its new bytes, with ``updates`` applied to ``artifact``'s metadata
    (after each key of ``renames`` is renamed, its value kept as written), and the artifact those
    bytes load to (the proof: exactly the intended metadata, the same checksum).

    Raises:
        EditError: the edited text would not load to exactly the intended metadata, or the
            artifact's content (its checksum) would change. Nothing is written here.
    """
    try:
        source, new, check = _edited(root, artifact, updates, renames or {})
    except EditError:
        raise
    except (ArtifactLoadError, ValueError) as e:  # the edited text does not even load
        raise EditError(
            "E001",
            artifact.source,
            f"setting {', '.join(sorted(updates))} in place would break the metadata ({e})",
            line=artifact.meta_line,
            fix=f"set {', '.join(sorted(updates))} by hand and run the command again",
        ) from None
    if check.metadata != _expected(artifact, updates, renames or {}) or check.checksum != artifact.checksum:
        raise EditError(
            "E001",
            source,
            f"setting {', '.join(sorted(updates))} in place would not give the intended metadata",
            line=artifact.meta_line,
            fix=f"set {', '.join(sorted(updates))} by hand and run the command again",
        )
    return source, new, check


def _edited(
    root: Path, artifact: Artifact, updates: dict[str, Any], renames: dict[str, str]
) -> tuple[str, bytes, Artifact]:
    source = artifact.source
    if artifact.meta_path is None:
        data = read_source(root, artifact.path)
        opening = _OPEN.match(data)
        closing = _CLOSE.search(data, opening.end()) if opening else None
        if opening is None or closing is None:
            raise EditError("E001", source, "the frontmatter moved while it was being edited", line=1)
        meta = data[opening.end() : closing.start()].decode("utf-8")
        new = data[: opening.end()] + edit_yaml_text(meta, updates, renames).encode("utf-8") + data[closing.start() :]
        check = load_frontmatter_artifact(root, artifact.path, data=new)
    else:
        raw = read_source(root, artifact.meta_path, sidecar=True)
        if artifact.meta_path.endswith(".json"):
            value = {renames.get(k, k): v for k, v in json.loads(raw).items()}
            value.update(updates)
            new = (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        else:
            new = edit_yaml_text(raw.decode("utf-8"), updates, renames).encode("utf-8")
        check = load_sidecar_artifact(root, artifact.path, artifact.meta_path, meta_data=new)
    return source, new, check
