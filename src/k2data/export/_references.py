"""The references for reference managers: one mapping of kinds to entry types, and one reading of the rows.

:data:`ENTRY_TYPES` maps every value of ``references.kind`` to its BibTeX,
RIS and CSL entry type (and a genre where the type alone says too little),
in one place for the three exporters :mod:`.bibtex`, :mod:`.ris` and
:mod:`.csljson`. A kind that the descriptor allows but this table lacks is
refused with the fix (a test checks that every kind is here).

:func:`references` reads the rows of ``references`` into :class:`Reference`
records with authors split into family and given names (k2data writes them
``Family INITIALS``, as PubMed does; anything else is kept whole, as an
organisation). Standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import DescriptorError
from . import ExportContext, is_missing

__all__ = ["ENTRY_TYPES", "TABLE", "EntryType", "Name", "Reference", "entry_type", "references", "split_name"]

TABLE = "references"


@dataclass(frozen=True)
class EntryType:
    """How one kind of reference is typed in BibTeX, RIS and CSL, with a genre for what the type leaves out."""

    bibtex: str
    ris: str
    csl: str
    genre: str = ""


#: Every ``references.kind`` with its entry types (BibTeX classic types, RIS ``TY`` codes, CSL 1.0 types).
ENTRY_TYPES: Mapping[str, EntryType] = {
    "journal_article": EntryType("article", "JOUR", "article-journal"),
    "review": EntryType("article", "JOUR", "article-journal", "Review"),
    "erratum": EntryType("article", "JOUR", "article-journal", "Erratum"),
    "conference_abstract": EntryType("inproceedings", "ABST", "paper-conference", "Conference abstract"),
    "press_release": EntryType("misc", "PRESS", "article", "Press release"),
    "news_article": EntryType("article", "NEWS", "article-newspaper"),
    "web_page": EntryType("misc", "ELEC", "webpage"),
    "blog_post": EntryType("misc", "BLOG", "post-weblog", "Blog post"),
    "drug_label": EntryType("manual", "PAMP", "pamphlet", "Drug label"),
    "thesis": EntryType("phdthesis", "THES", "thesis", "Thesis"),
    "report": EntryType("techreport", "RPRT", "report", "Report"),
}


def entry_type(kind: str) -> EntryType:
    """The entry types of a ``references.kind`` value.

    Examples
    --------
    >>> entry_type("web_page").csl
    'webpage'
    """
    try:
        return ENTRY_TYPES[kind]
    except KeyError:
        msg = f"references.kind {kind!r} has no entry type for BibTeX, RIS and CSL; add it to k2data/export/_references.py"
        raise DescriptorError(msg) from None


@dataclass(frozen=True)
class Name:
    """An author: family and given names (initials), or a whole name in *literal* (an organisation)."""

    family: str = ""
    given: str = ""
    literal: str = ""


_PUBMED_NAME = re.compile(r"^(?P<family>\S.*?)\s+(?P<initials>[A-Z]{1,4})$")


def split_name(text: str) -> Name:
    """Split a ``Family INITIALS`` name; anything else stays whole.

    Examples
    --------
    >>> split_name("Beulens JWJ")
    Name(family='Beulens', given='J. W. J.', literal='')
    >>> split_name("World Health Organization").literal
    'World Health Organization'
    """
    m = _PUBMED_NAME.match(text.strip())
    if m is None:
        return Name(literal=text.strip())
    return Name(family=m["family"], given=" ".join(f"{c}." for c in m["initials"]))


@dataclass(frozen=True)
class Reference:
    """One row of ``references``, as the exporters need it (missing values are empty strings)."""

    id: str
    kind: str
    type: EntryType
    authors: tuple[Name, ...] = ()
    year: int | None = None
    title: str = ""
    venue: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str = ""
    pmid: str = ""
    pmcid: str = ""
    url: str = ""

    @property
    def page_range(self) -> tuple[str, str]:
        """First and last page (the last is empty for a single page or an article number)."""
        first, _, last = self.pages.partition("-")
        return first.strip(), last.strip()


def _text(value: Any) -> str:
    return "" if is_missing(value) else str(value).strip()


def references(ctx: ExportContext) -> list[Reference]:
    """Every row of the ``references`` table in primary-key order (none if the package has no such table)."""
    if TABLE not in ctx.pkg.table_names:
        return []
    frame = ctx.frames[TABLE]
    key = (ctx.pkg.table(TABLE).primary_key or ("reference_id",))[0]
    out = []
    for rec in frame.to_dict("records"):
        authors: Any = rec.get("authors")
        year: Any = rec.get("year")
        kind = _text(rec.get("kind"))
        out.append(
            Reference(
                id=_text(rec.get(key)),
                kind=kind,
                type=entry_type(kind),
                authors=tuple(split_name(str(a)) for a in ([] if is_missing(authors) else authors)),
                year=None if is_missing(year) else int(year),
                title=_text(rec.get("title")),
                venue=_text(rec.get("venue")),
                volume=_text(rec.get("volume")),
                issue=_text(rec.get("issue")),
                pages=_text(rec.get("pages")),
                doi=_text(rec.get("doi")),
                pmid=_text(rec.get("pmid")),
                pmcid=_text(rec.get("pmcid")),
                url=_text(rec.get("url")),
            )
        )
    return out
