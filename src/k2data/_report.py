"""The validation report: a list of problems, each with file, row, field and value."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Problem", "ValidationReport"]


@dataclass(frozen=True, order=True)
class Problem:
    """One problem found by :func:`k2data.validate`.

    ``row`` is the row number as in the file (the header is row 1, the first
    data row is row 2); it is ``None`` for problems of a whole file or of the
    descriptor. ``field`` is ``None`` when the problem concerns a whole row.
    """

    file: str
    row: int | None
    field: str | None
    value: str | None
    message: str
    check: str = ""

    def sort_key(self) -> tuple[str, int, str]:
        """Key that orders problems by file, then row, then field."""
        return (self.file, -1 if self.row is None else self.row, self.field or "")

    def to_text(self) -> str:
        """One line for people: ``file:row: field='value': message``."""
        where = self.file if self.row is None else f"{self.file}:{self.row}"
        what = ""
        if self.field is not None:
            what = f" {self.field}"
            if self.value is not None:
                what += f"={self.value!r}"
            what += ":"
        return f"{where}:{what} {self.message}"


@dataclass
class ValidationReport:
    """What :func:`k2data.validate` found.

    Attributes
    ----------
    valid : bool
        ``True`` when no problem was found.
    problems : list of Problem
        Every problem found, sorted by file, row and field.
    datapackage : str
        The descriptor that was validated.
    """

    datapackage: str
    problems: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """Whether the package passed every check."""
        return not self.problems

    def __bool__(self) -> bool:
        return self.valid

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data (what ``--format json`` prints)."""
        return {
            "datapackage": self.datapackage,
            "valid": self.valid,
            "problem_count": len(self.problems),
            "problems": [asdict(p) for p in self.problems],
        }

    def to_json(self) -> str:
        """The report as a JSON document."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_text(self) -> str:
        """The report for people: one line per problem and a summary line."""
        if self.valid:
            return f"{self.datapackage}: valid"
        lines = [p.to_text() for p in self.problems]
        lines.append(f"{self.datapackage}: {len(self.problems)} problem(s) found")
        return "\n".join(lines)


def finalize(problems: list[Problem]) -> list[Problem]:
    """Drop repeated reports of the same cell and sort by file, row and field.

    The structural checks (frictionless) run first, so their message wins when
    the same cell is also caught by a Pandera column check.
    """
    seen: set[tuple[str, int | None, str | None, str]] = set()
    out = []
    for p in problems:
        key = (p.file, p.row, p.field, p.check if p.row is None else "")
        if key in seen:
            continue
        seen.add(key)
        out.append(p)
    return sorted(out, key=Problem.sort_key)
