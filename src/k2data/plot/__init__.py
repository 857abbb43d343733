"""Evidence plots: a forest plot of the effect estimates and a map of mechanisms by cancer.

matplotlib is an optional extra (``pip install "k2data[plot]"``); it is
imported only when a figure is drawn, so ``import k2data`` stays light. The
functions return a :class:`matplotlib.figure.Figure` built without pyplot
(no global state, no display needed); :func:`save` writes it as PNG or SVG.

The data behind each figure is available without matplotlib, as a DataFrame
that can be inspected or tested: :func:`forest_rows`, :func:`evidence_cells`
and :func:`mechanism_claims`.

Examples
--------
>>> import k2data.plot
>>> rows = k2data.plot.forest_rows()
>>> bool(rows["estimate"].notna().all())
True
>>> fig = k2data.plot.forest()            # doctest: +SKIP
>>> k2data.plot.save(fig, "forest.svg")   # doctest: +SKIP
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import K2DataError

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "INSTALL_HINT",
    "WEAK_VERDICTS",
    "evidence_cells",
    "evidence_map",
    "forest",
    "forest_rows",
    "mechanism_claims",
    "save",
    "study_label",
]

INSTALL_HINT = 'pip install "k2data[plot]"'
#: Verdicts that make the forest plot show the seed's figure beside a result.
SEED_VERDICTS = ("diverges", "partly_verified")
#: Verdicts that mark a mechanism as weakly supported on the evidence map.
WEAK_VERDICTS = ("diverges", "not_found")

ENDPOINT_LABELS = {
    "progression_free_survival": "Progression-free survival",
    "overall_survival": "Overall survival",
    "objective_response": "Objective response",
    "recurrence": "Recurrence",
    "recurrence_free_survival": "Recurrence-free survival",
    "disease_free_survival": "Disease-free survival",
    "hcc_incidence": "HCC incidence",
    "cancer_incidence": "Cancer incidence",
    "cancer_mortality": "Cancer mortality",
    "all_cause_mortality": "All-cause mortality",
    "adverse_events": "Adverse events",
}
DESIGN_SHORT = {
    "meta_analysis": "Meta-analysis",
    "rct": "RCT",
    "non_randomised_trial": "Non-random. trial",
    "retrospective_cohort": "Retrosp. cohort",
    "prospective_cohort": "Prosp. cohort",
    "single_arm": "Single arm",
}
MEASURE_SHORT = {"hazard_ratio": "HR", "relative_risk": "RR", "odds_ratio": "OR"}
# colour-blind-safe (Okabe-Ito) colours for the reported direction of a result
DIRECTION_STYLE = {
    "favours_vitamin_k": ("#0072B2", "favours vitamin K (significant)"),
    "no_significant_difference": ("#7F7F7F", "no significant difference"),
    "favours_comparator": ("#D55E00", "favours the comparator (significant)"),
    "not_reported": ("#B0B0B0", "significance not reported"),
}
VERDICT_COLOURS = {"diverges": "#CC3311", "partly_verified": "#EE9922", "not_found": "#AA3377", "verified": "#228833"}
VERDICT_TEXT_COLOURS = {"diverges": "#B22A0E", "partly_verified": "#8F5B00"}  # darker, for text on white
FONT = "DejaVu Sans"  # shipped with matplotlib: the same glyphs on every machine


# ---------------------------------------------------------------- data (no matplotlib)


def _tables(
    datapackage: str | Path | None, tables: Mapping[str, pd.DataFrame] | None, names: Iterable[str]
) -> dict[str, pd.DataFrame]:
    from ..load import load

    out = {}
    for name in names:
        out[name] = tables[name] if tables is not None and name in tables else load(name, datapackage=datapackage)
    return out


def _text(value: Any) -> str:
    """A cell as text: missing values (None, NaN, pd.NA) become ''."""
    if value is None:
        return ""
    try:
        if value != value:  # NaN
            return ""
    except (TypeError, ValueError):  # pd.NA raises on comparison in a boolean context
        return ""
    return str(value)


def _items(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else []


def study_label(short_name: str) -> str:
    """A compact study name: the part before the first comma if it holds a year, else the name without a final parenthesis.

    Examples
    --------
    >>> study_label("Haruna 2025, vitamin K2 with TACE for unresectable HCC")
    'Haruna 2025'
    >>> study_label("EPIC-Heidelberg, Nimptsch 2010 (all cancers)")
    'EPIC-Heidelberg, Nimptsch 2010'
    """
    head = short_name.split(",", 1)[0]
    if re.search(r"\b(19|20)\d\d\b", head):
        return head.strip()
    return re.sub(r"\s*\([^()]*\)\s*$", "", short_name).strip()


def forest_rows(
    *, datapackage: str | Path | None = None, tables: Mapping[str, pd.DataFrame] | None = None
) -> pd.DataFrame:
    """The rows of the forest plot: every result in ``outcomes`` that has an effect estimate.

    Each row is joined to its study (``trials`` or ``cohorts``) for the name,
    design and evidence level, and to the seed article's claims that point at
    it (``claims.outcome_ids``) with a verdict of ``diverges`` or
    ``partly_verified``. Rows are grouped by endpoint (in the order of the
    descriptor's vocabulary), then ordered by evidence level (strongest
    first), study, whole population before subgroups, and time point.

    Parameters
    ----------
    datapackage : str or Path, optional
        Load the tables from this ``datapackage.json`` instead of the bundled data.
    tables : mapping of str to DataFrame, optional
        Tables already loaded (any not given are loaded).

    Returns
    -------
    pandas.DataFrame
        One row per result with ``outcome_id``, ``endpoint``, ``study``,
        ``design``, ``cebm_level``, ``cancer``, ``comparison``, ``measure``,
        ``estimate``, ``ci_low``, ``ci_high``, ``direction``, ``seed_claims``
        (claim ids), ``seed_verdict`` (the worse verdict) and ``seed_text``.

    Examples
    --------
    >>> from k2data.plot import forest_rows
    >>> rows = forest_rows()
    >>> set(rows["measure"]) <= {"hazard_ratio", "relative_risk", "odds_ratio"}
    True
    """
    import pandas as pd

    t = _tables(datapackage, tables, ["outcomes", "trials", "cohorts", "study_designs", "claims"])
    outcomes = t["outcomes"]
    designs = {r.design_id: r.label for r in t["study_designs"].itertuples()}
    studies: dict[tuple[str, str], Any] = {}
    for kind, id_field in (("trials", "trial_id"), ("cohorts", "cohort_id")):
        for r in t[kind].to_dict("records"):
            studies[(id_field, str(r[id_field]))] = r

    seed: dict[str, list[Any]] = {}
    for c in t["claims"].to_dict("records"):
        if _text(c["verdict"]) in SEED_VERDICTS:
            for oid in _items(c.get("outcome_ids")):
                seed.setdefault(oid, []).append(c)

    endpoint_order = list(getattr(outcomes["endpoint"].dtype, "categories", []))
    rows = []
    for r in outcomes.to_dict("records"):
        if not _text(r["estimate"]) or not _text(r["measure"]):
            continue
        key = ("trial_id", _text(r["trial_id"])) if _text(r["trial_id"]) else ("cohort_id", _text(r["cohort_id"]))
        study = studies.get(key, {})
        design_id = _text(study.get("design_id"))
        level = study.get("cebm_level")
        subgroup = _text(r["subgroup"])
        comparison = subgroup or _text(r["contrast"])
        if _text(r["timepoint_mo"]):
            comparison = f"at {float(r['timepoint_mo']):g} mo: {comparison}"
        claims = sorted(seed.get(str(r["outcome_id"]), []), key=lambda c: str(c["claim_id"]))
        verdicts = {_text(c["verdict"]) for c in claims}
        # the seed's own figures, the diverging claims' first; else the statement of the worst claim
        worst_first = sorted(claims, key=lambda c: (SEED_VERDICTS.index(_text(c["verdict"])), str(c["claim_id"])))
        figures = [_text(c["seed_figure"]) for c in worst_first if _text(c["seed_figure"])]
        if figures:
            seed_text = "\u201c" + "; ".join(dict.fromkeys(figures)) + "\u201d"
        elif claims:
            seed_text = _text(worst_first[0]["statement"])
        else:
            seed_text = ""
        endpoint = _text(r["endpoint"])
        rows.append(
            {
                "outcome_id": str(r["outcome_id"]),
                "endpoint": endpoint,
                "endpoint_rank": endpoint_order.index(endpoint) if endpoint in endpoint_order else len(endpoint_order),
                "study_id": key[1],
                "study": study_label(_text(study.get("short_name")) or key[1]),
                "design_id": design_id,
                "design": DESIGN_SHORT.get(design_id) or designs.get(design_id, design_id),
                "cebm_level": int(level) if _text(level) else None,
                "cancer": _text(r["cancer_type_id"]).replace("_", " "),
                "subgroup": subgroup,
                "comparison": comparison,
                "timepoint_mo": float(r["timepoint_mo"]) if _text(r["timepoint_mo"]) else math.nan,
                "measure": _text(r["measure"]),
                "estimate": float(r["estimate"]),
                "ci_low": float(r["ci_low"]) if _text(r["ci_low"]) else math.nan,
                "ci_high": float(r["ci_high"]) if _text(r["ci_high"]) else math.nan,
                "direction": _text(r["direction"]),
                "seed_claims": [str(c["claim_id"]) for c in claims],
                "seed_verdict": "diverges" if "diverges" in verdicts else ("partly_verified" if verdicts else ""),
                "seed_text": seed_text,
            }
        )
    columns = [
        "outcome_id", "endpoint", "endpoint_rank", "study_id", "study", "design_id", "design", "cebm_level",
        "cancer", "subgroup", "comparison", "timepoint_mo", "measure", "estimate", "ci_low", "ci_high",
        "direction", "seed_claims", "seed_verdict", "seed_text",
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=columns)
    frame["_level"] = frame["cebm_level"].fillna(9)
    frame["_sub"] = frame["subgroup"] != ""
    frame = frame.sort_values(
        ["endpoint_rank", "_level", "study", "_sub", "timepoint_mo", "outcome_id"], na_position="first"
    )
    return frame.drop(columns=["_level", "_sub"]).reset_index(drop=True)


def mechanism_claims(
    *, datapackage: str | Path | None = None, tables: Mapping[str, pd.DataFrame] | None = None
) -> dict[str, list[str]]:
    """The seed article's claims about each mechanism: ``{mechanism_id: [claim_id, ...]}``.

    Read from the ``mechanism_ids`` list field of ``claims``.

    Examples
    --------
    >>> from k2data.plot import mechanism_claims
    >>> links = mechanism_claims()
    >>> links["p53_activation"]
    ['C03', 'C09']
    """
    t = _tables(datapackage, tables, ["claims", "mechanisms"])
    claims, mechanisms = t["claims"], t["mechanisms"]
    links: dict[str, list[str]] = {str(m): [] for m in mechanisms["mechanism_id"]}
    for c in claims.to_dict("records"):
        for m in _items(c["mechanism_ids"]):
            links.setdefault(m, []).append(str(c["claim_id"]))
    return {m: sorted(ids) for m, ids in links.items()}


def evidence_cells(
    *, datapackage: str | Path | None = None, tables: Mapping[str, pd.DataFrame] | None = None
) -> pd.DataFrame:
    """The cells of the evidence map: one row per (mechanism, cancer type) that the data links.

    Two tables link a mechanism to a cancer type:

    - a ``preclinical`` finding (its ``mechanism_ids`` and ``cancer_type_id``),
      which carries its own level: ``basis == "findings"``, ``cebm_level`` the
      strongest (lowest) level of those findings;
    - the ``mechanisms`` row itself (its ``cancer_type_ids``), whose
      ``cebm_level`` is the strongest level for the mechanism as a whole, not
      per cancer. Where no finding covers the pair, that level is shown as an
      upper bound: ``basis == "mechanism"``; where the mechanism has no level,
      ``basis == "none"`` and ``cebm_level`` is missing.

    ``analogue_only`` is true where every finding behind a cell used a
    vitamin K analogue (``agents.kind == "vitamin_k_analogue"``, such as
    menadione, vitamin K3), not a form of vitamin K.

    Examples
    --------
    >>> from k2data.plot import evidence_cells
    >>> cells = evidence_cells()
    >>> sorted(set(cells["basis"])) <= ["findings", "mechanism", "none"]
    True
    """
    import pandas as pd

    t = _tables(datapackage, tables, ["mechanisms", "preclinical", "agents"])
    kinds = {str(a["agent_id"]): _text(a["kind"]) for a in t["agents"].to_dict("records")}
    found: dict[tuple[str, str], list[Any]] = {}
    for f in t["preclinical"].to_dict("records"):
        cancer = _text(f["cancer_type_id"])
        if not cancer:
            continue
        for m in _items(f["mechanism_ids"]):
            found.setdefault((m, cancer), []).append(f)
    rows = []
    for (m, cancer), fs in found.items():
        levels = [int(f["cebm_level"]) for f in fs if _text(f["cebm_level"])]
        rows.append(
            {
                "mechanism_id": m,
                "cancer_type_id": cancer,
                "cebm_level": min(levels) if levels else None,
                "basis": "findings" if levels else "none",
                "n_findings": len(fs),
                "finding_ids": sorted(str(f["finding_id"]) for f in fs),
                "analogue_only": all(kinds.get(_text(f["agent_id"])) == "vitamin_k_analogue" for f in fs),
            }
        )
    for mech in t["mechanisms"].to_dict("records"):
        level = int(mech["cebm_level"]) if _text(mech["cebm_level"]) else None
        for cancer in _items(mech["cancer_type_ids"]):
            if (str(mech["mechanism_id"]), cancer) in found:
                continue
            rows.append(
                {
                    "mechanism_id": str(mech["mechanism_id"]),
                    "cancer_type_id": cancer,
                    "cebm_level": level,
                    "basis": "mechanism" if level is not None else "none",
                    "n_findings": 0,
                    "finding_ids": [],
                    "analogue_only": False,
                }
            )
    frame = pd.DataFrame(
        rows,
        columns=["mechanism_id", "cancer_type_id", "cebm_level", "basis", "n_findings", "finding_ids", "analogue_only"],
    )
    frame["cebm_level"] = frame["cebm_level"].astype("Int64")
    return frame.sort_values(["mechanism_id", "cancer_type_id"]).reset_index(drop=True)


# ---------------------------------------------------------------- drawing


def _require_matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError:
        msg = f"plotting needs matplotlib, which is not installed; install it with: {INSTALL_HINT}"
        raise K2DataError(msg) from None
    return matplotlib


def _style() -> Any:  # matplotlib types the keys as a Literal of every rcParam
    return {
        "font.family": FONT,
        "font.size": 8,
        "axes.titlesize": 9,
        "svg.hashsalt": "k2data",
        "svg.fonttype": "path",
        "path.simplify": False,
    }


def _version(datapackage: str | Path | None) -> str:
    from .._package import open_package

    return open_package(datapackage).version


def _fmt(x: float) -> str:
    return f"{x:.2f}" if x < 10 else f"{x:.1f}"


@lru_cache(maxsize=4096)
def _advance_pt(char: str, weight: str) -> float:
    """Advance width of *char* at 1 pt in the plots' font."""
    from matplotlib.font_manager import FontProperties, findfont, get_font

    font = get_font(findfont(FontProperties(family=FONT, weight=weight)))
    font.set_size(100, 72)  # 100 pt at 72 dpi: widths in points, scaled down below
    glyph = font.load_char(ord(char))
    return float(glyph.linearHoriAdvance) / 65536 / 100


