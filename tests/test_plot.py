"""The evidence plots: the data behind them, real images from Python and the command line, and the optional extra."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

import k2data
import k2data.plot
from k2data._package import open_package
from k2data.cli import main
from k2data.plot import evidence_cells, forest_rows, mechanism_claims

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------ the data behind the figures


PKG = open_package()
COMPARISON = PKG.table("outcomes").field("comparison")
VERDICT = PKG.table("claims").field("verdict")


def test_the_forest_shows_every_ratio_that_compares_groups_and_counts_the_rest(frames: dict) -> None:
    outcomes = frames["outcomes"]
    with_ratio = outcomes[outcomes["estimate"].notna()]
    between = with_ratio["comparison"].astype(str).map(lambda c: bool(COMPARISON.category(c).get("betweenGroups")))
    rows = forest_rows()
    assert set(rows["outcome_id"]) == set(with_ratio.loc[between, "outcome_id"])
    left_out = rows.attrs["left_out"]
    assert sum(left_out.values()) == int((~between).sum()) > 0
    assert set(left_out) <= {COMPARISON.label(v) for v in COMPARISON.enum if not COMPARISON.category(v).get("betweenGroups")}
    everything = forest_rows(between_groups_only=False)
    assert len(everything) == len(with_ratio)
    by_id = outcomes.set_index("outcome_id")
    for r in rows.itertuples():
        src = by_id.loc[r.outcome_id]
        assert r.estimate == src["estimate"] and r.measure == src["measure"]
        study = frames["trials"] if pd.notna(src["trial_id"]) else frames["cohorts"]
        key = "trial_id" if pd.notna(src["trial_id"]) else "cohort_id"
        assert r.cebm_level == study.set_index(key).loc[src[key], "cebm_level"]


def test_favouring_vitamin_k_is_always_left_of_1(frames: dict) -> None:
    """A significant result that favours vitamin K is drawn below 1, one that favours the comparator above it."""
    rows = forest_rows()
    significant = rows[rows["direction_sign"] != 0]
    assert len(significant) > 10
    for r in significant.itertuples():
        assert (r.plotted < 1) == (r.direction_sign > 0), (r.outcome_id, r.estimate, r.plotted)
    inverted = rows[rows["inverted"]]
    assert len(inverted) > 0 and (abs(inverted["plotted"] * inverted["estimate"] - 1) < 1e-9).all()


def test_vitamin_k1_and_unstated_forms_are_marked(frames: dict) -> None:
    rows = forest_rows()
    forms = frames["agents"].set_index("agent_id")["vitamin_k_form"].astype(str)
    form = PKG.table("agents").field("vitamin_k_form")
    by_id = frames["outcomes"].set_index("outcome_id")
    for r in rows.itertuples():
        expected = form.category(forms[by_id.loc[r.outcome_id, "agent_id"]]).get("focus")
        assert r.focus == bool(expected) and r.agent_form == form.label(forms[by_id.loc[r.outcome_id, "agent_id"]])
    assert (~rows["focus"]).sum() > 0 and rows["focus"].sum() > 0


def test_the_forest_shows_labels_not_codes(frames: dict) -> None:
    rows = forest_rows()
    codes = set(frames["cancer_types"]["cancer_type_id"]) | set(frames["study_designs"]["design_id"])
    assert not (set(rows["cancer"]) | set(rows["design"])) & codes
    assert set(rows["cancer"]) - {""} <= set(frames["cancer_types"]["label"])


def test_forest_groups_by_endpoint_in_vocabulary_order(frames: dict) -> None:
    rows = forest_rows()
    order = list(frames["outcomes"]["endpoint"].cat.categories)
    ranks = [order.index(e) for e in rows["endpoint"]]
    assert ranks == sorted(ranks)
    for _, group in rows.groupby("endpoint"):  # strongest evidence first within an endpoint
        levels = group["cebm_level"].fillna(9).tolist()
        assert levels == sorted(levels)


def test_forest_marks_exactly_the_results_that_questioned_claims_point_at(frames: dict) -> None:
    rows = forest_rows().set_index("outcome_id")
    expected: dict[str, set[str]] = {}
    for c in frames["claims"].itertuples():
        if VERDICT.category(str(c.verdict)).get("questioned"):
            for oid in c.outcome_ids:
                if oid in rows.index:
                    expected.setdefault(oid, set()).add(c.claim_id)
    marked = {oid: set(ids) for oid, ids in rows["seed_claims"].items() if ids}
    assert marked == expected
    for oid in expected:
        assert rows.loc[oid, "seed_verdict"] and rows.loc[oid, "seed_text"]


def test_forest_seed_text_quotes_the_seeds_figure_worst_verdict_first() -> None:
    outcomes = k2data.load("outcomes")
    target = forest_rows()["outcome_id"].iloc[0]
    claims = pd.DataFrame(
        {
            "claim_id": ["C90", "C91"],
            "verdict": ["partly_verified", "diverges"],
            "seed_figure": ["a figure", "the diverging figure"],
            "statement": ["s90", "s91"],
            "outcome_ids": [[target], [target]],
        }
    )
    assert target in set(outcomes["outcome_id"])
    row = forest_rows(tables={"claims": claims}).set_index("outcome_id").loc[target]
    assert row["seed_claims"] == ["C90", "C91"]
    assert row["seed_verdict"] == "diverges"
    assert row["seed_text"] == "\u201cthe diverging figure; a figure\u201d"


def test_figures_and_linked_data_spell_no_value_of_a_vocabulary() -> None:
    """Allowed values live in datapackage.json only: the figures and the JSON-LD exporter read them from the spec."""
    import ast

    import k2data.export.jsonld

    values = {v for t in PKG.tables for f in t.fields for v in (f.enum or ()) if len(v) > 3}
    sources = [*Path(k2data.plot.__file__).parent.glob("*.py"), Path(k2data.export.jsonld.__file__)]
    for path in sources:
        constants = {n.value for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        assert not constants & values, (path.name, sorted(constants & values))


def test_evidence_cells_take_the_strongest_level_per_mechanism_and_cancer(frames: dict) -> None:
    cells = evidence_cells().set_index(["mechanism_id", "cancer_type_id"])
    expected: dict[tuple[str, str], list[int]] = {}
    for f in frames["preclinical"].itertuples():
        for m in f.mechanism_ids:
            expected.setdefault((m, f.cancer_type_id), []).append(f.cebm_level)
    for pair, levels in expected.items():
        assert cells.loc[pair, "basis"] == "findings"
        assert cells.loc[pair, "cebm_level"] == min(levels)
    for m in frames["mechanisms"].itertuples():
        for cancer in m.cancer_type_ids:
            if (m.mechanism_id, cancer) not in expected:
                cell = cells.loc[(m.mechanism_id, cancer)]
                assert cell["basis"] == ("none" if pd.isna(m.cebm_level) else "mechanism")
                assert (pd.isna(cell["cebm_level"]) and pd.isna(m.cebm_level)) or cell["cebm_level"] == m.cebm_level
    assert len(cells) == len(expected | {(m.mechanism_id, c): [] for m in frames["mechanisms"].itertuples()
                                         for c in m.cancer_type_ids})  # fmt: skip


def test_evidence_cells_flag_where_vitamin_k2_itself_was_not_tested(frames: dict) -> None:
    form = PKG.table("agents").field("vitamin_k_form")
    forms = frames["agents"].set_index("agent_id")["vitamin_k_form"].astype(str)
    cells = evidence_cells()
    findings = frames["preclinical"].set_index("finding_id")
    for c in cells[cells["basis"] == "findings"].itertuples():
        focus = [bool(form.category(forms[findings.loc[f, "agent_id"]]).get("focus")) for f in c.finding_ids]
        assert c.focus_untested == (not any(focus))
    assert cells["focus_untested"].any()


def test_mechanism_claims_follow_the_claims_mechanism_ids(frames: dict) -> None:
    links = mechanism_claims()
    assert set(links) == set(frames["mechanisms"]["mechanism_id"])
    expected: dict[str, set[str]] = {}
    for c in frames["claims"].itertuples():
        for m in c.mechanism_ids:
            expected.setdefault(m, set()).add(c.claim_id)
    assert {m: set(ids) for m, ids in links.items() if ids} == expected
    assert "C09" in links["p53_activation"]


# ------------------------------------------------------------ real images


def _assert_real_png(path: Path) -> None:
    from PIL import Image

    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 20_000
    with Image.open(path) as im:
        im.verify()
    with Image.open(path) as im:
        width, height = im.size
        assert 600 <= width <= 4000 and 200 <= height <= 6000
        grey = im.convert("L")
        histogram = grey.histogram()
        dark = sum(histogram[:128]) / (width * height)
        assert 0.005 < dark < 0.5, "the image is blank or a solid block"
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20) or []
        assert len(colours) > 50  # text, lines, fills: not a flat picture


def _assert_real_svg(path: Path) -> None:
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    assert len(list(root.iter("{http://www.w3.org/2000/svg}path"))) > 100
    assert path.stat().st_size > 20_000


@pytest.mark.parametrize("draw", ["forest", "evidence_map"])
def test_figures_render_as_real_png_and_svg(draw: str, tmp_path: Path) -> None:
    from matplotlib.figure import Figure

    fig = getattr(k2data.plot, draw)()
    assert isinstance(fig, Figure)
    assert len(fig.axes) >= 1 and len(fig.axes[0].texts) > 10
    _assert_real_png(k2data.plot.save(fig, tmp_path / f"{draw}.png", dpi=60))
    _assert_real_svg(k2data.plot.save(fig, tmp_path / f"{draw}.svg"))


@pytest.mark.parametrize(("command", "ext"), [("forest", "svg"), ("evidence-map", "png")])
def test_plot_commands_write_the_image_named_by_out(command: str, ext: str, runner, tmp_path: Path) -> None:
    out = tmp_path / "figs" / f"{command}.{ext}"
    result = runner.invoke(main, ["plot", command, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    (_assert_real_svg if ext == "svg" else _assert_real_png)(out)
    bad = runner.invoke(main, ["plot", command, "--out", str(tmp_path / "x.jpg")])
    assert bad.exit_code == 2 and ".png or .svg" in bad.output


def test_save_refuses_an_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(k2data.K2DataError, match=r"\.png or \.svg"):
        k2data.plot.save(object(), tmp_path / "figure.pdf")  # type: ignore[arg-type]


def test_missing_matplotlib_says_how_to_install_it(monkeypatch, runner, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    with pytest.raises(k2data.K2DataError, match=r'pip install "k2data\[plot\]"'):
        k2data.plot.forest()
    result = runner.invoke(main, ["plot", "evidence-map", "--out", str(tmp_path / "m.png")])
    assert result.exit_code == 1
    assert 'pip install "k2data[plot]"' in result.output and "Traceback" not in result.output


def test_importing_k2data_and_its_plot_module_does_not_import_matplotlib() -> None:
    code = "import sys, k2data, k2data.plot; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------ the README shows them


def test_readme_shows_both_figures() -> None:
    root = Path(__file__).resolve().parents[1]
    readme = root / "README.md"
    if not readme.is_file():
        pytest.skip("not running from a source checkout")
    text = readme.read_text(encoding="utf-8")
    for name in ("forest", "evidence-map"):
        assert f"](docs/img/{name}.png)" in text
        _assert_real_png(root / "docs" / "img" / f"{name}.png")
