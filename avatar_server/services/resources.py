"""Resource sets: a run's YAML documents, checked against the user's datasets before storing.

Everything a job will need is verified here, so a bad configuration is refused at once with a
message naming the culprit (422) instead of failing minutes later in a worker.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from avatar_server.db.models import Dataset, ResourceSet, User
from avatar_server.jobs.dataset_facts import facts
from avatar_server.services.errors import NotFoundError, UnprocessableError
from avatar_server.services.foreign_keys import check_foreign_keys
from avatar_server.services.series_data import check_series_data
from avatar_server.settings import Settings
from avatar_server.storage import Storage
from avatar_yaml import Config, ConfigError, TableInfo, check_display_name, rules
from avatar_yaml.loader import YamlTooComplexError, check_yaml_size


def _dataset(db: Session, user: User, table: TableInfo) -> Dataset:
    """The user's dataset a table names; someone else's is "not found", like a missing one."""
    where = f"table {table.name!r}"
    if table.data is None:  # pragma: no cover - the reader requires data in the schema
        raise UnprocessableError(f"{where}: no data (data.dataset_id)")
    return _owned(db, user, where, table.data.dataset_id)


def _owned(db: Session, user: User, where: str, given: str) -> Dataset:
    """The user's dataset of id ``given``; someone else's is "not found", like a missing one."""
    try:
        dataset_id = uuid.UUID(given)
    except ValueError:
        raise UnprocessableError(f"{where}: dataset_id {given!r} is not a UUID") from None
    dataset = db.get(Dataset, dataset_id)
    if dataset is None or dataset.user_id != user.id:
        raise UnprocessableError(f"{where}: dataset {dataset_id} not found")
    return dataset


def validate(db: Session, user: User, config: Config, storage: Storage) -> None:
    """Check the run against the user's datasets with the rules the client applies too (the
    avatars a user brings included), then the values of linked tables' keys and series
    tables' times (which only the server holds)."""
    datasets = {table.name: _dataset(db, user, table) for table in config.schema.tables}
    try:
        rules.check(config, {name: facts(dataset) for name, dataset in datasets.items()})
        for table in config.schema.tables:
            brought = table.avatars_data.dataset_id if table.avatars_data else None
            if brought is not None:
                where = f"table {table.name!r}: avatars_data"
                avatars = _owned(db, user, where, brought)
                rules.check_brought_facts(table, facts(datasets[table.name]), facts(avatars))
    except ConfigError as error:
        raise UnprocessableError(str(error)) from None
    check_foreign_keys(storage, config, datasets)
    check_series_data(storage, config, datasets)


def create_set(
    db: Session, user: User, display_name: str, text: str, settings: Settings, storage: Storage
) -> ResourceSet:
    """Parse, validate and store a run's documents as a new set (a new UUID every time).

    The YAML's documents and nodes are counted first (``AVATAR_MAX_RUN_YAML_*``), so a text
    too costly to parse is refused before it is parsed."""
    try:
        check_display_name(display_name)
        check_yaml_size(
            text,
            max_documents=settings.max_run_yaml_documents,
            max_nodes=settings.max_run_yaml_nodes,
        )
        config = Config.from_yaml(text)
    except YamlTooComplexError as error:
        setting = f"AVATAR_MAX_RUN_YAML_{error.limit.upper()}"
        raise UnprocessableError(f"{error}, set by this server's {setting}") from None
    except ConfigError as error:
        raise UnprocessableError(str(error)) from None
    if config.display_name != display_name:
        raise UnprocessableError(
            f"the documents describe the run {config.display_name!r}, not {display_name!r}"
        )
    validate(db, user, config, storage)
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
