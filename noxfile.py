"""nox sessions: tests, lint, typecheck, isolated package tests, demo."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NamedTuple

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests", "lint", "typecheck"]

ROOT = Path(__file__).parent
PACKAGES = ["core", "schema", "index", "router", "contract", "hydrate", "promote"]


def _artigov_deps(package: str) -> list[str]:
    """A package's artigov-* dependencies, as its pyproject declares them (the one place they are written)."""
    import tomllib

    declared = tomllib.loads((ROOT / "packages" / package / "pyproject.toml").read_text())["project"]["dependencies"]
    return [
        d.split(">")[0].split("=")[0].strip().removeprefix("artigov-") for d in declared if d.startswith("artigov-")
    ]


# Each package's artigov-* dependencies, installed alongside it in the isolated run.
PACKAGE_DEPS = {p: _artigov_deps(p) for p in PACKAGES}
MYPY_TARGETS = [
    arg
    for name in [*PACKAGES, "cli", "commands", "tasks", "rehearse", "onboard", "views"]
    for arg in ("-p", f"artigov.{name}")
]
MYPY_MODULES = ["-m", "artigov.demo"]


def install_dev(session: nox.Session) -> None:
    ensure_gpg(session)
    # The eight editables share one build backend: install it (and what it asks for to build an
    # editable) once, then build them without isolation. pip would otherwise make a throwaway
    # environment and install the backend into it eight times (~11 s of a newcomer's wait).
    backend = _build_backend()
    session.install(*backend.requires)
    asked = (session.run("python", "-c", _ASK_EDITABLE.format(backend=backend.name), silent=True) or "").split()
    if asked:
        session.install(*asked)
    session.install("--no-build-isolation", "-r", "requirements-dev.txt")
    byte_compile(session)


class _Backend(NamedTuple):
    name: str
    requires: list[str]


def _build_backend() -> _Backend:
    """The build backend every distribution of this repository declares (its pyproject), and the
    requirements to install it; a second backend is an error (``install_dev`` builds them all with one)."""
    import tomllib

    found = {
        (system["build-backend"], tuple(system["requires"]))
        for path in [ROOT / "pyproject.toml", *sorted((ROOT / "packages").glob("*/pyproject.toml"))]
        for system in [tomllib.loads(path.read_text())["build-system"]]
    }
    if len(found) != 1:
        raise SystemExit(f"noxfile: the distributions declare more than one build backend: {sorted(found)}")
    ((name, requires),) = found
    return _Backend(name, list(requires))


#: PEP 517: what the backend needs to build an editable of the distribution in the current folder.
_ASK_EDITABLE = "import {backend} as b; print(' '.join(b.get_requires_for_build_editable()))"


def byte_compile(session: nox.Session) -> None:
    """Byte-compile artigov's sources, as `pip install` does for an installed tool. The packages are
    editable installs here, and where PYTHONDONTWRITEBYTECODE is set (CI's machines set it) nothing
    writes the ``.pyc`` files: every ``artigov`` process a test starts, and every determinism check a
    promotion runs, would compile each module it imports again (~50 ms of CPU a process, in a suite
    that starts over two thousand)."""
    sources = [str(p) for p in sorted((ROOT / "packages").glob("*/src"))] + [str(ROOT / "src")]
    session.run("python", "-m", "compileall", "-q", *sources, silent=True)


def ensure_gpg(session: nox.Session) -> None:
    """Signing needs the real gpg binary: install it on a fresh Debian/Ubuntu machine when we may."""
    if shutil.which("gpg") and shutil.which("gpgconf"):
        return
    if shutil.which("apt-get") and os.geteuid() == 0:
        session.run("apt-get", "update", "-qq", external=True)
        session.run("apt-get", "install", "-y", "-qq", "gnupg", external=True)
        return
    session.error("gpg not found: install GnuPG 2.2+ (e.g. `sudo apt-get install gnupg`), then run again")


