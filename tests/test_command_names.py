"""Each command's name is written once (artigov.commands.names.Command): the Typer command line
registers exactly those names, and the published output schema names no other command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer.main

from artigov.cli.app import app
from artigov.cli.examples import EXAMPLES
from artigov.commands.names import Command

REPO = Path(__file__).resolve().parents[1]


def _paths(command: Any, prefix: tuple[str, ...] = ()) -> set[str]:
    """Every leaf command of a click command tree, by its full name."""
    if hasattr(command, "commands"):
        return {p for name, sub in command.commands.items() for p in _paths(sub, (*prefix, name))}
    return {" ".join(prefix)}


def test_the_command_line_registers_exactly_the_commands_of_the_table() -> None:
    assert _paths(typer.main.get_command(app)) == {c.value for c in Command}


def test_the_output_schema_and_the_examples_name_only_commands_of_the_table() -> None:
    schema = json.loads((REPO / "schemas" / "cli-output.schema.json").read_text())
    assert set(schema["properties"]["command"]["enum"]) <= {c.value for c in Command}
    assert set(EXAMPLES) == {c.value for c in Command}


def test_a_command_knows_its_group_and_its_name_in_it() -> None:
    assert (Command.INDEX_UPDATE.group, Command.INDEX_UPDATE.leaf) == ("index", "update")
    assert (Command.REPAIR_HEAD.group, Command.REPAIR_HEAD.leaf) == (None, "repair-head")
    assert str(Command.TRUST_SIGN) == "trust sign"


def test_every_invoke_task_is_named_as_the_command_it_runs() -> None:
    from artigov.tasks import ns

    assert {name.replace(".", " ") for name in ns.task_names} <= {c.value for c in Command}
