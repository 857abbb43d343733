"""Links across tables: every foreign key and every item of a list reference, checked by set membership.

Each table's check collects the values its key columns offer and the values
its links need (see :mod:`.table`); here each link's values are looked up in
its target's keys, over whole columns at once. A link whose target table
could not be read is not checked (its problems are already reported), so one
broken table does not cascade into thousands of problems elsewhere.
"""

from __future__ import annotations

from .._arrow import strings, to_bool, to_int64
from .._package import PackageSpec
from .limits import Collector
from .report import Problem
from .table import TableCheck

__all__ = ["check_links"]


def check_links(pkg: PackageSpec, checks: dict[str, TableCheck], found: Collector) -> None:
    """Report every link value that its target table does not have."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    for table in pkg.tables:
        source = checks.get(table.name)
        if source is None or not source.readable:
            continue
        for link in table.links:
            target = checks.get(link.target)
            parts = source.keys.needed.get(link.field, [])
            if target is None or not target.readable or not parts:
                continue
            offered = target.keys.offered.get(link.target_field, [])
            known = pc.unique(pa.concat_arrays(offered)) if offered else strings([])
            values = pa.concat_arrays([p[0] for p in parts])
            rows = np.concatenate([p[1] for p in parts])
            if link.is_list:
                f = table.field(link.field)
                split = pc.split_pattern(values, pattern=f.delimiter)
                items = pc.list_flatten(split)
                parents = to_int64(pc.list_parent_indices(split))
                missing = ~to_bool(pc.is_in(items, value_set=known))
                if not missing.any():
                    continue
                bad_rows = np.unique(parents[missing])
                item_list = items.to_pylist()
                per_row: dict[int, list[str]] = {}
                for i in np.nonzero(missing)[0]:
                    per_row.setdefault(int(parents[i]), []).append(item_list[i])
                for r in bad_rows[: max(found.room, 0)]:
                    names = ", ".join(repr(m) for m in per_row[int(r)][:5])
                    found.add(Problem.make(
                        table.path, int(rows[r]), link.field, values[int(r)].as_py(),
                        f"{names} {'is' if len(per_row[int(r)]) == 1 else 'are'} not in {link.dotted}", "foreign-key",
                    ))  # fmt: skip
                found.dropped += max(len(bad_rows) - found.room, 0)
            else:
                missing = ~to_bool(pc.is_in(values, value_set=known))
                idx = np.nonzero(missing)[0]
                for i in idx[: max(found.room, 0)]:
                    v = values[int(i)].as_py()
                    found.add(Problem.make(table.path, int(rows[i]), link.field, v, f"{v!r} is not in {link.dotted}", "foreign-key"))
                found.dropped += max(len(idx) - found.room, 0)
