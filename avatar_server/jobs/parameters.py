"""A table's YAML parameters as the engine's settings (unset fields take the engine's
defaults): one mapping for every job that runs the engine."""

from __future__ import annotations

from typing import Any

from avatar_server.engine import (
    ExclusionSettings,
    ImputationSettings,
    ReplacementStrategy,
)
from avatar_server.engine.pseudonyms import PseudonymizationSettings
from avatar_yaml import (
    AvatarizationParameters,
    ExcludeVariables,
    ExcludeVariablesMethod,
    Imputation,
    Pseudonymization,
)


def imputation_settings(settings: Imputation | None) -> ImputationSettings | None:
    """The engine's imputation for a table's YAML ``imputation`` (None: the engine's default).
    A ``k`` or ``training_fraction`` the document leaves unset takes the engine's default;
    ``return_data_imputed`` asks for an output the engine does not produce."""
    if settings is None:
        return None
    default = ImputationSettings()
    return ImputationSettings(
        method=str(settings.method),
        k=default.k if settings.k is None else settings.k,
        training_fraction=(
            default.training_fraction
            if settings.training_fraction is None
            else settings.training_fraction
        ),
    )


REPLACEMENT_STRATEGIES_OF: dict[ExcludeVariablesMethod, ReplacementStrategy] = {
    ExcludeVariablesMethod.ROW_ORDER: "row_order",
    ExcludeVariablesMethod.COORDINATE_SIMILARITY: "coordinate_similarity",
}


def exclusion_settings(settings: ExcludeVariables | None) -> ExclusionSettings | None:
    """The engine's exclusion for a table's YAML ``exclude_variables``, with the strategy the
    document resolved (its own default included); None when no column is named."""
    if settings is None or not settings.variable_names:
        return None
    return ExclusionSettings(
        variable_names=tuple(settings.variable_names),
        replacement_strategy=REPLACEMENT_STRATEGIES_OF[settings.replacement_strategy],
    )


def pseudonymization_settings(strategy: Pseudonymization) -> PseudonymizationSettings:
    """The YAML strategy as the engine's settings (unset fields take the engine's defaults)."""
    chosen: dict[str, Any] = {"kind": str(strategy.kind)}
    if strategy.pii_type is not None:
        chosen["pii_type"] = str(strategy.pii_type)
    if strategy.consistent is not None:
        chosen["consistent"] = strategy.consistent
    if strategy.high_variability is not None:
        chosen["high_variability"] = strategy.high_variability
    if strategy.value is not None:
        chosen["value"] = strategy.value
    if strategy.pattern is not None:
        chosen["pattern"] = strategy.pattern
    if strategy.letter_case is not None:
        chosen["letter_case"] = str(strategy.letter_case)
    return PseudonymizationSettings(**chosen)


__all__ = ["exclusion_settings", "imputation_settings", "pseudonymization_settings"]


def avatarize_options(chosen: AvatarizationParameters) -> dict[str, Any]:
    """A table's avatarization parameters as ``avatarize``'s keyword arguments: what the run
    avatarizes with, and what the privacy job's audit release replays (so both read them
    alike)."""
    return {
        "k": chosen.k,
        "ncp": chosen.ncp,
        "column_weights": dict(chosen.column_weights) if chosen.column_weights else None,
        "use_categorical_reduction": bool(chosen.use_categorical_reduction),
        "imputation": imputation_settings(chosen.imputation),
        "exclude_variables": exclusion_settings(chosen.exclude_variables),
    }
