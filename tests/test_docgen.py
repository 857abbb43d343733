"""k2data.docgen: the data dictionary, README table list, terminal tables, CITATION.cff and .zenodo.json."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import k2data
from k2data._package import open_package as package_spec
from k2data.cli import main
from k2data.describe import row_counts
from k2data.docgen import (
    README_END,
    README_START,
    citation_cff,
    data_dictionary,
    describe_text,
    readme_tables,
    splice,
    text_table,
    zenodo_json,
)
from k2data.docgen.dictionary import CITATION_END, CITATION_START
from k2data.errors import K2DataError

ROOT = Path(__file__).resolve().parents[1]
CHECKOUT = (ROOT / "datapackage.json").is_file() and (ROOT / "pyproject.toml").is_file()
needs_checkout = pytest.mark.skipif(not CHECKOUT, reason="not running from a source checkout")
REGENERATE = (
    "k2data dictionary datapackage.json --out docs/data-dictionary.md --readme README.md --citation CITATION.cff "
    "--zenodo .zenodo.json"
)


def _section(md: str, table: str) -> str:
    """The Markdown of one table's section of the dictionary."""
    start = md.index(f"\n## {table}\n")
    end = md.find("\n## ", start + 1)
    return md[start : end if end > 0 else None]


# ------------------------------------------------------------ committed files are up to date


@needs_checkout
def test_committed_data_dictionary_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert committed == data_dictionary(ROOT / "datapackage.json"), f"regenerate with: {REGENERATE}"


@needs_checkout
def test_readme_table_list_is_up_to_date() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    expected = splice(readme, readme_tables(ROOT / "datapackage.json"))
    assert readme == expected, f"regenerate with: {REGENERATE}"
    for name in package_spec(ROOT / "datapackage.json").table_names:
        assert f"[`{name}`](docs/data-dictionary.md#{name})" in readme


@needs_checkout
@pytest.mark.parametrize(("name", "render"), [("CITATION.cff", citation_cff), (".zenodo.json", zenodo_json)])
def test_committed_citation_files_are_generated_from_the_descriptor(name, render) -> None:
    committed = (ROOT / name).read_text(encoding="utf-8")
    assert committed == render(ROOT / "datapackage.json"), f"regenerate with: {REGENERATE}"


# ------------------------------------------------------------ the dictionary is complete


def test_dictionary_has_every_table_and_field_with_its_facts() -> None:
    pkg = package_spec()
    md = data_dictionary()
    counts = row_counts()
    for table in pkg.tables:
        section = _section(md, table.name)
        assert f"{counts[table.name]} rows" in section or f"{counts[table.name]} row;" in section or f"{counts[table.name]} row." in section
        assert f"File `{table.path}`" in section
        field_lines = [line for line in section.splitlines() if line.startswith("| `")]
        assert [re.match(r"\| `([^`]+)`", line).group(1) for line in field_lines] == table.field_names
        for f, line in zip(table.fields, field_lines, strict=True):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            type_, unit, allowed, _constraints, _link, description = cells[1:]
            assert type_ == (f"list of {f.value_type}" if f.is_list else f.type)
            assert unit == (f"`{f.unit}`" if f.unit else "")
            assert allowed == ", ".join(f"`{v}`" for v in f.enum or ())
            assert description == " ".join(f.description.split()).replace("|", "\\|")


def test_dictionary_draws_every_link_between_tables() -> None:
    md = data_dictionary()
    diagram = md.split("```mermaid", 1)[1].split("```", 1)[0]
    for table in package_spec().tables:
        for link in table.links:
            if link.target != table.name:
                assert f"  {table.name} -->|{link.field}{'*' if link.is_list else ''}| {link.target}" in diagram


def test_dictionary_row_counts_match_the_loaded_tables(frames: dict) -> None:
    md = data_dictionary()
    for name, df in frames.items():
        assert re.search(rf"\| \[`{name}`\]\(#{name}\) \| [^|]+ \| {len(df)} \|", md), name


