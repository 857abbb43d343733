"""The forest plot: effect estimates of the comparisons between groups, one consistent side for vitamin K."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._common import (
    MILD_COLOUR,
    MILD_TEXT,
    SIGN_COLOURS,
    UNTESTED_COLOUR,
    WARN_COLOUR,
    WARN_TEXT,
    fit,
    fit_keep_tail,
    fmt,
    require_matplotlib,
    spec,
    style,
    vocabulary,
    wrap_in,
)
from .data import forest_rows

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["forest"]

#: Columns left of the plot and right of it: (key, header, width in inches).
LEFT = [("study", "Study", 2.9), ("form", "Vitamin K form", 1.0), ("cancer", "Cancer", 1.6),
        ("comparison", "Comparison or subgroup", 2.6), ("design", "Design \u00b7 CEBM level", 1.35)]  # fmt: skip
RIGHT = [("est", "As reported (95% CI)", 1.45), ("seed", "Seed article, where the claim is questioned", 3.0)]
OTHER_FORM_SHADE = "#FFF4D6"


@dataclass
class _Layout:
    """Where everything goes, in inches and in figure fractions."""

    rows: Any
    lines: list[tuple[str, Any]] = field(default_factory=list)
    margin: float = 0.1
    gap: float = 0.12
    plot_w: float = 2.7
    row_h: float = 0.21
    top_in: float = 1.3
    bottom_in: float = 1.45
    x: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for _, group in self.rows.groupby("endpoint_rank", sort=True):
            self.lines.append(("header", group.iloc[0]["endpoint_label"]))
            self.lines += [("row", r) for r in group.to_dict("records")]
        cursor = self.margin
        for key, _, w in LEFT:
            self.x[key] = cursor
            cursor += w + self.gap
        self.plot_x = cursor
        cursor += self.plot_w
        for key, _, w in RIGHT:
            cursor += self.gap
            self.x[key] = cursor
            cursor += w
        self.width = cursor + self.margin
        self.height = self.top_in + self.bottom_in + self.row_h * max(len(self.lines), 1)
        self.widths = {key: w for key, _, w in [*LEFT, *RIGHT]}

    def fx(self, inches: float) -> float:
        return inches / self.width


def _axes(fig: Figure, lay: _Layout) -> Axes:
    from matplotlib.ticker import FixedLocator, NullLocator

    ax = fig.add_axes((lay.fx(lay.plot_x), lay.bottom_in / lay.height, lay.fx(lay.plot_w), lay.row_h * max(len(lay.lines), 1) / lay.height))
    ax.set_ylim(-len(lay.lines) + 0.5, 0.5)
    rows = lay.rows
    values = [v for v in [*rows["plotted_low"], *rows["plotted_high"], *rows["plotted"]] if v == v and v > 0]
    lo, hi = min(values, default=0.5) / 1.25, max(values, default=2.0) * 1.25
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ticks = [t for t in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100) if lo <= t <= hi]
    if len(ticks) > 7:  # keep 1 and thin the rest so the labels do not touch
        keep = set(ticks[ticks.index(1) % 2 :: 2])
        ticks = [t for t in ticks if t in keep]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels([f"{t:g}" for t in ticks])
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.axvline(1.0, color="#333333", linewidth=0.8, zorder=1)
    ax.set_xlabel("ratio, log scale: left of 1 favours vitamin K for every endpoint", labelpad=2)
    ax.annotate("\u2190 favours vitamin K", (0.5, 0), xytext=(-4, -32), textcoords="offset points", xycoords=("data", "axes fraction"),
                ha="right", va="top", fontsize=7.5, color=SIGN_COLOURS[1])  # fmt: skip
    ax.annotate("favours the comparator \u2192", (1.0, 0), xytext=(4, -32), textcoords="offset points",
                xycoords=("data", "axes fraction"), ha="left", va="top", fontsize=7.5, color=SIGN_COLOURS[-1])  # fmt: skip
    return ax


def _row(ax: Axes, lay: _Layout, y: float, r: Mapping[str, Any], shade: bool) -> None:
    from matplotlib.patches import Rectangle
    from matplotlib.transforms import blended_transform_factory

    fig = ax.figure
    tr = blended_transform_factory(fig.transFigure, ax.transData)
    x0, x_end = lay.fx(lay.margin), lay.fx(lay.width - lay.margin)
    if not r["focus"]:
        ax.add_artist(Rectangle((x0, y - 0.5), x_end - x0, 1.0, transform=tr, color=OTHER_FORM_SHADE, zorder=0, lw=0, clip_on=False))
    elif shade:
        ax.add_artist(Rectangle((x0, y - 0.5), x_end - x0, 1.0, transform=tr, color="#F2F2F2", zorder=0, lw=0, clip_on=False))
    level = f"L{r['cebm_level']}" if r["cebm_level"] is not None and r["cebm_level"] == r["cebm_level"] else "L?"
    cells = {
        "study": fit_keep_tail(r["study"], lay.widths["study"]),
        "form": fit(r["agent_form"].replace("Vitamin ", "") or "\u2013", lay.widths["form"], weight="bold" if not r["focus"] else "normal"),
        "cancer": fit(r["cancer"] or "\u2013", lay.widths["cancer"]),
        "comparison": fit(r["comparison"], lay.widths["comparison"]),
        "design": fit(f"{r['design']} \u00b7 {level}", lay.widths["design"]),
    }
    for key, value in cells.items():
        weight = "bold" if key == "form" and not r["focus"] else "normal"
        ax.text(lay.fx(lay.x[key]), y, value, transform=tr, va="center", color="#333333" if key == "comparison" else "black", fontweight=weight)
    colour = SIGN_COLOURS.get(r["direction_sign"], SIGN_COLOURS[0]) if r["tested"] else UNTESTED_COLOUR
    has_ci = r["plotted_low"] == r["plotted_low"] and r["plotted_high"] == r["plotted_high"]
    if has_ci:
        ax.plot([r["plotted_low"], r["plotted_high"]], [y, y], color=colour, linewidth=1.4, solid_capstyle="butt")
    marker = "s" if r["focus"] else "D"
    ax.plot([r["plotted"]], [y], marker=marker, markersize=5 if r["focus"] else 5.5, color=colour,
            markerfacecolor=colour if has_ci else "white", markeredgewidth=1.2, zorder=3)  # fmt: skip
    ci = f"({fmt(r['ci_low'])}\u2013{fmt(r['ci_high'])})" if r["ci_low"] == r["ci_low"] and r["ci_high"] == r["ci_high"] else "(no CI)"
    turned = " \u21c4" if r["inverted"] else ""
    ax.text(lay.fx(lay.x["est"]), y, f"{r['measure_short']} {fmt(r['estimate'])} {ci}{turned}", transform=tr, va="center")
    if r["seed_claims"]:
        weak = vocabulary(None, "claims", "verdict").category(r["seed_verdict"]).get("weak")
        vcol, tcol = (WARN_COLOUR, WARN_TEXT) if weak else (MILD_COLOUR, MILD_TEXT)
        ax.plot([lay.fx(lay.x["seed"] + 0.05)], [y], transform=tr, marker="D" if weak else "^", markersize=5, color=vcol, clip_on=False)
        text = f"{', '.join(r['seed_claims'])}: {r['seed_text']}"
        ax.text(lay.fx(lay.x["seed"] + 0.15), y, fit(text, lay.widths["seed"] - 0.15), transform=tr, va="center", color=tcol)


def _frame(fig: Figure, ax: Axes, lay: _Layout, version: str, left_out: Mapping[str, int]) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.transforms import blended_transform_factory

    tr = blended_transform_factory(fig.transFigure, ax.transData)
    x0, x_end = lay.fx(lay.margin), lay.fx(lay.width - lay.margin)
    for key, label, _ in [*LEFT, *RIGHT]:
        ax.text(lay.fx(lay.x[key]), 0.6, label, transform=tr, fontweight="bold", va="bottom", clip_on=False)
    ax.text(lay.fx(lay.plot_x + lay.plot_w / 2), 0.6, "Effect (oriented)", transform=tr, fontweight="bold", va="bottom", ha="center", clip_on=False)
    ax.add_artist(Line2D([x0, x_end], [0.5, 0.5], transform=tr, color="#333333", linewidth=0.6, clip_on=False))
    rows = lay.rows
    other = int((~rows["focus"]).sum())
    kept = "; ".join(f"{n} {label.lower()}" for label, n in sorted(left_out.items()))
    fig.text(x0, 1 - 0.22 / lay.height, f"Vitamin K and cancer: results that compare groups (k2data {version})", fontsize=11, fontweight="bold", va="top")
    lines = [
        f"{len(rows)} ratio estimates from {rows['study_id'].nunique()} studies (table outcomes): randomised and non-randomised "
        f"comparisons, subgroups, pooled estimates and cohort exposure contrasts. {other} rows concern vitamin K1 or vitamin K of "
        "an unstated form, not K2: they are shaded, with a diamond." + (f" Not shown, because they compare no groups: {kept}." if kept else ""),
        "Orientation: every ratio is drawn so that left of 1 favours vitamin K. A ratio the source gives with the comparator (or "
        "the lower intake) on top, or a ratio of a good event (such as being alive), is drawn inverted and marked \u21c4; the "
        "text on the right keeps the reported figures. CEBM level: 1 strongest, 5 weakest.",
    ]
    fig.text(x0, 1 - 0.48 / lay.height, wrap_in("\n".join(lines), lay.width - 2 * lay.margin - 0.2), va="top", color="#333333", linespacing=1.3)
    direction = vocabulary(None, "outcomes", "direction")
    handles = []
    untested_shown = False
    for value in direction.enum or ():
        cat = direction.category(value)
        if not cat.get("tested", True):
            if untested_shown:
                continue  # one entry for every figure without a test
            untested_shown = True
        colour = SIGN_COLOURS.get(cat.get("sign", 0), SIGN_COLOURS[0]) if cat.get("tested", True) else UNTESTED_COLOUR
        label = direction.label(value)
        handles.append(Line2D([], [], color=colour, marker="s", markersize=5, linewidth=1.4, label=label[:1].lower() + label[1:]))
    handles.append(Line2D([], [], color="#555555", marker="s", markerfacecolor="white", linewidth=0, label="no CI reported"))
    handles.append(Line2D([], [], color="#555555", marker="D", linewidth=0, label="not vitamin K2 (shaded row)"))
    handles.append(Line2D([], [], color=WARN_COLOUR, marker="D", linewidth=0, label="seed claim diverges or not found"))
    handles.append(Line2D([], [], color=MILD_COLOUR, marker="^", linewidth=0, label="seed claim partly verified"))
    fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(x0 - 0.004, 0.32 / lay.height), ncol=4, frameon=False,
               handlelength=1.8, columnspacing=1.4)  # fmt: skip
    fig.text(x0, 0.08 / lay.height, "Colour: what the source reports (outcomes.direction). Claim ids are rows of the claims table. "
             "Educational material, not medical advice.", va="bottom", color="#555555", fontsize=7)  # fmt: skip


def forest(*, datapackage: str | Path | None = None, tables: Mapping[str, pd.DataFrame] | None = None) -> Figure:
    """Forest plot of the results that compare groups, grouped by endpoint, with favours-vitamin-K on the left.

    One line per row of :func:`~k2data.plot.forest_rows`: the study, the form
    of vitamin K, cancer, comparison (or subgroup), design and CEBM level on
    the left; the estimate with its 95% confidence interval on a log-scale
    ratio axis, oriented so that left of 1 favours vitamin K for every
    endpoint (the reported figures on the right, ``\u21c4`` where the drawing is
    inverted). Colour is the direction the source reports; a hollow marker has
    no confidence interval. Rows about vitamin K1 or vitamin K of an unstated
    form are shaded, with a diamond. Within-arm analyses (such as responders
    against non-responders) and single-group figures are left out and counted
    in the subtitle.

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed (``pip install "k2data[plot]"``).

    Examples
    --------
    >>> import k2data.plot
    >>> fig = k2data.plot.forest()  # doctest: +SKIP
    >>> k2data.plot.save(fig, "forest.png")  # doctest: +SKIP
    """
    require_matplotlib()
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.transforms import blended_transform_factory

    rows = forest_rows(datapackage=datapackage, tables=tables)
    lay = _Layout(rows)
    with rc_context(style()):
        fig = Figure(figsize=(lay.width, lay.height))
        ax = _axes(fig, lay)
        tr = blended_transform_factory(fig.transFigure, ax.transData)
        shade = False
        for i, (kind, item) in enumerate(lay.lines):
            if kind == "header":
                ax.text(lay.fx(lay.margin), -i, item, transform=tr, fontweight="bold", va="center", fontsize=8.5)
                ax.add_artist(Line2D([lay.fx(lay.margin), lay.fx(lay.width - lay.margin)], [-i - 0.5, -i - 0.5], transform=tr,
                                     color="#BBBBBB", lw=0.4, clip_on=False))  # fmt: skip
                shade = False
                continue
            _row(ax, lay, -i, item, shade)
            shade = not shade
        _frame(fig, ax, lay, spec(datapackage).version, rows.attrs.get("left_out", {}))
    return fig
