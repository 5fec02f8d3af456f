"""The ``artigov`` application: global options and the command tree.

Command modules import their package functions inside the command body, so
``artigov --help`` loads neither jsonschema nor gnupg.
"""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from artigov.cli import approve as approve_cmd
from artigov.cli import audit as audit_cmd
from artigov.cli import contract as contract_cmd
from artigov.cli import hook as hook_cmd
from artigov.cli import hydrate as hydrate_cmd
from artigov.cli import index as index_cmd
from artigov.cli import promote as promote_cmd
from artigov.cli import route as route_cmd
from artigov.cli import schema as schema_cmd
from artigov.cli import trust as trust_cmd
from artigov.cli import validate as validate_cmd
from artigov.cli.complete import complete_framework
from artigov.cli.examples import add_examples
from artigov.cli.options import FormatOpt, RootOpt
from artigov.commands.formats import Format
from artigov.commands.names import Command
from artigov.commands.options import LOG_FORMAT, LOG_LEVEL
from artigov.rehearse import QUICK_HELP, WHAT

__all__ = ["app", "main"]


class LogFormat(StrEnum):
    """How log lines are written on stderr: ``artigov.core.LOG_FORMATS`` (a test holds them equal)."""

    console = "console"
    json = "json"


class LogLevel(StrEnum):
    """The lowest level of the log lines shown: levels of ``artigov.core.LEVELS``."""

    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"


#: The defaults of --log-format and --log-level: core's.
_LOG_FORMAT, _LOG_LEVEL = LogFormat(LOG_FORMAT.default), LogLevel(LOG_LEVEL.default)


