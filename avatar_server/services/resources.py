"""Resource sets: a run's YAML documents, checked against the user's datasets before storing.

Everything a job will need is verified here, so a bad configuration is refused at once with a
message naming the culprit (422) instead of failing minutes later in a worker.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from avatar_server.db.models import Dataset, ResourceSet, User
from avatar_server.services.errors import NotFoundError, UnprocessableError
from avatar_yaml.config import (
    AvatarizationParameters,
    Config,
    ConfigError,
    PrivacyMetricsTableParameters,
    SignalMetricsTableParameters,
    TableInfo,
)

DISPLAY_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


def _check_display_name(display_name: str) -> None:
    if not DISPLAY_NAME.match(display_name):
        raise UnprocessableError(
            f"display name {display_name!r}: use 1 to 255 letters, digits, '_' or '-'"
        )


def _unknown(names: Iterable[str], columns: set[str]) -> list[str]:
    return sorted({name for name in names if name not in columns})


@dataclass
class _Table:
    """What validation knows of a table: its dataset, and the columns its jobs will see."""

    dataset: Dataset
    columns: set[str]
    set_aside: set[str]

    @property
    def usable(self) -> set[str]:
        return self.columns - self.set_aside

    def check_names(self, where: str, what: str, names: Iterable[str]) -> None:
        """Every name is a column of the dataset that the schema does not set aside."""
        chosen = list(names)
        if _unknown(chosen, self.columns):
            raise UnprocessableError(
                f"{where}: {what} names unknown columns {_unknown(chosen, self.columns)}"
            )
        aside = sorted(set(chosen) & self.set_aside)
        if aside:
            raise UnprocessableError(
                f"{where}: {what} names columns {aside} that the schema sets aside (drop, "
                "identifier or primary_key), so its jobs never see them"
            )

    def dimensions(self, columns: set[str]) -> int:
        """An upper bound of the projection's dimensions over ``columns``: one per modality
        (a gap counting as one), which a number's single axis never exceeds, and no more than
        the rows."""
        total = 0
        for column in self.dataset.columns:
            if str(column["name"]) in columns:
                total += max(1, int(column["distinct"]) + (1 if int(column["missing"]) else 0))
        return min(total, self.dataset.rows)


def _check_table(db: Session, user: User, table: TableInfo) -> _Table:
    where = f"table {table.name!r}"
    if table.links:
        raise UnprocessableError(f"{where}: links between tables are not supported yet")
    if table.data is None:
        raise UnprocessableError(f"{where}: no data (data.dataset_id)")
    try:
        dataset_id = uuid.UUID(table.data.dataset_id)
    except ValueError:
        raise UnprocessableError(
            f"{where}: dataset_id {table.data.dataset_id!r} is not a UUID"
        ) from None
    dataset = db.get(Dataset, dataset_id)
    if dataset is None or dataset.user_id != user.id:
        raise UnprocessableError(f"{where}: dataset {dataset_id} not found")
    columns = {str(column["name"]) for column in dataset.columns}
    declared = [column.field for column in table.columns or []]
    missing = _unknown(declared, columns)
    if missing:
        raise UnprocessableError(f"{where}: unknown columns {missing}")
    dtypes = {str(column["name"]): str(column["dtype"]) for column in dataset.columns}
    for column in table.columns or []:
        if column.type in ("int", "float") and dtypes.get(column.field) == "string":
            raise UnprocessableError(
                f"{where}: column {column.field!r} holds text, it cannot be read as {column.type}"
            )
    keys = [c.field for c in table.columns or [] if c.primary_key]
    if len(keys) > 1:
        raise UnprocessableError(f"{where}: several primary keys {keys}")
    set_aside = {c.field for c in table.columns or [] if c.primary_key or c.drop or c.identifier}
    if not columns - set_aside:
        raise UnprocessableError(
            f"{where}: the schema sets every column aside (drop, identifier or primary_key): "
            "nothing is left to anonymize"
        )
    return _Table(dataset, columns, set_aside)


def _check_avatarization(name: str, chosen: AvatarizationParameters, table: _Table) -> None:
    where = f"avatarization parameters of table {name!r}"
    rows = table.dataset.rows
    if chosen.k < 2:
        raise UnprocessableError(f"{where}: k must be at least 2, got {chosen.k}")
    if chosen.k >= rows:
        raise UnprocessableError(
            f"{where}: k={chosen.k} must be smaller than the table's {rows} rows"
        )
    excluded: set[str] = set()
    if chosen.exclude_variables is not None:
        names = chosen.exclude_variables.variable_names or []
        table.check_names(where, "exclude_variables", names)
        excluded = set(names)
        if not table.usable - excluded:
            raise UnprocessableError(
                f"{where}: exclude_variables leaves no column to avatarize (it names every "
                f"column the schema keeps: {sorted(table.usable)})"
            )
    avatarized = table.usable - excluded
    if chosen.ncp is not None:
        if chosen.ncp < 1:
            raise UnprocessableError(f"{where}: ncp must be at least 1, got {chosen.ncp}")
        bound = table.dimensions(avatarized)
        if chosen.ncp > bound:
            raise UnprocessableError(
                f"{where}: ncp={chosen.ncp} is more than the table's dimensions (at most "
                f"{bound}: one per modality of its avatarized columns, and no more than its "
                "rows)"
            )
    weights = chosen.column_weights or {}
    table.check_names(where, "column_weights", weights)
    weighted_out = sorted(set(weights) & excluded)
    if weighted_out:
        raise UnprocessableError(
            f"{where}: column_weights names columns {weighted_out} that exclude_variables "
            "keeps out of the avatarization"
        )
    if any(weight <= 0 for weight in weights.values()):
        raise UnprocessableError(f"{where}: column weights must be positive")
    imputation = chosen.imputation
    if imputation is not None:
        if imputation.k is not None and imputation.k < 1:
            raise UnprocessableError(f"{where}: imputation k must be at least 1")
        fraction = imputation.training_fraction
        if fraction is not None and not 0 < fraction <= 1:
            raise UnprocessableError(
                f"{where}: imputation training_fraction must be in (0, 1], got {fraction}"
            )


def _check_metrics(
    where: str,
    metrics: PrivacyMetricsTableParameters | SignalMetricsTableParameters,
    table: _Table,
) -> None:
    if metrics.exclude_variables is not None:
        names = metrics.exclude_variables.variable_names or []
        table.check_names(where, "exclude_variables", names)
    table.check_names(where, "column_weights", metrics.column_weights or {})


def validate(db: Session, user: User, config: Config) -> None:
    """Check the run against the user's datasets: tables, columns and parameter ranges."""
    tables = {table.name: _check_table(db, user, table) for table in config.schema.tables}

    parameters = config.parameters
    for name, chosen in (parameters.avatarization or {}).items() if parameters else []:
        _check_avatarization(name, chosen, tables[name])

    privacy = config.privacy_metrics
    for name, metrics in (privacy.privacy_metrics or {}).items() if privacy else []:
        where = f"privacy metrics parameters of table {name!r}"
        table = tables[name]
        known = list(metrics.known_variables or [])
        named = known + ([metrics.target] if metrics.target else [])
        if _unknown(named, table.columns):
            raise UnprocessableError(f"{where}: unknown columns {_unknown(named, table.columns)}")
        table.check_names(where, "known_variables and target", named)
        if metrics.target and metrics.target in known:
            raise UnprocessableError(f"{where}: the target cannot also be a known variable")
        _check_metrics(where, metrics, table)

    signal = config.signal_metrics
    for name, settings in (signal.signal_metrics or {}).items() if signal else []:
        _check_metrics(f"signal metrics parameters of table {name!r}", settings, tables[name])


def create_set(db: Session, user: User, display_name: str, text: str) -> ResourceSet:
    """Parse, validate and store a run's documents as a new set (a new UUID every time)."""
    _check_display_name(display_name)
    try:
        config = Config.from_yaml(text)
    except ConfigError as error:
        raise UnprocessableError(str(error)) from None
    if config.display_name != display_name:
        raise UnprocessableError(
            f"the documents describe the run {config.display_name!r}, not {display_name!r}"
        )
    validate(db, user, config)
    resource = ResourceSet(user_id=user.id, display_name=display_name, yaml=config.to_yaml())
    db.add(resource)
    db.commit()
    return resource


def get_set(db: Session, user: User, set_name: uuid.UUID) -> ResourceSet:
    resource = db.get(ResourceSet, set_name)
    if resource is None or resource.user_id != user.id:
        raise NotFoundError(f"resource set {set_name} not found")
    return resource


def list_sets(db: Session, user: User, display_name: str | None, limit: int) -> list[ResourceSet]:
    query = select(ResourceSet).where(ResourceSet.user_id == user.id)
    if display_name is not None:
        query = query.where(ResourceSet.display_name == display_name)
    return list(db.scalars(query.order_by(ResourceSet.created_at.desc()).limit(limit)))
