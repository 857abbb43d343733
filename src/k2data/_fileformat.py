"""Byte-level checks of a CSV file that the structural checks let through.

k2data's files are UTF-8 without a byte-order mark, with LF line ends, and
every quoted cell is closed. The file is streamed line by line, so memory
stays bounded whatever its size.
"""

from __future__ import annotations

from pathlib import Path

from ._report import Problem

__all__ = ["file_format_problems"]

BOM = b"\xef\xbb\xbf"


def file_format_problems(path: Path, shown: str) -> list[Problem]:
    """Problems of the file at *path*, reported under the name *shown*.

    A file counts as header-only when no line after the first has content.
    """
    problems: list[Problem] = []
    size = path.stat().st_size
    if size == 0:
        return [Problem(shown, None, None, None, "file is empty; it needs at least the header row", "empty-file")]
    rows = 0
    crlf_seen = False
    utf8_seen = False
    open_quote_line: int | None = None
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, start=1):
            if number == 1 and line.startswith(BOM):
                problems.append(
                    Problem(shown, 1, None, None, "file starts with a UTF-8 byte-order mark; save it as UTF-8 without BOM", "bom")
                )
            if line.endswith(b"\r\n") and not crlf_seen:
                crlf_seen = True
                problems.append(
                    Problem(shown, number, None, None, "line ends with CRLF (Windows); k2data files use LF line ends", "line-ending")
                )
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                if not utf8_seen:
                    utf8_seen = True
                    bad = line[exc.start : exc.end].hex(" ")
                    problems.append(
                        Problem(shown, number, None, f"0x{bad}", f"invalid UTF-8 at byte {exc.start + 1} of the line", "encoding")
                    )
                text = line.decode("utf-8", errors="replace")
            if text.count('"') % 2 == 1:
                open_quote_line = number if open_quote_line is None else None
            if number > 1 and text.strip("\r\n") != "":
                rows += 1
    if open_quote_line is not None:
        problems.append(
            Problem(shown, open_quote_line, None, None, "a quoted cell opened on this line is never closed", "unbalanced-quote")
        )
    if rows == 0:
        problems.append(Problem(shown, None, None, None, "file has a header but no data rows", "no-rows"))
    return problems
