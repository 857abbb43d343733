"""Download the Parquet files of a pinned release, verify them and cache them.

``k2data.load(name, version="X.Y.Z")`` and ``k2data fetch --version X.Y.Z``
use this module. The version the package itself carries never goes through
here: it loads from the wheel, offline.

How a download works:

1. The sha256 of every Parquet file of release ``X.Y.Z`` is looked up in the
   registry shipped in the package, ``k2data/registry/X.Y.Z.txt`` (written by
   ``k2data build``, see :mod:`k2data.release`). A version without a registry
   file is refused before any network access.
2. pooch downloads ``<base URL><file name>`` into a temporary file in the
   cache. k2data checks that what arrived is a whole Parquet file (not an
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
- :class:`~k2data.errors.DownloadError` itself: an HTTP error status such
  as 404, an unreachable server, a cache folder that cannot be written.

Environment variables:

``K2DATA_RELEASE_URL``
    Base URL of the release files (default :data:`k2data.export.RELEASE_URL`,
    the GitHub release assets). ``{version}`` in it is replaced by the version.
    A ``file://`` URL reads a local mirror, e.g. on a machine without network.
``K2DATA_CACHE_DIR``
    Cache folder (default: the user cache folder given by platformdirs, such
    as ``~/.cache/k2data`` on Linux). Files go to ``<cache>/<version>/``.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import DownloadError, UnknownTableError
from .export import RELEASE_URL

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ENV_CACHE_DIR",
    "ENV_RELEASE_URL",
    "ChecksumError",
    "IncompleteDownloadError",
    "UnexpectedContentError",
    "cache_dir",
    "fetch",
    "known_versions",
    "load_version",
    "read_parquet",
    "registry",
    "release_base_url",
]

ENV_RELEASE_URL = "K2DATA_RELEASE_URL"
ENV_CACHE_DIR = "K2DATA_CACHE_DIR"
_VERSION = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+([-+.][0-9A-Za-z.+-]+)?$")


class ChecksumError(DownloadError):
    """A downloaded file does not match the sha256 the registry gives for it."""


class IncompleteDownloadError(DownloadError):
    """A download broke off, or ended before the end of the file; trying again may work."""


class UnexpectedContentError(DownloadError):
    """The server sent something that is not the file asked for, such as an HTML error page."""


#: Every Parquet file starts and ends with these bytes.
_PARQUET_MAGIC = b"PAR1"


def _registry_dir() -> Path:
    return Path(str(files("k2data"))) / "registry"


def _normalise(version: str) -> str:
    v = str(version).strip()
    v = v[1:] if v[:1] in ("v", "V") else v
    if not _VERSION.match(v):
        msg = f"{version!r} is not a release version; give one like 0.1.0"
        raise DownloadError(msg)
    return v


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"[0-9]+", version)[:3])


def known_versions() -> list[str]:
    """The versions whose checksums this installation knows, oldest first."""
    folder = _registry_dir()
    if not folder.is_dir():
        return []
    return sorted((p.stem for p in folder.glob("*.txt") if _VERSION.match(p.stem)), key=_version_key)


def registry(version: str) -> dict[str, str]:
    """``{file name: "sha256:<hex>"}`` of release *version*'s Parquet files, in table order.

    Raises
    ------
    DownloadError
        If this installation knows no checksums for *version*, or the registry file is malformed.
    """
    version = _normalise(version)
    path = _registry_dir() / f"{version}.txt"
    if not path.is_file():
        known = ", ".join(known_versions()) or "none"
        msg = (
            f"no checksums known for k2data release {version} (known: {known}); "
            "upgrade k2data to fetch a newer release, or check the version number"
        )
        raise DownloadError(msg)
    out: dict[str, str] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2 or not re.fullmatch(r"[0-9a-f]{64}", parts[1]):
            msg = f"{path}:{n}: expected '<file name> <sha256>' but got {line!r}; reinstall k2data"
            raise DownloadError(msg)
        out[parts[0]] = f"sha256:{parts[1]}"
    return out


def release_base_url(version: str) -> str:
    """The base URL of release *version*'s files (``K2DATA_RELEASE_URL`` or the default), ending in ``/``."""
    base = os.environ.get(ENV_RELEASE_URL) or RELEASE_URL
    base = base.replace("{version}", _normalise(version))
    return base if base.endswith("/") else base + "/"


def cache_dir(version: str | None = None) -> Path:
    """The download cache (``K2DATA_CACHE_DIR`` or the user cache folder), or its folder for *version*."""
    env = os.environ.get(ENV_CACHE_DIR)
    if env:
        root = Path(env).expanduser()
    else:
        import platformdirs

        root = Path(platformdirs.user_cache_dir("k2data", appauthor=False))
    return root if version is None else root / _normalise(version)


def _progressbar() -> bool:
    if not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()):
        return False
    try:
        import tqdm  # noqa: F401
    except ImportError:  # pragma: no cover - tqdm comes with pooch[progress]
        return False
    return True


def _copy_local(url: str, output_file: str, pooch: object) -> None:
    """A pooch downloader for ``file://`` URLs (a local mirror of the release files)."""
    from urllib.parse import unquote, urlparse
    from urllib.request import url2pathname

    source = Path(url2pathname(unquote(urlparse(url).path)))
    if not source.is_file():
        msg = f"could not copy {source.name} from {url}: no such file in the mirror; check {ENV_RELEASE_URL}"
        raise DownloadError(msg)
    shutil.copyfile(source, output_file)


def _url_hint() -> str:
    if os.environ.get(ENV_RELEASE_URL):
        return f" and that {ENV_RELEASE_URL} is right"
    return ""


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

    def __init__(self, inner: Callable[[str, str, object], object], fname: str, version: str) -> None:
        self.inner = inner
        self.fname = fname
        self.version = version
        self.received: int | None = None

    def __call__(self, url: str, output_file: str, pooch: object) -> None:
        self.inner(url, output_file, pooch)
        self.received = Path(output_file).stat().st_size
        _check_payload(Path(output_file), self.fname, url, self.version)


def _drop_if_stale(path: Path, known_hash: str) -> None:
    """Delete a cached file that does not match *known_hash* (after a failed attempt to replace it)."""
    from .export import sha256_file

    try:
        if path.is_file() and sha256_file(path) != known_hash.split(":", 1)[-1]:
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
    DownloadError
        If the version is unknown, the server answers with an error status
        (such as 404) or cannot be reached, or the cache cannot be written.
    """
    import pooch

    version = _normalise(version)
    reg = registry(version)
    names = {fname.removesuffix(".parquet"): fname for fname in reg}
    wanted = list(names) if tables is None else list(tables)
    for name in wanted:
        if name not in names:
            raise UnknownTableError(name, names)
    base = release_base_url(version)
    cache = cache_dir(version)
    store = pooch.create(path=cache, base_url=base, registry=reg, retry_if_failed=0, allow_updates=True)
    bar = _progressbar() if progressbar is None else progressbar
    out: dict[str, Path] = {}
    for name in wanted:
        fname = names[name]
        url = base + fname
        inner = _copy_local if url.startswith("file:") else pooch.HTTPDownloader(progressbar=bar, timeout=60)
        downloader = _CheckedDownload(inner, fname, version)
        try:
            out[name] = Path(store.fetch(fname, downloader=downloader))
        except BaseException as exc:
            _drop_if_stale(cache / fname, reg[fname])
            _raise_download_error(exc, fname, url, version, cache, downloader.received)
            raise
    return out


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
            f"check your connection. Files already in the cache ({cache}) are used offline"
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
