"""Download the Parquet files of a pinned release, verify them and cache them.

``k2data.load(name, version="X.Y.Z")`` and ``k2data fetch --version X.Y.Z``
use this module. The version the package itself carries never goes through
here: it loads from the wheel, offline.

How a download works:

1. The sha256 (and, since 0.2.0, the size) of every Parquet file of release
   ``X.Y.Z`` is looked up in the registry shipped in the package,
   ``k2data/registry/X.Y.Z.txt`` (see :mod:`k2data._registry`). A version
   without a registry file is refused before any network access. The version
   bundled with k2data is never downloaded: its Parquet files are written from
   the data in the wheel, offline.
2. pooch downloads ``<base URL><file name>`` into a temporary file in the
   cache, within a total deadline per file (``K2DATA_DOWNLOAD_TIMEOUT``
   seconds, default :data:`DEFAULT_TIMEOUT`) and a size cap (the registered
   size, or :data:`DEFAULT_MAX_BYTES` for registries without sizes): a download
   past either is stopped, deleted and reported with its URL. k2data checks that what arrived is a whole Parquet file (not an
   HTML error page, not cut short), pooch checks its sha256, and only then
   is it moved into place (an atomic rename). Anything that fails is deleted,
   so nothing unverified is ever cached, and a cached file that no longer
   matches its hash is removed when it cannot be replaced.
3. A cached file whose hash matches is used as it is, without the network.

Several processes may fetch the same version at once: each downloads into
its own temporary file and the renames replace one verified copy with
another, so every process reads a complete file.

Failures raise :class:`~k2data.errors.DownloadError` (or a subclass), with
the file name and the URL in the message:

- :class:`ChecksumError`: the bytes differ from the release (corrupted, or
  another file of another size);
- :class:`IncompleteDownloadError`: the download broke off, or ended before
  the end of the Parquet file (worth trying again);
- :class:`UnexpectedContentError`: the server answered with something that is
  not a Parquet file, such as an HTML error or sign-in page with status 200;
- :class:`DownloadLimitError`: the download passed its deadline or its size cap;
- :class:`~k2data.errors.DownloadError` itself: an HTTP error status such
  as 404, an unreachable server, a cache folder that cannot be written.

Environment variables:

``K2DATA_RELEASE_URL``
    Base URL of the release files (default: the ``releaseUrl`` of the bundled
    ``datapackage.json``, the GitHub release assets). ``{version}`` in it is replaced by the version.
    A ``file://`` URL reads a local mirror, e.g. on a machine without network.
``K2DATA_CACHE_DIR``
    Cache folder (default: the user cache folder given by platformdirs, such
    as ``~/.cache/k2data`` on Linux). Files go to ``<cache>/<version>/``; a
    failed fetch leaves no empty folder behind.
``K2DATA_DOWNLOAD_TIMEOUT``
    Total seconds one file may take to download (default :data:`DEFAULT_TIMEOUT`).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

from ._files import sha256_file
from ._package import open_package
from ._registry import ENV_RELEASE_URL, Entry, known_versions, normalise_version, read_registry, release_base_url
from .errors import (
    ChecksumError,
    DownloadError,
    DownloadLimitError,
    IncompleteDownloadError,
    UnexpectedContentError,
    UnknownTableError,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TIMEOUT",
    "ENV_CACHE_DIR",
    "ENV_DOWNLOAD_TIMEOUT",
    "ENV_RELEASE_URL",
    "cache_dir",
    "fetch",
    "known_versions",
    "load_version",
    "read_parquet",
]

ENV_CACHE_DIR = "K2DATA_CACHE_DIR"
ENV_DOWNLOAD_TIMEOUT = "K2DATA_DOWNLOAD_TIMEOUT"
#: Seconds one file may take to download, in all (``K2DATA_DOWNLOAD_TIMEOUT`` overrides it).
DEFAULT_TIMEOUT = 600.0
#: Size cap of a file whose registry records no size (registries before 0.2.0).
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
#: Seconds to wait for a connection, and for each read from it.
_CONNECT_TIMEOUT = 30.0


#: Every Parquet file starts and ends with these bytes.
_PARQUET_MAGIC = b"PAR1"


def cache_dir(version: str | None = None) -> Path:
    """The download cache (``K2DATA_CACHE_DIR`` or the user cache folder), or its folder for *version*."""
    env = os.environ.get(ENV_CACHE_DIR)
    if env:
        root = Path(env).expanduser()
    else:
        import platformdirs

        root = Path(platformdirs.user_cache_dir("k2data", appauthor=False))
    return root if version is None else root / normalise_version(version)


def _progressbar() -> bool:
    if not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()):
        return False
    try:
        import tqdm  # noqa: F401
    except ImportError:  # pragma: no cover - tqdm comes with pooch[progress]
        return False
    return True


def _timeout() -> float:
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


class _LimitedDownload:
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
        response = requests.get(url, stream=True, timeout=(_CONNECT_TIMEOUT, _CONNECT_TIMEOUT))
        watchdog = threading.Timer(max(self.deadline - (time.monotonic() - start), 0.0), lambda: (expired.set(), response.close()))
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
                for chunk in response.iter_content(chunk_size=64 * 1024):
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


class _CheckedDownload:
    """A pooch downloader: *inner* fetches the bytes, then they must look like the Parquet file asked for.

    pooch checks the sha256 afterwards and deletes its temporary file on any
    error, so nothing this refuses reaches the cache.
    """

    def __init__(self, inner: Callable[[str, str, object], object], fname: str, version: str) -> None:  # noqa: D107
        self.inner = inner
        self.fname = fname
        self.version = version
        self.received: int | None = None

    def __call__(self, url: str, output_file: str, pooch: object) -> None:
        self.inner(url, output_file, pooch)
        self.received = Path(output_file).stat().st_size
        _check_payload(Path(output_file), self.fname, url, self.version)


def _drop_if_stale(path: Path, entry: Entry) -> None:
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


def fetch(
    version: str,
    tables: Iterable[str] | None = None,
    *,
    progressbar: bool | None = None,
) -> dict[str, Path]:
    """Download (or find in the cache) the Parquet files of release *version*.

    The version bundled with k2data is served from the wheel, with no network:
    its Parquet files are written into the cache from the bundled data.

    Parameters
    ----------
    version : str
        A release version such as ``"0.1.0"`` (a leading ``v`` is accepted).
    tables : iterable of str, optional
        The tables to fetch; default: every table of that release.
    progressbar : bool, optional
        Show a progress bar per download; default: when stderr is a terminal.

    Returns
    -------
    dict of str to Path
        ``{table name: path of the verified file in the cache}``.

    Raises
    ------
    UnknownTableError
        If a table is not part of that release.
    ChecksumError
        If a downloaded file does not match its registered sha256 (it is deleted, not cached).
    IncompleteDownloadError
        If a download broke off or ended early (nothing is cached; try again).
    UnexpectedContentError
        If the server sent something else than a Parquet file, such as an HTML page.
    DownloadLimitError
        If a download passed its deadline or its size cap (it is stopped and deleted).
    DownloadError
        If the version is unknown, the server answers with an error status
        (such as 404) or cannot be reached, or the cache cannot be written.

    Examples
    --------
    The bundled version needs no network (here with a cache in a scratch folder):

    >>> import tempfile, k2data
    >>> from unittest import mock
    >>> with tempfile.TemporaryDirectory() as cache, mock.patch.dict("os.environ", {"K2DATA_CACHE_DIR": cache}):
    ...     paths = k2data.fetch(k2data.__version__, ["genes"])
    ...     paths["genes"].name
    'genes.parquet'
    """
    version = normalise_version(version)
    bundled = open_package()
    if version == bundled.version:
        return _fetch_bundled(version, tables)
    import pooch

    reg = read_registry(version)
    names = {fname.removesuffix(".parquet"): fname for fname in reg}
    wanted = list(names) if tables is None else list(tables)
    for name in wanted:
        if name not in names:
            raise UnknownTableError(name, names)
    base = release_base_url(version, bundled.release_url)
    cache = cache_dir(version)
    made = _missing_folders(cache)
    bar = _progressbar() if progressbar is None else progressbar
    deadline = _timeout()
    out: dict[str, Path] = {}
    try:
        store = pooch.create(
            path=cache, base_url=base, registry={f: f"sha256:{e.sha256}" for f, e in reg.items()},
            retry_if_failed=0, allow_updates=True,
        )  # fmt: skip
        for name in wanted:
            fname = names[name]
            entry = reg[fname]
            url = base + fname
            inner = _LimitedDownload(deadline, entry.size or DEFAULT_MAX_BYTES, bar)
            downloader = _CheckedDownload(inner, fname, version)
            try:
                out[name] = Path(store.fetch(fname, downloader=downloader))
            except BaseException as exc:
                _drop_if_stale(cache / fname, entry)
                _raise_download_error(exc, fname, url, version, cache, downloader.received)
                raise
    except BaseException:
        _remove_empty(made)
        raise
    return out


def _missing_folders(folder: Path) -> list[Path]:
    """*folder* and those of its parents that do not exist yet, innermost first."""
    missing = []
    p = folder
    while not p.exists() and p.parent != p:
        missing.append(p)
        p = p.parent
    return missing


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders a failed fetch created, innermost first, where they are empty."""
    for d in folders:
        with suppress(OSError):
            d.rmdir()


