"""File helpers shared by every writer and checker: one sha256, one atomic text write.

Standard library only, so any layer may import it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

__all__ = ["sha256_file", "write_text_atomic"]


def sha256_file(path: Path) -> str:
    """The sha256 hex digest of the file at *path*, read in 1 MiB chunks.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as d:
    ...     empty = Path(d) / "empty.txt"
    ...     _ = empty.write_bytes(b"")
    ...     sha256_file(empty)[:16]
    'e3b0c44298fc1c14'
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_text_atomic(path: Path, text: str) -> None:
    """Write *text* as UTF-8 with LF line ends to *path*, replacing it only when complete.

    The text goes to a temporary file beside *path* that is renamed over it,
    so a failure leaves the old file as it was; an existing file keeps its
    permissions.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as d:
    ...     target = Path(d) / "notes" / "a.txt"
    ...     write_text_atomic(target, "one\\n")
    ...     target.read_text(encoding="utf-8")
    'one\\n'
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
