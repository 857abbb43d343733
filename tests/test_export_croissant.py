"""k2data.export.croissant: Croissant 1.1 metadata that mlcroissant validates and reads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import row_key as _key
from conftest import sha256 as _sha256
from k2data._package import open_package as package_spec

PKG = package_spec()
TABLES = list(PKG.table_names)



# --- Croissant ----------------------------------------------------------------------------------


def test_mlcroissant_validate_accepts_croissant_json(release) -> None:
    cli = Path(sys.executable).parent / "mlcroissant"
    out = subprocess.run(
        [str(cli), "validate", "--jsonld", str(release / "croissant.json")], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "error" not in (out.stdout + out.stderr).lower()


@pytest.mark.slow
def test_mlcroissant_reads_every_record_set(release, sorted_frames) -> None:
    import mlcroissant as mlc

    dataset = mlc.Dataset(str(release / "croissant.json"))
    assert not dataset.metadata.issues.errors
    assert not dataset.metadata.issues.warnings
    for name in TABLES:
        table = PKG.table(name)
        # a fresh Dataset per record set: mlcroissant 1.1.1 caches a read record set as a spent
        # generator, which breaks a later record set that joins it through a reference
        records = list(mlc.Dataset(str(release / "croissant.json")).records(name))
        assert len(records) == len(sorted_frames[name]), name
        got = [tuple(_text(r[f"{name}/{k}"]) for k in table.primary_key) for r in records]
        assert got == [_key(name, row) for row in sorted_frames[name].to_dict("records")], name


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def test_croissant_describes_files_keys_and_references(release) -> None:
    doc = json.loads((release / "croissant.json").read_text(encoding="utf-8"))
    assert doc["conformsTo"] == "http://mlcommons.org/croissant/1.1"
    files = {d["@id"]: d for d in doc["distribution"]}
    for rel, d in files.items():
        assert d["@type"] == "cr:FileObject"
        assert d["sha256"] == _sha256(release / d["contentUrl"]), rel
    sets = {rs["@id"]: rs for rs in doc["recordSet"]}
    assert list(sets) == TABLES
    for table in PKG.tables:
        rs = sets[table.name]
        assert rs["key"] == {"@id": f"{table.name}/{table.primary_key[0]}"}
        fields = {f["name"]: f for f in rs["field"]}
        assert list(fields) == table.field_names
        for f in table.fields:
            assert fields[f.name]["source"]["fileObject"]["@id"] == f"parquet/{table.name}.parquet"
            assert fields[f.name].get("isArray", False) == f.is_list
        for fk in table.foreign_keys:
            assert fields[fk.fields[0]]["references"] == {"field": {"@id": f"{fk.resource}/{fk.ref_fields[0]}"}}
        for f in table.fields:
            if f.list_reference:  # mlcroissant cannot join on arrays: the description says it
                assert "references" not in fields[f.name]
                assert f"Each item is a {f.list_reference[0]}.{f.list_reference[1]}." in fields[f.name]["description"]
