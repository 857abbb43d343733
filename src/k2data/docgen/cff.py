"""Citation metadata generated from the package model: ``CITATION.cff`` and ``.zenodo.json``.

Both come from the same creators, title, version, date, licences and homepage
as :attr:`k2data._package.PackageSpec.citation`, so GitHub's "Cite this
repository", Zenodo's record of a release and :func:`k2data.citation` agree.

Examples
--------
>>> from k2data.docgen.cff import citation_cff
>>> cff = citation_cff()
>>> cff.splitlines()[1]
'cff-version: 1.2.0'
>>> "type: dataset" in cff
True
"""

from __future__ import annotations

import json
from pathlib import Path

from .._package import PackageSpec, open_package

__all__ = ["citation_cff", "zenodo_json"]

_MESSAGE = (
    "If you use k2data, please cite this version as below, and cite the primary studies you rely on "
    "(they are in the references table)."
)


def _yaml_str(text: str) -> str:
    # a JSON string is a valid YAML double-quoted scalar
    return json.dumps(" ".join(str(text).split()), ensure_ascii=False)


def citation_cff(datapackage: str | Path | None = None, *, pkg: PackageSpec | None = None) -> str:
    """Render ``CITATION.cff`` (Citation File Format 1.2.0) from the descriptor.

    The title, version, release date (the date part of ``created``), authors
    (the creators), licences, address, abstract and keywords all come from
    ``datapackage.json``, the single version source.

    Examples
    --------
    >>> from k2data.docgen import citation_cff
    >>> citation_cff().splitlines()[3]
    'type: dataset'
    """
    spec = pkg if pkg is not None else open_package(datapackage)
    out = [
        "# Generated from datapackage.json by `k2data dictionary --citation CITATION.cff`: edit the descriptor.",
        "cff-version: 1.2.0",
        f"message: {_yaml_str(_MESSAGE)}",
        "type: dataset",
        f"title: {_yaml_str(spec.title)}",
        f"version: {_yaml_str(spec.version)}",
        f"date-released: {spec.date}",
        "authors:",
    ]
    for c in spec.creators or ():
        if c.is_person:
            out.append(f"  - family-names: {_yaml_str(c.family)}")
            out.append(f"    given-names: {_yaml_str(c.given)}")
        else:
            out.append(f"  - name: {_yaml_str(c.name)}")
    if not spec.creators:
        out.append(f"  - name: {_yaml_str(spec.name)}")
    licences = [lic.label for lic in spec.licenses]
    if len(licences) == 1:
        out.append(f"license: {_yaml_str(licences[0])}")
    elif licences:
        out.append("license:")
        out += [f"  - {_yaml_str(x)}" for x in licences]
    if spec.homepage:
        out += [f"url: {_yaml_str(spec.homepage)}", f"repository-code: {_yaml_str(spec.homepage)}"]
    if spec.description:
        out.append(f"abstract: {_yaml_str(spec.description)}")
    if spec.keywords:
        out.append("keywords:")
        out += [f"  - {_yaml_str(k)}" for k in spec.keywords]
    return "\n".join(out) + "\n"


def zenodo_json(datapackage: str | Path | None = None, *, pkg: PackageSpec | None = None) -> str:
    """Render ``.zenodo.json``: the metadata Zenodo gives a GitHub release's DOI record.

    Examples
    --------
    >>> import json
    >>> from k2data.docgen.cff import zenodo_json
    >>> json.loads(zenodo_json())["upload_type"]
    'dataset'
    """
    spec = pkg if pkg is not None else open_package(datapackage)
    creators = [{"name": f"{c.family}, {c.given}" if c.is_person else c.name} for c in spec.creators]
    record = {
        "title": spec.title,
        "upload_type": "dataset",
        "version": spec.version,
        "publication_date": spec.date,
        "description": spec.description,
        "creators": creators or [{"name": spec.name}],
        "license": {"id": spec.licenses[0].label.lower()} if spec.licenses else None,
        "keywords": list(spec.keywords),
        "related_identifiers": [{"identifier": spec.homepage, "relation": "isSupplementTo", "scheme": "url"}]
        if spec.homepage
        else None,
        "notes": "Generated from datapackage.json by `k2data dictionary --zenodo .zenodo.json`. Educational material, "
        "not medical advice.",
    }
    return json.dumps({k: v for k, v in record.items() if v not in (None, "", [])}, indent=2, ensure_ascii=False) + "\n"
