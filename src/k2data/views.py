"""Ready-joined views: each defined once, as data, and derived both as SQL and as a pandas DataFrame.

A :class:`View` names a base table, the tables joined to it (left joins on a
key, in order) and its columns, each an expression over the tables joined so
far: a field (:class:`Ref`), the first of several fields that is set
(:class:`Coalesce`), or a label saying which of several fields is set
(:class:`Which`). From that one definition, :func:`view_sql` writes the
``CREATE VIEW`` of the SQLite release file and :func:`view_frame` computes the
same rows from the typed tables, so :func:`k2data.evidence` and the SQL view
``evidence`` cannot drift apart (a test compares them).

List fields (such as ``reference_ids``) are the delimited text in SQL, as in
the main tables of the SQLite file, and Python lists in pandas, as
:func:`k2data.load` gives them. Rows come in the base table's primary-key
order. Standard library only until a frame is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from ._package import FieldSpec, PackageSpec

__all__ = ["CLAIMS_CHECKED", "EVIDENCE", "VIEWS", "Coalesce", "Column", "Join", "Ref", "View", "Which", "evidence", "view_frame", "view_sql"]


@dataclass(frozen=True)
class Ref:
    """The field *field* of the table joined as *alias*."""

    alias: str
    field: str


@dataclass(frozen=True)
class Coalesce:
    """The first of *parts* that is set."""

    parts: tuple[Ref, ...]


@dataclass(frozen=True)
class Which:
    """The label of the first case whose field is set: ``Which((("trial", Ref("o", "trial_id")), ...))``."""

    cases: tuple[tuple[str, Ref], ...]


Expr = Ref | Coalesce | Which


@dataclass(frozen=True)
class Join:
    """A left join: the row of *table* whose *key* equals *on* (an expression over earlier tables)."""

    alias: str
    table: str
    key: str
    on: Expr


@dataclass(frozen=True)
class Column:
    """One column of a view: its name, the expression it takes its value from, and what it means."""

    name: str
    expr: Expr
    description: str = ""


@dataclass(frozen=True)
class View:
    """A view over the tables: a base table, joins and columns, in one definition."""

    name: str
    title: str
    description: str
    base: str
    alias: str
    joins: tuple[Join, ...]
    columns: tuple[Column, ...]

    @property
    def tables(self) -> dict[str, str]:
        """``{alias: table}`` of the base table and every joined one."""
        return {self.alias: self.base, **{j.alias: j.table for j in self.joins}}

    def source(self, column: Column, pkg: PackageSpec) -> FieldSpec | None:
        """The field a column takes its values from (the first, for a :class:`Coalesce`); ``None`` for a :class:`Which`."""
        refs = _refs(column.expr) if not isinstance(column.expr, Which) else ()
        return pkg.table(self.tables[refs[0].alias]).field(refs[0].field) if refs else None

    def available(self, pkg: PackageSpec) -> bool:
        """Whether *pkg* has every table and field this view reads."""
        tables = self.tables
        if not set(tables.values()) <= set(pkg.table_names):
            return False
        exprs = [c.expr for c in self.columns] + [j.on for j in self.joins]
        refs = [r for e in exprs for r in _refs(e)] + [Ref(j.alias, j.key) for j in self.joins]
        return all(r.field in pkg.table(tables[r.alias]).field_names for r in refs)


def _refs(expr: Expr) -> tuple[Ref, ...]:
    if isinstance(expr, Ref):
        return (expr,)
    if isinstance(expr, Coalesce):
        return expr.parts
    return tuple(ref for _, ref in expr.cases)


def _own(alias: str, *names: str) -> tuple[Column, ...]:
    return tuple(Column(n, Ref(alias, n)) for n in names)


#: Every result of ``outcomes`` with its study, design, evidence level, agent, cancer and references.
EVIDENCE = View(
    name="evidence",
    title="Evidence: every result with its study",
    description=(
        "Every result of the trials and cohorts (table outcomes), joined to its study (trial or cohort), the study "
        "design, the CEBM evidence level, the agent and the cancer, with the identifiers of the references behind it."
    ),
    base="outcomes",
    alias="o",
    joins=(
        Join("t", "trials", "trial_id", Ref("o", "trial_id")),
        Join("c", "cohorts", "cohort_id", Ref("o", "cohort_id")),
        Join("d", "study_designs", "design_id", Coalesce((Ref("t", "design_id"), Ref("c", "design_id")))),
        Join("l", "evidence_levels", "level", Coalesce((Ref("t", "cebm_level"), Ref("c", "cebm_level"), Ref("d", "cebm_level")))),
        Join("a", "agents", "agent_id", Ref("o", "agent_id")),
        Join("k", "cancer_types", "cancer_type_id", Coalesce((Ref("o", "cancer_type_id"), Ref("t", "cancer_type_id")))),
    ),
    columns=(
        Column("outcome_id", Ref("o", "outcome_id"), "The result (outcomes.outcome_id)."),
        Column("study_type", Which((("trial", Ref("o", "trial_id")), ("cohort", Ref("o", "cohort_id")))), "Whether the study is a trial or a cohort."),
        Column("study_id", Coalesce((Ref("o", "trial_id"), Ref("o", "cohort_id"))), "The study: trials.trial_id or cohorts.cohort_id."),
        Column("study", Coalesce((Ref("t", "short_name"), Ref("c", "short_name"))), "Short name of the study."),
        Column("design_id", Ref("d", "design_id"), "Study design (study_designs.design_id)."),
        Column("design", Ref("d", "label"), "Study design, as a label."),
        Column("cebm_level", Ref("l", "level"), "Oxford CEBM 2011 evidence level of the study (1 strongest), else of its design."),
        Column("evidence_level", Ref("l", "label"), "The evidence level, as a label."),
        Column("agent_id", Ref("o", "agent_id"), "The agent compared (agents.agent_id)."),
        Column("agent", Ref("a", "label"), "The agent, as a label."),
        Column("vitamin_k_form", Ref("a", "vitamin_k_form"), "Which vitamin K the agent is, if any."),
        Column("cancer_type_id", Ref("k", "cancer_type_id"), "The cancer of the result, else of the trial (cancer_types.cancer_type_id)."),
        Column("cancer", Ref("k", "label"), "The cancer, as a label."),
        *_own("o", "endpoint", "comparison", "subgroup", "contrast", "timepoint_mo", "measure", "numerator", "ratio_event"),
        *_own("o", "estimate", "ci_low", "ci_high", "p_value", "direction", "reference_ids"),
    ),
)

#: The seed article's claims with their verdicts, the seed's and the source's figures side by side.
CLAIMS_CHECKED = View(
    name="claims_checked",
    title="Claims checked: the seed's figure beside the source's",
    description=(
        "Every statement of the seed article with its verdict, the seed's figure beside the primary source's "
        "(as text and as low and high values in one unit), the explanation and the references checked."
    ),
    base="claims",
    alias="c",
    joins=(),
    columns=_own(
        "c", "claim_id", "seed_section", "statement", "verdict", "seed_figure", "source_figure", "seed_value_low",
        "source_value_low", "seed_value_high", "source_value_high", "value_unit", "explanation", "reference_ids",
    ),
)  # fmt: skip

#: Every view, by name, in the order they are created.
VIEWS: Mapping[str, View] = {v.name: v for v in (EVIDENCE, CLAIMS_CHECKED)}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql(expr: Expr) -> str:
    if isinstance(expr, Ref):
        return f"{expr.alias}.{_quote(expr.field)}"
    if isinstance(expr, Coalesce):
        return f"COALESCE({', '.join(_sql(p) for p in expr.parts)})"
    cases = " ".join(f"WHEN {_sql(ref)} IS NOT NULL THEN '{label}'" for label, ref in expr.cases)
    return f"CASE {cases} END"


def view_sql(view: View, pkg: PackageSpec) -> str:
    """The ``CREATE VIEW`` statement of *view* (rows in the base table's primary-key order).

    Examples
    --------
    >>> from k2data._package import open_package
    >>> print(view_sql(CLAIMS_CHECKED, open_package()).splitlines()[0])
    CREATE VIEW "claims_checked" AS
    """
    select = ",\n  ".join(f"{_sql(c.expr)} AS {_quote(c.name)}" for c in view.columns)
    lines = [f"CREATE VIEW {_quote(view.name)} AS", f"SELECT\n  {select}", f"FROM {_quote(view.base)} AS {view.alias}"]
    lines += [f"LEFT JOIN {_quote(j.table)} AS {j.alias} ON {j.alias}.{_quote(j.key)} = {_sql(j.on)}" for j in view.joins]
    key = pkg.table(view.base).primary_key
    if key:
        lines.append("ORDER BY " + ", ".join(f"{view.alias}.{_quote(k)}" for k in key))
    return "\n".join(lines)


def _value(expr: Expr, row: Mapping[str, Mapping[str, Any] | None]) -> Any:
    from .export import is_missing

    def get(ref: Ref) -> Any:
        record = row.get(ref.alias)
        value = None if record is None else record.get(ref.field)
        return None if is_missing(value) else value

    if isinstance(expr, Ref):
        return get(expr)
    if isinstance(expr, Coalesce):
        return next((v for v in map(get, expr.parts) if v is not None), None)
    return next((label for label, ref in expr.cases if get(ref) is not None), None)


def _key(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _dtype(view: View, expr: Expr, pkg: PackageSpec) -> Any:
    import pandas as pd

    from .load import pandas_dtype

    if isinstance(expr, Which):
        return pd.CategoricalDtype([label for label, _ in expr.cases])
    specs: list[FieldSpec] = [pkg.table(view.tables[r.alias]).field(r.field) for r in _refs(expr)]
    dtypes = {str(pandas_dtype(s)) for s in specs}
    if len(dtypes) == 1:
        return pandas_dtype(specs[0])
    return "object" if any(s.is_list for s in specs) else "string"


def view_frame(view: View, pkg: PackageSpec, frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The rows of *view* computed from typed tables (as :func:`k2data.load` gives them) in pandas.

    Examples
    --------
    >>> import k2data
    >>> from k2data._package import open_package
    >>> pkg = open_package()
    >>> df = view_frame(CLAIMS_CHECKED, pkg, {"claims": k2data.load("claims")})
    >>> list(df.columns[:4])
    ['claim_id', 'seed_section', 'statement', 'verdict']
    """
    import pandas as pd

    from .export import is_missing, sort_frame

    records: dict[str, list[dict[str, Any]]] = {
        name: [{str(k): v for k, v in r.items()} for r in sort_frame(pkg.table(name), frames[name]).to_dict("records")]
        for name in set(view.tables.values())
    }
    index = {j.alias: {_key(r[j.key]): r for r in records[j.table] if not is_missing(r[j.key])} for j in view.joins}
    rows = []
    for base in records[view.base]:
        row: dict[str, Mapping[str, Any] | None] = {view.alias: base}
        for j in view.joins:
            key = _value(j.on, row)
            row[j.alias] = None if key is None else index[j.alias].get(_key(key))
        rows.append([_value(c.expr, row) for c in view.columns])
    columns = {}
    for i, c in enumerate(view.columns):
        values = [r[i] for r in rows]
        dtype = _dtype(view, c.expr, pkg)
        columns[c.name] = pd.Series(values, dtype=dtype) if dtype != "object" else pd.Series([v if v is not None else [] for v in values], dtype=object)
    df = pd.DataFrame(columns)
    df.attrs["k2data_view"] = view.name
    return df


def evidence(*, datapackage: str | Path | None = None) -> pd.DataFrame:
    """Every result with its study, design, evidence level, agent, cancer and reference identifiers.

    One row per row of ``outcomes``, joined to its trial or cohort, the study
    design, the CEBM evidence level (the study's, else its design's), the
    agent and the cancer (the result's, else the trial's). The same rows as the
    ``evidence`` view of the SQLite release file ``k2data.sqlite``: both come
    from one definition, :data:`k2data.views.EVIDENCE`.

    Parameters
    ----------
    datapackage : str or Path, optional
        A ``datapackage.json`` (or its folder) instead of the bundled data.

    Returns
    -------
    pandas.DataFrame
        Typed like :func:`k2data.load`: vocabularies as categoricals, counts
        as ``Int64``, ``reference_ids`` as lists.

    Examples
    --------
    >>> import k2data
    >>> ev = k2data.evidence()
    >>> list(ev.columns[:5])
    ['outcome_id', 'study_type', 'study_id', 'study', 'design_id']
    >>> len(ev) == len(k2data.load("outcomes"))
    True
    """
    from ._package import open_package
    from .errors import UnknownTableError
    from .load import read_table

    pkg = open_package(datapackage)
    if not EVIDENCE.available(pkg):
        missing = sorted(set(EVIDENCE.tables.values()) - set(pkg.table_names))
        raise UnknownTableError(", ".join(missing) or "a field of the evidence view", pkg.table_names)
    frames = {name: read_table(pkg.table(name), pkg) for name in set(EVIDENCE.tables.values())}
    return view_frame(EVIDENCE, pkg, frames)
