"""The official ``avatar_yaml.models.parameters`` import path: the parameter enums, ours.

``AugmentationStrategy`` is not here: data augmentation is not part of this version."""

from avatar_yaml.vocabulary import (
    AlignmentMethod,
    ExcludeVariablesMethod,
    ImputeMethod,
    ProjectionType,
    ReportLanguage,
    ReportType,
)

__all__ = [
    "AlignmentMethod",
    "ExcludeVariablesMethod",
    "ImputeMethod",
    "ProjectionType",
    "ReportLanguage",
    "ReportType",
]
