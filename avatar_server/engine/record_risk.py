"""Per-record risk: which originals the avatars protect worst, counted, and what to do.

Three signals per original: its local cloaking (avatars strictly closer to it than its own:
0 or 1 means its avatar is, or nearly is, the nearest), the linkage attack finding its avatar
first (:mod:`attack_linkage`), and the reconstruction attack proposing a record closer to it
than any other original (:mod:`attack_reconstruction`). The summary counts the originals
hit by each and by any; it holds counts and column names only, never a record's values, since
it goes into the report a data-protection officer reads.

Remedies: raising ``k`` (measured, when the caller measured the at-risk count at other ``k``
with :func:`at_risk_by_k`), and the column to drop or coarsen. The column is found cheaply,
from uniqueness rather than by avatarizing again: an at-risk original that is the only one
with its combination of values stands out by that combination; the column whose removal
(or coarsening) leaves the most of them sharing their combination with another original is
the one that isolates them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from avatar_server.engine.attack_linkage import LinkageResult, linkage_attack, strongest
from avatar_server.engine.attack_reconstruction import ReconstructionResult, reconstruction_attack
from avatar_server.engine.attack_space import BoolArray, IntArray, check_pair, evaluator_space
from avatar_server.engine.avatarize import avatarize
from avatar_server.engine.codec import TableCodec, with_text_labels
from avatar_server.engine.columns import column_numbers
from avatar_server.engine.metric_space import DEFAULT_METRIC_NCP
from avatar_server.engine.privacy import DEFAULT_LOCAL_CLOAKING_CAP
from avatar_server.engine.privacy_distances import (
    local_cloaking_counts,
    local_cloaking_histogram,
)

WORST_COVERED_CLOAKING = 1
"""Local cloaking at or below this: the original's own avatar is (nearly) its nearest."""
_FINE_BINS = 10
_COARSE_BINS = 4


@dataclass(frozen=True)
class RecordSignals:
    """Per original row, what the metrics and attacks found (row ``i``: original ``i``)."""

    local_cloaking: IntArray
    linked_top1: BoolArray
    """The linkage attack's first pick is more likely than not its own avatar (rows not
    attacked, above the attack's sample size, are False)."""
    reconstructed: BoolArray
    linkage_targets: int
    """Originals the linkage attack was run on."""
    chance_rows: BoolArray | None = None
    """Per original: a record drawn column by column from the avatars' values reconstructed
    it too (the reconstruction's chance yardstick; None: not drawn)."""

    def __post_init__(self) -> None:
        sizes = {len(self.local_cloaking), len(self.linked_top1), len(self.reconstructed)}
        if len(sizes) != 1:
            raise ValueError(
                "local_cloaking, linked_top1 and reconstructed must have one entry per original: "
                f"got lengths {len(self.local_cloaking)}, {len(self.linked_top1)}, "
                f"{len(self.reconstructed)}"
            )
        if len(self.local_cloaking) == 0:
            raise ValueError("record risk needs at least one original")
        if (np.asarray(self.local_cloaking) < 0).any():
            raise ValueError("local cloaking counts cannot be negative")
        if self.chance_rows is not None and len(self.chance_rows) != len(self.reconstructed):
            raise ValueError(
                f"chance_rows has {len(self.chance_rows)} entries, the originals "
                f"{len(self.reconstructed)}"
            )

    @property
    def worst_covered(self) -> BoolArray:
        return np.asarray(self.local_cloaking <= WORST_COVERED_CLOAKING, dtype=np.bool_)

    @property
    def reconstructed_by_chance(self) -> float | None:
        """How many originals the chance yardstick reconstructs: on a dense table the rule
        grants many."""
        return None if self.chance_rows is None else float(np.count_nonzero(self.chance_rows))

    @property
    def rebuilt_beyond_chance(self) -> BoolArray:
        """Originals the attack reconstructs and no record drawn column by column does: on a
        dense table (wbcd's 1–10 scores) the rule "closer than the nearest other original"
        alone grants a fifth of the rows, which says nothing of what the avatars give away."""
        if self.chance_rows is None:
            return np.asarray(self.reconstructed, dtype=np.bool_)
        return np.asarray(self.reconstructed & ~self.chance_rows, dtype=np.bool_)

    @property
    def at_risk(self) -> BoolArray:
        return np.asarray(self.worst_covered | self.linked_top1 | self.rebuilt_beyond_chance)


@dataclass(frozen=True)
class Remedy:
    """One thing the user can change, and what it is expected to do to the at-risk count."""

    action: str
    """``raise_k``, ``drop_column`` or ``coarsen_column``."""
    advice: str
    column: str | None = None
    k: int | None = None
    at_risk_after: int | None = None
    """Measured at-risk count after the change (``raise_k`` only, when measured)."""
    records_helped: int | None = None
    """At-risk originals that stop being unique (``drop_column``, ``coarsen_column``)."""

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if value is not None}