app = typer.Typer(
    name="artigov",
    help="Govern framework artifacts: checked metadata, routing, a crash-safe index, "
    "deterministic hydration, contracts, and signed snapshots.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from artigov.core import DISTRIBUTIONS, distribution_version

        typer.echo(f"artigov {distribution_version() or 'not installed'}")
        for name in DISTRIBUTIONS:
            typer.echo(f"  artigov-{name} {distribution_version('artigov-' + name) or 'not installed'}")
        raise typer.Exit()


@app.callback()
def main_callback(
    log_format: Annotated[LogFormat, typer.Option(LOG_FORMAT.flag, help=LOG_FORMAT.help)] = _LOG_FORMAT,
    log_level: Annotated[LogLevel, typer.Option(LOG_LEVEL.flag, help=LOG_LEVEL.help)] = _LOG_LEVEL,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """artigov: governance for framework artifacts."""
    from artigov.core import configure_logging

    configure_logging(log_format.value, log_level.value)


app.command(Command.VALIDATE.leaf)(validate_cmd.validate)
app.add_typer(route_cmd.app, name=Command.ROUTE_CHECK.group)
app.add_typer(index_cmd.app, name=Command.INDEX_UPDATE.group)
app.command(Command.HYDRATE.leaf)(hydrate_cmd.hydrate)
app.add_typer(contract_cmd.app, name=Command.CONTRACT_CHECK.group)
promote_cmd.register(app)
approve_cmd.register(app)
app.add_typer(audit_cmd.app, name=Command.AUDIT_VERIFY.group)
app.add_typer(schema_cmd.app, name=Command.SCHEMA_SHOW.group)
app.add_typer(trust_cmd.app, name=Command.TRUST_INIT.group)
app.add_typer(hook_cmd.app, name=Command.HOOK_INSTALL.group)


@app.command(Command.INIT.leaf)
def init(
    directory: Annotated[Path, typer.Argument(help="Where to create the workspace (default: here).")] = Path(),
    framework: Annotated[
        str | None,
        typer.Option(
            "--framework",
            "-f",
            help="The first framework's name (default my-framework); in an existing workspace, the framework to add.",
        ),
    ] = None,
    owner: Annotated[
        str, typer.Option("--owner", help="Accountable person for its technical plan.")
    ] = "owner@example.org",
    key: Annotated[
        str | None,
        typer.Option("--key", help="Your signing key: made signing.key and the root key of trust version 1."),
    ] = None,
    commit_index: Annotated[
        bool,
        typer.Option("--commit-index", help="Commit the index (index_committed: true) instead of keeping it local."),
    ] = False,
) -> None:
    """Scaffold a workspace: config, routing, contract, one artifact (refuses to overwrite); in an
    existing workspace, add a framework: its contract, starter plan and signing trust
    (`artigov init --framework ledger` there)."""
    from artigov.commands.init import run_init

    raise typer.Exit(run_init(directory, framework, owner, key, commit_index=commit_index))


@app.command(Command.ADOPT.leaf)
def adopt(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders (default: the artifact globs).")] = None,
    framework: Annotated[
        str, typer.Option("--framework", "-f", help="The framework they belong to.", autocompletion=complete_framework)
    ] = "",
    apply: Annotated[
        bool, typer.Option("--apply", help="Write the metadata (default: show what would change).")
    ] = False,
    conflicts: Annotated[
        str | None,
        typer.Option(
            "--conflicts",
            help="A document's own id/version/status/framework/kind/checksum key: rename (keep it as "
            "source_KEY) or take (use it as artigov's). Without it, --apply refuses while any exists.",
        ),
    ] = None,
    rename_prefix: Annotated[
        str, typer.Option("--rename-prefix", help="Prefix of the author's renamed keys (--conflicts rename).")
    ] = "source_",
    skip: Annotated[
        list[str] | None, typer.Option("--skip", help="Never adopt paths or names matching this glob (repeatable).")
    ] = None,
    no_default_skips: Annotated[
        bool,
        typer.Option("--no-default-skips", help="Adopt site configuration, fonts and hidden files too."),
    ] = False,
    fmt: FormatOpt = Format.text,
    root: RootOpt = None,
) -> None:
    """Bring existing documents under artigov: propose each one's metadata from what is there (dry run)."""
    from artigov.commands.adopt import run_adopt
    from artigov.onboard.adopt_rules import AdoptOptions

    if not framework:
        typer.echo("artigov: error: --framework is required (fix: --framework NAME)", err=True)
        raise typer.Exit(2)
    options = AdoptOptions(conflicts, rename_prefix, tuple(skip or ()), not no_default_skips, apply=apply)
    raise typer.Exit(run_adopt(root, framework, paths or [], fmt, options))


@app.command(Command.STATUS.leaf)
def status(
    framework: Annotated[
        str | None, typer.Option("--framework", "-f", help="Only this framework.", autocompletion=complete_framework)
    ] = None,
    fmt: FormatOpt = Format.text,
    root: RootOpt = None,
) -> None:
    """Where the workspace stands: index freshness, validity, routing, gates, snapshots, reviews, triggers."""
    from artigov.commands.status import run_status

    raise typer.Exit(run_status(root, framework, fmt))


@app.command(Command.REPORT.leaf)
def report(
    framework: Annotated[
        str, typer.Option("--framework", "-f", help="The framework.", autocompletion=complete_framework)
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to write the HTML page.")] = Path("report.html"),
    root: RootOpt = None,
) -> None:
    """Write a self-contained HTML page for auditors: history, gates, decisions, audit chain."""
    from artigov.commands.runner import execute
    from artigov.core import Workspace

    def action(ws: Workspace) -> int:
        from artigov.core import write_atomic
        from artigov.views.report import build_report, render_report

        data = build_report(ws, framework)
        target = out if out.is_absolute() else Path.cwd() / out
        write_atomic(target, render_report(data).encode("utf-8"), lock=False)
        print(
            f"report: wrote {target} ({len(data['snapshots'])} snapshots, {len(data['gates'])} gates, "
            f"{len(data['decisions'])} decisions; decision log {_log_state(data['audit'])})"
        )
        return 0

    raise typer.Exit(execute("report", root, action, audit=False, framework=framework))


@app.command(Command.DEMO.leaf)
def demo(
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Where to put the demo workspace (default: a new temp folder).")
    ] = None,
    example: Annotated[
        Path | None, typer.Option("--example", help="The workspace to copy (default: examples/workspace).")
    ] = None,
) -> None:
    """Run the whole story on a temp copy of the example workspace with a throwaway key."""
    from artigov.demo import EXAMPLE, run_demo

    raise typer.Exit(run_demo(directory, example or EXAMPLE))


@app.command(Command.REHEARSE.leaf)
def rehearse_cmd(
    what: Annotated[str, typer.Argument(help=", ".join(WHAT))] = "all",
    quick: Annotated[bool, typer.Option("--quick", help=QUICK_HELP)] = False,
    playbook: Annotated[
        list[Path] | None, typer.Option("--playbook", help="run only this playbook file (repeatable)")
    ] = None,
    framework: Annotated[
        list[str] | None,
        typer.Option(
            "--framework",
            "-f",
            help="rehearse only this framework (repeatable; default: every one with a contract)",
            autocompletion=complete_framework,
        ),
    ] = None,
    root: RootOpt = None,
) -> None:
    """Rehearse crashes and rollbacks on a temporary copy of this workspace (never the workspace itself)."""
    from artigov.commands.runner import execute
    from artigov.core import ArtigovError, Workspace
    from artigov.rehearse import Scope, rehearse

    def action(ws: Workspace) -> int:
        if what not in WHAT:
            raise ArtigovError(f"unknown rehearsal {what!r}", fix=f"use one of: {', '.join(WHAT)}")
        return rehearse(ws.root, Scope(what, quick, playbook, framework))

    # audit=False: a rehearsal writes nothing in the workspace, not even its operational log
    raise typer.Exit(execute("rehearse", root, action, audit=False))


def _log_state(audit: dict[str, object]) -> str:
    if not audit.get("present"):
        return "none yet"
    return "ok" if audit["ok"] else "BROKEN"


class _Prebuilt:
    """The click command Typer builds from :data:`app`, when a process that runs many commands
    built it once (the rehearsal's warm runner, :mod:`artigov.rehearse._warm`, before it forks
    each command); None: Typer builds it on every run (~50 ms), as it does for one command."""

    command: Callable[..., object] | None = None


def prebuild() -> None:
    """Build the click command once, for every later :func:`main` in this process and its forks."""
    import typer.main

    _Prebuilt.command = typer.main.get_command(app)


def main() -> None:
    """Console-script entry point."""
    if _Prebuilt.command is not None:
        _Prebuilt.command(prog_name="artigov")  # what app() runs, without building it again
        return
    (only_the_named(sys.argv[1:]) or app)()


def only_the_named(args: list[str]) -> typer.Typer | None:
    """:data:`app` with only the top-level command or group ``args`` name (and the global options
    before it), so Typer builds that one branch of the command tree instead of all of it (~50 ms of
    a command's start); None when ``args`` name none (no command, ``--help``, ``--version``, an
    unknown name, shell completion): then the whole tree is built, and Typer lists, suggests or
    completes from all of it. The branch is the same registered command or group, so its options,
    help and errors are the same (tests/test_cli_branch.py compares every command's help)."""
    if os.environ.get("_ARTIGOV_COMPLETE"):
        return None
    i = 0
    while i < len(args) and args[i].startswith("-"):
        flag, eq, _ = args[i].partition("=")
        if flag not in _GLOBAL_VALUE_OPTIONS:
            return None
        i += 1 if eq else 2  # --log-format=json, --log-format json
    if i >= len(args):
        return None
    name = args[i]
    commands = [c for c in app.registered_commands if c.name == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if len(commands) + len(groups) != 1:
        return None
    branch = copy.copy(app)
    branch.registered_commands, branch.registered_groups = commands, groups
    return branch


#: The global options that take a value (--version, --help and the completion options take none).
_GLOBAL_VALUE_OPTIONS = frozenset((LOG_FORMAT.flag, LOG_LEVEL.flag))


add_examples(app)  # after every command is registered: each --help ends with an example
