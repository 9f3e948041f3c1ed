"""Reload a past run by name and use its results without running anything again.

    python examples/reload_a_run.py [RUN_NAME] [OUTPUT_FOLDER]

Run ``anonymize_one_table.py`` first (its run is the default name). The runner rebuilt by
``create_runner_from_name`` reads the stored configuration and the finished jobs of the newest
run of that name, and keeps its name: avatars, metrics and plots come from the server, and the
plots need no original data, only the summaries the jobs stored. Each plot is written as a
PNG and, since a script runs outside a notebook, as a standalone HTML page beside it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from avatars import Manager, PlotKind


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "example_one_table"
    output = Path(sys.argv[2] if len(sys.argv) > 2 else "example-plots")
    output.mkdir(parents=True, exist_ok=True)

    manager = Manager()
    jobs_before = len(manager.auth_client.jobs.get_jobs(limit=1000).jobs)
    try:
        runner = manager.create_runner_from_name(name)
    except ValueError:
        sys.exit(f"no run named {name!r}: run examples/anonymize_one_table.py first")
    table = runner.config.table_names()[0]
    print(f"reloaded {runner.display_name!r} (set {runner.set_name}), table {table!r}")

    avatars = runner.shuffled(table)
    print(f"avatars: {len(avatars)} rows, columns {list(avatars.columns)[:4]}...")
    print(runner.metrics_summary()["value"].T.to_string())

    for kind in runner.plot_kinds(table):
        if kind is PlotKind.CLASS_PROJECTION_2D:
            continue  # needs variable=: a categorical column whose categories colour the points
        path = output / f"{table}.{kind.value}.png"
        runner.render_plot(table, kind, path=path)  # outside a notebook, also a page beside
        print(f"plot: {path} (and {path.with_suffix('.html').name})")

    jobs_after = len(manager.auth_client.jobs.get_jobs(limit=1000).jobs)
    print(f"nothing ran again: {jobs_before} jobs before, {jobs_after} after")


if __name__ == "__main__":
    main()
