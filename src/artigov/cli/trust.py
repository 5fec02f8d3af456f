"""``artigov trust init|show|propose|sign|status``: the signed, numbered root of trust."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from artigov.cli.options import Format, FormatOpt, RootOpt
from artigov.commands.names import Command

__all__ = ["PinOpt", "app"]

app = typer.Typer(
    help="The root of trust: numbered trust versions in governance/trust/, each signed by the root keys.",
    no_args_is_help=True,
)

KeysOpt = Annotated[
    list[str] | None,
    typer.Option("--key", help="Sign with this root key (repeatable; default: every root key gpg holds here)."),
]
PinOpt = Annotated[
    str | None,
    typer.Option(
        "--trust-pin",
        help="sha256:… of trust version 1, kept outside the repository (default: $ARTIGOV_TRUST_PIN).",
        show_default=False,
    ),
]


@app.command(Command.TRUST_INIT.leaf)
def init_cmd(
    root_key: Annotated[
        list[str] | None,
        typer.Option("--root-key", help="A root key of version 1 (repeatable; default: signing.key)."),
    ] = None,
    threshold: Annotated[int, typer.Option("--threshold", min=1, help="Root signatures a new version needs.")] = 1,
    key: KeysOpt = None,
    root: RootOpt = None,
    fmt: FormatOpt = Format.text,
) -> None:
    """Make trust version 1 from today's settings (signing.key, signing.trusted, the contracts' people:)."""
    from artigov.commands.trust import run_trust_init

    raise typer.Exit(run_trust_init(root, root_key or [], threshold, key or [], fmt))


@app.command(Command.TRUST_PROPOSE.leaf)
def propose_cmd(
    add_signer: Annotated[
        list[str] | None, typer.Option("--add-signer", help="FRAMEWORK:GATE:FPR (GATE * = any gate) may sign.")
    ] = None,
    remove_signer: Annotated[list[str] | None, typer.Option("--remove-signer", help="FRAMEWORK:GATE:FPR.")] = None,
    add_person: Annotated[
        list[str] | None, typer.Option("--add-person", help="FRAMEWORK:PERSON:FPR: an approval key of PERSON.")
    ] = None,
    remove_person: Annotated[list[str] | None, typer.Option("--remove-person", help="FRAMEWORK:PERSON:FPR.")] = None,
    add_root: Annotated[list[str] | None, typer.Option("--add-root", help="A new root key FPR.")] = None,
    remove_root: Annotated[list[str] | None, typer.Option("--remove-root", help="A root key FPR to retire.")] = None,
    threshold: Annotated[
        int | None, typer.Option("--threshold", min=1, help="Root signatures a version needs from now on.")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="A whole trust document (JSON) instead of the changes.")
    ] = None,
    key: KeysOpt = None,
    root: RootOpt = None,
    fmt: FormatOpt = Format.text,
) -> None:
    """Propose the next trust version (pending until the root keys' signatures suffice)."""
    from artigov.commands.trust import run_trust_propose
    from artigov.promote import TrustChanges

    changes = TrustChanges(
        add_root=tuple(add_root or ()),
        remove_root=tuple(remove_root or ()),
        threshold=threshold,
        add_signer=tuple(add_signer or ()),
        remove_signer=tuple(remove_signer or ()),
        add_person=tuple(add_person or ()),
        remove_person=tuple(remove_person or ()),
    )
    if file is not None and not changes.empty():
        raise typer.BadParameter("--file gives the whole document: drop the --add-*/--remove-*/--threshold options")
    raise typer.Exit(run_trust_propose(root, changes, file, key or [], fmt))


@app.command(Command.TRUST_SIGN.leaf)
def sign_cmd(
    key: KeysOpt = None,
    version: Annotated[int | None, typer.Option("--version", min=1, help="The proposal's version number.")] = None,
    root: RootOpt = None,
    fmt: FormatOpt = Format.text,
) -> None:
    """Sign the pending trust proposal; it is accepted when the root signatures suffice."""
    from artigov.commands.trust import run_trust_sign

    raise typer.Exit(run_trust_sign(root, key or [], version, fmt))


@app.command(Command.TRUST_SHOW.leaf)
def show_cmd(
    version: Annotated[int | None, typer.Option("--version", min=1, help="A version (default: the newest).")] = None,
    trust_pin: PinOpt = None,
    root: RootOpt = None,
    fmt: FormatOpt = Format.text,
) -> None:
    """Show a valid trust version: root keys, who may sign which gate, whose approval keys count."""
    from artigov.commands.trust import run_trust_show

    raise typer.Exit(run_trust_show(root, version, trust_pin, fmt))


@app.command(Command.TRUST_STATUS.leaf)
def status_cmd(trust_pin: PinOpt = None, root: RootOpt = None, fmt: FormatOpt = Format.text) -> None:
    """The trust chain: valid versions, pending proposals and the signatures they lack (exit 1 if broken)."""
    from artigov.commands.trust import run_trust_status

    raise typer.Exit(run_trust_status(root, trust_pin, fmt))