@dataclass(frozen=True)
class RecordRisk:
    """Counts of originals at risk, a local-cloaking histogram, and remedies (no values)."""

    n: int
    worst_covered: int
    linked_top1: int
    reconstructed: int
    at_risk: int
    cloaking_histogram: dict[str, int]
    linkage_targets: int
    remedies: list[Remedy] = field(default_factory=list)
    reconstructed_by_chance: float | None = None
    reconstructed_beyond_chance: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "worst_covered": self.worst_covered,
            "worst_covered_rule": f"local cloaking of {WORST_COVERED_CLOAKING} or less",
            "linked_top1": self.linked_top1,
            "linkage_targets": self.linkage_targets,
            "reconstructed": self.reconstructed,
            "reconstructed_by_chance": self.reconstructed_by_chance,
            "reconstructed_beyond_chance": self.reconstructed_beyond_chance,
            "at_risk": self.at_risk,
            "at_risk_rule": (
                "worst covered, or linked at top 1, or reconstructed where no record drawn "
                "column by column is"
            ),
            "at_risk_share": self.at_risk / self.n,
            "local_cloaking_histogram": self.cloaking_histogram,
            "remedies": [remedy.as_dict() for remedy in self.remedies],
        }


def record_signals(
    original: pd.DataFrame,
    unshuffled: pd.DataFrame,
    *,
    seed: int,
    ncp: int | None = None,
    max_targets: int = 5000,
) -> RecordSignals:
    """Local cloaking (originals' projection, ``ncp`` axes, default 5), the stronger of the two
    linkage attacks and the reconstruction attack, per original."""
    check_pair(original, unshuffled, paired=True)
    linkage = strongest(
        linkage_attack(original, unshuffled, ncp=ncp, seed=seed, max_targets=max_targets)
    )
    reconstruction = reconstruction_attack(original, unshuffled, seed=seed, ncp=ncp)
    return signals_of_attacks(original, unshuffled, linkage, reconstruction, seed=seed, ncp=ncp)


def signals_of_attacks(
    original: pd.DataFrame,
    unshuffled: pd.DataFrame,
    linkage: LinkageResult | None,
    reconstruction: ReconstructionResult | None,
    *,
    seed: int,
    ncp: int | None = None,
) -> RecordSignals:
    """The per-original signals from attacks already run on these tables (None: that attack
    could not be made, and flags no one), with the local cloaking beside them."""
    axes = DEFAULT_METRIC_NCP if ncp is None else ncp
    space = evaluator_space(original, unshuffled, axes, seed)
    linked = np.zeros(len(original), dtype=np.bool_)
    if linkage is not None:
        linked[linkage.targets] = linkage.top1_success >= 0.5
    rebuilt = np.zeros(len(original), dtype=np.bool_)
    if reconstruction is not None:
        rebuilt = reconstruction.reconstructed_originals
    return RecordSignals(
        local_cloaking=local_cloaking_counts(
            space.original, space.avatars, DEFAULT_LOCAL_CLOAKING_CAP
        ),
        linked_top1=linked,
        reconstructed=rebuilt,
        linkage_targets=0 if linkage is None else len(linkage.targets),
        chance_rows=None if reconstruction is None else reconstruction.chance_originals,
    )


def at_risk_by_k(
    original: pd.DataFrame, ks: Sequence[int], *, seed: int, ncp: int | None = None
) -> dict[int, int]:
    """The at-risk count of avatars made at each ``k`` (same seed): what raising ``k`` buys.

    Each ``k`` costs an avatarization and the attacks: meant for the few values advice
    proposes, not for a sweep on a large table.
    """
    counts: dict[int, int] = {}
    for k in ks:
        avatars = avatarize(original, k=k, seed=seed).unshuffled
        signals = record_signals(original, avatars, seed=seed, ncp=ncp)
        counts[int(k)] = int(np.count_nonzero(signals.at_risk))
    return counts


def _binned(series: pd.Series, kind: str, values: np.ndarray[Any, Any], bins: int) -> IntArray:
    """Codes of a column for uniqueness: numbers in ``bins`` quantile bins (gaps a code of
    their own), other columns by value."""
    if kind in ("continuous", "datetime") or (kind == "discrete" and bins < _FINE_BINS):
        present = ~np.isnan(values)
        codes = np.full(len(values), -1, dtype=np.int64)
        if present.any():
            ranks = pd.Series(values[present]).rank(method="min", pct=True).to_numpy()
            codes[present] = np.minimum((ranks * bins).astype(np.int64), bins - 1)
        return codes
    factorized, _ = pd.factorize(series, use_na_sentinel=False)
    return np.asarray(factorized, dtype=np.int64)


def _unique_rows(codes: list[IntArray]) -> BoolArray:
    """Rows whose combination of codes no other row shares."""
    if not codes:
        return np.zeros(0, dtype=np.bool_)
    frame = pd.DataFrame({str(i): column for i, column in enumerate(codes)})
    return np.asarray(~frame.duplicated(keep=False).to_numpy(), dtype=np.bool_)


