"""One processor case timed in a fresh process, with whichever ``avatars.processors`` it finds.

``bench.processors`` runs this same file twice per case: in the project's environment
(``python -m bench.processors_worker SPEC``, our ``avatars``) and in the official client's
(``bench/.venv-official/bin/python -I bench/processors_worker.py SPEC``: ``-I`` keeps the
repository off the path, so ``avatars`` is the installed official package). The code that calls
the processors is therefore the same for both; only the processors differ. It needs the standard
library, pandas and pyarrow only, so that it runs in both environments.

The cases (:data:`CASES`) are plain data, one processor (or a chain of several) with its
constructor arguments, so that both sides build exactly the same thing. For each case the worker
reads the generated table, then times ``preprocess`` and ``postprocess`` (median of ``repeat``
calls each) and takes the tracemalloc peak of one more call of each; it pickles that call's
outputs for the parent to compare, and prints one JSON line.

``postprocess`` gets ``preprocess``'s own output (a round trip) unless the case says
``"dest": "avatars"`` (Perturbation: its ``preprocess`` is the identity, so it gets a second
table, the source with each column shuffled, standing for the avatars). Each call gets a fresh
copy of ``dest`` (made outside the timing): some official ``postprocess`` methods modify it.
"""

from __future__ import annotations

import contextlib
import gc
import json
import pickle
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from importlib import import_module, metadata
from pathlib import Path
from typing import Any

import pandas as pd

Json = dict[str, Any]

CHAIN = "ProcessorChain"

# name -> stages (class name, keyword arguments) and the dest postprocess gets.
CASES: dict[str, Json] = {
    "datetime": {"stages": [["DatetimeProcessor", {}]]},
    "expected_mean": {
        "stages": [
            [
                "ExpectedMeanProcessor",
                {"target_variables": ["income"], "groupby_variables": ["region"], "same_std": True},
            ]
        ]
    },
    "geolocation_normalization": {
        "stages": [
            [
                "GeolocationNormalizationProcessor",
                {
                    "latitude_variable": "lat",
                    "longitude_variable": "lon",
                    "n_reference_lat": 20,
                    "n_bins": 50,
                },
            ]
        ]
    },
    "group_modalities": {
        "stages": [["GroupModalitiesProcessor", {"variable_thresholds": {"category": "RARE"}}]]
    },
    "inter_record_cumulated_difference": {
        "stages": [
            [
                "InterRecordCumulatedDifferenceProcessor",
                {
                    "id_variable": "patient",
                    "target_variable": "balance",
                    "new_first_variable_name": "balance_first",
                    "new_difference_variable_name": "balance_diff",
                    "keep_record_order": True,
                },
            ]
        ]
    },
    "inter_record_bounded_cumulated_difference": {
        "stages": [
            [
                "InterRecordBoundedCumulatedDifferenceProcessor",
                {
                    "id_variable": "patient",
                    "target_variable": "balance",
                    "new_first_variable_name": "balance_first",
                    "new_difference_variable_name": "balance_diff",
                },
            ]
        ]
    },
    "inter_record_bounded_range_difference": {
        "stages": [
            [
                "InterRecordBoundedRangeDifferenceProcessor",
                {
                    "id_variable": "patient",
                    "target_start_variable": "stay_start",
                    "target_end_variable": "stay_end",
                    "new_first_variable_name": "stay_first",
                    "new_range_variable": "stay_range",
                    "new_difference_variable_name": "stay_diff",
                    "sort_by_variable": "visit",
                },
            ]
        ]
    },
    "perturbation": {
        "stages": [
            [
                "PerturbationProcessor",
                {"perturbation_level": {"income": 0.5, "score": 0.3, "category": 0.5}, "seed": 0},
            ]
        ],
        "dest": "avatars",
    },
    "proportion": {
        "stages": [
            [
                "ProportionProcessor",
                {"variable_names": ["part_a", "part_b", "part_c"], "reference": "total"},
            ]
        ]
    },
    "to_categorical": {"stages": [["ToCategoricalProcessor", {"to_categorical_threshold": 10}]]},
    "chain": {
        "stages": [
            ["DatetimeProcessor", {}],
            [
                "ExpectedMeanProcessor",
                {"target_variables": ["income"], "groupby_variables": ["region"], "same_std": True},
            ],
            [
                "ProportionProcessor",
                {"variable_names": ["part_a", "part_b", "part_c"], "reference": "total"},
            ],
            ["ToCategoricalProcessor", {"to_categorical_threshold": 10}],
        ]
    },
}


