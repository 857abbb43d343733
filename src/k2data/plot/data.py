"""The data behind each figure, as DataFrames: no matplotlib needed, so they can be inspected and tested.

Everything a figure needs to know about a vocabulary comes from the
descriptor: which comparisons are between groups (``betweenGroups``), which
way a ratio runs (the ``invert`` of ``numerator`` and of ``ratio_event``, the
latter for ratios of a good event such as being alive), which verdicts are questioned or weak, which
form of vitamin K the dataset is about (``vitamin_k_form``'s ``focus``), and
every label.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._common import items, load_tables, text, vocabulary

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["evidence_cells", "forest_rows", "mechanism_claims", "study_label"]


def study_label(short_name: str) -> str:
    """A compact study name: the part before the first comma if it holds a year, else the name without a final
    parenthesis, with a cohort's name shortened to the acronym it gives in parentheses.

    Examples
    --------
    >>> study_label("Haruna 2025, vitamin K2 with TACE for unresectable HCC")
    'Haruna 2025'
    >>> study_label("EPIC-Heidelberg, Nimptsch 2010 (all cancers)")
    'EPIC-Heidelberg, Nimptsch 2010'
    >>> study_label("Japan Collaborative Cohort (JACC), Yan 2023 (lung cancer)")
    'JACC, Yan 2023'
    """
    head = short_name.split(",", 1)[0]
    if re.search(r"\b(19|20)\d\d\b", head):
        return head.strip()
    name = re.sub(r"\s*\([^()]*\)\s*$", "", short_name).strip()
    return re.sub(r"^[^,(]*\(([A-Z][A-Za-z0-9-]{1,15})\)", r"\1", name)


def _seed(claims: pd.DataFrame, datapackage: str | Path | None) -> dict[str, list[Any]]:
    """The seed's claims that question each result (their verdict's ``questioned`` property), by outcome id."""
    verdict = vocabulary(datapackage, "claims", "verdict")
    out: dict[str, list[Any]] = {}
    for c in claims.to_dict("records"):
        if verdict.category(text(c["verdict"])).get("questioned"):
            for oid in items(c.get("outcome_ids")):
                out.setdefault(oid, []).append(c)
    return out


def _seed_text(claims: list[Any], datapackage: str | Path | None) -> tuple[str, str]:
    """The worse verdict among *claims* and the seed's figures they quote (else the statement of the worst)."""
    if not claims:
        return "", ""
    order = list(vocabulary(datapackage, "claims", "verdict").enum or ())
    worst = sorted(claims, key=lambda c: (-order.index(text(c["verdict"])), str(c["claim_id"])))
    figures = [text(c["seed_figure"]) for c in worst if text(c["seed_figure"])]
    shown = "\u201c" + "; ".join(dict.fromkeys(figures)) + "\u201d" if figures else text(worst[0]["statement"])
    return text(worst[0]["verdict"]), shown


def _orient(r: Mapping[Any, Any], datapackage: str | Path | None) -> tuple[float, float, float, bool]:
    """The estimate and CI turned so that below 1 favours vitamin K, and whether they were inverted."""
    invert = bool(vocabulary(datapackage, "outcomes", "numerator").category(text(r["numerator"])).get("invert"))
    invert ^= bool(vocabulary(datapackage, "outcomes", "ratio_event").category(text(r["ratio_event"])).get("invert"))
    est = float(r["estimate"])
    lo = float(r["ci_low"]) if text(r["ci_low"]) else math.nan
    hi = float(r["ci_high"]) if text(r["ci_high"]) else math.nan
    if invert:
        return 1 / est, (1 / hi if hi == hi and hi > 0 else math.nan), (1 / lo if lo == lo and lo > 0 else math.nan), True
    return est, lo, hi, False


