"""Browse the data in Datasette: metadata from the package model, the notice on every page, 127.0.0.1 only.

Datasette is an optional extra (``pip install "k2data[serve]"``); nothing here
imports it. :func:`metadata` turns the package model into Datasette's
metadata: the title, description, licence and source, each table's and
view's title and description, every column's description with its unit, and
the canned queries of :data:`CANNED`. :func:`prepare` writes the database
(``k2data.sqlite``, built from the package or linked to a release file),
that metadata and a ``base.html`` that puts the educational-use notice at the
top of every page into one folder; :func:`command` is the ``datasette serve``
command line that serves it read-only (``-i``, immutable) on 127.0.0.1.
Standard library only.
"""

from __future__ import annotations

import html
import json
import shutil
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from ._package import PackageSpec
from .export.sqlite import NOTICE

__all__ = ["CANNED", "DATABASE", "HOST", "Canned", "Prepared", "available", "command", "free_port", "metadata", "prepare"]

#: The database name in Datasette's URLs (``/k2data/claims``).
DATABASE = "k2data"
HOST = "127.0.0.1"
INSTALL = 'pip install "k2data[serve]"'
_DETAIL = (
    "k2data summarises published research for review and teaching. It does not recommend any treatment, "
    "supplement or dose; vitamin K2 is not an approved cancer treatment."
)


@dataclass(frozen=True)
class Canned:
    """A canned query: its URL name, title, description, SQL, and the tables and views it reads."""

    name: str
    title: str
    description: str
    sql: str
    needs: tuple[str, ...]


_STUDY_SQL = """\
SELECT 'study' AS part, trial_id AS id, short_name AS name, summary AS detail FROM trials WHERE trial_id = :study
UNION ALL SELECT 'study', cohort_id, short_name, summary FROM cohorts WHERE cohort_id = :study
UNION ALL SELECT 'result', outcome_id, endpoint || coalesce(' (' || subgroup || ')', ''),
  contrast || coalesce(': ' || measure || ' ' || estimate || coalesce(' (' || ci_low || ' to ' || ci_high || ')', ''), '')
  FROM evidence WHERE study_id = :study
UNION ALL SELECT 'risk of bias (RoB 2)', trial_id, overall, overall_reason FROM risk_of_bias WHERE trial_id = :study
UNION ALL SELECT 'risk of bias (ROBINS-I)', assessment_id, overall, overall_reason FROM risk_of_bias_nrs
  WHERE trial_id = :study OR cohort_id = :study
UNION ALL SELECT 'certainty (GRADE)', question_id, certainty, question FROM certainty WHERE question_id IN (
  SELECT question_id FROM certainty__trial_ids WHERE trial_id = :study
  UNION SELECT question_id FROM certainty__cohort_ids WHERE cohort_id = :study)
UNION ALL SELECT 'claim', claim_id, verdict, statement FROM claims WHERE claim_id IN (
  SELECT co.claim_id FROM claims__outcome_ids AS co JOIN outcomes AS o USING (outcome_id)
  WHERE o.trial_id = :study OR o.cohort_id = :study)
UNION ALL SELECT 'reference', reference_id, title, coalesce('https://doi.org/' || doi, url) FROM "references"
  WHERE reference_id IN (SELECT reference_id FROM trials__reference_ids WHERE trial_id = :study
  UNION SELECT reference_id FROM cohorts__reference_ids WHERE cohort_id = :study)"""

_STUDY_NEEDS = (
    "trials", "cohorts", "evidence", "risk_of_bias", "risk_of_bias_nrs", "certainty", "certainty__trial_ids",
    "certainty__cohort_ids", "claims", "claims__outcome_ids", "outcomes", "references", "trials__reference_ids",
    "cohorts__reference_ids",
)  # fmt: skip

#: The canned queries: the questions people ask most, one click away.
CANNED = (
    Canned(
        "contradicted_claims",
        "Claims that the literature contradicts",
        "The seed article's statements whose verdict is 'diverges': the seed's figure beside the primary source's.",
        "SELECT claim_id, seed_section, statement, seed_figure, source_figure, explanation, reference_ids\n"
        "FROM claims_checked WHERE verdict = 'diverges' ORDER BY claim_id",
        ("claims_checked",),
    ),
    Canned(
        "randomised_k2_hcc_trials",
        "Randomised trials of vitamin K2 in HCC",
        "Randomised trials in hepatocellular carcinoma in which patients were given a vitamin K2 form.",
        "SELECT t.trial_id, t.short_name, t.cebm_level, t.blinding, t.n_total, t.dose_min_mg_d, t.dose_max_mg_d,\n"
        "  t.result_summary, t.summary, t.reference_ids\n"
        "FROM trials AS t\n"
        "WHERE t.randomized = 1 AND t.cancer_type_id = 'hcc' AND EXISTS (\n"
        "  SELECT 1 FROM trials__agent_ids AS ta JOIN agents AS a USING (agent_id)\n"
        "  WHERE ta.trial_id = t.trial_id AND a.vitamin_k_form = 'k2')\n"
        "ORDER BY t.trial_id",
        ("trials", "trials__agent_ids", "agents"),
    ),
    Canned(
        "study",
        "Everything about one study",
        "One trial or cohort (give its trial_id or cohort_id as study, such as yoshida2011): the study, its results, "
        "risk of bias, GRADE questions, the claims that rest on it and its references.",
        _STUDY_SQL,
        _STUDY_NEEDS,
    ),
)


def available() -> bool:
    """Whether Datasette is installed."""
    return find_spec("datasette") is not None


def _described(description: str, unit: str | None) -> str:
    return f"{description} (unit: {unit})" if unit else description


