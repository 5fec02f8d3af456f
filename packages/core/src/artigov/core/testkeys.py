"""Throwaway GnuPG homes and keys for tests, the demo and the rehearsals (real gpg, no mocks)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["gnupg_home", "make_key", "revoke_key", "write_trust"]


@contextmanager
def gnupg_home() -> Iterator[Path]:
    """A fresh GNUPGHOME under a short path (the agent socket path must stay under 108 bytes)."""
    home = Path(tempfile.mkdtemp(prefix="agk-", dir="/tmp" if Path("/tmp").is_dir() else None))
    home.chmod(0o700)
    try:
        yield home
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], capture_output=True, check=False)
        shutil.rmtree(home, ignore_errors=True)


def make_key(home: Path, name: str = "artigov test", *, expire: str = "1y", faked_time: str | None = None) -> str:
    """Generate an unprotected signing key; return its fingerprint (ed25519, RSA 2048 as a fallback)."""
    uid = f"{name} <{name.replace(' ', '.')}@example.org>"
    extra = [f"--faked-system-time={faked_time}"] if faked_time else []
    for algo in ("ed25519", "rsa2048"):
        result = subprocess.run(
            [
                "gpg",
                "--homedir",
                str(home),
                "--batch",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
                *extra,
                "--quick-gen-key",
                uid,
                algo,
                "sign",
                expire,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode == 0:
            break
    else:
        raise RuntimeError(f"gpg could not make a key: {result.stderr}")
    listing = subprocess.run(
        ["gpg", "--homedir", str(home), "--with-colons", "--list-secret-keys", uid],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    fprs = [line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:")]
    return fprs[-1].upper()


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
