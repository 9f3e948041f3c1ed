"""How many projected axes the neighbours are searched on when the user gives no ``ncp``.

The mix keeps what lies on the searched axes and the residual restores the rest as noise with
the originals' covariance (``avatarize.restore_residual``). An axis that carries no more
variance than it would if the columns were unrelated holds no structure to keep, only the
positions of individuals, and searching on it made the avatars invent relations: on a table
of independent columns the correlation difference ratio was 42.9 % at five axes against
25.5 % at three (target 28.5 %), and three axes hid the originals as well or better on every
bench table (``docs/fidelity.md``, "How many axes").

So the default is a parallel analysis (Horn, 1965): keep the leading axes whose share of the
variance exceeds the largest share the same rank reaches on copies of the table whose columns
were shuffled independently, then bring the count within [``FEWEST_AXES``, ``MOST_AXES``].
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import pandas as pd

from avatar_server.engine.projection import fit_projection, max_components

MOST_AXES = 5
"""The method's documented default, and the most the rule gives: the avatar method and the
official client search on five axes."""

FEWEST_AXES = 3
"""Below three axes the mix lost relations the originals hold (measured at two: the generated
mixed table 25.8 % against 15.5 % at five, the demo table 30.5 % against 25.5 %), although the
parallel analysis reads only one or two axes above the shuffled copies on wbcd and iris (and
on some halves of the demo table and epl)."""

SHUFFLES = 5
"""Shuffled copies the shares are compared with; the rule keeps an axis only when it beats
all of them."""

REMEMBERED = 64
"""Tables whose count a process remembers (by a digest of their rows): a table is often
avatarized again (another k after a failed verdict, the demo's rerun, a test's seeds), and the
analysis costs as much as a small table's whole avatarization (iris: 47 → 72 ms)."""

_remembered: OrderedDict[tuple[str, int], int] = OrderedDict()
_lock = threading.Lock()

SAMPLE_ROWS = 20_000
"""Rows the analysis fits on (a seeded sample of a larger table): shares of variance settle
well before that, and the analysis costs six fits."""


def default_ncp(
    frame: pd.DataFrame, *, seed: int = 0, progress: Callable[[float], None] | None = None
) -> int:
    """Axes to search the neighbours on for ``frame`` (encoded as the projection takes it:
    numbers continuous, text categorical, no gaps), by the parallel analysis above. ``seed``
    draws the sample and the shuffles; the avatarization keeps it at 0, so a table gets the
    same count whatever the run's seed (near the threshold another seed can read one axis
    more or less).

    Column weights are left out: a heavy column would fill the shuffled copies' leading
    ranks with its own variance and hide the relations behind it (one of four factors'
    measures weighted 3: the analysis read 1 axis, unweighted 4); weights decide which
    axes come first, not how many relations the table holds. ``progress`` is told the share
    of the fits done (it may raise to stop them)."""
    key = (_digest(frame), seed)
    with _lock:
        if key in _remembered:
            _remembered.move_to_end(key)
            if progress is not None:
                progress(1.0)
            return _remembered[key]
    count = _analyse(frame, seed, progress)
    with _lock:
        _remembered[key] = count
        while len(_remembered) > REMEMBERED:
            _remembered.popitem(last=False)
    return count


def _digest(frame: pd.DataFrame) -> str:
    """Names, types and every cell of ``frame``, hashed (pandas' row hashes, then SHA-256)."""
    digest = hashlib.sha256(repr([(str(n), str(t)) for n, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def _analyse(frame: pd.DataFrame, seed: int, progress: Callable[[float], None] | None) -> int:
    limit = min(MOST_AXES, max_components(frame))
    tell = progress or (lambda _: None)
    if limit <= FEWEST_AXES:
        tell(1.0)
        return limit
    rng = np.random.default_rng(seed)
    if len(frame) > SAMPLE_ROWS:
        frame = frame.iloc[np.sort(rng.choice(len(frame), SAMPLE_ROWS, replace=False))]
    frame = frame.reset_index(drop=True)
    shares = _shares(frame, limit, seed)
    tell(1 / (SHUFFLES + 1))
    shuffled = np.zeros(limit)
    for done in range(1, SHUFFLES + 1):
        copy = pd.DataFrame({name: rng.permutation(frame[name].to_numpy()) for name in frame})
        shuffled = np.maximum(shuffled, _shares(copy, limit, seed))
        tell((done + 1) / (SHUFFLES + 1))
    above = shares > shuffled
    kept = limit if above.all() else int(np.argmin(above))
    return max(FEWEST_AXES, min(kept, limit))


def _shares(
    frame: pd.DataFrame, axes: int, seed: int
) -> np.ndarray[tuple[int], np.dtype[np.float64]]:
    """The first ``axes`` axes' shares of ``frame``'s whole variance."""
    projection = fit_projection(frame, axes, seed=seed, clamp=True)
    shares = np.zeros(axes)
    found = projection.explained_variance_ratio
    shares[: len(found)] = found
    return shares