def _text_width_in(text: str, size: float = 8, weight: str = "normal") -> float:
    """Width of *text* in inches when set in the plots' font (summed glyph advances; no renderer needed).

    Hinting makes small text up to a few percent wider on screen, so the estimate errs on the wide side.
    """
    return sum(_advance_pt(ch, weight) for ch in text) * size / 72.0 * 1.04


def _wrap_in(text: str, width_in: float, size: float = 8) -> str:
    """*text* broken into lines no wider than *width_in* inches."""
    lines: list[str] = []
    for word in text.split():
        if lines and _text_width_in(f"{lines[-1]} {word}", size) <= width_in:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return "\n".join(lines)


def _fit_keep_tail(text: str, width_in: float, size: float = 8) -> str:
    """*text* shortened in the middle, keeping what follows its last comma (a study's author and year)."""
    text = " ".join(text.split())
    if _text_width_in(text, size) <= width_in or ", " not in text:
        return _fit(text, width_in, size)
    head, tail = text.rsplit(", ", 1)
    room = width_in - _text_width_in(f"\u2026 {tail}", size)
    if room <= 0:
        return _fit(text, width_in, size)
    return f"{_fit(head, room, size).removesuffix(chr(0x2026))}\u2026 {tail}"


def _fit(text: str, width_in: float, size: float = 8, weight: str = "normal") -> str:
    """*text*, shortened with an ellipsis until it fits in *width_in* inches."""
    text = " ".join(text.split())
    if _text_width_in(text, size, weight) <= width_in:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # the longest prefix that fits with its ellipsis
        mid = (lo + hi + 1) // 2
        if _text_width_in(text[:mid].rstrip(" ,;:") + "\u2026", size, weight) <= width_in:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip(" ,;:") + "\u2026"


