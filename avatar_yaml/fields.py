"""How the documents are declared once and read from that declaration.

Every structure of the format is a dataclass deriving from :class:`Node`; its field names are
the YAML keys, its annotations the types, and :func:`option` adds what the annotation cannot
say (bounds, allowed fixed values). :meth:`Node.from_dict` reads any node from that
declaration alone, so a field added to a dataclass is read, checked and written with no other
code to update, and nothing can be silently dropped.

Reading is strict, because a silently ignored misspelt key would run an anonymization with
parameters the user did not ask for: unknown keys, wrong types (``true`` is not an integer),
values out of bounds and unknown enum values are errors that name the exact place, e.g.
``document 4 (AvatarParameters 'standard'): spec.avatarization.wbcd.k: expected an integer
>= 2, got 1``. Checks that involve several fields are rules (:mod:`avatar_yaml.rules`),
registered here with :func:`rule` and run after a node is read.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import functools
import math
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self, TypeVar

__all__ = [
    "ConfigError",
    "Node",
    "as_mapping",
    "at",
    "describe",
    "fail",
    "option",
    "plain",
    "rule",
]


class ConfigError(ValueError):
    """A run's YAML (or a Config built in Python) is invalid; the message says where and why."""


def at(where: str, key: str) -> str:
    """The place of ``key`` inside the place ``where``. A place ending in ``": "`` is a prefix
    (``"table 'a': "`` for a keyword argument): keys follow it without a dot."""
    if not where or where.endswith(": "):
        return f"{where}{key}"
    return f"{where}.{key}"


def fail(where: str, problem: str) -> ConfigError:
    if not where or where.endswith(": "):
        return ConfigError(f"{where}{problem}")
    return ConfigError(f"{where}: {problem}")


