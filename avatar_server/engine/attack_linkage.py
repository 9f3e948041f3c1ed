"""The method-aware linkage attack: an attacker holding one real record finds its avatar.

The attacker knows every column of one original and ranks the avatars by distance to it; the
bet is that the closest is that record's avatar. An avatar is mixed from its original's
neighbours, so it lies near them: the bet wins far more often than chance (1/n) when ``k`` is
small. Two spaces are measured: the attacker's realistic one (a projection fitted on the
avatars alone, the record placed in it) and the evaluator's (the originals' projection, as the
hidden rate uses); a verdict should take the stronger.

Ranks are counted with a bounded kd-tree query (avatars strictly closer than the own one, up
to ``RANK_CAP``), never with an n × n distance matrix. Ties (duplicate rows are common in
tables of small integers) are counted too: the attacker picks among tied avatars at random,
so top-m success is a probability per record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from avatar_server.engine.attack_space import (
    FloatArray,
    IntArray,
    attacker_space,
    check_ncp,
    check_pair,
    evaluator_space,
)
from avatar_server.engine.metric_space import DEFAULT_METRIC_NCP

SPACES = ("avatars_famd", "originals_famd")
DEFAULT_MAX_TARGETS = 5000
RANK_CAP = 100
"""Ranks (avatars closer than the own one) are counted up to this: beyond it a record is far
from linked, and counting every closer avatar would cost n per record."""
_QUERY_CHUNK = 2000
# Two distances closer than this (relative) are a tie, as in the hidden rate.
_TIE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class LinkageResult:
    """How often the record's own avatar ranks first (top 1) or in the first five (top 5)."""

    top1: float
    top5: float
    chance_top1: float
    chance_top5: float
    n: int
    """Avatars ranked (the table's rows)."""
    space: str
    """``avatars_famd`` (the attacker's) or ``originals_famd`` (the evaluator's)."""
    targets: IntArray
    """The original rows attacked (every row, or a seeded sample of ``max_targets``)."""
    own_rank: IntArray
    """Per target: avatars strictly closer than its own (0 = its own avatar is the closest),
    ``RANK_CAP`` meaning that many or more."""
    own_ties: IntArray = field(repr=False)
    """Per target: avatars exactly as close as its own, the own one included (1 to
    ``RANK_CAP``)."""

    @property
    def top1_success(self) -> FloatArray:
        """Per target: the chance the attacker's first pick is its own avatar."""
        return success_probability(self.own_rank, self.own_ties, 1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "space": self.space,
            "top1": self.top1,
            "top5": self.top5,
            "chance_top1": self.chance_top1,
            "chance_top5": self.chance_top5,
            "lift_top1": self.top1 / self.chance_top1,
            "n": self.n,
            "targets": len(self.targets),
            "linked_top1": int(np.count_nonzero(self.top1_success >= 0.5)),
        }


def success_probability(rank: IntArray, ties: IntArray, m: int) -> FloatArray:
    """The chance the own avatar is among the attacker's first ``m`` picks, when ``rank``
    avatars are strictly closer and ``ties`` (the own one included) are tied with it."""
    free = np.clip(m - rank, 0, None)
    return np.asarray(np.minimum(1.0, free / ties), dtype=np.float64)


def own_ranks(
    records: FloatArray, avatars: FloatArray, targets: IntArray, cap: int = RANK_CAP
) -> tuple[IntArray, IntArray]:
    """Per target row ``i``: avatars strictly closer to ``records[i]`` than ``avatars[i]``, and
    avatars tied with it (itself included), both counted up to ``cap``.

    A bounded k-nearest query on a kd-tree, in chunks: memory is chunk × cap, and a target
    whose avatar lies far (thousands of avatars closer) costs no more than one that is near.
    Only ranks below 5 decide top 1 and top 5; ties beyond ``cap`` would change a success of
    1/ties by less than 1/cap.
    """
    tree = cKDTree(avatars, leafsize=32)
    k = min(cap + 1, len(avatars))
    ranks = np.empty(len(targets), dtype=np.int64)
    ties = np.empty(len(targets), dtype=np.int64)
    for start in range(0, len(targets), _QUERY_CHUNK):
        rows = targets[start : start + _QUERY_CHUNK]
        own = np.sqrt(np.sum((records[rows] - avatars[rows]) ** 2, axis=1))
        slack = _TIE_TOLERANCE * own + 1e-12
        found, _ = tree.query(
            records[rows], k=k, distance_upper_bound=float(np.max(own + slack)) * 1.0001
        )
        found = np.asarray(found, dtype=np.float64).reshape(len(rows), k)
        below = np.count_nonzero(found < (own - slack)[:, None], axis=1)
        within = np.count_nonzero(found <= (own + slack)[:, None], axis=1)
        ranks[start : start + len(rows)] = np.minimum(below, cap)
        ties[start : start + len(rows)] = np.clip(within - below, 1, cap)
    return ranks, ties


def _targets(n: int, max_targets: int, seed: int) -> IntArray:
    if n <= max_targets:
        return np.arange(n, dtype=np.int64)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 19]))
    return np.sort(rng.choice(n, size=max_targets, replace=False)).astype(np.int64)


def _result(
    space: str, records: FloatArray, avatars: FloatArray, targets: IntArray
) -> LinkageResult:
    n = len(avatars)
    rank, ties = own_ranks(records, avatars, targets)
    return LinkageResult(
        top1=float(np.mean(success_probability(rank, ties, 1))),
        top5=float(np.mean(success_probability(rank, ties, 5))),
        chance_top1=1.0 / n,
        chance_top5=min(1.0, 5.0 / n),
        n=n,
        space=space,
        targets=targets,
        own_rank=rank,
        own_ties=ties,
    )


def linkage_attack(
    original: pd.DataFrame,
    unshuffled: pd.DataFrame,
    *,
    ncp: int | None = None,
    seed: int,
    max_targets: int = DEFAULT_MAX_TARGETS,
) -> list[LinkageResult]:
    """The linkage attack in the attacker's space, then in the evaluator's.

    ``unshuffled`` row ``i`` is the avatar of ``original`` row ``i``. ``ncp``: axes of both
    projections (None: the method's 5, those the avatars were mixed on; on wbcd every axis
    linked two to three times less, the other axes holding mostly the residual noise).
    Above ``max_targets`` rows, a seeded sample of that many originals is attacked
    (each still against every avatar): the rates' standard error stays under 0.7 points.
    """
    check_pair(original, unshuffled, paired=True)
    check_ncp(ncp)
    if isinstance(max_targets, bool) or not isinstance(max_targets, int) or max_targets < 1:
        raise ValueError(f"max_targets must be a positive integer, got {max_targets!r}")
    targets = _targets(len(original), max_targets, seed)
    axes = DEFAULT_METRIC_NCP if ncp is None else ncp
    avatar_coords, record_coords = attacker_space(unshuffled, original, axes, seed)
    evaluator = evaluator_space(original, unshuffled, axes, seed)
    return [
        _result("avatars_famd", record_coords, avatar_coords, targets),
        _result("originals_famd", evaluator.original, evaluator.avatars, targets),
    ]


def strongest(results: list[LinkageResult]) -> LinkageResult:
    """The result the verdict uses: the space where the attack linked most at top 1."""
    if not results:
        raise ValueError("no linkage result to choose from")
    return max(results, key=lambda result: (result.top1, result.top5))
