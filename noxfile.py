"""nox sessions: tests, lint, typecheck, isolated package tests, demo."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests", "lint", "typecheck"]

ROOT = Path(__file__).parent
PACKAGES = ["core", "schema", "index", "router", "contract", "hydrate", "promote"]
# Each package's artigov-* dependencies, installed alongside it in the isolated run.
PACKAGE_DEPS = {
    "core": [],
    "schema": ["core"],
    "index": ["core", "schema"],
    "router": ["core", "schema"],
    "contract": ["core", "schema", "index"],
    "hydrate": ["core", "schema", "index", "contract"],
    "promote": ["core", "schema", "index", "contract", "hydrate"],
}
MYPY_TARGETS = [arg for name in [*PACKAGES, "cli", "tasks", "rehearse"] for arg in ("-p", f"artigov.{name}")]


def install_dev(session: nox.Session) -> None:
    ensure_gpg(session)
    session.install("-r", "requirements-dev.txt")


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
    session.run("pytest", *session.posargs)


@nox.session(default=False)
@nox.parametrize("package", PACKAGES)
def isolated(session: nox.Session, package: str) -> None:
    """Run one package's tests with only it and its declared artigov deps installed."""
    deps = [f"./packages/{d}" for d in PACKAGE_DEPS[package]]
    ensure_gpg(session)
    session.install(*deps, f"./packages/{package}", "pytest", "hypothesis")
    session.run("pytest", f"packages/{package}/tests", "-m", "not slow", "-p", "no:cacheprovider", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and format check."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", ".", *session.posargs)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over every package and the CLI."""
    install_dev(session)
    session.run(
        "mypy", *MYPY_TARGETS, "-m", "artigov.demo", "-m", "artigov.scaffold", "-m", "artigov.report", *session.posargs
    )


@nox.session(default=False)
def rehearse(session: nox.Session) -> None:
    """Crash sweeps and every playbook on a temp copy of examples/workspace (`-- crash --quick`, `-- playbooks`)."""
    install_dev(session)
    session.run("artigov", "rehearse", *session.posargs, "--root", "examples/workspace")


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Benchmarks against reference tools in the same run: `-- --artifacts 100000 [--plot] [--quick]`."""
    install_dev(session)
    session.install("check-jsonschema", "matplotlib")
    session.run("python", "benchmarks/bench.py", *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """The main job: the whole story (validate ... promote, tamper, rollback) on the example workspace."""
    install_dev(session)
    session.run("artigov", "demo", *session.posargs)
