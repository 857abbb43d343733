"""How one release file is downloaded: within a deadline and a size cap, checked for what it is, errors named.

:mod:`k2data.fetch` uses this for each file: :class:`LimitedDownload` gets the
bytes (over http(s) with a watchdog, or from a ``file://`` mirror),
:class:`CheckedDownload` refuses what is not a whole Parquet file, and
:func:`raise_download_error` turns whatever went wrong into a
:class:`~k2data.errors.DownloadError` that names the file and its URL.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

from ._files import sha256_file
from ._registry import ENV_RELEASE_URL, Entry
from .errors import (
    ChecksumError,
    DownloadError,
    DownloadLimitError,
    IncompleteDownloadError,
    UnexpectedContentError,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TIMEOUT",
    "ENV_CACHE_DIR",
    "ENV_DOWNLOAD_TIMEOUT",
    "CheckedDownload",
    "LimitedDownload",
    "drop_if_stale",
    "raise_download_error",
    "timeout",
    "wants_progressbar",
]

ENV_CACHE_DIR = "K2DATA_CACHE_DIR"
ENV_DOWNLOAD_TIMEOUT = "K2DATA_DOWNLOAD_TIMEOUT"
#: Seconds one file may take to download, in all (``K2DATA_DOWNLOAD_TIMEOUT`` overrides it).
DEFAULT_TIMEOUT = 600.0
#: Size cap of a file whose registry records no size (registries before 0.2.0).
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
_CONNECT_TIMEOUT = 30.0


#: Every Parquet file starts and ends with these bytes.
_PARQUET_MAGIC = b"PAR1"


def wants_progressbar() -> bool:
    if not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()):
        return False
    try:
        import tqdm  # noqa: F401
    except ImportError:  # pragma: no cover - tqdm comes with pooch[progress]
        return False
    return True


def timeout() -> float:
    """The total deadline of one download, in seconds."""
    text = os.environ.get(ENV_DOWNLOAD_TIMEOUT, "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (value > 0 and value < float("inf")):
        msg = f"{ENV_DOWNLOAD_TIMEOUT}={text!r} is not a number of seconds above 0"
        raise DownloadError(msg)
    return value


def _copy_local(url: str, output_file: str, cap: int) -> None:
    """Copy a file of a ``file://`` mirror of the release files, within the size cap."""
    from urllib.parse import unquote, urlparse
    from urllib.request import url2pathname

    source = Path(url2pathname(unquote(urlparse(url).path)))
    if not source.is_file():
        msg = f"could not copy {source.name} from {url}: no such file in the mirror; check {ENV_RELEASE_URL}"
        raise DownloadError(msg)
    if source.stat().st_size > cap:
        msg = f"{url} is {source.stat().st_size} bytes, more than the {cap} expected; stopped and deleted, nothing was cached"
        raise DownloadLimitError(msg)
    shutil.copyfile(source, output_file)


