"""Exceptions raised by k2data: every one of them lives here.

Every exception derives from :class:`K2DataError`, so one ``except`` clause
catches them all::

    K2DataError
    ├── UnknownTableError          (also a KeyError)  unknown table name
    ├── DescriptorError                               datapackage.json unreadable, not JSON, incomplete
    │   └── UnsupportedFieldType                      a field type an exporter has no mapping for
    ├── DataFileError                                 a data file cannot be read as its schema says
    ├── MissingDependencyError     (also ImportError) an optional extra is not installed
    ├── DownloadError                                 a pinned release could not be fetched or verified
    │   ├── ChecksumError                             the bytes differ from the release
    │   ├── IncompleteDownloadError                   the download broke off or ended early
    │   ├── UnexpectedContentError                    not the file asked for (an HTML error page...)
    │   └── DownloadLimitError                        past its deadline or its size cap; stopped
    ├── ReleaseError                                  a release cannot be built or written where asked
    │   ├── ReleaseWriteError      (also an OSError)  writing failed; nothing was changed
    │   └── PublishedVersionError                     the data changed but the version is already released
    └── QueryError                                    SQLite cannot run a query (its message says why)
        └── ReadOnlyError                             the query would write, attach or set something; refused

Invalid *data* is not an exception: :func:`k2data.validate` returns a report.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "ChecksumError",
    "DataFileError",
    "DescriptorError",
    "DownloadError",
    "DownloadLimitError",
    "IncompleteDownloadError",
    "K2DataError",
    "MissingDependencyError",
    "PublishedVersionError",
    "QueryError",
    "ReadOnlyError",
    "ReleaseError",
    "ReleaseWriteError",
    "UnexpectedContentError",
    "UnknownTableError",
    "UnsupportedFieldType",
]


class K2DataError(Exception):
    """Base class of all k2data errors."""


class UnknownTableError(K2DataError, KeyError):
    """A table name that the package does not have; the message lists the choices."""

    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        self.known = tuple(known)
        msg = f"no table named {name!r}; choose one of: {', '.join(self.known)}"
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class DescriptorError(K2DataError):
    """The descriptor (``datapackage.json``) cannot be read or describes no package."""


class UnsupportedFieldType(DescriptorError):
    """A descriptor field type that an exporter has no mapping for yet."""


class DataFileError(K2DataError):
    """A data file cannot be read as its schema describes; run ``k2data validate``."""


class MissingDependencyError(K2DataError, ImportError):
    """An optional extra is needed; the message says what to install."""


class DownloadError(K2DataError):
    """A release file could not be downloaded or failed its checksum."""


class ChecksumError(DownloadError):
    """A downloaded file does not match the sha256 the registry gives for it."""


class IncompleteDownloadError(DownloadError):
    """A download broke off, or ended before the end of the file; trying again may work."""


class UnexpectedContentError(DownloadError):
    """The server sent something that is not the file asked for, such as an HTML error page."""


class DownloadLimitError(DownloadError):
    """A download passed its deadline or its size cap; it was stopped and deleted."""


class ReleaseError(K2DataError):
    """The release cannot be built or written where asked."""


class ReleaseWriteError(ReleaseError, OSError):
    """Writing the release failed (a full disk, no permission...); the message says what state things are in.

    Also an :class:`OSError` with the ``errno``, ``strerror`` and ``filename``
    of the error that stopped the write, so ``except OSError`` still works.
    """

    def __init__(self, message: str, cause: OSError) -> None:
        super().__init__(cause.errno, cause.strerror or str(cause), cause.filename)
        self.message = message

    def __str__(self) -> str:
        return self.message


class PublishedVersionError(ReleaseError):
    """The data differs from a version that has been released; the message names the next version to use."""


class QueryError(K2DataError):
    """SQLite cannot run a query (a syntax error, an unknown table, past its deadline); the message is SQLite's."""


class ReadOnlyError(QueryError):
    """A query would write, attach a database, set a PRAGMA or call a function that reaches outside SQL; refused."""
