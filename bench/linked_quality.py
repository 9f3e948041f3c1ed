"""What a release of linked tables kept, judged from the released tables alone.

One scoring for every system (our avatars, SDV's HMA, the originals themselves as the
reference), so their figures compare: nothing here reads a system's own metrics or its row
order, only the tables it releases, as a user receiving them would.

- integrity: the share of a child's foreign keys that name a row of the released parent;
- cardinality: children per parent (a parent without children counts 0), its distribution's
  Hellinger distance to the original's, and its mean, sd and max;
- cross-table association on the clinic: Cramér's V(doctor job, visit exam), the share of
  pediatrics visits whose doctor is a pediatrician, the correlation of the doctor's age with a
  visit being pediatrics, and of the patient's number of visits with their weight;
- per table: the mean over columns of the Hellinger distance between original and released
  marginals, and the mean absolute difference of the Pearson correlations between numeric
  columns (keys left out; also on the visits joined to their patient and doctor, where the
  pairs cross tables).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

Tables = dict[str, pd.DataFrame]
Json = dict[str, Any]
NUMERIC_BINS = 20
ROWS_PER_BIN = 10
FloatArray = np.ndarray[Any, np.dtype[np.float64]]


@dataclass(frozen=True)
class Link:
    parent: str
    key: str
    child: str
    fk: str

    @property
    def label(self) -> str:
        return f"{self.child}.{self.fk} → {self.parent}"


CLINIC_KEYS = {"patient": "p_id", "doctor": "d_id", "visit": "visit_id"}
CLINIC_LINKS = (
    Link("patient", "p_id", "visit", "patient_id"),
    Link("doctor", "d_id", "visit", "doctor_id"),
)


# --- relations -------------------------------------------------------------------------------


def integrity(tables: Tables, link: Link) -> float:
    """Share (0–1) of the child's rows whose foreign key names a row of the parent."""
    child = tables[link.child][link.fk]
    return float(child.isin(tables[link.parent][link.key]).mean()) if len(child) else 1.0


def children_per_parent(tables: Tables, link: Link) -> np.ndarray[Any, np.dtype[np.int64]]:
    """For each parent row, how many child rows name it (orphan children are not counted)."""
    counts = tables[link.child][link.fk].value_counts()
    keys = tables[link.parent][link.key]
    return np.asarray(keys.map(counts).fillna(0).to_numpy(), dtype=np.int64)


def hellinger(p: FloatArray, q: FloatArray) -> float:
    """Hellinger distance between two frequency vectors on the same support, in [0, 1]."""
    return float(np.sqrt(0.5 * np.sum((np.sqrt(p) - np.sqrt(q)) ** 2)))


def count_distribution_distance(
    original: np.ndarray[Any, np.dtype[np.int64]], released: np.ndarray[Any, np.dtype[np.int64]]
) -> float:
    """Hellinger distance between two children-per-parent distributions (support 0…max)."""
    size = int(max(original.max(initial=0), released.max(initial=0))) + 1
    p = np.bincount(original, minlength=size) / max(len(original), 1)
    q = np.bincount(released, minlength=size) / max(len(released), 1)
    return hellinger(p.astype(np.float64), q.astype(np.float64))


def cardinality(original: Tables, released: Tables, link: Link) -> Json:
    counts = children_per_parent(released, link)
    return {
        "hellinger": count_distribution_distance(children_per_parent(original, link), counts),
        "mean": float(counts.mean()) if len(counts) else None,
        "sd": float(counts.std(ddof=1)) if len(counts) > 1 else None,
        "max": int(counts.max(initial=0)),
        "childless": int((counts == 0).sum()),
    }


# --- cross-table association on the clinic ---------------------------------------------------


def cramers_v(x: pd.Series, y: pd.Series) -> float | None:
    """Cramér's V of two categorical series (no bias correction)."""
    table = pd.crosstab(x, y).to_numpy(dtype=float)
    if table.size == 0 or min(table.shape) < 2:
        return None
    n = table.sum()
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return float(np.sqrt(chi2 / n / (min(table.shape) - 1)))


def pearson(x: pd.Series, y: pd.Series) -> float | None:
    a, b = x.to_numpy(dtype=float), y.to_numpy(dtype=float)
    if len(a) < 2 or a.std() == 0 or b.std() == 0:
        return None
    return float(np.corrcoef(a, b)[0, 1])


def visits_with_doctors(tables: Tables) -> pd.DataFrame:
    """The visits whose doctor exists, each with its doctor's job and age."""
    doctor = tables["doctor"][["d_id", "job", "age"]].rename(columns={"age": "doctor_age"})
    return tables["visit"].merge(doctor, left_on="doctor_id", right_on="d_id", how="inner")


def clinic_association(tables: Tables) -> Json:
    visits = visits_with_doctors(tables)
    pediatrics = visits["exam"].astype(str) == "pediatrics"
    on_pediatrician = int((pediatrics & (visits["job"].astype(str) == "pediatrician")).sum())
    patient = tables["patient"]
    per_patient = pd.Series(children_per_parent(tables, CLINIC_LINKS[0]), index=patient.index)
    return {
        "v_job_exam": cramers_v(visits["job"].astype(str), visits["exam"].astype(str)),
        "pediatrics_on_pediatrician": on_pediatrician,
        "pediatrics_visits": int(pediatrics.sum()),
        "pediatrics_share": on_pediatrician / int(pediatrics.sum()) if pediatrics.any() else None,
        "corr_doctor_age_pediatrics": pearson(visits["doctor_age"], pediatrics.astype(float)),
        "corr_visits_weight": pearson(per_patient, patient["weight"]),
    }