def forest(*, datapackage: str | Path | None = None, tables: Mapping[str, pd.DataFrame] | None = None) -> Figure:
    """Forest plot of the effect estimates of the trials and cohorts, grouped by endpoint.

    One line per result of :func:`forest_rows`: the study, cancer, comparison
    (or subgroup), design and CEBM evidence level on the left; the estimate
    with its 95% confidence interval on a log-scale ratio axis with a line at
    1; the figures as text on the right. Colour gives the direction of the
    result as the source reports it (``outcomes.direction``); a hollow marker
    means that no confidence interval was reported. Where a claim of the seed
    article that ``diverges`` or is only ``partly_verified`` points at a
    result, the last column marks it and quotes the seed's figure.

    Parameters
    ----------
    datapackage : str or Path, optional
        Plot this ``datapackage.json`` instead of the bundled data.
    tables : mapping of str to DataFrame, optional
        Tables already loaded (any not given are loaded).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    K2DataError
        If matplotlib is not installed (``pip install "k2data[plot]"``).

    Examples
    --------
    >>> import k2data.plot
    >>> fig = k2data.plot.forest()  # doctest: +SKIP
    >>> k2data.plot.save(fig, "forest.png")  # doctest: +SKIP
    """
    _require_matplotlib()
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle
    from matplotlib.ticker import FixedLocator, NullLocator
    from matplotlib.transforms import blended_transform_factory

    rows = forest_rows(datapackage=datapackage, tables=tables)
    version = _version(datapackage)

    # lay out: a header line per endpoint, then its results
    lines: list[tuple[str, Any]] = []
    for _, group in rows.groupby("endpoint_rank", sort=True):
        first = group.iloc[0]["endpoint"]
        lines.append(("header", ENDPOINT_LABELS.get(first, first.replace("_", " ").capitalize())))
        lines += [("row", r) for r in group.to_dict("records")]
    # columns, left to right, in inches: (key, header, width)
    left_cols = [("study", "Study", 2.3), ("cancer", "Cancer", 0.8), ("comparison", "Comparison or subgroup", 2.8),
                 ("design", "Design \u00b7 CEBM level", 1.3)]  # fmt: skip
    right_cols = [("est", "Estimate (95% CI)", 1.3), ("seed", "Seed article, where not verified", 3.0)]
    margin, gap, plot_w = 0.1, 0.12, 2.7
    width = margin * 2 + sum(w + gap for _, _, w in left_cols) + plot_w + sum(gap + w for _, _, w in right_cols)
    row_h, top_in, bottom_in = 0.21, 1.05, 1.1
    height = top_in + bottom_in + row_h * max(len(lines), 1)
    x_in: dict[str, float] = {}
    cursor = margin
    for key, _, w in left_cols:
        x_in[key] = cursor
        cursor += w + gap
    plot_x = cursor
    cursor += plot_w
    for key, _, w in right_cols:
        cursor += gap
        x_in[key] = cursor
        cursor += w
    widths = {key: w for key, _, w in [*left_cols, *right_cols]}
    cols = {key: x / width for key, x in x_in.items()}
    x_end = (width - margin) / width

    with rc_context(_style()):
        fig = Figure(figsize=(width, height))
        ax: Axes = fig.add_axes(
            (plot_x / width, bottom_in / height, plot_w / width, row_h * max(len(lines), 1) / height)
        )
        ax.set_ylim(-len(lines) + 0.5, 0.5)
        lo_vals = [v for v in [*rows["ci_low"], *rows["estimate"]] if v == v and v > 0]
        hi_vals = [v for v in [*rows["ci_high"], *rows["estimate"]] if v == v and v > 0]
        lo = min(lo_vals, default=0.5) / 1.25
        hi = max(hi_vals, default=2.0) * 1.25
        ax.set_xscale("log")
        ax.set_xlim(lo, hi)
        ticks = [t for t in (0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50) if lo <= t <= hi]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels([f"{t:g}" for t in ticks])
        ax.set_yticks([])
        for side in ("left", "right", "top"):
            ax.spines[side].set_visible(False)
        ax.axvline(1.0, color="#333333", linewidth=0.8, zorder=1)
        ax.set_xlabel("ratio (HR, RR or OR), log scale; 1 = no difference")

        tr = blended_transform_factory(fig.transFigure, ax.transData)
        x0 = margin / width
        head_y = 0.6
        for key, label, _ in [*left_cols, *right_cols]:
            ax.text(cols[key], head_y, label, transform=tr, fontweight="bold", va="bottom", clip_on=False)
        ax.text(
            (plot_x + plot_w / 2) / width, head_y, "Effect estimate", transform=tr, fontweight="bold", va="bottom",
            ha="center", clip_on=False,
        )  # fmt: skip
        ax.add_artist(Line2D([x0, x_end], [0.5, 0.5], transform=tr, color="#333333", linewidth=0.6, clip_on=False))

        shade = False
        for i, (kind, item) in enumerate(lines):
            y = -i
            if kind == "header":
                ax.text(x0, y, item, transform=tr, fontweight="bold", va="center", fontsize=8.5)
                ax.add_artist(
                    Line2D([x0, x_end], [y - 0.5, y - 0.5], transform=tr, color="#BBBBBB", lw=0.4, clip_on=False)
                )
                shade = False
                continue
            r = item
            if shade:
                ax.add_artist(
                    Rectangle((x0, y - 0.5), x_end - x0, 1.0, transform=tr, color="#F2F2F2", zorder=0, lw=0,
                              clip_on=False)
                )  # fmt: skip
            shade = not shade
            level = (
                f"L{r['cebm_level']}" if r["cebm_level"] is not None and r["cebm_level"] == r["cebm_level"] else "L?"
            )
            cells = {
                "study": r["study"],
                "cancer": r["cancer"] or "\u2013",
                "comparison": r["comparison"],
                "design": f"{r['design']} \u00b7 {level}",
            }
            for key, text in cells.items():
                colour = "#333333" if key == "comparison" else "black"
                fitted = _fit_keep_tail(text, widths[key]) if key == "study" else _fit(text, widths[key])
                ax.text(cols[key], y, fitted, transform=tr, va="center", color=colour)
            colour, _ = DIRECTION_STYLE.get(r["direction"], ("#7F7F7F", ""))
            has_ci = r["ci_low"] == r["ci_low"] and r["ci_high"] == r["ci_high"]
            if has_ci:
                ax.plot([r["ci_low"], r["ci_high"]], [y, y], color=colour, linewidth=1.4, solid_capstyle="butt")
            ax.plot(
                [r["estimate"]],
                [y],
                marker="s",
                markersize=5,
                color=colour,
                markerfacecolor=colour if has_ci else "white",
                markeredgewidth=1.2,
                zorder=3,
            )
            ci = f"({_fmt(r['ci_low'])}\u2013{_fmt(r['ci_high'])})" if has_ci else "(no CI)"
            est = f"{MEASURE_SHORT.get(r['measure'], r['measure'])} {_fmt(r['estimate'])} {ci}"
            ax.text(cols["est"], y, est, transform=tr, va="center")
            if r["seed_claims"]:
                vcol = VERDICT_COLOURS.get(r["seed_verdict"], "#CC3311")
                ax.plot(
                    [cols["seed"] + 0.05 / width],
                    [y],
                    transform=tr,
                    marker="D" if r["seed_verdict"] == "diverges" else "^",
                    markersize=5,
                    color=vcol,
                    clip_on=False,
                )
                text = f"{', '.join(r['seed_claims'])}: {r['seed_text']}"
                ax.text(
                    cols["seed"] + 0.15 / width, y, _fit(text, widths["seed"] - 0.15), transform=tr, va="center",
                    color=VERDICT_TEXT_COLOURS.get(r["seed_verdict"], vcol),
                )  # fmt: skip

        n_results = len(rows)
        n_studies = rows["study_id"].nunique()
        fig.text(
            x0,
            1 - 0.22 / height,
            f"Vitamin K and cancer: effect estimates in trials and cohorts (k2data {version})",
            fontsize=11,
            fontweight="bold",
            va="top",
        )
        fig.text(
            x0,
            1 - 0.48 / height,
            f"{n_results} results with an effect estimate from {n_studies} studies (table outcomes). "
            "Comparisons of vitamin K1 or total vitamin K are included as the source reports them and are named in "
            "the comparison column. CEBM level: 1 strongest, 5 weakest.",
            va="top",
            color="#333333",
        )
        handles = [
            Line2D([], [], color=c, marker="s", markersize=5, linewidth=1.4, label=lab)
            for c, lab in DIRECTION_STYLE.values()
        ]
        handles.append(
            Line2D([], [], color="#555555", marker="s", markerfacecolor="white", linewidth=0, label="no CI reported")
        )
        handles.append(
            Line2D([], [], color=VERDICT_COLOURS["diverges"], marker="D", linewidth=0, label="seed diverges")
        )
        handles.append(
            Line2D(
                [], [], color=VERDICT_COLOURS["partly_verified"], marker="^", linewidth=0, label="seed partly verified"
            )
        )
        fig.legend(
            handles=handles,
            loc="lower left",
            bbox_to_anchor=(x0 - 0.004, 0.3 / height),
            ncol=7,
            frameon=False,
            handlelength=1.8,
            columnspacing=1.4,
        )
        fig.text(
            x0,
            0.1 / height,
            "Colour: the direction the source reports (outcomes.direction). Most ratios compare risks, so below 1 "
            "favours vitamin K; a ratio of being alive favours it above 1. Claim ids are rows of the claims table. "
            "Educational material, not medical advice.",
            va="bottom",
            color="#555555",
            fontsize=7,
        )
    return fig


