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

Mapping keys must be text: a key YAML reads as null, a boolean or a number
(``null:``, ``true:``, ``1:``) is refused with the fix to quote it (``Y004``).

Line numbers count only real line ends (``\n``, ``\r\n``, ``\r``), as an
editor does: a form feed, NEL or U+2028 in the text never shifts them (PyYAML
counts the last three as breaks; artigov recomputes lines from its offsets).

Most frontmatter is plain ``key: value`` lines; :func:`parse_plain` reads
exactly that shape about 20x faster and gives the very mapping the full
loader gives (property-tested), returning None for anything else.
:func:`load_yaml` tries it first, so every caller has one entry point.

One verdict on every machine: the pure-Python parser's. libyaml's C parser
(about 8x faster) is used when PyYAML was built with it, but only on text the
two parsers cannot judge differently (:data:`_DIVERGENT`: tabs, ``?``,
directives, ...), and a refusal from it is judged again by the pure-Python
parser, whose message is the one shown. Tests run every case on both.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from artigov.core.errors import YamlSafetyError

__all__ = ["LIBYAML", "MAX_DEPTH", "line_of", "load_yaml", "parse_plain", "pointer_lines"]


MAX_DEPTH = 64

try:
    import yaml.cyaml

    _CParser: Any = getattr(yaml.cyaml, "CParser")  # noqa: B009 - not in the stubs' exports
    LIBYAML = True
except (ImportError, AttributeError):  # pragma: no cover - depends on how PyYAML was built
    _CParser = None
    LIBYAML = False

_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
# Characters that can start an anchor, alias or tag; text without any of them
# cannot hold one, so the event scan below is skipped (the common case).
_SUSPECT = re.compile(r"[&*!]")
_LINE_END = re.compile(r"\r\n?|\n")


_TAB_FIX = (
    "replace the tab with spaces: YAML indents and separates with spaces"
    " (a tab is text only inside quotes or a block scalar)"
)


def line_of(text: str, index: int) -> int:
    """The 1-based line of character ``index`` in ``text``, counting ``\\n``, ``\\r\\n`` and ``\\r``."""
    head = text[:index]
    if "\r" not in head:
        return head.count("\n") + 1
    return len(_LINE_END.findall(head)) + 1


class _RefusedError(Exception):
    """A refusal found while building the value, at a parser mark (its line is computed later)."""

    def __init__(self, code: str, message: str, mark: Any, fix: str) -> None:
        super().__init__(message)
        self.code, self.message, self.mark, self.fix = code, message, mark, fix


class _HardenedConstructor(SafeConstructor):
    def construct_object(self, node: Node, deep: bool = False) -> Any:
        if node in self.constructed_objects or node in self.recursive_objects:
            raise _RefusedError("Y002", "YAML aliases are not allowed", node.start_mark, "write the value out in full")
        return super().construct_object(node, deep=deep)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            mark = key_node.start_mark
            if key_node.tag == _MERGE_TAG:
                raise _RefusedError("Y004", "YAML merge keys (<<) are not allowed", mark, "write the keys out in full")
            if isinstance(key_node, MappingNode):
                raise _RefusedError(
                    "Y004",
                    "a flow mapping `{…}` cannot be a key (a template such as `{{ … }}` is not YAML)",
                    mark,
                    'quote the value, e.g. title: "{{ .Title }}", or fill the template in',
                )
            if not isinstance(key_node, ScalarNode):
                raise _RefusedError("Y004", "a list `[…]` cannot be a key", mark, "use a plain text key")
            key = self.construct_scalar(key_node)
            if key == "" and key_node.tag != _STR_TAG:
                raise _empty_key(key_node)
            if key_node.tag != _STR_TAG:
                raise _RefusedError(
                    "Y004",
                    f"key {key!r} is not text (YAML reads it as {key_node.tag.rsplit(':', 1)[-1]})",
                    mark,
                    f'quote the key: "{key}":',
                )
            if key in seen:
                raise _RefusedError(
                    "Y004",
                    f"duplicate key {key!r} (first at {{line:{seen[key]}}})",
                    mark,
                    "keep one of the two entries",
                )
            seen[key] = mark.index
        return super().construct_mapping(node, deep=True)

    def construct_yaml_timestamp_as_text(self, node: ScalarNode) -> str:
        return str(self.construct_scalar(node))


