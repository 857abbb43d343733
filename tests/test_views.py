"""k2data.views: one definition per view, the SQL view and the pandas frame equal row for row."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

import k2data
from k2data._package import open_package
from k2data.export import is_missing
from k2data.views import EVIDENCE, VIEWS, view_frame

PKG = open_package()


def _python(value: Any) -> Any:
    if isinstance(value, list):
        return ";".join(value) if value else None
    if is_missing(value):
        return None
    return value.item() if hasattr(value, "item") else value


@pytest.mark.parametrize("name", list(VIEWS))
def test_the_sql_view_and_the_frame_are_equal(release, name) -> None:
    view = VIEWS[name]
    con = sqlite3.connect(f"file:{release / 'k2data.sqlite'}?mode=ro", uri=True)
    cursor = con.execute(f'SELECT * FROM "{name}"')
    columns = [d[0] for d in cursor.description]
    sql_rows = cursor.fetchall()
    con.close()
    frame = view_frame(view, PKG, {t: k2data.load(t) for t in set(view.tables.values())})
    assert columns == list(frame.columns) == [c.name for c in view.columns]
    py_rows = [tuple(_python(v) for v in row) for row in frame.itertuples(index=False)]
    assert len(sql_rows) == len(py_rows) == len(k2data.load(view.base))
    assert sql_rows == py_rows


def test_evidence_joins_every_result_to_its_study_design_level_agent_and_cancer() -> None:
    ev = k2data.evidence()
    outcomes = k2data.load("outcomes")
    assert sorted(ev["outcome_id"]) == sorted(outcomes["outcome_id"])
    assert ev["study_id"].notna().all() and ev["study"].notna().all()
    assert ev["design"].notna().all() and ev["evidence_level"].notna().all()
    trials = k2data.load("trials").set_index("trial_id")
    row = ev[ev["study_type"] == "trial"].iloc[0]
    assert row["study"] == trials.at[row["study_id"], "short_name"]
    assert row["design_id"] == trials.at[row["study_id"], "design_id"]
    cohort = ev[ev["study_type"] == "cohort"].iloc[0]
    assert cohort["study"] == k2data.load("cohorts").set_index("cohort_id").at[cohort["study_id"], "short_name"]
    assert str(ev["cebm_level"].dtype) == "Int64" and str(ev["endpoint"].dtype) == "category"
    assert all(isinstance(v, list) and v for v in ev["reference_ids"])


def test_a_result_without_its_own_cancer_takes_the_trials() -> None:
    ev = k2data.evidence().set_index("outcome_id")
    outcomes = k2data.load("outcomes").set_index("outcome_id")
    trials = k2data.load("trials").set_index("trial_id")
    for o, row in outcomes.iterrows():
        own = row["cancer_type_id"]
        expected = trials.at[row["trial_id"], "cancer_type_id"] if is_missing(own) and not is_missing(row["trial_id"]) else own
        assert _python(ev.at[o, "cancer_type_id"]) == _python(expected), o


def test_evidence_of_another_package_and_one_without_the_tables(mini, pkg_copy) -> None:
    assert len(k2data.evidence(datapackage=pkg_copy)) == len(k2data.load("outcomes"))
    with pytest.raises(k2data.UnknownTableError, match="outcomes"):
        k2data.evidence(datapackage=mini("genes").descriptor)


def test_every_view_reads_only_fields_the_package_has() -> None:
    for view in VIEWS.values():
        assert view.available(PKG), view.name
    assert EVIDENCE.tables["o"] == "outcomes"