def _fetch_bundled(version: str, tables: Iterable[str] | None) -> dict[str, Path]:
    """The Parquet files of the bundled version, written into the cache from the wheel's data (no network)."""
    import tempfile

    from .export import parquet_relpath
    from .release import export

    pkg = open_package()
    wanted = list(pkg.table_names) if tables is None else list(tables)
    for name in wanted:
        pkg.table(name)  # raises UnknownTableError with the choices
    cache = cache_dir(version)
    made = _missing_folders(cache)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache) as scratch:
            export("parquet", scratch)
            for name in wanted:
                os.replace(Path(scratch) / parquet_relpath(name), cache / f"{name}.parquet")
    except OSError as exc:
        _remove_empty(made)
        msg = f"could not store the bundled k2data {version} in the cache {cache} ({exc.strerror or exc}); set {ENV_CACHE_DIR} to a folder you can write to"
        raise DownloadError(msg) from None
    except BaseException:
        _remove_empty(made)
        raise
    return {name: cache / f"{name}.parquet" for name in wanted}


def _raise_download_error(
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


def read_parquet(path: str | Path) -> pd.DataFrame:
    """Read a k2data Parquet file into a DataFrame typed like :func:`k2data.load`'s.

    Enumerations become categoricals (every allowed value, in declared
    order), integers ``Int64``, booleans ``boolean``, strings ``string``,
    dates ``datetime64[ns]`` and lists Python lists.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    string = pd.api.types.pandas_dtype("string")
    mapping = {
        pa.int64(): pd.Int64Dtype(),
        pa.int32(): pd.Int64Dtype(),
        pa.bool_(): pd.BooleanDtype(),
        pa.string(): string,
        pa.large_string(): string,
    }
    df = table.to_pandas(types_mapper=mapping.get, date_as_object=False)
    for f in table.schema:
        if pa.types.is_list(f.type) or pa.types.is_large_list(f.type):
            df[f.name] = pd.Series([v if v is not None else [] for v in table.column(f.name).to_pylist()], dtype=object)
        elif pa.types.is_date(f.type) or pa.types.is_timestamp(f.type):
            df[f.name] = df[f.name].astype("datetime64[ns]")
    meta = table.schema.metadata or {}
    if b"k2data.table" in meta:
        df.attrs["k2data_table"] = meta[b"k2data.table"].decode()
    if b"k2data.version" in meta:
        df.attrs["k2data_version"] = meta[b"k2data.version"].decode()
    return df


def load_version(name: str | None, version: str) -> pd.DataFrame | Mapping[str, pd.DataFrame]:
    """Load one table (or all, if *name* is ``None``) of release *version*, downloading it if needed."""
    paths = fetch(version, None if name is None else [name])
    if name is not None:
        return read_parquet(paths[name])
    return {table: read_parquet(path) for table, path in paths.items()}