def evidence_map(*, datapackage: str | Path | None = None, tables: Mapping[str, pd.DataFrame] | None = None) -> Figure:
    """Map of the proposed mechanisms against the cancer types, coloured by the strongest evidence level.

    Rows are the ``mechanisms``; columns the cancer types they are linked to
    (see :func:`evidence_cells`), after an *overall* column with the level the
    mechanism row gives. A solid cell takes the strongest level of the
    preclinical findings for that mechanism and cancer; a hatched cell is a
    cancer listed by the mechanism row without such a finding, coloured with
    the mechanism's overall level, an upper bound; a grey cell has no evidence
    level. On the right, the seed article's own label for the evidence and the
    seed's claims about the mechanism whose verdict is weak (``diverges`` or
    ``not_found``, see :func:`mechanism_claims`).

    Parameters
    ----------
    datapackage : str or Path, optional
        Plot this ``datapackage.json`` instead of the bundled data.
    tables : mapping of str to DataFrame, optional
        Tables already loaded (any not given are loaded).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    K2DataError
        If matplotlib is not installed (``pip install "k2data[plot]"``).

    Examples
    --------
    >>> import k2data.plot
    >>> fig = k2data.plot.evidence_map()  # doctest: +SKIP
    >>> k2data.plot.save(fig, "evidence-map.svg")  # doctest: +SKIP
    """
    _require_matplotlib()
    from matplotlib import colormaps, rc_context
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch, Rectangle

    t = _tables(datapackage, tables, ["mechanisms", "preclinical", "agents", "claims", "cancer_types"])
    cells = evidence_cells(tables=t)
    links = mechanism_claims(tables=t)
    version = _version(datapackage)
    claims = {str(c["claim_id"]): c for c in t["claims"].to_dict("records")}
    mechs = t["mechanisms"].to_dict("records")
    mechs.sort(key=lambda m: (int(m["cebm_level"]) if _text(m["cebm_level"]) else 9, str(m["label"])))
    linked = set(cells["cancer_type_id"])
    cancers = [c for c in t["cancer_types"].to_dict("records") if c["cancer_type_id"] in linked]
    cancers += [{"cancer_type_id": c, "label": c} for c in sorted(linked - {str(x["cancer_type_id"]) for x in cancers})]
    cmap = colormaps["YlGnBu"]
    level_colour = {lvl: cmap(0.95 - 0.2 * (lvl - 1)) for lvl in range(1, 6)}
    none_colour = "#E6E6E6"

    n_rows, n_cols = len(mechs), len(cancers)
    cell_w, cell_h = 0.62, 0.42
    label_w = min(max((_text_width_in(str(m["label"]), 8.5) for m in mechs), default=1.0), 3.2)
    left_in, gap_in, right_in = label_w + 0.3, 0.25, 4.3
    top_in, bottom_in = 1.75, 1.25
    width = left_in + cell_w * (n_cols + 1) + gap_in + right_in
    height = top_in + bottom_in + cell_h * max(n_rows, 1)

    with rc_context(_style()):
        fig = Figure(figsize=(width, height))
        ax: Axes = fig.add_axes(
            (left_in / width, bottom_in / height, (cell_w * (n_cols + 1) + gap_in) / width, cell_h * n_rows / height)
        )
        grid_w = n_cols + 1 + gap_in / cell_w
        ax.set_xlim(0, grid_w)
        ax.set_ylim(n_rows, 0)
        ax.axis("off")

        def cell(x: float, y: int, level: int | None, basis: str, mark: str = "") -> None:
            face = level_colour[level] if level is not None else none_colour
            ax.add_patch(Rectangle((x + 0.04, y + 0.06), 0.92, 0.88, facecolor=face, edgecolor="none"))
            if basis == "mechanism":
                ax.add_patch(
                    Rectangle(
                        (x + 0.04, y + 0.06), 0.92, 0.88, facecolor="none", edgecolor="none", hatch="////",
                        hatchcolor="white", linewidth=0,
                    )
                )  # fmt: skip
            label = (str(level) if level is not None else "\u2013") + mark
            dark = level is not None and level <= 2
            ax.text(
                x + 0.5, y + 0.5, label, ha="center", va="center", fontsize=8.5, fontweight="bold",
                color="white" if dark else "#222222",
                bbox={"boxstyle": "round,pad=0.12", "facecolor": face, "edgecolor": "none"} if basis == "mechanism"
                else None,
            )  # fmt: skip

        by_pair: dict[tuple[Any, Any], Any] = {(r.mechanism_id, r.cancer_type_id): r for r in cells.itertuples()}
        grid_x0 = 1 + gap_in / cell_w
        for i, m in enumerate(mechs):
            mid = str(m["mechanism_id"])
            level = int(m["cebm_level"]) if _text(m["cebm_level"]) else None
            cell(0, i, level, "findings" if level is not None else "none")
            for j, c in enumerate(cancers):
                r = by_pair.get((mid, str(c["cancer_type_id"])))
                if r is None:
                    continue
                lvl = int(r.cebm_level) if _text(r.cebm_level) else None
                cell(grid_x0 + j, i, lvl, str(r.basis), "\u2020" if r.analogue_only else "")
            ax.text(-0.15, i + 0.5, _fit(str(m["label"]), label_w, 8.5), ha="right", va="center", fontsize=8.5)
            seed_label = _text(m["seed_evidence_label"])
            note = f"seed: \u201c{seed_label}\u201d" if seed_label else "seed: no level given"
            ax.text(grid_w + 0.2, i + 0.5 - 0.17, note, ha="left", va="center", color="#333333")
            weak = [cid for cid in links.get(mid, []) if _text(claims[cid]["verdict"]) in WEAK_VERDICTS]
            if weak:
                by_verdict: dict[str, list[str]] = {}
                for cid in weak:
                    by_verdict.setdefault(_text(claims[cid]["verdict"]).replace("_", " "), []).append(cid)
                verdicts = "; ".join(f"{v}: {', '.join(ids)}" for v, ids in by_verdict.items())
                ax.text(
                    grid_w + 0.2, i + 0.5 + 0.2, f"\u26a0 {verdicts}", ha="left", va="center",
                    color=VERDICT_COLOURS["diverges"], fontweight="bold",
                )  # fmt: skip
                ax.add_patch(
                    Rectangle((0.02, i + 0.04), 0.96, 0.92, facecolor="none", edgecolor=VERDICT_COLOURS["diverges"],
                              linewidth=1.6)
                )  # fmt: skip
            elif links.get(mid):
                ok = ", ".join(f"{cid} {_text(claims[cid]['verdict']).replace('_', ' ')}" for cid in links[mid])
                ax.text(grid_w + 0.2, i + 0.5 + 0.2, ok, ha="left", va="center", color="#555555")

        ax.text(0.5, -0.15, "overall", ha="center", va="bottom", fontweight="bold", rotation=0)
        for j, c in enumerate(cancers):
            ax.text(
                grid_x0 + j + 0.5, -0.15, _fit(str(c["label"]), 1.9), ha="left", va="bottom", rotation=40,
                rotation_mode="anchor",
            )  # fmt: skip
        ax.text(grid_w + 0.2, -0.15, "Seed's evidence label; seed claims", ha="left", va="bottom", fontweight="bold")

        fig.text(
            0.01, 1 - 0.2 / height, f"Vitamin K2 mechanisms by cancer type: strongest evidence found (k2data {version})",
            fontsize=11, fontweight="bold", va="top",
        )  # fmt: skip
        fig.text(
            0.01, 1 - 0.45 / height,
            "Number and colour: Oxford CEBM 2011 level (1 strongest, 5 weakest; 5 = cell or animal work only). "
            "Overall: the level the mechanisms table gives.",
            va="top", color="#333333",
        )  # fmt: skip
        handles = [Patch(facecolor=level_colour[lvl], label=f"level {lvl}") for lvl in range(1, 6)]
        handles.append(Patch(facecolor=none_colour, label="no evidence level"))
        handles.append(
            Patch(facecolor=level_colour[3], hatch="////", edgecolor="white", label="mechanism's overall level only")
        )
        handles.append(
            Patch(facecolor="white", edgecolor=VERDICT_COLOURS["diverges"], linewidth=1.6, label="weak seed verdict")
        )
        fig.legend(
            handles=handles, loc="lower left", bbox_to_anchor=(0.005, 0.3 / height), ncol=4, frameon=False,
            handlelength=1.6, columnspacing=1.2,
        )  # fmt: skip
        footnote = (
            "Solid: strongest level of the preclinical findings for that mechanism and cancer. Hatched: the cancer is "
            "listed by the mechanism row but no finding covers it; the colour is the mechanism's overall level, an "
            "upper bound. \u2020 only a vitamin K analogue (such as menadione, K3) was tested, not vitamin K. "
            "Weak verdict: a seed claim about the mechanism diverges from the sources or was not found. "
            "Educational material, not medical advice."
        )
        fig.text(0.01, 0.06 / height, _wrap_in(footnote, width - 0.4, 7), va="bottom", color="#555555", fontsize=7)
    return fig


def save(fig: Figure, path: str | Path, *, dpi: int = 150) -> Path:
    """Write *fig* to *path* as PNG or SVG, chosen by the file extension.

    The files carry no creation date, so rendering the same data twice with
    the same matplotlib gives the same file.

    Raises
    ------
    K2DataError
        If the extension is not ``.png`` or ``.svg``.

    Examples
    --------
    >>> import k2data.plot
    >>> k2data.plot.save(k2data.plot.forest(), "forest.png")  # doctest: +SKIP
    PosixPath('forest.png')
    """
    target = Path(path)
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        msg = f"{target}: cannot tell the image format from the extension; use .png or .svg"
        raise K2DataError(msg)
    _require_matplotlib()
    from matplotlib import rc_context

    metadata: dict[str, Any] = {"Software": None} if fmt == "png" else {"Date": None, "Creator": None}
    target.parent.mkdir(parents=True, exist_ok=True)
    with rc_context(_style()):
        fig.savefig(target, format=fmt, dpi=dpi, metadata=metadata, facecolor="white")
    return target