def _empty_key(key_node: ScalarNode) -> _RefusedError:
    """The refusal of a key written as nothing, pointing at the ``?`` that opened it when there is one."""
    mark = key_node.start_mark
    buffer, at = getattr(mark, "buffer", None), getattr(mark, "pointer", None)
    if isinstance(buffer, str) and isinstance(at, int):
        stripped = buffer[:at].rstrip(" ")
        if stripped.endswith("?"):
            column = mark.column - (at - len(stripped))
            return _RefusedError(
                "Y004",
                f"`?` at column {column} starts a complex key (YAML's explicit-key indicator) and no key follows it",
                mark,
                'quote it if it is text, e.g. - "?"',
            )
    return _RefusedError(
        "Y004", f"a mapping entry with no key at column {mark.column + 1}", mark, "write a key before the ':'"
    )


class _Resolver(Resolver):
    """PyYAML's resolver with YAML 1.2 booleans (true/false only)."""


_BOOL_TAG = "tag:yaml.org,2002:bool"
_Resolver.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first, resolvers in Resolver.yaml_implicit_resolvers.items()
}
_Resolver.add_implicit_resolver(_BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


_HardenedConstructor.add_constructor(_TIMESTAMP_TAG, _HardenedConstructor.construct_yaml_timestamp_as_text)  # type: ignore[type-var]


class _PyLoader(Reader, Scanner, Parser, Composer, _HardenedConstructor, _Resolver):
    """PyYAML's pure-Python parser under artigov's rules: the one whose verdict counts."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        _HardenedConstructor.__init__(self)
        _Resolver.__init__(self)


_Loader = type[_PyLoader]
_C_LOADER: _Loader | None = None
if LIBYAML:

    class _CLoader(_CParser, _HardenedConstructor, _Resolver):  # type: ignore[misc]
        """libyaml's parser under the same rules: a faster way to the same answer, where it gives one."""

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            _HardenedConstructor.__init__(self)
            _Resolver.__init__(self)

    _C_LOADER = _CLoader

#: Text libyaml may accept where the pure-Python parser refuses or reads otherwise: a tab, a ``?``,
#: a ``%`` directive, a ``#`` right after other text, a byte-order mark. Found by running both
#: parsers on the public yaml-test-suite (25 of its 402 cases differ: each one libyaml accepts is
#: matched here; what it refuses is judged again anyway) and on fuzzed text
#: (``packages/core/tests/test_yaml_parsers.py``); such text goes to the pure-Python parser only.
_DIVERGENT = re.compile(r"[\t?\ufeff]|^%|\S#", re.MULTILINE)
#: What a refusal raises inside :func:`_load_with` (mapped to a :class:`YamlSafetyError` by :func:`load_yaml`).
_REFUSALS = (yaml.YAMLError, _RefusedError, RecursionError, ValueError, TypeError, OverflowError)


def _loaders(text: str) -> tuple[_Loader, ...]:
    """The parsers to try, fastest first; the last one's verdict stands."""
    if _C_LOADER is None or _DIVERGENT.search(text):
        return (_PyLoader,)
    return (_C_LOADER, _PyLoader)


def _scan_events(text: str, loader_class: _Loader) -> None:
    """Refuse anchors, aliases and explicit tags by looking at the parse events."""
    loader: Any = loader_class(text)
    try:
        while loader.check_event():
            event: Any = loader.get_event()
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise _RefusedError(
                    "Y002", "YAML anchors and aliases are not allowed", event.start_mark, "write the value out in full"
                )
            if getattr(event, "tag", None) and not isinstance(event, (yaml.DocumentStartEvent,)):
                raise _RefusedError(
                    "Y003",
                    f"YAML tag {event.tag!r} is not allowed",
                    event.start_mark,
                    "remove the tag; quote the value if it must be a string",
                )
    finally:
        loader.dispose()


_FLOW_OPEN = (yaml.FlowSequenceStartToken, yaml.FlowMappingStartToken)
_FLOW_CLOSE = (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken)


def _check_flow_depth(text: str) -> None:
    """Refuse deep ``[[[[`` / ``{{{{`` nesting before the parser recurses into it. Only structure
    counts: the scanner (which never recurses) reads brackets inside quoted and block scalars as
    the text they are, so 65 ``{`` in a block scalar are not 65 levels."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    depth = 0
    for token in yaml.scan(text, Loader=yaml.SafeLoader):
        if isinstance(token, _FLOW_OPEN):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlSafetyError(
                    "Y005",
                    f"YAML nested deeper than {MAX_DEPTH} levels",
                    line=token.start_mark.line + 1,
                    fix="flatten the structure",
                )
        elif isinstance(token, _FLOW_CLOSE):
            depth -= 1


def _depth(node: Node, limit: int) -> None:
    stack: list[tuple[Node, int]] = [(node, 1)]
    seen: set[int] = set()
    while stack:
        current, depth = stack.pop()
        if depth > limit:
            raise _RefusedError(
                "Y005", f"YAML nested deeper than {limit} levels", current.start_mark, "flatten the structure"
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


def _mark_line(text: str, mark: Any) -> int | None:
    index = getattr(mark, "index", None)
    return line_of(text, index) if isinstance(index, int) else None


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
            1-based and includes ``line_offset``. Nothing else escapes.
    """
    plain = parse_plain(text)
    if plain is not None:
        return plain
    try:
        return _load_full(text)
    except YamlSafetyError as e:
        if e.line is not None:
            e.line += line_offset
        raise
    except _RefusedError as e:
        line = _mark_line(text, e.mark)
        message = re.sub(r"\{line:(\d+)\}", lambda m: f"line {line_of(text, int(m.group(1))) + line_offset}", e.message)
        raise YamlSafetyError(e.code, message, line=None if line is None else line + line_offset, fix=e.fix) from None
    except yaml.reader.ReaderError as e:  # a character YAML forbids (a form feed, say), at a character offset
        what = f"U+{e.character:04X}" if isinstance(e.character, int) else repr(e.character)
        raise YamlSafetyError(
            "Y001",
            f"invalid YAML: character {what} is not allowed ({e.reason})",
            line=line_of(text, e.position) + line_offset,
            fix='remove the character, or write it as an escape inside double quotes (e.g. "\\f")',
        ) from None
    except yaml.MarkedYAMLError as e:
        line = _mark_line(text, e.problem_mark or e.context_mark)
        problem = e.problem or e.context or "invalid YAML"
        raise YamlSafetyError(
            "Y001",
            f"invalid YAML: {problem}",
            line=None if line is None else line + line_offset,
            fix=_TAB_FIX if "'\\t'" in problem else "fix the YAML syntax",
        ) from e
    except yaml.YAMLError as e:
        raise YamlSafetyError("Y001", f"invalid YAML: {e}"[:300], fix="fix the YAML syntax") from e
    except RecursionError as e:
        raise YamlSafetyError("Y005", "YAML nested too deeply", fix="flatten the structure") from e
    except (ValueError, TypeError, OverflowError) as e:  # e.g. an integer of more than 4,300 digits
        raise YamlSafetyError("Y001", f"invalid YAML value: {e}"[:300], fix="quote the value as a string") from e


def _load_full(text: str) -> Any:
    _check_flow_depth(text)
    *faster, last = _loaders(text)
    for loader_class in faster:
        try:
            return _load_with(loader_class, text)
        except _REFUSALS:
            pass  # refused by libyaml: the pure-Python parser judges again, and its message is the one shown
    return _load_with(last, text)


def _load_with(loader_class: _Loader, text: str) -> Any:
    if _SUSPECT.search(text):
        _scan_events(text, loader_class)
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _depth(node, MAX_DEPTH)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _node_for_lines(text: str) -> Node | None:
    """The document's node from the first parser that reads it, or None."""
    try:
        _check_flow_depth(text)
    except YamlSafetyError:
        return None
    for loader_class in _loaders(text):
        loader = loader_class(text)
        try:
            node: Node | None = loader.get_single_node()
        except Exception:  # noqa: BLE001 - a line map is a nicety; a finding without one still stands
            continue
        finally:
            loader.dispose()
        return node
    return None


def pointer_lines(text: str, line_offset: int = 0) -> dict[str, int]:
    """Map the JSON pointers of YAML ``text`` (already loaded by :func:`load_yaml`) to 1-based lines.

    Best effort for pointing findings at lines: text it cannot map (it never raises) maps only
    the whole document, at line ``1 + line_offset``.
    """
    out: dict[str, int] = {"": 1 + line_offset}
    node = _node_for_lines(text)
    if node is None:
        return out
    stack: list[tuple[str, Any]] = [("", node)]
    while stack:
        prefix, current = stack.pop()
        if isinstance(current, MappingNode):
            for key, value in current.value:
                pointer = f"{prefix}/{key.value}"
                out.setdefault(pointer, line_of(text, key.start_mark.index) + line_offset)
                stack.append((pointer, value))
        elif isinstance(current, SequenceNode):
            for i, value in enumerate(current.value):
                pointer = f"{prefix}/{i}"
                out.setdefault(pointer, line_of(text, value.start_mark.index) + line_offset)
                stack.append((pointer, value))
    return out


# -- the fast path: plain ``key: value`` frontmatter --------------------------------------------------

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
#: Words YAML reads as booleans or null, never as text (as values, and as keys, which the loader refuses).
_SPECIAL = frozenset({"true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL"})
_SPLIT = re.compile(rf"{_PLAIN}|{_QUOTED}")
_VALUE = rf"(?:{_PLAIN}|{_QUOTED})"
#: A decimal integer both YAML versions read the same (no sign but '-', no leading zero, no '_' or
#: ':', at most 18 digits), and the booleans artigov's loader reads (YAML 1.2's spellings only).
_INT = r"-?(?:0|[1-9][0-9]{0,17})"
_INTEGER = re.compile(_INT)
_BOOLEANS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_DOC_LINE = rf"{_KEY}: (?:{_VALUE}|{_INT}|\[(?:{_VALUE}(?:, {_VALUE})*)?\])"
#: A whole frontmatter of one-line ``key: value`` / ``key: [a, b]`` pairs: checked by one regex.
_DOC = re.compile(rf"(?:{_DOC_LINE}\n)*{_DOC_LINE}\n?")
_PAIR = re.compile(rf"({_KEY}): (.*)")


def _scalar(text: str) -> str | None:
    if not _SCALAR.fullmatch(text) or text in _SPECIAL:
        return None
    return text[1:-1] if text.startswith('"') else text


def _one_line_pairs(text: str) -> dict[str, Any] | None:
    """:func:`parse_plain` for the common case, which ``_DOC`` has already validated line by line."""
    out: dict[str, Any] = {}
    for key, raw in _PAIR.findall(text):
        if key in out or key in _SPECIAL:
            return None  # a duplicate or a non-text key: the loader reports it
        if raw[0] == "[":
            items = _SPLIT.findall(raw[1:-1])
            if any(i in _SPECIAL for i in items):
                return None
            out[key] = [i[1:-1] if i[0] == '"' else i for i in items]
        elif raw[0] == '"':
            out[key] = raw[1:-1]
        elif raw in _BOOLEANS:
            out[key] = _BOOLEANS[raw]
        elif raw in _SPECIAL:
            return None
        elif _INTEGER.fullmatch(raw):
            out[key] = int(raw)
        else:
            out[key] = raw
    return out or None


_NOT_PLAIN = object()  # a value the plain reader declines: the full loader judges it


def _plain_value(raw: str) -> Any:
    """A ``key: value`` line's value: a flow list of scalars or one scalar; ``_NOT_PLAIN`` otherwise."""
    if raw.startswith("["):
        flow = _FLOW.fullmatch(raw)
        if flow is None:
            return _NOT_PLAIN
        items = [_scalar(i) for i in _SPLIT.findall(flow.group(1) or "")]
        return _NOT_PLAIN if any(i is None for i in items) else items
    if raw in _BOOLEANS:
        return _BOOLEANS[raw]
    if _INTEGER.fullmatch(raw):
        return int(raw)
    value = _scalar(raw)
    return _NOT_PLAIN if value is None else value


def parse_plain(text: str) -> dict[str, Any] | None:
    """The mapping for plain ``key: value`` frontmatter, or None if it is not that simple.

    Lines end only at ``\\n`` (``\\r\\n`` is read as ``\\n``); any other character YAML or Python
    may treat as a break (a lone ``\\r``, form feed, vertical tab, ``\\x1c``-``\\x1e``, NEL, U+2028)
    makes it decline, and the full loader judges.
    """
    if _DOC.fullmatch(text):
        return _one_line_pairs(text)
    text = text.replace("\r\n", "\n")
    return None if "\r" in text else _plain_lines(text)


def _plain_lines(text: str) -> dict[str, Any] | None:
    """:func:`parse_plain` of ``text`` whose lines end only at ``\\n``."""
    out: dict[str, Any] = {}
    pending: str | None = None  # a "key:" line whose block list items follow
    for line in filter(None, text.split("\n")):
        item = _ITEM.fullmatch(line) if pending is not None else None
        if item:
            value = _scalar(item.group(1))
            if value is None:
                return None
            out[pending].append(value)  # type: ignore[index]
            continue
        if pending is not None and not out[pending]:
            return None  # "key:" with nothing under it is null in YAML: leave it to the loader
        pending = None
        match = _LINE.fullmatch(line)
        if match is None or match.group(1) in out or match.group(1) in _SPECIAL:
            return None  # not a plain line, a duplicate or a non-text key: the loader reports it
        key, raw = match.group(1), match.group(2)
        parsed = [] if not raw else _plain_value(raw)
        if parsed is _NOT_PLAIN:
            return None
        out[key] = parsed
        pending = key if not raw else None
    if pending is not None and not out[pending]:
        return None
    return out or None  # empty frontmatter is null in YAML: the loader reports it
