"""One finding-code catalogue: every code the sources raise is in it, and the README's tables are
generated from it (``nox -s codes`` rewrites them)."""

from __future__ import annotations

import re
from pathlib import Path

from artigov.core import CATALOGUE, Finding, code_info, codes_of, render_code_tables

ROOT = Path(__file__).resolve().parents[1]
_CODE = re.compile(r"""["']([SYJRCAEHVTG]\d{3})["']""")


def _sources() -> list[Path]:
    return sorted([*ROOT.glob("packages/*/src/**/*.py"), *ROOT.glob("src/**/*.py")])


def test_readme_tables_are_the_catalogues() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert readme.count("<!-- codes: ") >= 6
    assert render_code_tables(readme) == readme, "README code tables drifted: run `nox -s codes`"


def test_every_code_the_sources_use_is_catalogued_and_every_catalogued_code_is_used() -> None:
    used = {m for p in _sources() if p.name != "_catalogue.py" for m in _CODE.findall(p.read_text("utf-8"))}
    known = {c.code for c in CATALOGUE}
    assert used - known == set(), "codes raised but not in the catalogue (artigov.core.CATALOGUE)"
    assert known - used == set(), "catalogued codes nothing raises"


def test_catalogue_codes_are_unique_named_and_summarised() -> None:
    codes = [c.code for c in CATALOGUE]
    assert len(codes) == len(set(codes))
    names = [c.name for c in CATALOGUE]
    assert len(names) == len(set(names))
    for c in CATALOGUE:
        assert re.fullmatch(r"[A-Z]\d{3}", c.code) and re.fullmatch(r"[a-z0-9-]+", c.name) and c.summary


def test_a_finding_takes_its_name_and_default_fix_from_the_catalogue() -> None:
    f = Finding("S017", "a.meta.yaml", "describes a, which does not exist")
    assert f.name == "orphan-sidecar" and f.fix == code_info("S017").help != ""
    given = Finding("S017", "a.meta.yaml", "m", fix="do this")
    assert given.fix == "do this"
    assert [c.code for c in codes_of("R")] == [f"R00{i}" for i in range(1, 9)]
