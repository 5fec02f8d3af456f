"""A memory seam of the index walk: :class:`StampTable` holds each unit's stat stamps packed.

A rebuild at 300,000 artifacts held every unit's ``(content, sidecar)`` stamps as tuples of
Python integers, ~260 bytes a unit; packed as one ``bytes`` of four or eight 64-bit integers it
is ~65-97 bytes. The table is a mapping of the same pairs, so what reads stamps is unchanged;
the packed bytes travel between tables, and into the stat cache's array, without unpacking.
"""

from __future__ import annotations

import struct
from collections.abc import Container, Iterator, Mapping, MutableMapping

from artigov.schema import Stamp

__all__ = ["STAMP_BYTES", "StampPair", "StampTable", "pack_pair", "unpack_pair"]

StampPair = tuple[Stamp, Stamp | None]

_ONE = struct.Struct("=4q")
_TWO = struct.Struct("=8q")
#: One stamp packed (four 64-bit integers): a pair is one or two of these, as in the stat cache's array.
STAMP_BYTES = _ONE.size


def pack_pair(pair: StampPair) -> bytes:
    """A unit's stamps as the table holds them: the content's four integers, then the sidecar's."""
    content, meta = pair
    return _ONE.pack(*content) if meta is None else _TWO.pack(*content, *meta)


def unpack_pair(raw: bytes) -> StampPair:
    """The pair :func:`pack_pair` packed."""
    if len(raw) == _ONE.size:
        return _ONE.unpack(raw), None
    values = _TWO.unpack(raw)
    return values[:4], values[4:]


class StampTable(MutableMapping[str, StampPair]):
    """path -> (content stamp, sidecar stamp or None), each pair held packed (:func:`pack_pair`)."""

    __slots__ = ("_raw",)

    def __init__(self, pairs: Mapping[str, StampPair] | None = None) -> None:
        self._raw: dict[str, bytes] = {}
        if isinstance(pairs, StampTable):
            self._raw.update(pairs._raw)
        elif pairs:
            for rel, pair in pairs.items():
                self[rel] = pair

    def __getitem__(self, rel: str) -> StampPair:
        return unpack_pair(self._raw[rel])

    def __setitem__(self, rel: str, pair: StampPair) -> None:
        self._raw[rel] = pack_pair(pair)

    def __delitem__(self, rel: str) -> None:
        del self._raw[rel]

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __contains__(self, rel: object) -> bool:
        return rel in self._raw

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StampTable):
            return self._raw == other._raw
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]  # mutable, as a dict

    def raw(self, rel: str) -> bytes:
        """The unit's packed pair (native byte order: the stat cache's array takes it as it is)."""
        return self._raw[rel]

    def put_raw(self, rel: str, raw: bytes) -> None:
        """Hold ``raw`` (another table's :meth:`raw`) as the unit's pair, without unpacking it."""
        if len(raw) not in (_ONE.size, _TWO.size):
            raise ValueError(f"{rel}: a packed stamp pair is {_ONE.size} or {_TWO.size} bytes, not {len(raw)}")
        self._raw[rel] = raw

    def only(self, paths: Container[str]) -> StampTable:
        """A new table of the pairs whose path is in ``paths``, packed as they are (not unpacked and
        packed again)."""
        kept = StampTable()
        kept._raw = {rel: raw for rel, raw in self._raw.items() if rel in paths}
        return kept
