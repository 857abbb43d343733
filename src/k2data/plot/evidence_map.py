"""The evidence map: mechanisms by cancer type, coloured by the strongest evidence level found."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._common import (
    WARN_COLOUR,
    fit,
    load_tables,
    require_matplotlib,
    spec,
    style,
    text,
    text_width_in,
    vocabulary,
    wrap_in,
)
from .data import evidence_cells, mechanism_claims

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["evidence_map"]


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
    require_matplotlib()
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    t = load_tables(datapackage, tables, ["mechanisms", "preclinical", "agents", "claims", "cancer_types"])
    m = _Map(t, datapackage)
    with rc_context(style()):
        fig = Figure(figsize=(m.width, m.height))
        ax: Axes = fig.add_axes((m.left_in / m.width, m.bottom_in / m.height, m.grid_in / m.width, m.cell_h * m.n_rows / m.height))
        ax.set_xlim(0, m.grid_w)
        ax.set_ylim(m.n_rows, 0)
        ax.axis("off")
        for i, mech in enumerate(m.mechs):
            m.row(ax, i, mech)
        m.headers(ax)
        m.frame(fig, spec(datapackage).version)
    return fig


class _Map:
    """The layout and drawing of the evidence map."""

    cell_w, cell_h, gap_in, right_in, top_in, bottom_in = 0.62, 0.42, 0.25, 4.3, 1.75, 1.25
    none_colour = "#E6E6E6"

    def __init__(self, t: Mapping[str, pd.DataFrame], datapackage: str | Path | None) -> None:
        from matplotlib import colormaps

        self.cells = evidence_cells(datapackage=datapackage, tables=t)
        self.links = mechanism_claims(datapackage=datapackage, tables=t)
        self.claims = {str(c["claim_id"]): c for c in t["claims"].to_dict("records")}
        self.verdict = vocabulary(datapackage, "claims", "verdict")
        self.mechs = sorted(t["mechanisms"].to_dict("records"), key=lambda m: (int(m["cebm_level"]) if text(m["cebm_level"]) else 9, str(m["label"])))
        linked = set(self.cells["cancer_type_id"])
        cancers = [c for c in t["cancer_types"].to_dict("records") if c["cancer_type_id"] in linked]
        self.cancers = cancers + [{"cancer_type_id": c, "label": c} for c in sorted(linked - {str(x["cancer_type_id"]) for x in cancers})]
        cmap = colormaps["YlGnBu"]
        self.level_colour = {lvl: cmap(0.95 - 0.2 * (lvl - 1)) for lvl in range(1, 6)}
        self.n_rows, self.n_cols = len(self.mechs), len(self.cancers)
        self.label_w = min(max((text_width_in(str(m["label"]), 8.5) for m in self.mechs), default=1.0), 3.2)
        self.left_in = self.label_w + 0.3
        self.grid_in = self.cell_w * (self.n_cols + 1) + self.gap_in
        self.width = self.left_in + self.grid_in + self.right_in
        self.height = self.top_in + self.bottom_in + self.cell_h * max(self.n_rows, 1)
        self.grid_w = self.n_cols + 1 + self.gap_in / self.cell_w
        self.grid_x0 = 1 + self.gap_in / self.cell_w
        self.by_pair = {(r.mechanism_id, r.cancer_type_id): r for r in self.cells.itertuples()}

    def cell(self, ax: Axes, x: float, y: int, level: int | None, basis: str, mark: str = "") -> None:
        from matplotlib.patches import Rectangle

        face = self.level_colour[level] if level is not None else self.none_colour
        ax.add_patch(Rectangle((x + 0.04, y + 0.06), 0.92, 0.88, facecolor=face, edgecolor="none"))
        if basis == "mechanism":
            ax.add_patch(Rectangle((x + 0.04, y + 0.06), 0.92, 0.88, facecolor="none", edgecolor="none", hatch="////",
                                   hatchcolor="white", linewidth=0))  # fmt: skip
        label = (str(level) if level is not None else "\u2013") + mark
        dark = level is not None and level <= 2
        box = {"boxstyle": "round,pad=0.12", "facecolor": face, "edgecolor": "none"} if basis == "mechanism" else None
        ax.text(x + 0.5, y + 0.5, label, ha="center", va="center", fontsize=8.5, fontweight="bold",
                color="white" if dark else "#222222", bbox=box)  # fmt: skip

    def row(self, ax: Axes, i: int, m: Mapping[Any, Any]) -> None:
        from matplotlib.patches import Rectangle

        mid = str(m["mechanism_id"])
        level = int(m["cebm_level"]) if text(m["cebm_level"]) else None
        self.cell(ax, 0, i, level, "findings" if level is not None else "none")
        for j, c in enumerate(self.cancers):
            r = self.by_pair.get((mid, str(c["cancer_type_id"])))
            if r is not None:
                lvl = int(str(r.cebm_level)) if text(r.cebm_level) else None
                self.cell(ax, self.grid_x0 + j, i, lvl, str(r.basis), "\u2020" if r.focus_untested else "")
        ax.text(-0.15, i + 0.5, fit(str(m["label"]), self.label_w, 8.5), ha="right", va="center", fontsize=8.5)
        seed_label = text(m["seed_evidence_label"])
        note = f"seed: \u201c{seed_label}\u201d" if seed_label else "seed: no level given"
        ax.text(self.grid_w + 0.2, i + 0.5 - 0.17, note, ha="left", va="center", color="#333333")
        verdict_of = {cid: text(self.claims[cid]["verdict"]) for cid in self.links.get(mid, [])}
        weak = [cid for cid, v in verdict_of.items() if self.verdict.category(v).get("weak")]
        if weak:
            by_verdict: dict[str, list[str]] = {}
            for cid in weak:
                by_verdict.setdefault(self.verdict.label(verdict_of[cid]).lower(), []).append(cid)
            shown = "; ".join(f"{v}: {', '.join(ids)}" for v, ids in by_verdict.items())
            ax.text(self.grid_w + 0.2, i + 0.7, f"\u26a0 {shown}", ha="left", va="center", color=WARN_COLOUR, fontweight="bold")
            ax.add_patch(Rectangle((0.02, i + 0.04), 0.96, 0.92, facecolor="none", edgecolor=WARN_COLOUR, linewidth=1.6))
        elif verdict_of:
            ok = ", ".join(f"{cid} {self.verdict.label(v).lower()}" for cid, v in verdict_of.items())
            ax.text(self.grid_w + 0.2, i + 0.7, ok, ha="left", va="center", color="#555555")

    def headers(self, ax: Axes) -> None:
        ax.text(0.5, -0.15, "overall", ha="center", va="bottom", fontweight="bold", rotation=0)
        for j, c in enumerate(self.cancers):
            ax.text(self.grid_x0 + j + 0.5, -0.15, fit(str(c["label"]), 1.9), ha="left", va="bottom", rotation=40,
                    rotation_mode="anchor")  # fmt: skip
        ax.text(self.grid_w + 0.2, -0.15, "Seed's evidence label; seed claims", ha="left", va="bottom", fontweight="bold")

    def frame(self, fig: Figure, version: str) -> None:
        from matplotlib.patches import Patch

        h = self.height
        fig.text(0.01, 1 - 0.2 / h, f"Vitamin K2 mechanisms by cancer type: strongest evidence found (k2data {version})",
                 fontsize=11, fontweight="bold", va="top")  # fmt: skip
        fig.text(0.01, 1 - 0.45 / h, "Number and colour: Oxford CEBM 2011 level (1 strongest, 5 weakest; 5 = cell or animal "
                 "work only). Overall: the level the mechanisms table gives.", va="top", color="#333333")  # fmt: skip
        handles = [Patch(facecolor=self.level_colour[lvl], label=f"level {lvl}") for lvl in range(1, 6)]
        handles.append(Patch(facecolor=self.none_colour, label="no evidence level"))
        handles.append(Patch(facecolor=self.level_colour[3], hatch="////", edgecolor="white", label="mechanism's overall level only"))
        handles.append(Patch(facecolor="white", edgecolor=WARN_COLOUR, linewidth=1.6, label="weak seed verdict"))
        fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.005, 0.3 / h), ncol=4, frameon=False,
                   handlelength=1.6, columnspacing=1.2)  # fmt: skip
        footnote = (
            "Solid: strongest level of the preclinical findings for that mechanism and cancer. Hatched: the cancer is "
            "listed by the mechanism row but no finding covers it; the colour is the mechanism's overall level, an "
            "upper bound. \u2020 no finding behind the cell used vitamin K2 itself, only K1, K3 (menadione) or an "
            "analogue. Weak verdict: a seed claim about the mechanism diverges from the sources or was not found. "
            "Educational material, not medical advice."
        )
        fig.text(0.01, 0.06 / h, wrap_in(footnote, self.width - 0.4, 7), va="bottom", color="#555555", fontsize=7)
