"""The public Python API: one surface in `k2data`, tested against the module itself, and a light import."""

from __future__ import annotations

import subprocess
import sys
import types

import k2data


def test_all_is_every_public_name_and_nothing_else() -> None:
    public = {
        name
        for name, value in vars(k2data).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType) and name not in ("annotations", "TYPE_CHECKING")
    }
    lazy = {"TABLES", "__version__"}
    assert sorted(k2data.__all__) == sorted(public | lazy)
    for name in k2data.__all__:
        assert getattr(k2data, name) is not None


def test_the_version_is_the_data_version() -> None:
    assert k2data.__version__ == k2data.info()["version"]


def test_load_all_returns_every_table() -> None:
    tables = k2data.load()
    assert list(tables) == list(k2data.TABLES)


def test_the_validation_names_are_the_ones_validate_returns() -> None:
    report = k2data.validate()
    assert isinstance(report, k2data.ValidationReport)
    assert k2data.Problem.__name__ == "Problem" and k2data.Limits().max_columns > 0


def test_import_is_light() -> None:
    code = (
        "import sys, k2data; heavy = {'pandas', 'pandera', 'frictionless', 'pyarrow', 'click', 'numpy', 'pooch', 'requests'};"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_library_code_never_sets_environment_variables() -> None:
    from pathlib import Path

    src = Path(k2data.__file__).parent
    offenders = [p for p in src.rglob("*.py") if "os.environ[" in p.read_text() or "environ.setdefault" in p.read_text()]
    assert offenders == []
