"""Anonymize one table on the embedded server: avatars, metrics and both reports.

    python examples/anonymize_one_table.py [OUTPUT_FOLDER]

No server to set up: ``Manager()`` without a URL starts one in this process, keeping its data
under ``AVATAR_HOME`` (default ``~/.local/share/avatars``). The table is ``wbcd.csv`` from
``AVATAR_SHARED_DATA`` (default ``../shared/data`` next to this repository), or a generated
patient table when that folder is absent. The run is named ``example_one_table``, so
``reload_a_run.py`` can find it afterwards.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd

from avatars import Manager

RUN_NAME = "example_one_table"


def load_table() -> tuple[str, pd.DataFrame]:
    """The fixture table if it is there, else a generated one of the same size."""
    default = Path(__file__).resolve().parents[2] / "shared" / "data"
    path = Path(os.environ.get("AVATAR_SHARED_DATA", default)) / "wbcd.csv"
    if path.is_file():
        return "wbcd", pd.read_csv(path)
    from avatars.demo import make_demo_table

    return "patients", make_demo_table(rows=683)


def main() -> None:
    output = Path(sys.argv[1] if len(sys.argv) > 1 else "example-output")
    output.mkdir(parents=True, exist_ok=True)
    table, data = load_table()

    manager = Manager()
    runner = manager.create_runner(RUN_NAME, seed=0)
    runner.add_table(table, data)  # uploaded now; unknown columns would fail here
    runner.set_parameters(table, k=15)  # 15 neighbours mixed into each avatar
    runner.run()  # avatars, then privacy and signal metrics, then the reports

    avatars = runner.shuffled(table)  # waits for the job, then downloads
    avatars.to_csv(output / f"{table}.avatars.csv", index=False)
    print(f"{len(avatars)} avatars of {len(data)} records: {output / f'{table}.avatars.csv'}")

    summary = runner.metrics_summary()
    values = summary["value"].loc[table]
    passed = summary["passed"].loc[table]
    for metric in ("hidden_rate", "local_cloaking", "hellinger_mean"):
        verdict = {True: "pass", False: "FAIL"}.get(passed[metric], "no target")
        print(f"{metric:<16} {values[metric]:>8.3f}  {verdict}")

    # The suffix picks the format; a folder (or no path) would receive both files.
    print(f"report: {runner.download_report(output / f'{table}.report.html')}")
    print(f"report: {runner.download_report(output / f'{table}.report.pdf')}")


if __name__ == "__main__":
    main()