def describe(value: object) -> str:
    """The offending value as the user wrote it, short enough for one line of error."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        text = repr(str(value))
        return text if len(text) <= 60 else text[:56] + "...'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"  # e.g. a date: YAML reads an unquoted 2024-01-01 as one


def as_mapping(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise fail(where, f"expected a mapping, got {describe(value)}")
    for key in value:
        if not isinstance(key, str):
            raise fail(where, f"keys must be strings, got {describe(key)}")
    return value


# --------------------------------------------------------------------------------------------
# Declaring fields


@dataclass(frozen=True)
class Bounds:
    """What a field's type cannot say. ``minimum`` is inclusive, ``above`` exclusive; for a
    mapping they bound its values. ``fixed``: the only value allowed (a reference to a document
    whose name is fixed). ``allow_empty``: an empty string is a value."""

    minimum: float | None = None
    above: float | None = None
    at_most: float | None = None
    fixed: str | None = None
    allow_empty: bool = False


_NO_BOUNDS = Bounds()


def option(
    *,
    default: object = dataclasses.MISSING,
    default_factory: Callable[[], object] | None = None,
    minimum: float | None = None,
    above: float | None = None,
    at_most: float | None = None,
    fixed: str | None = None,
    allow_empty: bool = False,
) -> Any:
    """A field with its bounds; without ``default`` or ``default_factory`` it is required."""
    metadata = {"bounds": Bounds(minimum, above, at_most, fixed, allow_empty)}
    if default_factory is not None:
        return dataclasses.field(default_factory=default_factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


# --------------------------------------------------------------------------------------------
# Rules: checks between fields, run after a node is read (declared in avatar_yaml.rules)

N = TypeVar("N", bound="Node")
_RULES: dict[type[Node], list[Callable[[Any, str], None]]] = {}


def rule(cls: type[N]) -> Callable[[Callable[[N, str], None]], Callable[[N, str], None]]:
    """Register ``check(node, where)`` to run after every ``cls`` node is read."""

    def register(check: Callable[[N, str], None]) -> Callable[[N, str], None]:
        _RULES.setdefault(cls, []).append(check)
        return check

    return register


# --------------------------------------------------------------------------------------------
# Reading values by their declared type


def _number(value: object, where: str, bounds: Bounds, *, integer: bool) -> int | float:
    # bool is an int in Python, but ``k: true`` is a mistake, not k=1. An int stays an int
    # where a float is expected, so that a weight written 2 is written back 2.
    kind = "an integer" if integer else "a number"
    wanted = int if integer else int | float
    if isinstance(value, bool) or not isinstance(value, wanted):
        raise fail(where, f"expected {kind}, got {describe(value)}")
    if not math.isfinite(value):
        raise fail(where, f"expected a finite number, got {describe(value)}")
    if bounds.minimum is not None and value < bounds.minimum:
        raise fail(where, f"expected {kind} >= {bounds.minimum:g}, got {value}")
    if bounds.above is not None and not value > bounds.above:
        raise fail(where, f"expected {kind} > {bounds.above:g}, got {value}")
    if bounds.at_most is not None and not value <= bounds.at_most:
        raise fail(where, f"expected {kind} <= {bounds.at_most:g}, got {value}")
    return value


def _string(value: object, where: str, bounds: Bounds) -> str:
    if not isinstance(value, str):
        raise fail(where, f"expected a string, got {describe(value)}")
    if not value and not bounds.allow_empty:
        raise fail(where, "expected a non-empty string")
    if bounds.fixed is not None and value != bounds.fixed:
        raise fail(where, f"expected {bounds.fixed!r}, got {value!r}")
    return str(value)


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date(value: object, where: str) -> datetime.date:
    """A calendar date: YAML's own (an unquoted ``2025-03-01``) or an ISO ``YYYY-MM-DD``
    string (how it is written back, quoted, so that either reads the same)."""
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass  # 2025-02-30
    raise fail(where, f"expected a date written YYYY-MM-DD, got {describe(value)}")


def _choice(value: object, where: str, cls: type[enum.Enum]) -> enum.Enum:
    allowed = ", ".join(str(member.value) for member in cls)
    if not isinstance(value, str):
        raise fail(where, f"expected one of {allowed}; got {describe(value)}")
    try:
        return cls(value)
    except ValueError:
        raise fail(where, f"unknown value {value!r}; allowed: {allowed}") from None


def read_value(kind: Any, value: object, where: str, bounds: Bounds = _NO_BOUNDS) -> Any:
    """``value`` read as the declared ``kind``, or a ConfigError naming ``where``."""
    origin, arguments = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        inner = [argument for argument in arguments if argument is not type(None)]
        if len(inner) == 1:
            return read_value(inner[0], value, where, bounds)
        return _read_untagged(inner, value, where)
    if kind is bool:
        if not isinstance(value, bool):
            raise fail(where, f"expected true or false, got {describe(value)}")
        return value
    if kind is int or kind is float:
        return _number(value, where, bounds, integer=kind is int)
    if kind is str:
        return _string(value, where, bounds)
    if kind is datetime.date:
        return _date(value, where)
    if origin is list:
        if not isinstance(value, list):
            raise fail(where, f"expected a list, got {describe(value)}")
        return [
            read_value(arguments[0], item, f"{where}[{i}]", bounds) for i, item in enumerate(value)
        ]
    if origin is dict:
        return {
            _string(key, where, _NO_BOUNDS): read_value(arguments[1], item, at(where, key), bounds)
            for key, item in as_mapping(value, where).items()
        }
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return _choice(value, where, kind)
    if isinstance(kind, type) and issubclass(kind, Node):
        return kind.from_dict(value, where)
    raise TypeError(f"{where}: no reader for the declared type {kind!r}")  # pragma: no cover


def _read_untagged(kinds: list[Any], value: object, where: str) -> Node:
    """A node of one of several kinds that carry no tag (the official format writes server-side
    processors so): the kind is the one whose keys fit, all its required keys given and no key
    outside its own. Keys fitting no kind, or several, are an error listing each kind's keys."""
    mapping = as_mapping(value, where)
    given = set(mapping)
    fitting = []
    for kind in kinds:
        declared = _declared(kind)
        required = {field.name for field in declared if field.required}
        if required <= given <= {field.name for field in declared}:
            fitting.append(kind)
    if len(fitting) == 1:
        return typing.cast(Node, fitting[0].from_dict(mapping, where))
    shapes = "; ".join(
        f"{kind.__name__} ({', '.join(field.name for field in _declared(kind))})" for kind in kinds
    )
    problem = "fit several kinds" if fitting else "fit no kind"
    found = ", ".join(sorted(given))
    raise fail(where, f"keys [{found}] {problem}; expected the keys of one of: {shapes}")


