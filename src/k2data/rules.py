"""Rules that Table Schema cannot express, derived from the descriptor.

Two kinds, both vectorised (no Python loop over rows):

* **Row rules** (:func:`row_rules`) compare fields of the same row: a low or
  minimum never above its high or maximum (``dose_min_mg_d <= dose_max_mg_d``,
  ``ci_low <= ci_high`` whether or not the estimate is given, and ``ci_low <=
  estimate <= ci_high``), arm counts within the total, percentages within
  0-100, a unit wherever a value needs one, exactly one study link per outcome.
* **Text hygiene** (:func:`bad_text`): a text cell (or list item) may not start
  like a spreadsheet formula, carry stray whitespace, or hold a control
  character (NUL, escape sequences...; a tab is allowed).

The rules are derived from field names, units and types, so a new table that
follows the naming conventions gets them without code changes. They run on a
:class:`Columns` view of a table: the validator builds one from Arrow arrays,
the Pandera schemas of :mod:`k2data.schemas` from a pandas DataFrame.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ._package import TableSpec

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow as pa

__all__ = ["FORMULA_PREFIXES", "Columns", "PandasColumns", "RowRule", "bad_text", "bad_text_pattern", "row_rules"]

_PAIRS = {"min": "max", "low": "high", "start": "end"}
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: A text value that starts like a formula, has leading or trailing whitespace, or holds a control character.
bad_text_pattern = r"^[=+\-@\t\r]|^\s|\s$|[\x00-\x08\x0a-\x1f\x7f]"


class Columns(Protocol):
    """A table's columns as the rules need them."""

    def num(self, name: str) -> np.ndarray:
        """The column as float64, missing or invalid values as NaN."""
        ...

    def present(self, name: str) -> np.ndarray:
        """Where the column has a value (a list counts when it is not empty)."""
        ...

    def equals(self, name: str, value: str) -> np.ndarray:
        """Where the column's text equals *value*."""
        ...


@dataclass(frozen=True)
class RowRule:
    """A check over the fields of one row.

    ``check`` returns a boolean array that is ``True`` where the row passes;
    rows where a field it needs is empty pass (emptiness is the job of
    ``required``). ``fields[0]`` is the field a failure is reported on.
    """

    name: str
    fields: tuple[str, ...]
    message: str
    check: Callable[[Columns], np.ndarray]


def _le(a: str, b: str) -> Callable[[Columns], np.ndarray]:
    def check(c: Columns) -> np.ndarray:
        import numpy as np

        x, y = c.num(a), c.num(b)
        with np.errstate(invalid="ignore"):
            return np.isnan(x) | np.isnan(y) | (x <= y)

    return check


def _sum_le(parts: tuple[str, ...], total: str) -> Callable[[Columns], np.ndarray]:
    def check(c: Columns) -> np.ndarray:
        import numpy as np

        arms = sum(np.nan_to_num(c.num(p), nan=0.0) for p in parts)
        t = c.num(total)
        with np.errstate(invalid="ignore"):
            return np.isnan(t) | (arms <= t)

    return check


def _percent(name: str, unit_field: str | None = None) -> Callable[[Columns], np.ndarray]:
    def check(c: Columns) -> np.ndarray:
        import numpy as np

        v = c.num(name)
        with np.errstate(invalid="ignore"):
            ok = np.isnan(v) | ((v >= 0) & (v <= 100))
        if unit_field is not None:
            ok = ok | ~c.equals(unit_field, "%")
        return ok

    return check


def _together(a: str, b: str) -> Callable[[Columns], np.ndarray]:
    """``b`` is set wherever ``a`` is set."""

    def check(c: Columns) -> np.ndarray:
        return ~c.present(a) | c.present(b)

    return check


def _exactly_one(a: str, b: str) -> Callable[[Columns], np.ndarray]:
    def check(c: Columns) -> np.ndarray:
        return c.present(a) ^ c.present(b)

    return check


def _bracket_middle(low_name: str, names: set[str]) -> str | None:
    """The value a ``*ci_low`` field brackets: ``estimate`` or ``<prefix>_value``."""
    if not low_name.endswith("ci_low"):
        return None
    prefix = low_name[: -len("ci_low")]
    mid = f"{prefix}value" if prefix else "estimate"
    return mid if mid in names else None


def row_rules(table: TableSpec) -> list[RowRule]:
    """The row rules that apply to *table*, derived from its fields."""
    names = set(table.field_names)
    rules: list[RowRule] = []
    # ordered pairs: *_min_* <= *_max_*, *_low <= *_high, *_start_* <= *_end_*, with or without an estimate between
    for f in table.fields:
        tokens = f.name.split("_")
        for lo, hi in _PAIRS.items():
            if lo in tokens:
                other = "_".join(hi if t == lo else t for t in tokens)
                if other in names:
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
    return rules


def bad_text(values: pa.Array) -> pa.Array:
    """Where a string array's values start like a formula, have stray whitespace or hold a control character.

    Examples
    --------
    >>> import pyarrow as pa
    >>> bad_text(pa.array(["fine", "=SUM(A1)", " padded", "nul\\x00", "tab\\tinside"])).to_pylist()
    [False, True, True, True, False]
    """
    import pyarrow.compute as pc

    from ._arrow import scalar

    return pc.fill_null(pc.match_substring_regex(values, bad_text_pattern), scalar(False))


class PandasColumns:
    """:class:`Columns` over a typed pandas DataFrame (as :func:`k2data.load` returns it)."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df

    def num(self, name: str) -> np.ndarray:
        import pandas as pd

        col = self.df[name]
        if isinstance(col.dtype, pd.CategoricalDtype) or col.dtype == object:
            col = col.astype("string")
        return pd.to_numeric(col, errors="coerce").to_numpy(dtype="float64", na_value=float("nan"))

    def present(self, name: str) -> np.ndarray:
        import numpy as np
        import pandas as pd

        values: list[Any] = self.df[name].tolist()
        return np.array([(len(v) > 0) if isinstance(v, list) else not bool(pd.isna(v)) for v in values], dtype=bool)

    def equals(self, name: str, value: str) -> np.ndarray:
        import numpy as np

        return np.array([v == value for v in self.df[name].astype(object).tolist()], dtype=bool)
