"""One version everywhere: datapackage.json, the package, CITATION.cff and CHANGELOG.md agree."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

import k2data
from k2data.describe import citation_facts
from k2data.dictionary import citation_cff

ROOT = Path(__file__).resolve().parents[1]
needs_checkout = pytest.mark.skipif(
    not (ROOT / "pyproject.toml").is_file() or not (ROOT / "CHANGELOG.md").is_file(),
    reason="not running from a source checkout",
)
RELEASE = re.compile(r"^## \[(?P<version>[^\]]+)\](?: - (?P<date>\S+))?\s*$", re.MULTILINE)


def _descriptor() -> dict:
    return json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))


def _cff() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def _releases() -> list[tuple[str, str | None]]:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    return [(m["version"], m["date"]) for m in RELEASE.finditer(text)]


@needs_checkout
def test_every_version_agrees_with_the_descriptor() -> None:
    raw = _descriptor()
    version, date = raw["version"], raw["created"][:10]
    released = [(v, d) for v, d in _releases() if v.lower() != "unreleased"]
    assert released, "CHANGELOG.md has no release entry"
    newest_version, newest_date = released[0]
    assert k2data.__version__ == version
    assert str(_cff()["version"]) == version
    assert str(_cff()["date-released"]) == date
    assert newest_version == version, "add a CHANGELOG.md entry for the version in datapackage.json"
    assert newest_date == date, "the newest CHANGELOG.md entry must carry the descriptor's 'created' date"


@needs_checkout
def test_citation_cff_is_valid_cff_1_2_0() -> None:
    cff = _cff()
    assert {"cff-version", "message", "title", "authors"} <= set(cff)
    assert cff["cff-version"] == "1.2.0"
    assert cff["type"] == "dataset"
    assert re.fullmatch(r"\d{4}-(0[1-9]|1[012])-(0[1-9]|[12]\d|3[01])", str(cff["date-released"]))
    assert cff["authors"] and all(("name" in a) != ("family-names" in a) for a in cff["authors"])
    assert cff["license"] == _descriptor()["licenses"][0]["name"]
    assert cff["title"] == _descriptor()["title"]
    assert re.match(r"https?://", cff["url"])


def test_citation_text_matches_the_citation_file() -> None:
    cff = yaml.safe_load(citation_cff())
    text = k2data.citation()
    facts = citation_facts()
    assert text.startswith(f"{cff['authors'][0]['name']} ({str(cff['date-released'])[:4]}). {cff['title']}.")
    assert f"Version {cff['version']}." in text
    assert cff["license"] in text and text.endswith(cff["url"])
    assert facts["version"] == k2data.__version__


def test_citation_cff_follows_the_descriptor(pkg_copy: Path) -> None:
    raw = json.loads(pkg_copy.read_text(encoding="utf-8"))
    raw["version"] = "9.8.7"
    raw["created"] = "2031-02-03T00:00:00Z"
    raw["contributors"] = [
        {"title": "Ada Lovelace", "givenName": "Ada", "familyName": "Lovelace", "roles": ["creator"]}
    ]
    pkg_copy.write_text(json.dumps(raw), encoding="utf-8")
    cff = yaml.safe_load(citation_cff(pkg_copy))
    assert cff["version"] == "9.8.7"
    assert str(cff["date-released"]) == "2031-02-03"
    assert cff["authors"] == [{"family-names": "Lovelace", "given-names": "Ada"}]


@needs_checkout
def test_changelog_keeps_a_changelog_with_data_apart_from_code() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    releases = _releases()
    assert releases[0][0] == "Unreleased"
    for version, date in releases[1:]:
        assert re.fullmatch(r"\d+\.\d+\.\d+", version)
        assert date and re.fullmatch(r"\d{4}-\d{2}-\d{2}", date)
        body = text.split(f"## [{version}]", 1)[1].split("\n## [", 1)[0]
        assert "\n### Data\n" in body and "\n### Code\n" in body, f"{version}: list data and code changes apart"
        assert body.index("### Data") < body.index("### Code")
        assert f"[{version}]: " in text, f"{version}: add its link at the end of CHANGELOG.md"


@needs_checkout
def test_readme_quotes_the_citation_of_this_version() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## How to cite", 1)[1].split("\n## ", 1)[0]
    quoted = " ".join(line[2:].strip() for line in section.splitlines() if line.startswith("> "))
    assert quoted == k2data.citation()