# --------------------------------------------------------------------------------------------
# Nodes


def plain(value: object) -> object:
    """A value as YAML should see it: nested nodes as dicts, enums as their plain strings,
    dates as ISO strings.

    Lists and dicts are always fresh copies, so the dumper never finds one object twice and never
    writes anchors and aliases (which the reader refuses).
    """
    if isinstance(value, Node):
        return value.to_dict()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class _Field:
    name: str
    kind: Any
    bounds: Bounds
    required: bool
    default: Callable[[], object]


_DECLARED: dict[type[Node], tuple[_Field, ...]] = {}


def _declared(cls: type[Node]) -> tuple[_Field, ...]:
    """The fields of a node class with their resolved types (computed once per class)."""
    if cls in _DECLARED:
        return _DECLARED[cls]
    hints = typing.get_type_hints(cls)
    declared = []
    for field in dataclasses.fields(cls):
        if field.default is not dataclasses.MISSING:
            default: Callable[[], object] = functools.partial(lambda value: value, field.default)
            required = False
        elif field.default_factory is not dataclasses.MISSING:
            default, required = field.default_factory, False
        else:
            default, required = (lambda: None), True
        bounds = field.metadata.get("bounds", _NO_BOUNDS)
        declared.append(_Field(field.name, hints[field.name], bounds, required, default))
    _DECLARED[cls] = tuple(declared)
    return _DECLARED[cls]


@dataclass
class Node:
    """Base of every structure of the format: a dataclass whose field names are the YAML keys.

    ``to_dict`` writes fields in declaration order (the format's key order), None left out;
    ``from_dict`` reads them from the declaration, then runs the node's rules.
    """

    def to_dict(self) -> dict[str, object]:
        return {
            f.name: plain(value)
            for f in dataclasses.fields(self)
            if (value := getattr(self, f.name)) is not None
        }

    @classmethod
    def fields(cls) -> tuple[str, ...]:
        """The node's keys, in the format's order."""
        return tuple(field.name for field in _declared(cls))

    @classmethod
    def from_dict(cls, data: object, where: str) -> Self:
        """Read a node. Unknown keys are reported before anything else: a misspelt key is the
        likeliest cause of a "missing required key" error that would otherwise come first."""
        mapping = as_mapping(data, where)
        declared = _declared(cls)
        allowed = [field.name for field in declared]
        for key in mapping:
            if key not in allowed:
                raise fail(where, f"unknown key {key!r}; allowed: {', '.join(allowed)}")
        values: dict[str, object] = {}
        for field in declared:
            if field.name not in mapping:
                if field.required:
                    raise fail(where, f"missing required key {field.name!r}")
                values[field.name] = field.default()
                continue
            value = read_value(field.kind, mapping[field.name], at(where, field.name), field.bounds)
            values[field.name] = field.default() if value is None and not field.required else value
        node = cls(**values)
        for check in _RULES.get(cls, ()):
            check(node, where)
        return node

    @classmethod
    def read_field(cls, name: str, value: object, where: str) -> Any:
        """One value read as the field ``name`` declares it (None: not set)."""
        (field,) = [field for field in _declared(cls) if field.name == name]
        return read_value(field.kind, plain(value), where, field.bounds)

    @classmethod
    def build(cls, where: str, **values: object) -> Self:
        """A node from Python values, read exactly as YAML would be (None: not set), so that
        keyword arguments get the same checks and messages as the YAML keys they fill."""
        return cls.from_dict({k: plain(v) for k, v in values.items() if v is not None}, where)
