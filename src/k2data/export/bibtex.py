"""BibTeX export: ``references.bib``, every row of ``references`` as a BibTeX entry.

Entry types come from :data:`._references.ENTRY_TYPES` (classic BibTeX
types, so both BibTeX and biber read them); the key is the ``reference_id``.
The venue goes where the type expects it (``journal``, ``booktitle``,
``organization``, ``school``, ``institution`` or ``howpublished``); ``doi``,
``pmid``, ``pmcid`` and ``url`` are written where known, and the genre of a
kind that the type does not tell (a review, an erratum, a drug label) in
``note``. Authors are ``Family, G. I.`` joined by ``and``; LaTeX's special
characters are escaped in text fields, never in identifiers and addresses.
"""

from __future__ import annotations

from . import FORMATS, ExportContext
from ._references import Name, Reference, references

__all__ = ["entry", "escape", "write"]

_VENUE_FIELD = {
    "article": "journal",
    "inproceedings": "booktitle",
    "manual": "organization",
    "phdthesis": "school",
    "techreport": "institution",
}
_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}", "&": r"\&", "%": r"\%",
    "$": r"\$", "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}  # fmt: skip


def escape(text: str) -> str:
    """*text* with LaTeX's special characters escaped (braces stay balanced).

    Examples
    --------
    >>> print(escape("Food & Nutrition: 100% {new}"))
    Food \\& Nutrition: 100\\% \\textbraceleft{}new\\textbraceright{}
    """
    return "".join(_ESCAPES.get(c, c) for c in " ".join(text.split()))


def _address(text: str) -> str:
    return text.replace("{", "%7B").replace("}", "%7D").replace(" ", "%20")


def _name(name: Name) -> str:
    if name.literal:
        return "{" + escape(name.literal) + "}"
    return f"{escape(name.family)}, {escape(name.given)}" if name.given else escape(name.family)


def entry(ref: Reference) -> str:
    """One BibTeX entry.

    Examples
    --------
    >>> from k2data.export._references import Reference, entry_type, split_name
    >>> ref = Reference("smith2020", "journal_article", entry_type("journal_article"),
    ...                 (split_name("Smith AB"),), 2020, "A title", "A Journal", pages="1-5")
    >>> print(entry(ref))
    @article{smith2020,
      author = {Smith, A. B.},
      title = {A title},
      journal = {A Journal},
      year = {2020},
      pages = {1--5}
    }
    """
    kind = ref.type.bibtex
    first, last = ref.page_range
    fields = [
        ("author", " and ".join(_name(n) for n in ref.authors)),
        ("title", escape(ref.title)),
        (_VENUE_FIELD.get(kind, "howpublished"), escape(ref.venue)),
        ("year", str(ref.year) if ref.year is not None else ""),
        ("volume", escape(ref.volume)),
        ("number", escape(ref.issue)),
        ("pages", f"{escape(first)}--{escape(last)}" if last else escape(first)),
        ("doi", _address(ref.doi)),
        ("pmid", _address(ref.pmid)),
        ("pmcid", _address(ref.pmcid)),
        ("url", _address(ref.url)),
        ("note", escape(ref.type.genre) if kind in ("article", "misc", "inproceedings") else ""),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@{kind}{{{ref.id},\n{body}\n}}"


def write(ctx: ExportContext) -> list[str]:
    """Write ``references.bib``; return its path."""
    rel = FORMATS["bibtex"].entry
    pkg = ctx.pkg
    licences = ", ".join(lic.label for lic in pkg.licenses)
    header = f"% The references of {pkg.name} {pkg.version} ({licences}). {pkg.homepage}".rstrip() + "\n"
    entries = [entry(ref) for ref in references(ctx)]
    with open(ctx.path(rel), "w", encoding="utf-8", newline="\n") as fh:
        fh.write(header + "".join(f"\n{e}\n" for e in entries))
    return [ctx.record(rel)]
