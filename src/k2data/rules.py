"""Rules that Table Schema cannot express, derived from the descriptor.

Two kinds:

* **Row rules** (:func:`row_rules`) compare fields of the same row: a low or
  minimum never above its high or maximum (``dose_min_mg_d <= dose_max_mg_d``,
  ``ci_low <= estimate <= ci_high``), arm counts within the total, percentages
  within 0-100, a unit wherever a value needs one, exactly one study link per
  outcome, and text cells that neither start like a spreadsheet formula nor
  carry stray whitespace. They are attached to the Pandera schemas of
  :mod:`k2data.schemas` as DataFrame checks.
* **Cross-table rules** (:func:`reference_problems`) check that every value of
  a foreign key, including each item of a list field declared with
  ``listReference``, exists in the table it points at.

The rules are derived from field names, units and ``listReference``
declarations, so a new table that follows the naming conventions gets them
without code changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._descriptor import PackageSpec, TableSpec
from ._report import Problem

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["RowRule", "reference_problems", "row_rules"]

_PAIRS = {"min": "max", "low": "high", "start": "end"}
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class RowRule:
    """A check over the fields of one row.

    ``check`` returns a boolean Series that is ``True`` where the row passes;
    rows where a field it needs is empty pass (emptiness is the job of
    ``required``). ``fields[0]`` is the field a failure is reported on.
    """

    name: str
    fields: tuple[str, ...]
    message: str
    check: Callable[[pd.DataFrame], pd.Series]


def _num(df: pd.DataFrame, name: str) -> np.ndarray:
    """A column as float64 values, missing as NaN, whatever its dtype."""
    import pandas as pd

    return pd.to_numeric(df[name], errors="coerce").to_numpy(dtype="float64", na_value=float("nan"))


def _set(df: pd.DataFrame, name: str) -> np.ndarray:
    """Where a column has a value (lists count when non-empty)."""
    import numpy as np

    return np.array([(len(v) > 0) if isinstance(v, list) else _present(v) for v in df[name].tolist()], dtype=bool)


def _present(v: Any) -> bool:
    import pandas as pd

    return not bool(pd.isna(v))


def _series(df: pd.DataFrame, ok: np.ndarray) -> pd.Series:
    import pandas as pd

    return pd.Series(ok, index=df.index, dtype=bool)


def _le(a: str, b: str) -> Callable[[pd.DataFrame], pd.Series]:
    def check(df: pd.DataFrame) -> pd.Series:
        import numpy as np

        x, y = _num(df, a), _num(df, b)
        return _series(df, np.isnan(x) | np.isnan(y) | (x <= y))

    return check


def _sum_le(parts: tuple[str, ...], total: str) -> Callable[[pd.DataFrame], pd.Series]:
    def check(df: pd.DataFrame) -> pd.Series:
        import numpy as np

        arms = sum(np.nan_to_num(_num(df, p), nan=0.0) for p in parts)
        t = _num(df, total)
        return _series(df, np.isnan(t) | (arms <= t))

    return check


def _percent(name: str, unit_field: str | None = None) -> Callable[[pd.DataFrame], pd.Series]:
    def check(df: pd.DataFrame) -> pd.Series:
        import numpy as np

        v = _num(df, name)
        ok = np.isnan(v) | ((v >= 0) & (v <= 100))
        if unit_field is not None:
            ok = ok | np.array([u != "%" for u in df[unit_field].astype(object).tolist()], dtype=bool)
        return _series(df, ok)

    return check


def _together(a: str, b: str) -> Callable[[pd.DataFrame], pd.Series]:
    """``b`` is set wherever ``a`` is set."""

    def check(df: pd.DataFrame) -> pd.Series:
        return _series(df, ~_set(df, a) | _set(df, b))

    return check


def _exactly_one(a: str, b: str) -> Callable[[pd.DataFrame], pd.Series]:
    def check(df: pd.DataFrame) -> pd.Series:
        return _series(df, _set(df, a) ^ _set(df, b))

    return check


def _bad_text(value: object) -> bool:
    if isinstance(value, list):
        return any(_bad_text(v) for v in value)
    if not isinstance(value, str):
        return False
    return value.startswith(FORMULA_PREFIXES) or value != value.strip()


def _clean_text(name: str) -> Callable[[pd.DataFrame], pd.Series]:
    def check(df: pd.DataFrame) -> pd.Series:
        import numpy as np

        return _series(df, np.array([not _bad_text(v) for v in df[name].astype(object).tolist()], dtype=bool))

    return check


def row_rules(table: TableSpec) -> list[RowRule]:
    """The row rules that apply to *table*, derived from its fields."""
    names = set(table.field_names)
    rules: list[RowRule] = []
    # ordered pairs: *_min_* <= *_max_*, *_low <= *_high, *_start_* <= *_end_*
    for f in table.fields:
        tokens = f.name.split("_")
        for lo, hi in _PAIRS.items():
            if lo in tokens:
                other = "_".join(hi if t == lo else t for t in tokens)
                if other in names:
                    # ci pairs are covered by the bracket rule below
                    mid = _bracket_middle(f.name, names) if lo == "low" else None
                    if mid is None:
                        rules.append(
                            RowRule(f"{f.name} <= {other}", (f.name, other), f"{f.name} is greater than {other}", _le(f.name, other))
                        )
    # confidence intervals bracket their estimate
    for f in table.fields:
        if f.name.endswith("ci_low"):
            hi = f.name[: -len("low")] + "high"
            mid = _bracket_middle(f.name, names)
            if hi in names and mid is not None:
                rules.append(RowRule(f"{f.name} <= {mid}", (f.name, mid), f"{f.name} is greater than {mid}", _le(f.name, mid)))
                rules.append(RowRule(f"{mid} <= {hi}", (hi, mid), f"{hi} is less than {mid}", _le(mid, hi)))
    # arm sizes within the total
    if "n_total" in names:
        parts = tuple(p for p in ("n_intervention", "n_control") if p in names)
        if parts:
            rules.append(
                RowRule(
                    "arms <= n_total",
                    (parts[0], *parts[1:], "n_total"),
                    f"{' + '.join(parts)} is greater than n_total",
                    _sum_le(parts, "n_total"),
                )
            )
    if "n_participants" in names:
        for part in ("n_cases", "n_deaths"):
            if part in names:
                rules.append(
                    RowRule(f"{part} <= n_participants", (part, "n_participants"), f"{part} is greater than n_participants", _le(part, "n_participants"))
                )
    # percentages: fields declared in % and per-arm values whose unit column says %
    for f in table.fields:
        if f.unit == "%":
            rules.append(RowRule(f"{f.name} within 0-100", (f.name,), f"{f.name} is a percentage outside 0-100", _percent(f.name)))
    if "arm_value_unit" in names:
        for v in ("intervention_value", "control_value"):
            if v in names:
                rules.append(
                    RowRule(f"{v} within 0-100 when %", (v, "arm_value_unit"), f"{v} is a percentage outside 0-100", _percent(v, "arm_value_unit"))
                )
                rules.append(RowRule(f"{v} has a unit", (v, "arm_value_unit"), f"{v} is set but arm_value_unit is empty", _together(v, "arm_value_unit")))
    if "value_unit" in names:
        for v in ("seed_value_low", "seed_value_high", "source_value_low", "source_value_high"):
            if v in names:
                rules.append(RowRule(f"{v} has a unit", (v, "value_unit"), f"{v} is set but value_unit is empty", _together(v, "value_unit")))
    # an estimate has a measure, a p-value says whether it is exact
    for a, b in (("estimate", "measure"), ("measure", "estimate"), ("p_value", "p_relation")):
        if a in names and b in names:
            rules.append(RowRule(f"{a} needs {b}", (a, b), f"{a} is set but {b} is empty", _together(a, b)))
    if {"trial_id", "cohort_id"} <= names:
        rules.append(
            RowRule("one study link", ("trial_id", "cohort_id"), "exactly one of trial_id and cohort_id must be set", _exactly_one("trial_id", "cohort_id"))
        )
    # text cells: no spreadsheet formulas, no stray whitespace
    for f in table.fields:
        if f.type in ("string", "list"):
            rules.append(
                RowRule(
                    f"{f.name} is clean text",
                    (f.name,),
                    "text starts like a spreadsheet formula (=, +, -, @) or has leading/trailing whitespace",
                    _clean_text(f.name),
                )
            )
    return rules


def _bracket_middle(low_name: str, names: set[str]) -> str | None:
    """The value a ``*ci_low`` field brackets: ``estimate`` or ``<prefix>_value``."""
    if not low_name.endswith("ci_low"):
        return None
    prefix = low_name[: -len("ci_low")]
    mid = f"{prefix}value" if prefix else "estimate"
    return mid if mid in names else None


def _cell_items(value: Any) -> list[str]:
    import pandas as pd

    if isinstance(value, list):
        return [str(v) for v in value]
    if pd.isna(value):
        return []
    return [str(value)]


def reference_problems(
    pkg: PackageSpec,
    frames: Mapping[str, pd.DataFrame],
    *,
    keys: Mapping[tuple[str, str], set[str]] | None = None,
) -> list[Problem]:
    """Foreign-key problems across *frames*: scalar keys and items of list fields.

    Row numbers assume each frame's index is its 0-based data row, as
    :func:`k2data.load` returns it (file row = index + 2). *keys* may give
    the known values of a ``(table, field)`` key ahead of time, so that a
    large table can be checked a chunk at a time; keys not given are taken
    from *frames*.
    """
    import pandas as pd

    known_keys: dict[tuple[str, str], set[str]] = dict(keys or {})

    def keyset(resource: str, fieldname: str) -> set[str] | None:
        keys = known_keys
        if (resource, fieldname) not in keys:
            frame = frames.get(resource)
            if frame is None or fieldname not in frame.columns:
                return None
            keys[(resource, fieldname)] = {str(v) for v in frame[fieldname].dropna().tolist()}
        return keys[(resource, fieldname)]

    problems: list[Problem] = []
    for table in pkg.tables:
        frame = frames.get(table.name)
        if frame is None:
            continue
        links: list[tuple[str, str, str]] = []
        for fk in table.foreign_keys:
            if len(fk.fields) == 1:
                links.append((fk.fields[0], fk.resource, fk.ref_fields[0]))
        for f in table.fields:
            if f.list_reference is not None:
                links.append((f.name, *f.list_reference))
        for name, resource, ref_field in links:
            if name not in frame.columns:
                continue
            known = keyset(resource, ref_field)
            if known is None:
                continue
            for idx, value in zip(frame.index, frame[name].tolist(), strict=True):
                missing = [v for v in _cell_items(value) if v not in known]
                if missing:
                    shown = ";".join(value) if isinstance(value, list) else str(value)
                    problems.append(
                        Problem(
                            file=table.path,
                            row=int(idx) + 2 if isinstance(idx, (int,)) or pd.api.types.is_integer(idx) else None,
                            field=name,
                            value=shown,
                            message=f"{', '.join(repr(m) for m in missing)} not found in {resource}.{ref_field}",
                            check="foreign-key",
                        )
                    )
    return problems
