"""``artigov init``: the Typer-free command function."""

from __future__ import annotations

from pathlib import Path

from artigov.commands.runner import fail

__all__ = ["run_init"]


def run_init(directory: Path, framework: str, owner: str, key: str | None, *, commit_index: bool = False) -> int:
    """Write the scaffold; with ``key``, make it ``signing.key`` and the root of trust version 1."""
    from artigov.core import ArtigovError, load_workspace
    from artigov.scaffold import init_workspace

    try:
        written = init_workspace(directory, framework, owner, key, commit_index=commit_index)
    except ArtigovError as e:
        fail(str(e))
        return e.exit_code
    for path in written:
        print(f"created {path}")
    print(f"init: workspace ready in {directory.resolve()}; next: artigov validate && artigov index rebuild")
    if key is None:
        print(f"init: no trust yet: once you have a signing key, run `artigov trust init --key FPR` in {directory}")
    else:
        from artigov.promote import trust_init

        try:
            result = trust_init(load_workspace(directory))
        except ArtigovError as e:
            fail(f"the workspace is written, but trust version 1 is not: {e}")
            return e.exit_code
        if result.state == "accepted":
            print(f"init: trust version 1 ({result.digest}) in {result.folder}/: {key.upper()} is its root key")
            print(f"init: pin it in CI (a variable outside the repository): ARTIGOV_TRUST_PIN={result.digest}")
        else:
            print(f"init: trust version 1 is proposed in {result.folder}/ but not signed: run `artigov trust sign`")
    if commit_index:
        print(
            "init: in each clone, register the index merge driver:\n"
            '    git config merge.artigov-index.driver "artigov index merge %O %A %B"'
        )
    else:
        print("init: the index is local (git-ignored): every command that needs it builds or updates it")
    return 0
