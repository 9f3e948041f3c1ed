from enum import StrEnum


class CompatibilityResponseStatus(StrEnum):
    COMPATIBLE = "compatible"
    INCOMPATIBLE = "incompatible"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return str(self.value)