def _names(pkg: PackageSpec) -> dict[str, dict[str, Any]]:
    """Datasette's table metadata of every table, link table and view of the database built from *pkg*."""
    from .export._sqlschema import link_tables
    from .views import VIEWS

    tables: dict[str, dict[str, Any]] = {}
    for t in pkg.tables:
        columns = {f.name: _described(f.description, f.unit) for f in t.fields if f.description}
        tables[t.name] = {"title": t.title, "description": t.description, "columns": columns}
    for lt in link_tables(pkg):
        tables[lt.name] = {"description": lt.describe(), "hidden": True}
    for view in VIEWS.values():
        if not view.available(pkg):
            continue
        columns = {}
        for c in view.columns:
            spec = view.source(c, pkg)
            text = c.description or (spec.description if spec else "")
            if text:
                columns[c.name] = _described(text, spec.unit if spec else None)
        tables[view.name] = {"title": view.title, "description": view.description, "columns": columns}
    tables["search"] = {
        "title": "Full-text search",
        "description": "Search claims, studies and references: type words in the box; table_name and key say where each hit is.",
    }
    for name in ("_k2data_tables", "_k2data_columns", "_k2data_values", "_k2data_package"):
        tables[name] = {"hidden": True}
    return tables


def metadata(pkg: PackageSpec) -> dict[str, Any]:
    """Datasette's metadata for the database built from *pkg*.

    Examples
    --------
    >>> from k2data._package import open_package
    >>> meta = metadata(open_package())
    >>> meta["license"], "Educational material, not medical advice." in meta["description_html"]
    ('CC-BY-4.0', True)
    >>> sorted(meta["databases"]["k2data"]["queries"])
    ['contradicted_claims', 'randomised_k2_hcc_trials', 'study']
    """
    tables = _names(pkg)
    queries = {
        q.name: {"title": q.title, "description": q.description, "sql": q.sql}
        for q in CANNED
        if all(n in tables for n in q.needs)
    }
    lic = pkg.licenses[0] if pkg.licenses else None
    description_html = (
        f"<p>{html.escape(pkg.description)}</p>"
        f'<p class="k2data-notice"><strong>{html.escape(NOTICE)}</strong> {html.escape(_DETAIL)}</p>'
        f"<p>Version {html.escape(pkg.version)}. Cite as: {html.escape(pkg.citation)}</p>"
    )
    meta: dict[str, Any] = {
        "title": pkg.title,
        "description_html": description_html,
        "license": lic.label if lic else "",
        "license_url": lic.path if lic else "",
        "source": f"{pkg.name} {pkg.version}",
        "source_url": pkg.homepage,
        "databases": {DATABASE: {"title": pkg.title, "description": pkg.description, "tables": tables, "queries": queries}},
    }
    return meta


def _base_template() -> str:
    notice = f"<strong>{html.escape(NOTICE)}</strong> {html.escape(_DETAIL)}"
    style = "background:#fff4ce;border:1px solid #e0c060;padding:0.5em 1em;margin:0.5em 0 1em 0"
    css = (
        "dl.column-descriptions{display:grid;grid-template-columns:max-content 1fr;gap:0.1em 1em;font-size:0.85em}"
        "dl.column-descriptions dd{margin:0}"
    )
    return (
        '{% extends "default:base.html" %}\n'
        f"{{% block extra_head %}}{{{{ super() }}}}<style>{css}</style>{{% endblock %}}\n"
        "{% block messages %}\n"
        f'<p class="k2data-notice" role="note" style="{style}">{notice}</p>\n'
        "{{ super() }}\n"
        "{% endblock %}\n"
    )


@dataclass(frozen=True)
class Prepared:
    """What :func:`prepare` wrote: the database, the metadata file and the template folder."""

    db: Path
    metadata: Path
    templates: Path


@contextmanager
def prepare(pkg: PackageSpec, db: str | Path | None = None) -> Iterator[Prepared]:
    """A temporary folder with ``k2data.sqlite`` (built from *pkg*, or linked to *db*), its metadata and templates."""
    import tempfile

    from .query import database

    with tempfile.TemporaryDirectory(prefix="k2data-serve.") as tmp:
        folder = Path(tmp)
        target = folder / f"{DATABASE}.sqlite"
        with database(pkg.path, db) as built:
            if db is None:
                shutil.move(str(built), target)
            else:
                try:
                    target.symlink_to(Path(built).resolve())
                except OSError:  # pragma: no cover - file systems without links
                    shutil.copyfile(built, target)
        (folder / "metadata.json").write_text(json.dumps(metadata(pkg), indent=2, ensure_ascii=False), encoding="utf-8")
        templates = folder / "templates"
        templates.mkdir()
        (templates / "base.html").write_text(_base_template(), encoding="utf-8")
        yield Prepared(target, folder / "metadata.json", templates)


def free_port(host: str = HOST) -> int:
    """A TCP port nothing listens on at *host* now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def command(prepared: Prepared, port: int) -> list[str]:
    """The ``datasette serve`` command that serves *prepared* read-only on 127.0.0.1:*port*.

    Examples
    --------
    >>> p = Prepared(Path("k2data.sqlite"), Path("metadata.json"), Path("templates"))
    >>> command(p, 8001)[3:7]
    ['serve', '-i', 'k2data.sqlite', '--host']
    """
    return [
        sys.executable, "-m", "datasette", "serve", "-i", str(prepared.db), "--host", HOST, "--port", str(port),
        "--metadata", str(prepared.metadata), "--template-dir", str(prepared.templates),
        "--setting", "sql_time_limit_ms", "3000", "--setting", "max_returned_rows", "2000",
    ]  # fmt: skip
