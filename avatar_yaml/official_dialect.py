"""The official client's YAML dialect (``avatar_yaml`` of ``octopize-avatar``): recognised,
translated into ours, and written from ours.

The two dialects share their document layout; they differ in a few places, each handled
here by name (docs/yaml.md, "The official client's YAML", has the whole table):

- a table's rows are a ``file`` in a storage ``volume`` there, an uploaded dataset here: each
  ``file`` is looked up among the user's datasets by a resolver the caller gives (the client
  lists the datasets; this package makes no HTTP call);
- some enum values are spelt differently (``Undefined``, ``contractual_thirdparty``, ``hr``...);
- document kinds and keys for features this server does not have (databases, differential
  privacy, server-side processors...) are refused by name, with what to do instead.

What is translated is then read by :meth:`avatar_yaml.Config.from_documents`, so every check
of our own format still applies.
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from avatar_yaml.fields import ConfigError
from avatar_yaml.vocabulary import (
    AVATARIZED_SCHEMA_NAME,
    SCHEMA_NAME,
    DataRecipient,
    DataSubject,
    DataType,
    DocumentKind,
    SensitivityLevel,
)

if TYPE_CHECKING:
    from avatar_yaml.config import Config

__all__ = [
    "INPUT_VOLUME",
    "OFFICIAL_ONLY_KINDS",
    "FileResolver",
    "OfficialExport",
    "from_official",
    "is_official_dialect",
    "to_official",
]

FileResolver = Callable[[str, str], str]
"""``resolve(file, where) -> dataset_id``: the user's dataset a ``file`` names; raises
:class:`ConfigError` (saying ``where``) when there is none or more than one."""

INPUT_VOLUME = "input"
"""The volume the official Runner declares its tables in; written on export."""

_DATABASE_RUNS = (
    "database runs are not available here: export the tables to CSV or Parquet, upload them "
    "(client.datasets.upload_dataset) and declare them in the schema"
)

_SHARED_RESULTS = ("format", "max_distribution_plots")
"""Keys of the results block the official Runner writes alike into every document."""

_REPORT_DEFAULTS = {"report_type": "basic", "output_format": "pdf", "language": "en"}
"""What the official client means when a report document leaves these out (older versions
write no ``language``); ours requires them."""

_NO_DP = "differential privacy is not supported yet; set avatarization with k instead"

OFFICIAL_ONLY_KINDS: dict[str, str] = {
    "AvatarVolume": (
        "volumes are storage locations of the official platform; here tables are your uploaded "
        "datasets, found by their file name: remove this document"
    ),
    "AvatarSchemaDiscoveryParameters": _DATABASE_RUNS,
    "AvatarExtractParameters": _DATABASE_RUNS,
    "AvatarRegenerateParameters": _DATABASE_RUNS,
    "AvatarDatabase": _DATABASE_RUNS,
    "AvatarSharedEntity": _DATABASE_RUNS,
    "AvatarReferenceParameters": _DATABASE_RUNS,
}
"""Document kinds of the official dialect that this server does not run, with what to do."""


# --------------------------------------------------------------------------------------------
# Enum spellings: official value -> ours, and official values with no equivalent here


@dataclass(frozen=True)
class _Spelling:
    """How one PIA field's values translate. ``missing``: official values we have no value
    for, with the nearest value to write instead; ``values``: our enum, whose own values
    are read as they are (``other``, ``citizens``... have no official spelling)."""

    ours: Mapping[str, str]
    missing: Mapping[str, str]
    values: type[enum.StrEnum]

    def accepted(self) -> str:
        """What may be written, official spellings first, then ours that have none."""
        own = [str(value) for value in self.values if value not in self.ours.values()]
        return ", ".join([*self.ours, *own])


_PIA_SPELLINGS: dict[str, _Spelling] = {
    "datarecipient": _Spelling(
        ours={
            "unknown": DataRecipient.UNKNOWN,
            "internal": DataRecipient.INTERNAL,
            "contractual_thirdparty": DataRecipient.CONTRACTUAL_THIRD_PARTY,
            "opendata": DataRecipient.PUBLIC,
        },
        missing={
            "trusted_thirdparty": "contractual_thirdparty",
            "outside_eu": "contractual_thirdparty",
        },
        values=DataRecipient,
    ),
    "data_type": _Spelling(
        ours={
            "unknown": DataType.UNKNOWN,
            "health": DataType.HEALTH,
            "hr": DataType.HUMAN_RESOURCES,
            "finance": DataType.FINANCIAL,
        },
        missing={"insurance": "other", "mobility": "other", "education": "other"},
        values=DataType,
    ),
    "datasubject": _Spelling(
        ours={
            "unknown": DataSubject.UNKNOWN,
            "patients": DataSubject.PATIENTS,
            "employees": DataSubject.EMPLOYEES,
            "clients": DataSubject.CUSTOMERS,
        },
        missing={"users": "clients", "students": "other"},
        values=DataSubject,
    ),
    "sensitivity_level": _Spelling(
        ours={
            "Undefined": SensitivityLevel.UNDEFINED,
            "Low": SensitivityLevel.LOW,
            "Medium": SensitivityLevel.MEDIUM,
            "High": SensitivityLevel.HIGH,
        },
        missing={"Very High": "High", "Very Low": "Low", "Negligible": "Low"},
        values=SensitivityLevel,
    ),
}


def _official_only_values() -> set[str]:
    """PIA spellings that only the official dialect uses (``undefined`` is ours,
    ``Undefined`` theirs): finding one tells the dialect."""
    values: set[str] = set()
    for spelling in _PIA_SPELLINGS.values():
        ours = {str(value) for value in spelling.ours.values()}
        values |= {value for value in spelling.ours if value not in ours}
        values |= set(spelling.missing)
    return values


_OFFICIAL_ONLY_VALUES = _official_only_values()


# --------------------------------------------------------------------------------------------
# Recognising the dialect


def _mappings(value: object) -> list[dict[str, object]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _tables(document: dict[str, object]) -> list[dict[str, object]]:
    spec = document.get("spec")
    return _mappings(spec.get("tables")) if isinstance(spec, dict) else []


def _document_name(document: dict[str, object]) -> str:
    metadata = document.get("metadata")
    return str(metadata.get("name")) if isinstance(metadata, dict) else "?"


def _names_a_file(block: object) -> bool:
    """A table's ``data``/``avatars_data`` in the official form: a file (in a volume), not a
    dataset id."""
    return (
        isinstance(block, dict)
        and "dataset_id" not in block
        and ("file" in block or "volume" in block)
    )


def is_official_dialect(documents: list[dict[str, object]]) -> bool:
    """Whether documents are in the official dialect, told from the documents alone: a kind
    only it has, a table whose rows are a ``file`` in a ``volume`` rather than a
    ``dataset_id``, or a PIA value in its spelling."""
    for document in documents:
        if document.get("kind") in OFFICIAL_ONLY_KINDS:
            return True
        for table in _tables(document):
            if _names_a_file(table.get("data")) or _names_a_file(table.get("avatars_data")):
                return True
        spec = document.get("spec")
        pia = spec.get("pia_metadata") if isinstance(spec, dict) else None
        if isinstance(pia, dict) and any(
            isinstance(value, str) and value in _OFFICIAL_ONLY_VALUES for value in pia.values()
        ):
            return True
    return False


# --------------------------------------------------------------------------------------------
# Official -> ours


def _refuse(where: str, what: str, instead: str) -> ConfigError:
    return ConfigError(f"{where}: {what} (official client's YAML) {instead}")


class _Translation:
    """One pass over the documents: each is rewritten in our dialect or refused by name."""

    def __init__(self, resolve: FileResolver) -> None:
        self.resolve = resolve
        self.user_avatars: dict[str, str] = {}  # table -> dataset id, from schema_avatarized
        self.shared_results: dict[str, object] = {}  # the standard document's format/plots
        self.avatarized_tables: dict[str, str] = {}  # table -> where schema_avatarized names it

    def run(self, documents: list[dict[str, object]]) -> list[dict[str, object]]:
        documents = copy.deepcopy(documents)
        for document in documents:
            spec = document.get("spec")
            if document.get("kind") == DocumentKind.PARAMETERS and isinstance(spec, dict):
                results = spec.get("results")
                if isinstance(results, dict):
                    for key in _SHARED_RESULTS:
                        if key in results:
                            self.shared_results[key] = results[key]
        translated: list[dict[str, object]] = []
        for number, document in enumerate(documents, start=1):
            kept = self._document(number, document)
            if kept is not None:
                translated.append(kept)
        schemas = [
            document
            for document in translated
            if document.get("kind") == DocumentKind.SCHEMA
            and _document_name(document) == SCHEMA_NAME
        ]
        schema = schemas[0] if schemas else None
        self._check_avatarized_tables(schema)
        for table in _tables(schema) if schema else []:
            dataset_id = self.user_avatars.get(str(table.get("name")))
            if dataset_id is not None:
                table["avatars_data"] = {"dataset_id": dataset_id}
        return translated

    def _document(self, number: int, document: dict[str, object]) -> dict[str, object] | None:
        kind = document.get("kind")
        name = _document_name(document)
        where = f"document {number} ({kind} {name!r})"
        if isinstance(kind, str) and kind in OFFICIAL_ONLY_KINDS:
            raise ConfigError(
                f"{where}: the kind {kind} (official client's YAML) is not run here; "
                f"{OFFICIAL_ONLY_KINDS[kind]}"
            )
        spec = document.get("spec")
        if not isinstance(spec, dict):
            return document  # our reader says what is wrong
        where = f"{where}: spec"
        if kind == DocumentKind.METADATA:
            self._metadata(spec, where)
        elif kind == DocumentKind.SCHEMA and name == AVATARIZED_SCHEMA_NAME:
            self._avatarized_schema(spec, where)
            return None  # ours derives it from the schema; user avatars moved there
        elif kind == DocumentKind.SCHEMA:
            self._schema(spec, where)
        elif kind == DocumentKind.PARAMETERS:
            self._parameters(spec, where)
        elif kind == DocumentKind.ADVICE:
            self._advice(name, spec, where)
        elif kind == DocumentKind.REPORT:
            for key, default in _REPORT_DEFAULTS.items():
                spec.setdefault(key, default)
        results = spec.get("results")
        if kind != DocumentKind.PARAMETERS and isinstance(results, dict):
            # a report draws distribution plots: its cap takes effect there, and stays
            copies = ("format",) if kind == DocumentKind.REPORT else _SHARED_RESULTS
            self._results(results, f"{where}.results", copies=copies)
        return document

    # -- metadata ----------------------------------------------------------------------------

    @staticmethod
    def _metadata(spec: dict[str, object], where: str) -> None:
        pia = spec.get("pia_metadata")
        if not isinstance(pia, dict):
            return
        for key, spelling in _PIA_SPELLINGS.items():
            value = pia.get(key)
            if not isinstance(value, str):
                continue
            if value in spelling.ours:
                pia[key] = str(spelling.ours[value])
            elif value in spelling.missing:
                allowed = spelling.accepted()
                raise ConfigError(
                    f"{where}.pia_metadata.{key}: {value!r} (official client's YAML) has no "
                    f"equivalent here, and the report would print something else; write the "
                    f"nearest that fits your case, e.g. {spelling.missing[value]!r} "
                    f"(allowed: {allowed})"
                )

    # -- schemas -----------------------------------------------------------------------------

    def _schema(self, spec: dict[str, object], where: str) -> None:
        check = spec.pop("check_links_between_tables", None)
        if check is False:
            raise _refuse(
                f"{where}.check_links_between_tables",
                "false",
                "is only written for the official link advice; links are always checked "
                "here: remove it (links are advised by runner.advise_links())",
            )
        for i, table in enumerate(_mappings(spec.get("tables"))):
            place = f"{where}.tables[{i}]"
            data = table.get("data")
            if isinstance(data, dict) and "dataset_id" not in data:
                table["data"] = self._data(data, f"{place}.data", table.get("name"))
            avatars = table.get("avatars_data")
            if isinstance(avatars, dict) and "dataset_id" not in avatars and "auto" not in avatars:
                table["avatars_data"] = self._data(
                    avatars, f"{place}.avatars_data", table.get("name"), keep_file=False
                )
            for j, column in enumerate(_mappings(table.get("columns"))):
                if "value_type" in column:
                    raise _refuse(
                        f"{place}.columns[{j}].value_type",
                        "value_type",
                        "is not read here; remove it (type gives the column's type: int, "
                        "bool, category, float, datetime or datetime_tz)",
                    )

    def _data(
        self, data: dict[str, object], where: str, table: object, *, keep_file: bool = True
    ) -> dict[str, object]:
        """``{volume, file, auto?}`` -> ``{dataset_id, file}``: the volume is the official
        platform's storage; here the file is one of the user's datasets."""
        for key in data:
            if key not in ("volume", "file", "auto"):
                allowed = "volume, file, auto"
                raise ConfigError(f"{where}: unknown key {key!r}; allowed: {allowed}")
        if data.get("auto"):
            raise _refuse(
                f"{where}.auto",
                "auto: true",
                "only says, in schema_avatarized, that the avatars are the run's own; "
                "here it has no meaning: name the file",
            )
        file = data.get("file")
        if not isinstance(file, str) or not file:
            raise ConfigError(
                f"{where}: missing required key 'file' (the name of the table {table!r}'s "
                "file, one of your datasets)"
            )
        dataset_id = self.resolve(file, where)
        return {"dataset_id": dataset_id, "file": file} if keep_file else {"dataset_id": dataset_id}

    def _avatarized_schema(self, spec: dict[str, object], where: str) -> None:
        """Tables whose avatars are the run's own say ``auto: true``; a file there is the
        user's avatars of that table, moved onto the table in the schema (our place)."""
        for key in spec:
            if key not in ("schema_ref", "tables"):
                raise ConfigError(f"{where}: unknown key {key!r}; allowed: schema_ref, tables")
        for i, table in enumerate(_mappings(spec.get("tables"))):
            place = f"{where}.tables[{i}]"
            extra = [key for key in table if key not in ("name", "avatars_data")]
            if extra:
                raise ConfigError(
                    f"{place}: {', '.join(map(repr, extra))} belong in {SCHEMA_NAME!r}; "
                    f"{AVATARIZED_SCHEMA_NAME!r} only says where each table's avatars come from"
                )
            avatars = table.get("avatars_data")
            name = str(table.get("name"))
            self.avatarized_tables[name] = f"{place}.name"
            if _names_a_file(avatars):
                assert isinstance(avatars, dict)
                resolved = self._data(avatars, f"{place}.avatars_data", name)
                self.user_avatars[name] = str(resolved["dataset_id"])
            elif avatars != {"auto": True}:
                raise ConfigError(
                    f"{place}.avatars_data: expected {{auto: true}} (the run's own avatars) "
                    "or {volume, file} (avatars you bring)"
                )

    def _check_avatarized_tables(self, schema: dict[str, object] | None) -> None:
        """Dropping ``schema_avatarized`` must lose nothing: each of its tables is one of
        the schema's."""
        names = {str(table.get("name")) for table in _tables(schema)} if schema else set()
        for name, where in self.avatarized_tables.items():
            if name not in names:
                raise ConfigError(
                    f"{where}: table {name!r} is not a table of {SCHEMA_NAME!r}; declare it "
                    "there, or remove it"
                )

    # -- parameters --------------------------------------------------------------------------

    def _parameters(self, spec: dict[str, object], where: str) -> None:
        for key, instead in (
            ("avatarization_dp", _NO_DP),
            ("avatarization_open_dp", _NO_DP),
            ("avatarization_fast_dp", _NO_DP),
            ("input", _DATABASE_RUNS),
            ("avatarization_ref", "it chains database runs; remove it"),
            ("time_series_ref", "it chains database runs; remove it"),
        ):
            if key in spec:
                raise _refuse(f"{where}.{key}", key, f"is refused: {instead}")
        figures = spec.pop("compute_figures", None)
        if figures is False:
            raise _refuse(
                f"{where}.compute_figures",
                "false",
                "is not supported yet: the avatarization always writes what the figures "
                "are drawn from; remove compute_figures",
            )
        avatarization = spec.get("avatarization")
        if isinstance(avatarization, dict):
            for table, chosen in avatarization.items():
                if not isinstance(chosen, dict):
                    continue
                place = f"{where}.avatarization.{table}"
                if "data_augmentation" in chosen:
                    raise _refuse(
                        f"{place}.data_augmentation",
                        "data_augmentation",
                        "is not supported yet; remove it",
                    )
        results = spec.get("results")
        if isinstance(results, dict):
            self._results(results, f"{where}.results", copies=())

    def _advice(self, name: str, spec: dict[str, object], where: str) -> None:
        advice = spec.get("advice")
        kinds = advice.get("advisor_type") if isinstance(advice, dict) else None
        others = [k for k in kinds or [] if k != "parameters"] if isinstance(kinds, list) else []
        if others or name != "advice_parameters":
            raise _refuse(
                f"{where}.advice.advisor_type",
                f"advice on {', '.join(map(str, others)) or name}",
                "is not run from YAML here: only parameters are advised (advice_parameters); "
                "links are advised by runner.advise_links(), variables by the upload's column "
                "roles (client.datasets.get_dataset)",
            )

    def _results(self, results: dict[str, object], where: str, *, copies: tuple[str, ...]) -> None:
        """The same keys as ours, but the official Runner writes one shared block (format,
        plot cap) into every document. Ours keeps each where it takes effect: in a document
        where it does not, a value equal to the ``standard`` document's is that copy and is
        dropped (``copies``: the keys to drop so); any other value is left for our checks
        to refuse."""
        volume = results.get("volume")
        if volume is not None and volume != "results":
            raise _refuse(
                f"{where}.volume",
                repr(volume),
                "is refused: results are kept by the server with their job; write volume: results",
            )
        if "name_template" in results:
            raise _refuse(
                f"{where}.name_template",
                "name_template",
                "is not supported yet: result files are named <table>.<kind>.<ext>; remove it",
            )
        for key in copies:
            shared = key in results and key in self.shared_results
            if shared and results[key] == self.shared_results[key]:
                del results[key]


