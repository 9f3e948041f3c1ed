"""``set_parameters`` keywords and the documents they fill, both ways (no server)."""

from __future__ import annotations

from typing import Any

import pytest

from avatar_yaml import (
    AvatarizationParameters,
    Config,
    ConfigError,
    ExcludeVariablesMethod,
    ImputeMethod,
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
}


def config_with(**keywords: Any) -> Config:
    config = Config.new("p")
    config.add_table("t", "ds")
    documents = parameters.to_documents("t", **keywords)
    config.set_parameters("t", documents.avatarization, documents.privacy, documents.signal)
    return config


def test_every_keyword_is_listed_once() -> None:
    assert sorted(EVERY_KEYWORD) == sorted(parameters.KEYWORDS)


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