def test_dictionary_follows_an_edited_descriptor(mini) -> None:
    pkg = mini("claims")
    pkg.edit_descriptor(lambda d: d["resources"][0]["schema"]["fields"][0].update(description="A renamed claim identifier."))
    md = data_dictionary(pkg.descriptor)
    assert "| `claim_id` |" in md and "A renamed claim identifier." in md
    assert md != data_dictionary()


def test_splice_replaces_only_between_the_markers() -> None:
    text = f"head\n{README_START}\nold\n{README_END}\ntail\n"
    assert splice(text, "new\n") == f"head\n{README_START}\nnew\n{README_END}\ntail\n"
    with pytest.raises(K2DataError, match="tables:start"):
        splice("no markers here\n", "new\n")
    with pytest.raises(K2DataError, match="tables:start"):
        splice(f"{README_END}\n{README_START}\n", "new\n")


# ------------------------------------------------------------ the command


def test_dictionary_check_fails_on_a_stale_file_and_passes_after_regeneration(runner, tmp_path: Path) -> None:
    out, readme, cff = tmp_path / "dd.md", tmp_path / "README.md", tmp_path / "CITATION.cff"
    quote = f"{CITATION_START}\n> Version 0.0.1, a stale citation\n{CITATION_END}"
    readme.write_text(f"# x\n\n{README_START}\nstale\n{README_END}\n\n{quote}\n\nend\n", encoding="utf-8")
    out.write_text("stale\n", encoding="utf-8")
    args = ["dictionary", "--out", str(out), "--readme", str(readme), "--citation", str(cff)]
    stale = runner.invoke(main, [*args, "--check"])
    assert stale.exit_code == 1
    assert "out of date" in stale.output and str(out) in stale.output and str(cff) in stale.output
    assert out.read_text(encoding="utf-8") == "stale\n"  # --check writes nothing
    written = runner.invoke(main, args)
    assert written.exit_code == 0, written.output
    assert out.read_text(encoding="utf-8") == data_dictionary(ROOT / "datapackage.json" if CHECKOUT else None)
    assert "(dd.md#claims)" in readme.read_text(encoding="utf-8")  # links point at --out, relative to the README
    spec = package_spec(ROOT / "datapackage.json" if CHECKOUT else None)
    cited = readme.read_text(encoding="utf-8").split(CITATION_START, 1)[1].split(CITATION_END, 1)[0]
    assert " ".join(line[2:] for line in cited.strip().splitlines()) == spec.citation  # the citation block is regenerated
    assert readme.read_text(encoding="utf-8").endswith(f"{CITATION_END}\n\nend\n")
    fresh = runner.invoke(main, [*args, "--check"])
    assert fresh.exit_code == 0, fresh.output


def test_dictionary_prints_markdown_and_check_needs_files(runner) -> None:
    printed = runner.invoke(main, ["dictionary"])
    assert printed.exit_code == 0
    assert printed.stdout == data_dictionary()
    assert runner.invoke(main, ["dictionary", "--check"]).exit_code == 2


# ------------------------------------------------------------ describe as a terminal table


def test_text_table_aligns_and_wraps() -> None:
    out = text_table(["name", "text"], [["a", "one two three four"], ["bb", "x\ny"]], [4, 9])
    assert out.splitlines() == [
        "name  text",
        "----  ---------",
        "a     one two",
        "      three",
        "      four",
        "bb    x",
        "      y",
    ]


def test_describe_text_is_an_aligned_table_with_every_field() -> None:
    spec = package_spec().table("outcomes")
    text = describe_text("outcomes", width=90)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 90
    header = next(i for i, line in enumerate(lines) if line.startswith("field "))
    columns = [m.start() for m in re.finditer(r"\S+", lines[header])]
    assert lines[header].split() == ["field", "type", "unit", "description"]
    starts = {line.split()[0].rstrip("*").strip() for line in lines[header + 2 :] if line and not line.startswith(" ")}
    assert set(spec.field_names) <= starts
    row = next(line for line in lines if line.startswith("estimate"))
    assert row[columns[1] :].startswith("number") and row[columns[2] :].startswith("1 ")
    assert re.search(r"allowed: hazard_ratio, relative_risk,\s+odds_ratio", text)
    assert "-> trials.trial_id" in text


