"""The reconstruction attack: from the avatars alone, propose records that are real ones.

Each avatar is a weighted mix of ``k`` originals' coordinates (plus residual noise), and each
original takes part in about ``k`` avatars: avatars that share an original lean towards it. The
attacker groups each avatar with its nearest avatars (in a projection fitted on the avatars)
and decodes the group into one candidate record: per numeric column the group member's value
nearest the group's mean (so a candidate holds values the avatars hold: integers stay
integers), per categorical column the group's most common value. Several group sizes are
proposed at once, duplicates removed.

Success is judged by the evaluator, who alone sees the originals: a candidate reconstructs
original ``j`` when, in the originals' projection on every axis, it lies strictly closer to
``j`` than ``j``'s nearest other original. Precision is reconstructed candidates / candidates,
recall distinct originals reconstructed / originals. An original with an exact duplicate
(nearest other at distance 0) cannot be reconstructed under this rule: it does not single
anyone out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from avatar_server.engine.attack_space import (
    BoolArray,
    FloatArray,
    IntArray,
    attacker_space,
    check_ncp,
    check_pair,
    evaluator_space,
)
from avatar_server.engine.codec import TableCodec, with_text_labels
from avatar_server.engine.columns import NUMERIC_KINDS, column_numbers
from avatar_server.engine.metric_space import DEFAULT_METRIC_NCP

DEFAULT_GROUP_SIZES: tuple[int, ...] = (1, 2, 3, 5, 8)
DEFAULT_COMMON_LIMIT = 3
_CHECKED_ORIGINALS = 16
_QUERY_CHUNK = 5000


@dataclass(frozen=True)
class ReconstructionResult:
    """How many proposed records were real ones, and which originals they were."""

    candidates: int
    reconstructed: int
    precision: float
    recall: float
    n: int
    reconstructed_originals: BoolArray
    """Per original row: some candidate reconstructed it."""
    chance_precision: float
    chance_recall: float
    """The same counts for as many records drawn column by column, independently, from the
    avatars' values: what the rule grants without any link between columns."""
    chance_originals: BoolArray
    """Per original row: one of those records drawn column by column reconstructed it."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "candidates": self.candidates,
            "reconstructed": self.reconstructed,
            "precision": self.precision,
            "recall": self.recall,
            "n": self.n,
            "originals_reconstructed": int(np.count_nonzero(self.reconstructed_originals)),
            "chance_precision": self.chance_precision,
            "chance_recall": self.chance_recall,
        }


def _groups(coords: FloatArray, sizes: Sequence[int]) -> list[IntArray]:
    """Per size ``s``: each avatar with its ``s - 1`` nearest others (rows of an index array),
    groups holding the same avatars kept once."""
    largest = max(sizes)
    tree = cKDTree(coords, leafsize=32)
    k = min(largest, len(coords))
    _, found = tree.query(coords, k=k, workers=1)
    found = np.asarray(found, dtype=np.int64).reshape(len(coords), k)
    own = np.arange(len(coords))
    # The avatar itself first, even when duplicates tie with it at distance 0.
    found = np.where(found == own[:, None], found[:, :1], found)
    found[:, 0] = own
    groups = []
    for size in sorted(set(sizes)):
        members = found[:, : min(size, k)]
        unique = np.unique(np.sort(members, axis=1), axis=0)
        groups.append(unique)
    return groups


def _decode(avatars: pd.DataFrame, codec: TableCodec, members: IntArray) -> pd.DataFrame:
    """One record per group (rows of ``members``): per numeric column the member's value
    nearest the group's mean (gaps when most members have a gap), per other column the most
    common value among members (the first member's on a tie)."""
    columns: dict[str, Any] = {}
    width = members.shape[1]
    for info in codec.columns:
        series = avatars[info.name]
        if info.kind in NUMERIC_KINDS:
            values = column_numbers(series, info)[members]
            gaps = np.isnan(values)
            mostly_gaps = gaps.sum(axis=1) * 2 > width
            safe = np.where(gaps, 0.0, values)
            counts = np.maximum((~gaps).sum(axis=1), 1)
            mean = safe.sum(axis=1) / counts
            distance = np.where(gaps, np.inf, np.abs(values - mean[:, None]))
            pick = members[np.arange(len(members)), np.argmin(distance, axis=1)]
            with_gap = members[np.arange(len(members)), np.argmax(gaps, axis=1)]
            pick = np.where(mostly_gaps, with_gap, pick)
        else:
            codes, _ = pd.factorize(series, use_na_sentinel=False)
            held = codes[members]
            agree = (held[:, :, None] == held[:, None, :]).sum(axis=2)
            pick = members[np.arange(len(members)), np.argmax(agree, axis=1)]
        columns[info.name] = series.iloc[pick].reset_index(drop=True)
    return pd.DataFrame(columns)


def propose_candidates(
    avatars: pd.DataFrame,
    *,
    seed: int,
    ncp: int | None = None,
    group_sizes: Sequence[int] = DEFAULT_GROUP_SIZES,
    common_limit: int | None = DEFAULT_COMMON_LIMIT,
) -> pd.DataFrame:
    """The attacker's candidate records, from the avatars alone (duplicates removed).

    ``ncp``: axes of the avatars' projection the groups are formed in (None: the method's 5).
    ``common_limit``: candidates that as many avatars hold exactly are dropped (None: none
    is): a record that frequent is a common pattern, usually shared by several originals,
    and cannot single one out (on wbcd at k = 2 none of those reconstructed anyone).
    """
    if common_limit is not None and (
        isinstance(common_limit, bool) or not isinstance(common_limit, int) or common_limit < 2
    ):
        raise ValueError(
            f"common_limit must be an integer of at least 2 or None, got {common_limit!r}"
        )
    if not group_sizes or any(
        isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in group_sizes
    ):
        raise ValueError(f"group_sizes must be positive integers, got {list(group_sizes)!r}")
    avatars = with_text_labels(avatars).reset_index(drop=True)
    check_ncp(ncp)
    axes = DEFAULT_METRIC_NCP if ncp is None else ncp
    coords, _ = attacker_space(avatars, avatars.iloc[:1], axes, seed)
    codec = TableCodec.fit(avatars)
    parts = [_decode(avatars, codec, members) for members in _groups(coords, group_sizes)]
    candidates = pd.concat(parts, ignore_index=True).drop_duplicates(ignore_index=True)
    if common_limit is None:
        return candidates
    held = _times_held(candidates, avatars)
    return candidates[held < common_limit].reset_index(drop=True)


def _times_held(candidates: pd.DataFrame, avatars: pd.DataFrame) -> IntArray:
    """Per candidate: the avatars that are exactly that record."""
    both = pd.concat([candidates, avatars], ignore_index=True)
    codes = both.groupby(list(both.columns), dropna=False, sort=False).ngroup().to_numpy()
    counts = np.bincount(codes[len(candidates) :], minlength=int(codes.max()) + 1)
    return np.asarray(counts[codes[: len(candidates)]], dtype=np.int64)


def independent_candidates(avatars: pd.DataFrame, count: int, seed: int) -> pd.DataFrame:
    """The chance yardstick: ``count`` records whose columns are drawn independently from
    the avatars' values (each column's distribution kept, every link between columns lost)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 23]))
    avatars = avatars.reset_index(drop=True)
    return pd.DataFrame(
        {
            name: avatars[name].iloc[rng.integers(0, len(avatars), count)].reset_index(drop=True)
            for name in avatars.columns
        }
    )


def score_candidates(
    original: pd.DataFrame, candidates: pd.DataFrame, seed: int
) -> tuple[BoolArray, BoolArray]:
    """Per candidate: it reconstructs some original; per original: some candidate does."""
    space = evaluator_space(original, candidates, None, seed)
    return reconstructed_by(space.original, space.avatars)


def reconstructed_by(originals: FloatArray, candidates: FloatArray) -> tuple[BoolArray, BoolArray]:
    """Per candidate: it lies strictly closer to some original than that original's nearest
    other original; per original: some candidate does so.

    Each candidate is checked against its ``_CHECKED_ORIGINALS`` nearest originals (kd-tree
    queries in chunks, no n × n matrix): an original farther than 16 others from a candidate
    would need an uncommonly lonely place for the candidate to be nearer to it than its own
    nearest neighbour.
    """
    tree = cKDTree(originals, leafsize=32)
    n = len(originals)
    others, _ = tree.query(originals, k=min(2, n), workers=1)
    nearest_other = np.asarray(others, dtype=np.float64).reshape(n, -1)[:, -1]
    k = min(_CHECKED_ORIGINALS, n)
    hit = np.zeros(len(candidates), dtype=bool)
    found = np.zeros(n, dtype=bool)
    for start in range(0, len(candidates), _QUERY_CHUNK):
        block = candidates[start : start + _QUERY_CHUNK]
        distance, index = tree.query(block, k=k, workers=1)
        distance = np.asarray(distance, dtype=np.float64).reshape(len(block), k)
        index = np.asarray(index, dtype=np.int64).reshape(len(block), k)
        inside = distance < nearest_other[index] * (1 - 1e-9)
        hit[start : start + len(block)] = inside.any(axis=1)
        found[index[inside]] = True
    return hit, found


def reconstruction_attack(
    original: pd.DataFrame,
    avatars: pd.DataFrame,
    *,
    seed: int,
    ncp: int | None = None,
    group_sizes: Sequence[int] = DEFAULT_GROUP_SIZES,
    common_limit: int | None = DEFAULT_COMMON_LIMIT,
) -> ReconstructionResult:
    """Propose candidates from ``avatars`` (the shuffled ones will do: the attacker never uses
    the row link) and count those that are real records of ``original``.

    ``ncp``: axes of the attacker's projection the groups are formed in (None: the method's
    own 5, where the avatars were mixed; 2, 3, 8 and every axis did no better on wbcd and
    iris, docs/attacks.md). ``group_sizes``: the group sizes proposed (1: the
    avatars themselves). ``common_limit``: see :func:`propose_candidates`.
    """
    check_pair(original, avatars, paired=False)
    check_ncp(ncp)
    original = with_text_labels(original).reset_index(drop=True)
    avatars = with_text_labels(avatars).reset_index(drop=True)
    candidates = propose_candidates(
        avatars,
        seed=seed,
        ncp=ncp,
        group_sizes=group_sizes,
        common_limit=common_limit,
    )
    if len(candidates) == 0:
        raise ValueError(
            "the attack proposed no candidate: every record is held by at least "
            f"{common_limit} avatars; pass a larger common_limit, or None"
        )
    chance = independent_candidates(avatars, len(candidates), seed)
    # One projection of the originals places both sets of candidates.
    space = evaluator_space(
        original, pd.concat([candidates, chance], ignore_index=True), None, seed
    )
    count = len(candidates)
    hit, found = reconstructed_by(space.original, space.avatars[:count])
    chance_hit, chance_found = reconstructed_by(space.original, space.avatars[count:])
    reconstructed = int(np.count_nonzero(hit))
    return ReconstructionResult(
        candidates=count,
        reconstructed=reconstructed,
        precision=reconstructed / count,
        recall=float(np.count_nonzero(found)) / len(original),
        n=len(original),
        reconstructed_originals=found,
        chance_precision=float(np.mean(chance_hit)),
        chance_recall=float(np.mean(chance_found)),
        chance_originals=chance_found,
    )
