"""Exceptions raised by k2data.

Every exception derives from :class:`K2DataError`, so one ``except`` clause
catches them all::

    K2DataError
    ├── UnknownTableError   (also a KeyError)  unknown table name
    ├── DescriptorError                        datapackage.json missing, not JSON, incomplete
    ├── DataFileError                          a data file cannot be read as its schema says
    ├── DownloadError                          a pinned release could not be fetched or verified
    │   ├── fetch.ChecksumError                the bytes differ from the release
    │   ├── fetch.IncompleteDownloadError      the download broke off or ended early
    │   └── fetch.UnexpectedContentError       not a Parquet file (an HTML error page...)
    └── release.ReleaseError                   a release cannot be built or written where asked
        └── release.ReleaseWriteError          (also an OSError) writing failed; nothing was changed

Invalid *data* is not an exception: :func:`k2data.validate` returns a report.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["DataFileError", "DescriptorError", "DownloadError", "K2DataError", "UnknownTableError"]


class K2DataError(Exception):
    """Base class of all k2data errors."""


class UnknownTableError(K2DataError, KeyError):
    """A table name that the package does not have."""

    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        self.known = tuple(known)
        msg = f"no table named {name!r}; choose one of: {', '.join(self.known)}"
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class DescriptorError(K2DataError):
    """The descriptor (``datapackage.json``) is missing, not JSON or incomplete."""


class DataFileError(K2DataError):
    """A data file cannot be read as its schema describes; run ``k2data validate``."""


class DownloadError(K2DataError):
    """A release file could not be downloaded or failed its checksum."""
