"""The typed specs of a package: fields, tables, links, creators, licences and the one citation.

Every fact about the schema that other modules need is a property here,
derived once from ``datapackage.json``: the links between tables (scalar
foreign keys and list references alike), the vocabularies with their labels,
the creators and licences, and the citation text. Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Creator", "FieldSpec", "ForeignKey", "License", "Link", "PackageSpec", "TableSpec"]


@dataclass(frozen=True)
class FieldSpec:
    """One field of a table, as declared in the descriptor.

    ``enum`` holds the allowed values (from ``constraints.enum``); ``labels``
    maps each of them to its label (from Table Schema v2 ``categories``) and
    ``category_props`` to any other property a category carries (such as
    ``schemaOrgType``).
    """

    name: str
    type: str
    description: str = ""
    unit: str | None = None
    required: bool = False
    unique: bool = False
    enum: tuple[str, ...] | None = None
    labels: tuple[tuple[str, str], ...] = ()
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    item_type: str | None = None
    delimiter: str = ";"
    list_reference: tuple[str, str] | None = None
    format: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_list(self) -> bool:
        """Whether the field holds a delimited list of values."""
        return self.type == "list"

    @property
    def value_type(self) -> str:
        """The type of one value: the item type of a list, else the field's type."""
        return (self.item_type or "string") if self.is_list else self.type

    def label(self, value: str) -> str:
        """The label of an allowed value (the value itself if it has none)."""
        return dict(self.labels).get(value, value)

    def category(self, value: str) -> dict[str, Any]:
        """Every property the descriptor gives the category *value* (empty if none)."""
        for c in self.raw.get("categories") or ():
            if isinstance(c, dict) and c.get("value") == value:
                return dict(c)
        return {}


@dataclass(frozen=True)
class ForeignKey:
    """A scalar foreign key: ``fields`` of this table point at ``resource.ref_fields``."""

    fields: tuple[str, ...]
    resource: str
    ref_fields: tuple[str, ...]


@dataclass(frozen=True)
class Link:
    """A link from one field of a table to a key of another (or the same) table.

    Scalar foreign keys of one field and list fields with a
    ``listReference`` both become links; ``is_list`` tells them apart.
    """

    field: str
    target: str
    target_field: str
    is_list: bool

    @property
    def dotted(self) -> str:
        """``table.field`` of the target."""
        return f"{self.target}.{self.target_field}"


@dataclass(frozen=True)
class TableSpec:
    """One tabular resource of the package.

    ``path_problem`` is ``None`` when the resource's path is safe to read
    (a relative path inside the package); otherwise it says why not, and every
    reader refuses the table (see :mod:`k2data._package.paths`).
    """

    name: str
    path: str
    title: str
    description: str
    fields: tuple[FieldSpec, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...]
    hash: str | None = None
    bytes: int | None = None
    schema_org_type: str | None = None
    path_problem: str | None = None
    dialect_problem: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def field_names(self) -> list[str]:
        """Names of the fields, in descriptor order."""
        return [f.name for f in self.fields]

    def field(self, name: str) -> FieldSpec:
        """Return the spec of field *name*."""
        for f in self.fields:
            if f.name == name:
                return f
        msg = f"table {self.name!r} has no field {name!r}"
        raise KeyError(msg)

    @property
    def links(self) -> tuple[Link, ...]:
        """Every link from this table: one-field foreign keys, then list references, in field order."""
        out = [
            Link(fk.fields[0], fk.resource, fk.ref_fields[0], False)
            for fk in self.foreign_keys
            if len(fk.fields) == 1 and len(fk.ref_fields) == 1
        ]
        out += [Link(f.name, *f.list_reference, True) for f in self.fields if f.list_reference is not None]
        return tuple(out)

    def link(self, field_name: str) -> Link | None:
        """The link of field *field_name*, if it has one."""
        for link in self.links:
            if link.field == field_name:
                return link
        return None


