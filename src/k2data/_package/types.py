"""One table of type mappings: a descriptor type to pandas, Arrow, Python, XSD, Croissant and SQLite.

Every module that turns a descriptor type into something else reads it here,
so a new type is added once. Arrow types are named by the ``pyarrow``
factory that makes them, so that this module imports nothing heavy.

Examples
--------
>>> TYPES["integer"].pandas
'Int64'
>>> TYPES["date"].croissant
'sc:Date'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["TYPES", "TypeMap", "arrow_type"]


@dataclass(frozen=True)
class TypeMap:
    """How one descriptor type is represented elsewhere.

    ``arrow`` names a ``pyarrow`` type factory (with its argument after a colon,
    as in ``timestamp:us``); ``xsd`` is the XML Schema datatype of a JSON-LD
    literal; ``croissant`` the Croissant ``dataType``; ``sqlite`` the column
    affinity; ``python`` the Python type of one value.
    """

    pandas: str
    arrow: str
    python: type
    xsd: str
    croissant: str
    sqlite: str


TYPES: Mapping[str, TypeMap] = {
    "string": TypeMap("string", "string", str, "xsd:string", "sc:Text", "TEXT"),
    "any": TypeMap("string", "string", str, "xsd:string", "sc:Text", "TEXT"),
    "integer": TypeMap("Int64", "int64", int, "xsd:integer", "sc:Integer", "INTEGER"),
    "year": TypeMap("Int64", "int64", int, "xsd:gYear", "sc:Integer", "INTEGER"),
    "number": TypeMap("float64", "float64", float, "xsd:double", "sc:Float", "REAL"),
    "boolean": TypeMap("boolean", "bool_", bool, "xsd:boolean", "sc:Boolean", "INTEGER"),
    "date": TypeMap("datetime64[ns]", "date32", object, "xsd:date", "sc:Date", "TEXT"),
    "datetime": TypeMap("datetime64[ns]", "timestamp:us", object, "xsd:dateTime", "sc:DateTime", "TEXT"),
}


def arrow_type(type_: str) -> Any:
    """The ``pyarrow`` type of a descriptor type (imports pyarrow).

    Examples
    --------
    >>> str(arrow_type("datetime"))
    'timestamp[us]'
    """
    import pyarrow as pa

    factory, _, arg = TYPES[type_].arrow.partition(":")
    return getattr(pa, factory)(arg) if arg else getattr(pa, factory)()
