"""Each variable's share of each axis of the originals' projection (the contribution plot's
data), read from the fitted axes: the same numbers as saiph's own computation, which
decomposes the whole table again."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from saiph.projection import get_variable_contributions

from avatar_server.engine.avatarize import avatarize
from avatar_server.engine.codec import TableCodec
from avatar_server.engine.contributions import variable_contributions
from avatar_server.engine.projection import fit_projection


def _table(rows: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    town = rng.choice(["Orléans", "Besançon", "Nîmes"], rows)
    return pd.DataFrame(
        {
            "age": rng.normal(40, 10, rows)
            + pd.Series(town).map({"Orléans": 0, "Nîmes": 9}).fillna(4),
            "income": rng.lognormal(10, 0.5, rows),
            "town": town,
            "smoker": rng.choice(["yes", "no"], rows),
        }
    )


@pytest.mark.parametrize(
    "columns",
    [["age", "income", "town", "smoker"], ["age", "income"], ["town", "smoker"]],
    ids=["famd", "pca", "mca"],
)
def test_contributions_are_saiphs(columns: list[str]) -> None:
    table = _table()[columns]
    projection = fit_projection(table, 3, clamp=True)
    found = variable_contributions(projection, TableCodec.fit(table))
    expected = get_variable_contributions(projection.model, table)
    assert [entry["name"] for entry in found["variables"]] == columns
    for entry in found["variables"]:
        assert entry["contributions"] == pytest.approx(
            expected.loc[entry["name"]].to_numpy(), abs=1e-4
        )


def test_a_numbers_gaps_count_for_the_number_and_axes_sum_to_100() -> None:
    table = _table()
    table.loc[::6, "age"] = np.nan  # the projection gets an indicator column for these gaps
    result = avatarize(table, k=5, seed=0)
    assert result.contributions is not None
    names = [entry["name"] for entry in result.contributions["variables"]]
    assert names == ["age", "income", "town", "smoker"]
    shares = np.array([entry["contributions"] for entry in result.contributions["variables"]])
    assert shares.shape[1] == len(result.explained_variance_ratio)
    assert shares.sum(axis=0) == pytest.approx(100.0, abs=1e-3)
    assert result.contributions["not_projected"] == []
