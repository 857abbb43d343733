"""k2data._package.paths.readable_problem: the file-system half of the containment rule, fast path and long way alike."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from k2data._package.paths import readable_problem


def _the_long_way(root: Path, path: str) -> str | None:
    """What readable_problem answered before its lstat fast path: resolve both, compare, stat."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(os.path.join(real_root, path))
    if os.path.commonpath([real_root, real]) != real_root:
        return "outside"
    try:
        os.lstat(os.path.join(root, path))
        st = os.stat(real)
    except FileNotFoundError:
        return None
    except OSError:
        return "cannot"
    return None if stat.S_ISREG(st.st_mode) else "not regular"


def _kind(answer: str | None) -> str | None:
    if answer is None:
        return None
    for word, kind in (("outside", "outside"), ("regular", "not regular"), ("examined", "cannot")):
        if word in answer:
            return kind
    return answer


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "pkg"
    (root / "data").mkdir(parents=True)
    (root / "data" / "t.csv").write_text("a\n")
    (root / "folder.csv").mkdir()
    (root / "plain").write_text("x")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "t.csv").write_text("secret\n")
    (root / "out").symlink_to(tmp_path / "outside")
    (root / "in").symlink_to(root / "data")
    (root / "data" / "link-in.csv").symlink_to(root / "data" / "t.csv")
    (root / "data" / "link-out.csv").symlink_to(tmp_path / "outside" / "t.csv")
    return root


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("data/t.csv", None),
        ("data/missing.csv", None),
        ("missing/t.csv", None),
        ("folder.csv", "not regular"),
        ("plain/t.csv", "cannot"),
        ("out/t.csv", "outside"),
        ("in/t.csv", None),
        ("data/link-in.csv", None),
        ("data/link-out.csv", "outside"),
        ("./data/t.csv", None),
        ("data//t.csv", None),
    ],
)
def test_the_answer_is_the_one_resolving_every_link_gives(tree: Path, path: str, kind: str | None) -> None:
    assert _kind(readable_problem(tree, path)) == kind
    assert _kind(_the_long_way(tree, path)) == kind
