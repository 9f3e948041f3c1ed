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

Each attack that cannot run on this table says why (``not_computed``) instead of a figure. The
targets (``results.ATTACK_TARGETS``) are the one place the verdict's attack items are decided.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
    estimate,
    inference_risks,
    linkability_risk,
    singling_out_risk,
)
from avatar_server.engine.attack_space import evaluator_space
from avatar_server.engine.metric_space import DEFAULT_METRIC_NCP
from avatar_server.engine.privacy_distances import local_cloaking_counts
from avatar_server.engine.record_risk import RecordSignals, record_risk
from avatar_server.engine.results import ATTACK_FIGURES, ATTACK_TARGETS, json_safe, passes
from avatar_server.jobs.attack_audit import Audit, AuditNotMade, audit_release
from avatar_server.jobs.tables import PreparedTable
from avatar_yaml import AvatarizationParameters

Progress = Callable[[str, float], None]

N_ATTACKS = 500
CLOAKING_CAP = 64


def _not_computed(reason: str) -> dict[str, Any]:
    return {"not_computed": reason}


def _risks(
    audit_train: pd.DataFrame,
    audit_avatars: pd.DataFrame,
    control: pd.DataFrame,
    *,
    seed: int,
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "singling_out": singling_out_risk(
            audit_train, audit_avatars, control, n_attacks=N_ATTACKS, seed=seed
        ).as_dict(),
        "linkability": linkability_risk(
            audit_train, audit_avatars, control, n_attacks=N_ATTACKS, seed=seed
        ).as_dict(),
    }
    per_secret: dict[str, RiskEstimate] = inference_risks(
        audit_train, audit_avatars, control, n_attacks=N_ATTACKS, seed=seed
    )
    if per_secret:
        worst = max(per_secret, key=lambda name: per_secret[name].value)
        found["inference"] = per_secret[worst].as_dict() | {
            "secret": worst,
            "per_secret": {name: risk.as_dict() for name, risk in per_secret.items()},
        }
    else:
        found["inference"] = _not_computed("the table has a single column: nothing to infer from")
    return found


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
        return estimate(0, n_train, 0, len(audit.control), 0, n_train).as_dict() | {"candidates": 0}
    chance = independent_candidates(audit.avatars, len(candidates), seed)
    # One projection of the people for both sets of records: the candidates, then chance's.
    space = evaluator_space(people, pd.concat([candidates, chance], ignore_index=True), None, seed)
    _, rebuilt = reconstructed_by(space.original, space.avatars[: len(candidates)])
    _, by_chance = reconstructed_by(space.original, space.avatars[len(candidates) :])
    risk = estimate(
        int(rebuilt[:n_train].sum()),
        n_train,
        int(rebuilt[n_train:].sum()),
        len(audit.control),
        int(by_chance[:n_train].sum()),
        n_train,
    )
    return risk.as_dict() | {"candidates": len(candidates)}


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
) -> dict[str, Any]:
    """The attacks on one table: ``original`` and ``avatars`` row for row (the measured
    columns), ``chosen`` the parameters the avatars were made with (None for avatars the user
    brings: no audit can replay them)."""
    report = progress or (lambda stage, fraction: None)
    columns: Sequence[str] = list(original.columns)
    found: dict[str, Any] = {}
    report("attacks: audit release", 0.0)
    if chosen is None:
        reason = "the avatars were brought, not made by this server: no audit can replay them"
        found["audit"] = _not_computed(reason)
    else:
        try:
            audit = audit_release(table, chosen, columns, seed=seed)
        except AuditNotMade as why:
            found["audit"] = _not_computed(str(why))
        else:
            found["audit"] = audit.facts()
            report("attacks: singling out, linkability, inference", 0.3)
            found |= _risks(audit.train, audit.avatars, audit.control, seed=seed)
            found["reconstruction_risk"] = _reconstruction_risk(audit, seed=seed)
    if "not_computed" in found["audit"]:
        for name in ("singling_out", "linkability", "inference", "reconstruction_risk"):
            found[name] = _not_computed(found["audit"]["not_computed"])
    report("attacks: linkage", 0.6)
    linkage = linkage_attack(original, avatars, seed=seed)
    chosen_space = strongest(linkage)
    found["linkage"] = chosen_space.as_dict() | {
        "spaces": {result.space: result.as_dict() for result in linkage}
    }
    report("attacks: reconstruction", 0.8)
    reconstruction = reconstruction_attack(original, avatars, seed=seed)
    found["reconstruction"] = reconstruction.as_dict()
    space = evaluator_space(original, avatars, DEFAULT_METRIC_NCP, seed)
    linked = np.zeros(len(original), dtype=np.bool_)
    linked[chosen_space.targets] = chosen_space.top1_success >= 0.5
    signals = RecordSignals(
        local_cloaking=local_cloaking_counts(space.original, space.avatars, CLOAKING_CAP),
        linked_top1=linked,
        reconstructed=reconstruction.reconstructed_originals,
        linkage_targets=len(chosen_space.targets),
        reconstructed_by_chance=reconstruction.chance_recall * len(original),
    )
    found["record_risk"] = record_risk(
        signals, original=original, k=chosen.k if chosen is not None else None
    ).as_dict()
    found["targets"] = dict(ATTACK_TARGETS)
    found["passed"] = _passed(found)
    report("attacks", 1.0)
    return dict(json_safe(found))
