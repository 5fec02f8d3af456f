from __future__ import annotations

import ast
import importlib
import json
import re
import shutil
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

REPO = Path(__file__).resolve().parent.parent

PACKAGES = sorted(p.name for p in (REPO / "packages").iterdir() if (p / "pyproject.toml").is_file())


def test_no_package_has_a_namespace_init() -> None:
    # One stray src/artigov/__init__.py hides every other artigov package.
    strays = [p for p in REPO.glob("**/src/artigov/__init__.py") if ".nox" not in p.parts]
    assert strays == []


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_has_py_typed_and_tests(package: str) -> None:
    root = REPO / "packages" / package
    assert (root / "src" / "artigov" / package / "py.typed").is_file()
    assert list((root / "tests").glob("test_*.py"))


def test_packaged_schemas_equal_the_source_of_truth() -> None:
    copies = [*REPO.glob("packages/*/src/artigov/*/schemas/**/*.json"), *REPO.glob("src/artigov/*/schemas/**/*.json")]
    assert copies
    for copy in copies:
        rel = copy.relative_to(copy.parents[len(copy.relative_to(copy.parent.parent).parts) - 1])
        source = REPO / "schemas" / copy.relative_to(next(p for p in copy.parents if p.name == "schemas"))
        assert source.is_file(), f"{copy} has no source in schemas/ ({rel})"
        assert source.read_bytes() == copy.read_bytes(), f"{copy} differs from {source}: run `invoke sync-schemas`"


