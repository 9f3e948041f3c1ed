"""What streaming costs in quality: the same table avatarized whole (``avatarize``: the
projection fitted on every row, batches drawn at random) and streamed (``engine.streamed``:
fitted on a sample of 200,000 rows, batches of consecutive rows, imputation per batch), same
seeds, same metrics.

The table is the scale bench's (``bench.scale``: 14 numeric columns of different
distributions, 6 categorical ones, gaps), large enough that the sample is a part of it. The
privacy metrics are the engine's own (their distance metrics on their default sample of rows);
the signal metrics on all rows. Engine only, in this process: no server, no storage.

    .venv/bin/python -m bench.streamed_quality [--rows 600k] [--seeds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from avatar_server.engine.avatarize import DEFAULT_BATCH_ROWS, avatarize
from avatar_server.engine.codec import TableCodec
from avatar_server.engine.privacy import privacy_metrics
from avatar_server.engine.signal import signal_metrics
from avatar_server.engine.streamed import (
    SAMPLE_ROWS,
    StreamSettings,
    avatarize_rows,
    covering_positions,
    fit_stream_model,
    sample_positions,
)
from bench.common import write_results
from bench.engine import fmt, machine_lines, parse_rows, rows_label, say
from bench.scale import CHUNK_ROWS, K, table_chunk, table_shape

RESULTS = Path(__file__).parent / "results" / "streamed-quality.md"
METRICS = (
    "hidden_rate",
    "local_cloaking",
    "distance_to_closest",
    "hellinger_mean",
    "correlation_difference_ratio",
)


def generated(rows: int) -> pd.DataFrame:
    shape = table_shape(0)
    chunks = [
        table_chunk(shape, 0, index, min(CHUNK_ROWS, rows - start)).to_pandas()
        for index, start in enumerate(range(0, rows, CHUNK_ROWS))
    ]
    frame: pd.DataFrame = pd.concat(chunks, ignore_index=True)
    return frame


def whole(df: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, list[float]]:
    result = avatarize(df, k=K, seed=seed, batch_rows=DEFAULT_BATCH_ROWS)
    return result.unshuffled, result.explained_variance_ratio


def streamed(df: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, list[float]]:
    """As the job does it, the table's columns described whole and its rows read in
    consecutive batches of ``DEFAULT_BATCH_ROWS``."""
    codec = TableCodec.fit(df)
    covering = np.unique(
        np.concatenate(
            [covering_positions(info, df[info.name], reduction=False) for info in codec.columns]
        )
    )
    positions = sample_positions(len(df), covering, seed)
    model = fit_stream_model(df.iloc[positions], codec, StreamSettings(k=K), seed=seed)
    parts = [
        avatarize_rows(model, df.iloc[start : start + DEFAULT_BATCH_ROWS], number).avatars
        for number, start in enumerate(range(0, len(df), DEFAULT_BATCH_ROWS))
    ]
    return pd.concat(parts), model.explained_variance_ratio


def measured(
    df: pd.DataFrame,
    method: Callable[[pd.DataFrame, int], tuple[pd.DataFrame, list[float]]],
    seed: int,
) -> dict[str, Any]:
    started = time.perf_counter()
    avatars, ratios = method(df, seed)
    seconds = time.perf_counter() - started
    found: dict[str, Any] = {"seconds": seconds, "variance": sum(ratios)}
    for result in privacy_metrics(df, avatars, seed=seed) + signal_metrics(df, avatars):
        if result.name in METRICS and result.value is not None:
            found[result.name] = float(result.value)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", default="600k")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    rows = parse_rows(args.rows)
    started = time.perf_counter()
    df = generated(rows)
    runs: dict[str, list[dict[str, Any]]] = {"whole": [], "streamed": []}
    for seed in range(args.seeds):
        for label, method in (("whole", whole), ("streamed", streamed)):
            say(f"{label} seed {seed}")
            runs[label].append(measured(df, method, seed))
            say(f"  {runs[label][-1]}")
    columns = ("seconds", "variance", *METRICS)
    lines = [
        "# Streaming and quality: one table avatarized whole and streamed",
        "",
        f"The scale bench's generated table (`bench.scale`, seed 0), {rows_label(rows)} rows × "
        f"20 columns, k = {K}, seeds 0…{args.seeds - 1}; medians, with the range over seeds in "
        "brackets.",
        "",
        f"- **whole**: `avatarize(batch_rows={DEFAULT_BATCH_ROWS:,})`: projection fitted on "
        "every row, the rows cut at random into batches, imputation on the whole table.",
        f"- **streamed**: as the standard job runs a table larger than one batch "
        f"(`engine.streamed`): projection fitted on a seeded sample of {SAMPLE_ROWS:,} rows "
        "(plus a row of each modality), batches of consecutive rows, imputation per batch.",
        "- *seconds*: the engine's avatarization alone (no metrics), this process; *variance*: "
        "the share of variance the `ncp` axes explain; then the privacy metrics (distance "
        "metrics on the engine's default row sample) and the signal metrics.",
        *machine_lines(),
        f"- Produced by `python -m bench.streamed_quality --rows {args.rows} --seeds "
        f"{args.seeds}` in {(time.perf_counter() - started) / 60:.1f} min.",
        "",
        "| method | " + " | ".join(columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for label, found in runs.items():
        cells = []
        for column in columns:
            values = [run[column] for run in found]
            middle = statistics.median(values)
            cells.append(f"{fmt(middle, 3)} [{fmt(min(values), 3)}–{fmt(max(values), 3)}]")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    write_results(args.output, lines)


if __name__ == "__main__":
    main()
