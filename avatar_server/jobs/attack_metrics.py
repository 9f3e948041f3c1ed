"""The attacks a table's avatars are put through, as the privacy job writes them.

Distance metrics (hidden rate, local cloaking...) say how far avatars sit from their originals;
they do not say what an attacker can do with them. This module runs the attacks themselves:

- singling out, linkability and inference risk, the anonymeter way, on an audit release of the
  same parameters against originals held out of it (:mod:`attack_audit`);
- the linkage attack on the released avatars: one real record in hand, rank the avatars;
- the reconstruction attack: rebuild records from the avatars alone; on the released avatars
  (precision, recall, against records drawn column by column), and on the audit release,
  where the records rebuilt among people in the data are set against those rebuilt among
  people held out (the risk the verdict judges: the rule grants many "reconstructions" to any
  record that looks like the population);
- per-record risk: how many originals are poorly covered, and what would cover them.

A linked or series group's tables are attacked by the same functions
(:func:`release_attacks`), on an audit that holds out whole persons with all their rows
(:mod:`group_audit`, :mod:`group_attacks`).

Each attack that cannot run on this table says why (``not_computed``) instead of a figure. The
targets (``results.ATTACK_TARGETS``) are the one place the verdict's attack items are decided.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from avatar_server.engine.attack_linkage import linkage_attack, strongest
from avatar_server.engine.attack_reconstruction import (
    independent_candidates,
    propose_candidates,
    reconstructed_by,
    reconstruction_attack,
)
from avatar_server.engine.attack_risks import (
    RiskEstimate,
    WorstSecret,
    estimate,
    linkability_risk,
    singling_out_risk,
    worst_inference,
)
from avatar_server.engine.attack_space import evaluator_space
from avatar_server.engine.avatarize import DEFAULT_BATCH_ROWS
from avatar_server.engine.record_risk import record_risk, signals_of_attacks
from avatar_server.engine.results import ATTACK_FIGURES, ATTACK_TARGETS, json_safe, passes
from avatar_server.jobs.attack_audit import Audit, AuditNotMade, audit_release
from avatar_server.jobs.tables import PreparedTable
from avatar_yaml import AvatarizationParameters

Progress = Callable[[str, float], None]

N_ATTACKS = 500
SINGLING_OUT_COLUMNS = 3


def _not_computed(reason: str) -> dict[str, Any]:
    return {"not_computed": reason}


def _attempt(attack: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """One attack's figures, or why it could not be measured on this table (too few columns,
    avatars too alike to propose a record from...): one attack never fails the whole job."""
    try:
        return attack()
    except ValueError as why:
        return _not_computed(str(why))


def _judged(risk: RiskEstimate, what: str) -> dict[str, Any]:
    """A risk as the result holds it; with no attack made (no query could be formed) nothing
    is measured, which is said rather than read as a risk of 0."""
    if risk.n_attacks == 0 or risk.n_control_attacks == 0:
        return _not_computed(f"no {what} attack could be made on this table")
    return risk.as_dict()


def _inference(worst: WorstSecret) -> dict[str, Any]:
    return _judged(worst.risk, "inference") | {
        "secret": worst.secret,
        "secrets": list(worst.secrets),
        "picked": list(worst.picked),
        "clear": worst.clear,
        "per_secret": {name: risk.as_dict() for name, risk in worst.per_secret.items()},
    }


def _audit_attacks(audit: Audit, *, seed: int, only: set[str] | None = None) -> dict[str, Any]:
    """The attacks measured on an audit release (``only``: those sections), each a figure or
    why not."""
    sides = (audit.train, audit.avatars, audit.control)
    columns = min(SINGLING_OUT_COLUMNS, audit.train.shape[1])
    attacks: dict[str, Callable[[], dict[str, Any]]] = {
        "singling_out": lambda: _judged(
            singling_out_risk(
                *sides, n_attacks=N_ATTACKS, n_columns=columns, seed=seed, paired=True
            ),
            "singling-out",
        ),
        "linkability": lambda: _judged(
            linkability_risk(*sides, n_attacks=N_ATTACKS, seed=seed), "linkability"
        ),
        "inference": lambda: _inference(worst_inference(*sides, n_attacks=N_ATTACKS, seed=seed)),
        "reconstruction_risk": lambda: _reconstruction_risk(audit, seed=seed),
    }
    return {
        name: _attempt(attack) for name, attack in attacks.items() if only is None or name in only
    }


def _reconstruction_risk(audit: Audit, *, seed: int) -> dict[str, Any]:
    """The reconstruction attack the anonymeter way: candidates proposed from the audit
    avatars, scored against the audit's originals and its held-out ones alike. A candidate
    near a held-out person reflects what the population looks like; the risk is the excess
    of people in the data rebuilt over people not in it. The baseline is as many records
    drawn column by column from the audit avatars."""
    people = pd.concat([audit.train, audit.control], ignore_index=True)
    n_train = len(audit.train)
    candidates = propose_candidates(audit.avatars, seed=seed)
    if len(candidates) == 0:
        return _not_computed("the audit avatars are too alike to propose a record from")
    chance = independent_candidates(audit.avatars, len(candidates), seed)
    # One projection of the people for both sets of records: the candidates, then chance's.
    space = evaluator_space(people, pd.concat([candidates, chance], ignore_index=True), None, seed)
    _, rebuilt = reconstructed_by(space.original, space.avatars[: len(candidates)])
    _, by_chance = reconstructed_by(space.original, space.avatars[len(candidates) :])
    # As many people counted on each side (see attack_risks: unequal counts bias the risk).
    n_control = len(audit.control)
    counted = np.random.default_rng([seed, 29]).choice(n_train, size=n_control, replace=False)
    risk = estimate(
        int(rebuilt[counted].sum()),
        n_control,
        int(rebuilt[n_train:].sum()),
        n_control,
        int(by_chance[counted].sum()),
        n_control,
    )
    return risk.as_dict() | {"candidates": len(candidates)}


AUDIT_ATTACKS = ("singling_out", "linkability", "inference", "reconstruction_risk")
RAISED_K_FACTORS = (2, 4)

AuditAt = Callable[[int], Audit]
"""The audit release made the run's way at a given k (raises :class:`AuditNotMade`): a single
table's (:func:`audit_release`) or one table's of a linked or series group's audit
(:mod:`group_audit`), so both paths are attacked and raised the same way."""


def _raised_k(audit_at: AuditAt, k: int, failing: set[str], *, seed: int) -> list[dict[str, Any]]:
    """What a larger k does to the audit attacks that fail: the same audit at 2k, then 4k,
    until they pass or the table is too small; so the remedy "raise k" names a measured k, or
    says that raising it does not help (then the columns must change)."""
    tried = []
    for factor in RAISED_K_FACTORS:
        raised = k * factor
        try:
            audit = audit_at(raised)
        except AuditNotMade:
            break
        sections = {ATTACK_FIGURES[name][0] for name in failing}
        judged = _passed(_audit_attacks(audit, seed=seed, only=sections))
        values = {name: judged[name] for name in failing if name in judged}
        tried.append({"k": raised, "passed": values})
        if all(values.values()):
            break
    return tried


def _passed(found: dict[str, Any]) -> dict[str, bool]:
    """Each attack with a figure against its target (an attack not computed is not judged)."""
    judged = {}
    for name, (section, key) in ATTACK_FIGURES.items():
        value = (found.get(section) or {}).get(key)
        if value is not None:
            judged[name] = passes(value, ATTACK_TARGETS[name])
    return judged


def table_attacks(
    table: PreparedTable,
    chosen: AvatarizationParameters | None,
    original: pd.DataFrame,
    avatars: pd.DataFrame,
    *,
    seed: int,
    progress: Progress | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> dict[str, Any]:
    """The attacks on one single table: ``original`` and ``avatars`` row for row (the measured
    columns), ``chosen`` the parameters the avatars were made with (None for avatars the user
    brings: no audit can replay them)."""
    if chosen is None:
        reason = "the avatars were brought, not made by this server: no audit can replay them"
        found = release_attacks(
            original, avatars, audit=reason, k=None, seed=seed, progress=progress
        )
        found.setdefault("audit", {})["brought"] = True  # the verdict's remedy says so
        return found
    columns: Sequence[str] = list(original.columns)

    def audit_at(k: int) -> Audit:
        made = replace(chosen, k=k)
        return audit_release(table, made, columns, seed=seed, batch_rows=batch_rows)

    return release_attacks(
        original, avatars, audit=audit_at, k=chosen.k, seed=seed, progress=progress
    )


def release_attacks(
    original: pd.DataFrame,
    avatars: pd.DataFrame,
    *,
    audit: AuditAt | str,
    k: int | None,
    seed: int,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The attacks on one table's release: ``original`` and ``avatars`` row for row (the
    measured columns); ``audit`` makes its audit release at a given k (the run's ``k`` first,
    larger ones for the remedy), or says why the table has none; ``k`` (None for avatars the
    user brings) also sets the per-record risk's remedies."""
    report = progress or (lambda stage, fraction: None)
    found: dict[str, Any] = {}
    report("attacks: audit release", 0.0)
    if isinstance(audit, str):
        found["audit"] = _not_computed(audit)
    else:
        assert k is not None  # an audit replays parameters, which have a k
        try:
            made = audit(k)
        except AuditNotMade as why:
            found["audit"] = _not_computed(str(why))
        else:
            found["audit"] = made.facts()
            report("attacks: singling out, linkability, inference", 0.3)
            found |= _audit_attacks(made, seed=seed)
            failing = {name for name, passed in _passed(found).items() if not passed}
            if failing:
                report("attacks: the same audit at a larger k", 0.5)
                found["raised_k"] = _raised_k(audit, k, failing, seed=seed)
    if "not_computed" in found["audit"]:
        for name in AUDIT_ATTACKS:
            found[name] = _not_computed(found["audit"]["not_computed"])
    report("attacks: linkage", 0.6)
    strongest_linkage = None
    try:
        linkage = linkage_attack(original, avatars, seed=seed)
    except ValueError as why:
        found["linkage"] = _not_computed(str(why))
    else:
        strongest_linkage = strongest(linkage)
        found["linkage"] = strongest_linkage.as_dict() | {
            "spaces": {result.space: result.as_dict() for result in linkage}
        }
    report("attacks: reconstruction", 0.8)
    reconstruction = None
    try:
        reconstruction = reconstruction_attack(original, avatars, seed=seed)
    except ValueError as why:
        found["reconstruction"] = _not_computed(str(why))
    else:
        found["reconstruction"] = reconstruction.as_dict()
    found["record_risk"] = _attempt(
        lambda: record_risk(
            signals_of_attacks(original, avatars, strongest_linkage, reconstruction, seed=seed),
            original=original,
            k=k,
        ).as_dict()
    )
    found["targets"] = dict(ATTACK_TARGETS)
    found["passed"] = _passed(found)
    report("attacks", 1.0)
    return dict(json_safe(found))
