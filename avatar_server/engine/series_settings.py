"""How a series table is aligned, projected and un-aligned: the settings and their defaults.

The defaults live here once (the YAML documents leave a field unset to mean "the engine's
default"). ``DEFAULT_BLOCK_WEIGHT`` was chosen by measurement on the sensors fixtures
(``bench/series_quality.py``, ``bench/results/series-quality.md``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, get_args

ProjectionName = Literal["fpca", "flatten"]
AlignmentName = Literal["specified", "max", "min", "mean"]
UnalignmentName = Literal["uniform", "skip"]
PROJECTIONS: tuple[ProjectionName, ...] = get_args(ProjectionName)
ALIGNMENTS: tuple[AlignmentName, ...] = get_args(AlignmentName)
UNALIGNMENTS: tuple[UnalignmentName, ...] = get_args(UnalignmentName)

DEFAULT_NF = 5
"""FPCA components kept per value variable (then capped by the grid length and the persons)."""
DEFAULT_BLOCK_WEIGHT: dict[ProjectionName, float] = {"fpca": 2.0, "flatten": 0.5}
"""Per projection, the series block's total inertia in the parent's joint projection as a multiple
of the inertia of the parent's other columns (each standardised column weighs 1).

Chosen by measurement (``bench/results/series-quality.md``; k = 5, 20 seeds), privacy first. A
heavy block fills the joint projection's few axes, so each avatar's curve is made from persons
whose curves are close to its own original's: with ``flatten`` beside an fpca table, the
sensors' ``person_and_series`` hidden rate (target > 90) is 97.4 at 0.5 (lowest seed 95.5), 94.7
at 1 (92.0), 87.3 at 2, 78.3 at 5; fpca blocks keep 97–99 from 1 to 5. A flattened 50-point
table stays near the target at any weight (93, lowest seed 86.5–91): fpca, the default
projection, is also the private one. Within what passes, utility decides, and for fpca it hardly
moves between 0.5 and 2: sensor1's lag-1 Hellinger 0.22–0.23 (floor 0.14), the person-level link
on a generated fixture whose series follow a person column (r = 0.99) 0.997 at 0.5, 0.98 at 1,
0.93 at 2, 0.80 at 5; 2 keeps the most privacy margin (98.9 against 96.9 at 1). flatten keeps
0.90 of that link at 0.5. The avatarization restores the variance its axes leave out from the
originals' residuals, lifted without the column weights, so columns weighing far from 1 get
noise that breaks their links (fpca at 10, one seed: the avatars' level and first score
correlated 0.51 with that restoration, 0.998 without it)."""


@dataclass(frozen=True)
class SeriesSettings:
    """One series table's settings; every field is checked here, so none is silently ignored.

    ``nf`` only means something with ``fpca`` and ``nb_points`` only with ``specified``:
    either given elsewhere is refused rather than dropped.
    """

    projection: ProjectionName = "fpca"
    nf: int | None = None
    nb_points: int | None = None
    method: AlignmentName = "mean"
    unalignment: UnalignmentName = "uniform"
    block_weight: float | None = None

    def __post_init__(self) -> None:
        _one_of("projection", self.projection, PROJECTIONS)
        _one_of("alignment method", self.method, ALIGNMENTS)
        _one_of("unalignment", self.unalignment, UNALIGNMENTS)
        if self.nf is not None:
            if self.projection != "fpca":
                raise ValueError(
                    f"nf={self.nf} has no use with the {self.projection} projection (every "
                    "grid point is kept): remove nf or use the fpca projection"
                )
            _whole_at_least("nf", self.nf, 1)
        if self.method == "specified":
            if self.nb_points is None:
                raise ValueError("the specified alignment needs nb_points (2 or more)")
            _whole_at_least("nb_points", self.nb_points, 2)
        elif self.nb_points is not None:
            raise ValueError(
                f"nb_points={self.nb_points} is only used by the specified alignment, not by "
                f"{self.method!r}: remove nb_points or use method specified"
            )
        if self.block_weight is not None and (
            isinstance(self.block_weight, bool)
            or not isinstance(self.block_weight, int | float)
            or not 0 < self.block_weight < math.inf
        ):
            raise ValueError(f"block_weight must be a positive number, got {self.block_weight!r}")

    @property
    def components(self) -> int:
        """FPCA components asked per variable (before capping)."""
        return DEFAULT_NF if self.nf is None else self.nf

    @property
    def weight(self) -> float:
        """The block weight in effect."""
        if self.block_weight is None:
            return DEFAULT_BLOCK_WEIGHT[self.projection]
        return float(self.block_weight)


def _one_of(label: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        hint = " (did you mean fpca?)" if value == "fcpa" else ""
        raise ValueError(f"unknown {label} {value!r}{hint}: use one of {', '.join(allowed)}")


def _whole_at_least(label: str, value: object, smallest: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < smallest:
        raise ValueError(f"{label} must be an integer of at least {smallest}, got {value!r}")


__all__ = [
    "ALIGNMENTS",
    "DEFAULT_BLOCK_WEIGHT",
    "DEFAULT_NF",
    "PROJECTIONS",
    "UNALIGNMENTS",
    "AlignmentName",
    "ProjectionName",
    "SeriesSettings",
    "UnalignmentName",
]
