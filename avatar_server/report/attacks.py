"""The attacks section of a table in the report: one row per attack, as the metrics tables
print theirs, and the notes that say what the figures rest on (the audit release, what could
not be computed, how many originals are poorly covered). Counts and column names only: the
report never shows a record."""

from __future__ import annotations

from typing import Any

from avatar_server.engine.results import ATTACK_FIGURES
from avatar_server.report.formatting import format_number, format_target
from avatar_server.report.translations import METRICS, STRINGS


def _detail(name: str, attacks: dict[str, Any], language: str) -> str | None:
    """What the row's one figure leaves out (the other rates, the secret column, the
    reconstruction of the released avatars themselves)."""
    t = STRINGS[language]
    found = attacks.get(ATTACK_FIGURES[name][0]) or {}
    if name == "attack_linkage":
        return t["attacks_linkage_detail"].format(
            top5=format_number(found.get("top5"), language),
            chance1=format_number(found.get("chance_top1"), language),
            chance5=format_number(found.get("chance_top5"), language),
        )
    release = attacks.get("reconstruction") or {}
    if name == "attack_reconstruction" and "candidates" in release:
        return t["attacks_reconstruction_detail"].format(
            reconstructed=format_number(release.get("reconstructed"), language),
            candidates=format_number(release.get("candidates"), language),
            precision=format_number(release.get("precision"), language),
            recall=format_number(release.get("recall"), language),
            chance=format_number(release.get("chance_recall"), language),
        )
    if name == "attack_inference" and found.get("secret") is not None:
        columns = ", ".join(map(str, found.get("secrets") or [found["secret"]]))
        return t["attacks_inference_detail"].format(column=columns)
    return None


def attack_rows(attacks: dict[str, Any], language: str) -> list[dict[str, Any]]:
    """One row per attack, in the shape of ``builder.metric_rows``: the risk with its
    interval where it has one, the target and whether it is met, or why it was not computed."""
    t = STRINGS[language]
    rows = []
    passed = attacks.get("passed") or {}
    for name, (section, key) in ATTACK_FIGURES.items():
        found = attacks.get(section) or {}
        text = METRICS[language][name]
        value = format_number(found.get(key), language)
        if found.get("low") is not None and found.get("high") is not None:
            value = t["attacks_interval"].format(
                value=value,
                low=format_number(found["low"], language),
                high=format_number(found["high"], language),
            )
        reason, reason_lang = _detail(name, attacks, language), language
        if "not_computed" in found:  # the server's own words
            reason, reason_lang = found["not_computed"], "en"
        status = "not_computed"
        if name in passed:
            status = "met" if passed[name] else "not_met"
        rows.append(
            {
                "name": name,
                "label": text.label,
                "meaning": text.meaning,
                "value": value,
                "target": format_target((attacks.get("targets") or {}).get(name), language),
                "status": status,
                "reason": reason,
                "reason_lang": reason_lang,
            }
        )
    return rows


def _record_note(risk: dict[str, Any], language: str) -> str:
    t = STRINGS[language]
    return t["attacks_records"].format(
        at_risk=format_number(risk.get("at_risk"), language),
        n=format_number(risk.get("n"), language),
        worst=format_number(risk.get("worst_covered"), language),
        linked=format_number(risk.get("linked_top1"), language),
        rebuilt=format_number(risk.get("reconstructed"), language),
        beyond=format_number(risk.get("reconstructed_beyond_chance"), language),
        chance=format_number(risk.get("reconstructed_by_chance"), language, decimals=0),
    )


def attack_notes(attacks: dict[str, Any], language: str) -> list[str]:
    """What the figures rest on (the audit release's sizes, or why there is none), and how
    many originals are at risk, with what would cover them (in the server's words: they name
    the table's own columns and k)."""
    t = STRINGS[language]
    if "not_computed" in attacks:
        return [t["attacks_not_computed"].format(reason=attacks["not_computed"])]
    audit = attacks.get("audit") or {}
    notes = []
    if "not_computed" in audit:
        notes.append(t["attacks_not_computed"].format(reason=audit["not_computed"]))
    else:
        key = "attacks_audit_sampled" if audit.get("sampled") else "attacks_audit"
        notes.append(
            t[key].format(
                train=format_number(audit.get("train_rows"), language),
                control=format_number(audit.get("control_rows"), language),
                rows=format_number(audit.get("table_rows"), language),
                seed=audit.get("seed"),
            )
        )
        notes += _held_out_notes(audit.get("held_out"), language)
    risk = attacks.get("record_risk")
    if risk:
        notes.append(_record_note(risk, language))
    return notes


def _held_out_notes(held_out: dict[str, Any] | None, language: str) -> list[str]:
    """Whose persons a linked or series group's audit held out, with all their rows."""
    if not held_out:
        return []
    t = STRINGS[language]
    notes = [
        t["attacks_audit_persons"].format(
            persons=held_out.get("persons"),
            held_out=format_number(held_out.get("persons_held_out"), language),
            kept=format_number(held_out.get("persons_in_audit"), language),
        )
    ]
    if held_out.get("rows_in_neither"):
        neither = format_number(held_out["rows_in_neither"], language)
        notes.append(t["attacks_audit_neither"].format(neither=neither))
    return notes


def attack_remedies(attacks: dict[str, Any]) -> list[str]:
    """What the per-record risk found would cover the originals at risk."""
    remedies = (attacks.get("record_risk") or {}).get("remedies") or []
    return [str(remedy.get("advice")) for remedy in remedies if remedy.get("advice")]
