from enum import StrEnum


class ListJobsKindType0(StrEnum):
    ADVICE = "advice"
    PRIVACY_METRICS = "privacy_metrics"
    REPORT = "report"
    SIGNAL_METRICS = "signal_metrics"
    STANDARD = "standard"

    def __str__(self) -> str:
        return str(self.value)
