"""Every result of a run at once: :meth:`avatars.runner.Runner.get_all_results`.

The official client returns its ``ResultsOrganizer``; :class:`AllResults` plays that role with
the same field names, each a mapping from table name to what the table's accessor returns
(``shuffled`` to :meth:`~avatars.runner.Runner.shuffled`'s DataFrame...). What is drawn or
saved rather than read (plot data, reports) stays with ``render_plot`` and ``download_report``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from avatar_yaml import ADVICE_NAME, ResultKind

if TYPE_CHECKING:
    from avatars.results import RunResults


@dataclass
class AllResults:
    """What the run's jobs wrote, by table (see the module's docstring).

    ``privacy_metrics_summary``, ``signal_metrics_summary`` and ``relations`` are results of
    the whole run, written for linked tables only (None otherwise); ``release_manifest``
    too, for every run.
    """

    shuffled: dict[str, pd.DataFrame] = field(default_factory=dict)
    sensitive_unshuffled: dict[str, pd.DataFrame] = field(default_factory=dict)
    original_projections: dict[str, pd.DataFrame] = field(default_factory=dict)
    avatars_projections: dict[str, pd.DataFrame] = field(default_factory=dict)
    privacy_metrics: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    signal_metrics: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    privacy_verdict: dict[str, dict[str, Any]] = field(default_factory=dict)
    privacy_attacks: dict[str, dict[str, Any]] = field(default_factory=dict)
    run_metadata: dict[str, dict[str, Any]] = field(default_factory=dict)
    advice: dict[str, dict[str, Any]] = field(default_factory=dict)
    privacy_metrics_summary: dict[str, dict[str, float | None]] | None = None
    signal_metrics_summary: dict[str, dict[str, float | None]] | None = None
    relations: list[dict[str, Any]] | None = None
    release_manifest: dict[str, Any] | None = None
    """The run's release manifest (:meth:`~avatars.runner.Runner.manifest`)."""


_PER_TABLE: dict[ResultKind, str] = {
    ResultKind.SHUFFLED: "shuffled",
    ResultKind.UNSHUFFLED: "sensitive_unshuffled",
    ResultKind.ORIGINAL_PROJECTIONS: "original_projections",
    ResultKind.AVATAR_PROJECTIONS: "avatars_projections",
    ResultKind.PRIVACY_METRICS: "privacy_metrics",
    ResultKind.SIGNAL_METRICS: "signal_metrics",
    ResultKind.PRIVACY_VERDICT: "privacy_verdict",
    ResultKind.PRIVACY_ATTACKS: "privacy_attacks",
    ResultKind.RUN_METADATA: "run_metadata",
}
_KNOWN = {kind.value: kind for kind in ResultKind}
_LISTS = frozenset({ResultKind.PRIVACY_METRICS, ResultKind.SIGNAL_METRICS})
_RUN_WIDE: dict[ResultKind, str] = {
    ResultKind.PRIVACY_METRICS_SUMMARY: "privacy_metrics_summary",
    ResultKind.SIGNAL_METRICS_SUMMARY: "signal_metrics_summary",
    ResultKind.RELATIONS: "relations",
}


def collect(results: RunResults, advice: dict[str, dict[str, Any]]) -> AllResults:
    """Wait for every job of the run (in the order they run) and read what it wrote; the
    first job to write a table's run metadata (the avatarization) wins."""
    found = AllResults(advice={name: dict(value) for name, value in advice.items()})
    for document in results.ordered_documents():
        if document == ADVICE_NAME:
            continue  # read into ``advice`` by advise_parameters
        job_name, files = results.files(document)
        for entry in files:
            kind = _KNOWN.get(entry.kind)  # a newer server's kinds are skipped
            if kind in _RUN_WIDE and entry.table is None:
                setattr(found, _RUN_WIDE[kind], results.value(job_name, entry))
            elif kind in _PER_TABLE and entry.table is not None:
                by_table: dict[str, Any] = getattr(found, _PER_TABLE[kind])
                if entry.table in by_table:
                    continue
                value = results.value(job_name, entry)
                if kind in _LISTS and not isinstance(value, list):
                    value = [value]
                by_table[entry.table] = value
    return found
