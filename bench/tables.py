"""Generated benchmark tables with known structure: 20 mixed columns, correlated through factors."""

from __future__ import annotations

import numpy as np
import pandas as pd


def mixed_table(rows: int, seed: int = 0, *, missing_rate: float = 0.0) -> pd.DataFrame:
    """12 numeric + 8 five-level categorical columns driven by 3 latent factors.

    Numeric column j is ``loading_j · factors + noise`` (so the correlation matrix is known);
    categorical columns cut another factor mix at its quintiles. ``missing_rate`` blanks that
    share of cells in the first three numeric and the first categorical column.
    """
    rng = np.random.default_rng(seed)
    factors = rng.standard_normal((rows, 3))
    loadings = rng.uniform(-1, 1, size=(20, 3))
    latent = factors @ loadings.T + 0.6 * rng.standard_normal((rows, 20))
    data: dict[str, object] = {}
    for j in range(12):
        values = latent[:, j]
        if j % 3 == 0:
            data[f"num_{j}"] = np.round(40 + 12 * values).astype(np.int64)
        elif j % 3 == 1:
            data[f"num_{j}"] = np.round(np.exp(0.4 * values) * 100, 2)
        else:
            data[f"num_{j}"] = np.round(values, 4)
    labels = np.array(["a", "b", "c", "d", "e"])
    for j in range(12, 20):
        edges = np.quantile(latent[:, j], [0.1, 0.35, 0.6, 0.85])
        data[f"cat_{j - 12}"] = labels[np.searchsorted(edges, latent[:, j])]
    table = pd.DataFrame(data)
    if missing_rate:
        for name in ["num_0", "num_1", "num_2", "cat_0"]:
            blank = rng.random(rows) < missing_rate
            table[name] = table[name].astype(object if name.startswith("cat") else "float64")
            table.loc[blank, name] = np.nan if not name.startswith("cat") else None
    return table


def linked_pair(parents: int, children: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A parent table (``person``, key ``person_id``) and a child table (``event``, key
    ``event_id``, foreign key ``person_id``) with a relation worth keeping.

    A person's number of events grows with their age (some have none); an event's ``amount``
    follows its person's income and its ``kind`` leans on the person's age, so a re-attachment
    that ignores the data shows in the cross-table figures. Keys are distinct integers in
    random order, as real keys are not row numbers.
    """
    rng = np.random.default_rng(seed)
    age = np.round(rng.uniform(18, 90, parents), 1)
    income = np.round(np.exp(9.5 + 0.01 * (age - 50) + rng.normal(0, 0.4, parents)), 2)
    person = pd.DataFrame(
        {
            "person_id": rng.permutation(parents) + 10_000,
            "age": age,
            "sex": rng.choice(["F", "M"], parents),
            "region": rng.choice([f"R{i}" for i in range(8)], parents),
            "income": income,
        }
    )
    propensity = np.exp(0.02 * (age - 50) + rng.normal(0, 0.5, parents))
    owner = rng.choice(parents, size=children, p=propensity / propensity.sum())
    older = age[owner] > 60
    kinds = np.array(["checkup", "lab", "imaging", "surgery"])
    kind = np.where(
        older, rng.choice(kinds, children, p=[0.2, 0.3, 0.3, 0.2]), rng.choice(kinds, children)
    )
    event = pd.DataFrame(
        {
            "event_id": rng.permutation(children) + 5_000_000,
            "person_id": person["person_id"].to_numpy()[owner],
            "amount": np.round(income[owner] / 100 * rng.lognormal(0, 0.3, children), 2),
            "kind": kind,
            "weekday": rng.choice(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], children),
            "duration": rng.integers(5, 120, children),
        }
    )
    return person, event
