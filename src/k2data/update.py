"""Bring the derived parts of a package up to date after a hand edit of its data."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from .validate import resolve_descriptor, unsafe_path_reason

__all__ = ["sha256_of", "update_hashes", "write_json_atomic"]


def sha256_of(path: Path) -> str:
    """The sha256 hex digest of the file at *path*."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_json_atomic(path: Path, data: object) -> None:
    """Write *data* as indented UTF-8 JSON to *path*, replacing it only when complete."""
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def update_hashes(datapackage: str | Path | None = None) -> list[str]:
    """Recompute each resource's ``sha256`` hash and ``bytes`` in the descriptor.

    Returns the names of the resources whose hash changed. Resources with an
    unsafe or missing path are left alone (``k2data validate`` reports them).
    """
    path = resolve_descriptor(datapackage)
    raw = json.loads(path.read_text(encoding="utf-8"))
    changed = []
    for res in raw.get("resources", []):
        rel = str(res.get("path", ""))
        file = path.parent / rel
        if unsafe_path_reason(rel) is not None or not file.is_file():
            continue
        new = f"sha256:{sha256_of(file)}"
        size = file.stat().st_size
        if res.get("hash") != new or res.get("bytes") != size:
            changed.append(str(res.get("name")))
        res["hash"] = new
        res["bytes"] = size
    if changed:
        write_json_atomic(path, raw)
    return changed
