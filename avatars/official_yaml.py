"""Run files in the official client's YAML dialect: read into a :class:`Config`, and written
from one.

The official dialect names each table's ``file`` in a storage volume; here tables are the
user's uploaded datasets. Reading looks each file up among the user's datasets (listed once
through the API); writing names each dataset by a file name that reads back to it. The
translation of everything else is :mod:`avatar_yaml.official_dialect`.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import TYPE_CHECKING

from avatars_api.models import DatasetOut

from avatar_yaml import Config, ConfigError
from avatar_yaml.loader import dump_documents, load_yaml_documents
from avatar_yaml.official_dialect import from_official, is_official_dialect, to_official

if TYPE_CHECKING:
    from avatars.client import ApiClient

__all__ = ["DatasetFiles", "official_yaml", "read_run_yaml"]


def _same(text: str) -> str:
    """File names compared as people see them: ``é`` typed on macOS (decomposed) and on
    Windows (one code point) are the same name."""
    return unicodedata.normalize("NFC", text)


def _file_name(dataset: DatasetOut) -> str:
    """The file name a dataset is known by in an exported run: its name, with the extension
    of its format unless the name already ends with it."""
    extension = f".{dataset.file_format}"
    if dataset.name.lower().endswith(extension):
        return dataset.name
    return dataset.name + extension


class DatasetFiles:
    """The user's datasets, found by the ``file`` an official-dialect run names.

    A file names the datasets whose name is exactly it, and those named by its stem and
    stored in the format of its extension (``person.csv``: a CSV dataset named ``person``, as
    ``add_table`` and ``upload_dataset`` name an uploaded ``person.csv``); more than one is
    refused. A dataset's id written as the file names that dataset: the way to choose between
    two of the same name.
    """

    def __init__(
        self, datasets: Sequence[DatasetOut], uploads: Mapping[str, DatasetOut] | None = None
    ) -> None:
        self.datasets = list(datasets)
        self.uploads = dict(uploads or {})
        """Files uploaded by this runner (``Runner.upload_file``), by name: they name that
        upload, before any older dataset of the same name."""

    def _named(self, file: str) -> list[DatasetOut]:
        """Every dataset the file may name, exactly or by its stem: several are refused, so
        an upload named ``person.csv`` never silently wins over the run's ``person``."""
        wanted = _same(file)
        path = PurePath(wanted)
        extension = path.suffix.lower().lstrip(".")
        return [
            d
            for d in self.datasets
            if _same(d.name) == wanted
            or (extension and _same(d.name) == path.stem and str(d.file_format) == extension)
        ]

    def dataset_id(self, file: str, where: str) -> str:
        """The id of the one dataset ``file`` names; :class:`ConfigError` saying ``where``,
        the file, and what to do when there is none or more than one."""
        try:
            chosen = uuid.UUID(file)
        except ValueError:
            pass
        else:
            by_id = [d for d in self.datasets if d.id == chosen]
            if by_id:
                return str(by_id[0].id)
        for name, upload in self.uploads.items():
            if _same(name) == _same(file):
                return str(upload.id)
        found = self._named(file)
        if len(found) == 1:
            return str(found[0].id)
        if not found:
            stem = PurePath(file).stem
            raise ConfigError(
                f"{where}: the file {file!r} is none of your datasets; upload it under that "
                f"name first: runner.upload_file({stem!r}, path) (the official client's way: "
                f"it names the upload {stem!r} plus the path's extension), or "
                f"client.datasets.upload_dataset(path, name={file!r}) (`avatars datasets` "
                "lists yours)"
            )
        listed = "; ".join(
            f"{d.id} ({d.rows} rows, uploaded {d.created_at:%Y-%m-%d %H:%M})" for d in found
        )
        raise ConfigError(
            f"{where}: the file {file!r} names {len(found)} of your datasets ({listed}); "
            "write the id of the one you mean as the file (file: <id>), or delete the others "
            "(client.datasets.delete_dataset(id))"
        )


def read_run_yaml(
    client: ApiClient, text: str, *, uploads: Mapping[str, DatasetOut] | None = None
) -> Config:
    """A run's YAML in either dialect, checked as the server would: ours as it is, the
    official client's translated, its files found among the user's datasets (``uploads``,
    a runner's own uploads by file name, first)."""
    documents = load_yaml_documents(text)
    if is_official_dialect(documents):
        files = DatasetFiles(client.datasets.list_datasets(), uploads)
        documents = from_official(documents, files.dataset_id)
    return Config.from_documents(documents)


def official_yaml(
    config: Config, datasets: Sequence[DatasetOut], *, allow_loss: bool = False
) -> str:
    """``config`` as YAML in the official client's dialect; each table's data is written as
    ``{volume: input, file}``, the file named after its dataset so that it reads back here
    (``datasets``: all the user's, so that a name another dataset answers to too is written
    as the dataset's id instead).

    What the official dialect cannot say (an approver, ``keep`` treatments, HTML reports...)
    raises :class:`ConfigError` listing it, unless ``allow_loss``: then it is left out and
    listed in comments at the top of the text."""
    found = DatasetFiles(datasets)
    files = {}
    for dataset in datasets:
        name = _file_name(dataset)
        # A name that would read back to another dataset, or to several, is written as the id.
        files[str(dataset.id)] = name if found._named(name) == [dataset] else str(dataset.id)
    export = to_official(config, files)
    if export.left_out and not allow_loss:
        raise ConfigError(
            "the official client's YAML cannot say: "
            + "; ".join(export.left_out)
            + " (pass allow_loss=True to write the run without them)"
        )
    header = "".join(f"# left out (no official equivalent): {item}\n" for item in export.left_out)
    return header + dump_documents(export.documents)
