"""artigov.index: the crash-safe, single-writer ``artifacts_index.json``.

Every public name is imported from here (``from artigov.index import X``); the modules behind them
are private. Names load on first use (:func:`artigov.core.lazy_exports`), so importing the package
costs nothing until a name is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from artigov.core import lazy_exports

if TYPE_CHECKING:
    from artigov.index._derived import DerivedCache, file_stamp
    from artigov.index._journal import Journal
    from artigov.index._merge import merge_index
    from artigov.index._model import FORMAT_VERSION, Entries, Entry, Index, entries_digest
    from artigov.index._ops import (
        Overlay,
        Proved,
        add,
        fold_index,
        indexed_frameworks,
        keep_fresh,
        overlaid_entries,
        proved_changes,
        read_entries,
        read_framework,
        read_index,
        read_units,
        rebuild,
        recover,
        verify,
        verify_by_stats,
        verify_quick,
    )
    from artigov.index._results import IndexResult, VerifyResult
    from artigov.index._scan import IndexSlice, framework_slice_of
    from artigov.index._store import IndexStore, Recovery
    from artigov.index._update import update
    from artigov.index._walk import scan
    from artigov.index.errors import IndexCorruptError, IndexMissingError, JournalCorruptError

__all__ = [
    "IndexResult",
    "VerifyResult",
    "IndexSlice",
    "framework_slice_of",
    "update",
    "scan",
    "DerivedCache",
    "Entries",
    "Entry",
    "FORMAT_VERSION",
    "Index",
    "IndexCorruptError",
    "IndexMissingError",
    "IndexStore",
    "Journal",
    "JournalCorruptError",
    "Recovery",
    "add",
    "entries_digest",
    "fold_index",
    "indexed_frameworks",
    "keep_fresh",
    "overlaid_entries",
    "file_stamp",
    "merge_index",
    "Overlay",
    "Proved",
    "proved_changes",
    "read_entries",
    "read_framework",
    "read_index",
    "read_units",
    "rebuild",
    "recover",
    "verify",
    "verify_by_stats",
    "verify_quick",
]
__version__: str  # the distribution's version, read from its metadata on first use

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, __file__)
