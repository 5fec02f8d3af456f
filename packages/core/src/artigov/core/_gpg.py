"""Signing and verifying with the real ``gpg`` through python-gnupg.

Verification never trusts the signer's keyring: it runs in a throwaway
GNUPGHOME that holds only the allow-listed public keys, and it accepts a
signature only if it is good (``valid``, not made with an expired or revoked
key) AND its primary key's fingerprint (``pubkey_fingerprint``) is on the
allow-list. python-gnupg's ``valid`` alone is true for a good signature by any
key in the keyring, whatever its trust.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from artigov.core._workspace import Workspace
from artigov.core.errors import SigningError, VerificationError

__all__ = [
    "VerifyingKeyring",
    "export_public_key",
    "gpg_for",
    "committed_keyring",
    "key_user_ids",
    "publish_public_key",
    "sign_detached",
    "trusted_keyring",
]


class _Probed:
    """The first handle this process made: python-gnupg runs ``gpg --list-config`` to learn the
    version for every new handle; later handles copy the first and change only the home."""

    handle: Any = None


def gpg_for(home: Path | None, *, agent: bool = True) -> Any:
    """A python-gnupg handle on the keyring in ``home`` (the user's default when None); with
    ``agent=False`` gpg never starts a gpg-agent there (``--no-autostart``: enough for public keys)."""
    import copy

    import gnupg

    if home is not None and not home.is_dir():
        raise SigningError(f"cannot run gpg: the GnuPG home {home} is not a folder", fix="create it, or fix the path")
    if _Probed.handle is None:
        try:
            _Probed.handle = gnupg.GPG(gnupghome=str(home) if home else None)
        except (OSError, ValueError) as e:
            raise SigningError(f"cannot run gpg: {e}", fix="install GnuPG 2.2+ (apt-get install gnupg)") from e
    handle = copy.copy(_Probed.handle)
    handle.gnupghome = str(home) if home else None
    handle.options = None if agent else ["--no-autostart"]
    return handle


def sign_detached(data: bytes, key: str, home: Path | None) -> bytes:
    """An armored detached signature of ``data`` by ``key`` (a fingerprint)."""
    gpg = gpg_for(home)
    secret = {k["fingerprint"].upper() for k in gpg.list_keys(secret=True)}
    if key.upper() not in secret:
        raise SigningError(
            f"no secret key {key} in {home or 'the default GnuPG home'}",
            fix="pass --key with a fingerprint from `gpg --list-secret-keys --with-colons`",
        )
    result = gpg.sign(data, keyid=key, detach=True, clearsign=False, binary=False)
    if not result.data:
        raise SigningError(
            f"gpg could not sign with {key}: {result.status or result.stderr.strip()[-200:]}",
            fix="check the key (expired? passphrase?) and the gpg agent",
        )
    signature: bytes = result.data
    return signature


def export_public_key(fpr: str, home: Path | None) -> bytes:
    """The armored public key of ``fpr`` from ``home`` (b"" if gpg has none)."""
    exported = gpg_for(home).export_keys(fpr, armor=True)
    if not exported:
        return b""
    return exported.encode() if isinstance(exported, str) else bytes(exported)


def publish_public_key(ws: Workspace, fpr: str) -> Path | None:
    """Put ``fpr``'s public key into ``record/keys/`` (if it is not there) so verification travels
    with the repository; the file, or None if gpg has no such key."""
    from artigov.core._atomic import write_atomic

    path = ws.keys_dir / f"{fpr}.asc"
    if path.is_file():
        return path
    data = export_public_key(fpr, ws.signing.gnupghome)
    if not data:
        return None
    write_atomic(path, data, lock=False)
    return path


def _committed_keys(keys_dir: Path | None, only: tuple[str, ...] = ()) -> bytes:
    """The committed public keys in ``keys_dir``: with ``only``, just those fingerprints' files when
    each has one (the rule of :func:`artigov.core._trust.keys_for`)."""
    from artigov.core._trust import keys_for

    if keys_dir is None or not keys_dir.is_dir():
        return b""
    # Regular files only: a FIFO or a device named *.asc must not hang or flood the import.
    files = {p.name: p.read_bytes() for p in sorted(keys_dir.glob("*.asc")) if p.is_file() and not p.is_symlink()}
    return keys_for(files, only)


def _has_keyring(home: Path | None) -> bool:
    """Does ``home`` (the default GnuPG home when None) hold a public keyring? Asking gpg about an
    empty home would create one there."""
    import os

    folder = home or Path(os.environ.get("GNUPGHOME") or Path.home() / ".gnupg")
    return any((folder / name).is_file() for name in ("pubring.kbx", "pubring.gpg"))


def _export_trusted(trusted: tuple[str, ...], source_home: Path | None, keys_dir: Path | None) -> bytes:
    """The trusted public keys: the committed ones, and the signer's own copies from ``source_home``
    (which may carry a revocation or a new expiry the committed file does not have yet); an empty
    GnuPG home is never asked, so never written."""
    blobs = [_committed_keys(keys_dir, trusted)]
    if _has_keyring(source_home):
        exported = gpg_for(source_home).export_keys(list(trusted), armor=True)
        if exported:
            blobs.append(exported.encode() if isinstance(exported, str) else exported)
    return b"\n".join(blob for blob in blobs if blob)


def _temp_home() -> Path:
    """A scratch GnuPG home for public keys only (``gpg_for(home, agent=False)``: no agent socket,
    so the temporary folder's path length does not matter)."""
    home = Path(tempfile.mkdtemp(prefix="agv-"))
    home.chmod(0o700)
    return home


def _drop_home(home: Path) -> None:
    if (home / "S.gpg-agent").exists():  # an agent was started after all: end it before removing its home
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], capture_output=True, check=False)
    shutil.rmtree(home, ignore_errors=True)


