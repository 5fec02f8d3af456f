"""The one clock artifacts and records are stamped with: real UTC time, ``SOURCE_DATE_EPOCH`` wins."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

__all__ = ["iso", "stamp_now"]


def iso(epoch: int) -> str:
    """``epoch`` as RFC 3339 UTC text with a ``Z`` (``2026-11-26T02:11:01Z``)."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def stamp_now() -> tuple[str, str]:
    """(the time, where it came from): ``SOURCE_DATE_EPOCH`` when set (reproducible builds and
    tests), else the real clock."""
    sde = os.environ.get("SOURCE_DATE_EPOCH")
    if sde and sde.isdigit():
        return iso(int(sde)), "SOURCE_DATE_EPOCH"
    return iso(int(time.time())), "clock"
