"""Validate a data package: descriptor, bytes, every cell and the links between tables.

:func:`validate` never raises: whatever the package holds (a hostile
descriptor, a symbolic link out of the folder, a cell of a million digits,
a file that cannot be read), it returns a :class:`ValidationReport` listing
every problem with its file, row number as in the file, field, value and
message. It reads only regular files inside the package folder, never
touches the network, and stays within :class:`Limits` of time, memory and
output.

How it works (each step in its own module):

- :mod:`k2data._package` reads the descriptor and finds what is wrong in it
  (unsafe paths, names, versions, remote profiles, links to unknown tables);
  frictionless checks it against the Data Package profile, with nothing fetched;
- :mod:`.bytes` checks each file's bytes and hash in one bounded pass;
- :mod:`.table` parses each file once with pyarrow and checks every column
  with vectorised compute;
- :mod:`.links` checks every foreign key and list reference across tables.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .._package import Issue, PackageSpec, descriptor_path, open_with_issues
from .._package.paths import shown
from ..errors import DataFileError, DescriptorError
from .limits import FLAGS, Collector, Limits
from .report import Problem, ValidationReport, finalize

__all__ = ["FLAGS", "Limits", "Problem", "ValidationReport", "validate"]

UPDATE_HINT = "run `k2data update`"


def validate(
    path: str | os.PathLike[str] | None = None,
    *,
    max_problems: int | None = 1000,
    limits: Limits | None = None,
) -> ValidationReport:
    """Validate a data package and return a report (never raises).

    Checks the descriptor (structure, safe paths and names, SemVer version,
    links to existing tables, the Data Package profile), each file's bytes
    (UTF-8 without BOM, LF line ends, closed quotes, the recorded checksum),
    every cell (types, finite numbers, required, allowed values, patterns,
    ranges, clean text), the row rules, unique keys, and every foreign key and
    list reference.

    Parameters
    ----------
    path : str or Path, optional
        A ``datapackage.json`` or a folder holding one. Default: the package
        bundled with k2data.
    max_problems : int or None, default 1000
        Problems listed in the report, the first by file and row; the rest
        are only counted (``report.problem_count``). ``None`` lists all.
    limits : Limits, optional
        Columns, cell and file sizes, rows and problems that one validation may
        meet before it refuses or stops (see :class:`Limits`).

    Returns
    -------
    ValidationReport
        ``report.valid`` is ``True`` when nothing was found;
        ``report.problems`` lists problems with ``file``, ``row``,
        ``field``, ``value`` and ``message``.

    Examples
    --------
    >>> import k2data
    >>> report = k2data.validate()
    >>> report.valid, report.problems
    (True, [])
    """
    limits = limits or Limits()
    try:
        where = descriptor_path(path)
    except (OSError, ValueError) as exc:
        return ValidationReport(str(path), [Problem.make(str(path), None, None, None, f"cannot be examined ({exc})", "descriptor")])
    try:
        return _validate(where, max_problems, limits)
    except KeyboardInterrupt:
        raise
    except RecursionError:
        problem = Problem.make(where.name, None, None, None, "the descriptor is nested too deeply to check", "descriptor")
        return ValidationReport(str(where), [problem], max_problems=max_problems)
    except MemoryError:
        problem = Problem.make(where.name, None, None, None, "checking the package ran out of memory; lower the limits", "limit")
        return ValidationReport(str(where), [problem], max_problems=max_problems)
    except Exception as exc:  # a bug of k2data: still a report, never a traceback
        text = f"k2data could not finish checking this package ({type(exc).__name__}: {exc}); please report it"
        return ValidationReport(str(where), [Problem.make(where.name, None, None, None, text, "internal-error")], max_problems=max_problems)


def _validate(where: Path, max_problems: int | None, limits: Limits) -> ValidationReport:
    try:
        pkg, issues = open_with_issues(where)
    except DescriptorError as exc:
        message = str(exc).split(": ", 1)[-1] if str(exc).startswith(str(where)) else str(exc)
        return ValidationReport(str(where), [Problem.make(where.name, None, None, None, message, "descriptor")], max_problems=max_problems)
    found = Collector(limits.stop_after)
    name = where.name
    for issue in issues:
        found.add(Problem.make(name, None, issue.where, issue.value, issue.message, "descriptor"))
    found.extend(_profile_problems(pkg, issues, name))
    for table in pkg.tables:
        if len(table.fields) > limits.max_columns:
            found.add(Problem.make(
                name, None, f"resources[{table.name}].schema.fields", str(len(table.fields)),
                f"declares {len(table.fields)} columns, more than the limit of {limits.max_columns}; "
                f"raise it with {FLAGS['max_columns']} if the table really has that many",
                "limit",
            ))  # fmt: skip
    checks = _check_tables(pkg, limits, found)
    if not found.full:
        from .links import check_links

        check_links(pkg, checks, found)
    problems = finalize(found.kept)
    stopped = None
    if found.full:
        stopped = f"stopped after {limits.stop_after} problems; raise the limit with {FLAGS['stop_after']} to see more"
    return ValidationReport(
        str(where), problems, problem_count=len(problems) + found.dropped, max_problems=max_problems, stopped=stopped
    )


def _check_tables(pkg: PackageSpec, limits: Limits, found: Collector) -> dict[str, Any]:
    from .bytes import scan
    from .table import check_table

    checks = {}
    too_wide = {t.name for t in pkg.tables if len(t.fields) > limits.max_columns}
    for table in pkg.tables:
        if found.full:
            break
        if table.path_problem is not None or table.dialect_problem is not None or table.name in too_wide:
            continue  # reported with the descriptor
        try:
            file = pkg.file(table)
            if not file.is_file():
                found.add(Problem.make(table.path, None, None, None, f"data file of resource {table.name!r} is missing", "missing-file"))
                continue
            size = file.stat().st_size
            if size > limits.max_file_bytes:
                found.add(Problem.make(
                    table.path, None, None, str(size),
                    f"file is {size} bytes, more than the limit of {limits.max_file_bytes}; "
                    f"raise it with {FLAGS['max_file_bytes']} if it is real",
                    "limit",
                ))  # fmt: skip
                continue
            result = scan(file, table.path)
            found.extend(result.problems)
            _hash_problem(table, result, found, file)
            checks[table.name] = check_table(pkg, table, limits, found, result.parsable)
        except DataFileError as exc:
            found.add(Problem.make(table.path, None, None, None, str(exc).rsplit(": ", 1)[-1], "unsafe-path"))
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            found.add(Problem.make(table.path, None, None, None, f"cannot be read ({reason})", "source-error"))
    return checks


def _hash_problem(table: Any, scan: Any, found: Collector, file: Path) -> None:
    """One problem when the file differs from the checksum or size recorded in the descriptor."""
    declared = table.hash
    changed = False
    if declared:
        algo, _, digest = declared.partition(":") if ":" in declared else ("md5", "", declared)
        if algo == "sha256":
            changed = digest.lower() != scan.sha256
        elif algo == "md5":
            import hashlib

            h = hashlib.md5(usedforsecurity=False)
            with open(file, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
            changed = digest.lower() != h.hexdigest()
        else:
            found.add(Problem.make(table.path, None, None, declared, f"hash algorithm {algo!r} is not checked; use sha256", "hash"))
    if table.bytes is not None and table.bytes != scan.size:
        changed = True
    if changed:
        found.add(Problem.make(table.path, None, None, None, f"{table.path} changed since its checksum was recorded: {UPDATE_HINT}", "hash"))


def _profile_problems(pkg: PackageSpec, issues: tuple[Issue, ...], name: str) -> list[Problem]:
    """Problems frictionless finds in the descriptor against the Data Package profile (nothing is fetched)."""
    import copy
    import warnings

    raw = copy.deepcopy(pkg.raw)  # the depth was checked when it was read
    flagged = {i.where for i in issues}
    for key in ("$schema", "profile"):
        if key in flagged:
            raw.pop(key, None)
    resources = []
    for n, res in enumerate(raw.get("resources", [])):
        if not isinstance(res, dict):
            continue
        rname = res.get("name")
        where = f"resources[{rname}]"
        if f"resources[{n}].name" in flagged or any(w.startswith(f"{where}.name") for w in flagged):
            continue
        for key in ("$schema", "profile", "schema", "dialect"):
            if f"{where}.{key}" in flagged or (key in ("schema", "dialect") and not isinstance(res.get(key), (dict, type(None)))):
                res.pop(key, None)
        if isinstance(res.get("dialect"), dict):
            res["dialect"] = {k: v for k, v in res["dialect"].items() if not str(k).startswith("$")}
        if f"{where}.path" in flagged:
            res["path"] = "data/refused.csv"
        resources.append(res)
    raw["resources"] = resources or [{"name": "placeholder", "path": "placeholder.csv"}]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from frictionless import FrictionlessException, Package

            errors = list(Package.metadata_validate(raw))
    except (FrictionlessException, ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        return [Problem.make(name, None, None, None, f"descriptor does not follow the Data Package standard ({exc})", "descriptor")]
    out = []
    for e in errors:
        note = getattr(e, "note", "") or getattr(e, "message", "")
        out.append(Problem.make(name, None, None, None, f"descriptor does not follow the Data Package standard: {shown(note, 300)}", "descriptor"))
    return out
