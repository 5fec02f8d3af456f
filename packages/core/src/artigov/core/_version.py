"""The installed version of artigov's distributions, read from their package metadata.

The version is written once per release, by ``nox -s bump`` into each distribution's
``pyproject.toml``; everything else (each package's ``__version__``, ``artigov --version``, the pins
``artigov init`` writes, SARIF's tool version) reads it back from the installed metadata here.
"""

from __future__ import annotations

__all__ = ["DISTRIBUTIONS", "distribution_version"]

#: artigov's packages, bottom first: ``artigov.<name>`` is distribution ``artigov-<name>``.
DISTRIBUTIONS = ("core", "schema", "index", "router", "contract", "hydrate", "promote")


def distribution_version(name: str = "artigov") -> str | None:
    """The installed version of distribution ``name`` (``artigov``, ``artigov-core``...), or None
    when it is not installed (a source tree on ``sys.path`` without metadata)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None
