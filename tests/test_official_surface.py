"""Issue 18's acceptance: every public name and signature of the official client, as the
reference (``shared/docs/reference/official-client-surface.md`` §1) gives them, exists here
with a compatible signature, or is listed in ``docs/official-client.md``'s differences table.

The reference is read at test time, so a name added to it is checked without touching this
file. "Compatible": a call written for the official client is accepted here unchanged, the
same positional parameters in the same places, every official keyword accepted under its
name, every official optional parameter optional here, and no new required one.

A difference is listed by key in the first column of the table: ``Runner.kill`` (a method),
``Runner.shuffled(table=)`` (a parameter), ``Runner(compute_figures=)`` (a constructor's),
``avatars.SchemaPlan`` (a name of a module), ``ApiClient.capabilities`` (an attribute).
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import avatars
from avatars import ApiClient, ClientConfig, Manager, Runner

ROOT = Path(__file__).resolve().parents[1]
DIFFERENCES = ROOT / "docs" / "official-client.md"
_SPAN = re.compile(r"`([^`]+)`")
_CALL = re.compile(r"^([a-z_][A-Za-z0-9_]*)\((.*)\)$", re.DOTALL)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CELL = re.compile(r"(?<!\\)\|")


# -- reading the reference ----------------------------------------------------------------------


def reference_text() -> str:
    """The reference, from ``AVATAR_SHARED_DOCS`` (default ``../shared/docs``)."""
    default = ROOT.parent / "shared" / "docs"
    folder = Path(os.environ.get("AVATAR_SHARED_DOCS", default))
    path = folder / "reference" / "official-client-surface.md"
    if not path.is_file():
        pytest.fail(f"reference not found at {path}: set AVATAR_SHARED_DOCS", pytrace=False)
    return path.read_text(encoding="utf-8")


def section(text: str, start: str, end: str) -> str:
    """The text from the heading line starting with ``start`` to the next starting with
    ``end`` (both matched at the beginning of a line)."""
    match = re.search(rf"^{re.escape(start)}.*?(?=^{re.escape(end)})", text, re.M | re.S)
    assert match, f"the reference has no section {start!r} (before {end!r}): was it reorganised?"
    return match.group(0)


@dataclass(frozen=True)
class Param:
    name: str | None  # None: the reference gives a type, not a name (add_annotations)
    keyword_only: bool
    optional: bool
    variadic_keywords: bool = False


@dataclass(frozen=True)
class Official:
    """One official callable: ``owner`` (``Runner``...), ``name`` (None: the constructor)."""

    owner: str
    name: str | None
    params: tuple[Param, ...]

    @property
    def key(self) -> str:
        return self.owner if self.name is None else f"{self.owner}.{self.name}"


def split_top_level(text: str) -> list[str]:
    """``text`` split at the commas outside brackets, parentheses and quotes."""
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return [part for part in parts if part]


def parse_params(text: str) -> tuple[Param, ...]:
    params: list[Param] = []
    keyword_only = False
    for part in split_top_level(" ".join(text.replace("\\|", "|").split())):
        if part == "*":
            keyword_only = True
            continue
        if part in ("…", "..."):  # "and more": listed elsewhere (set_parameters' table)
            continue
        if part.startswith("**"):
            params.append(Param(part[2:], True, True, variadic_keywords=True))
            continue
        head = re.split(r"[:=\s]", part, maxsplit=1)[0]
        optional = bool(re.search(r"(?<![=!<>])=(?!=)", part))
        name = head if _IDENTIFIER.match(head) and head not in ("dict", "list") else None
        params.append(Param(name, keyword_only, optional))
    return tuple(params)


def calls_in(text: str, owner: str) -> Iterator[Official]:
    """Every ``name(params)`` code span of ``text`` (lower-case names: methods, not the
    classes the reference mentions in passing), as methods of ``owner``."""
    for span in _SPAN.findall(text):
        match = _CALL.match(" ".join(span.split()).replace("\\|", "|"))
        if match:
            yield Official(owner, match.group(1), parse_params(match.group(2)))


def constructor(text: str, owner: str) -> Official:
    match = re.search(rf"Constructor: `{owner}\((.*?)\)`", text, re.S)
    assert match, f"the reference gives no constructor of {owner}"
    return Official(owner, None, parse_params(match.group(1)))


def table_rows(text: str, header: str) -> list[list[str]]:
    """The rows (cells) of the markdown table whose header line starts with ``header``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in _CELL.split(line.strip().strip("|"))])
    return rows


