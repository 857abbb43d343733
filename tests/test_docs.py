"""Docs that run: every example in the installed package's docstrings is executed as a doctest."""

from __future__ import annotations

import doctest
import importlib
import inspect
import io
import pkgutil
import re

import pytest

import k2data

# ``python -m k2data`` runs the command line when imported, so its module is left out
MODULES = sorted(
    {"k2data"} | {m.name for m in pkgutil.walk_packages(k2data.__path__, "k2data.") if not m.name.endswith("__main__")}
)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
NUMPYDOC_EXAMPLES = re.compile(r"\n\s*Examples\n\s*-{8,}\n(?:.*\n)*?\s*>>> ", re.MULTILINE)


def _examples(name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(name)
    return [t for t in doctest.DocTestFinder().find(module, name) if t.examples]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # an example that writes a file writes it here
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report = io.StringIO()
    for test in _examples(name):
        runner.run(test, out=report.write)
    assert runner.failures == 0, report.getvalue()


def test_the_package_has_runnable_examples() -> None:
    counted = {name: sum(len(t.examples) for t in _examples(name)) for name in MODULES}
    assert sum(counted.values()) >= 40
    for name in ("k2data.load", "k2data.describe", "k2data.docgen.dictionary", "k2data.plot", "k2data.validation", "k2data._package.paths", "k2data._registry"):
        assert counted[name] > 0, name


@pytest.mark.parametrize("module", ["k2data", "k2data.plot", "k2data.docgen"])
def test_public_functions_have_numpydoc_examples(module: str) -> None:
    mod = importlib.import_module(module)
    functions = [n for n in mod.__all__ if inspect.isfunction(getattr(mod, n))]
    assert functions
    for name in functions:
        doc = inspect.getdoc(getattr(mod, name)) or ""
        assert NUMPYDOC_EXAMPLES.search("\n" + doc + "\n"), f"{module}.{name}: add an 'Examples' section with >>>"