@pytest.mark.parametrize("schema", sorted(str(p.relative_to(REPO)) for p in (REPO / "schemas").glob("**/*.json")))
def test_every_schema_is_valid_draft_2020_12(schema: str) -> None:
    value = json.loads((REPO / schema).read_text())
    assert value["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(value)


def test_example_workspace_is_realistic() -> None:
    from artigov.core import load_workspace
    from artigov.schema import validate_workspace

    report = validate_workspace(load_workspace(REPO / "examples" / "workspace"))
    arts = report.artifacts
    assert report.ok
    assert len(arts) >= 15
    assert len({a.kind for a in arts}) >= 5
    assert {a.status for a in arts} == {"draft", "review", "approved"}
    assert any(a.meta_path for a in arts), "needs a sidecar artifact"
    ids = [a.id for a in arts]
    assert any(ids.count(i) >= 3 for i in ids), "needs several versions of some artifact"
    for name in ("artifact_routing.mdc", "routing_matrix.json", "contracts/fwk-001.yaml"):
        assert (REPO / "examples" / "workspace" / name).is_file()


def _declared(package: str) -> tuple[set[str], set[str]]:
    """(artigov packages, third-party distributions) a package's pyproject declares: the one place
    the dependency graph is written (nox reads it from there too)."""
    import tomllib

    deps = tomllib.loads((REPO / "packages" / package / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[<>=!~ ;\[]", d)[0].lower() for d in deps}
    return {n.removeprefix("artigov-") for n in names if n.startswith("artigov-")}, {
        n for n in names if not n.startswith("artigov-")
    }


#: The import name of each third-party distribution whose names differ.
IMPORT_NAMES = {"yaml": "pyyaml", "gnupg": "python-gnupg", "rfc3339_validator": "rfc3339-validator"}


def _imports(package: str, where: str = "src") -> tuple[set[str], set[str]]:
    """(artigov packages, third-party distributions) a package's sources (or tests) import."""
    import ast

    ours: set[str] = set()
    theirs: set[str] = set()
    for path in (REPO / "packages" / package / where).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            modules = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
                else []
            )
            for module in modules:
                top, _, rest = module.partition(".")
                if top == "artigov":
                    ours.add(rest.split(".")[0])
                elif top not in sys.stdlib_module_names and top != "__future__":
                    theirs.add(IMPORT_NAMES.get(top, top).lower().replace("_", "-"))
    return ours - {package}, theirs


@pytest.mark.parametrize("package", PACKAGES)
def test_every_package_declares_what_it_imports(package: str) -> None:
    declared_ours, declared_theirs = _declared(package)
    used_ours, used_theirs = _imports(package)
    assert used_ours <= declared_ours, f"{package} imports artigov.{sorted(used_ours - declared_ours)} undeclared"
    assert used_theirs <= declared_theirs, f"{package} imports {sorted(used_theirs - declared_theirs)} undeclared"
    tested, _ = _imports(package, "tests")  # its tests run with only its declared packages installed
    assert tested <= declared_ours, f"{package}'s tests import artigov.{sorted(tested - declared_ours)}"


#: The modules of a package that are public by name: its errors, and the helpers other packages' tests use.
PUBLIC_MODULES = {"__init__", "errors", "testing", "testkeys"}


@pytest.mark.parametrize("package", PACKAGES)
def test_implementation_modules_are_private(package: str) -> None:
    folder = REPO / "packages" / package / "src" / "artigov" / package
    public = sorted(p.stem for p in folder.glob("*.py") if not p.stem.startswith("_") and p.stem not in PUBLIC_MODULES)
    assert public == [], f"artigov.{package}: make {public} private (_name.py) and export what others use from __init__"


def _private_reaches(path: Path, own: str | None) -> list[str]:
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        names = (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module]
            if isinstance(node, ast.ImportFrom) and node.module
            else []
        )
        if isinstance(node, ast.ImportFrom) and node.module and node.module.count(".") == 1:
            names += [f"{node.module}.{a.name}" for a in node.names]  # from artigov.index import _ops
        for name in names:
            parts = name.split(".")
            private = len(parts) > 2 and parts[0] == "artigov" and parts[1] in PACKAGES and parts[2].startswith("_")
            if private and parts[1] != own:
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: {name}")
    return found


def test_no_source_reaches_into_another_packages_private_modules() -> None:
    """Packages and the command line import other packages only from their ``__init__``."""
    reaches = [
        hit
        for package in PACKAGES
        for path in (REPO / "packages" / package / "src").rglob("*.py")
        for hit in _private_reaches(path, package)
    ]
    reaches += [hit for path in (REPO / "src").rglob("*.py") for hit in _private_reaches(path, None)]
    assert reaches == []


@pytest.mark.parametrize("package", PACKAGES)
def test_each_public_name_is_stated_once_and_resolves(package: str) -> None:
    """A package's ``__init__`` says where each public name lives once (its TYPE_CHECKING imports,
    which the lazy loader reads); ``__all__`` lists exactly those names, and each one imports."""
    import ast
    import importlib

    path = REPO / "packages" / package / "src" / "artigov" / package / "__init__.py"
    stated: list[str] = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            stated += [a.asname or a.name for stmt in node.body if isinstance(stmt, ast.ImportFrom) for a in stmt.names]
    module = importlib.import_module(f"artigov.{package}")
    eager = {"lazy_exports"} if package == "core" else set()  # the loader itself cannot load lazily
    assert len(stated) == len(set(stated)), "a name is stated twice"
    assert sorted(module.__all__) == sorted(set(stated) | eager)
    for name in module.__all__:
        assert getattr(module, name) is not None


def test_dependencies_point_down_only() -> None:
    """The declared graph has no cycle: there is an order in which every package comes after the
    packages it depends on (core first)."""
    graph = {p: _declared(p)[0] for p in PACKAGES}
    order: list[str] = []
    while len(order) < len(graph):
        ready = sorted(p for p, deps in graph.items() if p not in order and deps <= set(order))
        assert ready, f"a dependency cycle among {sorted(set(graph) - set(order))}"
        order += ready
    assert order[0] == "core" and graph["core"] == set()


PLAYBOOKS = REPO / "playbooks"


@pytest.mark.parametrize("playbook", sorted(p.name for p in PLAYBOOKS.glob("*.yaml")))
def test_packaged_playbooks_are_valid(playbook: str) -> None:
    from artigov.core import load_yaml

    schema = json.loads((REPO / "schemas" / "playbook.schema.json").read_text())
    value = load_yaml((PLAYBOOKS / playbook).read_text())
    errors = list(Draft202012Validator(schema).iter_errors(value))
    assert errors == []
    assert value["name"] == playbook.removesuffix(".yaml")


def test_the_five_required_playbooks_ship_in_the_package() -> None:
    from artigov.rehearse.playbook import packaged_playbooks

    assert {p.stem for p in packaged_playbooks()} >= {
        "rollback-after-bad-promotion",
        "tampered-snapshot-detected",
        "crash-during-promotion",
        "untrusted-signer-rejected",
        "replay-rejected",
    }


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("name: x\ndescription: d\nsteps:\n  - promote: {gat: design}\n", "steps/0/promote"),
        ("name: x\ndescription: d\nsteps:\n  - fly: {}\n", "steps/0"),
        ("name: x\nsteps: []\n", "description"),
        ("name: [x\n", "YAML"),
        (
            "name: x\ndescription: d\nsteps:\n  - note: n\n"
            "  - crash: {point: after-lunch, command: [index, rebuild]}\n",
            "steps/1/crash/point: no fault point is named 'after-lunch'",
        ),
    ],
)
def test_a_bad_playbook_is_one_line_naming_the_file_and_the_step(tmp_path: Path, text: str, said: str) -> None:
    from artigov.rehearse.playbook import load_playbooks
    from artigov.rehearse.workspace import RehearsalError

    (tmp_path / "playbooks").mkdir()
    (tmp_path / "playbooks" / "mine.yaml").write_text(text)
    with pytest.raises(RehearsalError) as info:
        load_playbooks(tmp_path)
    message = str(info.value)
    assert message.startswith("playbooks/mine.yaml: ") and "\n" not in message
    assert said in message or said.lower() in message.lower(), message