@nox.session
def tests(session: nox.Session) -> None:
    """Run the whole test suite (every package and the end-to-end tests)."""
    install_dev(session)
    # Side by side (pytest-xdist): every test makes its own temp folders, keyrings and processes.
    # One worker more than there are cores keeps them busy while a test waits on fsync or a child
    # process; `worksteal` hands the long tests' neighbours to an idle worker, so the run does not
    # end with one worker alone. `nox -s tests -- -n 0` runs them one at a time. The 25 slowest
    # are listed at the end (where CI time goes).
    workers = str((os.cpu_count() or 1) + 1)
    session.run("pytest", "-n", workers, "--dist", "worksteal", "--durations=25", *session.posargs)


@nox.session(default=False)
@nox.parametrize("package", PACKAGES)
def isolated(session: nox.Session, package: str) -> None:
    """Run one package's tests with only it and its declared artigov deps installed."""
    deps = [f"./packages/{d}" for d in PACKAGE_DEPS[package]]
    ensure_gpg(session)
    session.install(*deps, f"./packages/{package}", "pytest", "hypothesis")
    session.run("pytest", f"packages/{package}/tests", "-m", "not slow", "-p", "no:cacheprovider", *session.posargs)


@nox.session(default=False)
def yaml_pure(session: nox.Session) -> None:
    """The YAML and schema checks with a PyYAML built without libyaml: the verdict must not change."""
    session.install("./packages/core", "pytest", "hypothesis")
    # Rebuild PyYAML from its source with its C extension turned off (PyYAML's own switch).
    session.install(
        "--force-reinstall", "--no-deps", "--no-binary", "pyyaml", "pyyaml", env={"PYYAML_FORCE_LIBYAML": "0"}
    )
    session.run("python", "-c", "import yaml, sys; sys.exit(yaml.__with_libyaml__)")
    session.run(
        "pytest",
        "packages/core/tests",
        "-m",
        "not slow",
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={"ARTIGOV_EXPECT_LIBYAML": "0"},
    )


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and format check."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", ".", *session.posargs)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over every package and the CLI."""
    install_dev(session)
    session.run("mypy", *MYPY_TARGETS, *MYPY_MODULES, *session.posargs)


@nox.session(default=False)
def rehearse(session: nox.Session) -> None:
    """Crash sweeps and every playbook on a temp copy of examples/workspace (`-- crash --quick`, `-- playbooks`)."""
    install_dev(session)
    session.run("artigov", "rehearse", *session.posargs, "--root", "examples/workspace")


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Benchmarks against reference tools in the same run: `-- --artifacts 100000 [--plot] [--quick]`."""
    install_dev(session)
    session.install("check-jsonschema", "matplotlib", "python-frontmatter")
    session.run("python", "benchmarks/bench.py", *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """The main job: the whole story (validate ... promote, tamper, rollback) on the example workspace."""
    install_dev(session)
    session.run("artigov", "demo", *session.posargs)


DIST = ROOT / "dist"


def _distributions() -> list[Path]:
    return [*(ROOT / "packages" / p for p in PACKAGES), ROOT]


@nox.session(default=False)
def build(session: nox.Session) -> None:
    """Build a wheel and an sdist of every distribution, check them, install them from the built files
    alone into a fresh venv and run `artigov demo` there."""
    import subprocess
    import tempfile
    import zipfile

    ensure_gpg(session)
    session.install("build", "twine", *_build_backend().requires)
    shutil.rmtree(DIST, ignore_errors=True)
    for source in _distributions():
        session.run("python", "-m", "build", "--no-isolation", "--outdir", str(DIST), str(source))
    built = sorted(DIST.iterdir())
    session.run("twine", "check", "--strict", *map(str, built))
    version = (ROOT / "VERSION").read_text().strip()
    for wheel in (p for p in built if p.suffix == ".whl"):
        names = zipfile.ZipFile(wheel).namelist()
        package = wheel.name.split("-")[0].removeprefix("artigov_")
        if package != "artigov":
            if f"artigov/{package}/py.typed" not in names:
                session.error(f"{wheel.name} has no artigov/{package}/py.typed")
            source_schemas = sorted(
                p.relative_to(ROOT / "packages" / package / "src").as_posix()
                for p in (ROOT / "packages" / package / "src").rglob("*.json")
            )
            missing = [s for s in source_schemas if s not in names]
            if missing:
                session.error(f"{wheel.name} lacks {missing}")
        elif "artigov/examples/workspace/artigov.yaml" not in names or "artigov/cli/py.typed" not in names:
            session.error(f"{wheel.name} lacks the example workspace or py.typed")
        else:
            shipped = [f"artigov/rehearse/playbooks/{p.name}" for p in sorted((ROOT / "playbooks").glob("*.yaml"))]
            if not shipped or not set(shipped) <= set(names):
                session.error(f"{wheel.name} lacks the playbooks of playbooks/")
        if f"-{version}-" not in wheel.name:
            session.error(f"{wheel.name} is not version {version} (VERSION)")
    session.log(f"{len(built)} files built and checked in {DIST}")
    with tempfile.TemporaryDirectory(prefix="agbuild-") as tmp:
        venv, wheelhouse = Path(tmp) / "venv", Path(tmp) / "wheelhouse"
        subprocess.run([session.virtualenv.interpreter or "python3", "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "--quiet", "--disable-pip-version-check"]
        # Third-party dependencies come from the index into a wheelhouse; artigov only from dist/.
        session.run(*pip, "download", "--dest", str(wheelhouse), "--find-links", str(DIST), "artigov", external=True)
        for own in wheelhouse.glob("artigov*"):
            own.unlink()
        session.run(
            *pip, "install", "--no-index", "--find-links", str(DIST), "--find-links", str(wheelhouse), "artigov",
            external=True,
        )  # fmt: skip
        session.run(str(venv / "bin" / "artigov"), "--version", external=True)
        session.run(str(venv / "bin" / "artigov"), "demo", "--dir", str(Path(tmp) / "demo"), external=True)


@nox.session(default=False, python=False)
def codes(session: nox.Session) -> None:
    """Regenerate the README's finding-code tables from the one catalogue (artigov.core.CATALOGUE)."""
    import sys

    sys.path.insert(0, "packages/core/src")
    from artigov.core import render_code_tables

    readme = Path("README.md")
    readme.write_text(render_code_tables(readme.read_text("utf-8")), "utf-8")
    session.log("README.md code tables regenerated")


@nox.session(default=False, python=False)
def bump(session: nox.Session) -> None:
    """Set the one version of every distribution: `nox -s bump -- 0.2.0` (VERSION, each pyproject, the pins;
    each package's `__version__` is read from its installed metadata)."""
    import re

    if len(session.posargs) != 1 or not re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", session.posargs[0]):
        session.error("usage: nox -s bump -- MAJOR.MINOR.PATCH")
    new = session.posargs[0]
    major, minor, _ = (int(x) for x in new.split("."))
    (ROOT / "VERSION").write_text(new + "\n")
    for source in _distributions():
        path = source / "pyproject.toml"
        text = re.sub(r'(?m)^version = "[^"]+"', f'version = "{new}"', path.read_text(), count=1)
        text = re.sub(r'"(artigov-[a-z]+)>=[^,"]+,<[^"]+"', rf'"\1>={major}.{minor},<{major}.{minor + 1}"', text)
        path.write_text(text)
    # the pins a new repository gets: the CI workflow's ARTIGOV_REF and the README's pre-commit rev
    for pinned in (ROOT / "src/artigov/templates/github-actions.yml", ROOT / "examples/ci/github-actions.yml"):
        pinned.write_text(re.sub(r"(?m)^(  ARTIGOV_REF: )v\S+", rf"\g<1>v{new}", pinned.read_text(), count=1))
    readme = ROOT / "README.md"
    readme.write_text(re.sub(r"(?m)^(    rev: )v[0-9.]+", rf"\g<1>v{new}", readme.read_text(), count=1))
    session.log(
        f"every distribution is now {new}; add its section to CHANGELOG.md, commit, then "
        f"`git tag -a v{new} -m v{new}` and `git push --follow-tags` (the pins artigov init writes name that tag)"
    )
