"""Plain-text tables for a terminal: ``k2data describe TABLE``.

Examples
--------
>>> from k2data.docgen.terminal import describe_text
>>> print(describe_text("evidence_levels", width=80).splitlines()[0])
evidence_levels: Evidence levels
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

from .._package import PackageSpec, open_package
from ..describe import field_rows, row_counts
from .dictionary import constraints_text

__all__ = ["describe_text", "text_table"]


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for para in text.split("\n"):
        lines += textwrap.wrap(para, width=width, break_long_words=True, break_on_hyphens=False) or [""]
    return lines


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[int]) -> str:
    """Lay out *rows* under *headers* as an aligned plain-text table.

    Each cell is wrapped to its column's width (a newline in a cell starts a
    new paragraph); a row takes as many lines as its tallest cell. Columns are separated by two spaces and the header is
    underlined.

    Examples
    --------
    >>> print(text_table(["a", "b"], [["x", "one two three"]], [3, 7]))
    a    b
    ---  -------
    x    one two
         three
    """
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        cells = [_wrap(str(c), w) for c, w in zip(row, widths, strict=True)]
        for i in range(max(len(c) for c in cells)):
            parts = [(c[i] if i < len(c) else "").ljust(w) for c, w in zip(cells, widths, strict=True)]
            lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def describe_text(
    name: str, *, width: int = 100, datapackage: str | Path | None = None, pkg: PackageSpec | None = None
) -> str:
    """Describe table *name* as text for a terminal *width* characters wide.

    A heading (name, title, description, file, rows, primary key), then one
    row per field: name (``*`` marks a required field), type, unit and the
    description, followed in the same column by the allowed values, the
    table.field a value must exist in (``->``) and other constraints.

    Examples
    --------
    >>> from k2data.docgen.terminal import describe_text
    >>> text = describe_text("evidence_levels", width=80)
    >>> print(text.splitlines()[0])
    evidence_levels: Evidence levels
    >>> "level *" in text
    True
    """
    spec = pkg if pkg is not None else open_package(datapackage)
    table = spec.table(name)
    rows = row_counts(pkg=spec)[table.name]
    width = max(width, 60)
    head = [f"{table.name}: {table.title}", *_wrap(" ".join(table.description.split()), width)]
    facts = f"file {table.path}, {rows} {'row' if rows == 1 else 'rows'}"
    if table.primary_key:
        facts += f", primary key {', '.join(table.primary_key)}"
    head += [*_wrap(facts, width), ""]

    recs = field_rows(table)
    names = [r["field"] + (" *" if r["required"] else "") for r in recs]
    w_field = min(max(len(s) for s in [*names, "field"]), 28)
    w_type = min(max(len(r["type"]) for r in [*recs, {"type": "type"}]), 16)
    w_unit = min(max(len(r["unit"]) for r in [*recs, {"unit": "unit"}]), 12)
    w_desc = max(width - (w_field + w_type + w_unit + 6), 30)  # three separators of two spaces
    body = []
    for rec, name_ in zip(recs, names, strict=True):
        desc = [rec["description"]]
        if rec["allowed_values"]:
            desc.append("allowed: " + ", ".join(rec["allowed_values"]))
        if rec["references"]:
            desc.append(f"-> {rec['references']}")
        cons = "; ".join(
            c for c in constraints_text(table.field(rec["field"])).split("; ") if c not in ("required", "")
        )
        if cons:
            desc.append(f"[{cons}]")
        body.append([name_, rec["type"], rec["unit"], "\n".join(desc)])
    tbl = text_table(["field", "type", "unit", "description"], body, [w_field, w_type, w_unit, w_desc])
    foot = "* required.   -> the table.field a value must exist in.   [constraints]"
    return "\n".join([*head, tbl, "", foot])
