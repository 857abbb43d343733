"""The GitHub Action (action.yml) and this repository's workflow.

Actions cannot run here, so this tests what can be: the YAML, its documented
inputs and pinned actions, and the action's shell `run:` steps themselves,
executed as a runner would (``bash --noprofile --norc -eo pipefail``) with
every ``${{ ... }}`` expression substituted, against a clean and a broken
package. The install step installs the project into a fresh virtual
environment from the local wheelhouse, without the network.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from _offline import ROOT, copy_project, has_wheelhouse, offline_env, wheelhouse
from conftest import read_rows, write_rows
from k2data.update import update_hashes

ACTION = ROOT / "action.yml"
WORKFLOW = ROOT / ".github" / "workflows" / "validate.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
VENV = "k2data-action-venv"


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _steps() -> list[dict]:
    return _yaml(ACTION)["runs"]["steps"]


def _step(name: str) -> dict:
    (step,) = [s for s in _steps() if s.get("name") == name]
    return step


# ---------------------------------------------------------------------------------------------------------------------
# the metadata


def test_action_is_composite_and_every_input_is_documented() -> None:
    action = _yaml(ACTION)
    assert action["runs"]["using"] == "composite"
    assert action["name"] and action["description"]
    inputs = action["inputs"]
    assert {"path", "version"} <= set(inputs)
    for name, spec in inputs.items():
        assert len(str(spec.get("description", "")).split()) >= 5, f"input {name}: describe it"
        assert spec.get("required") is False and "default" in spec, f"input {name}: optional, with a default"
    assert inputs["path"]["default"] == "."
    assert inputs["version"]["default"] == "", "default: the action's own checkout"
    used = set(re.findall(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", ACTION.read_text(encoding="utf-8")))
    assert used == set(inputs), "every input is used, and only declared inputs are"


def test_run_steps_are_bash_and_take_inputs_through_the_environment() -> None:
    runs = [s for s in _steps() if "run" in s]
    assert [s["name"] for s in runs] == ["Install k2data", "Validate"]
    for step in runs:
        assert step["shell"] == "bash"
        # an expression inside a script would be pasted into the code before bash parses it (script injection)
        assert "${{" not in step["run"], step["name"]


def _uses(path: Path) -> list[tuple[str, str]]:
    """``(action, comment)`` of every ``uses:`` line of a YAML file."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\s*(?:-\s+)?uses:\s*(\S+)\s*(#.*)?$", line)
        if m:
            found.append((m.group(1), m.group(2) or ""))
    return found


@pytest.mark.parametrize("path", [ACTION, WORKFLOW], ids=["action.yml", "validate.yml"])
def test_third_party_actions_are_pinned_by_commit_sha(path: Path) -> None:
    uses = _uses(path)
    assert uses
    for action, comment in uses:
        if action.startswith("./"):
            continue
        assert PINNED.match(action), f"{path.name}: pin {action} to a full commit SHA"
        assert re.match(r"#\s*v\d+\.\d+\.\d+", comment), f"{path.name}: say which release {action} is, in a comment"


def test_workflow_runs_the_action_of_this_checkout_with_least_privilege() -> None:
    wf = _yaml(WORKFLOW)
    triggers = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "pull_request" in triggers
    assert wf["permissions"] == {"contents": "read"}
    (job,) = wf["jobs"].values()
    assert "permissions" not in job or job["permissions"] == {"contents": "read"}
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["persist-credentials"] is False
    assert any(s.get("uses") == "./" for s in job["steps"])


def test_readme_shows_a_workflow_that_uses_this_action() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", readme, re.DOTALL)]
    workflows = [b for b in blocks if isinstance(b, dict) and "jobs" in b]
    assert workflows, "README.md: add the example workflow"
    steps = [s for wf in workflows for job in wf["jobs"].values() for s in job["steps"]]
    ours = [s for s in steps if str(s.get("uses", "")).startswith("k2-evidence/k2data@")]
    assert ours, "the example workflow uses k2-evidence/k2data@..."
    assert set(ours[0].get("with", {})) <= set(_yaml(ACTION)["inputs"])
    for wf in workflows:
        assert wf["permissions"] == {"contents": "read"}


# ---------------------------------------------------------------------------------------------------------------------
# the run: steps, executed


