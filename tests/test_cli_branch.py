"""The command line builds only the branch of its command tree a command names
(:func:`artigov.cli.app.only_the_named`): every command's help, and its usage errors, are the same as
from the whole tree."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer
import typer.main
from typer.testing import CliRunner

from artigov.cli.app import app, only_the_named


def _paths(command: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command and group under ``command`` (a click group: Typer's own copy of click), as the
    words that name it."""
    for name in sorted(getattr(command, "commands", {})):
        yield (*prefix, name)
        yield from _paths(command.commands[name], (*prefix, name))


EVERY_PATH = list(_paths(typer.main.get_command(app)))


def _both(args: list[str]) -> tuple[str, str]:
    """The output of ``args`` run by the whole tree and by the branch ``args`` name."""
    branch = only_the_named(args)
    assert branch is not None, args
    runner = CliRunner()
    whole, one = runner.invoke(app, args), runner.invoke(branch, args)
    assert whole.exit_code == one.exit_code, (args, whole.output, one.output)
    return whole.output, one.output


def test_the_tree_has_every_command() -> None:
    assert len(EVERY_PATH) > 40 and ("contract", "check") in EVERY_PATH and ("promote",) in EVERY_PATH


@pytest.mark.parametrize("path", EVERY_PATH, ids=" ".join)
def test_every_commands_help_is_the_same_from_its_branch(path: tuple[str, ...]) -> None:
    whole, one = _both([*path, "--help"])
    assert whole == one
    assert f"Usage: artigov {' '.join(path)}" in one


@pytest.mark.parametrize(
    "args",
    [
        ["contract", "chek"],  # a typo in a group: the same suggestion
        ["contract", "check", "--gate"],  # an option without its value
        ["promote", "--framework", "fx", "--no-such-option"],
        ["promote"],  # a required option missing
        ["--log-level", "loud", "status"],  # a bad global option, before the command
        ["--log-format=yaml", "validate"],
        ["index"],  # a group alone: its help (no_args_is_help)
    ],
    ids=" ".join,
)
def test_usage_errors_are_the_same_from_the_branch(args: list[str]) -> None:
    whole, one = _both(args)
    assert whole == one
    assert "Usage:" in one or "Error:" in one


def test_the_branch_holds_the_named_command_alone_and_the_global_options() -> None:
    for args, name in (
        (["contract", "check"], "contract"),
        (["--log-level", "debug", "promote", "-f", "x"], "promote"),
        (["--log-format=json", "--log-level=error", "index", "update"], "index"),
    ):
        branch = only_the_named(args)
        assert branch is not None
        group: Any = typer.main.get_command(branch)
        assert list(group.commands) == [name]
        assert {"--log-format", "--log-level", "--version"} <= {o for p in group.params for o in p.opts}


@pytest.mark.parametrize(
    "args",
    [[], ["--help"], ["--version"], ["nothing-of-the-kind"], ["--log-level"], ["--install-completion"], ["-x", "init"]],
    ids=repr,
)
def test_without_one_named_command_the_whole_tree_is_built(args: list[str]) -> None:
    assert only_the_named(args) is None


def test_shell_completion_gets_the_whole_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_ARTIGOV_COMPLETE", "bash_complete")
    assert only_the_named(["contract", "check"]) is None
