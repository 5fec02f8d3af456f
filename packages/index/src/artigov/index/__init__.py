"""artigov.index: the crash-safe, single-writer ``artifacts_index.json``.

Names load on first use: importing one module of the package (the stat
cache, say) does not load them all.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from artigov.index._scan import IndexSlice
    from artigov.index.errors import IndexCorruptError, JournalCorruptError
    from artigov.index.model import FORMAT_VERSION, Index, entries_digest
    from artigov.index.ops import IndexResult, VerifyResult, add, read_index, rebuild, recover, update, verify
    from artigov.index.store import IndexStore, Recovery

__all__ = [
    "FORMAT_VERSION",
    "Index",
    "IndexCorruptError",
    "IndexResult",
    "IndexSlice",
    "IndexStore",
    "JournalCorruptError",
    "Recovery",
    "VerifyResult",
    "add",
    "entries_digest",
    "read_index",
    "rebuild",
    "recover",
    "update",
    "verify",
]
__version__ = "0.1.0"

_HOME = {
    "IndexSlice": "_scan",
    "IndexCorruptError": "errors",
    "JournalCorruptError": "errors",
    "FORMAT_VERSION": "model",
    "Index": "model",
    "entries_digest": "model",
    "IndexResult": "ops",
    "VerifyResult": "ops",
    "add": "ops",
    "read_index": "ops",
    "rebuild": "ops",
    "recover": "ops",
    "update": "ops",
    "verify": "ops",
    "IndexStore": "store",
    "Recovery": "store",
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(f"artigov.index.{_HOME[name]}"), name)
    raise AttributeError(f"module 'artigov.index' has no attribute {name!r}")
