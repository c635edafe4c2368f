"""Fixtures of the extractor tests: the fixture project, its extraction, JDK sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from codetune.extract import ExtractOptions, extract_files
from codetune.records import FileResult, TypeUnit

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "java_project"


@pytest.fixture(scope="session")
def fixture_root() -> Path:
    return FIXTURE


@pytest.fixture(scope="session")
def fixture_results() -> dict[str, FileResult]:
    """The fixture project extracted once, by relative path."""
    return {result.file: result for result in extract_files(FIXTURE, ExtractOptions(workers=1))}


@pytest.fixture(scope="session")
def fixture_types(fixture_results: dict[str, FileResult]) -> dict[str, TypeUnit]:
    return {unit.qualified_name: unit for result in fixture_results.values() for unit in result.types}
