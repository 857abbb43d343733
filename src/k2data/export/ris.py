"""RIS export: ``references.ris``, every row of ``references`` as an RIS record.

``TY`` comes from :data:`._references.ENTRY_TYPES`; then ``ID`` (the
``reference_id``), one ``AU`` per author (``Family, G. I.``), ``TI``, ``T2``
(the journal, site or meeting), ``PB`` (the publisher of a label, report or
thesis), ``PY``, ``VL``, ``IS``, ``SP``/``EP``, ``DO``, ``AN`` (the PubMed id,
as EndNote puts it), ``UR`` (a ``;`` in the address is written ``%3B``,
because RIS readers split ``UR`` at semicolons), ``M3`` (the genre where the
type does not tell it) and ``ER``. UTF-8, one tag per line, LF line ends.
"""

from __future__ import annotations

from . import FORMATS, ExportContext
from ._references import Name, Reference, references

__all__ = ["record", "write"]

_PUBLISHED_BY = ("PAMP", "RPRT", "THES")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _name(name: Name) -> str:
    return _one_line(name.literal or (f"{name.family}, {name.given}" if name.given else name.family))


def record(ref: Reference) -> str:
    """One RIS record (its lines, ending with ``ER  -``).

    Examples
    --------
    >>> from k2data.export._references import Reference, entry_type, split_name
    >>> ref = Reference("smith2020", "web_page", entry_type("web_page"), (split_name("Smith AB"),), 2020,
    ...                 "A page", "example.org", url="https://example.org/a")
    >>> print(record(ref))
    TY  - ELEC
    ID  - smith2020
    AU  - Smith, A. B.
    TI  - A page
    T2  - example.org
    PY  - 2020
    UR  - https://example.org/a
    ER  -
    """
    tags: list[tuple[str, str]] = [("TY", ref.type.ris), ("ID", ref.id)]
    tags += [("AU", _name(n)) for n in ref.authors]
    first, last = ref.page_range
    tags += [
        ("TI", ref.title),
        ("PB" if ref.type.ris in _PUBLISHED_BY else "T2", ref.venue),
        ("PY", str(ref.year) if ref.year is not None else ""),
        ("VL", ref.volume),
        ("IS", ref.issue),
        ("SP", first),
        ("EP", last),
        ("DO", ref.doi),
        ("AN", ref.pmid),
        ("UR", ref.url.replace(";", "%3B")),
        ("M3", ref.type.genre),
    ]
    lines = [f"{tag}  - {_one_line(value)}" for tag, value in tags if value]
    return "\n".join([*lines, "ER  -"])


def write(ctx: ExportContext) -> list[str]:
    """Write ``references.ris``; return its path."""
    rel = FORMATS["ris"].entry
    records = [record(ref) for ref in references(ctx)]
    with open(ctx.path(rel), "w", encoding="utf-8", newline="\n") as fh:
        fh.write("".join(f"{r}\n\n" for r in records) if records else "\n")
    return [ctx.record(rel)]
