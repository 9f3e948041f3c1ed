"""The anonymization engine: pure functions, DataFrames in, DataFrames and dicts out.

Nothing here imports the web or database layers, so the same code runs in the local process
pool and on a Dask worker.
"""

from avatar_server.engine.advice import Advice, advise, table_summary
from avatar_server.engine.avatarize import (
    AvatarizationResult,
    ExclusionSettings,
    ImputationSettings,
    ReplacementStrategy,
    avatarize,
)
from avatar_server.engine.privacy import privacy_metrics
from avatar_server.engine.progress import Cancelled, ProgressCallback
from avatar_server.engine.pseudonyms import (
    LETTER_CASES,
    PII_TYPES,
    PSEUDONYMIZATION_KINDS,
    PseudonymizationSettings,
    pseudonymize,
)
from avatar_server.engine.results import MetricResult
from avatar_server.engine.signal import signal_metrics, variable_comparisons

__all__ = [
    "LETTER_CASES",
    "PII_TYPES",
    "PSEUDONYMIZATION_KINDS",
    "Advice",
    "AvatarizationResult",
    "Cancelled",
    "ExclusionSettings",
    "ImputationSettings",
    "MetricResult",
    "ProgressCallback",
    "PseudonymizationSettings",
    "ReplacementStrategy",
    "advise",
    "avatarize",
    "privacy_metrics",
    "pseudonymize",
    "signal_metrics",
    "table_summary",
    "variable_comparisons",
]
