"""CONTRIBUTING.md, followed word for word in a scratch copy of the repository.

The walkthrough ("Adding a study, end to end") is read from the file: each
"Append to `data/<table>.csv`" block is appended to that file, and each command
of its ``bash`` blocks is run in order (``k2data`` in-process, ``git`` in a
scratch repository). The test then checks what the walkthrough promises: the
first validation lists only the stale hashes, the one update command brings
the hashes, ``dist/``, the checksum registry, the data dictionary and the
README tables up to date and says so, the last validation is green, and the
``git add`` line commits everything that changed.
"""

from __future__ import annotations

import csv
import io
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

import k2data
from _offline import ROOT, offline_env
from k2data._files import sha256_file as sha256_of
from k2data._package import open_package as package_spec
from k2data.cli import main

DOC = ROOT / "CONTRIBUTING.md"
SECTION = "## Adding a study, end to end"
#: The data-bearing files of the repository that the walkthrough reads or changes.
COPIED = (
    "datapackage.json",
    "data",
    "dist",
    "docs/data-dictionary.md",
    "README.md",
    "CITATION.cff",
    ".zenodo.json",
    "CHANGELOG.md",
    "src/k2data/registry",
)


@dataclass(frozen=True)
class Append:
    table: str
    header: list[str]
    lines: list[str]


@dataclass(frozen=True)
class Run:
    command: str


def _walkthrough() -> str:
    text = DOC.read_text(encoding="utf-8")
    assert SECTION in text, f"CONTRIBUTING.md: the section {SECTION!r} is gone"
    body = text.split(SECTION, 1)[1]
    return re.split(r"\n## ", body, maxsplit=1)[0]


def _steps() -> list[Append | Run]:
    """The walkthrough's steps, in the order the document gives them."""
    steps: list[Append | Run] = []
    block = re.compile(r"(?:Append to `data/(\w+)\.csv`:\s*\n\s*)?```(\w+)\n(.*?)```", re.DOTALL)
    for m in block.finditer(_walkthrough()):
        table, lang, content = m.groups()
        if table is not None:
            assert lang == "csv", f"the block after 'Append to data/{table}.csv' must be ```csv"
            header, *lines = content.rstrip("\n").split("\n")
            steps.append(Append(table, next(csv.reader([header])), lines))
        elif lang == "bash":
            for line in content.splitlines():
                if line.strip() and not line.lstrip().startswith("#"):
                    steps.append(Run(line.strip()))
    return steps


def _shown_output(after: str) -> list[str]:
    """The lines of the ```text block that follows the command line *after* in the walkthrough."""
    text = _walkthrough()
    start = text.index(f"```bash\n{after}\n```")
    m = re.compile(r"```text\n(.*?)```", re.DOTALL).search(text, start)
    assert m is not None
    return m.group(1).rstrip("\n").split("\n")


def test_the_walkthrough_appends_to_each_evidence_table_then_validates_updates_and_commits() -> None:
    steps = _steps()
    assert [s.table for s in steps if isinstance(s, Append)] == ["references", "cohorts", "outcomes", "claims"]
    assert [s.command.split()[:2] for s in steps if isinstance(s, Run)] == [
        ["k2data", "validate"],
        ["k2data", "update"],
        ["k2data", "validate"],
        ["git", "add"],
        ["git", "commit"],
    ]


def _text_blocks() -> list[str]:
    """The lines of every ```text block of the walkthrough."""
    blocks = re.findall(r"```text\n(.*?)```", _walkthrough(), flags=re.DOTALL)
    return [line for block in blocks for line in block.splitlines()]


