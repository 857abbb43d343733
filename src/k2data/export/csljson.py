"""CSL-JSON export: ``references.csl.json``, every row of ``references`` as a CSL item.

The format citation processors (citeproc-js in Zotero, pandoc, citeproc-py)
read: a JSON array of items with ``id`` (the ``reference_id``), ``type`` from
:data:`._references.ENTRY_TYPES` (and ``genre`` where the type does not tell
it), ``author`` as family and given names (or ``literal`` for an
organisation), ``title``, ``container-title`` (or ``publisher`` for a label,
report or thesis), ``issued``, ``volume``, ``issue``, ``page``, ``DOI``,
``PMID``, ``PMCID`` and ``URL``.
"""

from __future__ import annotations

import json
from typing import Any

from . import FORMATS, ExportContext
from ._references import Name, Reference, references

__all__ = ["item", "write"]

_PUBLISHED_BY = ("pamphlet", "report", "thesis")


def _name(name: Name) -> dict[str, str]:
    if name.literal:
        return {"literal": name.literal}
    return {"family": name.family, "given": name.given} if name.given else {"family": name.family}


def item(ref: Reference) -> dict[str, Any]:
    """One CSL-JSON item.

    Examples
    --------
    >>> from k2data.export._references import Reference, entry_type, split_name
    >>> ref = Reference("smith2020", "journal_article", entry_type("journal_article"), (split_name("Smith AB"),),
    ...                 2020, "A title", "A Journal", doi="10.1000/x", pmid="123")
    >>> item(ref)["issued"], item(ref)["author"], item(ref)["PMID"]
    ({'date-parts': [[2020]]}, [{'family': 'Smith', 'given': 'A. B.'}], '123')
    """
    out: dict[str, Any] = {"id": ref.id, "type": ref.type.csl}
    if ref.type.genre:
        out["genre"] = ref.type.genre
    if ref.authors:
        out["author"] = [_name(n) for n in ref.authors]
    venue_key = "publisher" if ref.type.csl in _PUBLISHED_BY else "container-title"
    values = {
        "title": ref.title, venue_key: ref.venue, "volume": ref.volume, "issue": ref.issue, "page": ref.pages,
        "DOI": ref.doi, "PMID": ref.pmid, "PMCID": ref.pmcid, "URL": ref.url,
    }  # fmt: skip
    out.update({k: v for k, v in values.items() if v})
    if ref.year is not None:
        out["issued"] = {"date-parts": [[ref.year]]}
    return out


def write(ctx: ExportContext) -> list[str]:
    """Write ``references.csl.json``; return its path."""
    rel = FORMATS["csljson"].entry
    items = [item(ref) for ref in references(ctx)]
    with open(ctx.path(rel), "w", encoding="utf-8", newline="\n") as fh:
        fh.write(json.dumps(items, indent=2, ensure_ascii=False) + "\n")
    return [ctx.record(rel)]
