"""Checks of the cells of one column, vectorised: types, sizes, vocabularies, patterns, ranges, clean text, lists.

:class:`FieldChecks` is the part of a table's checker that looks at one
column of one record batch at a time; each check skips the cells an earlier
check already failed, so a cell gets one problem.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

from .._arrow import booleans, scalar, strings, to_bool, to_float64, to_int64
from .._package import FieldSpec
from ..rules import bad_text
from .limits import FLAGS, Limits

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

__all__ = ["FieldChecks", "Values", "np_mask"]

_INTEGER = r"^[+-]?[0-9]+$"
_NUMBER = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DATETIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$"
_YEAR = r"^[0-9]{4}$"
_TYPE_WORDS = {
    "integer": "a whole number",
    "year": "a year (four digits)",
    "number": "a number",
    "boolean": "true or false",
    "date": "a date (YYYY-MM-DD)",
    "datetime": "a date and time (ISO 8601)",
}



class Values:
    """One field of one batch: which cells hold a valid value, and the value as a number where it is one."""

    def __init__(self, present: np.ndarray, number: np.ndarray | None, text: pa.Array) -> None:
        self.present = present
        self.number = number
        self.text = text


def np_mask(mask: Any) -> np.ndarray:
    """A boolean Arrow array as a numpy mask (a null is ``False``), without pyarrow's pandas shim."""
    return to_bool(mask)


