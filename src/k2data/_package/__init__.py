"""The package model: the one place that reads ``datapackage.json``.

Everything else (load, validation, the exporters, the release, the generated
documents and the command line) opens a package through :func:`open_package`
and reads the derived facts from its spec: the tables and their fields, the
links between tables, the vocabularies and their labels, the type mappings
(:mod:`.types`), the creators, licences and the one citation. The containment
rule for untrusted packages lives in :mod:`.paths`.
"""

from __future__ import annotations

from .parse import Issue
from .resolve import DESCRIPTOR, bundled_descriptor_path, descriptor_path, discover, open_package, open_with_issues
from .spec import Creator, FieldSpec, ForeignKey, License, Link, PackageSpec, TableSpec
from .types import TYPES, TypeMap, arrow_type

__all__ = [
    "DESCRIPTOR",
    "TYPES",
    "Creator",
    "FieldSpec",
    "ForeignKey",
    "Issue",
    "License",
    "Link",
    "PackageSpec",
    "TableSpec",
    "TypeMap",
    "arrow_type",
    "bundled_descriptor_path",
    "descriptor_path",
    "discover",
    "open_package",
    "open_with_issues",
]