def column_remedies(original: pd.DataFrame, at_risk: BoolArray) -> list[Remedy]:
    """The column whose removal, and the numeric column whose coarsening (to quartiles), leave
    the most at-risk originals sharing their combination of values with another original."""
    original = with_text_labels(original).reset_index(drop=True)
    if len(at_risk) != len(original):
        raise ValueError(f"at_risk must have one entry per original ({len(original)} rows)")
    codec = TableCodec.fit(original)
    numbers = {
        info.name: column_numbers(original[info.name], info)
        for info in codec.columns
        if info.kind in ("continuous", "datetime", "discrete")
    }
    empty = np.zeros(0)
    fine = [
        _binned(original[info.name], info.kind, numbers.get(info.name, empty), _FINE_BINS)
        for info in codec.columns
    ]
    unique_at_risk = _unique_rows(fine) & at_risk
    if not unique_at_risk.any() or len(fine) < 2:
        return []
    remedies: list[Remedy] = []
    dropped = {
        info.name: int(np.count_nonzero(unique_at_risk & ~_unique_rows(fine[:i] + fine[i + 1 :])))
        for i, info in enumerate(codec.columns)
    }
    best = max(dropped, key=lambda name: dropped[name])
    if dropped[best] > 0:
        remedies.append(
            Remedy(
                action="drop_column",
                column=best,
                records_helped=dropped[best],
                advice=(
                    f"drop (or group the values of) column {best!r}: of the "
                    f"{int(np.count_nonzero(unique_at_risk))} at-risk originals that no other "
                    f"original resembles on every column, {dropped[best]} would then resemble one"
                ),
            )
        )
    coarsened: dict[str, int] = {}
    for i, info in enumerate(codec.columns):
        if info.name not in numbers or (
            info.kind == "discrete" and (info.discrete_values or 0) <= _COARSE_BINS
        ):
            continue
        coarse = _binned(original[info.name], info.kind, numbers[info.name], _COARSE_BINS)
        coarsened[info.name] = int(
            np.count_nonzero(unique_at_risk & ~_unique_rows([*fine[:i], coarse, *fine[i + 1 :]]))
        )
    if coarsened:
        best = max(coarsened, key=lambda name: coarsened[name])
        if coarsened[best] > 0:
            remedies.append(
                Remedy(
                    action="coarsen_column",
                    column=best,
                    records_helped=coarsened[best],
                    advice=(
                        f"coarsen column {best!r} (to about {_COARSE_BINS} ranges of values): "
                        f"{coarsened[best]} at-risk originals would then resemble another one"
                    ),
                )
            )
    return remedies


def _k_remedy(k: int | None, at_risk: int, measured: dict[int, int] | None) -> Remedy | None:
    if k is None:
        return None
    if measured:
        better = {value: count for value, count in measured.items() if value > k}
        if not better:
            return None
        chosen = min(better, key=lambda value: (better[value], value))
        if better[chosen] >= at_risk:
            return Remedy(
                action="raise_k",
                k=chosen,
                at_risk_after=better[chosen],
                advice=(
                    f"raising k did not help as measured (k = {chosen}: {better[chosen]} at "
                    f"risk, against {at_risk} at k = {k}): change the columns instead"
                ),
            )
        return Remedy(
            action="raise_k",
            k=chosen,
            at_risk_after=better[chosen],
            advice=(
                f"raise k from {k} to {chosen}: {better[chosen]} originals at risk instead of "
                f"{at_risk} (measured)"
            ),
        )
    return Remedy(
        action="raise_k",
        k=2 * k,
        advice=(
            f"raise k from {k} (to {2 * k}, say) so each avatar mixes more originals; "
            "not measured: run the attacks again to see what it buys"
        ),
    )


def record_risk(
    signals: RecordSignals,
    *,
    original: pd.DataFrame | None = None,
    k: int | None = None,
    measured_k: dict[int, int] | None = None,
) -> RecordRisk:
    """The per-record risk summary from ``signals``.

    ``original`` (the same rows) lets the column remedies be found; ``k`` (the run's) and
    ``measured_k`` (at-risk counts at other ``k``, from :func:`at_risk_by_k`) the ``k`` one.
    """
    at_risk = signals.at_risk
    count = int(np.count_nonzero(at_risk))
    n = len(signals.local_cloaking)
    if original is not None and len(original) != n:
        raise ValueError(f"original has {len(original)} rows, the signals {n}")
    remedies: list[Remedy] = []
    if count:
        k_remedy = _k_remedy(k, count, measured_k)
        if k_remedy is not None:
            remedies.append(k_remedy)
        if original is not None:
            remedies.extend(column_remedies(original, at_risk))
    return RecordRisk(
        n=n,
        worst_covered=int(np.count_nonzero(signals.worst_covered)),
        linked_top1=int(np.count_nonzero(signals.linked_top1)),
        reconstructed=int(np.count_nonzero(signals.reconstructed)),
        at_risk=count,
        cloaking_histogram=local_cloaking_histogram(signals.local_cloaking),
        linkage_targets=signals.linkage_targets,
        remedies=remedies,
        reconstructed_by_chance=signals.reconstructed_by_chance,
        reconstructed_beyond_chance=int(np.count_nonzero(signals.rebuilt_beyond_chance)),
    )
