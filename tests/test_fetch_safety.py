"""Safe downloads: every way a server can send the wrong bytes gives a clear error, and nothing bad is cached.

A server on 127.0.0.1 serves the release built by ``test_fetch``'s ``served``
fixture, misbehaving in one way per URL prefix (``/<mode>/v<version>/<file>``):
cutting the body short, lying about its length, answering 200 with an HTML
page, sending another file, a flipped byte, a 404 or a 500. Each must raise
a :class:`k2data.DownloadError` (or a subclass) naming the file and the URL,
leave nothing in the cache, and be one line without a traceback from the
command line. Two processes loading the same version at once, from a
deliberately slow server that holds both requests until both have arrived,
must both succeed.
"""

from __future__ import annotations

import http.server
import importlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pandas as pd
import pytest

import k2data
from k2data._files import sha256_file
from k2data.cli import main
from k2data.errors import ChecksumError, DownloadLimitError, IncompleteDownloadError, UnexpectedContentError
from test_fetch import GOOD, _cached, _expected, served  # noqa: F401  (served is a fixture used below)

fetch_mod = importlib.import_module("k2data.fetch")

HTML = b"<!DOCTYPE html>\n<html><head><title>Rate limit exceeded</title></head><body>Try later</body></html>\n"


class _Misbehaving(http.server.BaseHTTPRequestHandler):
    """Serves the files of release ``GOOD`` from ``root``, misbehaving as the first path segment says."""

    root: ClassVar[Path]
    requests: ClassVar[list[str]] = []
    concurrent: ClassVar[dict[str, int]] = {}
    barrier: ClassVar[threading.Barrier]
    lock: ClassVar[threading.Lock] = threading.Lock()
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, *, length: int | None = None, ctype: str = "application/octet-stream") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        mode, _, rest = self.path.lstrip("/").partition("/")
        name = rest.rsplit("/", 1)[-1]
        with self.lock:
            self.requests.append(f"{mode}/{name}")
        path = self.root / name
        if not path.is_file() or mode == "missing":
            self._send(404, b"<html><body>404 Not Found</body></html>", ctype="text/html")
            return
        body = path.read_bytes()
        if mode == "ok":
            self._send(200, body, length=len(body))
        elif mode == "truncated":  # says how long it is, then stops half-way and closes
            self._send(200, body[: len(body) // 2], length=len(body))
        elif mode == "cut":  # no length given, stops half-way and closes
            self._send(200, body[: len(body) // 2])
        elif mode == "short-length":  # the length header is smaller than the file
            self._send(200, body, length=len(body) - 100)
        elif mode == "padded":  # a complete file with junk after it
            self._send(200, body + b"\0" * 100, length=len(body) + 100)
        elif mode == "unannounced-extra":  # no length given, and far more bytes than the file has
            self._send(200, body + b"\0" * 5_000_000)
        elif mode == "trickle":  # a byte at a time, slowly: only a total deadline stops it
            self.send_response(200)
            self.end_headers()
            for b in body[:40]:
                self.wfile.write(bytes([b]))
                self.wfile.flush()
                time.sleep(0.25)
        elif mode == "html":  # a 200 that is an error page
            self._send(200, HTML, length=len(HTML), ctype="text/html; charset=utf-8")
        elif mode == "empty":
            self._send(200, b"", length=0)
        elif mode == "other-file":  # a valid Parquet file, but another one (another size)
            other = (self.root / ("genes.parquet" if name != "genes.parquet" else "claims.parquet")).read_bytes()
            self._send(200, other, length=len(other))
        elif mode == "flipped":
            data = bytearray(body)
            data[len(data) // 2] ^= 0x01
            self._send(200, bytes(data), length=len(data))
        elif mode == "error":
            self._send(500, b"Internal Server Error", ctype="text/plain")
        elif mode == "slow":
            self._slow(name, body)
        else:  # pragma: no cover - a typo in a test
            self._send(400, b"unknown mode")

    def _slow(self, name: str, body: bytes) -> None:
        """Hold the request until a second one for the same file arrives, then trickle the bytes."""
        with self.lock:
            self.concurrent[name] = self.concurrent.get(name, 0) + 1
        try:
            self.barrier.wait()
        except threading.BrokenBarrierError:  # the other process never came: the test will say so
            pass
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        step = max(len(body) // 10, 1)
        for i in range(0, len(body), step):
            self.wfile.write(body[i : i + step])
            self.wfile.flush()
            time.sleep(0.05)


@pytest.fixture(scope="module")
def misbehaving(served) -> Iterator[str]:  # noqa: F811
    """The misbehaving server; yields its base URL with ``{mode}`` and ``{{version}}`` placeholders."""
    root, _ = served
    _Misbehaving.root = root / f"v{GOOD}"
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Misbehaving)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/{{mode}}/v{{{{version}}}}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture
def use(monkeypatch, tmp_path, served, misbehaving):  # noqa: F811
    """``use(mode)`` points the release URL at one misbehaviour; a fresh cache and the test registry."""
    _, registry = served
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("K2DATA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr("k2data._registry.registry_dir", lambda: registry)

    def point(mode: str) -> str:
        url = misbehaving.format(mode=mode)
        monkeypatch.setenv("K2DATA_RELEASE_URL", url)
        return url.format(version=GOOD)

    return point


def _everything_in(folder: Path) -> list[str]:
    """Every file below *folder*, hidden and temporary ones included."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


BAD = [
    ("truncated", IncompleteDownloadError, r"the download of trials\.parquet from {url}trials\.parquet broke off \(\d+ of \d+ bytes arrived\)"),
    ("cut", IncompleteDownloadError, r"trials\.parquet downloaded from {url}trials\.parquet is incomplete: \d+ bytes arrived"),
    ("short-length", IncompleteDownloadError, r"trials\.parquet downloaded from {url}trials\.parquet is incomplete"),
    ("padded", DownloadLimitError, r"{url}trials\.parquet announces \d+ bytes, more than the \d+ expected; stopped, nothing was cached"),
    ("unannounced-extra", DownloadLimitError, r"{url}trials\.parquet sent more than the \d+ bytes expected; stopped and deleted"),
    ("trickle", DownloadLimitError, r"the download of {url}trials\.parquet took longer than 2 s; stopped and deleted, nothing was cached\. Set K2DATA_DOWNLOAD_TIMEOUT"),
    ("html", UnexpectedContentError, r"{url}trials\.parquet sent a web page \(HTML, \d+ bytes\) instead of trials\.parquet"),
    ("empty", UnexpectedContentError, r"{url}trials\.parquet sent an empty file instead of trials\.parquet"),
    ("other-file", ChecksumError, r"trials\.parquet downloaded from {url}trials\.parquet failed its checksum \(\d+ bytes received\)"),
    ("flipped", ChecksumError, r"trials\.parquet downloaded from {url}trials\.parquet failed its checksum"),
    ("missing", k2data.DownloadError, r"could not download trials\.parquet of k2data 9\.9\.9 from {url}trials\.parquet \(HTTP 404\)"),
    ("error", k2data.DownloadError, r"could not download trials\.parquet of k2data 9\.9\.9 from {url}trials\.parquet \(HTTP 500\)"),
]


@pytest.mark.parametrize(("mode", "error", "message"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_response_is_refused_and_nothing_is_cached(use, tmp_path, monkeypatch, mode, error, message) -> None:
    monkeypatch.setenv("K2DATA_DOWNLOAD_TIMEOUT", "2")
    url = use(mode)
    with pytest.raises(error, match=message.format(url=url.replace(".", r"\."))) as info:
        k2data.load("trials", version=GOOD)
    assert isinstance(info.value, k2data.DownloadError)
    assert "nothing was cached" in str(info.value).lower() or "HTTP" in str(info.value)
    assert _everything_in(tmp_path / "cache") == []


@pytest.mark.parametrize("mode", ["truncated", "html", "flipped", "missing"])
def test_the_command_line_says_it_in_one_line(use, runner, tmp_path, mode) -> None:
    url = use(mode)
    result = runner.invoke(main, ["fetch", "--version", GOOD, "claims"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    assert f"{url}claims.parquet" in errors[0] and "claims.parquet" in errors[0].replace(url, "")
    assert _everything_in(tmp_path / "cache") == []


def test_a_good_cached_file_is_used_whatever_the_server_says(use, tmp_path) -> None:
    use("ok")
    first = k2data.load("genes", version=GOOD)
    use("html")
    pd.testing.assert_frame_equal(k2data.load("genes", version=GOOD), first)
    assert _everything_in(tmp_path / "cache") == [f"{GOOD}/genes.parquet"]


def test_a_corrupted_cached_file_is_removed_when_it_cannot_be_replaced(use, tmp_path) -> None:
    use("ok")
    k2data.load("genes", version=GOOD)
    cached = tmp_path / "cache" / GOOD / "genes.parquet"
    cached.write_bytes(cached.read_bytes()[:-10])  # damaged on disk
    use("truncated")
    with pytest.raises(IncompleteDownloadError, match=r"genes\.parquet"):
        k2data.load("genes", version=GOOD)
    assert _everything_in(tmp_path / "cache") == []
    use("ok")
    pd.testing.assert_frame_equal(k2data.load("genes", version=GOOD), _expected("genes"))


def test_an_interrupted_download_leaves_no_temporary_file(use, tmp_path, monkeypatch) -> None:

    use("ok")

    def interrupted(self, url: str, output_file: str, pooch_obj: object) -> None:
        Path(output_file).write_bytes(b"PAR1 and then the user pressed Ctrl-C")
        raise KeyboardInterrupt

    monkeypatch.setattr(importlib.import_module("k2data._download").LimitedDownload, "__call__", interrupted)
    with pytest.raises(KeyboardInterrupt):
        k2data.load("trials", version=GOOD)
    assert _everything_in(tmp_path / "cache") == []


def test_a_local_mirror_with_an_html_file_is_refused(use, tmp_path, monkeypatch) -> None:
    use("ok")
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "trials.parquet").write_bytes(HTML)
    monkeypatch.setenv("K2DATA_RELEASE_URL", mirror.as_uri() + "/")
    with pytest.raises(UnexpectedContentError, match=r"file://.*/mirror/trials\.parquet sent a web page"):
        k2data.load("trials", version=GOOD)
    assert _everything_in(tmp_path / "cache") == []


def test_a_cache_that_cannot_be_written_says_where(use, tmp_path, monkeypatch) -> None:
    use("ok")
    (tmp_path / "cache-file").write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("K2DATA_CACHE_DIR", str(tmp_path / "cache-file"))
    with pytest.raises(k2data.DownloadError, match=r"could not store trials\.parquet from http://127\.0\.0\.1:\d+/ok/v9\.9\.9/trials\.parquet in the cache .*/cache-file/9\.9\.9 .*K2DATA_CACHE_DIR"):
        k2data.load("trials", version=GOOD)


_LOADER = """
import sys
from pathlib import Path

import k2data
import k2data._registry
import importlib

fetch_mod = importlib.import_module("k2data.fetch")

k2data._registry.registry_dir = lambda: Path(sys.argv[1])
df = k2data.load("trials", version=sys.argv[2])
print(len(df), importlib.import_module("k2data.fetch").cache_dir(sys.argv[2]) / "trials.parquet")
"""


def test_two_processes_loading_the_same_version_at_once_both_succeed(served, misbehaving, tmp_path) -> None:  # noqa: F811
    _, registry = served
    _Misbehaving.barrier = threading.Barrier(2, timeout=60)
    _Misbehaving.concurrent.clear()
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(
        NO_PROXY="127.0.0.1,localhost",
        K2DATA_RELEASE_URL=misbehaving.format(mode="slow"),
        K2DATA_CACHE_DIR=str(tmp_path / "cache"),
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _LOADER, str(registry), GOOD],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    for p, (_out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
        assert "Traceback" not in err
    assert _Misbehaving.concurrent.get("trials.parquet") == 2, "both processes were downloading at the same time"
    assert not _Misbehaving.barrier.broken
    expected = f"{len(k2data.load('trials'))} {tmp_path / 'cache' / GOOD / 'trials.parquet'}"
    assert [out.strip() for out, _ in outputs] == [expected, expected]
    assert _everything_in(tmp_path / "cache") == [f"{GOOD}/trials.parquet"]
    registered = {line.split()[0]: line.split()[1] for line in (registry / f"{GOOD}.txt").read_text().splitlines() if line[:1] != "#"}
    assert sha256_file(tmp_path / "cache" / GOOD / "trials.parquet") == registered["trials.parquet"]
