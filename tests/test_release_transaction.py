"""Safe writes: `k2data build` and `k2data export` never leave a half-written, clobbered or foreign-file-less folder.

Every failure here is made on purpose, in the middle of the work: a full disk
(a Parquet write that stops part-way with ``ENOSPC``), a rename that fails
while the new files are being moved into place, ``KeyboardInterrupt``, a
file where a folder should be, a name too long for the file system. After
each one the output folder must hold exactly the bytes it held before, no
temporary file or folder may be left anywhere under ``tmp_path``, and files
that are not the release's (a user's notes next to it or inside it) must be
untouched.

The rules tested (see :mod:`k2data.release`):

- ``build`` replaces its folder as a whole, so it refuses a folder holding
  anything a release does not hold and names those files;
- ``export`` only adds or replaces its own files, also inside ``csv/`` and
  ``parquet/``, and refuses to write through a symbolic link.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

import k2data.export.croissant as croissant_mod
import k2data.release as release_mod
from k2data._package import open_package as package_spec
from k2data.cli import main
from k2data.errors import ReleaseError, ReleaseWriteError
from k2data.release import build, export

TABLES = list(package_spec().table_names)


def _tree(folder: Path) -> dict[str, bytes | None]:
    """Every entry below *folder*: files with their bytes, folders and links as ``None``/their target."""
    out: dict[str, bytes | None] = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_symlink():
            out[rel] = os.readlink(p).encode()
        elif p.is_file():
            out[rel] = p.read_bytes()
        else:
            out[rel + "/"] = None
    return out


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    """A release built once for the module; tests copy it, never change it."""
    return build(tmp_path_factory.mktemp("release") / "dist", check=False).out


@pytest.fixture
def previous(tmp_path, release) -> Path:
    """A previous release at ``tmp_path/dist`` (a copy of the module's one)."""
    import shutil

    return Path(shutil.copytree(release, tmp_path / "dist"))


@pytest.fixture
def full_disk(monkeypatch) -> Callable[[int], None]:
    """Make the *n*-th Parquet write stop half-way with ENOSPC, after writing part of its file."""

    def arm(n: int) -> None:
        real = pq.write_table
        calls = {"n": 0}

        def write_table(table: Any, where: Any, **kwargs: Any) -> None:
            calls["n"] += 1
            if calls["n"] < n:
                return real(table, where, **kwargs)
            with open(where, "wb") as fh:
                fh.write(b"PAR1" + b"\0" * 1000)  # the part that fitted
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(where))

        monkeypatch.setattr(pq, "write_table", write_table)

    return arm


@pytest.fixture
def failing_rename(monkeypatch) -> Callable[..., list[tuple[str, str]]]:
    """Make the *n*-th ``os.replace`` raise *exc* (once); returns the log of every rename tried."""

    def arm(n: int, exc: BaseException | None = None) -> list[tuple[str, str]]:
        real = os.replace
        log: list[tuple[str, str]] = []

        def replace(src: Any, dst: Any, **kwargs: Any) -> None:
            log.append((str(src), str(dst)))
            if len(log) == n:
                raise exc if exc is not None else OSError(errno.EIO, os.strerror(errno.EIO), str(dst))
            real(src, dst, **kwargs)

        monkeypatch.setattr(os, "replace", replace)
        return log

    return arm


def _no_leftovers(root: Path, *expected: str) -> None:
    """Only *expected* are directly in *root*: no staging folder, no folder made for nothing."""
    assert sorted(p.name for p in root.iterdir()) == sorted(expected)
    hidden = [p for p in root.rglob(".*")]
    assert hidden == [], f"temporary files left behind: {hidden}"


# --- build -----------------------------------------------------------------------------------


def test_a_full_disk_midway_leaves_the_previous_release(tmp_path, previous, full_disk) -> None:
    before = _tree(previous)
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    full_disk(3)
    with pytest.raises(ReleaseWriteError) as info:
        build(previous, check=False)
    assert isinstance(info.value, OSError) and info.value.errno == errno.ENOSPC
    assert str(info.value).startswith(f"{previous}: building the release failed (No space left on device: ")
    assert "is as it was; no partial files were left" in str(info.value)
    assert _tree(previous) == before
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"
    _no_leftovers(tmp_path, "dist", "notes.txt")


def test_a_failed_first_build_leaves_no_folder_it_made(tmp_path, full_disk) -> None:
    full_disk(1)
    with pytest.raises(ReleaseWriteError, match="No space left on device"):
        build(tmp_path / "a" / "b" / "dist", check=False)
    _no_leftovers(tmp_path)


