"""A hardened YAML loader: the only way artigov reads YAML.

Rules, each refused with a :class:`YamlSafetyError` that carries a stable code
and the line:

* anchors and aliases (``&a`` / ``*a``): an alias bomb must fail fast, before
  anything grows (code ``Y002``);
* explicit tags (``!!python/object``, ``!custom``, even ``!!str``) (``Y003``);
* duplicate mapping keys, which PyYAML would silently overwrite (``Y004``);
* merge keys (``<<``) (``Y004``);
* nesting deeper than :data:`MAX_DEPTH` (``Y005``);
* anything that is not valid YAML (``Y001``).

YAML timestamps are kept as the strings they were written as, so an unquoted
date cannot turn into a ``datetime`` and pass or fail a schema by accident.
Booleans follow YAML 1.2: only ``true``/``false`` are booleans; ``yes``,
``no``, ``on``, ``off`` stay strings (so a trigger's ``on:`` key is ``"on"``,
and a framework named ``no`` is not ``False``).

libyaml's C parser is used when PyYAML was built with it (about 8x faster);
the rules are the same either way.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from artigov.core.errors import YamlSafetyError

__all__ = ["MAX_DEPTH", "LIBYAML", "load_yaml"]

MAX_DEPTH = 64

try:
    import yaml.cyaml

    _CParser: Any = getattr(yaml.cyaml, "CParser")  # noqa: B009 - not in the stubs' exports
    LIBYAML = True
except (ImportError, AttributeError):  # pragma: no cover - depends on how PyYAML was built
    _CParser = None
    LIBYAML = False

_MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
# Characters that can start an anchor, alias or tag; text without any of them
# cannot hold one, so the event scan below is skipped (the common case).
_SUSPECT = re.compile(r"[&*!]")


class _HardenedConstructor(SafeConstructor):
    def construct_object(self, node: Node, deep: bool = False) -> Any:
        if node in self.constructed_objects or node in self.recursive_objects:
            raise YamlSafetyError(
                "Y002", "YAML aliases are not allowed", line=node.start_mark.line + 1, fix="write the value out in full"
            )
        return super().construct_object(node, deep=deep)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE_TAG:
                raise YamlSafetyError(
                    "Y004", "YAML merge keys (<<) are not allowed", line=line, fix="write the keys out in full"
                )
            if isinstance(key_node, ScalarNode):
                key = self.construct_scalar(key_node)
                if key in seen:
                    raise YamlSafetyError(
                        "Y004",
                        f"duplicate key {key!r} (first on line {seen[key]})",
                        line=line,
                        fix="keep one of the two entries",
                    )
                seen[key] = line
            else:
                raise YamlSafetyError("Y004", "mapping keys must be plain scalars", line=line, fix="use a string key")
        return super().construct_mapping(node, deep=True)

    def construct_yaml_timestamp_as_text(self, node: ScalarNode) -> str:
        return str(self.construct_scalar(node))


class _Resolver(Resolver):
    """PyYAML's resolver with YAML 1.2 booleans (true/false only)."""


_BOOL_TAG = "tag:yaml.org,2002:bool"
_Resolver.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first, resolvers in Resolver.yaml_implicit_resolvers.items()
}
_Resolver.add_implicit_resolver(_BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


_HardenedConstructor.add_constructor(_TIMESTAMP_TAG, _HardenedConstructor.construct_yaml_timestamp_as_text)  # type: ignore[type-var]


if LIBYAML:

    class _HardenedLoader(_CParser, _HardenedConstructor, _Resolver):  # type: ignore[misc]
        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            _HardenedConstructor.__init__(self)
            _Resolver.__init__(self)

else:  # pragma: no cover - depends on how PyYAML was built
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _HardenedLoader(Reader, Scanner, Parser, Composer, _HardenedConstructor, _Resolver):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)
            _HardenedConstructor.__init__(self)
            _Resolver.__init__(self)


def _scan_events(text: str) -> None:
    """Refuse anchors, aliases and explicit tags by looking at the parse events."""
    loader = _HardenedLoader(text)
    try:
        while loader.check_event():
            event: Any = loader.get_event()
            line = event.start_mark.line + 1
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise YamlSafetyError(
                    "Y002", "YAML anchors and aliases are not allowed", line=line, fix="write the value out in full"
                )
            if getattr(event, "tag", None) and not isinstance(event, (yaml.DocumentStartEvent,)):
                raise YamlSafetyError(
                    "Y003",
                    f"YAML tag {event.tag!r} is not allowed",
                    line=line,
                    fix="remove the tag; quote the value if it must be a string",
                )
    finally:
        loader.dispose()


def _check_flow_depth(text: str) -> None:
    """Refuse deep ``[[[[`` / ``{{{{`` nesting before the parser recurses into it."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    depth = 0
    line = 1
    for ch in text:
        if ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlSafetyError(
                    "Y005", f"YAML nested deeper than {MAX_DEPTH} levels", line=line, fix="flatten the structure"
                )
        elif ch in "]}":
            depth = max(0, depth - 1)
        elif ch == "\n":
            line += 1


def _depth(node: Node, limit: int) -> None:
    stack: list[tuple[Node, int]] = [(node, 1)]
    seen: set[int] = set()
    while stack:
        current, depth = stack.pop()
        if depth > limit:
            raise YamlSafetyError(
                "Y005",
                f"YAML nested deeper than {limit} levels",
                line=current.start_mark.line + 1,
                fix="flatten the structure",
            )
        if id(current) in seen:
            continue  # an alias; construction refuses it with its own message
        seen.add(id(current))
        if isinstance(current, SequenceNode):
            stack.extend((child, depth + 1) for child in current.value)
        elif isinstance(current, MappingNode):
            for k, v in current.value:
                stack.append((k, depth + 1))
                stack.append((v, depth + 1))


def load_yaml(text: str, *, line_offset: int = 0) -> Any:
    """Load one YAML document from ``text`` under artigov's safety rules.

    Args:
        text: the YAML source.
        line_offset: added to reported line numbers (e.g. 1 for frontmatter
            that starts after the opening ``---`` line).

    Returns:
        The loaded value (None for an empty document).

    Raises:
        YamlSafetyError: malformed YAML or a refused construct; ``line`` is
            1-based and includes ``line_offset``.
    """
    try:
        _check_flow_depth(text)
        if _SUSPECT.search(text):
            _scan_events(text)
        loader = _HardenedLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            _depth(node, MAX_DEPTH)
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except YamlSafetyError as e:
        if e.line is not None:
            e.line += line_offset
        raise
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 + line_offset if mark is not None else None
        problem = e.problem or e.context or "invalid YAML"
        raise YamlSafetyError("Y001", f"invalid YAML: {problem}", line=line, fix="fix the YAML syntax") from e
    except yaml.YAMLError as e:
        raise YamlSafetyError("Y001", f"invalid YAML: {e}", fix="fix the YAML syntax") from e
    except RecursionError as e:
        raise YamlSafetyError("Y005", "YAML nested too deeply", fix="flatten the structure") from e
    except ValueError as e:  # e.g. an integer of more than 4,300 digits (Python's int conversion limit)
        raise YamlSafetyError("Y001", f"invalid YAML value: {e}"[:300], fix="quote the value as a string") from e