def forest_rows(
    *,
    datapackage: str | Path | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
    between_groups_only: bool = True,
) -> pd.DataFrame:
    """The rows of the forest plot: every result in ``outcomes`` with a ratio estimate that compares groups.

    Only comparisons between groups are kept by default (those whose
    ``outcomes.comparison`` category is ``betweenGroups`` in the descriptor:
    randomised arms, subgroups of them, non-randomised groups, exposure
    contrasts and pooled estimates); within-arm and single-group figures are
    left out and counted in ``frame.attrs["left_out"]``. Each row is joined to
    its study, design, evidence level, cancer and agent, and to the seed's
    claims that question it. ``plotted``, ``plotted_low`` and ``plotted_high``
    are the estimate and CI turned so that values below 1 favour vitamin K
    for every endpoint (``inverted`` says when they were turned); the
    reported figures stay in ``estimate``, ``ci_low`` and ``ci_high``.

    Examples
    --------
    >>> from k2data.plot import forest_rows
    >>> rows = forest_rows()
    >>> bool((rows["plotted"] > 0).all())
    True
    """
    import pandas as pd

    t = load_tables(datapackage, tables, ["outcomes", "trials", "cohorts", "study_designs", "claims", "cancer_types", "agents"])
    comparison = vocabulary(datapackage, "outcomes", "comparison")
    endpoint = vocabulary(datapackage, "outcomes", "endpoint")
    direction = vocabulary(datapackage, "outcomes", "direction")
    measure = vocabulary(datapackage, "outcomes", "measure")
    form = vocabulary(datapackage, "agents", "vitamin_k_form")
    designs = {r["design_id"]: r for r in t["study_designs"].to_dict("records")}
    cancers = {r["cancer_type_id"]: text(r["label"]) for r in t["cancer_types"].to_dict("records")}
    agents = {r["agent_id"]: text(r["vitamin_k_form"]) for r in t["agents"].to_dict("records")}
    studies = {("trial_id", str(r["trial_id"])): r for r in t["trials"].to_dict("records")}
    studies |= {("cohort_id", str(r["cohort_id"])): r for r in t["cohorts"].to_dict("records")}
    seed = _seed(t["claims"], datapackage)
    order = list(endpoint.enum or ())
    rows: list[dict[str, Any]] = []
    left_out: dict[str, int] = {}
    for r in t["outcomes"].to_dict("records"):
        if not text(r["estimate"]) or not text(r["measure"]):
            continue
        kind = text(r["comparison"])
        if between_groups_only and not comparison.category(kind).get("betweenGroups"):
            label = comparison.label(kind)
            left_out[label] = left_out.get(label, 0) + 1
            continue
        key = ("trial_id", text(r["trial_id"])) if text(r["trial_id"]) else ("cohort_id", text(r["cohort_id"]))
        study = studies.get(key, {})
        design = designs.get(text(study.get("design_id")), {})
        claims = sorted(seed.get(str(r["outcome_id"]), []), key=lambda c: str(c["claim_id"]))
        verdict, seed_text = _seed_text(claims, datapackage)
        plotted, low, high, inverted = _orient(r, datapackage)
        what = text(r["subgroup"]) or text(r["contrast"])
        if text(r["timepoint_mo"]):
            what = f"at {float(r['timepoint_mo']):g} mo: {what}"
        agent_form = agents.get(text(r["agent_id"]), "")
        sign = direction.category(text(r["direction"])).get("sign", 0)
        rows.append({
            "outcome_id": str(r["outcome_id"]), "endpoint": text(r["endpoint"]), "endpoint_label": endpoint.label(text(r["endpoint"])),
            "endpoint_rank": order.index(text(r["endpoint"])) if text(r["endpoint"]) in order else len(order),
            "study_id": key[1], "study": study_label(text(study.get("short_name")) or key[1]),
            "design_id": text(study.get("design_id")), "design": text(design.get("short_label")) or text(design.get("label")),
            "cebm_level": int(study["cebm_level"]) if text(study.get("cebm_level")) else None,
            "cancer": cancers.get(text(r["cancer_type_id"]), ""), "comparison_kind": comparison.label(kind), "comparison": what,
            "subgroup": text(r["subgroup"]),
            "agent_form": form.label(agent_form) if agent_form else "", "focus": bool(form.category(agent_form).get("focus")),
            "timepoint_mo": float(r["timepoint_mo"]) if text(r["timepoint_mo"]) else math.nan,
            "measure": text(r["measure"]), "measure_short": "".join(w[0] for w in measure.label(text(r["measure"])).split()).upper(),
            "estimate": float(r["estimate"]), "ci_low": float(r["ci_low"]) if text(r["ci_low"]) else math.nan,
            "ci_high": float(r["ci_high"]) if text(r["ci_high"]) else math.nan,
            "plotted": plotted, "plotted_low": low, "plotted_high": high, "inverted": inverted,
            "direction": text(r["direction"]), "direction_sign": int(sign or 0),
            "tested": bool(direction.category(text(r["direction"])).get("tested", True)),
            "seed_claims": [str(c["claim_id"]) for c in claims], "seed_verdict": verdict, "seed_text": seed_text,
        })  # fmt: skip
    frame = pd.DataFrame(rows)
    if frame.empty:
        frame.attrs["left_out"] = left_out
        return frame
    frame["_level"] = frame["cebm_level"].fillna(9)
    frame["_sub"] = frame["subgroup"] != ""
    frame = frame.sort_values(["endpoint_rank", "_level", "study", "_sub", "timepoint_mo", "outcome_id"], na_position="first")
    frame = frame.drop(columns=["_level", "_sub"]).reset_index(drop=True)
    frame.attrs["left_out"] = left_out
    return frame


