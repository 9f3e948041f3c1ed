"""SDV's HMASynthesizer on linked tables: the peer that ``bench.linked`` compares us with.

Runs inside ``bench/.venv-sdv`` (made by ``bench/setup-sdv.sh``), never in the project venv: SDV
needs pandas < 3 and torch. It imports nothing from the project. It reads each table from
``<input>/<table>.parquet`` (written by the main bench), detects the metadata from the data as
a data scientist trying SDV would, then sets the keys and relationships explicitly (detection
only links columns whose names match, and ``visit.patient_id`` does not match ``patient.p_id``),
fits, samples at scale 1 (as many parents as the original; child counts drawn by HMA), writes
each synthetic table to ``<output>/<table>.parquet`` and prints one JSON line with the timings
and this process's peak RSS, so the main bench scores the output with the same code as ours.

    bench/.venv-sdv/bin/python bench/hma_worker.py INPUT_DIR OUTPUT_DIR [--seed 0]
        [--table patient=p_id ...] [--link patient.p_id=visit.patient_id ...]

Without ``--table``/``--link`` it runs the clinic (patient, doctor, visit).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import time
import warnings
from pathlib import Path
from typing import Any

CLINIC_TABLES = ("patient=p_id", "doctor=d_id", "visit=visit_id")
CLINIC_LINKS = ("patient.p_id=visit.patient_id", "doctor.d_id=visit.doctor_id")
SDV_DEFAULT_SEED = 73251
"""The numpy seed every SDV multi-table synthesizer samples from (``_numpy_seed``): without
changing it, every run draws the same tables. ``--seed 0`` keeps it; seed s uses it + s."""


def peak_rss_mb() -> float:
    """This process's high-water mark: one worker per run, so it is the run's own peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def parse_tables(specs: list[str]) -> dict[str, str]:
    """``name=primary_key`` pairs, in order."""
    tables: dict[str, str] = {}
    for spec in specs:
        name, sep, key = spec.partition("=")
        if not sep or not name or not key:
            raise SystemExit(f"--table {spec!r}: expected NAME=PRIMARY_KEY, e.g. patient=p_id")
        tables[name] = key
    return tables


def parse_links(specs: list[str], tables: dict[str, str]) -> list[tuple[str, str, str, str]]:
    """``parent.key=child.fk`` links as (parent, key, child, fk), checked against the tables."""
    links = []
    for spec in specs:
        parent_side, sep, child_side = spec.partition("=")
        parent, _, key = parent_side.partition(".")
        child, _, fk = child_side.partition(".")
        if not sep or not all((parent, key, child, fk)):
            raise SystemExit(
                f"--link {spec!r}: expected PARENT.KEY=CHILD.FK, e.g. patient.p_id=visit.patient_id"
            )
        for name in (parent, child):
            if name not in tables:
                raise SystemExit(f"--link {spec!r}: table {name!r} is not among --table")
        if tables[parent] != key:
            raise SystemExit(f"--link {spec!r}: {key!r} is not {parent}'s primary key")
        links.append((parent, key, child, fk))
    return links


def read_tables(folder: Path, names: list[str]) -> dict[str, Any]:
    # The project writes with pandas 3, whose string dtype pandas 2 cannot rebuild from the
    # parquet metadata: read the columns as plain Arrow types instead.
    import pyarrow.parquet as pq

    data = {}
    for name in names:
        path = folder / f"{name}.parquet"
        if not path.exists():
            raise SystemExit(f"table {name!r}: {path} does not exist")
        data[name] = pq.read_table(path).to_pandas(ignore_metadata=True)
    return data


def build_metadata(
    data: dict[str, Any], tables: dict[str, str], links: list[tuple[str, str, str, str]]
) -> tuple[Any, dict[str, dict[str, str]]]:
    """Detected metadata, then the keys and relationships set explicitly.

    SDV 1.14+ (2.x too) has the ``Metadata`` class, whose ``detect_from_dataframes`` is a
    classmethod; before, ``MultiTableMetadata().detect_from_dataframes`` fills an instance.
    Relationships the detection guessed are removed, so that only the declared ones count.
    Returns the metadata and the sdtype of every column (reported: a column taken for an id
    would be generated, not modelled).
    """
    try:
        from sdv.metadata import Metadata

        metadata = Metadata.detect_from_dataframes(data)
    except ImportError:
        from sdv.metadata import MultiTableMetadata

        metadata = MultiTableMetadata()
        metadata.detect_from_dataframes(data)
    for relation in list(metadata.to_dict().get("relationships", [])):
        metadata.remove_relationship(relation["parent_table_name"], relation["child_table_name"])
    foreign = {(child, fk) for _, _, child, fk in links}
    for name, key in tables.items():
        for column in [key, *(fk for child, fk in foreign if child == name)]:
            metadata.update_column(table_name=name, column_name=column, sdtype="id")
        metadata.set_primary_key(table_name=name, column_name=key)
    for parent, key, child, fk in links:
        metadata.add_relationship(
            parent_table_name=parent,
            child_table_name=child,
            parent_primary_key=key,
            child_foreign_key=fk,
        )
    metadata.validate()
    described = metadata.to_dict()["tables"]
    sdtypes = {
        name: {column: str(spec.get("sdtype")) for column, spec in table["columns"].items()}
        for name, table in described.items()
    }
    return metadata, sdtypes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("input", type=Path, help="folder with <table>.parquet per table")
    parser.add_argument("output", type=Path, help="folder the synthetic <table>.parquet go to")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--table", action="append", default=[], help="NAME=PRIMARY_KEY")
    parser.add_argument("--link", action="append", default=[], help="PARENT.KEY=CHILD.FK")
    args = parser.parse_args()
    tables = parse_tables(args.table or list(CLINIC_TABLES))
    links = parse_links(args.link or list(CLINIC_LINKS), tables)
    warnings.filterwarnings("ignore")
    from sdv.multi_table import HMASynthesizer

    data = read_tables(args.input, list(tables))
    metadata, sdtypes = build_metadata(data, tables, links)
    start = time.perf_counter()
    synthesizer = HMASynthesizer(metadata, verbose=False)
    synthesizer.fit(data)
    fitted = time.perf_counter()
    if hasattr(synthesizer, "_numpy_seed"):
        synthesizer._numpy_seed = SDV_DEFAULT_SEED + args.seed
    # SDV 2 names the scale-based draw ``sample_scale``; 1.x has ``sample(scale=...)``.
    if hasattr(synthesizer, "sample_scale"):
        synthetic = synthesizer.sample_scale(scale=1.0)
    else:
        synthetic = synthesizer.sample(scale=1.0)
    sampled = time.perf_counter()
    args.output.mkdir(parents=True, exist_ok=True)
    for name, frame in synthetic.items():
        frame[list(data[name].columns)].to_parquet(args.output / f"{name}.parquet", index=False)
    versions = {
        name: importlib.metadata.version(name)
        for name in ("sdv", "copulas", "rdt", "torch", "pandas", "numpy")
    }
    result = {
        "fit_s": fitted - start,
        "sample_s": sampled - fitted,
        "rows": {name: len(frame) for name, frame in synthetic.items()},
        "peak_rss_mb": peak_rss_mb(),
        "sdtypes": sdtypes,
        "versions": versions,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
