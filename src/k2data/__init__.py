"""k2data: the evidence on vitamin K2 (menaquinone) and cancer, checked claim by claim.

Educational material, not medical advice.

>>> import k2data
>>> "claims" in k2data.TABLES
True
"""

from __future__ import annotations

from typing import Any

from .describe import citation, describe, info
from .errors import DataFileError, DescriptorError, DownloadError, K2DataError, UnknownTableError
from .load import load
from .validate import validate

__all__ = [
    "TABLES",
    "DataFileError",
    "DescriptorError",
    "DownloadError",
    "K2DataError",
    "UnknownTableError",
    "__version__",
    "citation",
    "describe",
    "info",
    "load",
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
