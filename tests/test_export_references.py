"""The references as BibTeX, RIS and CSL-JSON, each read back by a real third-party reader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import k2data
from k2data._package import open_package
from k2data.errors import DescriptorError
from k2data.export import is_missing
from k2data.export._references import ENTRY_TYPES, entry_type, split_name
from k2data.release import export

PKG = open_package()


@pytest.fixture(scope="module")
def refs() -> list[dict[str, Any]]:
    frame = k2data.load("references").sort_values("reference_id")
    return [{k: (None if not isinstance(v, list) and is_missing(v) else v) for k, v in r.items()} for r in frame.to_dict("records")]


def test_every_kind_in_the_vocabulary_has_an_entry_type() -> None:
    kinds = PKG.table("references").field("kind").enum
    assert kinds
    missing = [k for k in kinds if k not in ENTRY_TYPES]
    assert missing == [], f"add these kinds to k2data/export/_references.py ENTRY_TYPES: {missing}"


def test_a_kind_without_an_entry_type_is_refused_with_the_fix() -> None:
    with pytest.raises(DescriptorError, match=r"'podcast'.*_references\.py"):
        entry_type("podcast")


def test_names_split_into_family_and_initials() -> None:
    assert split_name("Abe Y").family == "Abe" and split_name("Abe Y").given == "Y."
    assert split_name("van der Berg HJ").family == "van der Berg"
    assert split_name("Eisai Co., Ltd.").literal == "Eisai Co., Ltd."


def test_bibtex_is_read_back_by_bibtexparser(release, refs) -> None:
    import bibtexparser
    from bibtexparser.middlewares import LatexDecodingMiddleware

    text = (release / "references.bib").read_text(encoding="utf-8")
    raw = bibtexparser.parse_string(text)  # identifiers and addresses are verbatim
    library = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])  # text as LaTeX reads it
    assert raw.failed_blocks == library.failed_blocks == []
    entries = {e.key: e for e in library.entries}
    assert list(entries) == [r["reference_id"] for r in refs]
    verbatim = {e.key: e for e in raw.entries}
    for r in refs:
        e = entries[r["reference_id"]]
        assert e.entry_type == ENTRY_TYPES[r["kind"]].bibtex
        fields = {k: f.value for k, f in e.fields_dict.items()}
        for name in ("doi", "pmid", "url"):
            field = verbatim[r["reference_id"]].fields_dict.get(name)
            assert (field.value if field else None) == r[name], (r["reference_id"], name)
        assert fields.get("title") == r["title"], r["reference_id"]
        if r["year"] is not None:
            assert fields["year"] == str(r["year"])
        if r["authors"]:
            assert fields["author"].count(" and ") == len(r["authors"]) - 1
    article = verbatim["beaudin2019_oncotarget"].fields_dict
    assert article["journal"].value == "Oncotarget" and article["pages"].value == "2292--2305"
    assert entries["beaudin2019_oncotarget"]["pages"] == "2292\u20132305"  # an en dash, as LaTeX sets it


def test_ris_is_read_back_by_rispy(release, refs) -> None:
    import rispy

    records = rispy.loads((release / "references.ris").read_text(encoding="utf-8"))
    assert [r["id"] for r in records] == [r["reference_id"] for r in refs]
    for rec, r in zip(records, refs, strict=True):
        assert rec["type_of_reference"] == ENTRY_TYPES[r["kind"]].ris
        assert rec.get("doi") == r["doi"] and rec.get("accession_number") == r["pmid"]
        urls = [u.replace("%3B", ";") for u in rec.get("urls", [])]
        assert urls == ([r["url"]] if r["url"] else [])
        assert rec.get("title") == r["title"]
        assert len(rec.get("authors", [])) == len(r["authors"])
    web = next(rec for rec, r in zip(records, refs, strict=True) if r["kind"] == "web_page")
    assert web["type_of_reference"] == "ELEC"


def test_csl_json_renders_in_a_citation_style(release, refs) -> None:
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON

    items = json.loads((release / "references.csl.json").read_text(encoding="utf-8"))
    assert [i["id"] for i in items] == [r["reference_id"] for r in refs]
    for item, r in zip(items, refs, strict=True):
        assert item["type"] == ENTRY_TYPES[r["kind"]].csl
        assert (item.get("DOI"), item.get("PMID"), item.get("URL")) == (r["doi"], r["pmid"], r["url"])
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)  # bundled with citeproc-py: nothing fetched
    bibliography = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
    citations = [Citation([CitationItem(i["id"])]) for i in items]
    for c in citations:
        bibliography.register(c)
    rendered = [str(entry) for entry in bibliography.bibliography()]
    assert len(rendered) == len(items)
    text = "\n".join(rendered)
    for r in refs:
        if r["title"]:
            assert r["title"] in text, r["reference_id"]
        if r["doi"]:
            assert f"https://doi.org/{r['doi']}" in text, r["reference_id"]
    beaudin = bibliography.cite(citations[[i["id"] for i in items].index("beaudin2019_oncotarget")], lambda item: None)
    assert str(beaudin) == "(Beaudin, Kokabee and Welsh, 2019)"


def test_special_characters_survive_every_format(mini, tmp_path) -> None:
    import bibtexparser
    import rispy
    from bibtexparser.middlewares import LatexDecodingMiddleware

    from k2data.export.bibtex import escape

    pkg = mini("references", rows=3)
    latex = "Vitamin K & 50% of menaquinone_7 ~ über #1 $5"
    braces = "{Unbalanced} brace } and x^2 and a \\ backslash"
    pkg.set("references", 2, "title", latex)
    pkg.set("references", 3, "title", braces)
    export(["bibtex", "ris", "csljson"], tmp_path, datapackage=pkg.descriptor)
    text = (tmp_path / "references.bib").read_text(encoding="utf-8")
    decoded = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    raw = bibtexparser.parse_string(text)
    assert decoded.failed_blocks == raw.failed_blocks == [] and len(raw.entries) == 3
    assert latex in {e["title"] for e in decoded.entries}
    assert escape(braces) in {e["title"] for e in raw.entries}  # braces balanced, so the entry ends where it should
    for title in (latex, braces):
        assert title in {r.get("title") for r in rispy.loads((tmp_path / "references.ris").read_text(encoding="utf-8"))}
        assert title in {i.get("title") for i in json.loads((tmp_path / "references.csl.json").read_text(encoding="utf-8"))}


def test_a_package_without_references_writes_empty_files(mini, tmp_path) -> None:
    export(["bibtex", "ris", "csljson"], tmp_path, datapackage=mini("genes").descriptor)
    assert json.loads((tmp_path / "references.csl.json").read_text(encoding="utf-8")) == []
    assert "@" not in (tmp_path / "references.bib").read_text(encoding="utf-8")
    assert Path(tmp_path / "references.ris").read_text(encoding="utf-8").strip() == ""
