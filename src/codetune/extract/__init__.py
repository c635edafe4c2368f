"""Stage one: read a Java source tree into :class:`codetune.records.TypeUnit` records.

>>> from codetune.extract import ExtractOptions, extract_files          # doctest: +SKIP
>>> for result in extract_files("src/main/java", ExtractOptions(workers=0)):  # doctest: +SKIP
...     print(result.file, result.status, [t.qualified_name for t in result.types])

``extract_files`` streams one :class:`~codetune.records.FileResult` per ``.java`` file, in sorted
relative-path order, identical for any number of workers; bad files come back ``skipped`` or
``partial`` with their reasons, never as exceptions. ``extract_to_jsonl`` is what
``codetune extract`` runs: ``units.jsonl`` plus ``units.report.json``. ``parse_entry`` and
``parse_source`` also keep each declaration's node of the syntax tree (:class:`ParsedFile`), for a caller
in the same process that looks at the code again. Only :mod:`codetune.extract.java` imports tree-sitter.
"""

from __future__ import annotations

from codetune.extract.output import ExtractReport, read_units, report_path, type_from_json, type_to_json
from codetune.extract.pipeline import (
    ExtractOptions,
    ParsedFile,
    extract_entry,
    extract_files,
    extract_source,
    extract_to_jsonl,
    parse_entry,
    parse_source,
)

__all__ = [
    "ExtractOptions",
    "ExtractReport",
    "ParsedFile",
    "extract_entry",
    "extract_files",
    "extract_source",
    "extract_to_jsonl",
    "parse_entry",
    "parse_source",
    "read_units",
    "report_path",
    "type_from_json",
    "type_to_json",
]
