"""Resource sets: a run's YAML documents, checked against the user's datasets before storing.

Everything a job will need is verified here, so a bad configuration is refused at once with a
message naming the culprit (422) instead of failing minutes later in a worker.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from avatar_server.db.models import Dataset, ResourceSet, User
from avatar_server.services.errors import NotFoundError, UnprocessableError
from avatar_yaml.config import Config, ConfigError

DISPLAY_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


def _check_display_name(display_name: str) -> None:
    if not DISPLAY_NAME.match(display_name):
        raise UnprocessableError(
            f"display name {display_name!r}: use 1 to 255 letters, digits, '_' or '-'"
        )


def _unknown(names: Iterable[str], columns: set[str]) -> list[str]:
    return sorted({name for name in names if name not in columns})


def validate(db: Session, user: User, config: Config) -> None:
    """Check the run against the user's datasets: tables, columns and parameter ranges."""
    datasets: dict[str, Dataset] = {}
    for table in config.schema.tables:
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
        datasets[table.name] = dataset
        columns = {str(column["name"]) for column in dataset.columns}
        declared = [column.field for column in table.columns or []]
        missing = _unknown(declared, columns)
        if missing:
            raise UnprocessableError(f"{where}: unknown columns {missing}")
        dtypes = {str(column["name"]): str(column["dtype"]) for column in dataset.columns}
        for column in table.columns or []:
            if column.type in ("int", "float") and dtypes.get(column.field) == "string":
                raise UnprocessableError(
                    f"{where}: column {column.field!r} holds text, it cannot be read as "
                    f"{column.type}"
                )
        keys = [c.field for c in table.columns or [] if c.primary_key]
        if len(keys) > 1:
            raise UnprocessableError(f"{where}: several primary keys {keys}")

    parameters = config.parameters
    for name, chosen in (parameters.avatarization or {}).items() if parameters else []:
        where = f"avatarization parameters of table {name!r}"
        dataset = datasets[name]
        columns = {str(column["name"]) for column in dataset.columns}
        if chosen.k < 2:
            raise UnprocessableError(f"{where}: k must be at least 2, got {chosen.k}")
        if chosen.k >= dataset.rows:
            raise UnprocessableError(
                f"{where}: k={chosen.k} must be smaller than the table's {dataset.rows} rows"
            )
        if chosen.ncp is not None and chosen.ncp < 1:
            raise UnprocessableError(f"{where}: ncp must be at least 1, got {chosen.ncp}")
        weights = chosen.column_weights or {}
        if _unknown(weights, columns):
            raise UnprocessableError(
                f"{where}: column_weights names unknown columns {_unknown(weights, columns)}"
            )
        if any(weight <= 0 for weight in weights.values()):
            raise UnprocessableError(f"{where}: column weights must be positive")
        if chosen.exclude_variables is not None:
            names = chosen.exclude_variables.variable_names or []
            if _unknown(names, columns):
                raise UnprocessableError(
                    f"{where}: exclude_variables names unknown columns {_unknown(names, columns)}"
                )
        imputation = chosen.imputation
        if imputation is not None:
            if imputation.k is not None and imputation.k < 1:
                raise UnprocessableError(f"{where}: imputation k must be at least 1")
            fraction = imputation.training_fraction
            if fraction is not None and not 0 < fraction <= 1:
                raise UnprocessableError(
                    f"{where}: imputation training_fraction must be in (0, 1], got {fraction}"
                )

    privacy = config.privacy_metrics
    for name, metrics in (privacy.privacy_metrics or {}).items() if privacy else []:
        where = f"privacy metrics parameters of table {name!r}"
        columns = {str(column["name"]) for column in datasets[name].columns}
        known = list(metrics.known_variables or [])
        named = known + ([metrics.target] if metrics.target else [])
        if _unknown(named, columns):
            raise UnprocessableError(f"{where}: unknown columns {_unknown(named, columns)}")
        if metrics.target and metrics.target in known:
            raise UnprocessableError(f"{where}: the target cannot also be a known variable")


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
