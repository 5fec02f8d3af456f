"""The one way artigov reads the JSON schemas its packages ship (``<package>/schemas/<name>``).

Files are read next to the package's own module (a regular install, a wheel, an editable checkout),
never through ``importlib.resources``, whose imports cost ~10 ms per command. Parsed schemas are
cached per process: a schema is read once, however many files are checked against it.
"""

from __future__ import annotations

import importlib
import json
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["packaged_dir", "packaged_schema", "packaged_schema_names"]


@cache
def packaged_dir(package: str, *parts: str) -> Path:
    """The folder ``parts`` (default ``schemas``) shipped inside ``package`` (``artigov.index``)."""
    module = importlib.import_module(package)
    if module.__file__ is None:  # pragma: no cover - a namespace package has no folder of its own
        raise ValueError(f"{package} is not a regular package")
    return Path(module.__file__).parent.joinpath(*(parts or ("schemas",)))


@cache
def packaged_schema(package: str, name: str) -> dict[str, Any]:
    """The parsed JSON schema ``name`` shipped in ``package``'s ``schemas/`` folder (``kinds/x.schema.json``
    names one in a subfolder). The result is shared: never mutate it."""
    value: dict[str, Any] = json.loads(packaged_dir(package).joinpath(name).read_text("utf-8"))
    return value


@cache
def packaged_schema_names(package: str, folder: str) -> tuple[str, ...]:
    """The names (``x`` of ``x.schema.json``) of the schemas in ``package``'s ``schemas/<folder>``,
    sorted; listed once per process (a check asked it once per kind it met)."""
    here = packaged_dir(package, "schemas", folder)
    return tuple(sorted(p.name.removesuffix(".schema.json") for p in here.iterdir() if p.name.endswith(".schema.json")))
