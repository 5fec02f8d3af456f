"""Loading the artifact routing map and the command routing matrix.

``artifact_routing.mdc`` holds YAML either as frontmatter (``---`` … ``---``)
or in a fenced block (```` ```yaml ```` … ```` ``` ````); ``routing_matrix.json``
is JSON. Both are validated by their schemas; a problem is a
:class:`ConfigError` naming the file and the field.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artigov.core import Check, ConfigError, Workspace, YamlSafetyError, compile_schema, load_yaml, packaged_schema

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

__all__ = [
    "PLACEHOLDERS",
    "SUBTREE",
    "Route",
    "RoutingMap",
    "RoutingMatrix",
    "load_matrix",
    "load_routing_map",
    "placeholders",
    "subtree_base",
]

#: Placeholders a directory template may use; filenames may also use {version}.
PLACEHOLDERS = frozenset({"framework", "kind", "id"})
FILENAME_PLACEHOLDERS = PLACEHOLDERS | {"version"}
#: A route's folder may end in ``/{path}``: the kind owns the whole subtree below, and each
#: artifact keeps its place in it (docs trees nest folders freely).
SUBTREE = "path"


def subtree_base(template: str) -> tuple[str, bool]:
    """The folder template without a final ``/{path}``, and whether it had one (the kind owns the
    subtree below that folder)."""
    trimmed = template.rstrip("/")
    if trimmed == "{path}":
        return "", True
    if trimmed.endswith("/{path}"):
        return trimmed[: -len("/{path}")], True
    return template, False


_FENCE = re.compile(r"^```ya?ml[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_FRONT = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Route:
    """Where one kind lives: a directory template and an optional filename template."""

    kind: str
    dir: str
    filename: str | None = None


@dataclass(frozen=True)
class RoutingMap:
    """The routing map (``artifact_routing.mdc``): each kind's route, read from ``path``."""

    path: Path
    routes: dict[str, Route]


@dataclass(frozen=True)
class RoutingMatrix:
    """The command routing matrix: where each command writes each kind, read from ``path``."""

    path: Path
    #: command -> kind -> directory template
    commands: dict[str, dict[str, str]]


#: A placeholder is a brace pair around anything without braces; a lone brace is reported as one.
PLACEHOLDER = re.compile(r"\{([^{}]*)\}|([{}])")


def placeholders(template: str) -> list[str]:
    """What a template's braces hold, in order, verbatim: ``{id}`` gives ``id``; ``{id[99]}``,
    ``{framework.x}``, ``{0}`` or ``{id!r}`` give themselves (never Python format syntax), and a
    lone ``{`` or ``}`` gives itself. Only the plain names artigov knows may be rendered."""
    return [m.group(1) if m.group(1) is not None else m.group(2) for m in PLACEHOLDER.finditer(template)]


@lru_cache(maxsize=4)
def _validator(name: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator  # loaded only to explain a file the fast check doubts

    return Draft202012Validator(packaged_schema("artigov.router", name))


@lru_cache(maxsize=4)
def _certainly_valid(name: str) -> Check:
    """The check compiled from the schema file: True only for documents it certainly accepts."""
    return compile_schema(packaged_schema("artigov.router", name))


def _field(path: Any) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def _check(value: Any, schema: str, source: Path) -> None:
    if _certainly_valid(schema)(value):
        return
    errors = sorted(_validator(schema).iter_errors(value), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        err = errors[0]
        raise ConfigError(source, _field(err.absolute_path), err.message, fix=f"see {schema}")


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text("utf-8")
    except FileNotFoundError:
        raise ConfigError(path, None, f"{what} not found", fix="create it, or set its path in artigov.yaml") from None
    except UnicodeDecodeError:
        raise ConfigError(path, None, "not UTF-8", fix="save it as UTF-8") from None
    except OSError as e:
        raise ConfigError(path, None, f"cannot read: {e.strerror}") from None


def load_routing_map(ws: Workspace) -> RoutingMap:
    """Load and validate ``artifact_routing.mdc``."""
    path = ws.routing_map
    text = _read_text(path, "routing map")
    match = _FRONT.match(text) or _FENCE.search(text)
    if match is None:
        raise ConfigError(
            path, None, "no YAML found", fix="put the routes in a `---` frontmatter block or a ```yaml fence"
        )
    offset = text.count("\n", 0, match.start(1))
    try:
        value = load_yaml(match.group(1), line_offset=offset)
    except YamlSafetyError as e:
        where = f" (line {e.line})" if e.line else ""
        raise ConfigError(path, None, f"{e.message}{where}", fix=e.fix) from None
    _check(value, "artifact-routing.schema.json", path)
    routes = {
        kind: Route(kind, str(spec["dir"]), str(spec["filename"]) if spec.get("filename") else None)
        for kind, spec in value["routes"].items()
    }
    return RoutingMap(path, dict(sorted(routes.items())))


def load_matrix(ws: Workspace) -> RoutingMatrix:
    """Load and validate ``routing_matrix.json``."""
    path = ws.command_routing
    text = _read_text(path, "routing matrix")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(path, None, f"invalid JSON at line {e.lineno}: {e.msg}", fix="fix the JSON syntax") from None
    except RecursionError:
        raise ConfigError(path, None, "JSON nested too deeply", fix="a routing matrix is two levels deep") from None
    _check(value, "routing-matrix.schema.json", path)
    commands = {
        cmd: dict(sorted((str(k), str(v)) for k, v in spec["produces"].items()))
        for cmd, spec in sorted(value["commands"].items())
    }
    return RoutingMatrix(path, commands)
