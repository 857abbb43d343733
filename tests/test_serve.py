"""`k2data serve`: Datasette metadata from the package model, the canned queries, and the real server.

The slow tests start `k2data serve` in a subprocess on a free port of
127.0.0.1, read its JSON API and drive Debian's chromium (headless, through
Playwright, never a downloaded browser) over a table page, a full-text
search and two canned queries. `pytest --update-screenshots -m slow
tests/test_serve.py` also writes the table page's screenshot to
docs/img/datasette.png.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

import k2data
from k2data._package import open_package
from k2data.cli import main
from k2data.query import connect, run
from k2data.serve import CANNED, DATABASE, free_port, metadata

PKG = open_package()
NOTICE = "Educational material, not medical advice."
CHROMIUM = "/usr/bin/chromium"
SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "img" / "datasette.png"
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip


# --- metadata and canned queries (quick) ---------------------------------------------------------


def test_metadata_comes_from_the_package_model() -> None:
    meta = metadata(PKG)
    assert meta["title"] == PKG.title
    assert meta["license"] == "CC-BY-4.0" and meta["license_url"] == PKG.licenses[0].path
    assert meta["source_url"] == PKG.homepage and PKG.version in meta["source"]
    assert NOTICE in meta["description_html"]
    tables = meta["databases"][DATABASE]["tables"]
    for t in PKG.tables:
        assert tables[t.name]["title"] == t.title and tables[t.name]["description"] == t.description
        for f in t.fields:
            text = tables[t.name]["columns"][f.name]
            assert text.startswith(f.description) and (f"(unit: {f.unit})" in text) == bool(f.unit)
    assert tables["trials"]["columns"]["dose_min_mg_d"].endswith("(unit: mg/d)")
    assert tables["evidence"]["columns"]["estimate"] and tables["claims__reference_ids"]["hidden"]
    assert set(meta["databases"][DATABASE]["queries"]) == {q.name for q in CANNED}


def test_canned_queries_need_their_tables(mini) -> None:
    small = open_package(mini("claims").descriptor)
    queries = metadata(small)["databases"][DATABASE]["queries"]
    assert set(queries) == {"contradicted_claims"}


@pytest.fixture(scope="module")
def con(release):
    c = connect(release / "k2data.sqlite")
    yield c
    c.close()


def test_the_canned_queries_answer_their_questions(con) -> None:
    sql = {q.name: q.sql for q in CANNED}
    claims = k2data.load("claims")
    contradicted = run(con, sql["contradicted_claims"], limit=1000)
    assert [r[0] for r in contradicted.rows] == sorted(claims.loc[claims["verdict"] == "diverges", "claim_id"])
    trials = k2data.load("trials").set_index("trial_id")
    hcc = [r[0] for r in run(con, sql["randomised_k2_hcc_trials"], limit=1000).rows]
    assert hcc and "yoshida2011" in hcc
    for trial in hcc:
        assert trials.at[trial, "randomized"] and trials.at[trial, "cancer_type_id"] == "hcc"
        assert "mk4" in trials.at[trial, "agent_ids"] or "mk7" in trials.at[trial, "agent_ids"]
    study = run(con, sql["study"], {"study": "yoshida2011"}, limit=1000)
    parts = {r[0] for r in study.rows}
    assert {"study", "result", "reference", "risk of bias (RoB 2)"} <= parts
    assert sum(r[0] == "result" for r in study.rows) == int((k2data.load("outcomes")["trial_id"] == "yoshida2011").sum())
    cohort = k2data.load("cohorts")["cohort_id"].iloc[0]
    assert {"study", "result", "reference"} <= {r[0] for r in run(con, sql["study"], {"study": cohort}, limit=1000).rows}


def test_serve_without_datasette_says_how_to_install_it(runner, monkeypatch) -> None:
    monkeypatch.setattr("k2data.serve.available", lambda: False)
    result = runner.invoke(main, ["serve"])
    assert result.exit_code == 2
    assert 'pip install "k2data[serve]"' in result.output and "Traceback" not in result.output


def test_serve_refuses_a_db_that_is_not_sqlite(runner, tmp_path) -> None:
    (tmp_path / "x.sqlite").write_text("no", encoding="utf-8")
    result = runner.invoke(main, ["serve", "--db", str(tmp_path / "x.sqlite")])
    assert result.exit_code == 2 and "not an SQLite database" in result.output


# --- the real server (slow) ----------------------------------------------------------------------


def _get(url: str) -> tuple[int, str]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1 only, never a proxy
    try:
        with opener.open(url, timeout=20) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """`k2data serve` in a subprocess on a free port; yields the database URL it prints."""
    pytest.importorskip("datasette")
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with open(log, "w", encoding="utf-8") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "k2data", "serve", "--port", str(port)],
            stdout=subprocess.PIPE, stderr=err, text=True, start_new_session=True,
            env={**os.environ, "NO_PROXY": "127.0.0.1"},
        )  # fmt: skip
        try:
            url = (proc.stdout.readline() if proc.stdout else "").strip()
            assert url == f"http://127.0.0.1:{port}/{DATABASE}", log.read_text(encoding="utf-8")
            deadline = time.monotonic() + 60
            while True:
                try:
                    if _get(url + ".json")[0] == 200:
                        break
                except OSError:
                    pass
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text(encoding="utf-8")
                time.sleep(0.3)
            yield url
        finally:
            proc.send_signal(signal.SIGTERM)  # k2data stops its Datasette, then itself
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:  # pragma: no cover
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            if proc.stdout:
                proc.stdout.close()
    assert proc.returncode == 0, log.read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_json_api_serves_every_table_view_and_canned_query(server) -> None:
    status, body = _get(server + ".json")
    assert status == 200
    names = {t["name"] for t in json.loads(body)["tables"]}
    assert set(PKG.table_names) | {"claims__reference_ids", "search"} <= names
    status, body = _get(server + "/claims.json?_shape=array&_size=max")
    assert status == 200 and len(json.loads(body)) == len(k2data.load("claims"))
    evidence = json.loads(_get(server + "/evidence.json?_shape=array&_size=max")[1])
    assert len(evidence) == len(k2data.load("outcomes")) and {"study", "design", "evidence_level"} <= set(evidence[0])
    contradicted = json.loads(_get(server + "/contradicted_claims.json?_shape=array")[1])
    claims = k2data.load("claims")
    assert len(contradicted) == int((claims["verdict"] == "diverges").sum())
    study = json.loads(_get(server + "/study.json?_shape=array&study=yoshida2011")[1])
    assert {"study", "result", "reference"} <= {r["part"] for r in study}
    hits = json.loads(_get(server + "/search.json?_shape=array&_search=natto")[1])
    assert hits and {h["table_name"] for h in hits} <= {"claims", "trials", "cohorts", "references"}
    meta = json.loads(_get(server.rsplit("/", 1)[0] + "/-/metadata.json")[1])
    assert meta["title"] == PKG.title


@pytest.mark.slow
@pytest.mark.parametrize("path", ["/", "/k2data", "/k2data/claims", "/k2data/claims/C01", "/k2data/study", "/k2data?sql=select+1", "/k2data/no_such_table"])
def test_every_page_carries_the_notice(server, path) -> None:
    status, body = _get(server.rsplit("/", 1)[0] + path)
    assert status in (200, 404)
    assert NOTICE in body, path


def _browser(tmp_path: Path):
    """Debian's chromium through Playwright: headless, a fresh profile, no downloaded browser."""
    pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=FLAGS,
        viewport={"width": 1280, "height": 900},
    )  # fmt: skip
    return playwright, context


