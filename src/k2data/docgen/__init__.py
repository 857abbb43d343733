"""Documents generated from the package model: the data dictionary, the README table list, terminal
tables, ``CITATION.cff`` and ``.zenodo.json``, and the generate-and-check step that keeps them current."""

from __future__ import annotations

from .cff import citation_cff, zenodo_json
from .dictionary import README_END, README_START, constraints_text, data_dictionary, readme_tables, splice
from .terminal import describe_text, text_table

__all__ = [
    "README_END",
    "README_START",
    "citation_cff",
    "constraints_text",
    "data_dictionary",
    "describe_text",
    "readme_tables",
    "splice",
    "text_table",
    "zenodo_json",
]