def _header(path: Path) -> list[str]:
    with open(path, encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh))


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A git repository holding a copy of the data-bearing files of this repository, committed."""
    repo = tmp_path / "k2data"
    for name in COPIED:
        src, dest = ROOT / name, repo / name
        if not src.exists():
            pytest.skip(f"not running from a source checkout ({name} is missing)")
        dest.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "--no-gpg-sign", "-m", "before")
    return repo


@pytest.fixture
def developing(scratch: Path) -> Path:
    """*scratch* in the middle of a development cycle: if its version is released, moved on (minor) and committed.

    Right after a release, a contributor's first `k2data update` stops and names
    the next version (CONTRIBUTING.md, "After a release"); every later one
    rebuilds the version in progress, which is what the walkthrough shows.
    """
    from k2data._registry import is_released
    from k2data.update import update

    if is_released(package_spec(scratch / "datapackage.json").version, scratch):
        result = update(scratch / "datapackage.json", bump="minor")
        assert result.report.valid and result.version is not None
        _git(scratch, "add", "-A")
        _git(scratch, "commit", "-q", "--no-gpg-sign", "-m", f"start {result.version[1]}")
    return scratch


def _git(repo: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", *args], cwd=repo, env=offline_env(Path("/nonexistent")), capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def _tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): sha256_of(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def test_following_contributing_ends_with_a_valid_package_and_everything_derived_updated(
    developing: Path, runner, monkeypatch
) -> None:
    scratch = developing
    monkeypatch.chdir(scratch)
    descriptor = scratch / "datapackage.json"
    version = package_spec(descriptor).version
    counts_before = {
        t: len(_rows(scratch / "data" / f"{t}.csv")) for t in ("references", "cohorts", "outcomes", "claims")
    }
    dist_before = _tree(scratch / "dist")
    registry = scratch / "src" / "k2data" / "registry" / f"{version}.txt"
    registry_before = registry.read_text(encoding="utf-8")
    dictionary_before = (scratch / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    appended: dict[str, list[dict[str, str]]] = {}
    outputs: list[tuple[str, int, str]] = []

    for step in _steps():
        if isinstance(step, Append):
            path = scratch / "data" / f"{step.table}.csv"
            assert step.header == _header(path), (
                f"CONTRIBUTING.md: the header shown for data/{step.table}.csv is not the file's; update the example"
            )
            with open(path, "a", encoding="utf-8", newline="") as fh:
                fh.write("".join(f"{line}\n" for line in step.lines))
            appended[step.table] = list(csv.DictReader(io.StringIO("\n".join([",".join(step.header), *step.lines]))))
        elif step.command.startswith("k2data "):
            result = runner.invoke(main, shlex.split(step.command)[1:])
            assert "Traceback" not in result.output
            outputs.append((step.command, result.exit_code, result.output))
            if step.command.startswith("k2data validate") and len(outputs) == 1:
                # before `k2data update`: the rows are fine, only the hashes of the edited files are stale
                report = k2data.validate(descriptor)
                assert {p.check for p in report.problems} == {"hash"}, report.to_text()
                assert {p.file for p in report.problems} == {f"data/{t}.csv" for t in appended}
                assert result.exit_code == 1
                shown = _shown_output("k2data validate datapackage.json")
                assert shown[-1] in result.output
                assert f"datapackage.json: {len(report.problems)} problem(s) found" == shown[-1]
        elif step.command.startswith("git "):
            _git(scratch, *shlex.split(step.command)[1:])
        else:
            pytest.fail(f"CONTRIBUTING.md: the test does not know how to run {step.command!r}")

    (_first_validate, update, validate_2) = outputs
    assert update[1] == 0, update[2]
    assert validate_2[1] == 0 and "datapackage.json: valid" in validate_2[2], validate_2[2]

    # the update said what it changed, as the walkthrough shows
    for line in _shown_output("k2data update"):
        expected = re.sub(r"registry/[0-9][^/ ]*\.txt", f"registry/{version}.txt", line)
        assert expected in update[2].splitlines(), (
            f"CONTRIBUTING.md shows {expected!r}; k2data update said:\n{update[2]}"
        )

    # the hashes and sizes in datapackage.json are those of the files
    assert k2data.validate(descriptor).valid
    # every appended row is in the data and in the release files
    for table, rows in appended.items():
        key = next(iter(rows[0]))  # the first column: the primary key
        assert len(_rows(scratch / "data" / f"{table}.csv")) == counts_before[table] + len(rows)
        released = {r[key] for r in _rows(scratch / "dist" / "csv" / f"{table}.csv")}
        assert {r[key] for r in rows} <= released
    dist_after = _tree(scratch / "dist")
    changed = {n for n in dist_before.keys() | dist_after.keys() if dist_before.get(n) != dist_after.get(n)}
    expected = {f"{d}/{t}.{ext}" for t in appended for d, ext in (("csv", "csv"), ("parquet", "parquet"))}
    assert expected | {"SHA256SUMS", "croissant.json", "k2data.jsonld", "csv/datapackage.json"} <= changed
    assert registry.read_text(encoding="utf-8") != registry_before
    # the data dictionary and the README table list count the new rows
    dictionary = (scratch / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    readme = (scratch / "README.md").read_text(encoding="utf-8")
    assert dictionary != dictionary_before
    for table in appended:
        n = counts_before[table] + len(appended[table])
        assert re.search(rf"^\| \[`{table}`\]\(#{table}\) \| [^|]+ \| {n} \|", dictionary, re.MULTILINE), table
        assert re.search(
            rf"^\| \[`{table}`\]\(docs/data-dictionary\.md#{table}\) \| [^|]+ \| {n} \|", readme, re.MULTILINE
        )
    # and `git add` took in everything that changed
    assert _git(scratch, "status", "--porcelain") == ""
    assert "Add the Example 2026 cohort" in _git(scratch, "log", "-1", "--format=%s")


def test_update_on_invalid_data_refreshes_only_the_hashes_and_says_why(scratch: Path, runner, monkeypatch) -> None:
    monkeypatch.chdir(scratch)
    untouched = {p: p.read_bytes() for p in (scratch / "docs" / "data-dictionary.md", scratch / "README.md")}
    dist_before = _tree(scratch / "dist")
    with open(scratch / "data" / "genes.csv", "a", encoding="utf-8", newline="") as fh:
        fh.write("not a symbol,,Example gene,Added by hand.\n")
    result = runner.invoke(main, ["update"])
    assert result.exit_code == 1
    assert "datapackage.json: refreshed the hash and size of genes" in result.output
    rows = len(_rows(scratch / "data" / "genes.csv"))
    assert f"data/genes.csv:{rows + 1}: gene_id='not a symbol': " in result.output
    assert "not rebuilt" in result.output
    assert _tree(scratch / "dist") == dist_before
    assert {p: p.read_bytes() for p in untouched} == untouched
    # the hashes were refreshed: the only problem left is the bad row
    problems = k2data.validate(scratch / "datapackage.json").problems
    assert [(p.file, p.row, p.field) for p in problems] == [("data/genes.csv", rows + 1, "gene_id")]


def test_update_leaves_a_hand_written_dictionary_and_a_readme_without_markers_alone(
    developing: Path, runner, monkeypatch
) -> None:
    scratch = developing
    monkeypatch.chdir(scratch)
    dictionary, readme = scratch / "docs" / "data-dictionary.md", scratch / "README.md"
    dictionary.write_text("# Our own notes on the tables\n", encoding="utf-8")
    readme.write_text("# Our fork\n\nNo generated table list here.\n", encoding="utf-8")
    with open(scratch / "data" / "genes.csv", "a", encoding="utf-8", newline="") as fh:
        fh.write("EXAMPLE1,,Example gene,Added by hand.\n")
    result = runner.invoke(main, ["update"])
    assert result.exit_code == 0, result.output
    assert "dist/: rebuilt; " in result.output and "csv/genes.csv" in result.output
    assert "skipped: docs/data-dictionary.md (not generated by k2data); README.md (no tables section markers)" in (
        result.output
    )
    assert dictionary.read_text(encoding="utf-8") == "# Our own notes on the tables\n"
    assert readme.read_text(encoding="utf-8") == "# Our fork\n\nNo generated table list here.\n"


@pytest.mark.slow
def test_the_setup_steps_work_with_the_pip_a_fresh_environment_ships(tmp_path: Path) -> None:
    """CONTRIBUTING.md upgrades pip first: the pip a new venv ships may not know `--group`, the upgraded one does."""
    import venv

    from _offline import offline_env, wheelhouse

    wheels = wheelhouse()
    if not any(wheels.glob("pip-*.whl")):
        pytest.skip("the wheelhouse holds no pip wheel (.ci/run adds one)")
    text = DOC.read_text(encoding="utf-8")
    setup = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    assert setup.index("python -m pip install --upgrade pip") < setup.index('pip install -e ".[test]"')
    env_dir = tmp_path / "fresh"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = str(env_dir / "bin" / "python")
    env = offline_env(wheels)

    def knows_group() -> bool:
        out = subprocess.run([python, "-m", "pip", "install", "--help"], capture_output=True, text=True, env=env, check=True)
        return "--group" in out.stdout

    shipped = subprocess.run([python, "-m", "pip", "--version"], capture_output=True, text=True, env=env, check=True).stdout
    subprocess.run([python, "-m", "pip", "install", "-q", "--upgrade", "pip"], env=env, check=True)
    assert knows_group(), f"after the documented upgrade, pip knows --group (shipped: {shipped.strip()})"


def test_after_a_release_update_stops_and_the_bump_contributing_shows_moves_on(scratch: Path, runner, monkeypatch) -> None:
    from k2data._registry import is_released

    monkeypatch.chdir(scratch)
    spec = package_spec(scratch / "datapackage.json")
    version = spec.version
    if not is_released(version, scratch):  # release it, as a maintainer does: the CHANGELOG heading takes the date
        changelog = scratch / "CHANGELOG.md"
        text = changelog.read_text(encoding="utf-8")
        changelog.write_text(text.replace(f"## [{version}] - Unreleased", f"## [{version}] - {spec.created[:10]}", 1), encoding="utf-8")
        _git(scratch, "commit", "-q", "--no-gpg-sign", "-am", f"release {version}")
        assert is_released(version, scratch)
    registry = scratch / "src" / "k2data" / "registry" / f"{version}.txt"
    before = registry.read_bytes()
    with open(scratch / "data" / "genes.csv", "a", encoding="utf-8", newline="") as fh:
        fh.write("EXAMPLE1,,Example gene,Added by hand.\n")
    refused = runner.invoke(main, ["update"])
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    bump = next(line for line in _text_blocks() if line.startswith("k2data update --bump minor"))
    assert "has been released" in refused.output and "--bump minor" in refused.output
    moved = runner.invoke(main, shlex.split(bump.split("#")[0])[1:])
    assert moved.exit_code == 0, moved.output
    new = package_spec(scratch / "datapackage.json").version
    assert new != version and (scratch / "src" / "k2data" / "registry" / f"{new}.txt").is_file()
    assert registry.read_bytes() == before, "a released version's checksums are never rewritten"
    assert f"## [{new}] - Unreleased" in (scratch / "CHANGELOG.md").read_text(encoding="utf-8")
