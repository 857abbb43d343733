"""The columnar checks of one table: parse once with pyarrow, check every constraint with vectorised compute.

Each CSV file is streamed in record batches of plain strings (so memory stays
bounded and every cell can be reported as it is written), and each batch is
checked column by column with ``pyarrow.compute`` and numpy:

- the header against the schema (missing, extra and reordered columns,
  column names that start like a formula), and the column limit;
- rows with too many or too few cells, and blank rows;
- types (integer, number, boolean, date, datetime, year, list items), finite
  numbers, integers in range, cell sizes;
- required, allowed values (with a suggestion for a near miss), pattern,
  minimum and maximum;
- text hygiene (no formula prefix, stray whitespace or control character);
- the row rules of :mod:`k2data.rules`;
- unique fields and the primary key (over the whole file);
- the values each link needs (checked across tables by :mod:`.links`).

A cell gets one problem: once it fails a check, later checks skip it.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._package import FieldSpec, PackageSpec, TableSpec
from ..rules import bad_text, row_rules
from .limits import FLAGS, Collector, Limits
from .report import Problem

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

__all__ = ["Keys", "TableCheck", "check_table"]

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
_BATCH_BYTES = 1 << 20


@dataclass
class Keys:
    """The values a table offers to links (its key columns) and the values its links need, by field."""

    offered: dict[str, list[pa.Array]] = field(default_factory=dict)
    needed: dict[str, list[tuple[pa.Array, np.ndarray]]] = field(default_factory=dict)


@dataclass
class TableCheck:
    """The outcome of checking one table: whether its rows could be read, and its keys."""

    table: TableSpec
    readable: bool = False
    keys: Keys = field(default_factory=Keys)


class _Values:
    """One field of one batch: which cells hold a valid value, and the value as a number where it is one."""

    def __init__(self, present: np.ndarray, number: np.ndarray | None, text: pa.Array) -> None:
        self.present = present
        self.number = number
        self.text = text


class _BatchColumns:
    """:class:`k2data.rules.Columns` over the checked values of a batch."""

    def __init__(self, values: dict[str, _Values], n: int) -> None:
        self.values = values
        self.n = n

    def num(self, name: str) -> np.ndarray:
        import numpy as np

        v = self.values[name]
        if v.number is None:
            return np.full(self.n, np.nan)
        return v.number

    def present(self, name: str) -> np.ndarray:
        return self.values[name].present

    def equals(self, name: str, value: str) -> np.ndarray:
        import numpy as np
        import pyarrow.compute as pc

        v = self.values[name]
        return np.asarray(pc.equal(v.text, value).to_numpy(zero_copy_only=False), dtype=bool) & v.present


def _np(mask: Any) -> np.ndarray:
    import numpy as np

    return np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)


def _matches(arr: pa.Array, pattern: str) -> np.ndarray:
    """Where *arr* matches the regular expression *pattern* (RE2, with Python's ``re`` when RE2 cannot compile it)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        return _np(pc.fill_null(pc.match_substring_regex(arr, pattern), False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        import re

        compiled = re.compile(pattern)
        return np.array([v is not None and compiled.search(v) is not None for v in arr.to_pylist()], dtype=bool)


class _TableChecker:
    def __init__(self, pkg: PackageSpec, table: TableSpec, limits: Limits, found: Collector, shown: str) -> None:
        self.pkg = pkg
        self.table = table
        self.limits = limits
        self.found = found
        self.file = shown
        self.rules = row_rules(table)
        self.unique: dict[str, list[tuple[pa.Array, np.ndarray]]] = {}
        self.keys = Keys()
        self.offered = {f for t in pkg.tables for link in t.links if link.target == table.name for f in [link.target_field]}
        self.rows = 0
        self.block_size = max(_BATCH_BYTES, 4 * limits.max_cell_bytes + 65536)

    # --- problems -----------------------------------------------------------------------------

    def report(self, rows: np.ndarray, field_name: str | None, values: list[Any] | None, message: str | Any, check: str) -> None:
        """Add a problem per row (values aligned with rows); *message* may be a function of the value."""
        n = len(rows)
        if n == 0:
            return
        room = self.found.room
        for i in range(min(n, room)):
            value = values[i] if values is not None else None
            text = message(value) if callable(message) else message
            self.found.add(Problem.make(self.file, int(rows[i]), field_name, value, text, check))
        if n > room:
            self.found.dropped += n - room

    def fail(self, mask: np.ndarray, rows: np.ndarray, arr: pa.Array | None, f: FieldSpec, message: Any, check: str) -> None:
        import numpy as np

        idx = np.nonzero(mask)[0]
        if not len(idx):
            return
        take = idx[: max(self.found.room, 0) or 1]
        values = arr.take(take).to_pylist() if arr is not None else None
        self.report(rows[take], f.name, values, message, check)
        if len(idx) > len(take):
            self.found.dropped += len(idx) - len(take)

    # --- header -------------------------------------------------------------------------------

    def header(self, path: Path) -> list[str] | None:
        """The header row, or ``None`` after reporting why the table's rows cannot be checked."""
        dialect = self.table.raw.get("dialect") if isinstance(self.table.raw.get("dialect"), dict) else {}
        limit = self.limits.max_columns * 1024 + 65536
        with open(path, "rb") as fh:
            head = fh.read(limit)
        end = head.find(b"\n")
        if end < 0 and len(head) >= limit:
            self.found.add(Problem.make(
                self.file, 1, None, None,
                f"the header row is longer than {limit} bytes; raise the column limit with {FLAGS['max_columns']} if it is real",
                "limit",
            ))  # fmt: skip
            return None
        text = head[: end if end >= 0 else len(head)].decode("utf-8", errors="replace").rstrip("\r")
        reader = csv.reader(
            io.StringIO(text), delimiter=str(dialect.get("delimiter", ",")), quotechar=str(dialect.get("quoteChar", '"'))
        )
        labels = next(reader, [])
        if len(labels) > self.limits.max_columns:
            self.found.add(Problem.make(
                self.file, 1, None, None,
                f"the header has {len(labels)} columns, more than the limit of {self.limits.max_columns}; "
                f"raise it with {FLAGS['max_columns']} if the table really has that many",
                "limit",
            ))  # fmt: skip
            return None
        return labels

    def check_header(self, labels: list[str]) -> bool:
        """Report header problems; ``True`` when the header is the schema's fields in order."""
        import numpy as np
        import pyarrow as pa

        names = self.table.field_names
        ok = True
        bad = _np(bad_text(pa.array(labels, type=pa.string()))) if labels else np.zeros(0, dtype=bool)
        for label, is_bad in zip(labels, bad, strict=True):
            if is_bad:
                self.found.add(Problem.make(
                    self.file, 1, label, label,
                    "column name starts like a spreadsheet formula (=, +, -, @), has stray whitespace or a control character",
                    "header",
                ))  # fmt: skip
                ok = False
        if labels == names:
            return ok
        missing = [n for n in names if n not in labels]
        extra = [x for x in labels if x not in names]
        for n in missing:
            self.found.add(Problem.make(self.file, 1, n, None, "column is missing from the header", "missing-label"))
        for x in extra[:50]:
            self.found.add(Problem.make(self.file, 1, x, x, "the header has a column that the schema does not declare", "extra-label"))
        if len(extra) > 50:
            self.found.add(Problem.make(self.file, 1, None, None, f"... and {len(extra) - 50} more columns the schema does not declare", "extra-label"))
        if not missing and not extra:
            first = next(i for i, (a, b) in enumerate(zip(labels, names, strict=False)) if a != b)
            self.found.add(Problem.make(
                self.file, 1, labels[first], labels[first],
                f"columns are not in the schema's order: expected {names[first]!r} here",
                "incorrect-label",
            ))  # fmt: skip
        return False

    # --- rows ---------------------------------------------------------------------------------

    def batches(self, path: Path) -> Iterator[tuple[pa.RecordBatch, np.ndarray]]:
        """Record batches of plain strings, each with the file row number of every record."""
        import numpy as np
        import pyarrow as pa
        from pyarrow import csv as pacsv

        table = self.table
        dialect = table.raw.get("dialect") if isinstance(table.raw.get("dialect"), dict) else {}
        expected = len(table.fields)
        skipped: list[int] = []
        stop = {"count": 0}

        def handler(row: Any) -> str:
            number = row.number
            if stop["count"] >= self.found.room:
                return "error"
            stop["count"] += 1
            if number is not None:
                skipped.append(number)
            cells = row.actual_columns
            what = "too many" if cells > expected else "too few"
            self.found.add(Problem.make(
                self.file, number, None, None,
                f"row has {cells} cells, {what} for the {expected} columns of the header", "cell-count",
            ))  # fmt: skip
            return "skip"

        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(
                use_threads=False, block_size=self.block_size, skip_rows=1, column_names=table.field_names
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=str(dialect.get("delimiter", ",")),
                quote_char=str(dialect.get("quoteChar", '"')),
                double_quote=dialect.get("doubleQuote", True) is not False,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=handler,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={f.name: pa.string() for f in table.fields},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        next_number = 2
        for batch in reader:
            n = batch.num_rows
            if n == 0:
                continue
            later = np.array(sorted(s for s in skipped if s >= next_number), dtype=np.int64)
            k = 0
            while True:
                hi = next_number + n + k
                k_new = int(np.count_nonzero(later < hi))
                if k_new == k:
                    break
                k = k_new
            candidates = np.arange(next_number, next_number + n + k, dtype=np.int64)
            numbers = np.setdiff1d(candidates, later[:k], assume_unique=True)[:n]
            next_number = int(numbers[-1]) + 1
            yield batch, numbers

    def check_batch(self, batch: pa.RecordBatch, rows: np.ndarray) -> None:
        import numpy as np
        import pyarrow.compute as pc

        n = batch.num_rows
        empties = {f.name: _np(pc.equal(batch.column(i), "")) for i, f in enumerate(self.table.fields)}
        blank = np.logical_and.reduce(list(empties.values())) if empties else np.zeros(n, dtype=bool)
        if blank.any():
            self.report(rows[blank], None, None, "blank row: every cell is empty; remove the line", "blank-row")
        keep = ~blank
        values: dict[str, _Values] = {}
        for i, f in enumerate(self.table.fields):
            values[f.name] = self.check_field(f, batch.column(i), rows, empties[f.name], keep)
        cols = _BatchColumns(values, n)
        for rule in self.rules:
            ok = np.asarray(rule.check(cols), dtype=bool) | blank
            bad = np.nonzero(~ok)[0]
            if not len(bad):
                continue
            take = bad[: max(self.found.room, 1)]
            shown = []
            for j in take:
                parts = []
                for name in rule.fields:
                    v = values[name]
                    parts.append(f"{name}={v.text[int(j)].as_py() if v.present[j] else ''}")
                shown.append(", ".join(parts))
            self.report(rows[take], rule.fields[0], shown, rule.message, "rule")
            self.found.dropped += len(bad) - len(take)

    def check_field(self, f: FieldSpec, arr: pa.Array, rows: np.ndarray, empty: np.ndarray, keep: np.ndarray) -> _Values:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        n = len(arr)
        todo = keep & ~empty
        big = _np(pc.greater(pc.binary_length(arr), self.limits.max_cell_bytes)) & todo
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
            allowed = pa.array(list(f.enum), type=pa.string())
            inside = _np(pc.is_in(arr, value_set=allowed))
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
        if f.unique or f.name in self.table.primary_key:
            sel = np.nonzero(todo)[0]
            self.unique.setdefault(f.name, []).append((arr.take(sel), rows[sel]))
        if f.name in self.offered:
            self.keys.offered.setdefault(f.name, []).append(arr.filter(pa.array(todo)))
        link = self.table.link(f.name)
        if link is not None:
            sel = np.nonzero(todo)[0]
            self.keys.needed.setdefault(f.name, []).append((arr.take(sel), rows[sel]))
        return _Values(todo, number, arr)

    def parse(self, f: FieldSpec, type_: str, arr: pa.Array, todo: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Which cells parse as *type_*, and their values as float64 where numeric."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        if type_ in ("integer", "year"):
            ok = _matches(arr, _YEAR if type_ == "year" else _INTEGER) & todo
            digits = _np(pc.greater(pc.utf8_length(pc.utf8_ltrim(arr, characters="+-")), 18)) & ok
            if digits.any():
                for j in np.nonzero(digits)[0]:
                    if not -(2**63) <= int(arr[int(j)].as_py()) < 2**63:
                        ok[j] = False
            clean = pc.if_else(pa.array(ok), arr, pa.scalar("0"))
            return ok, np.asarray(pc.cast(clean, pa.float64()).to_numpy(zero_copy_only=False), dtype="float64")
        if type_ == "number":
            ok = _matches(arr, _NUMBER) & todo
            clean = pc.if_else(pa.array(ok), arr, pa.scalar("0"))
            number = np.asarray(pc.cast(clean, pa.float64()).to_numpy(zero_copy_only=False), dtype="float64")
            infinite = ok & ~np.isfinite(number)
            ok &= ~infinite
            return ok, number
        if type_ == "boolean":
            true = f.raw.get("trueValues") or ["true"]
            false = f.raw.get("falseValues") or ["false"]
            ok = _np(pc.is_in(arr, value_set=pa.array([str(v) for v in [*true, *false]], type=pa.string()))) & todo
            return ok, None
        if type_ == "date":
            ok = _matches(arr, _DATE) & todo
            clean = pc.if_else(pa.array(ok), arr, pa.scalar("2000-01-01"))
            parsed = pc.strptime(clean, format="%Y-%m-%d", unit="s", error_is_null=True)
            return ok & _np(pc.is_valid(parsed)), None
        if type_ == "datetime":
            return _matches(arr, _DATETIME) & todo, None
        return todo.copy(), None

    def check_text(self, f: FieldSpec, arr: pa.Array, rows: np.ndarray, todo: np.ndarray) -> np.ndarray:
        bad = _np(bad_text(arr)) & todo
        if bad.any():
            self.fail(bad, rows, arr, f, _text_message, "text")
            todo = todo & ~bad
        return todo

    def check_list(self, f: FieldSpec, arr: pa.Array, rows: np.ndarray, todo: np.ndarray) -> np.ndarray:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        split = pc.split_pattern(arr, pattern=f.delimiter)
        items = pc.list_flatten(split)
        parents = np.asarray(pc.list_parent_indices(split).to_numpy(zero_copy_only=False), dtype=np.int64)
        bad_items = np.zeros(len(items), dtype=bool)
        empty_item = _np(pc.equal(items, ""))
        bad_items |= empty_item
        if f.value_type in ("string", "any"):
            bad_items |= _np(bad_text(items))
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

    # --- whole table --------------------------------------------------------------------------

    def duplicates(self) -> None:
        """Report the values of unique fields (and the primary key) seen on an earlier row."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        groups: list[tuple[str, list[str]]] = [(f.name, [f.name]) for f in self.table.fields if f.unique]
        pk = list(self.table.primary_key)
        if pk and not (len(pk) == 1 and any(name == pk[0] for name, _ in groups)):
            groups.append((",".join(pk), pk))
        for label, names in groups:
            if any(name not in self.unique for name in names):
                continue
            if len(names) == 1:
                parts = self.unique[names[0]]
                values = pa.concat_arrays([p[0] for p in parts]) if parts else pa.array([], pa.string())
                rows = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, dtype=np.int64)
            else:
                # a composite key: rows where every part is valid, the parts joined with a separator
                per = [dict(zip(np.concatenate([p[1] for p in self.unique[n]]).tolist(), pa.concat_arrays([p[0] for p in self.unique[n]]).to_pylist(), strict=True)) for n in names]
                common = sorted(set.intersection(*(set(d) for d in per)))
                rows = np.array(common, dtype=np.int64)
                values = pa.array(["\x1f".join(str(d[r]) for d in per) for r in common], type=pa.string())
            if len(values) < 2:
                continue
            order = pc.sort_indices(pa.table({"v": values, "r": pa.array(rows)}), sort_keys=[("v", "ascending"), ("r", "ascending")])
            sv = values.take(order)
            sr = rows[np.asarray(order.to_numpy(zero_copy_only=False))]
            same = _np(pc.equal(sv.slice(1), sv.slice(0, len(sv) - 1)))
            dup = np.nonzero(same)[0] + 1
            if not len(dup):
                continue
            dup_rows = sr[dup]
            order2 = np.argsort(dup_rows, kind="stable")
            shown = [sv[int(i)].as_py().replace("\x1f", ",") for i in dup[order2]]
            what = "primary key" if names == pk else "value of a unique field"
            self.report(dup_rows[order2], label, shown, f"duplicate {what}: the same as an earlier row", "unique")


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


def check_table(pkg: PackageSpec, table: TableSpec, limits: Limits, found: Collector, readable: bool) -> TableCheck:
    """Check the rows of one table whose file has passed the byte-level checks (*readable*)."""
    result = TableCheck(table)
    if not readable or found.full:
        return result
    checker = _TableChecker(pkg, table, limits, found, table.path)
    path = pkg.root / table.path
    labels = checker.header(path)
    if labels is None or not checker.check_header(labels):
        return result
    import pyarrow as pa

    try:
        for batch, rows in checker.batches(path):
            checker.rows += batch.num_rows
            if checker.rows > limits.max_rows:
                found.add(Problem.make(
                    table.path, None, None, None,
                    f"the table has more than {limits.max_rows} rows; raise the limit with {FLAGS['max_rows']} if it is real",
                    "limit",
                ))  # fmt: skip
                return result
            checker.check_batch(batch, rows)
            if found.full:
                return result
    except (pa.ArrowInvalid, OSError) as exc:
        if found.full:
            return result
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "straddl" in first:
            found.add(Problem.make(
                table.path, None, None, None,
                f"a row is longer than {checker.block_size} bytes, more than the cell limit allows; "
                f"raise it with {FLAGS['max_cell_bytes']} if it is real",
                "limit",
            ))  # fmt: skip
            return result
        found.add(Problem.make(table.path, None, None, None, f"cannot be parsed as CSV: {first}", "source-error"))
        return result
    if checker.rows == 0:
        found.add(Problem.make(table.path, None, None, None, "file has a header but no data rows", "no-rows"))
    checker.duplicates()
    result.readable = True
    result.keys = checker.keys
    return result
