"""Byte-level checks of a CSV file, and its sha256, in one bounded pass.

k2data's files are UTF-8 without a byte-order mark, with LF line ends, and
every quoted cell is closed. The file is read in 1 MiB blocks with C-speed
checks on each block; only when a block holds a problem is its line found
(a slow pass over that block alone), so a clean file of any size costs one
read and memory stays bounded.
"""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from .report import Problem

__all__ = ["BOM", "ByteScan", "scan"]

BOM = b"\xef\xbb\xbf"
_BLOCK = 1 << 20


@dataclass
class ByteScan:
    """What one pass over a file found: its problems, sha256, size and whether it can be parsed."""

    problems: list[Problem] = field(default_factory=list)
    sha256: str = ""
    size: int = 0
    lines: int = 0
    parsable: bool = True


def _line_of(data: bytes, pos: int, before: int) -> int:
    return before + data.count(b"\n", 0, pos) + 1


def scan(path: Path, shown: str) -> ByteScan:
    """Check the bytes of the file at *path*, reported under the name *shown*."""
    out = ByteScan()
    h = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    quotes = 0
    newlines = 0
    crlf = False
    bad_utf8 = False
    last = b""
    with open(path, "rb") as fh:
        while True:
            block = fh.read(_BLOCK)
            if not block:
                break
            h.update(block)
            out.size += len(block)
            if out.size == len(block) and block.startswith(BOM):
                out.problems.append(
                    Problem.make(shown, 1, None, None, "file starts with a UTF-8 byte-order mark; save it as UTF-8 without BOM", "bom")
                )
            if not crlf:
                pos = block.find(b"\r\n")
                if pos < 0 and last == b"\r" and block.startswith(b"\n"):
                    pos = 0
                if pos >= 0:
                    crlf = True
                    out.problems.append(
                        Problem.make(shown, _line_of(block, pos, newlines), None, None, "line ends with CRLF (Windows); k2data files use LF line ends", "line-ending")
                    )
            if not bad_utf8:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    bad_utf8 = True
                    out.parsable = False
                    # the position is within what the decoder held: this block, or a few bytes of the last
                    pos = max(exc.start - (len(exc.object) - len(block)), 0)
                    line = _line_of(block, pos, newlines)
                    start = block.rfind(b"\n", 0, pos) + 1
                    bad = exc.object[exc.start : exc.end].hex(" ")
                    out.problems.append(
                        Problem.make(shown, line, None, f"0x{bad}", f"invalid UTF-8 at byte {pos - start + 1} of the line", "encoding")
                    )
            quotes += block.count(b'"')
            newlines += block.count(b"\n")
            last = block[-1:]
    if not bad_utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            out.parsable = False
            out.problems.append(Problem.make(shown, newlines + 1, None, None, "the file ends in the middle of a UTF-8 character", "encoding"))
    out.sha256 = h.hexdigest()
    out.lines = newlines + (0 if last in (b"", b"\n") else 1)
    if out.size == 0:
        out.parsable = False
        out.problems.append(Problem.make(shown, None, None, None, "file is empty; it needs at least the header row", "empty-file"))
    elif quotes % 2:
        out.parsable = False
        out.problems.append(Problem.make(shown, _open_quote_line(path), None, None, "a quoted cell opened on this line is never closed", "unbalanced-quote"))
    return out


def _open_quote_line(path: Path) -> int | None:
    """The line on which the quote that is never closed opens (a slow pass, only when one is unbalanced)."""
    open_line: int | None = None
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, start=1):
            if line.count(b'"') % 2 == 1:
                open_line = number if open_line is None else None
    return open_line
