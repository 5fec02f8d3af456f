"""Throwaway GnuPG homes and unprotected keys: what ``artigov demo`` and ``artigov rehearse`` sign
with (real gpg in a temporary home; a user's own keyring is never touched). Tests use them too,
through :mod:`artigov.core.testkeys`."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["make_throwaway_key", "throwaway_gnupg_home"]


@contextmanager
def throwaway_gnupg_home() -> Iterator[Path]:
    """A fresh GNUPGHOME under a short path (the agent socket path must stay under 108 bytes)."""
    home = Path(tempfile.mkdtemp(prefix="agk-", dir="/tmp" if Path("/tmp").is_dir() else None))
    home.chmod(0o700)
    try:
        yield home
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], capture_output=True, check=False)
        shutil.rmtree(home, ignore_errors=True)


def make_throwaway_key(
    home: Path, name: str = "artigov test", *, expire: str = "1y", faked_time: str | None = None
) -> str:
    """Generate an unprotected signing key in ``home`` (never a user's keyring: the demo's and a
    rehearsal's own); return its fingerprint (ed25519, RSA 2048 as a fallback).

    Raises:
        RuntimeError: gpg could not make a key with either algorithm.
    """
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
