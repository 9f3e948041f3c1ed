from enum import StrEnum


class JobOutKind(StrEnum):
    ADVICE = "advice"
    PRIVACY_METRICS = "privacy_metrics"
    REPORT = "report"
    SIGNAL_METRICS = "signal_metrics"
    STANDARD = "standard"

    def __str__(self) -> str:
        return str(self.value)
