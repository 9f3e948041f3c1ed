"""The privacy verdict of one table: a single pass/fail with the reasons and true remedies.

Per-metric ``passed`` flags are not enough to decide whether avatars may be shared: a table can
meet every distance target and still release an identifier verbatim. The verdict gathers
every reason to refuse the release, each an item ``{name, passed, reason, remedy}``:

- every privacy metric that has a target;
- every column whose released values include values only one original holds (verbatim
  unique values: a name, an email, a rare code points at one person whatever the metrics say);
- every ``row_order`` re-attachment of excluded variables (each value stays on its person);
- every risky column kept as is on purpose (the acknowledgement is recorded here);
- for avatars the user brings, every key or pseudonymized column that holds an original value;
- every attack the avatars were put through that has a figure (:mod:`attack_metrics`):
  singling out, linkability and inference risk, the linkage and the reconstruction attack;
  a table on which no attack could be measured fails ``attacks_not_run``.

The remedy says what would fix that item, not a generic "larger k" where k cannot help.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from avatar_server.engine.results import ATTACK_FIGURES
from avatar_server.jobs.attack_audit import MIN_CONTROL_ROWS
from avatar_server.jobs.tables import PreparedTable
from avatar_yaml import ExcludeVariables, ExcludeVariablesMethod

PASS, FAIL = "pass", "fail"

_RAISE_K = "raise k (each avatar then mixes more records)"
_METRIC_REMEDIES = {
    "hidden_rate": _RAISE_K,
    "local_cloaking": _RAISE_K,
    "distance_to_closest": _RAISE_K,
    "closest_distances_ratio": _RAISE_K,
    "row_direct_match_protection": (
        "drop, pseudonymize or group the columns that single rows out, or raise k"
    ),
    "categorical_hidden_rate": "group rare categories (keep grouped) or raise k",
    "correlation_protection_rate": (
        "group or drop the variables an attacker may know (known_variables), or raise k"
    ),
    "inference_continuous": "raise k, or drop the target from the shared table",
    "inference_categorical": "raise k, or drop or group the target in the shared table",
}


def _item(name: str, passed: bool, reason: str, remedy: str | None, **facts: Any) -> dict[str, Any]:
    """An item; ``facts`` (the column, counts...) let a report word it in its own language."""
    item = {"name": name, "passed": passed, "reason": reason, "remedy": None if passed else remedy}
    return item | facts


def _metric_items(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    items = []
    for name, target in (metrics.get("targets") or {}).items():
        passed = (metrics.get("passed") or {}).get(name)
        if target is None or passed is None:  # informative, or not computed
            continue
        value = metrics.get(name)
        remedy = _METRIC_REMEDIES.get(name, _RAISE_K)
        facts: dict[str, Any] = {}
        if name == "column_direct_match_protection":
            weakest = ((metrics.get("details") or {}).get(name) or {}).get("weakest_column")
            remedy = f"drop, pseudonymize or group column {weakest!r}"
            facts["column"] = weakest
        items.append(_item(name, bool(passed), f"{value} (target {target})", remedy, **facts))
    return items


def _verbatim_items(original: pd.DataFrame, avatars: pd.DataFrame) -> list[dict[str, Any]]:
    """One item per column: does any avatar carry a value that exactly one original holds?"""
    items = []
    for column in original.columns:
        if column not in avatars.columns:
            continue
        counts = original[column].dropna().value_counts()
        singles = counts.index[counts == 1]
        carried = int(avatars[column].isin(singles).sum()) if len(singles) else 0
        reason = (
            f"{carried} of {len(avatars)} avatars carry a value that only one original holds"
            if carried
            else "no avatar carries a value that only one original holds"
        )
        remedy = f"drop, pseudonymize or group column {column!r} (keep grouped)"
        items.append(
            _item(
                f"verbatim_unique_values:{column}",
                carried == 0,
                reason,
                remedy,
                column=str(column),
                count=carried,
                rows=len(avatars),
            )
        )
    return items


def _set_aside_item(column: str, originals: pd.Series, released: pd.Series) -> dict[str, Any]:
    """A key or pseudonymized column of avatars the user brings: the server made none of its
    values, so any value an original holds is an identifier released as it was."""
    carried = int(released.isin(set(originals.dropna())).sum())
    reason = (
        f"{carried} of {len(released)} avatars carry an original value of this key or "
        "pseudonymized column"
        if carried
        else "no avatar carries an original value of this key or pseudonymized column"
    )
    return _item(
        f"original_identifiers:{column}",
        carried == 0,
        reason,
        f"replace column {column!r} in your avatars by new keys or pseudonyms, or drop it",
        column=column,
        count=carried,
        rows=len(released),
    )


def _tried_k(name: str, attacks: dict[str, Any]) -> list[dict[str, Any]]:
    """The audits made at a larger k that measured this attack, smallest k first."""
    return [entry for entry in attacks.get("raised_k") or [] if name in entry.get("passed", {})]


def _passing_k(name: str, attacks: dict[str, Any]) -> list[int]:
    """The larger k measured on the audit at which this attack passes, smallest first."""
    return [int(entry["k"]) for entry in _tried_k(name, attacks) if entry["passed"][name]]


def _raised_k_remedy(name: str, attacks: dict[str, Any]) -> str | None:
    """The k measured on the audit to defeat this attack, or that raising k did not."""
    tried = _tried_k(name, attacks)
    if not tried:
        return None
    passing = _passing_k(name, attacks)
    if passing:
        return f"raise k to {passing[0]} (measured on the audit release: the attack then passes)"
    largest = tried[-1]["k"]
    return f"raising k to {largest} did not defeat it (measured on the audit release)"


def _attack_remedy(name: str, attacks: dict[str, Any]) -> str:
    """What would defeat this attack: the k measured on the audit release when one was, then
    the columns that expose the records at risk (or, for inference, the secret column)."""
    parts = []
    measured = _raised_k_remedy(name, attacks)
    if measured is not None:
        parts.append(measured)
    if name == "attack_inference":
        inference = attacks.get("inference") or {}
        secret, feature = inference.get("secret"), inference.get("series_feature")
        if feature:
            what = (
                f"curves of variable {feature['variable']!r}"
                if feature.get("variable")
                else "lengths and times"
            )
            parts.append(
                f"the attacker infers the series' {what} ({secret!r}) from the others: make "
                f"the series of {feature['table']!r} coarser (fewer nb_points, or fpca with a "
                "smaller nf), or drop or group the persons' columns that give it away"
            )
        else:
            secrets = inference.get("secrets") or [secret]
            columns = " or ".join(map(repr, secrets))
            parts.append(
                f"drop, coarsen or group column{'s' if len(secrets) > 1 else ''} {columns} "
                f"(the attacker infers {'them' if len(secrets) > 1 else 'it'} from the others)"
            )
    else:
        remedies = (attacks.get("record_risk") or {}).get("remedies") or []
        parts += [
            str(remedy["advice"])
            for remedy in remedies
            if remedy.get("advice") and (measured is None or remedy.get("action") != "raise_k")
        ]
    return "; ".join(parts) if parts else _RAISE_K


def _not_run(reason: str) -> dict[str, Any]:
    return _item(
        "attacks_not_run",
        False,
        reason,
        "make the table attackable (more rows or columns for its k, no inter-record "
        "processor), or weigh what its privacy metrics say before sharing it",
    )


def _attack_items(attacks: dict[str, Any]) -> list[dict[str, Any]]:
    """One item per attack with a figure. An anonymeter risk passes on its point value; its
    interval is in the reason, so a reader sees when a small control set leaves it loose."""
    if "not_computed" in attacks:
        # The attacks were not run at all: the verdict cannot say the avatars resist them,
        # so it does not pass on their silence.
        return [_not_run(f"the attacks were not run: {attacks['not_computed']}")]
    if attacks and not attacks.get("passed"):
        # Every attack said why it could not be made: none of them measured anything.
        reasons = sorted(
            {
                str(found["not_computed"])
                for found in attacks.values()
                if isinstance(found, dict) and "not_computed" in found
            }
        )
        return [_not_run("no attack could be measured on this table: " + "; ".join(reasons))]
    items = []
    audit = attacks.get("audit") or {}
    if "not_computed" in audit:
        # The linkage and reconstruction attacks on the release still ran, but without an
        # audit nothing measured singling out, linkability or inference: no pass on silence.
        linked = bool(audit.get("group"))
        items.append(
            _item(
                "attack_audit_not_run",
                False,
                "singling out, linkability, inference and reconstruction risk were not measured "
                f"on this {'linked ' if linked else ''}table: {audit['not_computed']}",
                _audit_remedy(audit),
            )
        )
    passed = attacks.get("passed") or {}
    for name, (section, key) in ATTACK_FIGURES.items():
        if name not in passed:
            continue  # not computed: the attacks result says why
        found = attacks.get(section) or {}
        target = (attacks.get("targets") or {}).get(name)
        value = found.get(key)
        reason = f"{value} (target {target})"
        if "low" in found and "high" in found:
            reason = f"{value}, 95 % interval [{found['low']}, {found['high']}] (target {target})"
        items.append(
            _item(
                name,
                bool(passed[name]),
                reason,
                _attack_remedy(name, attacks),
                value=value,
                target=target,
                low=found.get("low"),
                high=found.get("high"),
                **_measured_k_facts(name, attacks, failed=not passed[name]),
            )
        )
    return items


def _measured_k_facts(name: str, attacks: dict[str, Any], *, failed: bool) -> dict[str, Any]:
    """A failed attack item's measured k: every larger k at which the audit passed it
    (``passes_at_k``) and the smallest (``raise_k_to``, None when none did); none for an item
    that passed."""
    passing = _passing_k(name, attacks) if failed else []
    return {"raise_k_to": passing[0] if passing else None, "passes_at_k": passing}


def _audit_remedy(audit: dict[str, Any]) -> str:
    """What to do about a table with no audit, by why it has none."""
    if audit.get("group"):
        return (
            "measure the table on its own (avatarize it without its links) to see what the "
            "audit attacks find, and weigh that before sharing the linked release"
        )
    if audit.get("brought"):
        return (
            "avatars brought from elsewhere cannot be audited (an audit makes avatars again the "
            "run's way, from part of the originals): make them with this server to have them "
            "attacked, or weigh what the privacy metrics and the linkage attack say before "
            "sharing them"
        )
    return (
        "make the table auditable as the reason says (an audit holds out a quarter of the "
        f"rows, at least {MIN_CONTROL_ROWS}, and avatarizes the rest at the run's k and "
        "processors: it needs more rows, no inter-record processor and avatars made by this "
        "run), or weigh what the privacy metrics and the linkage attack say before sharing it"
    )


def _view_items(view: dict[str, Any]) -> list[dict[str, Any]]:
    """The metric items of a linked table's further view (an enriched table, or the person
    behind a child row), named after the view so each reads apart from the table's own."""
    metadata = view.get("metadata") or {}
    where = f"{metadata.get('computation_type')}:{metadata.get('reference')}"
    return [
        item
        | {
            "name": f"{item['name']}@{where}",
            "metric": item["name"],
            "computation_type": metadata.get("computation_type"),
            "reference": metadata.get("reference"),
            "value": view.get(item["name"]),
            "target": (view.get("targets") or {}).get(item["name"]),
        }
        for item in _metric_items(view)
    ]


