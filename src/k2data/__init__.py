"""k2data: the evidence on vitamin K2 (menaquinone) and cancer, checked claim by claim.

Educational material, not medical advice.

Everything users need is importable from here; the submodules are the
implementation.

>>> import k2data
>>> "claims" in k2data.TABLES
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .describe import citation, describe, info
from .errors import (
    ChecksumError,
    DataFileError,
    DescriptorError,
    DownloadError,
    DownloadLimitError,
    IncompleteDownloadError,
    K2DataError,
    MissingDependencyError,
    PublishedVersionError,
    QueryError,
    ReadOnlyError,
    ReleaseError,
    ReleaseWriteError,
    UnexpectedContentError,
    UnknownTableError,
    UnsupportedFieldType,
)
from .fetch import fetch
from .load import load
from .schemas import schema
from .validation import Limits, Problem, ValidationReport, validate
from .views import evidence

if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "TABLES",
    "ChecksumError",
    "DataFileError",
    "DescriptorError",
    "DownloadError",
    "DownloadLimitError",
    "IncompleteDownloadError",
    "K2DataError",
    "Limits",
    "MissingDependencyError",
    "Problem",
    "PublishedVersionError",
    "QueryError",
    "ReadOnlyError",
    "ReleaseError",
    "ReleaseWriteError",
    "UnexpectedContentError",
    "UnknownTableError",
    "UnsupportedFieldType",
    "ValidationReport",
    "__version__",
    "citation",
    "describe",
    "evidence",
    "fetch",
    "info",
    "load",
    "schema",
    "validate",
]

def __getattr__(name: str) -> Any:
    # computed on first use, so that importing k2data reads no file
    if name == "TABLES":
        from .load import table_names

        return table_names()
    if name == "__version__":
        from importlib.metadata import version

        return version("k2data")
    msg = f"module 'k2data' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
