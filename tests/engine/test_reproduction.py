"""The method on real tables: published privacy on wbcd, targets met on wbcd, epl and iris."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from avatar_server.engine.avatarize import avatarize
from avatar_server.engine.privacy import privacy_metrics
from avatar_server.engine.results import to_official_dicts
from avatar_server.engine.signal import signal_metrics

SEEDS = (0, 1, 2, 3)


def values(results: list) -> dict[str, float]:  # type: ignore[type-arg]
    return {r.name: r.value for r in results}


def test_published_wbcd_privacy_is_reproduced(wbcd: pd.DataFrame) -> None:
    """The plain method (k=20, ncp=5, the 1–10 scores projected as categories and decoded
    to the best-scoring modality, as the paper does) on wbcd: hidden rate > 90, median local
    cloaking in the published range (avatar-method.md §4.3: 15.4 [12–20] over 25 runs; 24 in
    the paper)."""
    for seed in SEEDS:
        avatars = avatarize(
            wbcd,
            k=20,
            ncp=5,
            seed=seed,
            restore_residual=False,
            discrete_as_numbers=False,
            category_temperature=0.0,
        ).unshuffled
        metrics = values(privacy_metrics(wbcd, avatars, ncp=5))
        assert metrics["hidden_rate"] > 90, seed
        assert 12 <= metrics["local_cloaking"] <= 26, seed


@pytest.mark.parametrize(("name", "k"), [("wbcd", 20), ("epl", 20), ("iris", 10)])
def test_default_avatars_meet_the_targets(
    request: pytest.FixtureRequest, name: str, k: int
) -> None:
    table: pd.DataFrame = request.getfixturevalue(name)
    for seed in SEEDS[:2]:
        avatars = avatarize(table, k=k, seed=seed).unshuffled
        signal = values(signal_metrics(table, avatars))
        assert signal["hellinger_mean"] < 0.1
        privacy = values(privacy_metrics(table, avatars))
        if name != "iris":  # 150 rows: too few for the vendor's hiding targets at any k
            assert privacy["hidden_rate"] > 90
            assert privacy["local_cloaking"] > 5
        assert privacy["row_direct_match_protection"] > 90


def test_residual_restoration_keeps_correlations(epl: pd.DataFrame) -> None:
    plain = avatarize(epl, k=20, seed=0, restore_residual=False).unshuffled
    restored = avatarize(epl, k=20, seed=0).unshuffled
    plain_ratio = values(signal_metrics(epl, plain))["correlation_difference_ratio"]
    restored_ratio = values(signal_metrics(epl, restored))["correlation_difference_ratio"]
    assert restored_ratio < plain_ratio / 2


def test_scores_projected_as_numbers_keep_wbcd_correlations(wbcd: pd.DataFrame) -> None:
    """wbcd's nine 1–10 scores projected as categories (the paper's reading) lose their
    order, and the avatars most of their correlations (ratio ~37 % against a floor of ~6 %
    between halves); projected as numbers (the default) they keep them, hidden rate kept
    (docs/fidelity.md)."""
    for seed in SEEDS[:2]:
        numbers = avatarize(wbcd, k=20, seed=seed).unshuffled
        categories = avatarize(wbcd, k=20, seed=seed, discrete_as_numbers=False).unshuffled
        kept = values(signal_metrics(wbcd, numbers))["correlation_difference_ratio"]
        lost = values(signal_metrics(wbcd, categories))["correlation_difference_ratio"]
        assert kept < 15 < 30 < lost, seed
        assert values(privacy_metrics(wbcd, numbers))["hidden_rate"] > 90, seed
        for column in wbcd.columns:  # only values the originals hold, in their dtype
            assert set(numbers[column].unique()) <= set(wbcd[column].unique()), column
            assert numbers[column].dtype == wbcd[column].dtype, column


def test_metric_dicts_are_json_with_official_names(wbcd: pd.DataFrame) -> None:
    avatars = avatarize(wbcd, k=20, seed=0).unshuffled
    privacy = to_official_dicts(privacy_metrics(wbcd, avatars), "wbcd")
    signal = to_official_dicts(signal_metrics(wbcd, avatars), "wbcd")
    json.dumps(privacy + signal, allow_nan=False)
    names = {
        "hidden_rate",
        "local_cloaking",
        "distance_to_closest",
        "closest_distances_ratio",
        "column_direct_match_protection",
        "row_direct_match_protection",
    }
    assert names <= set(privacy[0])
    assert {"hellinger_mean", "hellinger_std", "correlation_difference_ratio"} <= set(signal[0])
    assert privacy[0]["targets"]["hidden_rate"] == "> 90"
    assert privacy[0]["metadata"]["table_name"] == "wbcd"
    assert isinstance(privacy[0]["passed"]["hidden_rate"], bool)


def test_generated_table_with_gaps_and_dates(mixed: pd.DataFrame) -> None:
    avatars = avatarize(mixed, k=10, seed=0).unshuffled
    signal = values(signal_metrics(mixed, avatars))
    assert signal["hellinger_mean"] < 0.1
    assert np.isfinite(signal["correlation_difference_ratio"])


@pytest.mark.parametrize("decoding", ["neighbours", "closest"])
def test_categories_decoded_from_neighbours_keep_a_generated_table_s_associations(
    decoding: str,
) -> None:
    """On a table whose categories are cut from the same factors as its numbers, decoding them
    from the neighbours' modalities keeps the associations the noised scores dilute, and the
    default (closest) sees it; each modality keeps its count."""
    from bench.tables import mixed_table

    table = mixed_table(3_000, seed=1)
    scored = avatarize(table, k=20, seed=0, category_decoding="scores").unshuffled
    voted = avatarize(table, k=20, seed=0, category_decoding=decoding).unshuffled  # type: ignore[arg-type]
    diluted = values(signal_metrics(table, scored))["correlation_difference_ratio"]
    kept = values(signal_metrics(table, voted))["correlation_difference_ratio"]
    assert kept < diluted * 0.75
    for column in [c for c in table.columns if c.startswith("cat_")]:
        assert sorted(voted[column]) == sorted(table[column]), column
    assert values(privacy_metrics(table, voted))["hidden_rate"] > 90


def test_closest_decoding_keeps_scores_where_neighbours_overshoot() -> None:
    """On the demo table the neighbours' modalities make sex predict height better than it
    does in the originals; the default keeps the scores there. At the method's five axes,
    where the overshoot shows (34–35 % against 17–25 % from the scores, run seeds 0–2; on the
    three axes the rule gives this table, 27–29 % against 18–27 %, too close to judge)."""
    from avatars.demo import make_demo_table

    table = make_demo_table(rows=1_000).drop(columns=["patient_id", "email"])
    scored = avatarize(table, k=20, seed=0, ncp=5, category_decoding="scores").unshuffled
    closest = avatarize(table, k=20, seed=0, ncp=5).unshuffled
    voted = avatarize(table, k=20, seed=0, ncp=5, category_decoding="neighbours").unshuffled
    ratio = {
        name: values(signal_metrics(table, frame))["correlation_difference_ratio"]
        for name, frame in (("scores", scored), ("closest", closest), ("neighbours", voted))
    }
    assert ratio["closest"] <= ratio["scores"] + 1.0 < ratio["neighbours"]


def test_unknown_category_decoding_is_refused(iris: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"category_decoding 'votes'.*scores, neighbours, closest"):
        avatarize(iris, k=5, category_decoding="votes")  # type: ignore[arg-type]