def rare_threshold(rows: int) -> int:
    """GroupModalities' threshold: a modality seen in at most 0.05 % of the rows is rare."""
    return max(1, rows // 2000)


def resolve(value: Any, rows: int) -> Any:
    """Constructor arguments with the ``"RARE"`` placeholder replaced for this table size."""
    if value == "RARE":
        return rare_threshold(rows)
    if isinstance(value, dict):
        return {key: resolve(item, rows) for key, item in value.items()}
    return value


class ManualChain:
    """Preprocess in order, postprocess in reverse with each stage's source: what a user of a
    client without a chain class writes (docs/processors.md shows the loop)."""

    def __init__(self, processors: list[Any]) -> None:
        self.processors = processors
        self.sources: list[pd.DataFrame] = []

    def preprocess(self, df: pd.DataFrame) -> pd.DataFrame:
        self.sources = []
        for processor in self.processors:
            self.sources.append(df)
            df = processor.preprocess(df)
        return df

    def postprocess(self, dest: pd.DataFrame) -> pd.DataFrame:
        for processor, source in zip(
            reversed(self.processors), reversed(self.sources), strict=True
        ):
            dest = processor.postprocess(source, dest)
        return dest


def build(case: Json, rows: int) -> tuple[Any, bool]:
    """The case's processor (a chain for several stages) and whether it is a chain."""
    module = import_module("avatars.processors")
    stages = [getattr(module, name)(**resolve(kwargs, rows)) for name, kwargs in case["stages"]]
    if len(stages) == 1:
        return stages[0], False
    chain_class = getattr(module, CHAIN, None)
    return (chain_class(stages) if chain_class is not None else ManualChain(stages)), True


def measure(
    prepare: Callable[[], Any],
    call: Callable[[Any], pd.DataFrame],
    repeat: int,
    budget: float | None,
    trace_limit: float | None,
) -> tuple[list[float], float | None, pd.DataFrame]:
    """Timed calls, then one traced call: times, tracemalloc peak MiB (None: not traced), and
    the output of the last call.

    ``repeat`` calls, or fewer once they add up to ``budget`` seconds (at least one); the traced
    call is left out when a call took more than ``trace_limit`` seconds (tracing slows Python
    loops several times over). ``prepare`` (a fresh processor, a fresh copy of ``dest``) runs
    before the clock starts and before tracing starts: only the processor's work is measured.
    """
    times: list[float] = []
    output: pd.DataFrame | None = None
    while len(times) < repeat:
        argument = prepare()
        output = None
        gc.collect()
        started = time.perf_counter()
        output = call(argument)
        times.append(time.perf_counter() - started)
        del argument
        if budget is not None and sum(times) >= budget:
            break
    peak = None
    if trace_limit is None or max(times) <= trace_limit:
        argument = prepare()
        output = None
        gc.collect()
        tracemalloc.start()
        output = call(argument)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    assert output is not None
    return times, peak, output


def failure(error: BaseException) -> str:
    """One line naming the exception, for the results table."""
    message = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {message}"[:160]


def peak_rss_mb() -> float:
    """This worker's high-water mark (VmHWM), in MiB: table, outputs and all calls."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def implementation() -> Json:
    """Which ``avatars.processors`` this is, and the library versions it ran with."""
    module = import_module("avatars.processors")
    versions = {name: metadata.version(name) for name in ("pandas", "numpy")}
    with contextlib.suppress(metadata.PackageNotFoundError):
        versions["octopize-avatar"] = metadata.version("octopize-avatar")
    return {
        "python": platform.python_version(),
        "module": str(Path(module.__file__ or "?").parent),
        "versions": versions,
    }


def run(spec: Json) -> Json:
    """Spec: case, repeat, budget, trace_limit (see :func:`measure`), source and avatars
    (Parquet files), out (prefix of the pickled outputs)."""
    case = CASES[spec["case"]]
    source = pd.read_parquet(spec["source"])
    avatars = pd.read_parquet(spec["avatars"]) if case.get("dest") == "avatars" else None
    limits = (int(spec["repeat"]), spec.get("budget"), spec.get("trace_limit"))
    result: Json = {"case": spec["case"], **implementation()}
    try:
        build(case, len(source))
    except Exception as error:  # the constructor differs: recorded instead of a time
        result["error"] = f"constructor: {failure(error)}"
        return result

    fitted: list[Any] = []

    def fresh() -> Any:
        processor, _ = build(case, len(source))
        fitted[:] = [processor]
        return processor

    try:
        times, peak, pre = measure(fresh, lambda processor: processor.preprocess(source), *limits)
    except Exception as error:
        result["error"] = f"preprocess: {failure(error)}"
        return result
    result["pre"] = {"times": times, "median": statistics.median(times), "peak_mib": peak}
    Path(f"{spec['out']}-pre.pkl").write_bytes(pickle.dumps(pre))
    processor = fitted[0]  # fitted by the last call, whose output ``pre`` is
    dest = avatars if avatars is not None else pre
    is_chain = len(case["stages"]) > 1

    def postprocess(given: pd.DataFrame) -> pd.DataFrame:
        output: pd.DataFrame = (
            processor.postprocess(given) if is_chain else processor.postprocess(source, given)
        )
        return output

    try:
        times, peak, post = measure(dest.copy, postprocess, *limits)
    except Exception as error:
        result["error"] = f"postprocess: {failure(error)}"
        return result
    result["post"] = {"times": times, "median": statistics.median(times), "peak_mib": peak}
    Path(f"{spec['out']}-post.pkl").write_bytes(pickle.dumps(post))
    result["peak_rss_mib"] = peak_rss_mb()
    return result


def main() -> None:
    print(json.dumps(run(json.loads(sys.argv[1]))))


if __name__ == "__main__":
    main()
