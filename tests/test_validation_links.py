"""k2data.validation.links: foreign keys and list references, checked across tables without cascades."""

from __future__ import annotations


def test_a_dangling_foreign_key_names_the_table_it_points_at(mini) -> None:
    pkg = mini("trials", "cancer_types", rows=None)
    row = pkg.first_row("trials", "cancer_type_id")
    pkg.set("trials", row, "cancer_type_id", "liver")
    (problem,) = pkg.validate().problems
    assert (problem.file, problem.row, problem.field, problem.value) == ("data/trials.csv", row, "cancer_type_id", "liver")
    assert problem.message == "'liver' is not in cancer_types.cancer_type_id"


def test_a_dangling_item_of_a_list_names_the_item(mini) -> None:
    pkg = mini("claims", "references", rows=None)
    pkg.set("claims", 2, "reference_ids", "seed_article;nobody2020")
    (problem,) = pkg.validate().problems
    assert problem.field == "reference_ids" and problem.value == "seed_article;nobody2020"
    assert problem.message == "'nobody2020' is not in references.reference_id"


def test_a_broken_target_table_does_not_cascade(mini) -> None:
    pkg = mini("claims", "references", rows=None)
    pkg.write_bytes("references", b"")
    report = pkg.validate()
    assert [p.check for p in report.problems] == ["empty-file"]


def test_integer_keys_are_compared_as_written(mini) -> None:
    from conftest import write_rows

    pkg = mini("study_designs", "evidence_levels", rows=None)
    write_rows(pkg.path("evidence_levels"), [r for r in pkg.rows("evidence_levels") if r[0] != "4"])
    pkg.rehash()
    rows = [n for n, r in enumerate(pkg.rows("study_designs")[1:], start=2) if r[pkg.rows("study_designs")[0].index("cebm_level")] == "4"]
    report = pkg.validate()
    assert rows and [p.row for p in report.problems] == rows
    assert all(p.message == "'4' is not in evidence_levels.level" for p in report.problems)
