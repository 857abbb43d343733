"""k2data and frictionless find the same structural problems, at the same file, row and field.

The corpus plants the defects both validators check (types, required values,
vocabularies, patterns, minimum and maximum, duplicate primary keys, foreign
keys, extra and missing cells, blank rows, missing, extra and reordered
header columns) in a copy of two bundled tables, and compares the set of
(file, row, field) each reports. frictionless names some things differently;
:func:`frictionless_places` translates, and each translation is a documented
difference:

1. A row with too many or too few cells: k2data reports the row once (no
   field; its message gives the count), frictionless each extra or missing
   cell by position, and it also checks the constraints of a cell that is
   not there (a missing required cell is a second problem). k2data does not
   read the cells of such a row.
2. A blank row: both report it; frictionless also reports its empty primary
   key on the same row.
3. A duplicate primary key or a foreign key: frictionless reports a row
   (with the key's fields listed); k2data names the key's field. When the
   key is one field declared unique, frictionless reports it twice (the key,
   and the unique field), k2data once.
4. The header: k2data compares the header with the schema by name, reports
   each missing or extra column by its name (and a column out of order at
   the first place it differs), and checks no row of a table whose header
   is wrong. frictionless compares by position: a column missing or added
   in the middle shifts every later column, each reported as an incorrect
   label, and then it reads every row against the shifted schema. Where the
   defect is at the end of the header the two agree exactly; elsewhere the
   tests below show what each reports.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import pytest

from conftest import Mini, write_rows
from k2data._package import open_package

TRIALS = "data/trials.csv"
DESIGNS = "data/study_designs.csv"
Place = tuple[str, int | None, str | None]


def k2data_places(pkg: Mini) -> set[Place]:
    return {(p.file, p.row, p.field) for p in pkg.validate(max_problems=None).problems}


def frictionless_places(pkg: Mini) -> set[Place]:
    """What frictionless reports, as (file, row, field), translated as the module docstring says."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from frictionless import validate

        report = validate(str(pkg.descriptor))
    spec = open_package(pkg.descriptor)
    places: set[Place] = set()
    for task in report.tasks:
        errors = [e.to_descriptor() for e in task.errors]
        absent = {(e["rowNumber"], e["fieldName"]) for e in errors if e["type"] == "missing-cell"}
        blank = {e["rowNumber"] for e in errors if e["type"] == "blank-row"}
        for e in errors:
            kind, row, field = e["type"], e.get("rowNumber"), e.get("fieldName")
            if kind.endswith("-label"):  # (4) the header row, named by the column written there (or missing)
                row, field = 1, e.get("label") or field
            elif kind in ("extra-cell", "missing-cell"):  # (1)
                field = None
            elif (row, field) in absent:  # (1) a constraint of a cell that is not there
                continue
            elif kind == "primary-key":  # (2), (3)
                if row in blank:
                    continue
                field = ",".join(spec.table(task.name).primary_key)
            elif kind == "foreign-key":  # (3)
                field = ",".join(e["fieldNames"])
            places.add((task.place, row, field))
    return places


def rewrite(pkg: Mini, table: str, change: Callable[[list[list[str]]], list[list[str]]]) -> None:
    write_rows(pkg.path(table), change(pkg.rows(table)))
    pkg.rehash()


def _swap(a: str, b: str) -> Callable[[list[list[str]]], list[list[str]]]:
    """Swap columns *a* and *b* of every row (the header included)."""

    def change(rows: list[list[str]]) -> list[list[str]]:
        i, j = rows[0].index(a), rows[0].index(b)
        out = [list(r) for r in rows]
        for r in out:
            r[i], r[j] = r[j], r[i]
        return out

    return change


def _set(table: str, row: int, field: str, value: str) -> Callable[[Mini], None]:
    return lambda pkg: pkg.set(table, row, field, value)


def _duplicate_key(pkg: Mini) -> None:
    pkg.set("trials", 9, "trial_id", pkg.get("trials", 2, "trial_id"))


def _extra_cell(pkg: Mini) -> None:
    rewrite(pkg, "trials", lambda rows: [*rows[:3], [*rows[3], "surplus"], *rows[4:]])


def _missing_cell(pkg: Mini) -> None:
    rewrite(pkg, "trials", lambda rows: [*rows[:4], rows[4][:-1], *rows[5:]])


def _blank_row(pkg: Mini) -> None:
    rewrite(pkg, "trials", lambda rows: [*rows[:5], [""] * len(rows[0]), *rows[5:]])


def _several(pkg: Mini) -> None:
    for table, row, field, value in [
        ("trials", 3, "n_total", "many"),
        ("trials", 5, "randomized", "yes"),
        ("trials", 6, "dose_min_mg_d", "lots"),
        ("trials", 7, "blinding", "sometimes"),
        ("trials", 8, "design_id", "no_such_design"),
        ("trials", 10, "population", ""),
        ("study_designs", 4, "cebm_level", "0"),
        ("study_designs", 5, "mesh_id", "D12"),
    ]:
        pkg.set(table, row, field, value, rehash=False)
    pkg.rehash()