def from_official(
    documents: list[dict[str, object]], resolve: FileResolver
) -> list[dict[str, object]]:
    """The documents of an official-dialect run rewritten in ours (the input is not
    changed). Raises :class:`ConfigError` naming each thing refused; each ``file`` goes
    through ``resolve``."""
    if not documents:
        raise ConfigError("the YAML holds no document")
    return _Translation(resolve).run(documents)


# --------------------------------------------------------------------------------------------
# Ours -> official


@dataclass(frozen=True)
class OfficialExport:
    """A run in the official dialect: its documents, and what of ours it cannot say (each
    ``"where: what"``), left out of the documents."""

    documents: list[dict[str, object]]
    left_out: list[str]


_EXPORT_SPELLINGS: dict[str, dict[str, str]] = {
    key: {str(ours): official for official, ours in spelling.ours.items()}
    for key, spelling in _PIA_SPELLINGS.items()
}


def _pop(mapping: dict[str, object], key: str, where: str, left_out: list[str], why: str) -> None:
    if key in mapping:
        del mapping[key]
        left_out.append(f"{where}.{key}: {why}")


def to_official(config: Config, files: Mapping[str, str]) -> OfficialExport:
    """``config`` in the official dialect. ``files`` gives, per dataset id, the file name
    written for it (``data: {volume: input, file}``); what the official dialect has no key or
    value for is listed in ``left_out`` and not written."""
    left_out: list[str] = []
    documents = config.documents()
    user_avatars = {
        table.name: files[table.avatars_data.dataset_id]
        for table in config.schema.tables
        if table.avatars_data is not None and table.avatars_data.dataset_id is not None
    }
    for document in documents:
        spec = document["spec"]
        assert isinstance(spec, dict)
        name = _document_name(document)
        where = f"{name}"
        kind = document["kind"]
        if kind == DocumentKind.METADATA:
            _pop(spec, "approver", where, left_out, "the official reports have no approver")
            pia = spec.get("pia_metadata")
            if isinstance(pia, dict):
                for key, value in list(pia.items()):
                    official = _EXPORT_SPELLINGS[key].get(str(value))
                    if official is None:
                        pia[key] = "Undefined" if key == "sensitivity_level" else "unknown"
                        left_out.append(
                            f"{where}.pia_metadata.{key}: {value!r} has no official value "
                            f"(written {pia[key]!r})"
                        )
                    else:
                        pia[key] = official
        elif kind == DocumentKind.SCHEMA and name == AVATARIZED_SCHEMA_NAME:
            for table in _mappings(spec.get("tables")):
                file = user_avatars.get(str(table.get("name")))
                if file is not None:
                    table["avatars_data"] = {"volume": INPUT_VOLUME, "file": file}
        elif kind == DocumentKind.SCHEMA:
            _export_tables(spec, where, files, left_out)
        elif kind == DocumentKind.PARAMETERS:
            for series, tuned in _items(spec.get("time_series")):
                projection = tuned.get("projection")
                if isinstance(projection, dict):
                    _pop(
                        projection,
                        "block_weight",
                        f"{where}.time_series.{series}.projection",
                        left_out,
                        "the official client has no series block weight",
                    )
        elif kind == DocumentKind.PRIVACY_METRICS:
            for measured_table, measured in _items(spec.get("privacy_metrics")):
                _pop(
                    measured,
                    "categorical_hidden_rate_variables",
                    f"{where}.privacy_metrics.{measured_table}",
                    left_out,
                    "the official client has no categorical hidden rate",
                )
        elif kind == DocumentKind.REPORT and spec.get("output_format") == "html":
            spec["output_format"] = "pdf"
            left_out.append(f"{where}.output_format: 'html' is ours only (written 'pdf')")
    return OfficialExport(documents=documents, left_out=left_out)


def _items(value: object) -> list[tuple[str, dict[str, object]]]:
    if not isinstance(value, dict):
        return []
    return [(str(k), v) for k, v in value.items() if isinstance(v, dict)]


def _export_tables(
    spec: dict[str, object], where: str, files: Mapping[str, str], left_out: list[str]
) -> None:
    for table in _mappings(spec.get("tables")):
        place = f"{where}: table {table.get('name')!r}"
        data = table.get("data")
        if isinstance(data, dict):
            table["data"] = {"volume": INPUT_VOLUME, "file": files[str(data["dataset_id"])]}
        table.pop("avatars_data", None)  # the official dialect says it in schema_avatarized
        for column in _mappings(table.get("columns")):
            _pop(
                column,
                "keep",
                f"{place}: column {column.get('field')!r}",
                left_out,
                "the official client has no 'keep' treatment",
            )
