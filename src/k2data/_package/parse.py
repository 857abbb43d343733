"""Read ``datapackage.json`` into a :class:`~k2data._package.spec.PackageSpec`, safely.

The descriptor is untrusted input. Reading it never crashes and never
fetches: a file that cannot be a descriptor at all (unreadable, too large,
not UTF-8, not JSON, ``NaN`` or ``Infinity``, nested too deeply, no
resources...) raises :class:`~k2data.errors.DescriptorError` with the place
named; anything else that is wrong (an unsafe path, a bad name or version, a
remote profile or dialect, a link to a table that does not exist...) is kept
as an :class:`Issue` on the spec, which the validator reports and the readers
respect. Standard library only.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DescriptorError
from .paths import name_problem, path_problem, readable_problem, shown, version_problem
from .spec import Creator, FieldSpec, ForeignKey, License, PackageSpec, TableSpec

__all__ = ["MAX_DEPTH", "MAX_DESCRIPTOR_BYTES", "Issue", "parse_descriptor", "read_descriptor_file"]

#: Largest descriptor read, in bytes.
MAX_DESCRIPTOR_BYTES = 64 * 1024 * 1024
#: Deepest nesting of JSON objects and arrays accepted in a descriptor.
MAX_DEPTH = 64
#: Field types k2data can read, check and export.
FIELD_TYPES = ("string", "integer", "number", "boolean", "date", "datetime", "year", "list", "any")
#: Profiles that name the Data Package standard itself (nothing is fetched for them).
KNOWN_PROFILES = (
    "data-package", "tabular-data-package", "data-resource", "tabular-data-resource", "table-schema",
    "https://datapackage.org/profiles/2.0/datapackage.json",
    "https://datapackage.org/profiles/2.0/dataresource.json",
    "https://datapackage.org/profiles/2.0/tableschema.json",
    "https://datapackage.org/profiles/2.0/tabledialect.json",
    "https://datapackage.org/profiles/1.0/datapackage.json",
    "https://datapackage.org/profiles/1.0/tabledataresource.json",
)  # fmt: skip
#: Dialect properties the readers honour; ``header`` must be true and the others are refused.
DIALECT_KEYS = ("delimiter", "quoteChar", "doubleQuote", "header", "lineTerminator", "$schema")
#: Where releases are published when the descriptor does not say (`{homepage}` is its homepage).
DEFAULT_RELEASE_URL = "{homepage}/releases/download/v{version}/"


@dataclass(frozen=True)
class Issue:
    """Something wrong in a descriptor that still lets it be read: where, the value, and why."""

    where: str
    value: str | None
    message: str


def _depth(value: Any, limit: int) -> int:
    """How deeply *value* nests, counted without recursion, stopping past *limit*."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, (dict, list)):
            deepest = max(deepest, d)
            if deepest > limit:
                return deepest
            stack.extend((c, d + 1) for c in (v.values() if isinstance(v, dict) else v))
    return deepest


def _constant(name: str) -> Any:
    msg = f"{name} is not a JSON number; use a finite number or null"
    raise ValueError(msg)