@pytest.mark.parametrize("exc", [KeyboardInterrupt(), RuntimeError("bug in an exporter")], ids=["interrupt", "bug"])
def test_an_interrupted_build_leaves_the_previous_release(tmp_path, previous, monkeypatch, exc) -> None:
    before = _tree(previous)

    def write(ctx: Any) -> list[str]:
        (ctx.out / "croissant.json").write_text('{"half": ', encoding="utf-8")
        raise exc

    monkeypatch.setattr(croissant_mod, "write", write)
    with pytest.raises(type(exc)):
        build(previous, check=False)
    assert _tree(previous) == before
    _no_leftovers(tmp_path, "dist")


@pytest.mark.parametrize("n", [1, 2], ids=["moving-the-old-release-aside", "moving-the-new-one-in"])
def test_a_failed_swap_puts_the_previous_release_back(tmp_path, previous, failing_rename, n) -> None:
    before = _tree(previous)
    log = failing_rename(n)
    with pytest.raises(ReleaseWriteError, match=r"Input/output error"):
        build(previous, check=False)
    assert len(log) >= n, "the failure was injected where intended"
    assert _tree(previous) == before
    _no_leftovers(tmp_path, "dist")


def test_an_interrupt_during_the_swap_puts_the_previous_release_back(tmp_path, previous, failing_rename) -> None:
    before = _tree(previous)
    failing_rename(2, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        build(previous, check=False)
    assert _tree(previous) == before
    _no_leftovers(tmp_path, "dist")


def test_build_refuses_a_release_folder_holding_other_files(tmp_path, previous) -> None:
    (previous / "notes.txt").write_text("mine", encoding="utf-8")
    (previous / ".git").mkdir()
    (previous / ".git" / "HEAD").write_text("ref", encoding="utf-8")
    (previous / "csv" / "my-analysis.xlsx").write_bytes(b"PK")
    before = _tree(previous)
    with pytest.raises(ReleaseError) as info:
        build(previous, check=False)
    msg = str(info.value)
    assert msg.startswith(f"{previous}: refusing to replace it, it holds files its SHA256SUMS does not list, which a build did not make")
    assert "(.git/, csv/my-analysis.xlsx, notes.txt)" in msg and "--out" in msg
    assert _tree(previous) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]


def test_build_lists_a_few_foreign_files_and_counts_the_rest(tmp_path, previous) -> None:
    for i in range(8):
        (previous / f"mine{i}.txt").write_text("x", encoding="utf-8")
    with pytest.raises(ReleaseError, match=r"\(mine0\.txt, mine1\.txt, mine2\.txt, mine3\.txt, mine4\.txt and 3 more\)"):
        build(previous, check=False)


def test_build_replaces_only_what_the_old_sha256sums_lists(tmp_path, previous) -> None:
    """A file the old release listed is the release's own; one shaped like a release file but unlisted is not."""
    sums = previous / "SHA256SUMS"
    sums.write_text(sums.read_text(encoding="utf-8") + "0" * 64 + "  parquet/dropped_table.parquet\n", encoding="utf-8")
    (previous / "parquet" / "dropped_table.parquet").write_bytes(b"PAR1")
    build(previous, check=False)
    assert not (previous / "parquet" / "dropped_table.parquet").exists()
    assert _tree(previous) == _tree(release_mod.build(tmp_path / "fresh", check=False).out)
    mine = previous / "csv" / "my_analysis.csv"
    mine.write_text("kept", encoding="utf-8")
    with pytest.raises(ReleaseError, match=r"\(csv/my_analysis\.csv\)"):
        build(previous, check=False)
    assert mine.read_text(encoding="utf-8") == "kept"


def test_a_staging_folder_left_by_a_killed_build_is_removed_by_the_next(tmp_path, previous) -> None:
    left = tmp_path / ".dist.build.abc123"
    (left / "parquet").mkdir(parents=True)
    (left / "parquet" / "half.parquet").write_bytes(b"PAR1")
    result = build(previous, check=False)
    assert result.cleaned == [left] and not left.exists()
    _no_leftovers(tmp_path, "dist")


def test_an_interrupt_after_the_swap_says_the_new_release_is_in_place(tmp_path, previous, monkeypatch) -> None:
    import k2data.release.transaction as transaction

    real = transaction.shutil.rmtree

    def interrupted(path, *args, **kwargs):
        if ".old." in str(path):
            raise KeyboardInterrupt
        return real(path, *args, **kwargs)

    monkeypatch.setattr(transaction.shutil, "rmtree", interrupted)
    with pytest.raises(KeyboardInterrupt) as info:
        build(previous, check=False)
    state = info.value.k2data_state
    assert state.startswith(f"the new files were already installed in {previous}")
    assert "no partial files" not in state


