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
from collections.abc import Iterable, Mapping
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._download import (
    DEFAULT_MAX_BYTES,
    DEFAULT_TIMEOUT,
    ENV_CACHE_DIR,
    ENV_DOWNLOAD_TIMEOUT,
    CheckedDownload,
    LimitedDownload,
    drop_if_stale,
    raise_download_error,
    timeout,
    wants_progressbar,
)
from ._package import open_package
from ._registry import ENV_RELEASE_URL, known_versions, normalise_version, read_registry, release_base_url
from .errors import DownloadError, UnknownTableError

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

def cache_dir(version: str | None = None) -> Path:
    """The download cache (``K2DATA_CACHE_DIR`` or the user cache folder), or its folder for *version*."""
    env = os.environ.get(ENV_CACHE_DIR)
    if env:
        root = Path(env).expanduser()
    else:
        import platformdirs

        root = Path(platformdirs.user_cache_dir("k2data", appauthor=False))
    return root if version is None else root / normalise_version(version)


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
    bar = wants_progressbar() if progressbar is None else progressbar
    deadline = timeout()
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
            inner = LimitedDownload(deadline, entry.size or DEFAULT_MAX_BYTES, bar)
            downloader = CheckedDownload(inner, fname, version)
            try:
                out[name] = Path(store.fetch(fname, downloader=downloader))
            except BaseException as exc:
                drop_if_stale(cache / fname, entry)
                raise_download_error(exc, fname, url, version, cache, downloader.received)
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
                os.replace(Path(scratch) / "parquet" / f"{name}.parquet", cache / f"{name}.parquet")
    except OSError as exc:
        _remove_empty(made)
        msg = f"could not store the bundled k2data {version} in the cache {cache} ({exc.strerror or exc}); set {ENV_CACHE_DIR} to a folder you can write to"
        raise DownloadError(msg) from None
    except BaseException:
        _remove_empty(made)
        raise
    return {name: cache / f"{name}.parquet" for name in wanted}


def read_parquet(path: str | Path, lists: str = "python") -> pd.DataFrame:
    """Read a k2data Parquet file into a DataFrame typed like :func:`k2data.load`'s.

    Enumerations become categoricals (every allowed value, in declared
    order), integers ``Int64``, booleans ``boolean``, strings ``string``,
    dates ``datetime64[ns]`` and lists Python lists (or Arrow lists of
    strings if *lists* is ``"arrow"``); an empty list cell is ``[]``.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
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
        if (pa.types.is_list(f.type) or pa.types.is_large_list(f.type)) and lists == "arrow":
            kind = pa.list_(pa.string())
            column = table.column(f.name).cast(kind)
            filled = pc.if_else(column.is_null(), pa.scalar([], type=kind), column)
            df[f.name] = pd.arrays.ArrowExtensionArray(filled)
        elif pa.types.is_list(f.type) or pa.types.is_large_list(f.type):
            df[f.name] = pd.Series([v if v is not None else [] for v in table.column(f.name).to_pylist()], dtype=object)
        elif pa.types.is_date(f.type) or pa.types.is_timestamp(f.type):
            df[f.name] = df[f.name].astype("datetime64[ns]")
    meta = table.schema.metadata or {}
    if b"k2data.table" in meta:
        df.attrs["k2data_table"] = meta[b"k2data.table"].decode()
    if b"k2data.version" in meta:
        df.attrs["k2data_version"] = meta[b"k2data.version"].decode()
    return df


def read_arrow(name: str | None, version: str, backend: str = "pyarrow") -> Any:
    """Tables of release *version* as Arrow tables (or polars DataFrames if *backend* is ``"polars"``), fetched if needed.

    A release's Parquet files carry k2data's Arrow schema, so they are read as they are.
    """
    import pyarrow.parquet as pq

    from .load import from_arrow

    paths = fetch(version, None if name is None else [name])

    def one(path: Path) -> Any:
        table = pq.read_table(path)
        return from_arrow(table) if backend == "polars" else table

    if name is not None:
        return one(paths[name])
    return {table: one(path) for table, path in paths.items()}


def load_version(name: str | None, version: str, lists: str = "python") -> pd.DataFrame | Mapping[str, pd.DataFrame]:
    """Load one table (or all, if *name* is ``None``) of release *version*, downloading it if needed."""
    paths = fetch(version, None if name is None else [name])
    if name is not None:
        return read_parquet(paths[name], lists)
    return {table: read_parquet(path, lists) for table, path in paths.items()}
