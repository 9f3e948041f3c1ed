"""The attacker metrics of avatar-method.md §2: an attacker who knows some of an original's
values links it to the avatar closest on them, and infers a value it does not know (the
target) from that avatar.

``inference_continuous`` is the attacker's mean absolute error relative to the target's size;
``inference_categorical`` the share of wrong guesses. Higher is better for both.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from avatar_server.engine.paired_tables import Codes, FloatArray, IntArray, PairedTables, combine
from avatar_server.engine.results import MetricResult, privacy_not_computed, privacy_result

# Attacker space: categorical known variables with more modalities are matched by enumeration
# rather than one-hot encoded, which would make the kd-tree as wide as the modalities.
ONE_HOT_MAX_MODALITIES = 16
MAX_WIDE_KNOWN_VARIABLES = 8


def inference_targets(
    tables: PairedTables, known: list[str], target: str | None
) -> tuple[dict[str, str | None], dict[str, str]]:
    """The column each inference metric attacks (None where there is none), and why there is
    none: the given ``target`` for the metric of its kind, else the first numeric and the first
    categorical column the attacker does not know."""
    outside = [c for c in tables.columns if c not in known]
    targets: dict[str, str | None] = {}
    reasons: dict[str, str] = {}
    if target is not None:
        numeric_target = tables.is_numeric(target)
        targets["inference_continuous"] = target if numeric_target else None
        targets["inference_categorical"] = None if numeric_target else target
        kind = "numeric" if numeric_target else "categorical"
        for name in targets:
            reasons[name] = f"the target {target!r} is {kind}"
    else:
        numeric = [c for c in outside if tables.is_numeric(c)]
        categorical = [c for c in outside if not tables.is_numeric(c)]
        targets["inference_continuous"] = numeric[0] if numeric else None
        targets["inference_categorical"] = categorical[0] if categorical else None
        reasons["inference_continuous"] = "no numeric column outside the known variables"
        reasons["inference_categorical"] = "no categorical column outside the known variables"
    return targets, reasons


def _standardised(tables: PairedTables, name: str) -> tuple[FloatArray, FloatArray]:
    """Both sides on the originals' scale; gaps at the originals' median, as in the metric
    space."""
    original, avatars = tables.numbers(name)
    median = float(np.nanmedian(original))
    mean = float(np.nanmean(original))
    std = float(np.nanstd(original)) or 1.0

    def scaled(values: FloatArray) -> FloatArray:
        return np.asarray((np.where(np.isnan(values), median, values) - mean) / std)

    return scaled(original), scaled(avatars)


def _one_hot(codes: IntArray, size: int) -> FloatArray:
    encoded = np.zeros((len(codes), size), dtype=np.float64)
    encoded[np.arange(len(codes)), codes] = 1.0
    return encoded


def _attacker_choice(tables: PairedTables, known: list[str]) -> IntArray:
    """For each original, the avatar closest on the known variables (numbers standardised by
    the originals, categories one-hot, so a different category adds 2 to the squared distance).

    Categories with many modalities are not one-hot encoded: for each set of them required to
    match, the nearest avatar with those values is found in one kd-tree (the set's joint code
    as an extra coordinate far larger than any other distance), and each mismatch adds 2. The
    smallest total over the sets is exactly the one-hot nearest neighbour. Larger sets go first
    and originals drop out as soon as no smaller set can beat what they have.
    """
    original_parts: list[FloatArray] = []
    avatar_parts: list[FloatArray] = []
    wide: list[Codes] = []
    for name in known:
        if tables.is_numeric(name):
            original, avatars = _standardised(tables, name)
            original_parts.append(original[:, None])
            avatar_parts.append(avatars[:, None])
            continue
        codes = tables.codes(name)
        if codes.size > ONE_HOT_MAX_MODALITIES:
            wide.append(codes)
        else:
            original_parts.append(_one_hot(codes.original, codes.size))
            avatar_parts.append(_one_hot(codes.avatars, codes.size))
    rows = tables.rows
    if not original_parts:
        original_parts, avatar_parts = [np.zeros((rows, 1))], [np.zeros((rows, 1))]
    base_original = np.hstack(original_parts)
    base_avatars = np.hstack(avatar_parts)
    both = np.vstack([base_original, base_avatars])
    spread = float(np.sqrt(np.sum((both.max(axis=0) - both.min(axis=0)) ** 2)))
    far = 2.0 * spread + 1.0
    best = np.full(rows, np.inf)
    choice = np.zeros(rows, dtype=np.int64)
    for matched in range(len(wide), -1, -1):
        penalty = 2.0 * (len(wide) - matched)
        todo = np.flatnonzero(best > penalty)
        if todo.size == 0:
            break
        for subset in itertools.combinations(wide, matched):
            group = combine(
                [(np.concatenate([c.original, c.avatars]), c.size) for c in subset], 2 * rows
            )[0]
            group_original, group_avatars = group[:rows], group[rows:]
            tree = cKDTree(np.column_stack([base_avatars, far * group_avatars]))
            distances, found = tree.query(
                np.column_stack([base_original[todo], far * group_original[todo]]),
                k=1,
                workers=-1,
            )
            found = np.asarray(found, dtype=np.int64)
            candidate = np.asarray(distances) ** 2 + penalty
            better = (group_avatars[found] == group_original[todo]) & (candidate < best[todo])
            best[todo[better]] = candidate[better]
            choice[todo[better]] = found[better]
    return choice


def inference(
    tables: PairedTables,
    known: list[str],
    known_given: bool,
    targets: dict[str, str | None],
    reasons: dict[str, str],
    target_given: bool,
) -> list[MetricResult]:
    """Both inference metrics for the ``targets`` of :func:`inference_targets` (``reasons``
    where there is none). Not computed when the attacker knows nothing, or knows so many wide
    categorical variables that matching them by enumeration (every subset) is out of reach."""
    names = ("inference_continuous", "inference_categorical")
    if not known:
        reason = "no known_variables: the attacker has nothing to start from"
        return [privacy_not_computed(name, reason, known_variables=[]) for name in names]
    wide = [
        n
        for n in known
        if not tables.is_numeric(n) and tables.codes(n).size > ONE_HOT_MAX_MODALITIES
    ]
    if len(wide) > MAX_WIDE_KNOWN_VARIABLES:
        reason = (
            f"more than {MAX_WIDE_KNOWN_VARIABLES} known categorical variables with over "
            f"{ONE_HOT_MAX_MODALITIES} modalities ({', '.join(wide)})"
        )
        return [privacy_not_computed(name, reason, known_variables=known) for name in names]
    choice: IntArray | None = None
    results = []
    for name in names:
        target = targets[name]
        if target is None:
            results.append(privacy_not_computed(name, reasons[name], known_variables=known))
            continue
        if choice is None:
            choice = _attacker_choice(tables, known)
        details: dict[str, Any] = {
            "known_variables": known,
            "known_variables_given": known_given,
            "target": target,
            "target_given": target_given,
        }
        if name == "inference_continuous":
            truth, avatars = tables.numbers(target)
            guess = avatars[choice]
            compared = ~np.isnan(truth) & ~np.isnan(guess)
            details["compared_rows"] = int(np.count_nonzero(compared))
            if not compared.any():
                results.append(
                    privacy_not_computed(name, "no row has the target on both sides", **details)
                )
                continue
            error = float(np.mean(np.abs(guess[compared] - truth[compared])))
            scale = float(np.mean(np.abs(truth[compared])))
            details.update(mean_absolute_error=error, mean_absolute_target=scale)
            if scale == 0:
                results.append(privacy_not_computed(name, "the target is 0 everywhere", **details))
                continue
            results.append(privacy_result(name, 100.0 * error / scale, details))
        else:
            codes = tables.codes(target)
            wrong = codes.avatars[choice] != codes.original
            results.append(privacy_result(name, 100.0 * float(np.mean(wrong)), details))
    return results