def allow_listed(trusted: tuple[str, ...]) -> tuple[str, ...]:
    """An allow-list as a keyring keeps it: upper-case fingerprints, each once, sorted."""
    return tuple(sorted({f.upper() for f in trusted}))


def _epoch(value: object) -> int | None:
    """An expiry time as gpg gives it (epoch seconds as text; empty or 0: never), or None."""
    text = str(value or "")
    return int(text) if text.isdigit() and int(text) > 0 else None


class VerifyingKeyring:
    """A throwaway GNUPGHOME holding only the allow-listed public keys, for any number of checks.

    Use it as a context manager; every :meth:`verify` accepts a signature only if it is good and
    its primary key is on the allow-list (``trusted``). A ``shared`` keyring (:meth:`shared_by`)
    outlives its ``with`` blocks: the process's exit removes it.
    """

    def __init__(
        self,
        keys: bytes,
        trusted: tuple[str, ...],
        *,
        keys_label: str = "the record's keys",
        allow_list: str = "the allowed keys",
        shared: bool = False,
    ) -> None:
        self.trusted = allow_listed(trusted)
        self.keys_label = keys_label
        self.allow_list = allow_list
        self.shared = shared
        #: expiry times (epoch seconds) of the signatures this keyring found good
        self.signature_expiries: list[int] = []
        self.home = _temp_home()
        try:
            self._fill(keys)
        except BaseException:
            _drop_home(self.home)
            raise

    @classmethod
    def shared_by(
        cls, keys: bytes, trusted: tuple[str, ...], *, keys_label: str = "the record's keys", allow_list: str
    ) -> VerifyingKeyring:
        """The keyring of these keys and this allow-list this process already made, else a new one
        it keeps (see :mod:`artigov.core._keyringcache`)."""
        from artigov.core._keyringcache import shared_keyring

        return shared_keyring(keys, trusted, keys_label, allow_list)

    def labelled(self, keys_label: str, allow_list: str) -> VerifyingKeyring:
        """This keyring (the same GnuPG home) naming its keys and allow-list so in its messages."""
        if (keys_label, allow_list) == (self.keys_label, self.allow_list):
            return self
        import copy

        view = copy.copy(self)
        view.keys_label, view.allow_list, view.shared = keys_label, allow_list, True
        return view

    def _fill(self, keys: bytes) -> None:
        """Import ``keys`` and keep only the allow-listed ones. The home is new and empty, so the
        keys in it are exactly those the import reports (``IMPORT_OK``, one per primary key); a
        deletion is checked by listing what is left."""
        self._gpg = gpg_for(self.home, agent=False)
        imported = self._gpg.import_keys(keys).fingerprints if keys else []
        self.present = {str(f).upper() for f in imported}
        extra = sorted(self.present - set(self.trusted))
        if extra:
            self._gpg.delete_keys(extra)  # only allow-listed keys may be in the verifying keyring
            left = {k["fingerprint"].upper() for k in self._gpg.list_keys()}
            if left - set(self.trusted):
                raise VerificationError("V011", f"gpg kept keys that are not allowed: {sorted(left)}")
        self.present &= set(self.trusted)

    def __enter__(self) -> VerifyingKeyring:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.shared:
            self.close()

    def close(self) -> None:
        """Remove the keyring's scratch home."""
        _drop_home(self.home)

    def valid_until(self) -> int | None:
        """The first moment (epoch seconds) at which time alone could change what this keyring
        verifies: a key or subkey in it expires, or a signature it found good does. None: nothing
        in it expires (a result computed with it holds until its inputs change)."""
        times = list(self.signature_expiries)
        for key in self._gpg.list_keys():
            parts = [key, *key.get("subkey_info", {}).values()]
            times += [t for t in (_epoch(part.get("expires")) for part in parts) if t is not None]
        return min(times, default=None)

    def verify(self, data: bytes, signature: bytes, *, snapshot: int | None = None) -> str:
        """The primary fingerprint of a good signature over ``data`` by an allow-listed key.

        Raises:
            VerificationError: V010 bad signature, V011 signer not allow-listed, V012 expired key,
                V013 revoked key, V018 an allow-listed signer's public key is not available.
        """
        handle, name = tempfile.mkstemp(suffix=".asc", dir=self.home)  # one file per check: a shared keyring
        try:
            os.write(handle, signature)
        finally:
            os.close(handle)
        try:
            result = self._gpg.verify_data(name, data)
        finally:
            Path(name).unlink(missing_ok=True)
        if result.key_status == "signing key has expired":
            raise VerificationError(
                "V012",
                f"signed with an expired key ({result.key_id})",
                snapshot=snapshot,
                fix="re-sign with a current trusted key, or extend the key's expiry",
            )
        if result.key_status == "signing key was revoked":
            raise VerificationError(
                "V013",
                f"signed with a revoked key ({result.key_id})",
                snapshot=snapshot,
                fix="the key is compromised or retired: roll back to a snapshot signed by a good key",
            )
        if result.status == "no public key":
            key_id = str(result.key_id or "").upper()
            wanted = [f for f in self.trusted if key_id and f.endswith(key_id)]
            if wanted:
                raise VerificationError(
                    "V018",
                    f"public key for trusted {wanted[0]} not found",
                    snapshot=snapshot,
                    fix=f"add {self.keys_label}/{wanted[0]}.asc (gpg --armor --export {wanted[0]}) and commit it",
                )
            raise VerificationError(
                "V011",
                f"signed by key {result.key_id}, which is not in {self.allow_list}",
                snapshot=snapshot,
                fix="only signatures by trusted fingerprints verify",
            )
        if not result.valid or not result.pubkey_fingerprint:
            raise VerificationError(
                "V010",
                f"bad signature ({result.status or 'no valid signature'})",
                snapshot=snapshot,
                fix="the manifest or its signature was altered: roll back or re-promote",
            )
        fpr = str(result.pubkey_fingerprint).upper()
        expires = _epoch(result.expire_timestamp)
        if expires is not None:
            self.signature_expiries.append(expires)
        if fpr not in self.trusted:
            raise VerificationError(
                "V011",
                f"signed by {fpr}, which is not in {self.allow_list}",
                snapshot=snapshot,
                fix="only signatures by trusted fingerprints verify",
            )
        return fpr


