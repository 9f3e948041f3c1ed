"""From reconstructed values back to a table whose marginals match the original's.

Averaging neighbours shrinks numeric spread, and taking the highest-scoring modality
over-represents frequent categories (design.md measured a Hellinger mean of 0.21 that way).
Here each column keeps the avatars' *order* — which is what the neighbour mix decided — and
takes its *values* from the original's distribution:

- a numeric column maps each avatar's rank to the original's quantile at that rank (between two
  order statistics, at a random point, so values are not copies; discrete columns take the
  order statistic itself so no unseen value appears), its tails held at the ``TAIL_SHARED``-th
  most extreme original on each side;
- a categorical column gives each modality exactly its original count, handing modalities to the
  avatars that score highest for them, rarest modality first.

Missing values come back the same way: the missing indicator (or the missing modality) is a
category like any other, so exactly as many avatars as originals are missing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# Numeric columns with at most this many distinct values only take values the original has.
DISCRETE_LIMIT = 25

TAIL_SHARED = 5
"""No avatar value lies beyond the 5th lowest or 5th highest original value of its column
(on a column of fewer than 250 values, the ``n // 50``-th, at least the 2nd; a column of
fewer than 4 values holds nothing).

Mapped to the originals' quantiles, the highest avatar took a value between the two highest
originals: a lone income of 50,000,000 among incomes under 140,000 came back as 32, 8.2 and
41.8 million over three seeds, telling that someone that rich is in the data and roughly how
rich. Held at the 5th most extreme, the tail says only what five people share. Small columns
hold fewer: on iris's 75-row halves (``bench.quality``), holding 5 of each tail (13 % of the
rows) raised the Hellinger mean from 0.015 to 0.053; holding the 2nd leaves it unchanged."""
TAIL_SHARE = 1 / 50
"""Below ``TAIL_SHARED / TAIL_SHARE`` values, a tail holds this share of them (at least 2)."""


SCORE_TEMPERATURE = 0.5
"""How far a modality is drawn rather than ranked from the lifted scores (0: ranked).

Ranked, the avatars that score highest for a modality all get it: a threshold on the scores,
which carry the numbers' axes, so on a table of unrelated columns (4,000 rows: three numbers, a
yes/no and a five-city column) the cities came out related to the numbers. Drawn (each
avatar's preference its log score over the temperature plus Gumbel noise, the counts then
filled in that order: a modality drawn with probability ∝ score^(1/T) when nothing else
competes), at 0.5 (bench/results/quality.md, k = 20, halves against the floor): that table's
correlation difference falls from 67.5 to 42.9 % (floor 19.0), its η and Cramér's V differences
from 0.107 to 0.067 and 0.224 to 0.155; the demo table's from 28.4 to 25.5 % (V 0.055 →
0.026); epl moves from 25.6 to 27.2 % on halves (17.5 → 16.2 % whole), wbcd, iris and the mixed
tables not at all. At 1 the unrelated columns fall further but the demo table loses real
relations (20.4 → 25.9 % whole). Linked groups keep ranking (``linked``): drawn, the clinic's
doctor-job × visit-exam association fell from Cramér's V 0.74 to 0.63."""
SCORE_FLOOR = 0.01
"""Lifted scores are clipped to this before their logarithm: a one-hot score lifted from the
projection can be negative."""


