"""The linkage attack: an attacker holding one real record bets on the nearest avatar."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest

from avatar_server.engine.attack_linkage import (
    RANK_CAP,
    LinkageResult,
    linkage_attack,
    strongest,
    success_probability,
)
from tests.engine.attack_tables import avatars_of, distinct_rows, independent_rows, large_table


def by_space(results: list[LinkageResult]) -> dict[str, LinkageResult]:
    return {result.space: result for result in results}


def test_avatars_equal_to_distinct_originals_are_all_linked(iris: pd.DataFrame) -> None:
    table = distinct_rows(iris)
    for result in linkage_attack(table, table, seed=0):
        assert result.top1 == pytest.approx(1.0)
        assert result.top5 == pytest.approx(1.0)
        assert (result.own_rank == 0).all()


def test_duplicated_originals_split_the_bet_between_their_twins(wbcd: pd.DataFrame) -> None:
    """An attacker facing t identical avatars picks its own with chance 1/t."""
    sizes = wbcd.groupby(list(wbcd.columns))[wbcd.columns[0]].transform("size").to_numpy()
    expected = float(np.mean(1.0 / sizes))
    assert expected < 0.9  # wbcd holds many duplicated rows
    for result in linkage_attack(wbcd, wbcd, seed=0):
        assert result.top1 == pytest.approx(expected)
        np.testing.assert_array_equal(result.own_ties, sizes)


def test_chance_rates_and_sizes(iris: pd.DataFrame) -> None:
    results = linkage_attack(iris, avatars_of(iris, 5), seed=0)
    assert [r.space for r in results] == ["avatars_famd", "originals_famd"]
    for result in results:
        assert result.n == 150
        assert result.chance_top1 == pytest.approx(1 / 150)
        assert result.chance_top5 == pytest.approx(5 / 150)
        assert len(result.own_rank) == len(result.targets) == 150
        assert 0 <= result.top1 <= result.top5 <= 1
        summary = result.as_dict()
        assert summary["lift_top1"] == pytest.approx(result.top1 * 150)


def test_small_k_links_more_than_large_k(iris: pd.DataFrame) -> None:
    at_2 = strongest(linkage_attack(iris, avatars_of(iris, 2), seed=0))
    at_20 = strongest(linkage_attack(iris, avatars_of(iris, 20), seed=0))
    assert at_2.top1 > 2 * at_20.top1
    assert at_2.top5 > at_20.top5
    # Both far above chance: avatars lie near their originals' neighbours.
    assert at_20.top1 > 5 * at_20.chance_top1


def test_rows_unlinked_to_the_originals_are_linked_at_chance(wbcd: pd.DataFrame) -> None:
    for result in linkage_attack(wbcd, independent_rows(wbcd, 3), seed=0):
        assert result.top1 < 4 * result.chance_top1
        assert result.top5 < 3 * result.chance_top5
        # Far ranks are counted up to the cap, not beyond.
        assert result.own_rank.max() == RANK_CAP
        assert (result.own_ties <= RANK_CAP).all()


def test_linkage_on_a_messy_table(mixed: pd.DataFrame) -> None:
    """Gaps, text categories, booleans, dates: placed in both spaces, linked above chance."""
    for result in linkage_attack(mixed, avatars_of(mixed, 2), seed=0):
        assert np.isfinite(result.top1)
        assert result.top5 > 3 * result.chance_top5


def test_same_seed_same_result(iris: pd.DataFrame) -> None:
    avatars = avatars_of(iris, 5)
    first = linkage_attack(iris, avatars, seed=4)
    again = linkage_attack(iris, avatars, seed=4)
    for one, two in zip(first, again, strict=True):
        assert one.as_dict() == two.as_dict()
        np.testing.assert_array_equal(one.own_rank, two.own_rank)


def test_targets_are_sampled_above_max_targets(iris: pd.DataFrame) -> None:
    results = linkage_attack(iris, avatars_of(iris, 5), seed=0, max_targets=40)
    for result in results:
        assert len(result.targets) == 40 == len(np.unique(result.targets))
        assert result.n == 150


def test_50k_rows_in_bounded_memory() -> None:
    original, avatars = large_table(50_000, seed=0)
    tracemalloc.start()
    try:
        results = linkage_attack(original, avatars, seed=0, max_targets=2000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200e6  # an n × n matrix of distances would take 20 GB
    for result in results:
        assert result.top1 > 5 * result.chance_top1


def test_success_probability_counts_ties() -> None:
    rank = np.array([0, 0, 1, 4, 6])
    ties = np.array([1, 4, 2, 3, 1])
    np.testing.assert_allclose(success_probability(rank, ties, 1), [1, 0.25, 0, 0, 0])
    np.testing.assert_allclose(success_probability(rank, ties, 5), [1, 1, 1, 1 / 3, 0])


def test_bad_inputs_are_refused(iris: pd.DataFrame) -> None:
    avatars = avatars_of(iris, 5)
    with pytest.raises(ValueError, match="one row per original"):
        linkage_attack(iris, avatars.iloc[:-1], seed=0)
    with pytest.raises(ValueError, match="missing"):
        linkage_attack(iris, avatars.drop(columns=["variety"]), seed=0)
    with pytest.raises(ValueError, match="another order"):
        linkage_attack(iris, avatars[list(reversed(iris.columns))], seed=0)
    with pytest.raises(ValueError, match="ncp"):
        linkage_attack(iris, avatars, seed=0, ncp=0)
    with pytest.raises(ValueError, match="max_targets"):
        linkage_attack(iris, avatars, seed=0, max_targets=0)
    with pytest.raises(ValueError, match="empty"):
        linkage_attack(iris.iloc[:0], avatars.iloc[:0], seed=0)
    with pytest.raises(TypeError, match="DataFrame"):
        linkage_attack(iris.to_numpy(), avatars, seed=0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no linkage result"):
        strongest([])
