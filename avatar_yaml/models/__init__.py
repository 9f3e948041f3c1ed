"""The official ``avatar_yaml.models`` import paths (``parameters``, ``schema``), so that
scripts written for the official client import their enums unchanged; each name is ours,
re-exported. ``docs/official-client.md`` lists the names that have no counterpart here."""
