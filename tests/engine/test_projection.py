"""The projection is exact: same axes as saiph's QR-based streaming fit, same coordinates."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
import saiph
from scipy.linalg import subspace_angles

from avatar_server.engine.metric_space import encode_pair
from avatar_server.engine.projection import fit_projection, fit_transform_projection


@pytest.mark.parametrize("table_name", ["mixed", "wbcd", "iris", "epl"])
def test_gram_fit_matches_saiph_exact_fit(request: pytest.FixtureRequest, table_name: str) -> None:
    table: pd.DataFrame = request.getfixturevalue(table_name)
    _, encoded, _ = encode_pair(table, table)
    projection, coords = fit_transform_projection(encoded, 5, seed=0, batch_rows=200)
    reference = saiph.fit_streaming(
        lambda: [encoded.iloc[i : i + 200] for i in range(0, len(encoded), 200)], 5, seed=0
    )
    angles = subspace_angles(np.asarray(projection.model.V).T, np.asarray(reference.V).T)
    assert np.degrees(angles).max() < 1e-6
    assert reference.s is not None
    np.testing.assert_allclose(projection.model.s, reference.s, rtol=1e-9)
    expected = saiph.transform(encoded, reference).to_numpy()
    np.testing.assert_allclose(np.abs(coords), np.abs(expected), atol=1e-9)
    np.testing.assert_allclose(coords, projection.transform(encoded), atol=1e-9)


def mca_inertia_shares(categorical: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Every axis's share of the total inertia of a multiple correspondence analysis, computed
    directly: squared singular values of the standardised residuals of the indicator table."""
    indicator = pd.get_dummies(categorical.astype(str)).to_numpy(dtype="float64")
    frequencies = indicator / indicator.sum()
    rows, columns = frequencies.sum(axis=1), frequencies.sum(axis=0)
    expected = np.outer(rows, columns)
    inertia = np.linalg.svd((frequencies - expected) / np.sqrt(expected), compute_uv=False) ** 2
    # The total inertia of an MCA is (modalities - variables) / variables.
    total = (indicator.shape[1] - categorical.shape[1]) / categorical.shape[1]
    np.testing.assert_allclose(inertia.sum(), total, rtol=1e-9)
    return inertia / total


def test_explained_variance_is_a_share_of_the_whole(wbcd: pd.DataFrame) -> None:
    """Unlike saiph's randomised path, the ratios are of the total variance, not of 5 axes."""
    _, encoded, _ = encode_pair(wbcd, wbcd)
    ratios = fit_projection(encoded, 5, seed=0).explained_variance_ratio
    assert len(ratios) == 5
    assert all(ratio > 0 for ratio in ratios)
    assert ratios == sorted(ratios, reverse=True)
    # wbcd is all categorical: each ratio is its axis's share of the whole inertia of the MCA.
    np.testing.assert_allclose(ratios, mca_inertia_shares(encoded)[:5], rtol=1e-9)
    # So 5 of wbcd's 81 axes explain a fifth of it, and all of them explain all of it.
    assert 0.15 < sum(ratios) < 0.25
    every_axis = fit_projection(encoded, 1000, seed=0, clamp=True)
    assert every_axis.ncp == 81
    assert sum(every_axis.explained_variance_ratio) == pytest.approx(1.0, rel=1e-9)


def test_inverse_of_all_axes_gives_the_table_back(iris: pd.DataFrame) -> None:
    _, encoded, _ = encode_pair(iris, iris)
    projection, coords = fit_transform_projection(encoded, 6, seed=0)
    continuous, categorical = projection.inverse(coords)
    np.testing.assert_allclose(continuous, encoded[projection.continuous].to_numpy(), atol=1e-9)
    modalities, scores = categorical["variety"]
    chosen = np.asarray(modalities)[scores.argmax(axis=1)]
    assert (chosen == encoded["variety"].to_numpy()).all()