def official_surface() -> dict[str, Any]:
    """Everything §1 of the reference names, read from its text."""
    text = section(reference_text(), "## 1.", "## 2.")
    exports = section(text, "### 1.1", "### 1.2")
    config = section(text, "### 1.2", "### 1.3")
    manager = section(text, "### 1.3", "### 1.4")
    runner = section(text, "### 1.4", "### 1.5")
    client = section(text, "### 1.5", "### 1.6")

    package = exports.split("Importing", 1)[0]
    names = [s for s in _SPAN.findall(package) if _IDENTIFIER.match(s) and s != "avatar_yaml"]
    modules: dict[str, list[str]] = {}
    others = exports.split("Other user-visible modules:", 1)[1]
    for module, inside in re.findall(r"`([a-z_.]+)` \(([^)]*)\)", others):
        modules[module] = [s for s in _SPAN.findall(inside) if _IDENTIFIER.match(s)]

    sentence = re.search(
        r"`avatars\.client_config\.ClientConfig`[^:]*:(.*?)A validator", config, re.S
    )
    assert sentence, "the reference no longer describes ClientConfig's fields"
    fields = [re.split(r"[:=\s]", s, maxsplit=1)[0] for s in _SPAN.findall(sentence.group(1))]

    keywords_table = table_rows(runner, "| keyword |")
    keywords = [
        re.split(r"[:=\s]", span, maxsplit=1)[0]
        for row in keywords_table
        for span in _SPAN.findall(row[0])
    ]
    facades = re.search(r"\*\*Resource facades\*\*: (.*?)\(methods", client, re.S)
    assert facades, "the reference no longer lists ApiClient's facades"
    attributes = re.search(r"Attributes: (.*?)\n\n", client, re.S)
    assert attributes, "the reference no longer lists ApiClient's attributes"
    extra = client.split("(methods in section 2.2), plus", 1)[1]

    return {
        "exports": names,
        "modules": modules,
        "client_config_fields": [f for f in fields if _IDENTIFIER.match(f)],
        "constructors": [
            constructor(manager, "Manager"),
            constructor(runner, "Runner"),
            constructor(client, "ApiClient"),
        ],
        "methods": [
            *calls_in("\n".join(row[0] for row in table_rows(manager, "| method |")), "Manager"),
            *calls_in(runner, "Runner"),
            *calls_in(attributes.group(1) + extra, "ApiClient"),
        ],
        "set_parameters_keywords": keywords,
        "client_attributes": [
            s
            for s in _SPAN.findall(facades.group(1) + attributes.group(1) + extra)
            if _IDENTIFIER.match(s)
        ],
    }


# -- reading the differences table ------------------------------------------------------------


def listed_differences() -> set[str]:
    """The keys in the first column of ``docs/official-client.md``'s differences table."""
    text = DIFFERENCES.read_text(encoding="utf-8")
    rows = table_rows(text, "| official |")
    return {span.replace("\\|", "|") for row in rows for span in _SPAN.findall(row[0])}


# -- comparing with ours ------------------------------------------------------------------------

OURS: dict[str, type] = {"Manager": Manager, "Runner": Runner, "ApiClient": ApiClient}


def incompatibilities(official: Official, ours: Callable[..., Any]) -> list[str]:
    """Keys of the official parameters a call would not get through ``ours`` unchanged."""
    prefix = official.key
    signature = inspect.signature(ours)
    params = [p for p in signature.parameters.values() if p.name != "self"]
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    by_name = {p.name: p for p in params}
    takes_any_keyword = any(p.kind is p.VAR_KEYWORD for p in params)
    problems: list[str] = []
    index = 0
    for param in official.params:
        key = f"{prefix}({param.name}=)"
        if param.variadic_keywords:
            if not takes_any_keyword:
                problems.append(f"{prefix}(**{param.name})")
            continue
        if not param.keyword_only:
            here = positional[index] if index < len(positional) else None
            index += 1
            if here is None:
                problems.append(key if param.name else f"{prefix}(#{index})")
                continue
            if param.name is not None and here.name != param.name:
                problems.append(key)
                continue
            if param.optional and here.default is inspect.Parameter.empty:
                problems.append(key)
            continue
        assert param.name is not None
        mine = by_name.get(param.name)
        if mine is None or mine.kind in (mine.POSITIONAL_ONLY, mine.VAR_POSITIONAL):
            if not takes_any_keyword:
                problems.append(key)
            continue
        if param.optional and mine.default is inspect.Parameter.empty:
            problems.append(key)
    named = {param.name for param in official.params}
    official_positional = sum(not p.keyword_only for p in official.params)
    for index, ours_param in enumerate(positional):
        required = ours_param.default is inspect.Parameter.empty
        covered = index < official_positional or ours_param.name in named
        if required and not covered:
            problems.append(f"{prefix}({ours_param.name}=) required here")
    for ours_param in params:
        new = ours_param.kind is ours_param.KEYWORD_ONLY and ours_param.name not in named
        if new and ours_param.default is inspect.Parameter.empty:
            problems.append(f"{prefix}({ours_param.name}=) required here")
    return problems


