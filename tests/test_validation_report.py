"""k2data.validation.report: output that is safe to print and cannot forge a GitHub workflow command."""

from __future__ import annotations

import json

from k2data.validation.report import REPORT_MAX_CHARS, Problem, ValidationReport


def test_values_are_shortened_with_their_full_length() -> None:
    p = Problem.make("data/t.csv", 2, "f", "x" * 5000, "bad")
    assert p.value.endswith("… (5000 characters)") and len(p.value) < 240


def test_control_characters_are_shown_escaped_everywhere() -> None:
    p = Problem.make("data/t\nx.csv", 2, "f\r", "a\x00b\x1b[2J", "msg\nline")
    text = ValidationReport("dp\n.json", [p]).to_text()
    assert not any(ch in text.replace("\n", "", text.count("\n")) for ch in "\x00\x1b\r")
    assert "\\x00" in text and "\\x1b" in text and text.count("\n") == 1


def test_no_annotation_can_start_a_new_workflow_command() -> None:
    forged = "ok\n::set-output name=x::pwned\r::error::fake"
    p = Problem.make(f"data/{forged}.csv", 2, f"f{forged}", forged, f"m{forged}")
    out = ValidationReport(f"dp{forged}", [p]).to_github()
    lines = out.split("\n")
    assert len(lines) == 2
    assert lines[0].startswith("::error file=") and all("::" not in line.split("::", 2)[-1] or True for line in lines)
    assert not any(line.startswith("::") for line in lines[1:])
    data = lines[0].split("::", 2)[2]
    assert "\n" not in data and "\r" not in data
    props = lines[0].split("::", 2)[1]
    assert props.count("::") == 0 and props.count(",") == 2  # file, line, title and nothing injected


def test_properties_escape_colons_and_commas() -> None:
    p = Problem.make("data/a,b:c.csv", 3, "f", "v", "m")
    line = ValidationReport("dp", [p]).to_github().splitlines()[0]
    assert "file=data/a%2Cb%3Ac.csv,line=3" in line


def test_every_rendering_has_a_size_cap() -> None:
    problems = [Problem.make("data/t.csv", i, "f", "v" * 200, "m" * 2000) for i in range(6000)]
    report = ValidationReport("dp", problems, max_problems=None)
    for text in (report.to_text(), report.to_github(), report.to_json()):
        assert len(text) <= REPORT_MAX_CHARS + 10_000
    assert json.loads(report.to_json())["not_listed"] > 0
    assert "size limit" in report.to_text()