CORPUS: dict[str, tuple[Callable[[Mini], None], set[Place]]] = {
    "integer type": (_set("trials", 3, "n_total", "many"), {(TRIALS, 3, "n_total")}),
    "number type": (_set("trials", 4, "dose_max_mg_d", "a lot"), {(TRIALS, 4, "dose_max_mg_d")}),
    "boolean type": (_set("trials", 5, "randomized", "yes"), {(TRIALS, 5, "randomized")}),
    "required": (_set("trials", 4, "short_name", ""), {(TRIALS, 4, "short_name")}),
    "enum": (_set("trials", 5, "blinding", "sometimes"), {(TRIALS, 5, "blinding")}),
    "pattern": (_set("trials", 6, "trial_id", "Bad_Id"), {(TRIALS, 6, "trial_id")}),
    "minimum": (_set("trials", 7, "n_total", "-5"), {(TRIALS, 7, "n_total")}),
    "maximum": (_set("trials", 3, "cebm_level", "9"), {(TRIALS, 3, "cebm_level")}),
    "duplicate primary key": (_duplicate_key, {(TRIALS, 9, "trial_id")}),
    "foreign key": (_set("trials", 8, "design_id", "no_such_design"), {(TRIALS, 8, "design_id")}),
    "extra cell": (_extra_cell, {(TRIALS, 4, None)}),
    "missing cell": (_missing_cell, {(TRIALS, 5, None)}),
    "blank row": (_blank_row, {(TRIALS, 6, None)}),
    "header: last column missing": (lambda pkg: rewrite(pkg, "trials", lambda rows: [r[:-1] for r in rows]), {(TRIALS, 1, "reference_ids")}),
    "header: a column added at the end": (
        lambda pkg: rewrite(pkg, "trials", lambda rows: [[*rows[0], "added"], *([*r, "x"] for r in rows[1:])]),
        {(TRIALS, 1, "added")},
    ),
    "several tables and rows": (
        _several,
        {
            (TRIALS, 3, "n_total"), (TRIALS, 5, "randomized"), (TRIALS, 6, "dose_min_mg_d"), (TRIALS, 7, "blinding"),
            (TRIALS, 8, "design_id"), (TRIALS, 10, "population"), (DESIGNS, 4, "cebm_level"), (DESIGNS, 5, "mesh_id"),
        },
    ),
}  # fmt: skip


@pytest.fixture
def pkg(mini) -> Mini:
    return mini("study_designs", "trials", rows=None)


def test_the_untouched_tables_are_valid_for_both(pkg: Mini) -> None:
    assert k2data_places(pkg) == frictionless_places(pkg) == set()


@pytest.mark.parametrize("case", list(CORPUS))
def test_both_report_the_same_places(pkg: Mini, case: str) -> None:
    plant, expected = CORPUS[case]
    plant(pkg)
    assert frictionless_places(pkg) == expected
    assert k2data_places(pkg) == expected


def test_a_column_missing_from_the_middle_of_the_header(pkg: Mini) -> None:
    # (4) k2data: the column, by name, and no row; frictionless: every later position, then every row, shifted
    rewrite(pkg, "trials", lambda rows: [[c for j, c in enumerate(r) if j != 5] for r in rows])
    assert k2data_places(pkg) == {(TRIALS, 1, "blinding")}
    theirs = frictionless_places(pkg)
    assert (TRIALS, 1, "reference_ids") in theirs  # the last field has no column at its position
    assert {row for _, row, _ in theirs} > {1}


def test_a_column_added_in_the_middle_of_the_header(pkg: Mini) -> None:
    rewrite(pkg, "trials", lambda rows: [[*r[:3], "added" if n == 0 else "x", *r[3:]] for n, r in enumerate(rows)])
    assert k2data_places(pkg) == {(TRIALS, 1, "added")}
    theirs = frictionless_places(pkg)
    assert (TRIALS, 1, "reference_ids") in theirs  # frictionless: the column in the last place is the extra one
    assert (TRIALS, 1, "added") in theirs  # ... and the added one is where cebm_level was expected
    assert {row for _, row, _ in theirs} > {1}


def test_columns_out_of_order(pkg: Mini) -> None:
    # (4) k2data: the first column out of place; frictionless: both places, then the rows read with the columns swapped
    rewrite(pkg, "trials", _swap("short_name", "design_id"))
    assert k2data_places(pkg) == {(TRIALS, 1, "design_id")}
    theirs = frictionless_places(pkg)
    assert {p for p in theirs if p[1] == 1} == {(TRIALS, 1, "design_id"), (TRIALS, 1, "short_name")}
    assert {field for _, row, field in theirs if row != 1} == {"design_id"}  # the short names are not study designs
