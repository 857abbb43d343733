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
    datapackage : str
        The descriptor that was validated.
    problems : list of Problem
        The problems listed, sorted by file, row and field: all of them, or
        the first ``max_problems``.
    problem_count : int
        How many problems were found in all, listed or not.
    """

    datapackage: str
    all_problems: list[Problem] = field(default_factory=list, repr=False)
    problem_count: int | None = None
    max_problems: int | None = None

    def __post_init__(self) -> None:
        if self.problem_count is None:
            self.problem_count = len(self.all_problems)

    @property
    def problems(self) -> list[Problem]:
        """The problems listed (at most ``max_problems``)."""
        if self.max_problems is None:
            return self.all_problems
        return self.all_problems[: self.max_problems]

    @property
    def valid(self) -> bool:
        """Whether the package passed every check."""
        return self.problem_count == 0

    @property
    def not_listed(self) -> int:
        """Problems found but not listed because of the cap."""
        return int(self.problem_count or 0) - len(self.problems)

    def __bool__(self) -> bool:
        return self.valid

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data (what ``--format json`` prints)."""
        return {
            "datapackage": self.datapackage,
            "valid": self.valid,
            "problem_count": self.problem_count,
            "not_listed": self.not_listed,
            "problems": [asdict(p) for p in self.problems],
        }

    def to_json(self) -> str:
        """The report as a JSON document."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def summary(self) -> str:
        """One line: valid, or how many problems."""
        if self.valid:
            return f"{self.datapackage}: valid"
        more = f" ({self.not_listed} not listed; raise --max-problems to see them)" if self.not_listed else ""
        return f"{self.datapackage}: {self.problem_count} problem(s) found{more}"

    def to_text(self) -> str:
        """The report for people: one line per problem and a summary line."""
        return "\n".join([*(p.to_text() for p in self.problems), self.summary()])

    def to_github(self, root: str = "") -> str:
        """GitHub Actions workflow commands: one ``::error`` annotation per problem.

        *root* is the folder of the descriptor relative to the repository,
        so that each annotation lands on its file and line.
        """
        lines = []
        for p in self.problems:
            file = p.file if not root or root == "." else f"{root.rstrip('/')}/{p.file}"
            props = f"file={_gh_prop(file)}"
            if p.row is not None:
                props += f",line={p.row}"
            title = "k2data validate" + (f": {p.field}" if p.field else "")
            props += f",title={_gh_prop(title)}"
            what = f"{p.field}={p.value!r}: " if p.field is not None and p.value is not None else ""
            lines.append(f"::error {props}::{_gh_data(what + p.message)}")
        lines.append(self.summary())
        return "\n".join(lines)


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


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
