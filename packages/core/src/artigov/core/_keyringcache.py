"""A speed seam for verification: one verifying keyring per distinct (public keys, allow-list) in a
process, instead of a new GnuPG home (four ``gpg`` runs) per check.

A command checks several signatures against the same committed keys: the trust chain, each
snapshot's manifest, the approvals; a test or a rehearsal checks hundreds of copies of one record.
A :class:`~artigov.core._gpg.VerifyingKeyring`'s content is fully decided by the public-key bytes
imported and the allow-list kept (every other key is deleted), so two keyrings made from the same
bytes and the same allow-list verify alike: :func:`shared_keyring` makes the first and hands it out
again, under the names the caller gives its keys and allow-list in messages. Expiry and
revocation are still decided by ``gpg`` at each verification (a revocation or a new expiry changes
the key bytes, so it gets a keyring of its own).

A shared keyring is removed when the process exits normally; a process that crashes (``os._exit``,
SIGKILL) leaves its scratch folder in the temporary folder (``TMPDIR``), without a running agent:
verifying keyrings never start one. A forked child never uses or removes its parent's keyrings.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from artigov.core._gpg import VerifyingKeyring

__all__ = ["shared_keyring"]

_Key = tuple[bytes, tuple[str, ...]]


class _Cache:
    pid = -1
    rings: dict[_Key, VerifyingKeyring] = {}  # noqa: RUF012 - process state, replaced per process
    lock = threading.Lock()


def _close_all() -> None:
    if _Cache.pid != os.getpid():
        return
    rings, _Cache.rings = _Cache.rings, {}
    for ring in rings.values():
        ring.close()


atexit.register(_close_all)


def shared_keyring(keys: bytes, trusted: tuple[str, ...], keys_label: str, allow_list: str) -> VerifyingKeyring:
    """The verifying keyring of these public keys and this allow-list, made on first use in this
    process (its ``with`` block does not remove it: the process's exit does)."""
    from artigov.core._gpg import VerifyingKeyring, allow_listed

    key = (hashlib.sha256(keys).digest(), allow_listed(trusted))
    with _Cache.lock:
        if _Cache.pid != os.getpid():  # a new process, or a fork: the parent's keyrings are not ours
            _Cache.pid, _Cache.rings = os.getpid(), {}
        ring = _Cache.rings.get(key)
        if ring is None:
            ring = VerifyingKeyring(keys, trusted, keys_label=keys_label, allow_list=allow_list, shared=True)
            _Cache.rings[key] = ring
        return ring.labelled(keys_label, allow_list)
