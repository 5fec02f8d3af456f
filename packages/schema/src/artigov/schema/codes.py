"""Stable finding codes of artifact validation, with their names and default fixes."""

from __future__ import annotations

__all__ = ["CODES", "fix_for", "name_for"]

#: code -> (name, default fix)
CODES: dict[str, tuple[str, str]] = {
    "S001": ("unreadable-file", "check the path and its permissions"),
    "S002": ("empty-file", "add a frontmatter block with the artifact's metadata"),
    "S003": ("binary-file", "describe binary files with a sidecar X.meta.yaml instead of frontmatter"),
    "S004": ("not-utf8", "save the file as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)"),
    "S005": ("no-metadata", "add a `---` frontmatter block at the top, or a sidecar X.meta.yaml"),
    "S006": ("unterminated-frontmatter", "close the frontmatter with a line holding only `---`"),
    "S007": ("frontmatter-too-large", "keep frontmatter under 64 KiB; move content into the body"),
    "S008": ("file-too-large", "artifacts with frontmatter are limited to 16 MiB; use a sidecar for large files"),
    "S013": ("metadata-not-mapping", "write the metadata as `key: value` lines"),
    "S014": ("schema-violation", "fix the field as the message says"),
    "S015": ("checksum-mismatch", "update `checksum` to the content's sha256, or restore the content"),
    "S016": ("duplicate-id-version", "give one of the two a new version, or remove the copy"),
    "S017": ("orphan-sidecar", "restore the described file, or delete the sidecar"),
    "S018": ("two-sidecars", "keep one sidecar: X.meta.yaml or X.meta.json"),
    "S019": ("outside-workspace", "pass paths inside the workspace"),
    "S020": ("toml-frontmatter", "rewrite the `+++` TOML block as YAML between `---` lines, or use a sidecar"),
    "Y001": ("yaml-invalid", "fix the YAML syntax"),
    "Y002": ("yaml-alias", "write the value out in full instead of using anchors and aliases"),
    "Y003": ("yaml-tag", "remove the tag; quote the value if it must be a string"),
    "Y004": ("yaml-duplicate-key", "keep one of the duplicate keys"),
    "Y005": ("yaml-too-deep", "flatten the structure"),
    "J001": ("json-invalid", "fix the JSON syntax"),
}


def name_for(code: str) -> str:
    return CODES.get(code, ("unknown", ""))[0]


def fix_for(code: str) -> str:
    return CODES.get(code, ("", ""))[1]
