"""artigov.index: the crash-safe, single-writer ``artifacts_index.json``."""

from __future__ import annotations

from artigov.index.errors import IndexCorruptError, JournalCorruptError
from artigov.index.model import FORMAT_VERSION, Index, entries_digest
from artigov.index.ops import IndexResult, VerifyResult, add, read_index, rebuild, recover, update, verify
from artigov.index.store import IndexStore, Recovery

__all__ = [
    "FORMAT_VERSION",
    "Index",
    "IndexCorruptError",
    "IndexResult",
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