def test_describe_command_prints_the_table_and_keeps_json(runner) -> None:
    result = runner.invoke(main, ["describe", "trials"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80
    assert re.search(r"^dose_min_mg_d\s+number\s+mg/d\s+Lowest daily", result.output, re.MULTILINE)
    assert "-> cancer_types.cancer_type_id" in result.output
    as_json = runner.invoke(main, ["describe", "trials", "--format", "json"])
    records = json.loads(as_json.stdout)
    assert [r["field"] for r in records] == package_spec().table("trials").field_names


def test_info_names_version_tables_with_counts_licence_and_citation(runner, frames: dict) -> None:
    facts = k2data.info()
    assert facts["version"] == package_spec().version
    assert facts["tables"] == {name: len(df) for name, df in frames.items()}
    assert facts["citation"] == k2data.citation()
    text = runner.invoke(main, ["info"]).output
    assert re.search(rf"claims\s+{len(frames['claims'])} rows", text)
    assert "cite as: " + k2data.citation() in text


# ------------------------------------------------------------ one citation everywhere


def _several_authors_and_licences(mini) -> Path:
    pkg = mini("genes")
    pkg.edit_descriptor(
        lambda d: d.update(
            version="9.8.7",
            created="2031-02-03T00:00:00Z",
            contributors=[
                {"title": "Ada Lovelace", "givenName": "Ada", "familyName": "Lovelace", "roles": ["creator"]},
                {"title": "The Curators", "roles": ["author"]},
                {"title": "Somebody Else", "roles": ["contributor"]},
            ],
            licenses=[
                {"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"},
                {"name": "ODbL-1.0", "path": "https://opendatacommons.org/licenses/odbl/1-0/"},
            ],
        )
    )
    return pkg.descriptor


def test_the_citation_is_the_same_in_every_place(mini, tmp_path) -> None:
    import yaml

    from k2data._package import open_package
    from k2data.release import export

    descriptor = _several_authors_and_licences(mini)
    pkg = open_package(descriptor)
    text = pkg.citation
    assert text.startswith("Lovelace Ada, The Curators (2031). ")
    assert "Version 9.8.7. Dataset, CC-BY-4.0, ODbL-1.0." in text and "Somebody" not in text
    export(["jsonld", "croissant"], tmp_path / "out", datapackage=descriptor)
    jsonld = json.loads((tmp_path / "out" / "k2data.jsonld").read_text(encoding="utf-8"))
    croissant = json.loads((tmp_path / "out" / "croissant.json").read_text(encoding="utf-8"))
    assert jsonld["@graph"][0]["creditText"] == text == croissant["citeAs"]
    cff = yaml.safe_load(citation_cff(descriptor))
    assert cff["authors"] == [{"family-names": "Lovelace", "given-names": "Ada"}, {"name": "The Curators"}]
    assert cff["license"] == ["CC-BY-4.0", "ODbL-1.0"] and cff["version"] == "9.8.7"
    assert str(cff["date-released"]) == "2031-02-03"
    zenodo = json.loads(zenodo_json(descriptor))
    assert [c["name"] for c in zenodo["creators"]] == ["Lovelace, Ada", "The Curators"]
    assert zenodo["version"] == "9.8.7" and zenodo["upload_type"] == "dataset"


def test_the_bundled_citation_matches_citation_cff() -> None:
    import yaml

    cff = yaml.safe_load(citation_cff())
    text = k2data.citation()
    assert text.startswith(f"{cff['authors'][0]['name']} ({str(cff['date-released'])[:4]}). {cff['title']}.")
    assert f"Version {cff['version']}." in text and cff["license"] in text and text.endswith(cff["url"])
