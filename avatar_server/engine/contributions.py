"""How much each variable makes each axis of the originals' projection.

In a (weighted) principal component analysis, an axis is a unit vector over the scaled
columns, and a column's contribution to the axis is its squared coordinate on that vector:
the shares of one axis add up to 1. FAMD and MCA are such analyses once their columns are
scaled (saiph's ``V`` holds the axes in that scaled space), so the same rule holds for all
three; a variable that became several scaled columns (a category's modalities, a number's
missing-value indicator) contributes the sum of its columns' shares. These are the numbers
saiph's ``get_variable_contributions`` gives, read from the fitted axes instead of from a new
decomposition of the whole table.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from saiph.reduction.utils.common import get_dummies_mapping

from avatar_server.engine.codec import TableCodec
from avatar_server.engine.projection import Projection


def _scaled_columns(projection: Projection) -> list[str]:
    """The names of the projection's scaled columns, in the order of its axes' coordinates:
    continuous columns, then categorical modalities (a PCA has no modalities, an MCA no
    continuous columns)."""
    model = projection.model
    continuous = list(model.original_continuous) if model.type != "mca" else []
    dummies = list(model.dummy_categorical) if model.type != "pca" else []
    return continuous + dummies


def variable_contributions(projection: Projection, codec: TableCodec) -> dict[str, Any]:
    """Each variable's share (in %) of each axis of ``projection``, fitted on columns described
    by ``codec``; every axis's shares add up to 100.

    Format: ``variables`` lists ``{"name", "contributions": [one share per axis]}`` in the
    table's column order; ``not_projected`` names the table's columns the projection left out
    (categories with many modalities under categorical reduction); ``explained_variance_ratio``
    is each axis's share of the originals' variance.
    """
    model = projection.model
    axes = np.asarray(model.V, dtype=np.float64)  # ncp × scaled columns, unit rows
    # A number's missing-value indicator is projected as a category of its own: its
    # modalities count for the number.
    indicated = {info.indicator: info.name for info in codec.numeric if info.indicator}
    owner: dict[str, str] = {}
    if model.original_categorical:
        mapping = get_dummies_mapping(model.original_categorical, model.dummy_categorical)
        for column, dummies in mapping.items():
            owner.update(dict.fromkeys(dummies, indicated.get(column, column)))
    shares: dict[str, np.ndarray[Any, np.dtype[np.float64]]] = {}
    for position, scaled in enumerate(_scaled_columns(projection)):
        variable = owner.get(scaled, scaled)
        share = 100.0 * axes[:, position] ** 2
        shares[variable] = shares.get(variable, np.zeros(axes.shape[0])) + share
    return {
        "variables": [
            {"name": info.name, "contributions": [round(float(v), 6) for v in shares[info.name]]}
            for info in codec.columns
            if info.name in shares
        ],
        "not_projected": [info.name for info in codec.columns if info.name not in shares],
        "explained_variance_ratio": projection.explained_variance_ratio,
    }


__all__ = ["variable_contributions"]