@dataclass(frozen=True)
class Creator:
    """A contributor who counts as a creator of the package."""

    name: str
    given: str = ""
    family: str = ""

    @property
    def is_person(self) -> bool:
        """A person has a given or family name; anything else is an organisation."""
        return bool(self.given or self.family)

    @property
    def cited_as(self) -> str:
        """How the creator appears in a citation: ``Family Given`` for a person, else the name."""
        return f"{self.family} {self.given}".strip() if self.is_person else self.name


@dataclass(frozen=True)
class License:
    """A licence of the package: its SPDX-style ``name``, its URL and title."""

    name: str = ""
    path: str = ""
    title: str = ""

    @property
    def label(self) -> str:
        """The short name of the licence (its name, else its title, else its URL)."""
        return self.name or self.title or self.path

    @property
    def iri(self) -> str:
        """The licence as an address (its URL, else its name)."""
        return self.path or self.name or self.title


@dataclass(frozen=True)
class PackageSpec:
    """The whole package: metadata and tables, in descriptor order."""

    path: Path
    name: str
    title: str
    version: str
    tables: tuple[TableSpec, ...]
    description: str = ""
    homepage: str = ""
    created: str = ""
    keywords: tuple[str, ...] = ()
    creators: tuple[Creator, ...] = ()
    licenses: tuple[License, ...] = ()
    release_url: str = ""
    bundled: bool = False
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def root(self) -> Path:
        """The package folder: the one holding ``datapackage.json``."""
        return self.path.parent

    @property
    def table_names(self) -> tuple[str, ...]:
        """Names of the tables, in descriptor order."""
        return tuple(t.name for t in self.tables)

    def table(self, name: str) -> TableSpec:
        """Return the spec of table *name*, or raise :class:`~k2data.errors.UnknownTableError`."""
        for t in self.tables:
            if t.name == name:
                return t
        from ..errors import UnknownTableError

        raise UnknownTableError(name, self.table_names)

    def file(self, table: TableSpec) -> Path:
        """The data file of *table*; raises :class:`~k2data.errors.DataFileError` if it must not be read."""
        from ..errors import DataFileError
        from .paths import readable_problem, shown

        problem = table.path_problem or readable_problem(self.root, table.path)  # the file may have changed since
        if problem is not None:
            msg = f"{self.path}: resource {table.name!r} path {shown(table.path)!r} {problem}; not read"
            raise DataFileError(msg)
        if table.dialect_problem is not None:
            msg = f"{self.path}: resource {table.name!r} has a dialect k2data cannot read ({table.dialect_problem}); not read"
            raise DataFileError(msg)
        return self.root / table.path

    @property
    def year(self) -> str:
        """The year of the release (from ``created``)."""
        return self.created[:4]

    @property
    def date(self) -> str:
        """The release date, ``YYYY-MM-DD`` (from ``created``)."""
        return self.created[:10]

    @property
    def citation(self) -> str:
        """How to cite this version: ``Authors (year). Title. Version X. Dataset, licences. URL``.

        The one citation text: :func:`k2data.citation`, the JSON-LD
        ``creditText``, the Croissant ``citeAs`` and ``CITATION.cff`` all
        come from the same creators, year, title, version, licences and homepage.
        """
        who = ", ".join(c.cited_as for c in self.creators) or self.name
        licences = ", ".join(lic.label for lic in self.licenses)
        parts = [f"{who} ({self.year})." if self.year else f"{who}.", f"{self.title}.", f"Version {self.version}."]
        parts.append(f"Dataset, {licences}." if licences else "Dataset.")
        if self.homepage:
            parts.append(self.homepage)
        return " ".join(parts)

    def release_file_url(self, relpath: str) -> str:
        """The address a release file of this version is published at (by its file name)."""
        return self.release_url.replace("{version}", self.version) + relpath.rsplit("/", 1)[-1]
