"""One home and one version, stated once in datapackage.json and found the same everywhere else.

Spans the repository: the descriptor, the package, README.md, CITATION.cff, .zenodo.json, CHANGELOG.md,
pyproject.toml, action.yml, the pre-commit hooks and the workflows.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

import k2data
from k2data._package import open_package

ROOT = Path(__file__).resolve().parents[1]
needs_checkout = pytest.mark.skipif(
    not (ROOT / "pyproject.toml").is_file() or not (ROOT / ".git").exists(), reason="not running from a source checkout"
)
RELEASE = re.compile(r"^## \[(?P<version>[^\]]+)\](?: - (?P<date>\S+))?\s*$", re.MULTILINE)
PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s+(?P<action>[^@\s]+)@(?P<ref>\S+)(?P<comment>\s+#.*)?$", re.MULTILINE)


def _descriptor() -> dict:
    return json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)


def _tracked() -> list[Path]:
    out = _git("ls-files")
    out.check_returncode()
    return [ROOT / line for line in out.stdout.splitlines() if line and not line.startswith("dist/")]


@needs_checkout
def test_no_file_names_the_account_of_another_party() -> None:
    needle = "github.com/" + "k2data/"  # spelled in two parts so that this file does not name it
    offenders = []
    for path in _tracked():
        if path.suffix in (".png", ".parquet") or not path.is_file():
            continue
        if needle in path.read_text(encoding="utf-8", errors="replace"):
            offenders.append(path.relative_to(ROOT).as_posix())
    assert offenders == []


@needs_checkout
def test_every_address_derives_from_the_one_homepage() -> None:
    home = _descriptor()["homepage"]
    assert home == open_package(ROOT / "datapackage.json").homepage
    owner_repo = home.removeprefix("https://github.com/")
    addresses = set()
    for path in _tracked():
        if path.suffix in (".png", ".parquet", ".csv") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        addresses |= set(re.findall(r"github\.com/([\w.-]+/k2data)\b", text))
        addresses |= {m.group("action") for m in PINNED.finditer(text) if m.group("action").endswith("/k2data")}
    assert addresses == {owner_repo}
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'Homepage = "{home}"' in pyproject
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["url"] == home == cff["repository-code"]
    assert open_package().release_url == home + "/releases/download/v{version}/"


@needs_checkout
def test_the_docs_pin_the_action_and_the_hook_to_a_commit_with_the_tag_in_a_comment() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    uses = [m for m in PINNED.finditer(readme)]
    assert uses, "the README shows a workflow"
    for m in uses:
        assert re.fullmatch(r"[0-9a-f]{40}", m.group("ref")), m.group(0)
        assert m.group("comment") and re.search(r"v\d+\.\d+\.\d+", m.group("comment")), m.group(0)
    revs = re.findall(r"^\s+rev:\s+(\S+)(\s+#.*)?$", readme, re.MULTILINE)
    assert revs and all(re.fullmatch(r"[0-9a-f]{40}", rev) and re.search(r"v\d+\.\d+\.\d+", comment) for rev, comment in revs)
    assert "a tag can be moved" in readme


OWN_PIN = re.compile(r"(?:k2data@|rev:\s+)(?P<sha>[0-9a-f]{40})\s+#\s*v(?P<version>\d+\.\d+\.\d+)")


@needs_checkout
def test_the_hook_and_action_examples_pin_the_commit_of_the_newest_release() -> None:
    """Each pin of k2data's own hook or action is a commit of this repository at which that version was released.

    A version's release is its tag's commit, or else the commit whose CHANGELOG.md first dated it (the project's
    rule: a dated heading is a release). The pin is the newest dated release; at the commit that dates the current
    version, the release before it may still be pinned. 0.1.0 is never pinned: it predates SECURITY.md's promises.
    """
    if _git("rev-parse", "--is-shallow-repository").stdout.strip() != "false":
        pytest.skip("a shallow clone does not hold the released commits")
    pins = {
        (name, m["sha"], m["version"])
        for name in ("README.md", "action.yml", ".pre-commit-hooks.yaml")
        for m in OWN_PIN.finditer((ROOT / name).read_text(encoding="utf-8"))
    }
    assert {name for name, _, _ in pins} == {"README.md", "action.yml", ".pre-commit-hooks.yaml"}, pins
    assert len({(sha, version) for _, sha, version in pins}) == 1, f"every example pins the same release: {pins}"
    _, sha, version = pins.pop()
    dated = [m["version"] for m in RELEASE.finditer((ROOT / "CHANGELOG.md").read_text(encoding="utf-8")) if _dated(m)]
    allowed = dated[:2] if dated and dated[0] == _descriptor()["version"] else dated[:1]
    assert version in allowed and version != "0.1.0", f"the examples pin v{version}; {_how_to_pin(allowed[0])}"
    shown = _git("show", f"{sha}:datapackage.json")
    assert shown.returncode == 0, f"{sha} is not a commit of this repository: {shown.stderr.strip()}"
    assert json.loads(shown.stdout)["version"] == version, f"at {sha} the descriptor is not version {version}"
    tag = _git("rev-parse", "-q", "--verify", f"refs/tags/v{version}^{{commit}}").stdout.strip()
    dating = _git("log", "--reverse", "--format=%H", "-G", _dating(version), "--", "CHANGELOG.md").stdout.split()
    assert tag or dating, f"no commit dates {version} in CHANGELOG.md: commit the release before pinning it"
    release = tag or dating[0]
    assert sha == release, f"the examples pin {sha}, which is not the release of {version}; {_how_to_pin(version)}"


def _dated(heading: re.Match[str]) -> bool:
    return bool(heading["date"]) and heading["date"][0].isdigit()


def _dating(version: str) -> str:
    """A regular expression (git's basic flavour) for the CHANGELOG.md heading that dates *version*."""
    return r"^## \[" + re.escape(version) + r"\] - [0-9]"


def _how_to_pin(version: str) -> str:
    return (
        f"pin the commit of v{version}, the one that dated it in CHANGELOG.md "
        f"(git log --reverse --format=%H -G'{_dating(version)}' -- CHANGELOG.md | head -1), "
        "in README.md, action.yml and .pre-commit-hooks.yaml"
    )


@needs_checkout
def test_every_workflow_pins_its_actions_and_asks_for_the_least_permissions() -> None:
    for path in [*(ROOT / ".github" / "workflows").glob("*.yml"), ROOT / "action.yml"]:
        text = path.read_text(encoding="utf-8")
        for m in PINNED.finditer(text):
            if m.group("action").startswith("./"):
                continue
            assert re.fullmatch(r"[0-9a-f]{40}", m.group("ref")), (path.name, m.group(0))
            assert m.group("comment"), (path.name, m.group(0))
        doc = yaml.safe_load(text)
        if path.name == "action.yml":
            continue
        assert doc.get("permissions") in ({}, {"contents": "read"}), path.name
        for job in doc["jobs"].values():
            for step in job.get("steps", []):
                if "actions/checkout" in str(step.get("uses", "")):
                    assert step["with"]["persist-credentials"] is False, path.name


@needs_checkout
def test_the_release_workflow_checks_publishes_and_uses_no_stored_token() -> None:
    doc = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8"))
    assert doc[True]["push"]["tags"] == ["v*"]  # YAML reads the key `on` as True
    jobs = doc["jobs"]
    build = "\n".join(str(s.get("run", "")) for s in jobs["build"]["steps"])
    assert "k2data build" in build and "diff -r dist" in build and 'v$version' in build and "python -m build" in build
    assert jobs["github-release"]["permissions"] == {"contents": "write"}
    assert jobs["pypi"]["permissions"] == {"id-token": "write"} and jobs["pypi"]["environment"] == "pypi"
    publish = jobs["pypi"]["steps"][-1]
    assert publish["uses"].startswith("pypa/gh-action-pypi-publish@") and "password" not in publish.get("with", {})
    assert "secrets." not in (ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")


@needs_checkout
def test_every_version_agrees_with_the_descriptor() -> None:
    raw = _descriptor()
    version, date = raw["version"], raw["created"][:10]
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    releases = [(m["version"], m["date"]) for m in RELEASE.finditer(text)]
    assert releases and releases[0][0] == version, "add a CHANGELOG.md entry for the version in datapackage.json"
    assert releases[0][1] in (date, "Unreleased"), "a released version's entry carries the descriptor's 'created' date"
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert k2data.__version__ == version == str(cff["version"])
    assert str(cff["date-released"]) == date
    assert json.loads((ROOT / ".zenodo.json").read_text(encoding="utf-8"))["version"] == version


@needs_checkout
def test_the_changelog_keeps_data_apart_from_code() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    for m in RELEASE.finditer(text):
        version = m["version"]
        assert re.fullmatch(r"\d+\.\d+\.\d+", version)
        assert m["date"] == "Unreleased" or re.fullmatch(r"\d{4}-\d{2}-\d{2}", m["date"] or "")
        body = text.split(f"## [{version}]", 1)[1].split("\n## [", 1)[0]
        assert "\n### Data\n" in body and "\n### Code\n" in body, f"{version}: list data and code changes apart"
        assert body.index("### Data") < body.index("### Code")
        assert f"[{version}]: " in text, f"{version}: add its link at the end of CHANGELOG.md"


@needs_checkout
def test_the_readme_quotes_the_citation_of_this_version() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## How to cite", 1)[1].split("\n## ", 1)[0]
    quoted = " ".join(line[2:].strip() for line in section.splitlines() if line.startswith("> "))
    assert quoted == k2data.citation()


@needs_checkout
def test_the_readme_names_the_seed_article_and_opens_with_a_generated_summary() -> None:
    from k2data.docgen.dictionary import SUMMARY_END, SUMMARY_START, summary

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "Vitamin K2: Anticancer Research &" in readme and "blog post" in readme[:1000]
    block = readme.split(SUMMARY_START, 1)[1].split(SUMMARY_END, 1)[0].strip()
    assert block == summary(ROOT / "datapackage.json").strip()
    assert readme.index(SUMMARY_START) < readme.index("## Quick start")
    assert "(docs/methods.md)" in block and (ROOT / "docs" / "methods.md").is_file()