def assign_with_counts(
    scores: np.ndarray[Any, np.dtype[np.float64]],
    counts: np.ndarray[Any, np.dtype[np.int64]],
    rng: np.random.Generator,
    *,
    temperature: float = SCORE_TEMPERATURE,
) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Give modality j to exactly ``counts[j]`` rows, preferring rows that score high for it.

    Rarest modality first: among rows still free, those whose preference for it exceeds most
    their best preference for the modalities still to place get it. The preference is the score
    itself when ``temperature`` is 0 (ties broken at random), else the log of the row's
    normalized score over ``temperature`` plus Gumbel noise (:data:`SCORE_TEMPERATURE` says
    why). Seeded by ``rng``.
    """
    n = scores.shape[0]
    if int(counts.sum()) != n:
        raise ValueError("modality counts must add up to the number of rows")
    if temperature < 0:
        raise ValueError(f"temperature must be at least 0, got {temperature}")
    order = [int(j) for j in np.argsort(counts, kind="stable") if counts[j] > 0]
    if temperature == 0:
        work = scores[:, order] + rng.random((n, len(order))) * 1e-9
    else:
        clipped = np.clip(scores, SCORE_FLOOR, None)
        shares = clipped / clipped.sum(axis=1, keepdims=True)
        drawn = np.log(shares) / temperature + rng.gumbel(size=shares.shape)
        work = drawn[:, order]
    # best_later[:, p] = best score among the modalities placed after position p.
    best_later = np.maximum.accumulate(work[:, ::-1], axis=1)[:, ::-1]
    assigned = np.full(n, -1, dtype=np.int64)
    free = np.arange(n)
    for position, modality in enumerate(order):
        if position == len(order) - 1:
            assigned[free] = modality
            break
        wanted = int(counts[modality])
        preference = work[free, position] - best_later[free, position + 1]
        chosen = np.argpartition(-preference, wanted - 1)[:wanted]
        assigned[free[chosen]] = modality
        keep = np.ones(len(free), dtype=bool)
        keep[chosen] = False
        free = free[keep]
    return assigned


def assign_from_neighbours(
    candidates: np.ndarray[Any, np.dtype[np.int64]],
    weights: np.ndarray[Any, np.dtype[np.float64]],
    counts: np.ndarray[Any, np.dtype[np.int64]],
    rng: np.random.Generator,
) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Give modality j to exactly ``counts[j]`` rows, each row preferring the modalities its
    neighbours hold (``candidates``, n × k codes) by the weight they have in its mix.

    For columns decoded from the neighbours rather than from the projection (wide or reduced
    columns): it works on the n × k candidates, never on an n × modalities matrix, so a column
    with 20,000 modalities costs what one with 20 does. In rounds, every row still free
    proposes its next best candidate and each modality takes the strongest proposals it has
    room for; rows whose candidates are all full share what is left, at random.
    """
    n = candidates.shape[0]
    size = len(counts)
    if int(counts.sum()) != n:
        raise ValueError("modality counts must add up to the number of rows")
    # One entry per (row, modality): a modality two neighbours hold sums their weights.
    keys, inverse = np.unique(
        (np.arange(n)[:, None] * size + candidates).ravel(), return_inverse=True
    )
    strength = np.bincount(inverse, weights=weights.ravel())
    rows, modalities = keys // size, keys % size
    order = np.lexsort((rng.random(len(keys)), -strength, rows))
    rows, modalities, strength = rows[order], modalities[order], strength[order]
    first = np.searchsorted(rows, rows)  # rows are sorted: where each row's candidates start
    rank = np.arange(len(rows)) - first
    remaining = counts.astype(np.int64)
    assigned = np.full(n, -1, dtype=np.int64)
    for round_ in range(int(rank.max(initial=-1)) + 1):
        proposing = np.flatnonzero((rank == round_) & (assigned[rows] < 0))
        proposing = proposing[remaining[modalities[proposing]] > 0]
        if proposing.size == 0:
            continue
        wanted = modalities[proposing]
        by_modality = np.lexsort((rng.random(proposing.size), -strength[proposing], wanted))
        proposing, wanted = proposing[by_modality], wanted[by_modality]
        place = np.arange(wanted.size) - np.searchsorted(wanted, wanted)
        taken = place < remaining[wanted]
        assigned[rows[proposing[taken]]] = wanted[taken]
        remaining -= np.bincount(wanted[taken], minlength=size)
    left = np.flatnonzero(assigned < 0)
    pool = np.repeat(np.arange(size, dtype=np.int64), remaining)
    assigned[left] = rng.permutation(pool)
    return assigned


