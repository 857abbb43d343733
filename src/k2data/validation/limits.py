"""Limits that keep validation bounded in time, memory and output, whatever the package.

The defaults are far above any real package; each can be raised with the
command-line flag named here. A package past a limit is refused early, with a
problem that names the limit and the flag.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FLAGS", "Collector", "Limits"]


@dataclass(frozen=True)
class Limits:
    """How much one validation may read and report.

    Attributes
    ----------
    max_columns : int
        Columns per table (declared in the descriptor, or found in a header).
    max_cell_bytes : int
        Bytes in one cell.
    max_file_bytes : int
        Bytes in one data file.
    max_rows : int
        Data rows in one table.
    stop_after : int
        Problems found in one package before validation stops.
    """

    max_columns: int = 1_000
    max_cell_bytes: int = 1 << 20
    max_file_bytes: int = 4 << 30
    max_rows: int = 100_000_000
    stop_after: int = 100_000


#: The command-line flag that raises each limit.
FLAGS = {
    "max_columns": "--max-columns",
    "max_cell_bytes": "--max-cell-bytes",
    "max_file_bytes": "--max-file-bytes",
    "max_rows": "--max-rows",
    "stop_after": "--stop-after",
}


class Collector:
    """Keeps the problems found, up to the ``stop_after`` limit, and counts what it cannot keep."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.kept: list = []
        self.dropped = 0

    @property
    def room(self) -> int:
        """How many more problems may be kept."""
        return max(self.limit - len(self.kept), 0)

    @property
    def full(self) -> bool:
        """Whether the limit is reached (validation stops)."""
        return len(self.kept) >= self.limit

    def add(self, problem: object) -> None:
        """Keep *problem*, or count it if the limit is reached."""
        if len(self.kept) < self.limit:
            self.kept.append(problem)
        else:
            self.dropped += 1

    def extend(self, problems: list) -> None:
        """Keep each of *problems* (see :meth:`add`)."""
        room = self.room
        self.kept.extend(problems[:room])
        self.dropped += max(len(problems) - room, 0)
