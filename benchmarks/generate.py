"""Packages to measure with: the bundled package scaled up, and the million-row package.

Run: ``python benchmarks/generate.py OUT --scale 100`` (or ``--million``).

``scaled(factor, out)`` writes every table of the bundled package *factor*
times over (copy 0 is the bundled rows as they are), so every table has
exactly *factor* times its rows and the package stays valid:

- key values (primary keys and unique fields) get a suffix per copy that keeps
  them within their pattern where it can (``trial_x`` becomes ``trial_x_s1``,
  ``VKORC1`` becomes ``VKORC1-S1``); an integer key is shifted by 1,000 per
  copy (level ``3`` becomes ``1003``, ``2003``, ...). Where a suffix
  falls outside the declared pattern or maximum (``claims.claim_id`` is
  ``C`` and two or three digits; ``evidence_levels.level`` is at most 5), the
  scaled descriptor widens that one constraint;
- a key that is also a foreign key (``risk_of_bias.trial_id``) is renamed
  the same way as its target, so it still resolves; every other link is left
  as it is and resolves to the rows of copy 0;
- the checksum and size of every file are recorded again.

``million(out)`` writes the one-table package of 1,000,000 rows in three
columns with three planted defects; ``tests/test_validation.py`` validates it too.
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from k2data._files import sha256_file
from k2data._package import bundled_descriptor_path

__all__ = ["MILLION_DEFECTS", "MILLION_PLACES", "MILLION_ROWS", "million", "scaled"]

MILLION_ROWS = 1_000_000
#: The planted defects of the million-row package (data row index -> line) ...
MILLION_DEFECTS = {10: "G10,1.5,x", 500_000: "G500000,0.5,=cmd()", 999_999: "g999999,0.1,x"}
#: ... and where each must be reported: (row in the file, field).
MILLION_PLACES = [(11, "score"), (500_001, "note"), (1_000_000, "gene_id")]

MILLION_DESCRIPTOR: dict[str, Any] = {
    "name": "big",
    "resources": [
        {
            "name": "genes", "path": "data/genes.csv", "type": "table", "format": "csv", "encoding": "utf-8",
            "schema": {
                "fields": [
                    {"name": "gene_id", "type": "string", "constraints": {"required": True, "unique": True, "pattern": "^G[0-9]+$"}},
                    {"name": "score", "type": "number", "constraints": {"minimum": 0, "maximum": 1}},
                    {"name": "note", "type": "string"},
                ],
                "primaryKey": ["gene_id"],
            },
        }
    ],
}  # fmt: skip


def million(out: Path, rows: int = MILLION_ROWS) -> Path:
    """Write the million-row package (or a smaller one of *rows*) into *out*; return its descriptor."""
    (out / "data").mkdir(parents=True, exist_ok=True)
    descriptor = out / "datapackage.json"
    descriptor.write_text(json.dumps(MILLION_DESCRIPTOR), encoding="utf-8")
    bad = {i: line for i, line in MILLION_DEFECTS.items() if i <= rows}
    with open(out / "data" / "genes.csv", "w", encoding="utf-8", newline="") as fh:
        fh.write("gene_id,score,note\n")
        fh.writelines(f"{bad.get(i, f'G{i},0.5,x')}\n" for i in range(1, rows + 1))
    return descriptor


def _key_fields(raw: dict[str, Any]) -> dict[str, set[str]]:
    """The fields of each table whose values must stay unique across copies."""
    keys: dict[str, set[str]] = {}
    for res in raw["resources"]:
        schema = res["schema"]
        names = set(schema.get("primaryKey") or [])
        names |= {f["name"] for f in schema["fields"] if f.get("constraints", {}).get("unique")}
        keys[res["name"]] = names
    return keys


def _renamer(field: dict[str, Any]) -> Callable[[str, int], str]:
    """How a key value of copy *k* is written."""
    if field["type"] in ("integer", "year"):
        return lambda v, k: str(int(v) + k * 1000) if v else v
    return lambda v, k: (f"{v}-S{k}" if re.fullmatch(r"[A-Z0-9-]+", v) else f"{v}_s{k}") if v else v


def _fits(field: dict[str, Any], value: str) -> bool:
    """Whether *value* is within the field's pattern and maximum."""
    c = field.get("constraints", {})
    if "pattern" in c and not re.fullmatch(c["pattern"].removeprefix("^").removesuffix("$"), value):
        return False
    return "maximum" not in c or float(value) <= c["maximum"]


def _widen(field: dict[str, Any], factor: int) -> None:
    """Widen a key field's pattern or maximum so that the renamed values of every copy fit."""
    c = field.get("constraints", {})
    if "pattern" in c:
        core = c["pattern"].removeprefix("^").removesuffix("$")
        c["pattern"] = f"^(?:{core})(?:-S[0-9]+|_s[0-9]+)?$"
    if "maximum" in c:
        c["maximum"] = c["maximum"] + factor * 1000


def scaled(factor: int, out: Path) -> Path:
    """Write the bundled package with every table *factor* times over into *out*; return its descriptor."""
    source = bundled_descriptor_path()
    raw = json.loads(source.read_text(encoding="utf-8"))
    scaled_raw = copy.deepcopy(raw)
    keys = _key_fields(raw)
    key_of_any = {n for names in keys.values() for n in names}
    for res, new in zip(raw["resources"], scaled_raw["resources"], strict=True):
        fields = {f["name"]: f for f in res["schema"]["fields"]}
        # a key field, or a scalar foreign key onto one of the same name (risk_of_bias.trial_id onto trials)
        renamed = {n: _renamer(fields[n]) for n in keys[res["name"]]}
        with open(source.parent / res["path"], encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        header, body = rows[0], rows[1:]
        for f in new["schema"]["fields"]:
            if f["name"] in renamed and factor > 1:
                last = [renamed[f["name"]](row[header.index(f["name"])], factor - 1) for row in body]
                if not all(_fits(f, v) for v in last if v):
                    _widen(f, factor)
        cols = [(i, renamed[name]) for i, name in enumerate(header) if name in renamed and name in key_of_any]
        target = out / res["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(body)
            for k in range(1, factor):
                for row in body:
                    row = list(row)
                    for i, rename in cols:
                        row[i] = rename(row[i], k)
                    writer.writerow(row)
        new["hash"] = f"sha256:{sha256_file(target)}"
        new["bytes"] = target.stat().st_size
    descriptor = out / "datapackage.json"
    descriptor.write_text(json.dumps(scaled_raw, indent=2) + "\n", encoding="utf-8")
    return descriptor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--scale", type=int, help="write the bundled package this many times over")
    group.add_argument("--million", action="store_true", help="write the million-row package")
    args = parser.parse_args()
    descriptor = million(args.out) if args.million else scaled(args.scale, args.out)
    print(descriptor)


if __name__ == "__main__":
    main()
