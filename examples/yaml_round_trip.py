"""Save a run's configuration as YAML and run it again from the file.

    python examples/yaml_round_trip.py [OUTPUT_FOLDER]

The YAML holds everything the server executes (tables, parameters, metrics settings, seed),
so it can be reviewed, versioned, and replayed with ``create_runner_from_yaml`` or
``avatars run run.yaml``. The tables in it point to datasets already uploaded to the server.
The table is ``iris.csv`` from ``AVATAR_SHARED_DATA`` (default ``../shared/data``), or a
generated one.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd

from avatars import Manager


def load_table() -> tuple[str, pd.DataFrame]:
    default = Path(__file__).resolve().parents[2] / "shared" / "data"
    path = Path(os.environ.get("AVATAR_SHARED_DATA", default)) / "iris.csv"
    if path.is_file():
        return "iris", pd.read_csv(path)
    from avatars.demo import make_demo_table

    return "patients", make_demo_table(rows=150)


def main() -> None:
    output = Path(sys.argv[1] if len(sys.argv) > 1 else "example-yaml")
    output.mkdir(parents=True, exist_ok=True)
    table, data = load_table()

    manager = Manager()
    runner = manager.create_runner("example_yaml", seed=3)
    runner.add_table(table, data)
    runner.set_parameters(table, k=10, ncp=3)
    path = output / "run.yaml"
    runner.get_yaml(path)
    print(f"configuration: {path} ({len(path.read_text().splitlines())} lines)")

    replay = manager.create_runner_from_yaml(path, "example_yaml_replay")
    replay.print_parameters(table)
    replay.run()
    avatars = replay.shuffled(table)
    hidden_rate = replay.privacy_metrics(table)[0]["hidden_rate"]
    print(
        f"replayed as {replay.display_name!r}: {len(avatars)} avatars, hidden_rate "
        f"{hidden_rate:.1f} %"
    )


if __name__ == "__main__":
    main()
