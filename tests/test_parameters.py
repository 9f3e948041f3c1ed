"""``set_parameters`` keywords and the documents they fill, both ways (no server)."""

from __future__ import annotations

from typing import Any

import pytest

from avatar_yaml import (
    AlignmentMethod,
    AvatarizationParameters,
    Config,
    ConfigError,
    ExcludeVariablesMethod,
    ImputeMethod,
    ProjectionType,
    RelativeDifferenceParameters,
    Unalignment,
)
from avatars import parameters

EVERY_KEYWORD: dict[str, Any] = {
    "k": 7,
    "ncp": 3,
    "use_categorical_reduction": True,
    "column_weights": {"a": 2.0},
    "exclude_variable_names": ["b"],
    "exclude_variable_method": ExcludeVariablesMethod.COORDINATE_SIMILARITY,
    "imputation_method": ImputeMethod.FAST_KNN,
    "imputation_k": 4,
    "imputation_training_fraction": 0.5,
    "imputation_return_data_imputed": False,
    "known_variables": ["a"],
    "target": "c",
    "categorical_hidden_rate_variables": ["c"],
    "quantile_threshold": 5,
    "processors": [RelativeDifferenceParameters(target="a", references=["c"], scaling_unit=10)],
}
SERIES_KEYWORDS: dict[str, Any] = {
    "time_series_nf": 4,
    "time_series_projection_type": ProjectionType.FPCA,
    "time_series_block_weight": 1.5,
    "time_series_nb_points": 12,
    "time_series_method": AlignmentMethod.SPECIFIED,
    "time_series_unalignment": Unalignment.SKIP,
}
"""A series table's keywords (the rules refuse them with ``k``: they go on another table)."""


def config_with(**keywords: Any) -> Config:
    config = Config.new("p")
    config.add_table("t", "ds")
    documents = parameters.to_documents("t", **keywords)
    config.set_parameters("t", documents.avatarization, documents.privacy, documents.signal)
    return config


def test_every_keyword_is_listed_once() -> None:
    assert sorted({**EVERY_KEYWORD, **SERIES_KEYWORDS}) == sorted(parameters.KEYWORDS)


def test_series_keywords_fill_time_series_and_come_back() -> None:
    documents = parameters.to_documents("s", **SERIES_KEYWORDS)
    assert (documents.avatarization, documents.privacy, documents.signal) == (None, None, None)
    assert documents.time_series is not None
    assert documents.time_series.to_dict() == {
        "projection": {"projection_type": "fpca", "nf": 4, "block_weight": 1.5},
        "alignment": {"nb_points": 12, "method": "specified", "unalignment": "skip"},
    }
    config = Config.new("p")
    config.add_table("s", "ds")
    config.set_parameters("s", time_series=documents.time_series)
    assert parameters.from_documents(config, "s") == SERIES_KEYWORDS
    assert parameters.describe(config, "s") == {"time_series": documents.time_series.to_dict()}
    only_nf = parameters.to_documents("s", time_series_nf=2).time_series
    assert only_nf is not None and only_nf.to_dict() == {"projection": {"nf": 2}}
    assert parameters.to_documents("s", k=5).time_series is None


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"time_series_nf": 0}, "table 's': time_series_nf: expected an integer >= 1, got 0"),
        (
            {"time_series_method": "median"},
            "table 's': time_series_method: unknown value 'median'; allowed: specified, max, "
            "min, mean",
        ),
        (
            {"time_series_block_weight": -1.0},
            "table 's': time_series_block_weight: expected a number > 0, got -1.0",
        ),
    ],
)
def test_a_bad_series_keyword_is_named(keywords: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parameters.to_documents("s", **keywords)
    assert message in str(refused.value)


def test_keywords_come_back_from_the_documents() -> None:
    config = config_with(**EVERY_KEYWORD)
    assert parameters.from_documents(config, "t") == EVERY_KEYWORD
    assert Config.from_yaml(config.to_yaml()) == config


def test_the_metrics_documents_get_only_what_they_use() -> None:
    documents = parameters.to_documents("t", **EVERY_KEYWORD)
    assert documents.privacy is not None and documents.signal is not None
    assert documents.privacy.imputation is None
    assert documents.privacy.use_categorical_reduction is None
    assert documents.privacy.column_weights == {"a": 2.0}
    assert documents.signal.to_dict() == {
        "exclude_variables": {
            "variable_names": ["b"],
            "replacement_strategy": "coordinate_similarity",
        }
    }


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"kk": 3}, r"table 't': unknown parameters \['kk'\]"),
        ({"k": 1}, r"table 't': k: expected an integer >= 2, got 1"),
        ({"k": "5"}, r"table 't': k: expected an integer, got '5'"),
        ({"k": 5, "column_weights": {"a": -1}}, r"column_weights.a: expected a number > 0"),
        ({"k": 5, "imputation_method": "nearest"}, r"imputation: method: unknown value"),
        ({"k": 5, "imputation_k": 3}, r"need imputation_method"),
        ({"k": 5, "exclude_variable_method": "row_order"}, r"needs exclude_variable_names"),
        ({"imputation_method": "mean"}, r"tune the avatarization, which needs k"),
        ({"use_categorical_reduction": True}, r"tune the avatarization, which needs k"),
        ({"known_variables": ["a"], "target": "a"}, r"'a' cannot also be a known variable"),
        ({"known_variables": "abc"}, r"known_variables: expected a list, got 'abc'"),
        (
            {"k": 5, "imputation_method": "mean", "imputation_k": 3},
            r"imputation: k: applies to knn and fast_knn, not mean",
        ),
    ],
)
def test_mistakes_name_the_keyword(keywords: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parameters.to_documents("t", **keywords)


def test_measured_only_tables_accept_what_the_server_does_anyway() -> None:
    documents = parameters.to_documents("t", use_categorical_reduction=False, ncp=2)
    assert documents.avatarization is None
    assert documents.privacy is not None and documents.privacy.ncp == 2


def test_an_avatarization_entry_only_with_k() -> None:
    assert parameters.to_documents("t", known_variables=["a"]).avatarization is None
    assert parameters.to_documents("t", k=3).avatarization == AvatarizationParameters(k=3)
