"""Parameter advice and table summaries on small, large, mixed and gappy tables."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from avatar_server.engine.advice import Advice, advise, table_summary
from avatar_server.engine.avatarize import avatarize
from avatar_server.engine.axes import FEWEST_AXES


def numeric_table(n: int, seed: int = 0, columns: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    factors = rng.normal(size=(n, 2))
    return pd.DataFrame(
        {f"x{j}": factors @ rng.normal(size=2) + rng.normal(size=n) for j in range(columns)}
    )


def warnings_about(advice: Advice, column: str) -> list[str]:
    return [w for w in advice.warnings if repr(column) in w]


# --- validation ----------------------------------------------------------------------------


def test_empty_tables_are_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        advise(pd.DataFrame())
    with pytest.raises(ValueError, match="empty"):
        advise(pd.DataFrame({"a": pd.Series([], dtype=float)}))
    with pytest.raises(ValueError, match="empty"):
        advise(pd.DataFrame(index=range(10)))
    with pytest.raises(ValueError, match="empty"):
        table_summary(pd.DataFrame())


def test_two_rows_cannot_have_a_valid_k() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        advise(pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 5.0]}))


# --- k -------------------------------------------------------------------------------------


def test_k_grows_with_the_table_and_stays_valid() -> None:
    sizes = [3, 5, 10, 99, 100, 250, 683, 999, 1000, 3000]
    ks = [advise(numeric_table(n, columns=2)).k for n in sizes]
    assert ks == sorted(ks)
    assert all(2 <= k < n for k, n in zip(ks, sizes, strict=True))
    assert ks[sizes.index(683)] == 13
    assert ks[sizes.index(999)] == 19
    assert ks[sizes.index(1000)] == 20
    assert ks[-1] == 20


def test_small_table(iris: pd.DataFrame) -> None:
    advice = advise(iris.head(6))
    assert advice.k == 2
    assert any("too few rows to anonymize" in w for w in advice.warnings)
    assert set(advice.reasons) == {"k", "ncp", "use_categorical_reduction", "imputation"}
    assert "20" in advice.reasons["k"]


# --- ncp -----------------------------------------------------------------------------------


def test_ncp_is_the_axes_rule_with_explained_variance(mixed: pd.DataFrame) -> None:
    advice = advise(mixed)
    # The same count the avatarization uses when no ncp is given (engine.axes).
    assert advice.ncp == len(avatarize(mixed, k=advice.k, seed=0).explained_variance_ratio)
    assert "shuffled" in advice.reasons["ncp"]
    assert "explain" in advice.reasons["ncp"] and "%" in advice.reasons["ncp"]


def test_ncp_is_capped_by_the_table_dimensions() -> None:
    advice = advise(numeric_table(200, columns=2))
    assert advice.ncp == 2
    assert "only 2" in advice.reasons["ncp"]
    assert "100%" in advice.reasons["ncp"]


def test_large_tables_fit_on_a_sample() -> None:
    table = numeric_table(60_000, columns=8)
    table.loc[::7, "x0"] = np.nan
    advice = advise(table)
    assert advice.k == 20
    assert advice.ncp == FEWEST_AXES  # eight unrelated columns: nothing above the shuffled
    assert advice.imputation == "fast_knn"
    assert "sample" in advice.reasons["ncp"]
    assert "fast_knn" in advice.reasons["imputation"]


# --- categorical reduction -----------------------------------------------------------------


def test_categorical_reduction_follows_wide_columns(mixed: pd.DataFrame) -> None:
    """Reduction is advised for a column with more than 20 modalities, the columns it embeds."""
    assert advise(mixed).use_categorical_reduction is False  # 4 cities + gaps + 2 booleans
    rng = np.random.default_rng(0)
    many = pd.DataFrame(
        {name: rng.choice(list("abcdefgh"), 500) for name in ("u", "v", "w")}
        | {"x": rng.normal(size=500)}
    )
    assert advise(many).use_categorical_reduction is False  # 24 in total, 8 per column
    wide = many.assign(code=rng.choice([f"c{i}" for i in range(25)], 500))
    advice = advise(wide)
    assert advice.use_categorical_reduction is True
    assert "'code' (25)" in advice.reasons["use_categorical_reduction"]


def test_identifier_columns_do_not_count_as_modalities() -> None:
    table = numeric_table(300, columns=3).assign(id=[f"P{i:04d}" for i in range(300)])
    advice = advise(table)
    assert advice.use_categorical_reduction is False
    assert warnings_about(advice, "id")


# --- imputation ----------------------------------------------------------------------------


def test_imputation_depends_on_numeric_gaps(mixed: pd.DataFrame) -> None:
    assert advise(mixed).imputation == "knn"  # age and stamp have gaps
    assert "'age'" in advise(mixed).reasons["imputation"]
    complete = mixed.drop(columns=["age", "stamp"])
    assert complete["city"].isna().any()
    advice = advise(complete)
    assert advice.imputation is None
    assert "nothing needs imputing" in advice.reasons["imputation"]


def test_discrete_gaps_are_a_modality_not_imputed() -> None:
    table = numeric_table(100, columns=2).assign(score=[1.0, 2.0, 3.0, np.nan] * 25)
    assert advise(table).imputation is None


# --- warnings ------------------------------------------------------------------------------


def test_warnings_name_the_problem_columns() -> None:
    rng = np.random.default_rng(3)
    n = 200
    table = numeric_table(n, columns=3).assign(
        constant="same",
        patient_id=[f"P{i}" for i in range(n)],
        number=np.arange(n) + 1000,
        mostly_missing=np.where(rng.random(n) < 0.7, np.nan, rng.normal(size=n)),
        empty=np.nan,
    )
    advice = advise(table)
    assert any("single value" in w for w in warnings_about(advice, "constant"))
    assert any("identifier" in w and "drop" in w for w in warnings_about(advice, "patient_id"))
    assert any("identifier" in w for w in warnings_about(advice, "number"))
    assert any("% missing" in w for w in warnings_about(advice, "mostly_missing"))
    assert any("entirely missing" in w for w in warnings_about(advice, "empty"))
    for column in ("x0", "x1", "x2"):
        assert not warnings_about(advice, column)
    assert not any("too few rows" in w for w in advice.warnings)
    json.dumps(advice.to_dict(), allow_nan=False)


def test_constant_and_identifier_columns_are_left_out_of_the_projection() -> None:
    n = 200
    table = numeric_table(n, columns=2).assign(
        constant="same", patient_id=[f"P{i}" for i in range(n)], number=np.arange(n) + 1000
    )
    advice = advise(table)
    assert advice.ncp == 2
    assert len(advice.warnings) == 3


def test_identifier_rule_needs_enough_rows_and_whole_numbers() -> None:
    small = pd.DataFrame({"id": [f"P{i}" for i in range(15)], "x": np.arange(15.0) / 3})
    assert not warnings_about(advise(small), "id")
    floats = numeric_table(100, columns=3)
    assert not advise(floats).warnings


def test_to_dict_is_plain_json(mixed: pd.DataFrame) -> None:
    advice = advise(mixed)
    data = advice.to_dict()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert data["k"] == 12 and data["ncp"] == advice.ncp
    assert set(data) == {
        "k", "ncp", "use_categorical_reduction", "imputation", "reasons", "warnings"
    }  # fmt: skip


# --- table summary -------------------------------------------------------------------------


def test_table_summary(mixed: pd.DataFrame) -> None:
    summary = {s["name"]: s for s in table_summary(mixed)}
    json.dumps(list(summary.values()), allow_nan=False)
    assert list(summary) == list(mixed.columns)
    age = summary["age"]
    assert age["kind"] == "continuous"
    assert age["missing"] == int(mixed["age"].isna().sum())
    assert age["missing_rate"] == pytest.approx(mixed["age"].isna().mean())
    assert age["distinct"] == mixed["age"].nunique()
    assert age["mean"] == pytest.approx(mixed["age"].mean())
    assert age["std"] == pytest.approx(mixed["age"].std())
    assert age["median"] == pytest.approx(mixed["age"].median())
    assert (age["min"], age["max"]) == (mixed["age"].min(), mixed["age"].max())
    assert "top" not in age
    city = summary["city"]
    assert city["kind"] == "categorical"
    assert city["distinct"] == 4
    counts = mixed["city"].value_counts()
    assert city["top"][0] == {"value": counts.index[0], "count": int(counts.iloc[0])}
    assert sum(t["count"] for t in city["top"]) == len(mixed) - city["missing"]
    assert "mean" not in city
    assert summary["smoker"]["kind"] == "boolean"
    assert {t["value"] for t in summary["smoker"]["top"]} == {"True", "False"}
    assert summary["children"]["kind"] == "discrete"
    assert "mean" in summary["children"] and len(summary["children"]["top"]) == 4
    assert summary["visit"]["kind"] == "datetime"
    assert summary["visit"]["min"] == pytest.approx(pd.Timestamp(mixed["visit"].min()).timestamp())
    assert summary["stamp"]["missing"] == int(mixed["stamp"].isna().sum())


def test_table_summary_limits_top_values_and_reports_unusable_columns() -> None:
    table = pd.DataFrame(
        {"c": [f"v{i % 25}" for i in range(100)], "empty": [None] * 100, "x": np.arange(100.0)}
    )
    summary = {s["name"]: s for s in table_summary(table)}
    assert len(summary["c"]["top"]) == 10
    assert summary["c"]["distinct"] == 25
    assert summary["empty"]["kind"] is None
    assert "entirely missing" in summary["empty"]["problem"]
    assert summary["empty"]["missing_rate"] == 1.0
    assert summary["x"]["problem"] is None
    assert summary["x"]["std"] == pytest.approx(float(np.arange(100.0).std(ddof=1)))


def test_table_summary_ignores_unused_categories() -> None:
    column = pd.Categorical(["a", "b", "a", None] * 10, categories=["a", "b", "unused"])
    (summary,) = table_summary(pd.DataFrame({"c": column}))
    assert summary["distinct"] == 2
    assert summary["top"] == [{"value": "a", "count": 20}, {"value": "b", "count": 10}]
    assert summary["dtype"] == "category"


# --- real data -----------------------------------------------------------------------------


def test_wbcd(wbcd: pd.DataFrame) -> None:
    advice = advise(wbcd)
    assert advice.k == len(wbcd) // 50 == 13
    assert advice.ncp == FEWEST_AXES  # one axis above the shuffled copies, brought to 3
    assert advice.imputation is None
    assert advice.use_categorical_reduction is False
    assert advice.warnings == []
    summary = table_summary(wbcd)
    assert [s["name"] for s in summary] == list(wbcd.columns)
    assert all(s["kind"] == "discrete" and s["missing"] == 0 for s in summary)
    assert summary[-1]["top"] == [
        {"value": str(v), "count": int(c)} for v, c in wbcd["Class"].value_counts().items()
    ]