class LimitedDownload:
    """Download one URL into a file, within a total deadline and a size cap, with a progress bar on a terminal.

    A watchdog closes the connection when the deadline passes, so a server
    that trickles one byte at a time cannot keep the download going.
    """

    def __init__(self, deadline: float, cap: int, progressbar: bool) -> None:
        self.deadline = deadline
        self.cap = cap
        self.progressbar = progressbar

    def __call__(self, url: str, output_file: str, pooch: object) -> None:
        if url.startswith("file:"):
            _copy_local(url, output_file, self.cap)
            return
        import requests

        start = time.monotonic()
        expired = threading.Event()
        read_timeout = min(_CONNECT_TIMEOUT, self.deadline)
        response = requests.get(url, stream=True, timeout=(_CONNECT_TIMEOUT, read_timeout))

        def expire() -> None:
            expired.set()
            response.close()

        watchdog = threading.Timer(max(self.deadline - (time.monotonic() - start), 0.0), expire)
        watchdog.daemon = True
        watchdog.start()
        bar = None
        try:
            response.raise_for_status()
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self.cap:
                msg = f"{url} announces {int(declared)} bytes, more than the {self.cap} expected; stopped, nothing was cached"
                raise DownloadLimitError(msg)
            if self.progressbar:
                from tqdm.auto import tqdm

                total = int(declared) if declared.isdigit() else None
                bar = tqdm(total=total, unit="B", unit_scale=True, desc=url.rsplit("/", 1)[-1], file=sys.stderr, leave=True)
            received = 0
            with open(output_file, "wb") as fh:
                for chunk in _chunks(response):
                    received += len(chunk)
                    if received > self.cap:
                        msg = f"{url} sent more than the {self.cap} bytes expected; stopped and deleted, nothing was cached"
                        raise DownloadLimitError(msg)
                    if time.monotonic() - start > self.deadline:
                        raise _Expired
                    fh.write(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
        except DownloadLimitError:
            raise
        except Exception as exc:
            if expired.is_set() or isinstance(exc, _Expired):
                msg = (
                    f"the download of {url} took longer than {self.deadline:g} s; stopped and deleted, nothing was "
                    f"cached. Set {ENV_DOWNLOAD_TIMEOUT} (seconds) to allow longer, or use a mirror with {ENV_RELEASE_URL}"
                )
                raise DownloadLimitError(msg) from None
            raise
        finally:
            watchdog.cancel()
            response.close()
            if bar is not None:
                bar.close()


def _chunks(response: Any) -> Any:
    """The body of a streamed response, a chunk as soon as it arrives (not when 64 KiB have gathered).

    Reading whatever is there (``read1``) lets the deadline be checked even when a server trickles one byte at a
    time; content encodings are decoded as they come.
    """
    import requests
    from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError

    read1 = getattr(response.raw, "read1", None)
    if read1 is None:  # pragma: no cover - older urllib3
        yield from response.iter_content(chunk_size=1024)
        return
    while True:
        try:  # the same errors requests itself raises from iter_content
            chunk = read1(64 * 1024, decode_content=True)
        except ProtocolError as exc:
            raise requests.exceptions.ChunkedEncodingError(exc) from exc
        except DecodeError as exc:
            raise requests.exceptions.ContentDecodingError(exc) from exc
        except ReadTimeoutError as exc:
            raise requests.exceptions.ConnectionError(exc) from exc
        if not chunk:
            return
        yield chunk


class _Expired(Exception):
    """The deadline passed between two chunks."""


def _url_hint() -> str:
    if os.environ.get(ENV_RELEASE_URL):
        return f" and that {ENV_RELEASE_URL} is right"
    return f", or set {ENV_RELEASE_URL} to a mirror of the release files"


def _check_payload(path: Path, fname: str, url: str, version: str) -> None:
    """Refuse a downloaded file that is not a whole Parquet file, saying what it is instead."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(512)
        fh.seek(max(size - len(_PARQUET_MAGIC), 0))
        tail = fh.read()
    if head.startswith(_PARQUET_MAGIC):
        if size >= 2 * len(_PARQUET_MAGIC) + 4 and tail == _PARQUET_MAGIC:
            return
        msg = (
            f"{fname} downloaded from {url} is incomplete: {size} bytes arrived and they do not end as a "
            "Parquet file does (the download broke off, or the file on the server is damaged). "
            "Nothing was cached; try again"
        )
        raise IncompleteDownloadError(msg)
    if size == 0:
        msg = (
            f"{url} sent an empty file instead of {fname}. Nothing was cached; "
            f"check that release {version} exists there{_url_hint()}"
        )
        raise UnexpectedContentError(msg)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype", b"<html", b"<head", b"<body", b"<?xml", b"<!--")):
        msg = (
            f"{url} sent a web page (HTML, {size} bytes) instead of {fname}: probably an error, sign-in or "
            f"rate-limit page. Nothing was cached; check that release {version} exists there{_url_hint()}"
        )
        raise UnexpectedContentError(msg)
    msg = (
        f"{fname} downloaded from {url} is not a Parquet file ({size} bytes starting {head[:16]!r}). "
        f"Nothing was cached; check that release {version} exists there{_url_hint()}"
    )
    raise UnexpectedContentError(msg)


class CheckedDownload:
    """A pooch downloader: *inner* fetches the bytes, then they must look like the Parquet file asked for.

    pooch checks the sha256 afterwards and deletes its temporary file on any
    error, so nothing this refuses reaches the cache.
    """

    def __init__(self, inner: Callable[[str, str, object], object], fname: str, version: str) -> None:
        self.inner = inner
        self.fname = fname
        self.version = version
        self.received: int | None = None

    def __call__(self, url: str, output_file: str, pooch: object) -> None:
        self.inner(url, output_file, pooch)
        self.received = Path(output_file).stat().st_size
        _check_payload(Path(output_file), self.fname, url, self.version)


def drop_if_stale(path: Path, entry: Entry) -> None:
    """Delete a cached file that does not match its registry entry (after a failed attempt to replace it)."""
    try:
        if path.is_file() and sha256_file(path) != entry.sha256:
            path.unlink()
    except OSError:  # pragma: no cover - gone meanwhile, or not ours to delete
        pass


def _broke_off(exc: BaseException) -> str | None:
    """``"N of M bytes"`` (or a short reason) if *exc* says a download stopped part-way, else ``None``."""
    text = str(exc)
    m = re.search(r"IncompleteRead\((\d+) bytes read, (\d+) more expected\)", text)
    if m:
        got, more = int(m.group(1)), int(m.group(2))
        return f"{got} of {got + more} bytes arrived"
    if "Connection broken" in text or "IncompleteRead" in text:
        return "the connection broke"
    return None


def raise_download_error(
    exc: BaseException, fname: str, url: str, version: str, cache: Path, received: int | None
) -> None:
    """Re-raise what went wrong while fetching *fname* as a DownloadError naming the file and the URL."""
    import requests

    response = getattr(exc, "response", None)
    if response is not None:  # an error response left unread holds its connection open
        with suppress(Exception):
            response.close()
    if isinstance(exc, DownloadError):
        raise exc
    if isinstance(exc, ValueError):
        if "hash" not in str(exc).lower():
            msg = f"cannot download {fname} from {url} ({exc}); {ENV_RELEASE_URL} must be an http(s) or file URL"
            raise DownloadError(msg) from None
        size = f" ({received} bytes received)" if received is not None else ""
        msg = (
            f"{fname} downloaded from {url} failed its checksum{size}: {exc} Nothing was cached. "
            "Try again; if it keeps failing, the file on the server is not the one released as "
            f"k2data {version} (or {ENV_RELEASE_URL} points at the wrong place)"
        )
        raise ChecksumError(msg) from None
    if isinstance(exc, requests.exceptions.HTTPError):
        status = exc.response.status_code if exc.response is not None else "error"
        msg = (
            f"could not download {fname} of k2data {version} from {url} (HTTP {status}); "
            f"check that release {version} exists there{_url_hint()}"
        )
        raise DownloadError(msg) from None
    if isinstance(exc, requests.exceptions.RequestException):
        stopped = _broke_off(exc)
        if stopped is not None:
            msg = f"the download of {fname} from {url} broke off ({stopped}). Nothing was cached; try again"
            raise IncompleteDownloadError(msg) from None
        msg = (
            f"could not reach {url} to download {fname} of k2data {version} ({type(exc).__name__}); "
            f"check your connection{_url_hint()}. Files already in the cache ({cache}) are used offline"
        )
        raise DownloadError(msg) from None
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        where = f": {exc.filename}" if exc.filename else ""
        msg = (
            f"could not store {fname} from {url} in the cache {cache} ({reason}{where}); "
            f"set {ENV_CACHE_DIR} to a folder you can write to"
        )
        raise DownloadError(msg) from None

