"""``artigov init``: the Typer-free command function."""

from __future__ import annotations

from pathlib import Path

from artigov.commands.runner import fail

__all__ = ["run_init"]


def run_init(directory: Path, framework: str | None, owner: str, key: str | None, *, commit_index: bool = False) -> int:
    """Write the scaffold; with ``key``, make it ``signing.key`` and the root of trust version 1. In
    an existing workspace, add ``framework`` to it instead (:func:`run_add_framework`)."""
    from artigov.core import ArtigovError, load_workspace
    from artigov.onboard.scaffold import init_workspace, is_workspace

    if is_workspace(directory):
        if framework is None or key is not None or commit_index:
            fail(
                f"{directory.resolve()} is a workspace already (artigov.yaml); nothing was written "
                "(fix: add a framework to it with `artigov init --framework NAME [--owner EMAIL]`, "
                "or run `artigov init` in an empty folder)"
            )
            return 2
        return run_add_framework(directory, framework, owner)
    try:
        written = init_workspace(directory, framework or "my-framework", owner, key, commit_index=commit_index)
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


def run_add_framework(directory: Path, framework: str, owner: str) -> int:
    """``artigov init --framework F`` in an existing workspace."""
    from artigov.core import ArtigovError
    from artigov.onboard.scaffold import add_framework

    try:
        added = add_framework(directory, framework, owner)
    except ArtigovError as e:
        fail(str(e))
        return e.exit_code
    for path in added.written:
        print(f"created {path}")
    if not added.routed:
        print(
            f"init: note: the routing map has no route for technical-plan; the plan is in {added.plan}: "
            "add a route (artigov route check says where files belong)"
        )
    print(f"init: {added.trust}")
    print(
        f"init: framework {framework} added; next: artigov validate && artigov contract check -f {framework} "
        "--all-gates (the index is updated by every command that needs it)"
    )
    return 0
