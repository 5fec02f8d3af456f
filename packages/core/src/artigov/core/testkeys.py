"""Test helpers: throwaway GnuPG homes and keys (the product's, :mod:`artigov.core._throwaway`),
revocation, and a trust version written with core alone (real gpg, no mocks). Product code never
imports this module."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from artigov.core._throwaway import make_throwaway_key, throwaway_gnupg_home

__all__ = ["gnupg_home", "key_expiry", "make_key", "revoke_key", "write_trust"]

gnupg_home = throwaway_gnupg_home
make_key = make_throwaway_key


def key_expiry(home: Path, fingerprint: str) -> int:
    """The key's expiry as gpg lists it (field 7 of its ``pub`` line), in epoch seconds."""
    listed = subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", "--with-colons", "--list-keys", fingerprint],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return int(next(line for line in listed.splitlines() if line.startswith("pub:")).split(":")[6])


def revoke_key(home: Path, fingerprint: str) -> None:
    """Revoke a key with the certificate gpg made when it generated the key."""
    cert = home / "openpgp-revocs.d" / f"{fingerprint}.rev"
    text = cert.read_text()
    armored = text[text.index(":-----BEGIN") + 1 :]  # gpg prefixes a ':' so the file is not imported by mistake
    subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", "--import"], input=armored.encode(), capture_output=True, check=True
    )


def write_trust(
    ws: Any,
    root: str,
    *,
    signers: dict[str, dict[str, list[str]]] | None = None,
    people: dict[str, dict[str, list[str]]] | None = None,
) -> str:
    """Write and sign trust version 1 of ``ws``'s record with only artigov.core (a package's own
    tests; ``artigov trust init`` does it for users): ``root`` is the root key and signs it;
    ``signers``/``people``: framework -> gate or person -> fingerprints. Every key's public part
    is committed to ``record/keys/`` from ``signing.gnupghome``. Returns the version's digest."""
    from artigov.core._gpg import publish_public_key, sign_detached
    from artigov.core._trust import TRUST_DIR, TRUST_DOC, FrameworkTrust, TrustDocument, signature_name

    names = sorted({*(signers or {}), *(people or {})})
    doc = TrustDocument(
        version=1,
        root_keys=(root,),
        threshold=1,
        frameworks={
            n: FrameworkTrust(
                signers={g: tuple(k) for g, k in (signers or {}).get(n, {}).items()},
                people={p: tuple(k) for p, k in (people or {}).get(n, {}).items()},
            )
            for n in names
        },
    )
    for fpr in sorted(doc.all_keys()):
        publish_public_key(ws, fpr)
    folder = ws.record_dir / TRUST_DIR / "000001"
    folder.mkdir(parents=True)
    data = doc.to_bytes()
    (folder / TRUST_DOC).write_bytes(data)
    (folder / signature_name(root)).write_bytes(sign_detached(data, root, ws.signing.gnupghome))
    return doc.digest
