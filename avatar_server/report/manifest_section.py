"""The report's release-manifest section: the facts a data-protection officer checks a released
file against (the sha256 of each input and released file, the seed, the software), taken from
the run's manifest (:mod:`avatar_yaml.manifest`) and laid out for the HTML, PDF and DOCX
reports alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from avatar_server.report.formatting import format_number
from avatar_server.report.translations import STRINGS
from avatar_yaml.manifest import MANIFEST_FILE


def _size(size: object, language: str) -> str:
    return format_number(size, language, decimals=0) if isinstance(size, int) else ""


def _status(status: object, t: dict[str, str]) -> str:
    """The release status in words; an unknown one (a newer server's) as it is."""
    return t.get(f"manifest_status_{status}", str(status))


def manifest_context(manifest: Mapping[str, Any] | None, language: str) -> dict[str, Any] | None:
    """What the section prints, already worded; None when the run has no manifest."""
    if manifest is None:
        return None
    t = STRINGS[language]
    tables = manifest.get("tables") or {}
    inputs = []
    released = []
    columns = []
    for name, table in tables.items():
        given = table.get("input") or {}
        if given:
            inputs.append(
                {
                    "table": name,
                    "dataset_id": str(given.get("dataset_id", "")),
                    "rows": _size(given.get("rows"), language),
                    "columns": _size(given.get("columns"), language),
                    "sha256": str(given.get("sha256", "")),
                }
            )
        for entry in table.get("released") or []:
            released.append(
                {
                    "table": name,
                    "name": str(entry.get("name", ""))
                    + (t["manifest_sensitive"] if entry.get("kind") == "unshuffled" else ""),
                    "size": _size(entry.get("size"), language),
                    "sha256": str(entry.get("sha256", "")),
                }
            )
        for column in table.get("columns") or []:
            how = str(column.get("treatment", ""))
            detail = column.get("reattached") or column.get("strategy")
            columns.append(
                {
                    "table": name,
                    "column": str(column.get("column", "")),
                    "role": str(column.get("role") or ""),
                    "treatment": f"{how} ({detail})" if detail else how,
                }
            )
    seed = manifest.get("seed") or {}
    seed_text = str(seed.get("value", "")) if seed else t["manifest_no_seed"]
    if seed.get("drawn"):
        seed_text = t["manifest_seed_drawn"].format(seed=seed_text)
    jobs = ", ".join(f"{job.get('kind')} {job.get('name')}" for job in manifest.get("jobs") or [])
    by_job = manifest.get("software") or {}
    software = by_job.get("standard") or next(iter(by_job.values()), None) or {}
    versions = ", ".join(f"{name} {version}" for name, version in software.items() if version)
    return {
        "intro": t["manifest_intro"].format(file=MANIFEST_FILE),
        "facts": [
            (t["manifest_schema_version"], str(manifest.get("schema_version", ""))),
            (t["manifest_set_name"], str(manifest.get("set_name", ""))),
            (t["manifest_release_status"], _status(manifest.get("release_status"), t)),
            (t["manifest_seed"], seed_text),
            (t["manifest_jobs"], jobs),
            (t["manifest_software"], versions),
        ],
        "inputs": inputs,
        "released": released,
        "columns": columns,
    }


__all__ = ["manifest_context"]
