"""The one lazy-import helper: a package's public names load on first use.

A package's ``__init__`` states once where each public name lives, as imports under
``if TYPE_CHECKING:`` (what mypy and editors read); :func:`lazy_exports` reads those same
statements and imports a name's module the first time the name is used. So ``import artigov.index``
costs nothing until, say, ``artigov.index.rebuild`` is touched, and the map is never written twice.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["lazy_exports"]


def _homes(init_file: str) -> dict[str, tuple[str, str]]:
    """name -> (module, attribute) from the ``if TYPE_CHECKING:`` imports of ``init_file``."""
    import ast

    homes: dict[str, tuple[str, str]] = {}
    for node in ast.parse(Path(init_file).read_text("utf-8")).body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom) and stmt.module:
                    for alias in stmt.names:
                        homes[alias.asname or alias.name] = (stmt.module, alias.name)
    return homes


def lazy_exports(package: str, init_file: str) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` of package ``package`` (PEP 562): a public name is
    imported from the module its ``__init__`` names under ``if TYPE_CHECKING:``, then cached;
    ``__version__`` is the installed version of distribution ``artigov-<last part of package>``."""
    found: dict[str, tuple[str, str]] = {}

    def homes() -> dict[str, tuple[str, str]]:
        if not found:
            found.update(_homes(init_file))
        return found

    def getattr_(name: str) -> Any:
        if name == "__version__":  # from the distribution's metadata: the version is written once
            from artigov.core._version import distribution_version

            version = distribution_version("artigov-" + package.rpartition(".")[2]) or "0+unknown"
            setattr(sys.modules[package], name, version)  # read once, as every other name
            return version
        home = homes().get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home[0]), home[1])
        setattr(sys.modules[package], name, value)  # the next use is a plain attribute
        return value

    def dir_() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(homes()))

    return getattr_, dir_