def mechanism_claims(
    *, datapackage: str | Path | None = None, tables: Mapping[str, pd.DataFrame] | None = None
) -> dict[str, list[str]]:
    """The seed article's claims about each mechanism: ``{mechanism_id: [claim_id, ...]}``.

    Read from the ``mechanism_ids`` list field of ``claims``.

    Examples
    --------
    >>> from k2data.plot import mechanism_claims
    >>> links = mechanism_claims()
    >>> "C09" in links["p53_activation"]
    True
    """
    t = load_tables(datapackage, tables, ["claims", "mechanisms"])
    links: dict[str, list[str]] = {str(m): [] for m in t["mechanisms"]["mechanism_id"]}
    for c in t["claims"].to_dict("records"):
        for m in items(c["mechanism_ids"]):
            links.setdefault(m, []).append(str(c["claim_id"]))
    return {m: sorted(ids) for m, ids in links.items()}


def evidence_cells(
    *, datapackage: str | Path | None = None, tables: Mapping[str, pd.DataFrame] | None = None
) -> pd.DataFrame:
    """The cells of the evidence map: one row per (mechanism, cancer type) that the data links.

    A ``preclinical`` finding (its ``mechanism_ids`` and ``cancer_type_id``)
    carries its own level: ``basis == "findings"``, ``cebm_level`` the
    strongest of those findings. A cancer listed by the ``mechanisms`` row but
    covered by no finding takes the mechanism's overall level as an upper
    bound: ``basis == "mechanism"`` (``"none"`` when the mechanism has no
    level). ``focus_untested`` is true where no finding behind the cell used
    the form of vitamin K the dataset is about (vitamin K2), only others
    (K1, K3, analogues).

    Examples
    --------
    >>> from k2data.plot import evidence_cells
    >>> cells = evidence_cells()
    >>> sorted(set(cells["basis"])) <= ["findings", "mechanism", "none"]
    True
    """
    import pandas as pd

    t = load_tables(datapackage, tables, ["mechanisms", "preclinical", "agents"])
    form = vocabulary(datapackage, "agents", "vitamin_k_form")
    focus = {str(a["agent_id"]): bool(form.category(text(a["vitamin_k_form"])).get("focus")) for a in t["agents"].to_dict("records")}
    found: dict[tuple[str, str], list[Any]] = {}
    for f in t["preclinical"].to_dict("records"):
        for m in items(f["mechanism_ids"]):
            if text(f["cancer_type_id"]):
                found.setdefault((m, text(f["cancer_type_id"])), []).append(f)
    rows = []
    for (m, cancer), fs in found.items():
        levels = [int(f["cebm_level"]) for f in fs if text(f["cebm_level"])]
        rows.append({
            "mechanism_id": m, "cancer_type_id": cancer, "cebm_level": min(levels) if levels else None,
            "basis": "findings" if levels else "none", "n_findings": len(fs),
            "finding_ids": sorted(str(f["finding_id"]) for f in fs),
            "focus_untested": not any(focus.get(text(f["agent_id"])) for f in fs),
        })  # fmt: skip
    for mech in t["mechanisms"].to_dict("records"):
        level = int(mech["cebm_level"]) if text(mech["cebm_level"]) else None
        for cancer in items(mech["cancer_type_ids"]):
            if (str(mech["mechanism_id"]), cancer) not in found:
                rows.append({
                    "mechanism_id": str(mech["mechanism_id"]), "cancer_type_id": cancer, "cebm_level": level,
                    "basis": "mechanism" if level is not None else "none", "n_findings": 0, "finding_ids": [],
                    "focus_untested": False,
                })  # fmt: skip
    columns = ["mechanism_id", "cancer_type_id", "cebm_level", "basis", "n_findings", "finding_ids", "focus_untested"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["cebm_level"] = frame["cebm_level"].astype("Int64")
    return frame.sort_values(["mechanism_id", "cancer_type_id"]).reset_index(drop=True)
