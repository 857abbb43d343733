"""What the figures share: loading tables, reading the vocabularies, the font and text layout, the style.

Text is measured with the font's glyph advances (no renderer needed), so a
label is wrapped or shortened to fit its column on every machine alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import MissingDependencyError

if TYPE_CHECKING:
    import pandas as pd

    from .._package import FieldSpec, PackageSpec

__all__ = [
    "FONT",
    "INSTALL_HINT",
    "fit",
    "fit_keep_tail",
    "fmt",
    "items",
    "load_tables",
    "require_matplotlib",
    "spec",
    "style",
    "text",
    "text_width_in",
    "vocabulary",
    "wrap_in",
]

INSTALL_HINT = 'pip install "k2data[plot]"'
FONT = "DejaVu Sans"  # shipped with matplotlib: the same glyphs on every machine
#: Colour-blind-safe (Okabe-Ito) colours by what a result says: favours vitamin K, favours the comparator, neither.
SIGN_COLOURS = {1: "#0072B2", -1: "#D55E00", 0: "#7F7F7F"}
UNTESTED_COLOUR = "#B0B0B0"
#: Colours of a seed verdict that is questioned or weak, and of its text on white.
WARN_COLOUR, WARN_TEXT = "#CC3311", "#B22A0E"
MILD_COLOUR, MILD_TEXT = "#EE9922", "#8F5B00"


def spec(datapackage: str | Path | None) -> PackageSpec:
    from .._package import open_package

    return open_package(datapackage)


def vocabulary(datapackage: str | Path | None, table: str, field: str) -> FieldSpec:
    """The field spec of a vocabulary (its values, labels and category properties)."""
    return spec(datapackage).table(table).field(field)


def load_tables(
    datapackage: str | Path | None, given: Mapping[str, pd.DataFrame] | None, names: Iterable[str]
) -> dict[str, pd.DataFrame]:
    from ..load import load

    return {name: given[name] if given is not None and name in given else load(name, datapackage=datapackage) for name in names}


def text(value: Any) -> str:
    """A cell as text: missing values (None, NaN, pd.NA) become ''."""
    if value is None:
        return ""
    try:
        if value != value:  # NaN
            return ""
    except (TypeError, ValueError):  # pd.NA raises on comparison in a boolean context
        return ""
    return str(value)


def items(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else []


def require_matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError:
        msg = f"plotting needs matplotlib, which is not installed; install it with: {INSTALL_HINT}"
        raise MissingDependencyError(msg) from None
    return matplotlib


def style() -> Any:  # matplotlib types the keys as a Literal of every rcParam
    return {
        "font.family": FONT,
        "font.size": 8,
        "axes.titlesize": 9,
        "svg.hashsalt": "k2data",
        "svg.fonttype": "path",
        "path.simplify": False,
    }


def fmt(x: float) -> str:
    return f"{x:.2f}" if x < 10 else f"{x:.1f}"


@lru_cache(maxsize=4096)
def _advance_pt(char: str, weight: str) -> float:
    """Advance width of *char* at 1 pt in the plots' font."""
    from matplotlib.font_manager import FontProperties, findfont, get_font

    font = get_font(findfont(FontProperties(family=FONT, weight=weight)))
    font.set_size(100, 72)  # 100 pt at 72 dpi: widths in points, scaled down below
    glyph = font.load_char(ord(char))
    return float(glyph.linearHoriAdvance) / 65536 / 100


def text_width_in(value: str, size: float = 8, weight: str = "normal") -> float:
    """Width of *value* in inches when set in the plots' font (summed glyph advances, erring on the wide side)."""
    return sum(_advance_pt(ch, weight) for ch in value) * size / 72.0 * 1.04


def wrap_in(value: str, width_in: float, size: float = 8) -> str:
    """*value* broken into lines no wider than *width_in* inches (its own line breaks kept)."""
    out: list[str] = []
    for paragraph in value.split("\n"):
        lines: list[str] = []
        for word in paragraph.split():
            if lines and text_width_in(f"{lines[-1]} {word}", size) <= width_in:
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines.append(word)
        out += lines or [""]
    return "\n".join(out)


def fit(value: str, width_in: float, size: float = 8, weight: str = "normal") -> str:
    """*value*, shortened with an ellipsis until it fits in *width_in* inches."""
    value = " ".join(value.split())
    if text_width_in(value, size, weight) <= width_in:
        return value
    lo, hi = 0, len(value)
    while lo < hi:  # the longest prefix that fits with its ellipsis
        mid = (lo + hi + 1) // 2
        if text_width_in(value[:mid].rstrip(" ,;:") + "\u2026", size, weight) <= width_in:
            lo = mid
        else:
            hi = mid - 1
    return value[:lo].rstrip(" ,;:") + "\u2026"


def fit_keep_tail(value: str, width_in: float, size: float = 8) -> str:
    """*value* shortened in the middle, keeping what follows its last comma (a study's author and year)."""
    value = " ".join(value.split())
    if text_width_in(value, size) <= width_in or ", " not in value:
        return fit(value, width_in, size)
    head, tail = value.rsplit(", ", 1)
    room = width_in - text_width_in(f"\u2026 {tail}", size)
    if room <= 0:
        return fit(value, width_in, size)
    return f"{fit(head, room, size).removesuffix(chr(0x2026))}\u2026 {tail}"