@pytest.mark.parametrize(
    ("make", "out", "message"),
    [
        (lambda t: (t / "file").write_text("x"), "file", r"/file: is a file, not a folder; choose another --out"),
        (lambda t: (t / "file").write_text("x"), "file/dist", r"/file: is a file, not a folder, so .*/file/dist cannot be created under it"),
        (lambda t: (t / "link").symlink_to(t / "nowhere"), "link", r"/link: is a broken symbolic link"),
        (lambda t: None, "x" * 300, r"checking the release folder failed \(File name too long"),
    ],
    ids=["onto-a-file", "under-a-file", "broken-link", "name-too-long"],
)
def test_build_refuses_a_bad_path_before_writing(tmp_path, make, out, message) -> None:
    make(tmp_path)
    before = _tree(tmp_path)
    with pytest.raises(ReleaseError, match=message):
        build(tmp_path / out, check=False)
    assert _tree(tmp_path) == before


def test_build_refuses_the_current_folder(tmp_path, previous, monkeypatch) -> None:
    before = _tree(previous)
    monkeypatch.chdir(previous / "csv")
    with pytest.raises(ReleaseError, match="refusing to replace the current folder or one holding it"):
        build("..", check=False)
    monkeypatch.chdir(previous)
    with pytest.raises(ReleaseError, match="refusing to replace the current folder"):
        build(".", check=False)
    assert _tree(previous) == before


def test_build_through_a_link_replaces_the_folder_it_points_at(tmp_path, previous) -> None:
    (tmp_path / "link").symlink_to(previous)
    (previous / "croissant.json").write_text("an older version", encoding="utf-8")
    build(tmp_path / "link", check=False)
    assert (tmp_path / "link").is_symlink() and os.readlink(tmp_path / "link") == str(previous)
    assert (previous / "croissant.json").read_text(encoding="utf-8") != "an older version"
    assert (previous / "SHA256SUMS").is_file()
    _no_leftovers(tmp_path, "dist", "link")


def test_a_registry_that_cannot_be_written_leaves_the_release_alone(tmp_path, previous) -> None:
    before = _tree(previous)
    (tmp_path / "reg").write_text("a file, not a folder", encoding="utf-8")
    with pytest.raises(ReleaseError, match=r"/reg: is a file, not a folder"):
        build(previous, check=False, registry=tmp_path / "reg")
    assert _tree(previous) == before
    _no_leftovers(tmp_path, "dist", "reg")


# --- export ----------------------------------------------------------------------------------


def _user_folder(root: Path) -> Path:
    """A user's folder that happens to have csv/ and parquet/ folders of their own."""
    out = root / "project"
    (out / "csv").mkdir(parents=True)
    (out / "parquet").mkdir()
    (out / "csv" / "my-survey.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (out / "parquet" / "notes.md").write_text("# mine\n", encoding="utf-8")
    (out / "analysis.py").write_text("print('hi')\n", encoding="utf-8")
    return out


def test_export_only_adds_or_replaces_its_own_files(tmp_path, release) -> None:
    out = _user_folder(tmp_path)
    mine = _tree(out)
    (out / "csv" / "trials.csv").write_text("an older export", encoding="utf-8")
    export("all", out)
    after = _tree(out)
    for rel, data in mine.items():
        assert after[rel] == data, f"{rel} of the user's was changed"
    release_tree = _tree(release)
    for rel, data in release_tree.items():
        assert after[rel] == data, rel
    assert set(after) == set(mine) | set(release_tree)
    _no_leftovers(tmp_path, "project")


@pytest.mark.parametrize("n", [1, 4, 9], ids=["first-move", "a-middle-move", "a-later-move"])
@pytest.mark.parametrize("exc", [None, KeyboardInterrupt()], ids=["io-error", "interrupt"])
def test_a_failure_while_moving_files_in_undoes_the_moves(tmp_path, failing_rename, n, exc) -> None:
    out = _user_folder(tmp_path)
    export(["csv", "jsonld"], out)
    (out / "k2data.jsonld").write_text("an older export", encoding="utf-8")
    before = _tree(out)
    log = failing_rename(n, exc)
    with pytest.raises(KeyboardInterrupt if exc is not None else ReleaseWriteError):
        export("all", out)
    assert len(log) >= n
    assert _tree(out) == before
    _no_leftovers(tmp_path, "project")


def test_a_full_disk_during_an_export_changes_nothing(tmp_path, full_disk) -> None:
    out = _user_folder(tmp_path)
    export("csv", out)
    before = _tree(out)
    full_disk(2)
    with pytest.raises(ReleaseWriteError) as info:
        export("all", out)
    assert info.value.errno == errno.ENOSPC
    assert str(info.value).startswith(f"{out}: writing the export failed (No space left on device: ")
    assert _tree(out) == before
    _no_leftovers(tmp_path, "project")


def test_a_failed_export_into_a_new_folder_leaves_no_folder(tmp_path, full_disk) -> None:
    full_disk(1)
    with pytest.raises(ReleaseWriteError):
        export("parquet", tmp_path / "new" / "out")
    _no_leftovers(tmp_path)


@pytest.mark.parametrize(
    ("make", "fmt", "message"),
    [
        (lambda o: (o / "csv").write_text("x"), "csv", r"/project/csv: is a file where export needs the folder csv/"),
        (lambda o: (o / "k2data.jsonld").mkdir(), "jsonld", r"/project/k2data.jsonld: is a folder where export writes the file k2data.jsonld"),
        (lambda o: (o / "parquet").symlink_to(o.parent / "elsewhere"), "parquet", r"/project/parquet: is a symbolic link; k2data export writes only inside"),
    ],
    ids=["file-where-a-folder-goes", "folder-where-a-file-goes", "symlinked-folder"],
)
def test_export_refuses_paths_it_cannot_write_safely(tmp_path, make, fmt, message) -> None:
    out = tmp_path / "project"
    out.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "trials.parquet").write_text("someone else's", encoding="utf-8")
    make(out)
    before = _tree(tmp_path)
    with pytest.raises(ReleaseError, match=message):
        export(fmt, out)
    assert _tree(tmp_path) == before