def _held_count(size: int) -> int:
    """How many of each tail of ``size`` values are held at the innermost of them (see
    ``TAIL_SHARED``); under 2 nothing is held."""
    return min(TAIL_SHARED, max(2, int(TAIL_SHARE * size)), size // 2)


def _held_tails(
    ordered: np.ndarray[Any, np.dtype[np.float64]],
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Sorted values with each side's most extreme ones replaced by the ``TAIL_SHARED``-th
    (see there)."""
    size = len(ordered)
    held = _held_count(size)
    if held < 2:
        return ordered
    return np.asarray(np.clip(ordered, ordered[held - 1], ordered[size - held]), dtype=np.float64)


def map_to_quantiles(
    avatar_values: np.ndarray[Any, np.dtype[np.float64]],
    original_values: np.ndarray[Any, np.dtype[np.float64]],
    rng: np.random.Generator,
    *,
    discrete: bool,
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Values with the original's distribution, in the order of ``avatar_values``, its
    tails held (``TAIL_SHARED``).

    Both arrays hold the same number of (non-missing) values. A discrete column's held tail
    takes the held value; a continuous one's is drawn between it and the next value inward,
    so no held value (one person's) is copied.
    """
    size = len(avatar_values)
    if size == 0:
        return avatar_values.copy()
    if len(original_values) != size:
        raise ValueError("quantile mapping needs as many avatar values as original values")
    ordered = np.sort(original_values)
    # Sorting a random permutation breaks ties at random (and still deterministically per seed).
    shuffle = rng.permutation(size)
    ranks = np.empty(size, dtype=np.int64)
    ranks[shuffle[np.argsort(avatar_values[shuffle])]] = np.arange(size)
    if discrete or size == 1:
        return _held_tails(ordered)[ranks]
    position = (ranks + rng.random(size)) / size * (size - 1)
    held = _held_count(size)
    if held >= 2:
        first, last = held - 1, size - held
        position = np.where(position > last, last - rng.random(size), position)
        position = np.where(position < first, first + rng.random(size), position)
    lower = np.floor(position).astype(np.int64)
    upper = np.minimum(lower + 1, size - 1)
    fraction = position - lower
    mapped = ordered[lower] + fraction * (ordered[upper] - ordered[lower])
    return np.asarray(mapped, dtype=np.float64)


def avoid_unique_values(
    avatar_values: np.ndarray[Any, np.dtype[np.float64]],
    original_values: np.ndarray[Any, np.dtype[np.float64]],
    *,
    step: float | None,
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Avatar values moved off the values that only one original holds.

    Quantile decoding lands avatars on the original's value grid (whole days, cents, ages), so
    a value that identifies one person (the only patient seen on a given day, the highest
    salary) would reappear in the avatars. Each such avatar value moves to the nearest value
    held by several originals (``step`` None: the grid is the original's own values) or to the
    nearest free point of the grid (``step``: its spacing), staying within the original range
    and its held tails.
    Distributions move by at most a few grid steps for a handful of values.
    """
    if avatar_values.size == 0 or original_values.size == 0:
        return avatar_values
    values, counts = np.unique(original_values, return_counts=True)
    unique = values[counts == 1]
    hit = np.isin(avatar_values, unique)
    if not hit.any():
        return avatar_values
    moved = avatar_values.copy()
    # Within the held tails (``TAIL_SHARED``): a move never goes past what five people share.
    held = _held_tails(values.repeat(counts))
    low, high = float(held[0]), float(held[-1])
    if step is None:
        shared = values[(counts > 1) & (values >= low) & (values <= high)]
        if shared.size == 0:
            return avatar_values
        targets = avatar_values[hit]
        right = np.clip(np.searchsorted(shared, targets), 0, shared.size - 1)
        left = np.clip(right - 1, 0, shared.size - 1)
        closer_left = np.abs(shared[left] - targets) <= np.abs(shared[right] - targets)
        moved[hit] = np.where(closer_left, shared[left], shared[right])
        return moved
    pending = np.flatnonzero(hit)
    for offset in (1, -1, 2, -2, 3, -3, 4, -4, 5, -5):
        if pending.size == 0:
            break
        candidates = avatar_values[pending] + offset * step
        free = (
            ~np.isin(np.round(candidates / step) * step, unique)
            & (candidates >= low)
            & (candidates <= high)
        )
        moved[pending[free]] = candidates[free]
        pending = pending[~free]
    return moved
