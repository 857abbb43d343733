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
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._arrow import booleans, int64s, scalar, strings, to_bool, to_int64
from .._package import FieldSpec, PackageSpec, TableSpec
from ..rules import bad_text, row_rules
from .cells import FieldChecks, Values, np_mask
from .limits import FLAGS, Collector, Limits
from .report import Problem

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

__all__ = ["Keys", "TableCheck", "check_table"]

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


class _BatchColumns:
    """:class:`k2data.rules.Columns` over the checked values of a batch."""

    def __init__(self, values: dict[str, Values], n: int) -> None:
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
        import pyarrow.compute as pc

        v = self.values[name]
        return to_bool(pc.equal(v.text, scalar(value))) & v.present


class _TableChecker(FieldChecks):
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
        raw_dialect = table.raw.get("dialect")
        self.dialect: dict[str, Any] = raw_dialect if isinstance(raw_dialect, dict) else {}

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
        values = arr.take(int64s(take)).to_pylist() if arr is not None else None
        self.report(rows[take], f.name, values, message, check)
        if len(idx) > len(take):
            self.found.dropped += len(idx) - len(take)

    # --- header -------------------------------------------------------------------------------

    def header(self, path: Path) -> list[str] | None:
        """The header row, or ``None`` after reporting why the table's rows cannot be checked."""
        dialect = self.dialect
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

        names = self.table.field_names
        ok = True
        bad = np_mask(bad_text(strings(labels))) if labels else np.zeros(0, dtype=bool)
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
        dialect = self.dialect
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

    def remember(self, f: FieldSpec, arr: pa.Array, rows: np.ndarray, todo: np.ndarray) -> None:
        import numpy as np

        sel = np.nonzero(todo)[0]
        if f.unique or f.name in self.table.primary_key:
            self.unique.setdefault(f.name, []).append((arr.take(int64s(sel)), rows[sel]))
        if f.name in self.offered:
            self.keys.offered.setdefault(f.name, []).append(arr.filter(booleans(todo)))
        if self.table.link(f.name) is not None:
            self.keys.needed.setdefault(f.name, []).append((arr.take(int64s(sel)), rows[sel]))

    def check_batch(self, batch: pa.RecordBatch, rows: np.ndarray) -> None:
        import numpy as np
        import pyarrow.compute as pc

        n = batch.num_rows
        empty = scalar("")
        empties = {f.name: np_mask(pc.equal(batch.column(i), empty)) for i, f in enumerate(self.table.fields)}
        blank = np.logical_and.reduce(list(empties.values())) if empties else np.zeros(n, dtype=bool)
        if blank.any():
            self.report(rows[blank], None, None, "blank row: every cell is empty; remove the line", "blank-row")
        keep = ~blank
        values: dict[str, Values] = {}
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
                values = pa.concat_arrays([p[0] for p in parts]) if parts else strings([])
                rows = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, dtype=np.int64)
            else:
                # a composite key: rows where every part is valid, the parts joined with a separator
                per = [dict(zip(np.concatenate([p[1] for p in self.unique[n]]).tolist(), pa.concat_arrays([p[0] for p in self.unique[n]]).to_pylist(), strict=True)) for n in names]
                common = sorted(set.intersection(*(set(d) for d in per)))
                rows = np.array(common, dtype=np.int64)
                values = strings(["\x1f".join(str(d[r]) for d in per) for r in common])
            if len(values) < 2:
                continue
            order = pc.sort_indices(pa.table({"v": values, "r": int64s(rows)}), sort_keys=[("v", "ascending"), ("r", "ascending")])
            sv = values.take(order)
            sr = rows[to_int64(order)]
            same = np_mask(pc.equal(sv.slice(1), sv.slice(0, len(sv) - 1)))
            dup = np.nonzero(same)[0] + 1
            if not len(dup):
                continue
            dup_rows = sr[dup]
            order2 = np.argsort(dup_rows, kind="stable")
            shown = [sv[int(i)].as_py().replace("\x1f", ",") for i in dup[order2]]
            what = "primary key" if names == pk else "value of a unique field"
            self.report(dup_rows[order2], label, shown, f"duplicate {what}: the same as an earlier row", "unique")


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
