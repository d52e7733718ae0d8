"""Package metadata in its current form (PEP 639), and the extras the docs name."""

import tomllib
from pathlib import Path

PYPROJECT = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())


def test_license_is_a_pep_639_expression():
    # The old table form ({text = ...}) makes setuptools print a deprecation block on install.
    assert PYPROJECT["project"]["license"] == "MIT"
    assert any(req.startswith("setuptools>=77") for req in PYPROJECT["build-system"]["requires"])
    assert not any("License ::" in c for c in PYPROJECT["project"].get("classifiers", []))


def test_openapi_extra_brings_drf_spectacular():
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert any(req.startswith("drf-spectacular") for req in extras["openapi"])