def table_verdict(
    metrics: list[dict[str, Any]],
    prepared: PreparedTable,
    avatars: pd.DataFrame,
    exclusion: ExcludeVariables | None,
    *,
    sensitive_links: Sequence[str] = (),
    set_aside: Mapping[str, tuple[pd.Series, pd.Series]] | None = None,
    attacks: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The verdict of one table from its privacy metrics (the official dicts: one, or one per
    view of a linked table, all of which must pass) and its released columns:
    ``prepared.data`` and ``avatars`` (row for row, typed alike) hold every column the shared
    avatars hold but the new keys and the pseudonyms, which never carry originals. A link
    re-attached in the original order (``sensitive_links``) copies who is linked to whom: it
    fails the verdict, whatever the metrics say. ``attacks`` is the table's attacks result
    (:func:`~avatar_server.jobs.attack_metrics.table_attacks`)."""
    items = _metric_items(metrics[0])
    for view in metrics[1:]:
        items += _view_items(view)
    items += _attack_items(attacks or {})
    items += _verbatim_items(prepared.data, avatars)
    for column, (originals, released) in (set_aside or {}).items():
        items.append(_set_aside_item(column, originals, released))
    if exclusion is not None and exclusion.replacement_strategy is ExcludeVariablesMethod.ROW_ORDER:
        names = ", ".join(exclusion.variable_names)
        items.append(
            _item(
                "row_order_reattachment",
                False,
                f"excluded variables ({names}) are put back in row order: each value stays on "
                "its own person's avatar, not anonymized",
                "use replacement_strategy coordinate_similarity, or drop or pseudonymize them",
                variables=list(exclusion.variable_names),
            )
        )
    for column in prepared.kept_as_is:
        items.append(
            _item(
                f"kept_as_is:{column}",
                False,
                f"column {column!r} identifies people by itself and was kept as is: the risk "
                "was acknowledged by the run's author",
                f"drop, pseudonymize or group column {column!r}",
                column=column,
            )
        )
    for link in sensitive_links:
        items.append(
            _item(
                f"sensitive_original_order_assignment:{link}",
                False,
                f"link {link} re-attaches each avatar child to the avatar of its original "
                "parent: the released keys copy the original graph (how many children each "
                "person has, and which rows belong to the same person)",
                "use linear_sum_assignment or minimum_distance_assignment for this link",
                link=link,
            )
        )
    status = PASS if all(item["passed"] for item in items) else FAIL
    return {"status": status, "items": items}
