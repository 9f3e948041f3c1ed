"""What the upload recorded of a dataset, as the shared rules read it: the run's checks when
it is stored (:mod:`avatar_server.services.resources`) and a job's, which re-check what may
have changed since."""

from __future__ import annotations

from avatar_server.db.models import Dataset
from avatar_yaml import TableFacts
from avatar_yaml.rules import ColumnFacts


def facts(dataset: Dataset) -> TableFacts:
    """What the upload recorded of a dataset, for :func:`avatar_yaml.rules.check`."""
    return TableFacts.of(
        dataset.rows,
        (
            (
                str(c["name"]),
                ColumnFacts(
                    dtype=str(c["dtype"]),
                    missing=int(c["missing"]),
                    distinct=int(c["distinct"]),
                    role=c.get("role"),
                    role_reason=c.get("role_reason"),
                ),
            )
            for c in dataset.columns
        ),
    )
