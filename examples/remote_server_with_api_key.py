"""Anonymize a table on a remote avatars server, authenticated by an API key.

    AVATAR_BASE_URL=https://avatars.example.org/api AVATAR_API_KEY=... \
        python examples/remote_server_with_api_key.py

The key comes from whoever runs the server (or from ``client.api_keys.create_api_key`` once
signed in with a password); this script only uses it: it creates no user and no key. The
table is ``iris.csv`` from ``AVATAR_SHARED_DATA`` (default ``../shared/data``), or a generated
one.
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
    base_url = os.environ.get("AVATAR_BASE_URL")
    api_key = os.environ.get("AVATAR_API_KEY")
    if not base_url or not api_key:
        sys.exit("set AVATAR_BASE_URL (the server's API URL) and AVATAR_API_KEY")

    # A wrong URL or key fails here, with the reason, rather than at the first run.
    manager = Manager(base_url=base_url, api_key=api_key)
    print(f"server {base_url}: {manager.get_health()['status']}")

    table, data = load_table()
    runner = manager.create_runner("example_remote", seed=0)
    runner.add_table(table, data)
    runner.set_parameters(table, k=10)
    runner.run()

    avatars = runner.shuffled(table)
    privacy = runner.privacy_metrics(table)[0]
    signal = runner.signal_metrics(table)[0]
    print(
        f"{len(avatars)} avatars; hidden_rate {privacy['hidden_rate']:.1f} % (target "
        f"{privacy['targets']['hidden_rate']}); hellinger_mean {signal['hellinger_mean']:.3f}"
    )
    print(f"run {runner.display_name} (set {runner.set_name})")


if __name__ == "__main__":
    main()
