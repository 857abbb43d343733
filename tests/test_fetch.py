"""Pinned-version downloads, against a release served by a local HTTP server on 127.0.0.1.

Nothing here reaches beyond the loopback interface: the server is started in
a thread by the ``server`` fixture, and the "offline" cases point the release
URL at a port nothing listens on.
"""

from __future__ import annotations

import functools
import http.server
import importlib
import io
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import k2data
from k2data._package import open_package as package_spec
from k2data._registry import Entry, read_registry, write_registry
from k2data.cli import main
from k2data.export import sort_frame
from k2data.release import build, release_assets

fetch_mod = importlib.import_module("k2data.fetch")

GOOD, CORRUPT, INCOMPLETE = "9.9.9", "9.9.8", "9.9.7"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> tuple[Path, Path]:
    """A built release published three times: intact, with a corrupted file, with a file missing.

    Returns the served root and a registry folder that knows all three versions.
    """
    tmp = tmp_path_factory.mktemp("served")
    result = build(tmp / "dist", check=False)
    root = tmp / "www"
    assets = {name: path for name, path in release_assets(result.out).items() if name.endswith(".parquet")}
    for version in (GOOD, CORRUPT, INCOMPLETE):
        folder = root / f"v{version}"
        folder.mkdir(parents=True)
        for name, path in assets.items():
            shutil.copyfile(path, folder / name)
    corrupted = root / f"v{CORRUPT}" / "trials.parquet"
    data = bytearray(corrupted.read_bytes())
    data[len(data) // 2] ^= 0xFF
    corrupted.write_bytes(bytes(data))
    (root / f"v{INCOMPLETE}" / "claims.parquet").unlink()
    registry = tmp / "registry"
    entries = {rel: Entry(sha, (result.out / rel).stat().st_size) for rel, sha in result.files.items()}
    for version in (GOOD, CORRUPT, INCOMPLETE):
        write_registry(registry, version, entries, current=version, root=None)
    return root, registry


@pytest.fixture(scope="module")
def server(served) -> Iterator[str]:
    """Serve the release folders on 127.0.0.1; yields the base URL with a ``{version}`` placeholder."""
    root, _ = served
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v{{version}}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v{{version}}/"


@pytest.fixture
def env(monkeypatch, tmp_path, served, server) -> Path:
    """Release URL -> the local server, a fresh cache, the test registry; returns the cache folder."""
    _, registry = served
    cache = tmp_path / "cache"
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("K2DATA_RELEASE_URL", server)
    monkeypatch.setenv("K2DATA_CACHE_DIR", str(cache))
    monkeypatch.setattr("k2data._registry.registry_dir", lambda: registry)
    return cache


def _cached(cache: Path) -> list[str]:
    return sorted(p.relative_to(cache).as_posix() for p in cache.rglob("*") if p.is_file()) if cache.exists() else []


def _expected(name: str) -> pd.DataFrame:
    pkg = package_spec()
    return sort_frame(pkg.table(name), k2data.load(name))


def test_load_a_pinned_version_downloads_verifies_and_caches(env) -> None:
    trials = k2data.load("trials", version=GOOD)
    expected = _expected("trials")
    pd.testing.assert_frame_equal(trials, expected, check_like=False)
    assert _cached(env) == [f"{GOOD}/trials.parquet"]
    assert trials.attrs["k2data_table"] == "trials"


def test_load_all_tables_of_a_pinned_version(env) -> None:
    tables = k2data.load(version=f"v{GOOD}")
    assert list(tables) == list(k2data.TABLES)
    for name, df in tables.items():
        pd.testing.assert_frame_equal(df, _expected(name), obj=name)
    assert len(_cached(env)) == len(k2data.TABLES)


def test_a_pinned_version_with_arrow_lists(env) -> None:
    import pyarrow as pa

    refs = k2data.load("references", version=GOOD, lists="arrow")
    assert refs["authors"].dtype == pd.ArrowDtype(pa.list_(pa.string()))
    expected = _expected("references")["authors"].tolist()
    assert [] in expected  # some references have no authors: their cells must be [], not missing
    assert refs["authors"].tolist() == expected


def test_a_pinned_version_in_arrow_and_polars(env) -> None:
    import polars as pl
    import pyarrow as pa

    trials = k2data.load("trials", version=GOOD, backend="pyarrow")
    assert isinstance(trials, pa.Table) and trials.schema.field("dose_min_mg_d").metadata[b"unit"] == b"mg/d"
    assert trials.column("trial_id").to_pylist() == _expected("trials")["trial_id"].tolist()
    claims = k2data.load("claims", version=GOOD, backend="polars")
    assert isinstance(claims, pl.DataFrame) and claims["claim_id"].to_list() == _expected("claims")["claim_id"].tolist()
    assert set(k2data.load(version=GOOD, backend="pyarrow")) == set(k2data.TABLES)


def test_a_corrupted_file_is_refused_and_not_cached(env) -> None:
    with pytest.raises(
        k2data.ChecksumError,
        match=r"trials\.parquet downloaded from http://127\.0\.0\.1:\d+/v9\.9\.8/trials\.parquet failed its checksum.*Nothing was cached",
    ):
        k2data.load("trials", version=CORRUPT)
    assert _cached(env) == []
    # the intact files of the same release are still fine
    assert len(k2data.load("genes", version=CORRUPT)) == len(k2data.load("genes"))


def test_a_missing_file_gives_a_clear_error(env) -> None:
    with pytest.raises(
        k2data.DownloadError,
        match=r"could not download claims\.parquet of k2data 9\.9\.7 from http://127\.0\.0\.1:\d+/v9\.9\.7/claims\.parquet \(HTTP 404\)",
    ):
        k2data.load("claims", version=INCOMPLETE)
    assert _cached(env) == []


def test_offline_with_a_warm_cache(env, monkeypatch) -> None:
    first = k2data.load("claims", version=GOOD)
    monkeypatch.setenv("K2DATA_RELEASE_URL", _dead_url())
    again = k2data.load("claims", version=GOOD)
    pd.testing.assert_frame_equal(first, again)


def test_offline_with_a_cold_cache_says_so(env, monkeypatch) -> None:
    monkeypatch.setenv("K2DATA_RELEASE_URL", _dead_url())
    with pytest.raises(
        k2data.DownloadError,
        match=r"could not reach http://127\.0\.0\.1:\d+/v9\.9\.9/trials\.parquet .*check your connection",
    ):
        k2data.load("trials", version=GOOD)
    assert _cached(env) == []


def test_a_local_mirror_and_a_bad_url(env, served, monkeypatch) -> None:
    root, _ = served
    monkeypatch.setenv("K2DATA_RELEASE_URL", root.as_uri() + "/v{version}/")
    pd.testing.assert_frame_equal(k2data.load("genes", version=GOOD), _expected("genes"))
    with pytest.raises(k2data.DownloadError, match=r"could not copy claims\.parquet from file://.*no such file"):
        k2data.load("claims", version=INCOMPLETE)
    with pytest.raises(k2data.ChecksumError, match="failed its checksum"):
        k2data.load("trials", version=CORRUPT)
    assert _cached(env) == [f"{GOOD}/genes.parquet"]
    monkeypatch.setenv("K2DATA_RELEASE_URL", "gopher://127.0.0.1/{version}/")
    with pytest.raises(k2data.DownloadError, match="must be an http"):
        k2data.load("trials", version=GOOD)


def test_a_tampered_cache_file_is_downloaded_again(env) -> None:
    k2data.load("genes", version=GOOD)
    cached = env / GOOD / "genes.parquet"
    good = cached.read_bytes()
    cached.write_bytes(b"not parquet")
    k2data.load("genes", version=GOOD)
    assert cached.read_bytes() == good


def test_the_bundled_version_loads_from_the_wheel_without_network(env, monkeypatch) -> None:
    monkeypatch.setenv("K2DATA_RELEASE_URL", _dead_url())
    own = k2data.load("trials", version=k2data.__version__)
    pd.testing.assert_frame_equal(own, k2data.load("trials"))
    assert _cached(env) == []


def test_unknown_version_and_table(env) -> None:
    with pytest.raises(
        k2data.DownloadError,
        match=r"no checksums known for k2data release 1\.2\.3 \(known: 9\.9\.7, 9\.9\.8, 9\.9\.9\)",
    ):
        k2data.load("trials", version="1.2.3")
    with pytest.raises(k2data.UnknownTableError, match="no table named 'trial'"):
        k2data.load("trial", version=GOOD)
    with pytest.raises(k2data.DownloadError, match="not a release version"):
        k2data.load("trials", version="latest")
    with pytest.raises(ValueError, match="either datapackage= or version="):
        k2data.load("trials", version=GOOD, datapackage=".")
    assert _cached(env) == []


def test_progress_bar_on_a_terminal_only(env, monkeypatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    class Pipe(io.StringIO):
        def isatty(self) -> bool:
            return False

    pipe = Pipe()
    monkeypatch.setattr(sys, "stderr", pipe)
    fetch_mod.fetch(GOOD, ["genes"])
    assert "100%" not in pipe.getvalue()
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    fetch_mod.fetch(GOOD, ["trials"])
    assert "100%" in terminal.getvalue()


def test_cli_fetch(env, runner) -> None:
    result = runner.invoke(main, ["fetch", "--version", GOOD, "trials", "genes"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["trials", "genes"]
    assert Path(lines[0].split("\t")[1]) == env / GOOD / "trials.parquet"

    result = runner.invoke(main, ["fetch", "--version", CORRUPT, "trials"])
    assert result.exit_code == 1
    assert "failed its checksum" in result.output and "Traceback" not in result.output

    result = runner.invoke(main, ["fetch", "--version", GOOD, "nope"])
    assert result.exit_code == 2
    assert "no table named 'nope'" in result.output

    result = runner.invoke(main, ["fetch"])
    assert result.exit_code == 2


def test_registry_and_cache_locations(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("K2DATA_CACHE_DIR", str(tmp_path / "c"))
    assert fetch_mod.cache_dir("v1.0.0") == tmp_path / "c" / "1.0.0"
    monkeypatch.delenv("K2DATA_CACHE_DIR")
    import platformdirs

    assert fetch_mod.cache_dir() == Path(platformdirs.user_cache_dir("k2data", appauthor=False))


def test_the_shipped_registry_knows_the_bundled_version() -> None:
    version = package_spec().version
    assert version in fetch_mod.known_versions()
    reg = read_registry(version)
    assert list(reg) == [f"{t}.parquet" for t in k2data.TABLES]
    assert all(len(e.sha256) == 64 and e.size for e in reg.values())


def test_fetching_the_bundled_version_needs_no_network(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("K2DATA_RELEASE_URL", _dead_url())
    monkeypatch.setenv("K2DATA_CACHE_DIR", str(tmp_path / "cache"))
    version = package_spec().version
    paths = fetch_mod.fetch(version, ["genes", "claims"])
    assert sorted(paths) == ["claims", "genes"]
    pd.testing.assert_frame_equal(fetch_mod.read_parquet(paths["genes"]), _expected("genes"), check_like=False)
    assert sorted(p.name for p in (tmp_path / "cache" / version).iterdir()) == ["claims.parquet", "genes.parquet"]


def test_a_failed_fetch_leaves_no_empty_folder_and_names_the_mirror_variable(monkeypatch, tmp_path, served) -> None:
    _, registry = served
    monkeypatch.setattr("k2data._registry.registry_dir", lambda: registry)
    monkeypatch.delenv("K2DATA_RELEASE_URL", raising=False)
    monkeypatch.setattr(fetch_mod, "open_package", lambda: _with_release_url(_dead_url()))
    monkeypatch.setenv("K2DATA_CACHE_DIR", str(tmp_path / "cache" / "deep"))
    with pytest.raises(k2data.DownloadError, match="K2DATA_RELEASE_URL"):
        k2data.fetch(GOOD, ["genes"])
    assert not (tmp_path / "cache").exists()


def _with_release_url(url: str):
    import dataclasses

    return dataclasses.replace(package_spec(), release_url=url)


def test_import_k2data_loads_no_download_library() -> None:
    code = (
        "import sys, k2data; heavy = {'pooch', 'platformdirs', 'requests', 'tqdm', 'pyarrow', 'rdflib'};"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
