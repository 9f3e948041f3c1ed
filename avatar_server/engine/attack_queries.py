"""Singling-out queries for ``attack_risks.singling_out_risk``.

A query is a conjunction of conditions on a few columns (``age >= 71 & city == Lille &
smoker == yes``). The attacker makes them from the avatars, keeping those that match exactly
one avatar, and bets that each also matches exactly one original: a lone avatar stands for a
lone person. The same queries on control originals (never avatarized) give the rate at which
such bets come true anyway, because the avatars resemble the population, not the people.

Conditions follow anonymeter's multivariate mode: a category (or a gap) by equality, a number
by ``>=`` its value when it is above the avatars' median and ``<=`` otherwise, so the query
reaches for the tail the row sits in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import hypergeom

from avatar_server.engine.attack_gower import (
    BLOCK_ELEMENTS,
    AttackSpace,
    BoolArray,
    FloatArray,
    IntArray,
)

EQUAL, AT_MOST, AT_LEAST, IS_GAP = 0, 1, 2, 3
SCREEN_ROWS = 4096


@dataclass(frozen=True)
class Queries:
    """``n`` queries of ``width`` conditions each: column, operator, value per condition, and
    the avatar row each was made from (-1 for the naive attacker's, made from no row)."""

    columns: IntArray  # n x width
    operators: IntArray  # n x width
    values: FloatArray  # n x width
    sources: IntArray  # n

    def __len__(self) -> int:
        return len(self.columns)

    def take(self, chosen: IntArray) -> Queries:
        return Queries(
            self.columns[chosen], self.operators[chosen], self.values[chosen], self.sources[chosen]
        )


def match_counts(table: FloatArray, queries: Queries) -> IntArray:
    """How many rows of ``table`` each query matches (blocks of queries: bounded memory)."""
    # A column's values contiguous: cheap gathers.
    return _match_counts(np.ascontiguousarray(table.T), queries)


def _match_counts(by_column: FloatArray, queries: Queries) -> IntArray:
    n_rows = by_column.shape[1]
    counts = np.zeros(len(queries), dtype=np.int64)
    step = max(1, BLOCK_ELEMENTS // max(1, n_rows))
    for start in range(0, len(queries), step):
        cols = queries.columns[start : start + step]
        ops = queries.operators[start : start + step]
        vals = queries.values[start : start + step]
        match = np.ones((len(cols), n_rows), dtype=np.bool_)
        for j in range(cols.shape[1]):
            for op, compare in _COMPARISONS.items():
                chosen = np.flatnonzero(ops[:, j] == op)
                if chosen.size:
                    values = by_column[cols[chosen, j]]
                    match[chosen] &= compare(values, vals[chosen, j][:, None])
        counts[start : start + len(cols)] = match.sum(axis=1)
    return counts


def _is_gap(values: FloatArray, _: FloatArray) -> BoolArray:
    return np.isnan(values)


_COMPARISONS: dict[int, Callable[[FloatArray, FloatArray], BoolArray]] = {
    EQUAL: np.equal,
    AT_MOST: np.less_equal,
    AT_LEAST: np.greater_equal,
    IS_GAP: _is_gap,
}


def _conditions(space: AttackSpace, rows: IntArray, cols: IntArray, medians: FloatArray) -> Queries:
    values = space.avatars[rows[:, None], cols]
    numeric = space.numeric[cols]
    above = values > medians[cols]
    operators = np.where(
        ~numeric,
        EQUAL,
        np.where(np.isnan(values), IS_GAP, np.where(above, AT_LEAST, AT_MOST)),
    ).astype(np.int64)
    return Queries(cols.astype(np.int64), operators, values, rows.astype(np.int64))


def _canonical(queries: Queries, i: int) -> tuple[tuple[int, int, float], ...]:
    conditions = zip(queries.columns[i], queries.operators[i], queries.values[i], strict=True)
    return tuple(sorted((int(c), int(o), float(v)) for c, o, v in conditions))


def singling_out_queries(
    space: AttackSpace, n_queries: int, width: int, max_attempts: int, rng: np.random.Generator
) -> Queries:
    """Up to ``n_queries`` distinct queries of ``width`` columns, each matching exactly one
    avatar, made from random avatars in at most ``max_attempts`` tries."""
    avatars = space.avatars
    n_rows, n_cols = avatars.shape
    with np.errstate(all="ignore"):
        medians = np.array(
            [
                np.nanmedian(avatars[:, j])
                if space.numeric[j] and not np.isnan(avatars[:, j]).all()
                else np.nan
                for j in range(n_cols)
            ]
        )
    by_column = np.ascontiguousarray(avatars.T)
    # Most tries match many avatars: a sample of the avatars rejects them cheaply (a query
    # matching two sampled avatars cannot single one out), the survivors are checked in full.
    screen = None
    if n_rows > 2 * SCREEN_ROWS:
        screen = by_column[:, np.sort(rng.choice(n_rows, SCREEN_ROWS, replace=False))].copy()
    batch = int(
        min(
            1024,
            max(16, BLOCK_ELEMENTS // min(n_rows, SCREEN_ROWS if screen is not None else n_rows)),
        )
    )
    kept: dict[tuple[tuple[int, int, float], ...], int] = {}
    picked: list[Queries] = []
    attempts = 0
    while len(kept) < n_queries and attempts < max_attempts:
        size = min(batch, max_attempts - attempts)
        attempts += size
        rows = rng.integers(0, n_rows, size=size)
        cols = np.argsort(rng.random((size, n_cols)), axis=1)[:, :width]
        candidates = _conditions(space, rows, cols, medians)
        if screen is not None:
            candidates = candidates.take(np.flatnonzero(_match_counts(screen, candidates) <= 1))
        lone = np.flatnonzero(_match_counts(by_column, candidates) == 1)
        for i in lone:
            key = _canonical(candidates, int(i))
            if key in kept:
                continue
            kept[key] = len(kept)
            picked.append(candidates.take(np.array([i])))
            if len(kept) == n_queries:
                break
    if not picked:
        empty = np.empty((0, width))
        return Queries(empty.astype(np.int64), empty.astype(np.int64), empty, np.empty(0, np.int64))
    return Queries(
        np.concatenate([q.columns for q in picked]),
        np.concatenate([q.operators for q in picked]),
        np.concatenate([q.values for q in picked]),
        np.concatenate([q.sources for q in picked]),
    )


def random_queries(
    space: AttackSpace, n_queries: int, width: int, rng: np.random.Generator
) -> Queries:
    """The naive attacker: each condition a value drawn from the avatars' column at random
    (not from one row), numbers compared with a random ``<=`` or ``>=``."""
    avatars = space.avatars
    n_rows, n_cols = avatars.shape
    cols = np.argsort(rng.random((n_queries, n_cols)), axis=1)[:, :width]
    rows = rng.integers(0, n_rows, size=(n_queries, width))
    values = avatars[rows, cols]
    numeric = space.numeric[cols]
    coin = rng.random((n_queries, width)) < 0.5
    operators = np.where(
        ~numeric,
        EQUAL,
        np.where(np.isnan(values), IS_GAP, np.where(coin, AT_LEAST, AT_MOST)),
    ).astype(np.int64)
    return Queries(cols.astype(np.int64), operators, values, np.full(n_queries, -1, np.int64))


def _lone_in_sample(counts: IntArray, population: int, size: int) -> FloatArray:
    """Chance that a query matching ``counts`` of ``population`` rows matches exactly one row
    of a random ``size``-row sample of them (hypergeometric)."""
    return np.asarray(hypergeom.pmf(1, population, counts, size), dtype=np.float64)


def holds_on_rows(table: FloatArray, queries: Queries, rows: IntArray) -> BoolArray:
    """Whether query i holds on row ``rows[i]`` of ``table``."""
    held = np.ones(len(queries), dtype=np.bool_)
    values = table[rows[:, None], queries.columns]
    for op, compare in _COMPARISONS.items():
        chosen = queries.operators == op
        if chosen.any():
            held &= ~chosen.any(axis=1) | np.all(~chosen | compare(values, queries.values), axis=1)
    return held


def equal_size_successes(
    train: FloatArray, control: FloatArray, queries: Queries, *, paired: bool
) -> tuple[float, float]:
    """Queries singling out exactly one training original, and exactly one control original,
    each side judged on as many rows.

    Whether a query matches exactly one row depends on how many rows it is tried on: a query
    that isolates one avatar among n matches about one original among n, and less often
    exactly one among a third as many. Judged on the audit's 75 % against its 25 %, a release
    of people who were never avatarized read as a singling-out risk of 0.09 (mean of 5 draws,
    demo table; 0.005 judged as here), and anonymeter's fitted size correction does not remove
    it (``bench/results/singling-out-control.md``). So each side is judged on a random sample
    of the smaller side's size, and no correction is needed: the two samples are of one size
    from one population. The count is the expectation over the samples (hypergeometric, exact),
    not one draw of them.

    ``paired`` (avatar row i was made from training row i, as in an audit): a query's sample
    of the training originals holds the original its avatar was made from, so the attack keeps
    its aim. Otherwise (a generator whose rows stand for no one in particular, or a query made
    from no row) the sample is any. Returns the training and control successes."""
    size = min(len(train), len(control))
    control_hits = float(_lone_in_sample(match_counts(control, queries), len(control), size).sum())
    in_train = match_counts(train, queries)
    expected = _lone_in_sample(in_train, len(train), size)
    if paired:
        aimed = np.flatnonzero(queries.sources >= 0)
        own = holds_on_rows(train, queries.take(aimed), queries.sources[aimed])
        others = in_train[aimed] - own
        # The own original is in the sample; the size - 1 others come from the rest.
        rest, drawn = len(train) - 1, size - 1
        if rest == 0:  # one training row: the sample is that row alone
            expected[aimed] = own.astype(np.float64)
        else:
            expected[aimed] = np.where(
                own,
                hypergeom.pmf(0, rest, others, drawn),
                hypergeom.pmf(1, rest, others, drawn),
            )
    return float(expected.sum()), control_hits
