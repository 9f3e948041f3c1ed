"""The official ``avatar_yaml.models.schema`` import path: the schema enums, ours."""

from avatar_yaml.vocabulary import ColumnType, LinkMethod

__all__ = ["ColumnType", "LinkMethod"]