def surface_problems() -> list[str]:
    """Every official name or parameter that has no compatible counterpart here."""
    surface = official_surface()
    problems: list[str] = []
    for name in surface["exports"]:
        if not hasattr(avatars, name):
            problems.append(f"avatars.{name}")
    for module_name, names in surface["modules"].items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            problems.append(module_name)
            continue
        problems.extend(f"{module_name}.{name}" for name in names if not hasattr(module, name))
    config_params = inspect.signature(ClientConfig).parameters
    problems.extend(
        f"ClientConfig({name}=)"
        for name in surface["client_config_fields"]
        if name not in config_params
    )
    for official in surface["constructors"]:
        problems.extend(incompatibilities(official, OURS[official.owner]))
    for official in surface["methods"]:
        assert official.name is not None
        method = getattr(OURS[official.owner], official.name, None)
        if method is None or not callable(method):
            problems.append(official.key)
            continue
        problems.extend(incompatibilities(official, method))
    set_parameters = inspect.signature(Runner.set_parameters).parameters
    for keyword in surface["set_parameters_keywords"]:
        param = set_parameters.get(keyword)
        if param is None or param.kind is param.POSITIONAL_ONLY:
            problems.append(f"Runner.set_parameters({keyword}=)")
    client = ApiClient("http://127.0.0.1:9")  # no request is made
    try:
        problems.extend(
            f"ApiClient.{name}"
            for name in surface["client_attributes"]
            if not hasattr(client, name)
        )
    finally:
        client.close()
    return sorted(set(problems))


# -- the tests --------------------------------------------------------------------------------


def test_the_reference_is_read_whole() -> None:
    """The parser finds what §1 plainly holds, so a change of layout cannot empty the check."""
    surface = official_surface()
    methods = {official.key for official in surface["methods"]}
    assert {
        "Manager.create_runner",
        "Manager.cancel_jobs",
        "Manager.get_last_jobs",
        "Runner.add_table",
        "Runner.upload_file",
        "Runner.delete_link",
        "Runner.delete_table",
        "Runner.get_status",
        "Runner.statuses",
        "Runner.get_specific_result_urls",
        "Runner.render_plot",
        "Runner.discover_schema",
        "ApiClient.set_header",
    } <= methods
    assert len(surface["methods"]) >= 50
    assert {"k", "open_dp_epsilon", "imputation_training_fraction", "processors"} <= set(
        surface["set_parameters_keywords"]
    )
    assert len(surface["set_parameters_keywords"]) >= 25
    assert {"ApiClient", "JobStatus", "SchemaPlan", "PiiType"} <= set(surface["exports"])
    assert surface["modules"]["avatars.models"] == ["JobKind", "JobStatus"]
    assert "storage_endpoint_url" in surface["client_config_fields"]
    assert {"jobs", "capabilities", "data_uploader"} <= set(surface["client_attributes"])
    runner = next(c for c in surface["constructors"] if c.owner == "Runner")
    assert "compute_figures" in {param.name for param in runner.params}


def test_every_official_name_is_here_or_a_listed_difference() -> None:
    missing = [key for key in surface_problems() if key.split(" ")[0] not in listed_differences()]
    assert not missing, (
        "official names or parameters without a compatible counterpart here, and not in "
        f"{DIFFERENCES.relative_to(ROOT)}'s differences table:\n  " + "\n  ".join(missing)
    )


def test_the_check_catches_an_incompatible_signature() -> None:
    """The comparison itself: a renamed, moved, missing or newly required parameter fails."""
    official = Official("Runner", "m", parse_params("table_name, data, *, sep=None"))

    def same(table_name: str, data: str, *, sep: str | None = None, more: int = 1) -> None: ...
    def renamed(table: str, data: str, *, sep: str | None = None) -> None: ...
    def keyword_needed(table_name: str, data: str, *, sep: str) -> None: ...
    def new_required(table_name: str, data: str, extra: int, *, sep: str | None = None) -> None: ...
    def only_kwargs(table_name: str, data: str, **kwargs: object) -> None: ...

    assert incompatibilities(official, same) == []
    assert incompatibilities(official, renamed) == ["Runner.m(table_name=)"]
    assert incompatibilities(official, keyword_needed) == ["Runner.m(sep=)"]
    assert incompatibilities(official, new_required) == ["Runner.m(extra=) required here"]
    assert incompatibilities(official, only_kwargs) == []
    typed = parse_params("dict[str,str]")
    assert typed == (Param(None, keyword_only=False, optional=False),)
    assert parse_params('a: dict[str, int]|None=None, *, b=None ("x"/"y"), **kwargs') == (
        Param("a", False, True),
        Param("b", True, True),
        Param("kwargs", True, True, variadic_keywords=True),
    )