@pytest.mark.slow
def test_a_person_browses_searches_and_runs_canned_queries(server, tmp_path, request) -> None:
    playwright, context = _browser(tmp_path)
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        # a table page: its title, the notice, the column descriptions, the rows
        page.goto(server + "/claims_checked?verdict=diverges&_col=claim_id&_col=statement&_col=seed_figure&_col=source_figure")
        assert page.locator("h1").inner_text().startswith("Claims checked")
        assert page.locator(".k2data-notice").is_visible() and NOTICE in page.locator(".k2data-notice").inner_text()
        assert "What the seed article states" in page.locator("dl.column-descriptions").inner_text()
        claims = k2data.load("claims")
        diverging = sorted(claims.loc[claims["verdict"] == "diverges", "claim_id"])
        assert f"{len(diverging)} rows where verdict" in page.locator("h3").first.inner_text()
        assert page.locator("td.col-claim_id").all_inner_texts()[: len(diverging)] == diverging
        shot = tmp_path / "datasette.png"
        page.screenshot(path=str(shot), full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": 1100})
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        if request.config.getoption("--update-screenshots"):
            shutil.copyfile(shot, SCREENSHOT)
        # full-text search, typed into the search box as a person would
        page.goto(server + "/search")
        page.fill("#_search", "natto")
        page.press("#_search", "Enter")
        page.wait_for_url("**_search=natto**")
        assert 'rows where search matches "natto"' in page.locator("h3").first.inner_text()
        assert "references" in page.locator("td.col-table_name").all_inner_texts()
        # a canned query with a parameter, filled in its form
        page.goto(server)
        page.click("text=Everything about one study")
        page.fill("input[name=study]", "yoshida2011")
        page.click("input[type=submit]")
        page.wait_for_url("**study=yoshida2011**")
        parts = set(page.locator("td.col-part").all_inner_texts())
        assert {"study", "result", "reference"} <= parts
        assert "Yoshida 2011" in page.locator("table.rows-and-columns").inner_text()
        assert page.locator(".k2data-notice").is_visible()
        # a canned query without one
        page.goto(server)
        page.click("text=Randomised trials of vitamin K2 in HCC")
        page.wait_for_url("**/randomised_k2_hcc_trials**")
        page.locator("td.col-trial_id").first.wait_for()  # the click only starts the navigation: wait for the rows
        assert "yoshida2011" in page.locator("td.col-trial_id").all_inner_texts()
    finally:
        context.close()
        playwright.stop()
