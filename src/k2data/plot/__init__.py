"""Evidence plots: a forest plot of the comparisons between groups and a map of mechanisms by cancer.

matplotlib is an optional extra (``pip install "k2data[plot]"``); it is
imported only when a figure is drawn, so ``import k2data`` stays light. The
functions return a :class:`matplotlib.figure.Figure` built without pyplot
(no global state, no display needed); :func:`save` writes it as PNG or SVG.

The data behind each figure is available without matplotlib, as a DataFrame
that can be inspected or tested: :func:`forest_rows`, :func:`evidence_cells`
and :func:`mechanism_claims` (in :mod:`.data`). Everything the figures need to
know about a vocabulary (labels, which comparisons are between groups, which
verdicts are weak...) comes from the descriptor.

Examples
--------
>>> import k2data.plot
>>> rows = k2data.plot.forest_rows()
>>> bool(rows["estimate"].notna().all())
True
>>> fig = k2data.plot.forest()            # doctest: +SKIP
>>> k2data.plot.save(fig, "forest.svg")   # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import K2DataError
from ._common import INSTALL_HINT, require_matplotlib, style
from .data import evidence_cells, forest_rows, mechanism_claims, study_label
from .evidence_map import evidence_map
from .forest import forest

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "INSTALL_HINT",
    "evidence_cells",
    "evidence_map",
    "forest",
    "forest_rows",
    "mechanism_claims",
    "save",
    "study_label",
]


def save(fig: Figure, path: str | Path, *, dpi: int = 150) -> Path:
    """Write *fig* to *path* as PNG or SVG, chosen by the file extension.

    The files carry no creation date, so rendering the same data twice with
    the same matplotlib gives the same file.

    Raises
    ------
    K2DataError
        If the extension is not ``.png`` or ``.svg``.

    Examples
    --------
    >>> import k2data.plot
    >>> k2data.plot.save(k2data.plot.forest(), "forest.png")  # doctest: +SKIP
    PosixPath('forest.png')
    """
    target = Path(path)
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        msg = f"{target}: cannot tell the image format from the extension; use .png or .svg"
        raise K2DataError(msg)
    require_matplotlib()
    from matplotlib import rc_context

    metadata: dict[str, Any] = {"Software": None} if fmt == "png" else {"Date": None, "Creator": None}
    target.parent.mkdir(parents=True, exist_ok=True)
    with rc_context(style()):
        fig.savefig(target, format=fmt, dpi=dpi, metadata=metadata, facecolor="white")
    return target