def _substitute(text: str, context: dict[str, str]) -> str:
    def value(m: re.Match[str]) -> str:
        assert m.group(1) in context, f"the test does not know the expression {m.group(0)}; add it to the context"
        return context[m.group(1)]

    return EXPRESSION.sub(value, text)


def _context(temp: Path, action_path: Path, python: str, **inputs: str) -> dict[str, str]:
    spec = _yaml(ACTION)["inputs"]
    unknown = set(inputs) - {k.replace("-", "_") for k in spec}
    assert not unknown, unknown
    context = {f"inputs.{k}": inputs.get(k.replace("-", "_"), str(v.get("default", ""))) for k, v in spec.items()}
    context |= {
        "runner.temp": str(temp),
        "github.action_path": str(action_path),
        "steps.python.outputs.python-path": python,
    }
    return context


def _run_step(name: str, context: dict[str, str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run one `run:` step of the action as a runner does, in *cwd* (the workspace)."""
    step = _step(name)
    script = cwd.parent / f"{name.replace(' ', '-')}.sh"
    script.write_text(_substitute(step["run"], context), encoding="utf-8")
    step_env = {k: _substitute(str(v), context) for k, v in step.get("env", {}).items()}
    full_env = {**env, **step_env, "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(cwd)}
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
    )


FAKE_PYTHON = """#!/usr/bin/env bash
# stands in for python: records how it was called; `-m venv DIR` makes DIR/bin/python a copy of itself
echo "$*" >> "$K2DATA_TEST_LOG"
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then mkdir -p "$3/bin" && cp "$0" "$3/bin/python"; fi
"""


@pytest.mark.parametrize(
    ("version", "requirement"),
    [
        ("", "{action_path}"),
        ("0.1.0", "k2data==0.1.0"),
        ("k2data>=0.1,<0.2", "k2data>=0.1,<0.2"),
        ("git+https://github.com/k2-evidence/k2data@v0.1.0", "git+https://github.com/k2-evidence/k2data@v0.1.0"),
    ],
    ids=["default-own-checkout", "version-number", "specifier", "url"],
)
def test_install_step_installs_the_version_asked_for(tmp_path, version, requirement) -> None:
    fake = tmp_path / "fake-python"
    fake.write_text(FAKE_PYTHON, encoding="utf-8")
    fake.chmod(0o755)
    log = tmp_path / "calls.log"
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    action_path = tmp_path / "action"
    context = _context(tmp_path / "temp", action_path, str(fake), version=version)
    out = _run_step("Install k2data", context, workspace, offline_env(tmp_path, K2DATA_TEST_LOG=str(log)))
    assert out.returncode == 0, out.stderr
    calls = log.read_text(encoding="utf-8").splitlines()
    assert calls[0] == f"-m venv {tmp_path / 'temp' / VENV}"
    expected = requirement.format(action_path=action_path)
    assert calls[1] == f"-m pip install --quiet --disable-pip-version-check {expected}"
    assert calls[2] == "-m k2data --version"


@dataclass
class Installed:
    """``runner.temp`` holding the action's virtual environment, and how it got there."""

    temp: Path
    install: subprocess.CompletedProcess[str] | None  # None: linked to the test environment, no wheelhouse


def _linked_venv(venv: Path) -> None:
    """A virtual environment that imports k2data and its dependencies from the running test environment."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True)
    ours = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    lines = "".join(f"import site; site.addsitedir({p!r})\n" for p in ours)
    (Path(site.stdout.strip()) / "zz_k2data_tests.pth").write_text(lines, encoding="utf-8")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    """The install step run for real with the default version (the action's own checkout), offline.

    Without a wheelhouse on a developer's machine, a linked environment stands
    in, so that the validate step is still tested (the install test skips).
    """
    temp = tmp_path_factory.mktemp("runner-temp")
    if not has_wheelhouse() and not os.environ.get("CI"):
        _linked_venv(temp / VENV)
        return Installed(temp, None)
    action_path = copy_project(tmp_path_factory.mktemp("action") / "k2data")
    workspace = tmp_path_factory.mktemp("workspace")
    context = _context(temp, action_path, sys.executable)
    out = _run_step("Install k2data", context, workspace, offline_env(wheelhouse()))
    assert out.returncode == 0, out.stdout + out.stderr
    return Installed(temp, out)


@pytest.mark.slow
def test_install_step_installs_the_actions_own_checkout(installed) -> None:
    if installed.install is None:
        wheelhouse()  # skips, saying how to build it
    assert installed.install is not None
    assert "Installing k2data from: " in installed.install.stdout
    version = (ROOT / "datapackage.json").read_text(encoding="utf-8").split('"version": "', 1)[1].split('"', 1)[0]
    assert f"k2data, version {version}" in installed.install.stdout
    assert (installed.temp / VENV / "bin" / "k2data").is_file()


def _package(folder: Path, bundled: Path, *defects: tuple[str, int, str, str]) -> Path:
    """Copy the bundled package into *folder*, set ``(table, file row, field, value)`` cells, refresh the hashes."""
    folder.mkdir(parents=True)
    shutil.copy2(bundled, folder / "datapackage.json")
    shutil.copytree(bundled.parent / "data", folder / "data")
    for table, row, field, value in defects:
        path = folder / "data" / f"{table}.csv"
        rows = read_rows(path)
        rows[row - 1][rows[0].index(field)] = value
        write_rows(path, rows)
    update_hashes(folder / "datapackage.json")
    return folder


def _validate(installed: Installed, workspace: Path, **inputs: str) -> subprocess.CompletedProcess[str]:
    context = _context(installed.temp, ROOT, sys.executable, **inputs)
    return _run_step("Validate", context, workspace, offline_env(Path("/nonexistent")))


def _annotations(out: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in out.stdout.splitlines() if line.startswith("::")]


def test_validate_step_passes_a_clean_package(installed, tmp_path, bundled) -> None:
    workspace = _package(tmp_path / "workspace", bundled)
    out = _validate(installed, workspace)
    assert out.returncode == 0, out.stdout + out.stderr
    assert _annotations(out) == []
    assert "datapackage.json: valid" in out.stdout


BROKEN = (("claims", 3, "verdict", "maybe"), ("trials", 4, "cebm_level", "9"))


def test_validate_step_annotates_each_problem_on_its_line(installed, tmp_path, bundled) -> None:
    workspace = tmp_path / "workspace"
    _package(workspace / "datasets" / "k2", bundled, *BROKEN)
    _package(workspace / "datasets" / "clean", bundled)
    out = _validate(installed, workspace, path="datasets/k2\n  datasets/clean  \n")
    assert out.returncode == 1, out.stdout + out.stderr
    notes = _annotations(out)
    assert len(notes) == 2, notes
    assert notes[0].startswith(
        "::error file=datasets/k2/data/claims.csv,line=3,title=k2data validate%3A verdict::verdict='maybe': "
    )
    assert notes[1].startswith("::error file=datasets/k2/data/trials.csv,line=4,title=k2data validate%3A cebm_level::")
    assert "1 of 2 package(s) valid; invalid: datasets/k2/datapackage.json" in out.stdout


def test_validate_step_lists_at_most_max_problems(installed, tmp_path, bundled) -> None:
    workspace = _package(tmp_path / "workspace", bundled, *BROKEN)
    out = _validate(installed, workspace, max_problems="1")
    assert out.returncode == 1, out.stdout + out.stderr
    assert [n.split(",")[0] for n in _annotations(out)] == ["::error file=data/claims.csv"]
    assert "datapackage.json: 2 problem(s) found (1 not listed" in out.stdout


# ---------------------------------------------------------------------------------------------------------------------
# `k2data validate` on the layouts of other repositories


@pytest.mark.parametrize("given", ["datasets/k2", "datasets/k2/", "datasets/k2/datapackage.json", "./datasets/k2"])
def test_package_in_a_subfolder_is_annotated_from_the_repository_root(tmp_path, bundled, runner, monkeypatch, given):
    from k2data.cli import main

    _package(tmp_path / "datasets" / "k2", bundled, BROKEN[0])
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["validate", "--format", "github", given])
    assert result.exit_code == 1
    notes = [line for line in result.output.splitlines() if line.startswith("::")]
    assert [n.split(",title=")[0] for n in notes] == ["::error file=datasets/k2/data/claims.csv,line=3"]


def test_a_folder_without_a_descriptor_is_invalid_and_says_so(tmp_path, bundled, runner, monkeypatch) -> None:
    from k2data.cli import main

    _package(tmp_path / "datasets" / "k2", bundled)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["validate", ".", "datasets/k2"])
    assert result.exit_code == 1
    assert "datapackage.json: no such file" in result.output
    assert "1 of 2 package(s) valid; invalid: datapackage.json" in result.output
