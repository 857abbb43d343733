"""k2data.validation.bytes: encoding, line ends, quotes and checksums, found in one bounded pass."""

from __future__ import annotations

import pytest

BYTE_DEFECTS = {
    "empty-file": (lambda b: b"", (None, "empty-file")),
    "header-only": (lambda b: b.split(b"\n", 1)[0] + b"\n", (None, "no-rows")),
    "byte-order-mark": (lambda b: b"\xef\xbb\xbf" + b, (1, "bom")),
    "crlf-line-ends": (lambda b: b.replace(b"\n", b"\r\n"), (1, "line-ending")),
    "invalid-utf8": (lambda b: b.replace(b"\n", b"\n\xff\xfe", 3).replace(b"\n\xff\xfe", b"\n", 2), (4, "encoding")),
    "unbalanced-quote": (lambda b: b.replace(b"\n", b'\n"', 2).replace(b'\n"', b"\n", 1), (3, "unbalanced-quote")),
}


@pytest.mark.parametrize("defect", list(BYTE_DEFECTS))
def test_byte_level_defects_are_located(mini, defect) -> None:
    change, (row, check) = BYTE_DEFECTS[defect]
    pkg = mini("genes")
    pkg.write_bytes("genes", change(pkg.path("genes").read_bytes()))
    report = pkg.validate()
    assert ("data/genes.csv", row, check) in {(p.file, p.row, p.check) for p in report.problems}, report.to_text()


def test_a_file_edited_after_its_checksum_was_recorded_says_how_to_fix_it(mini) -> None:
    pkg = mini("claims")
    pkg.set("claims", 2, "explanation", "Changed by hand.", rehash=False)
    (problem,) = pkg.validate().problems
    assert problem.message == "data/claims.csv changed since its checksum was recorded: run `k2data update`"
    assert problem.to_text() == problem.message
    assert "hash count" not in problem.message


def test_invalid_utf8_beyond_the_first_block_is_found_on_its_line(mini) -> None:
    pkg = mini("genes")
    rows = pkg.path("genes").read_bytes()
    filler = b"".join(b"G%06d,,Filler gene,\n" % i for i in range(80_000))  # about 1.6 MB
    pkg.write_bytes("genes", rows + filler + b"BAD1,,Bad \xff name,\n")
    report = pkg.validate()
    line = rows.count(b"\n") + 80_000 + 1
    assert ("data/genes.csv", line, "encoding") in {(p.file, p.row, p.check) for p in report.problems}