def test_export_under_a_file_is_refused(tmp_path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(ReleaseError, match=r"/file: is a file, not a folder, so .*/file/out cannot be created under it"):
        export("csv", tmp_path / "file" / "out")
    assert _tree(tmp_path) == {"file": b"x"}


def test_export_replaces_a_symbolic_link_to_a_file_not_the_file(tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "theirs.json").write_text("someone else's", encoding="utf-8")
    (out / "croissant.json").symlink_to(tmp_path / "theirs.json")
    export("croissant", out)
    assert not (out / "croissant.json").is_symlink()
    assert (tmp_path / "theirs.json").read_text(encoding="utf-8") == "someone else's"


# --- the command line ------------------------------------------------------------------------


def _one_line_error(result: Any, exit_code: int, *needles: str) -> None:
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.strip().splitlines() if not line.startswith("k2data: using ")]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def test_cli_reports_a_full_disk_in_one_line(runner, tmp_path, previous, full_disk, monkeypatch) -> None:
    monkeypatch.setattr(release_mod, "_check_valid", lambda pkg: None)  # validation has its own tests
    before = _tree(previous)
    full_disk(2)
    result = runner.invoke(main, ["build", "--out", str(previous)])
    _one_line_error(result, 1, str(previous), "No space left on device", "is as it was")
    assert _tree(previous) == before
    result = runner.invoke(main, ["export", "--format", "parquet", "--out", str(tmp_path / "x")])
    _one_line_error(result, 1, str(tmp_path / "x"), "No space left on device")
    _no_leftovers(tmp_path, "dist")


@pytest.mark.parametrize("command", ["build", "export"])
def test_cli_reports_an_interrupt_in_one_line(runner, tmp_path, previous, monkeypatch, command) -> None:
    before = _tree(previous)

    def write(ctx: Any) -> list[str]:
        raise KeyboardInterrupt

    monkeypatch.setattr(croissant_mod, "write", write)
    monkeypatch.setattr(release_mod, "_check_valid", lambda pkg: None)
    result = runner.invoke(main, [command, "--out", str(previous)])
    _one_line_error(result, 1, str(previous), "is as it was; no partial files were left")
    assert _tree(previous) == before
    _no_leftovers(tmp_path, "dist")


def test_cli_refusals_name_the_path(runner, tmp_path, previous, monkeypatch) -> None:
    monkeypatch.setattr(release_mod, "_check_valid", lambda pkg: None)
    (previous / "thesis.tex").write_text("precious", encoding="utf-8")
    result = runner.invoke(main, ["build", "--out", str(previous)])
    _one_line_error(result, 1, str(previous), "thesis.tex", "refusing to replace it")
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "csv").write_text("x", encoding="utf-8")
    result = runner.invoke(main, ["export", "--format", "csv", "--out", str(tmp_path / "project")])
    _one_line_error(result, 1, str(tmp_path / "project" / "csv"), "is a file where export needs the folder")
    result = runner.invoke(main, ["export", "--format", "csv", "--out", str(tmp_path / "project" / "csv" / "x")])
    _one_line_error(result, 1, str(tmp_path / "project" / "csv"), "is a file, not a folder")
    assert (previous / "thesis.tex").read_text(encoding="utf-8") == "precious"


def test_cli_usage_errors_exit_2(runner, tmp_path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    for args in (["export", "--format", "csv", "--out", str(tmp_path / "file")], ["build", "--out", str(tmp_path / "file")]):
        result = runner.invoke(main, args)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output and str(tmp_path / "file") in result.output
    assert _tree(tmp_path) == {"file": b"x"}