# --- per table -------------------------------------------------------------------------------


def is_numeric(column: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(column)) and not pd.api.types.is_bool_dtype(column)


def column_hellinger(original: pd.Series, released: pd.Series) -> float:
    """Hellinger distance between two marginals: modality frequencies for categories; for
    numbers, shares of rows in the original's quantile bins (:func:`binned_counts`), the outer
    ones open, so a released value out of the original's range still lands in a bin."""
    if is_numeric(original):
        p, q = binned_counts(
            original.to_numpy(dtype=float),
            pd.to_numeric(released, errors="coerce").to_numpy(dtype=float),
        )
    else:
        labels = pd.concat([original, released]).astype(str).unique()
        p = np.asarray(original.astype(str).value_counts().reindex(labels, fill_value=0), float)
        q = np.asarray(released.astype(str).value_counts().reindex(labels, fill_value=0), float)
    return hellinger(p / max(p.sum(), 1.0), q / max(q.sum(), 1.0))


def binned_counts(original: FloatArray, released: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Counts of both in the original's quantile bins (about ``ROWS_PER_BIN`` original values
    per bin, at most ``NUMERIC_BINS``: finer bins on a small table measure sampling noise)."""
    present = original[~np.isnan(original)]
    bins = max(2, min(NUMERIC_BINS, len(present) // ROWS_PER_BIN))
    inner = np.unique(np.quantile(present, np.linspace(0, 1, bins + 1)[1:-1]))
    size = len(inner) + 1
    p = np.bincount(np.searchsorted(inner, present), minlength=size)
    q = np.bincount(np.searchsorted(inner, released[~np.isnan(released)]), minlength=size)
    return p.astype(np.float64), q.astype(np.float64)


def hellinger_mean(
    original: pd.DataFrame, released: pd.DataFrame, columns: Sequence[str]
) -> float | None:
    values = [column_hellinger(original[c], released[c]) for c in columns]
    return float(np.mean(values)) if values else None


def correlation_difference(
    original: pd.DataFrame, released: pd.DataFrame, columns: Sequence[str]
) -> float | None:
    """Mean |r_original − r_released| over the pairs of numeric columns (None: fewer than two)."""
    numeric = [c for c in columns if is_numeric(original[c])]
    differences = []
    for a, b in itertools.combinations(numeric, 2):
        r_o = pearson(original[a], original[b])
        r_r = pearson(pd.to_numeric(released[a]), pd.to_numeric(released[b]))
        if r_o is not None and r_r is not None:
            differences.append(abs(r_o - r_r))
    return float(np.mean(differences)) if differences else None


def attribute_columns(frame: pd.DataFrame, keys: Sequence[str]) -> list[str]:
    return [c for c in frame.columns if c not in keys]


def joined_clinic(tables: Tables) -> pd.DataFrame:
    """Each visit with its patient's and its doctor's attributes (visits whose parents exist)."""
    patient = tables["patient"].add_prefix("patient.")
    doctor = tables["doctor"].add_prefix("doctor.")
    joined = tables["visit"].merge(patient, left_on="patient_id", right_on="patient.p_id")
    joined = joined.merge(doctor, left_on="doctor_id", right_on="doctor.d_id")
    keys = ["visit_id", "patient_id", "doctor_id", "patient.p_id", "doctor.d_id"]
    return joined.drop(columns=keys).reset_index(drop=True)


def table_fidelity(original: Tables, released: Tables, keys: Mapping[str, Sequence[str]]) -> Json:
    """Per table: hellinger mean and correlation difference over its non-key columns."""
    scores: Json = {}
    for name, table_keys in keys.items():
        columns = attribute_columns(original[name], table_keys)
        scores[f"{name}.hellinger_mean"] = hellinger_mean(original[name], released[name], columns)
        scores[f"{name}.correlation_difference"] = correlation_difference(
            original[name], released[name], columns
        )
    return scores


# --- one release, scored ---------------------------------------------------------------------


def table_keys(links: Sequence[Link], primary: dict[str, str]) -> dict[str, list[str]]:
    keys = {name: [key] for name, key in primary.items()}
    for link in links:
        keys[link.child].append(link.fk)
    return keys


def score_links(original: Tables, released: Tables, links: Sequence[Link]) -> Json:
    scores: Json = {}
    for link in links:
        scores[f"{link.label}.integrity"] = integrity(released, link)
        for field, value in cardinality(original, released, link).items():
            scores[f"{link.label}.{field}"] = value
    return scores


def score_clinic(original: Tables, released: Tables) -> Json:
    """Every figure of the clinic for one release (the originals score themselves too)."""
    scores = score_links(original, released, CLINIC_LINKS)
    scores.update(clinic_association(released))
    scores.update(table_fidelity(original, released, table_keys(CLINIC_LINKS, CLINIC_KEYS)))
    joined_original, joined_released = joined_clinic(original), joined_clinic(released)
    columns = list(joined_original.columns)
    scores["joined.hellinger_mean"] = hellinger_mean(joined_original, joined_released, columns)
    scores["joined.correlation_difference"] = correlation_difference(
        joined_original, joined_released, columns
    )
    return scores


def random_reattachment(original: Tables, seed: int) -> Tables:
    """The originals with each foreign key column of the visits permuted: the parents' tables
    and the children-per-parent counts kept, the pairing of a visit with its parents lost.
    The floor of the cross-table figures (what a re-attachment that ignores the data gives)."""
    rng = np.random.default_rng(seed)
    visit = original["visit"].copy()
    for link in CLINIC_LINKS:
        visit[link.fk] = rng.permutation(visit[link.fk].to_numpy())
    return {**original, "visit": visit}
