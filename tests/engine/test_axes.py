"""The axes rule: how many axes the neighbours are searched on when no ncp is given."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import avatar_server.engine.axes as axes_module
import avatar_server.engine.projection as projection
from avatar_server.engine.avatarize import avatarize
from avatar_server.engine.axes import FEWEST_AXES, MOST_AXES, SAMPLE_ROWS, SHUFFLES, default_ncp


def factor_table(rows: int, factors: int, seed: int = 0) -> pd.DataFrame:
    """Three noisy measures of each of ``factors`` independent latent variables."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(rows, factors))
    columns = {
        f"f{f}_{m}": latent[:, f] + 0.3 * rng.normal(size=rows)
        for f in range(factors)
        for m in range(3)
    }
    return pd.DataFrame(columns)


def unrelated_table(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "a": rng.normal(size=rows),
            "b": rng.exponential(size=rows),
            "c": rng.integers(0, 100, size=rows).astype(float),
            "city": rng.choice(["Lyon", "Nantes", "Lille", "Brest"], size=rows),
            "smoker": rng.choice(["yes", "no"], size=rows),
        }
    )


def test_a_table_of_unrelated_columns_gets_the_fewest_axes() -> None:
    assert default_ncp(unrelated_table(2_000)) == FEWEST_AXES


@pytest.mark.parametrize("factors", [4, 5])
def test_each_axis_carrying_a_relation_is_kept(factors: int) -> None:
    assert default_ncp(factor_table(2_000, factors)) == factors


def test_more_relations_than_the_most_axes_are_capped() -> None:
    assert default_ncp(factor_table(2_000, 7)) == MOST_AXES


def test_a_table_with_fewer_dimensions_keeps_them_all() -> None:
    two = factor_table(500, 1)[["f0_0", "f0_1"]]
    assert default_ncp(two) == 2


def test_a_large_table_is_analysed_on_a_sample_and_the_same_way_again() -> None:
    table = factor_table(SAMPLE_ROWS + 5_000, 4)
    assert default_ncp(table, seed=3) == default_ncp(table, seed=3) == 4


def test_avatarize_searches_on_the_rule_s_axes_unless_told_otherwise() -> None:
    table = factor_table(600, 4)
    ruled = avatarize(table, k=10, seed=0)
    assert ruled.original_projections.shape == (600, 4)
    assert len(ruled.explained_variance_ratio) == 4
    fixed = avatarize(table, k=10, seed=0, axes_rule=False)
    assert fixed.original_projections.shape == (600, MOST_AXES)
    given = avatarize(table, k=10, seed=0, ncp=2)
    assert given.original_projections.shape == (600, 2)


def test_column_weights_do_not_change_the_count() -> None:
    """Weighted, one factor's measures would fill the shuffled copies' leading ranks and hide
    the other relations; the count is read unweighted, the weights then order the axes."""
    table = factor_table(1_000, 4)
    weights = {name: 3.0 for name in table.columns if name.startswith("f0_")}
    weighted = avatarize(table, k=10, seed=0, column_weights=weights)
    assert len(weighted.explained_variance_ratio) == 4
    assert weighted.explained_variance_ratio[0] > 0.6  # the weighted factor leads


def test_an_all_categorical_table_is_analysed_too() -> None:
    rng = np.random.default_rng(1)
    latent = rng.integers(0, 4, size=3_000)
    noisy = np.where(rng.random(3_000) < 0.2, rng.integers(0, 4, size=3_000), latent)
    table = pd.DataFrame(
        {
            "a": pd.Series(latent).map(dict(enumerate("pqrs"))),
            "b": pd.Series(noisy).map(dict(enumerate("wxyz"))),
            "c": rng.choice(["u", "v", "w"], size=3_000),
            "d": rng.choice(["yes", "no"], size=3_000),
        }
    )
    # One relation (a with b, three axes of it) among unrelated columns: within the bounds.
    assert FEWEST_AXES <= default_ncp(table) <= MOST_AXES


@pytest.fixture
def fitted_rows(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The row count of every frame the analysis fits, in order."""
    seen: list[int] = []
    real = projection.fit_projection

    def counting(frame: pd.DataFrame, *args: Any, **kwargs: Any) -> Any:
        seen.append(len(frame))
        return real(frame, *args, **kwargs)

    monkeypatch.setattr(axes_module, "fit_projection", counting)
    return seen


def test_the_analysis_fits_on_at_most_the_sample_rows(fitted_rows: list[int]) -> None:
    seen = fitted_rows
    assert default_ncp(factor_table(SAMPLE_ROWS + 5_000, 4)) == 4
    assert seen and max(seen) == SAMPLE_ROWS


def test_an_ncp_and_the_method_s_axes_together_are_refused() -> None:
    with pytest.raises(ValueError, match="axes_rule"):
        avatarize(factor_table(200, 2), k=5, seed=0, ncp=3, axes_rule=False)


def test_the_analysis_reports_its_fits_and_stops_when_told() -> None:
    seen: list[float] = []
    assert default_ncp(factor_table(500, 4), progress=seen.append) == 4
    assert len(seen) == SHUFFLES + 1 and seen == sorted(seen) and seen[-1] == pytest.approx(1.0)

    class Stop(Exception):
        pass

    def stop(_: float) -> None:
        raise Stop

    with pytest.raises(Stop):
        default_ncp(factor_table(500, 4, seed=1), progress=stop)


def test_a_table_seen_again_is_not_analysed_again(fitted_rows: list[int]) -> None:
    fits = fitted_rows
    table = factor_table(400, 4, seed=2)
    assert default_ncp(table) == 4 and len(fits) == SHUFFLES + 1
    assert default_ncp(table.copy()) == 4 and len(fits) == SHUFFLES + 1  # remembered
    changed = table.copy()
    moved = changed["f0_0"].to_numpy(copy=True)
    moved[0] += 1.0
    changed["f0_0"] = moved
    assert default_ncp(changed) == 4 and len(fits) == 2 * (SHUFFLES + 1)  # another table