def _logged_names(node: ast.Call) -> list[str]:
    """The event names a ``log.info("name", audit=True, ...)`` call can log: a literal, or each
    literal of a chain ``"a" if x else "b" if y else "c"``."""
    audit = next((k for k in node.keywords if k.arg == "audit"), None)
    literal_false = audit is not None and isinstance(audit.value, ast.Constant) and not audit.value.value
    if audit is None or not node.args or literal_false:
        return []
    names, first = [], node.args[0]
    while isinstance(first, ast.IfExp):
        if isinstance(first.body, ast.Constant):
            names.append(first.body.value)
        first = first.orelse
    if isinstance(first, ast.Constant):
        names.append(first.value)
    return names


def _decided_names(node: ast.Call) -> list[str]:
    """A decision's name: ``Decider(...).event("name", subject, outcome, ...)``."""
    is_event = isinstance(node.func, ast.Attribute) and node.func.attr == "event"
    return [node.args[0].value] if is_event and node.args and isinstance(node.args[0], ast.Constant) else []


def _audited_event_names() -> set[str]:
    names: set[str] = set()
    for path in [*REPO.glob("packages/*/src/**/*.py"), *REPO.glob("src/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                names.update(_logged_names(node), _decided_names(node))
            if isinstance(node, ast.Dict):  # hydration's outcome -> event table
                values = [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
                if any(v.startswith("candidate_") for v in values):
                    names.update(values)
    names.update({"audit_torn_line_detected", "log_rotated", "command_completed"})
    return names


def test_every_audited_event_is_in_the_catalogue() -> None:
    doc = (REPO / "docs" / "audit-events.md").read_text()
    documented = set(re.findall(r"^### `([a-z_]+)`", doc, re.MULTILINE))
    assert _audited_event_names() == documented


def test_the_doors_hold_no_command_logic_and_tasks_never_load_typer(tmp_path: Path) -> None:
    """One commands layer (artigov.commands) under every door: the CLI modules only declare Typer
    commands, and invoke's tasks, the pipeline and the demo run without importing Typer."""
    import ast
    import subprocess
    import sys

    for path in sorted((REPO / "src" / "artigov" / "cli").glob("*.py")):
        names = [n.name for n in ast.parse(path.read_text()).body if isinstance(n, ast.FunctionDef)]
        assert not [n for n in names if n.startswith("run_")], path.name
    for path in sorted((REPO / "src" / "artigov" / "commands").glob("*.py")):
        assert "typer" not in path.read_text(), path.name
    ws = tmp_path / "ws"
    shutil.copytree(REPO / "examples" / "workspace", ws, ignore=shutil.ignore_patterns(".artigov"))
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "import artigov.tasks, artigov.demo\n"
        "from artigov.commands.formats import Format\n"
        "from artigov.commands.pipeline import run_pipeline\n"
        f"code = run_pipeline(Path({str(ws)!r}), 'fwk-001', 'release', Format.text)\n"
        "assert code == 1, code  # the release gate fails in the example: stops at contract check\n"
        "assert 'typer' not in sys.modules and 'click' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "stopped at contract check" in done.stdout


def test_every_distribution_has_the_one_version() -> None:
    """VERSION is the one version: every pyproject carries it (nox -s bump writes them all), the
    pins between artigov distributions allow exactly its minor series, CHANGELOG.md has it."""
    version = (REPO / "VERSION").read_text().strip()
    major, minor, _ = version.split(".")
    pyprojects = [REPO / "pyproject.toml", *sorted(REPO.glob("packages/*/pyproject.toml"))]
    assert len(pyprojects) == 8
    for path in pyprojects:
        text = path.read_text()
        assert re.search(rf'(?m)^version = "{re.escape(version)}"$', text), path
        for pin in re.findall(r'"artigov-[a-z]+([<>=!~][^"]*)"', text):
            assert pin == f">={major}.{minor},<{major}.{int(minor) + 1}", (path, pin)
    assert f"## [{version}]" in (REPO / "CHANGELOG.md").read_text()
    inits = sorted(REPO.glob("packages/*/src/artigov/*/__init__.py"))
    assert len(inits) == 7
    for init in inits:  # each package says the version, read from its metadata (not written again)
        assert "__version__ =" not in init.read_text(), init
        assert importlib.import_module(f"artigov.{init.parent.name}").__version__ == version, init
    # the pins a new repository gets name this version's tag
    for pinned in ("src/artigov/templates/github-actions.yml", "examples/ci/github-actions.yml"):
        assert f"\n  ARTIGOV_REF: v{version}\n" in (REPO / pinned).read_text(), pinned
    assert f"\n    rev: v{version} " in (REPO / "README.md").read_text()


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_class_and_function_has_a_docstring(package: str) -> None:
    """The names a package exports, and the public methods of its exported classes, say what they
    do (ruff's D101-D103 cannot see them: their modules are private). A dataclass's generated
    ``Name(field: type, ...)`` is not a docstring."""
    import importlib
    import inspect

    module = importlib.import_module(f"artigov.{package}")
    missing = []
    for name in module.__all__:
        obj = getattr(module, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        doc = vars(obj).get("__doc__") if inspect.isclass(obj) else obj.__doc__
        if not doc or doc.startswith(f"{obj.__name__}("):  # a dataclass's generated signature says nothing
            missing.append(name)
        for attr, value in vars(obj).items() if inspect.isclass(obj) else ():
            func = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
            if not attr.startswith("_") and inspect.isfunction(func) and not func.__doc__:
                missing.append(f"{name}.{attr}")
    assert missing == []


def test_the_readme_dependency_picture_is_the_declared_graph() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    block = readme.split("<!-- deps -->\n```text\n", 1)[1].split("```\n<!-- /deps -->", 1)[0]
    order = ["core", "schema", "index", "router", "contract", "hydrate", "promote"]
    assert sorted(order) == PACKAGES
    lines = []
    for package in order:
        deps = sorted(_declared(package)[0])
        lines.append(f"{package:<9} -> {', '.join(deps)}" if deps else package)
    lines.append("the CLI, tasks and rehearsals -> all of them")
    assert block == "\n".join(lines) + "\n"


def test_product_code_never_imports_the_test_key_helpers() -> None:
    """The demo and the rehearsals sign with core's throwaway keys (``make_throwaway_key``), not
    with the tests' helper module ``artigov.core.testkeys``."""
    import ast

    importers = []
    for path in [*REPO.glob("packages/*/src/**/*.py"), *REPO.glob("src/**/*.py")]:
        if path.name == "testkeys.py":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if any(n.endswith("testkeys") for n in names):
                importers.append(str(path.relative_to(REPO)))
    assert importers == []


def test_every_public_name_in_every_module_has_a_docstring() -> None:
    """Ruff's docstring rules see no module named ``_x.py`` (a private module), and nearly all of
    artigov's code lives in such modules: here every class and function without a leading ``_``,
    and every such method of such a class, says what it does, wherever it is defined."""
    import ast

    missing = []
    for path in sorted([*REPO.glob("packages/*/src/**/*.py"), *REPO.glob("src/**/*.py")]):
        pending: list[tuple[ast.AST, str]] = [(ast.parse(path.read_text("utf-8")), "")]
        while pending:
            node, prefix = pending.pop()
            for child in ast.iter_child_nodes(node):
                if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    continue
                if child.name.startswith("_"):
                    continue
                if ast.get_docstring(child) is None:
                    missing.append(f"{path.relative_to(REPO)}:{child.lineno} {prefix}{child.name}")
                if isinstance(child, ast.ClassDef):
                    pending.append((child, f"{prefix}{child.name}."))
    assert missing == []


def test_the_command_line_offers_the_log_settings_core_defines() -> None:
    """--log-format and --log-level choose among core's formats and levels; their defaults are core's."""
    from artigov.cli.app import LogFormat, LogLevel, main_callback
    from artigov.core import DEFAULT_LOG_FORMAT, DEFAULT_LOG_LEVEL, LEVELS, LOG_FORMATS

    assert tuple(f.value for f in LogFormat) == LOG_FORMATS
    assert {level.value for level in LogLevel} <= set(LEVELS)
    defaults = main_callback.__defaults__ or ()
    assert LogFormat(DEFAULT_LOG_FORMAT) in defaults and LogLevel(DEFAULT_LOG_LEVEL) in defaults


def test_a_commands_json_takes_its_name_from_where_it_runs() -> None:
    """Each command's name is written once (``commands.names.Command``) and ``execute`` runs the
    command under it; its JSON takes the name from there (``render.running``) instead of restating
    it in every payload. ``hook pre-receive``, which runs without ``execute`` (git calls it, with no
    workspace to load), names itself from the same table."""
    restated = {
        path.name
        for path in (REPO / "src" / "artigov" / "commands").glob("*.py")
        if path.name != "render.py"  # the one place that writes it
        and re.search(r'"command":\s*(f?"|[a-z_]+[,}])', path.read_text())
    }
    assert restated == set()
    assert "Command.HOOK_PRE_RECEIVE" in (REPO / "src" / "artigov" / "commands" / "hook.py").read_text()


def test_the_shared_options_are_declared_once_for_every_door() -> None:
    """--root, --format, --lock-timeout, --log-format and --log-level (flag, help, default) come from
    ``artigov.commands.options`` in the Typer door, the invoke tasks and the fast door; no door
    spells one out again. (The completion seam reads --root by hand: it imports nothing of artigov.)"""
    from artigov.commands.options import SHARED_OPTIONS
    from artigov.tasks import _COMMON_HELP, SHARED

    spelled = re.compile("|".join(rf'"{re.escape(o.flag)}"|"{re.escape(o.task_name)}":' for o in SHARED_OPTIONS))
    doors = [*(REPO / "src" / "artigov" / "cli").glob("*.py"), *(REPO / "src" / "artigov" / "tasks").glob("*.py")]
    restated = {p.name for p in doors if p.name != "fastcomplete.py" and spelled.search(p.read_text())}
    assert restated == set()
    assert {o.name: o.default for o in SHARED_OPTIONS} == SHARED
    assert {o.task_name: o.help for o in SHARED_OPTIONS} == _COMMON_HELP


def test_the_command_line_shows_the_shared_options_help_from_the_table() -> None:
    from typer.testing import CliRunner

    from artigov.cli.app import app
    from artigov.commands.options import LOCK_TIMEOUT, LOG_LEVEL, ROOT

    shown = " ".join(CliRunner().invoke(app, ["index", "update", "--help"]).output.split())
    for option in (ROOT, LOCK_TIMEOUT):
        assert option.flag in shown and " ".join(option.help.split()) in shown, option
    top = " ".join(CliRunner().invoke(app, ["--help"]).output.split())
    assert LOG_LEVEL.help.split(":")[0] in top
