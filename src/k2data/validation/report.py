"""The validation report: a list of problems, each with file, row, field, value and message.

Output is safe whatever the input: values are shortened to about 200
characters (with a note of the full length), control characters and escape
sequences are shown escaped, GitHub annotations escape their data and
properties as the workflow-command rules require (so no input can start a new
command), and every rendering has a total size cap.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .._package.paths import shown

__all__ = ["REPORT_MAX_CHARS", "VALUE_MAX_CHARS", "Problem", "ValidationReport", "finalize"]

#: Characters of a value shown in a message; longer values are shortened with a note of their length.
VALUE_MAX_CHARS = 200
#: Largest rendering of a report, in characters; the rest is counted, not printed.
REPORT_MAX_CHARS = 8 * 1024 * 1024


@dataclass(frozen=True, order=True)
class Problem:
    """One problem found by :func:`k2data.validate`.

    ``row`` is the row number as in the file (the header is row 1, the first
    data row is row 2); it is ``None`` for problems of a whole file or of the
    descriptor. ``field`` is ``None`` when the problem concerns a whole row.
    ``value`` is already made safe to print (see :func:`~k2data._package.paths.shown`).
    """

    file: str
    row: int | None
    field: str | None
    value: str | None
    message: str
    check: str = ""

    @classmethod
    def make(
        cls, file: str, row: int | None, field: str | None, value: object, message: str, check: str = ""
    ) -> Problem:
        """A problem whose file, field, value and message are made safe to print."""
        return cls(
            shown(file, 400),
            row,
            None if field is None else shown(field, 120),
            None if value is None else shown(value, VALUE_MAX_CHARS),
            shown(message, 2000),
            check,
        )

    def sort_key(self) -> tuple[str, int, str]:
        """Key that orders problems by file, then row, then field."""
        return (self.file, -1 if self.row is None else self.row, self.field or "")

    def to_text(self) -> str:
        """One line for people: ``file:row: field='value': message``."""
        if self.row is None and self.field is None and self.message.startswith(f"{self.file} "):
            return self.message  # the message names its file already
        where = self.file if self.row is None else f"{self.file}:{self.row}"
        what = ""
        if self.field is not None:
            what = f" {self.field}"
            if self.value is not None:
                what += f"={self.value!r}"
            what += ":"
        return f"{where}:{what} {self.message}"


def _capped(lines: list[str], more: int, total_more: str) -> list[str]:
    out: list[str] = []
    size = 0
    for n, line in enumerate(lines):
        size += len(line) + 1
        if size > REPORT_MAX_CHARS:
            out.append(f"... {len(lines) - n + more} more problem(s) not shown: the report reached its size limit{total_more}")
            return out
        out.append(line)
    return out


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
    stopped : str or None
        Why validation stopped before the end (a limit was reached), if it did.
    """

    datapackage: str
    all_problems: list[Problem] = field(default_factory=list, repr=False)
    problem_count: int | None = None
    max_problems: int | None = None
    stopped: str | None = None

    def __post_init__(self) -> None:
        self.datapackage = shown(self.datapackage, 400)
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
        out: dict[str, Any] = {
            "datapackage": self.datapackage,
            "valid": self.valid,
            "problem_count": self.problem_count,
            "not_listed": self.not_listed,
            "problems": [vars(p).copy() for p in self.problems],
        }
        if self.stopped:
            out["stopped"] = self.stopped
        return out

    def to_json(self) -> str:
        """The report as a JSON document (capped like the other renderings)."""
        data = self.to_dict()
        text = json.dumps(data, indent=2, ensure_ascii=False)
        while len(text) > REPORT_MAX_CHARS and data["problems"]:
            keep = max(len(data["problems"]) // 2, 0)
            data["not_listed"] += len(data["problems"]) - keep
            data["problems"] = data["problems"][:keep]
            text = json.dumps(data, indent=2, ensure_ascii=False)
        return text

    def summary(self) -> str:
        """One line: valid, or how many problems."""
        if self.valid:
            return f"{self.datapackage}: valid"
        more = f" ({self.not_listed} not listed; raise --max-problems to see them)" if self.not_listed else ""
        stop = f"; {self.stopped}" if self.stopped else ""
        return f"{self.datapackage}: {self.problem_count} problem(s) found{more}{stop}"

    def to_text(self) -> str:
        """The report for people: one line per problem and a summary line."""
        lines = _capped([p.to_text() for p in self.problems], self.not_listed, "")
        return "\n".join([*lines, self.summary()])

    def to_github(self, root: str = "") -> str:
        """GitHub Actions workflow commands: one ``::error`` annotation per problem.

        *root* is the folder of the descriptor relative to the repository,
        so that each annotation lands on its file and line. Data and
        properties are escaped as GitHub requires, so no value can end the
        command or start another.
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
        lines = _capped(lines, self.not_listed, "")
        return "\n".join([*lines, _gh_data(self.summary())])


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def finalize(problems: list[Problem]) -> list[Problem]:
    """Drop repeated reports of the same cell and sort by file, row and field."""
    seen: set[tuple[str, int | None, str | None, str]] = set()
    out = []
    for p in problems:
        key = (p.file, p.row, p.field, p.check if p.row is None else "")
        if key in seen:
            continue
        seen.add(key)
        out.append(p)
    return sorted(out, key=Problem.sort_key)