def read_descriptor_file(path: Path) -> Any:
    """The parsed JSON of the descriptor at *path*; raises :class:`DescriptorError` naming the problem."""
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            msg = f"{path}: is a folder; pass a datapackage.json or the folder holding one"
            raise DescriptorError(msg)
        if not stat.S_ISREG(st.st_mode):
            msg = f"{path}: is not a regular file; not read"
            raise DescriptorError(msg)
        if st.st_size > MAX_DESCRIPTOR_BYTES:
            msg = f"{path}: is {st.st_size} bytes, more than the {MAX_DESCRIPTOR_BYTES} a descriptor may have; not read"
            raise DescriptorError(msg)
        with open(path, "rb") as fh:
            data = fh.read(MAX_DESCRIPTOR_BYTES + 1)
    except FileNotFoundError:
        msg = f"{path}: no such file; pass the path of a datapackage.json or the folder holding one"
        raise DescriptorError(msg) from None
    except OSError as exc:
        msg = f"{path}: cannot be read ({exc.strerror or type(exc).__name__})"
        raise DescriptorError(msg) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = f"{path}: is not UTF-8 text (invalid byte at position {exc.start})"
        raise DescriptorError(msg) from None
    try:
        raw = json.loads(text, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        msg = f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        raise DescriptorError(msg) from None
    except ValueError as exc:
        msg = f"{path}: not valid JSON ({exc})"
        raise DescriptorError(msg) from None
    except RecursionError:
        msg = f"{path}: nested more deeply than {MAX_DEPTH} levels; not read"
        raise DescriptorError(msg) from None
    if _depth(raw, MAX_DEPTH) > MAX_DEPTH:
        msg = f"{path}: nested more deeply than {MAX_DEPTH} levels; not read"
        raise DescriptorError(msg)
    return raw


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return (str(value),)


def _number(value: Any, where: str, issues: list[Issue]) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        issues.append(Issue(where, shown(value), "must be a finite number"))
        return None
    return float(value) if isinstance(value, float) else value


def _field(raw: Any, where: str, issues: list[Issue]) -> FieldSpec | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
        issues.append(Issue(where, None, "every field needs a 'name' (a non-empty string)"))
        return None
    name = raw["name"]
    here = f"{where}[{name}]"
    type_ = raw.get("type", "string")
    if type_ not in FIELD_TYPES:
        issues.append(Issue(f"{here}.type", shown(type_), f"is not a field type k2data reads ({', '.join(FIELD_TYPES)})"))
        type_ = "string"
    c = raw.get("constraints") or {}
    if not isinstance(c, dict):
        issues.append(Issue(f"{here}.constraints", None, "must be an object"))
        c = {}
    enum = c.get("enum")
    if enum is not None and (not isinstance(enum, list) or not enum):
        issues.append(Issue(f"{here}.constraints.enum", None, "must be a non-empty list"))
        enum = None
    labels: list[tuple[str, str]] = []
    for cat in raw.get("categories") or ():
        if isinstance(cat, dict) and "value" in cat:
            labels.append((str(cat["value"]), str(cat.get("label", cat["value"]))))
    if enum is not None and labels and [v for v, _ in labels] != [str(v) for v in enum]:
        issues.append(Issue(f"{here}.categories", None, "must list the same values, in the same order, as constraints.enum"))
    pattern = c.get("pattern")
    if pattern is not None:
        try:
            re.compile(str(pattern))
        except (re.error, RecursionError, OverflowError):
            issues.append(Issue(f"{here}.constraints.pattern", shown(pattern), "is not a valid regular expression"))
            pattern = None
    delimiter = raw.get("delimiter", ";")
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n':
        issues.append(Issue(f"{here}.delimiter", shown(delimiter), "must be one character (not a quote or line end)"))
        delimiter = ";"
    ref = raw.get("listReference")
    list_reference = None
    if isinstance(ref, dict) and isinstance(ref.get("resource"), str) and isinstance(ref.get("field"), str):
        list_reference = (ref["resource"], ref["field"])
    elif ref is not None:
        issues.append(Issue(f"{here}.listReference", None, "must be an object with 'resource' and 'field'"))
    item_type = raw.get("itemType")
    if type_ == "list" and item_type not in (None, "string", "integer", "number", "boolean", "date"):
        issues.append(Issue(f"{here}.itemType", shown(item_type), "is not an item type k2data reads"))
        item_type = "string"
    unit = raw.get("unit")
    return FieldSpec(
        name=name,
        type=type_,
        description=str(raw.get("description", "")),
        unit=str(unit) if unit is not None else None,
        required=c.get("required") is True,
        unique=c.get("unique") is True,
        enum=tuple(str(v) for v in enum) if enum is not None else None,
        labels=tuple(labels),
        pattern=str(pattern) if pattern is not None else None,
        minimum=_number(c.get("minimum"), f"{here}.constraints.minimum", issues),
        maximum=_number(c.get("maximum"), f"{here}.constraints.maximum", issues),
        item_type=item_type,
        delimiter=delimiter,
        list_reference=list_reference,
        format=raw.get("format") if isinstance(raw.get("format"), str) else None,
        raw=raw,
    )


def _remote(value: Any) -> bool:
    return isinstance(value, str) and ("://" in value or value.startswith(("http:", "https:", "ftp:", "file:", "//")))


def _references(res: dict[str, Any], where: str, issues: list[Issue]) -> str | None:
    """Refuse anything in a resource that would make a reader fetch or read outside the package.

    Returns why the resource's dialect cannot be read, if it cannot.
    """
    before = len(issues)
    for key in ("profile", "$schema"):
        value = res.get(key)
        if value is not None and value not in KNOWN_PROFILES:
            issues.append(Issue(f"{where}.{key}", shown(value), "is not a profile of the Data Package standard; custom or remote profiles are not fetched"))
    for key in ("schema", "dialect"):
        value = res.get(key)
        if value is not None and not isinstance(value, dict):
            what = "a remote URL" if _remote(value) else "a reference to another file"
            issues.append(Issue(f"{where}.{key}", shown(value), f"is {what}; k2data reads only an inline {key} object and never fetches"))
    dialect = res.get("dialect")
    if isinstance(dialect, dict):
        for key, value in dialect.items():
            if key not in DIALECT_KEYS:
                issues.append(Issue(f"{where}.dialect.{key}", shown(value), "is a dialect property k2data does not read; remove it"))
            elif key in ("delimiter", "quoteChar") and (not isinstance(value, str) or len(value) != 1 or value in "\r\n"):
                issues.append(Issue(f"{where}.dialect.{key}", shown(value), "must be one character (not a line end)"))
            elif key == "header" and value is not True:
                issues.append(Issue(f"{where}.dialect.header", shown(value), "must be true: k2data files have a header row"))
    for key in ("encoding",):
        value = res.get(key)
        if value is not None and str(value).lower().replace("_", "-") not in ("utf-8", "utf8"):
            issues.append(Issue(f"{where}.{key}", shown(value), "must be utf-8"))
    dialect_issues = [i for i in issues[before:] if ".dialect" in i.where or i.where.endswith((".encoding",))]
    if dialect_issues or (res.get("dialect") is not None and not isinstance(res.get("dialect"), dict)):
        return dialect_issues[0].message if dialect_issues else "the dialect is not an inline object"
    return None


def _creators(raw: dict[str, Any]) -> tuple[Creator, ...]:
    out = []
    for c in raw.get("contributors") or ():
        if not isinstance(c, dict):
            continue
        roles = c.get("roles") or ([c["role"]] if c.get("role") else [])
        if roles and not {"creator", "author"} & {str(r) for r in roles}:
            continue
        given, family = str(c.get("givenName") or ""), str(c.get("familyName") or "")
        name = " ".join(p for p in (given, family) if p) or str(c.get("title") or c.get("organization") or "")
        if name:
            out.append(Creator(name=name, given=given, family=family))
    return tuple(out)


def _licenses(raw: dict[str, Any]) -> tuple[License, ...]:
    out = []
    for lic in raw.get("licenses") or ():
        if isinstance(lic, dict):
            out.append(License(str(lic.get("name") or ""), str(lic.get("path") or ""), str(lic.get("title") or "")))
    return tuple(out)


def parse_descriptor(raw: Any, path: Path, *, bundled: bool = False) -> tuple[PackageSpec, tuple[Issue, ...]]:
    """Build a :class:`PackageSpec` from a parsed descriptor, with the issues found in it.

    Raises :class:`~k2data.errors.DescriptorError` naming what is missing when
    the descriptor cannot describe a package at all.
    """
    if not isinstance(raw, dict):
        msg = f"{path}: the descriptor must be a JSON object"
        raise DescriptorError(msg)
    issues: list[Issue] = []
    resources = raw.get("resources")
    if not isinstance(resources, list) or not resources:
        msg = f"{path}: 'resources' must be a non-empty list of the package's tables"
        raise DescriptorError(msg)
    name = raw.get("name", "")
    if "name" in raw and name_problem(name) is not None:
        issues.append(Issue("name", shown(name), f"package name {name_problem(name)}"))
    version = raw.get("version", "")
    if "version" in raw and version_problem(version) is not None:
        issues.append(Issue("version", shown(version), f"version {version_problem(version)}"))
    for key in ("profile", "$schema"):
        if raw.get(key) is not None and raw.get(key) not in KNOWN_PROFILES:
            issues.append(Issue(key, shown(raw.get(key)), "is not a profile of the Data Package standard; custom or remote profiles are not fetched"))
    tables: list[TableSpec] = []
    seen: set[str] = set()
    for n, res in enumerate(resources):
        table = _resource(res, n, path.parent, seen, issues)
        if table is not None:
            tables.append(table)
    _check_links(tables, issues)
    homepage = str(raw.get("homepage") or "").rstrip("/")
    release = str(raw.get("releaseUrl") or (DEFAULT_RELEASE_URL.replace("{homepage}", homepage) if homepage else ""))
    package = PackageSpec(
        path=path,
        name=str(name or ""),
        title=str(raw.get("title") or name or ""),
        version=str(version or ""),
        tables=tuple(tables),
        description=str(raw.get("description") or ""),
        homepage=homepage,
        created=str(raw.get("created") or ""),
        keywords=tuple(str(k) for k in raw.get("keywords") or () if isinstance(k, (str, int, float))),
        creators=_creators(raw),
        licenses=_licenses(raw),
        release_url=release,
        bundled=bundled,
        raw=raw,
    )
    return package, tuple(issues)


def _resource(res: Any, n: int, root: Path, seen: set[str], issues: list[Issue]) -> TableSpec | None:
    """One resource as a table spec, or ``None`` (with the issue noted) when it cannot be one."""
    if not isinstance(res, dict):
        issues.append(Issue(f"resources[{n}]", None, "each resource must be an object"))
        return None
    rname = res.get("name")
    nproblem = name_problem(rname)
    if nproblem is not None or not isinstance(rname, str):
        issues.append(Issue(f"resources[{n}].name", shown(rname) if rname is not None else None, f"resource name {nproblem}"))
        return None
    rwhere = f"resources[{rname}]"
    if rname in seen:
        issues.append(Issue(f"{rwhere}.name", rname, "another resource has the same name"))
        return None
    seen.add(rname)
    rpath = res.get("path")
    if isinstance(rpath, list):
        issues.append(Issue(f"{rwhere}.path", None, "lists several files; k2data reads one file per table"))
        return None
    dialect_problem = _references(res, rwhere, issues)
    schema = res.get("schema")
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
        if isinstance(schema, dict) or schema is None:
            issues.append(Issue(f"{rwhere}.schema", None, "must be an object with a 'fields' list"))
        return None
    fields: list[FieldSpec] = []
    for f in schema["fields"]:
        field_spec = _field(f, f"{rwhere}.schema.fields", issues)
        if field_spec is None:
            continue
        if any(x.name == field_spec.name for x in fields):
            issues.append(Issue(f"{rwhere}.schema.fields", shown(field_spec.name), "two fields have the same name"))
            continue
        fields.append(field_spec)
    fks = []
    for fk in schema.get("foreignKeys") or ():
        if not isinstance(fk, dict) or not isinstance(fk.get("reference"), dict):
            issues.append(Issue(f"{rwhere}.schema.foreignKeys", None, "each foreign key needs 'fields' and a 'reference' object"))
            continue
        ref = fk["reference"]
        fks.append(ForeignKey(_as_tuple(fk.get("fields")), str(ref.get("resource") or rname), _as_tuple(ref.get("fields"))))
        if len(fks[-1].fields) > 1:
            issues.append(Issue(f"{rwhere}.schema.foreignKeys", ",".join(fks[-1].fields), "a foreign key of several fields is not checked by k2data; link one field"))
    pk = _as_tuple(schema.get("primaryKey"))
    for k in pk:
        if k not in {x.name for x in fields}:
            issues.append(Issue(f"{rwhere}.schema.primaryKey", shown(k), "names a field the table does not have"))
    problem = readable_problem(root, rpath) if isinstance(rpath, str) else path_problem(rpath)
    if problem is not None:
        issues.append(Issue(f"{rwhere}.path", shown(rpath) if rpath is not None else None, f"resource path {problem}"))
    byte_count = res.get("bytes")
    return TableSpec(
        name=rname,
        path=rpath if isinstance(rpath, str) else "",
        title=str(res.get("title") or rname),
        description=str(res.get("description") or ""),
        fields=tuple(fields),
        primary_key=pk,
        foreign_keys=tuple(fks),
        hash=res.get("hash") if isinstance(res.get("hash"), str) else None,
        bytes=byte_count if isinstance(byte_count, int) and not isinstance(byte_count, bool) else None,
        schema_org_type=res.get("schemaOrgType") if isinstance(res.get("schemaOrgType"), str) else None,
        path_problem=problem,
        dialect_problem=dialect_problem,
        raw=res,
    )


def _check_links(tables: list[TableSpec], issues: list[Issue]) -> None:
    """Every foreign key and list reference must point at an existing table and field."""
    by_name = {t.name: t for t in tables}
    for t in tables:
        for fk in t.foreign_keys:
            where = f"resources[{t.name}].schema.foreignKeys"
            missing = [f for f in fk.fields if f not in t.field_names]
            if missing or not fk.fields:
                issues.append(Issue(where, ",".join(fk.fields) or None, "names a field the table does not have"))
            target = by_name.get(fk.resource)
            if target is None:
                issues.append(Issue(where, fk.resource, f"links to table {fk.resource!r}, which the package does not have"))
            elif len(fk.ref_fields) != len(fk.fields) or any(f not in target.field_names for f in fk.ref_fields):
                issues.append(Issue(where, ",".join(fk.ref_fields) or None, f"links to fields that table {fk.resource!r} does not have"))
        for f in t.fields:
            if f.list_reference is None:
                continue
            where = f"resources[{t.name}].schema.fields[{f.name}].listReference"
            target = by_name.get(f.list_reference[0])
            if target is None:
                issues.append(Issue(where, f.list_reference[0], f"links to table {f.list_reference[0]!r}, which the package does not have"))
            elif f.list_reference[1] not in target.field_names:
                issues.append(Issue(where, f.list_reference[1], f"links to a field that table {f.list_reference[0]!r} does not have"))