def _matches(arr: pa.Array, pattern: str) -> np.ndarray:
    """Where *arr* matches the regular expression *pattern* (RE2, with Python's ``re`` when RE2 cannot compile it)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        return to_bool(pc.match_substring_regex(arr, pattern))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        import re

        compiled = re.compile(pattern)
        return np.array([v is not None and compiled.search(v) is not None for v in arr.to_pylist()], dtype=bool)



class FieldChecks:
    """The checks of one column of a record batch; mixed into a table's checker, which reports the problems."""

    limits: Limits

    def fail(self, mask: np.ndarray, rows: np.ndarray, arr: pa.Array | None, f: FieldSpec, message: Any, check: str) -> None:
        """Report a problem for every cell of *mask* (the table's checker does it)."""
        raise NotImplementedError

    def remember(self, f: FieldSpec, arr: pa.Array, rows: np.ndarray, todo: np.ndarray) -> None:
        """Keep the valid values the table-wide checks (unique keys, links) need (the table's checker does it)."""
        raise NotImplementedError

    def check_field(self, f: FieldSpec, arr: pa.Array, rows: np.ndarray, empty: np.ndarray, keep: np.ndarray) -> Values:
        import numpy as np
        import pyarrow.compute as pc


        todo = keep & ~empty
        big = np_mask(pc.greater(pc.binary_length(arr), scalar(self.limits.max_cell_bytes))) & todo
        if big.any():
            self.fail(big, rows, None, f, f"cell is larger than the limit of {self.limits.max_cell_bytes} bytes; raise it with {FLAGS['max_cell_bytes']} if it is real", "limit")
            todo &= ~big
        if f.required:
            self.fail(keep & empty, rows, None, f, "a required value is missing", "required")
        number: np.ndarray | None = None
        if f.is_list:
            todo = self.check_list(f, arr, rows, todo)
        elif f.type in ("string", "any"):
            todo = self.check_text(f, arr, rows, todo)
        else:
            ok, number = self.parse(f, f.type, arr, todo)
            self.fail(todo & ~ok, rows, arr, f, f"value is not {_TYPE_WORDS.get(f.type, f.type)}", "type")
            todo &= ok
            if number is not None:
                number = np.where(todo, number, np.nan)
        if f.enum is not None and not f.is_list:
            allowed = strings(list(f.enum))
            inside = np_mask(pc.is_in(arr, value_set=allowed))
            outside = todo & ~inside
            self.fail(outside, rows, arr, f, lambda v, f=f: _enum_message(v, f), "enum")
            todo &= ~outside
        if f.pattern is not None and f.type in ("string", "any"):
            ok = _matches(arr, f"^(?:{f.pattern.lstrip('^').rstrip('$')})$")
            self.fail(todo & ~ok, rows, arr, f, f"value does not match the pattern {f.pattern}", "pattern")
            todo &= ok
        if number is not None and (f.minimum is not None or f.maximum is not None):
            with np.errstate(invalid="ignore"):
                if f.minimum is not None:
                    low = todo & (number < f.minimum)
                    self.fail(low, rows, arr, f, f"value is below the minimum {f.minimum:g}", "minimum")
                    todo &= ~low
                if f.maximum is not None:
                    high = todo & (number > f.maximum)
                    self.fail(high, rows, arr, f, f"value is above the maximum {f.maximum:g}", "maximum")
                    todo &= ~high
        if number is not None:
            number = np.where(todo, number, np.nan)
        self.remember(f, arr, rows, todo)
        return Values(todo, number, arr)

    def parse(self, f: FieldSpec, type_: str, arr: pa.Array, todo: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Which cells parse as *type_*, and their values as float64 where numeric."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        if type_ in ("integer", "year"):
            ok = _matches(arr, _YEAR if type_ == "year" else _INTEGER) & todo
            digits = np_mask(pc.greater(pc.utf8_length(pc.utf8_ltrim(arr, characters="+-")), scalar(18))) & ok
            if digits.any():
                for j in np.nonzero(digits)[0]:
                    if not -(2**63) <= int(arr[int(j)].as_py()) < 2**63:
                        ok[j] = False
            clean = pc.if_else(booleans(ok), arr, scalar("0"))
            return ok, to_float64(pc.cast(clean, pa.float64()))
        if type_ == "number":
            ok = _matches(arr, _NUMBER) & todo
            clean = pc.if_else(booleans(ok), arr, scalar("0"))
            number = to_float64(pc.cast(clean, pa.float64()))
            infinite = ok & ~np.isfinite(number)
            ok &= ~infinite
            return ok, number
        if type_ == "boolean":
            true = f.raw.get("trueValues") or ["true"]
            false = f.raw.get("falseValues") or ["false"]
            ok = np_mask(pc.is_in(arr, value_set=strings([str(v) for v in [*true, *false]]))) & todo
            return ok, None
        if type_ == "date":
            ok = _matches(arr, _DATE) & todo
            clean = pc.if_else(booleans(ok), arr, scalar("2000-01-01"))
            parsed = pc.strptime(clean, format="%Y-%m-%d", unit="s", error_is_null=True)
            return ok & np_mask(pc.is_valid(parsed)), None
        if type_ == "datetime":
            return _matches(arr, _DATETIME) & todo, None
        return todo.copy(), None

    def check_text(self, f: FieldSpec, arr: pa.Array, rows: np.ndarray, todo: np.ndarray) -> np.ndarray:
        bad = np_mask(bad_text(arr)) & todo
        if bad.any():
            self.fail(bad, rows, arr, f, _text_message, "text")
            todo = todo & ~bad
        return todo

    def check_list(self, f: FieldSpec, arr: pa.Array, rows: np.ndarray, todo: np.ndarray) -> np.ndarray:
        import numpy as np
        import pyarrow.compute as pc

        split = pc.split_pattern(arr, pattern=f.delimiter)
        items = pc.list_flatten(split)
        parents = to_int64(pc.list_parent_indices(split))
        bad_items = np.zeros(len(items), dtype=bool)
        empty_item = np_mask(pc.equal(items, scalar("")))
        bad_items |= empty_item
        if f.value_type in ("string", "any"):
            bad_items |= np_mask(bad_text(items))
        else:
            ok, _ = self.parse(f, f.value_type, items, np.ones(len(items), dtype=bool))
            bad_items |= ~ok
        bad_rows = np.zeros(len(arr), dtype=bool)
        if bad_items.any():
            bad_rows[parents[bad_items]] = True
        bad_rows &= todo
        if bad_rows.any():
            kind = "" if f.value_type in ("string", "any") else f" or not {_TYPE_WORDS.get(f.value_type, f.value_type)}"
            self.fail(
                bad_rows, rows, arr, f,
                f"an item of the list is empty{kind}, starts like a formula, has stray whitespace or a control character "
                f"(items are separated by {f.delimiter!r})",
                "list",
            )  # fmt: skip
        return todo & ~bad_rows


def _enum_message(value: object, f: FieldSpec) -> str:
    allowed = list(f.enum or ())
    text = str(value)
    close = difflib.get_close_matches(text.strip().lower().replace(" ", "_").replace("-", "_"), allowed, n=1, cutoff=0.6)
    shown = ", ".join(allowed[:30]) + (f" and {len(allowed) - 30} more" if len(allowed) > 30 else "")
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"{text[:60]!r} is not one of: {shown}{hint}"


def _text_message(value: object) -> str:
    import re

    if isinstance(value, str) and re.search(r"[\x00-\x08\x0a-\x1f\x7f]", value):
        return "text holds a control character (shown escaped); remove it"
    return "text starts like a spreadsheet formula (=, +, -, @) or has leading/trailing whitespace"


