"""Build the wheel, install it into a fresh virtual environment and use it from outside the checkout."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory) -> tuple[Path, Path]:
    if not (ROOT / "pyproject.toml").is_file():
        pytest.skip("not running from a source checkout")
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp / "dist"), str(ROOT)],
        check=True,
    )
    (wheel,) = (tmp / "dist").glob("k2data-*.whl")
    env = tmp / "venv"
    venv.EnvBuilder(with_pip=False).create(env)
    python = env / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True, check=True).stdout.strip())
    # --target installs into the new environment only; --prefix would first uninstall the running one's k2data
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--ignore-installed", "--target", str(site), str(wheel)],
        check=True,
    )
    # the dependencies (pandas, frictionless, ...) come from the test environment, after the wheel's own files
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "zz_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n", encoding="utf-8")
    return python, wheel


def run(python: Path, code: str, cwd: Path) -> str:
    out = subprocess.run([str(python), "-I", "-c", code], capture_output=True, text=True, cwd=cwd)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.slow
def test_wheel_carries_the_data(wheel_env) -> None:
    import zipfile

    _, wheel = wheel_env
    names = zipfile.ZipFile(wheel).namelist()
    assert "k2data/_data/datapackage.json" in names
    assert "k2data/py.typed" in names
    assert any(n.startswith("k2data/_data/data/") and n.endswith("claims.csv") for n in names)


@pytest.mark.slow
def test_installed_wheel_loads_offline_from_outside_the_checkout(wheel_env, tmp_path) -> None:
    python, _ = wheel_env
    code = (
        "import k2data, pathlib\n"
        "assert 'venv' in pathlib.Path(k2data.__file__).parts, k2data.__file__\n"
        "tables = k2data.load()\n"
        "assert set(tables) == set(k2data.TABLES)\n"
        "assert all(len(df) for df in tables.values())\n"
        "print(len(tables), k2data.__version__, k2data.validate().valid)\n"
    )
    out = run(python, code, tmp_path)
    n, _version, valid = out.split()
    assert int(n) >= 7 and valid == "True"


@pytest.mark.slow
def test_installed_cli_validates(wheel_env, tmp_path) -> None:
    python, _ = wheel_env
    out = subprocess.run([str(python), "-I", "-m", "k2data", "validate"], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr


@pytest.mark.slow
def test_an_installed_wheel_acts_on_the_checkout_it_stands_in(wheel_env, tmp_path) -> None:
    """A non-editable install, an edit in a checkout: validate and build see the edit, and say which package they use."""
    import shutil

    python, _ = wheel_env
    checkout = tmp_path / "checkout"
    shutil.copytree(ROOT / "data", checkout / "data")
    shutil.copy2(ROOT / "datapackage.json", checkout / "datapackage.json")
    rows = (checkout / "data" / "genes.csv").read_text(encoding="utf-8").splitlines()
    rows[1] = rows[1].replace(rows[1].split(",")[0], "not a gene symbol", 1)
    (checkout / "data" / "genes.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    work = checkout / "data"  # a folder below the descriptor: found the way git finds its repository
    out = subprocess.run([str(python), "-I", "-m", "k2data", "validate"], capture_output=True, text=True, cwd=work)
    assert out.returncode == 1, out.stdout
    assert out.stderr.splitlines()[0] == f"k2data: using {checkout / 'datapackage.json'}"
    assert "data/genes.csv:2: gene_id='not a gene symbol'" in out.stdout
    build = subprocess.run([str(python), "-I", "-m", "k2data", "build"], capture_output=True, text=True, cwd=work)
    assert build.returncode == 1 and "not valid" in build.stderr
    assert not (checkout / "dist").exists() and not (work / "dist").exists()
    (checkout / "data" / "genes.csv").write_text((ROOT / "data" / "genes.csv").read_text(encoding="utf-8"), encoding="utf-8")
    build = subprocess.run([str(python), "-I", "-m", "k2data", "build"], capture_output=True, text=True, cwd=work)
    assert build.returncode == 0, build.stderr
    assert (checkout / "dist" / "SHA256SUMS").is_file() and not (work / "dist").exists()