def trusted_keyring(
    trusted: tuple[str, ...],
    *,
    source_home: Path | None,
    keys_dir: Path | None = None,
    keys_label: str | None = None,
    allow_list: str = "the allowed keys",
) -> VerifyingKeyring:
    """A verifying keyring holding only the ``trusted`` public keys: the committed ones in
    ``keys_dir`` and the signers' own copies from ``source_home`` (see :func:`_export_trusted`).

    Raises:
        VerificationError: V014 when ``trusted`` is empty (no signature could ever verify).
    """
    if not trusted:
        raise VerificationError("V014", f"{allow_list} is empty: no signature can verify")
    keys = _export_trusted(trusted, source_home, keys_dir)
    label = keys_label or str(keys_dir or ".")
    return VerifyingKeyring.shared_by(keys, trusted, keys_label=label, allow_list=allow_list)


def committed_keyring(
    keys_dir: Path, trusted: tuple[str, ...], keys_label: str, allow_list: str = "the allowed keys"
) -> VerifyingKeyring:
    """A verifying keyring from the committed keys alone (``record/keys/``), for ``trusted``."""
    return VerifyingKeyring.shared_by(
        _committed_keys(keys_dir, trusted), trusted, keys_label=keys_label, allow_list=allow_list
    )


def key_user_ids(keys_dir: Path) -> dict[str, str]:
    """Primary fingerprint -> first user id ("Name <email>") of every committed public key."""
    keys = _committed_keys(keys_dir)
    if not keys:
        return {}
    home = _temp_home()
    try:
        gpg = gpg_for(home, agent=False)
        gpg.import_keys(keys)
        return {str(k["fingerprint"]).upper(): str((k.get("uids") or [""])[0]) for k in gpg.list_keys()}
    finally:
        _drop_home(home)
