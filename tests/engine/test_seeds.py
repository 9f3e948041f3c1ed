"""The metrics' seeds choose their samples: the same seed gives the same numbers, another seed
another sample. (The seeds of the metrics documents reach these parameters.)"""

from __future__ import annotations

import json

import pandas as pd

from avatar_server.engine import avatarize, privacy_metrics
from avatar_server.engine.results import to_official_dicts
from avatar_server.engine.signal import associations


def _privacy(original: pd.DataFrame, avatars: pd.DataFrame, seed: int) -> str:
    results = privacy_metrics(original, avatars, seed=seed, sample_rows=80)
    return json.dumps(to_official_dicts(results, "wbcd"), sort_keys=True)


def test_privacy_sample_follows_the_seed(wbcd: pd.DataFrame) -> None:
    avatars = avatarize(wbcd, k=10, seed=0).unshuffled
    first = _privacy(wbcd, avatars, seed=1)
    assert _privacy(wbcd, avatars, seed=1) == first
    assert _privacy(wbcd, avatars, seed=2) != first


def test_association_sample_follows_the_seed(wbcd: pd.DataFrame) -> None:
    avatars = avatarize(wbcd, k=10, seed=0).shuffled
    first = associations(wbcd, avatars, max_rows=60, seed=1)
    assert first["sampled_rows"] == {"original": 60, "avatars": 60}
    assert associations(wbcd, avatars, max_rows=60, seed=1) == first
    assert associations(wbcd, avatars, max_rows=60, seed=2)["avatars"] != first["avatars"]
