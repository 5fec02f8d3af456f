"""Verifying keyrings (core/_gpg.py, shared per process by core/_keyringcache.py): real gpg in a
throwaway GNUPGHOME with throwaway keys."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from artigov.core import (
    FsTree,
    VerificationError,
    VerifyingKeyring,
    committed_key_files,
    keys_for,
    sign_detached,
    trusted_keyring,
)
from artigov.core._gpg import export_public_key, gpg_for
from artigov.core.testkeys import gnupg_home, key_expiry, make_key, revoke_key

DATA = b"the bytes a manifest would hold\n"


@dataclass
class Signers:
    home: Path
    good: str
    other: str


@pytest.fixture
def signers() -> Iterator[Signers]:
    with gnupg_home() as home:
        yield Signers(home, make_key(home, "good signer"), make_key(home, "other signer"))


def _committed(tmp_path: Path, s: Signers, *fprs: str) -> Path:
    keys = tmp_path / "keys"
    keys.mkdir(exist_ok=True)
    for fpr in fprs:
        (keys / f"{fpr}.asc").write_bytes(export_public_key(fpr, s.home))
    return keys


def test_one_keyring_serves_every_check_of_the_same_keys_and_starts_no_agent(tmp_path: Path, signers: Signers) -> None:
    keys = _committed(tmp_path, signers, signers.good, signers.other)
    signature = sign_detached(DATA, signers.good, signers.home)
    with trusted_keyring((signers.good,), source_home=None, keys_dir=keys) as first:
        assert first.verify(DATA, signature) == signers.good
    assert first.home.is_dir()  # shared: its `with` block does not remove it
    with trusted_keyring((signers.good,), source_home=None, keys_dir=keys) as again:
        assert again is first
        assert again.verify(DATA, signature) == signers.good
        with pytest.raises(VerificationError) as bad:
            again.verify(DATA + b"x", signature)
        assert bad.value.code == "V010"
    assert not list(first.home.glob("S.gpg-agent*")), "a verifying keyring started a gpg-agent"
    assert not list(first.home.glob("*.asc")), "a checked signature was left in the keyring's home"
    # Another allow-list is another keyring: the other signer's key was deleted from the first one.
    other_signature = sign_detached(DATA, signers.other, signers.home)
    with pytest.raises(VerificationError) as refused:
        first.verify(DATA, other_signature)
    assert refused.value.code == "V011"
    with trusted_keyring((signers.other,), source_home=None, keys_dir=keys) as second:
        assert second is not first
        assert second.verify(DATA, other_signature) == signers.other


def test_a_keyring_holds_exactly_the_allow_listed_keys_of_what_it_imported(tmp_path: Path, signers: Signers) -> None:
    """The keys a keyring holds are read from the import's report (no listing first): an extra key,
    even one in the same file as an allowed key and imported twice, is deleted; an allowed key
    missing from the bytes is not invented."""
    both = export_public_key(signers.good, signers.home) + export_public_key(signers.other, signers.home)
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "team.asc").write_bytes(both)  # a file not named by a fingerprint: every file is read
    (keys / f"{signers.other}.asc").write_bytes(export_public_key(signers.other, signers.home))
    missing = "0" * 40
    with trusted_keyring((signers.good, missing), source_home=None, keys_dir=keys) as ring:
        held = {k["fingerprint"].upper() for k in gpg_for(ring.home, agent=False).list_keys()}
        assert held == {signers.good.upper()}
        assert ring.present == {signers.good.upper()}
        assert ring.verify(DATA, sign_detached(DATA, signers.good, signers.home)) == signers.good


def test_a_revocation_in_the_signers_home_is_seen_by_the_next_check(tmp_path: Path, signers: Signers) -> None:
    keys = _committed(tmp_path, signers, signers.good)
    signature = sign_detached(DATA, signers.good, signers.home)
    with trusted_keyring((signers.good,), source_home=signers.home, keys_dir=keys) as before:
        assert before.verify(DATA, signature) == signers.good
    revoke_key(signers.home, signers.good)
    with trusted_keyring((signers.good,), source_home=signers.home, keys_dir=keys) as after:
        assert after is not before  # new key bytes: a keyring of its own
        with pytest.raises(VerificationError) as revoked:
            after.verify(DATA, signature)
    assert revoked.value.code == "V013"


def test_a_forked_child_makes_its_own_keyring_and_leaves_its_parents(tmp_path: Path, signers: Signers) -> None:
    keys = _committed(tmp_path, signers, signers.good)
    signature = sign_detached(DATA, signers.good, signers.home)
    with trusted_keyring((signers.good,), source_home=None, keys_dir=keys) as parent:
        assert parent.verify(DATA, signature) == signers.good
    report = tmp_path / "child"
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through a file and exits as a process does
        code = 1
        try:
            with trusted_keyring((signers.good,), source_home=None, keys_dir=keys) as child:
                verified = child.verify(DATA, signature) == signers.good
            report.write_text(f"{child.home}\n{verified}\n")
            code = 0
        finally:
            from artigov.core._keyringcache import _close_all

            _close_all()  # what the child's normal exit runs (atexit); then leave without pytest's exit
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    home, said = report.read_text().splitlines()
    assert said == "True"
    assert home != str(parent.home)
    assert not Path(home).exists(), "the child's keyring outlived the child"
    assert parent.home.is_dir()
    assert parent.verify(DATA, signature) == signers.good


def test_two_labels_of_the_same_keys_share_one_home_and_name_their_own_allow_list(
    tmp_path: Path, signers: Signers
) -> None:
    keys = _committed(tmp_path, signers, signers.good, signers.other)
    other_signature = sign_detached(DATA, signers.other, signers.home)
    with trusted_keyring((signers.good,), source_home=None, keys_dir=keys, allow_list="gate A's signers") as a:
        with trusted_keyring((signers.good,), source_home=None, keys_dir=keys, allow_list="gate B's signers") as b:
            assert b.home == a.home and b is not a
            with pytest.raises(VerificationError) as refused_b:
                b.verify(DATA, other_signature)
        with pytest.raises(VerificationError) as refused_a:
            a.verify(DATA, other_signature)
    assert "gate B's signers" in refused_b.value.problem and "gate A's signers" in refused_a.value.problem
    assert a.home.is_dir()  # a labelled view's `with` block removes nothing either


def test_a_chain_keyring_imports_only_its_fingerprints_files_when_each_has_one(
    tmp_path: Path, signers: Signers
) -> None:
    """keys_for: just the files named by the fingerprints a keyring is for, so gpg has nothing to
    delete; every file when one is missing (a key committed under another name still counts); and
    whatever it picks, the keyring keeps only its allow-list."""
    good, other = (export_public_key(f, signers.home) for f in (signers.good, signers.other))
    files = {f"{signers.good.upper()}.asc": good, f"{signers.other.upper()}.asc": other}
    assert keys_for(files, [signers.good.lower()]) == good
    both = b"\n".join(files[name] for name in sorted(files))  # in the fingerprints' order
    assert keys_for(files, [signers.other, signers.good]) == both
    assert keys_for(files, [signers.good, "0" * 40]) == good + b"\n" + other  # one has no file: all
    assert keys_for({"team.asc": good + other}, [signers.good]) == good + other
    # A file named by an allowed key may hold another key too: that one is still not kept.
    mixed = {f"{signers.good.upper()}.asc": good + other}
    ring = VerifyingKeyring(keys_for(mixed, [signers.good]), (signers.good,))
    with ring:
        held = {k["fingerprint"].upper() for k in gpg_for(ring.home, agent=False).list_keys()}
        assert held == {signers.good.upper()}
    # The files of a record, read through a Tree, are what keys_for picks from.
    (tmp_path / "rec" / "keys").mkdir(parents=True)
    for name, blob in files.items():
        (tmp_path / "rec" / "keys" / name).write_bytes(blob)
    assert committed_key_files(FsTree(tmp_path), "rec") == files


def test_a_keyring_says_when_time_alone_could_change_what_it_verified(tmp_path: Path) -> None:
    """What a kept result relies on (``artigov status``'s summary): the first expiry of a key in
    the keyring, or of a signature it found good; None when nothing in it expires."""
    import subprocess

    with gnupg_home() as home:
        soon, never = make_key(home, "soon", expire="2d"), make_key(home, "never", expire="never")
        keys = export_public_key(soon, home) + export_public_key(never, home)
        with VerifyingKeyring(keys, (never,)) as only_never:  # the other key is not allow-listed: deleted
            assert only_never.valid_until() is None
        with VerifyingKeyring(keys, (soon, never)) as ring:
            assert ring.valid_until() == key_expiry(home, soon)
            sign = ["gpg", "--homedir", str(home), "--batch", "--armor", "--detach-sign", "--local-user", never]
            signed = subprocess.run(
                [*sign, "--default-sig-expire", "1d"],
                input=DATA,
                capture_output=True,
                check=True,
            ).stdout
            assert ring.verify(DATA, signed) == never
            until = ring.valid_until()
            assert until is not None and until < key_expiry(home, soon)  # the signature's day comes first
            assert until == ring.signature_expiries[0]
