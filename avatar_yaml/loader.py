"""Reading YAML text strictly: the documents of a run as plain mappings, or an error that says
where the text is wrong.

Kept apart from the documents so that what is YAML syntax (aliases, duplicate keys, nesting)
and what is the run's format (keys, types, bounds) fail in different, precise ways.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import yaml
import yaml.composer
import yaml.constructor
import yaml.nodes

from avatar_yaml.fields import ConfigError, as_mapping


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, minus two things a configuration should never rely on.

    Aliases are refused: a few nested aliases expand into billions of nodes for anything that
    walks the result (the "billion laughs"), and this module's writer never emits them. Duplicate
    keys are refused: PyYAML would silently keep the last one. Nesting is limited to
    ``MAX_DEPTH`` levels: PyYAML composes nodes recursively, so ``[[[[...`` a few hundred deep
    would otherwise end in a ``RecursionError`` instead of a message (configurations nest
    about six levels).
    """

    MAX_DEPTH = 64

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.nodes.Node | None, index: int) -> yaml.nodes.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in the stubs
            raise yaml.composer.ComposerError(
                None, None, f"aliases (*{event.anchor}) are not accepted", event.start_mark
            )
        if self._depth >= self.MAX_DEPTH:
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, f"nested more than {self.MAX_DEPTH} levels deep", event.start_mark
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(
        self, node: yaml.nodes.MappingNode, deep: bool = False
    ) -> dict[Hashable, object]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # ``<<`` merges are PyYAML's business (and need aliases, refused)
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, Hashable):
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r}", key_node.start_mark
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def timestamp_or_text(self, node: yaml.nodes.ScalarNode) -> object:
        """An impossible date (``2025-02-30``) as the text written: the field that reads it
        then names its place, where PyYAML would raise a bare "day is out of range"."""
        try:
            return self.construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _StrictLoader.timestamp_or_text)


def _yaml_error_message(error: yaml.YAMLError) -> str:
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        message = f"invalid YAML at line {mark.line + 1}, column {mark.column + 1}: {error.problem}"
        if error.context and error.context_mark is not None:
            context = error.context_mark
            message += f" ({error.context} at line {context.line + 1}, column {context.column + 1})"
        return message
    return f"invalid YAML: {error}"


def load_yaml_documents(text: str) -> list[dict[str, object]]:
    """The documents of a multi-document YAML text, each checked to be a mapping.

    Trailing empty documents (a final ``---``) are dropped; an empty document elsewhere is an
    error, so that "document N" in messages always counts the documents as written.
    """
    try:
        documents: list[object] = list(yaml.load_all(text, Loader=_StrictLoader))
    except yaml.YAMLError as error:
        raise ConfigError(_yaml_error_message(error)) from None
    while documents and documents[-1] is None:
        documents.pop()
    result: list[dict[str, object]] = []
    for number, document in enumerate(documents, start=1):
        if document is None:
            raise ConfigError(f"document {number}: empty document")
        result.append(as_mapping(document, f"document {number}"))
    return result


class YamlTooComplexError(ConfigError):
    """A YAML text over one of :func:`check_yaml_size`'s limits; ``limit`` names which:
    ``"documents"`` or ``"nodes"``."""

    def __init__(self, message: str, limit: str) -> None:
        super().__init__(message)
        self.limit = limit


_NODE_EVENTS = (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent, yaml.AliasEvent)
# libyaml's parser, when PyYAML was built with it: scanning is then about 20 times faster.
_SCANNER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _first_over(mark: Any) -> str:
    """Where the first node over the limit is (``mark``: PyYAML's or libyaml's, or None)."""
    if mark is None:
        return ""
    return f" (the first over it is at line {mark.line + 1}, column {mark.column + 1})"


def check_yaml_size(text: str, *, max_documents: int, max_nodes: int) -> None:
    """Refuse a YAML text of more than ``max_documents`` documents or ``max_nodes`` nodes
    before it is parsed: parsing is pure Python (about 30 s of CPU per million nodes), and a
    few megabytes of ``[1,1,1,...]`` would hold a server's process for that long.

    The check reads the text's events and builds nothing; it stops at the first one over a
    limit. A syntax error ends it quietly: :func:`load_yaml_documents` then reports it, where
    it is, in its own words."""
    documents = nodes = 0
    try:
        for event in yaml.parse(text, Loader=_SCANNER):
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > max_documents:
                    raise YamlTooComplexError(
                        f"the YAML holds more than {max_documents} documents, the limit",
                        "documents",
                    )
            elif isinstance(event, _NODE_EVENTS):
                nodes += 1
                if nodes > max_nodes:
                    raise YamlTooComplexError(
                        f"the YAML holds more than {max_nodes} values, lists and mappings, the "
                        f"limit{_first_over(event.start_mark)}",
                        "nodes",
                    )
    except yaml.YAMLError:
        return


def dump_documents(documents: list[dict[str, object]]) -> str:
    """Documents as YAML text, keys in the order given, Unicode kept as written."""
    return yaml.safe_dump_all(
        documents, sort_keys=False, allow_unicode=True, default_flow_style=False
    )
