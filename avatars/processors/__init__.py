"""Client-side processors: reversible transformations around an avatarization.

Each processor has ``preprocess(df) -> df`` (applied before upload) and
``postprocess(source, dest) -> df`` (applied to the avatars; ``source`` is the frame given to
``preprocess``). Chains preprocess in order and postprocess in reverse. No method mutates its
inputs. :class:`ProcessorChain` does both for a list of processors. See docs/processors.md.
"""

from avatars.processors.chain import Processor, ProcessorChain
from avatars.processors.datetime import DatetimeProcessor
from avatars.processors.expected_mean import ExpectedMeanProcessor
from avatars.processors.geolocation_normalization import GeolocationNormalizationProcessor
from avatars.processors.group_modalities import GroupModalitiesProcessor
from avatars.processors.inter_record_bounded_cumulated_difference import (
    InterRecordBoundedCumulatedDifferenceProcessor,
)
from avatars.processors.inter_record_bounded_range_difference import (
    InterRecordBoundedRangeDifferenceProcessor,
)
from avatars.processors.inter_record_cumulated_difference import (
    InterRecordCumulatedDifferenceProcessor,
)
from avatars.processors.perturbation import PerturbationProcessor
from avatars.processors.proportion import ProportionProcessor
from avatars.processors.to_categorical import ToCategoricalProcessor

__all__ = [
    "DatetimeProcessor",
    "ExpectedMeanProcessor",
    "GeolocationNormalizationProcessor",
    "GroupModalitiesProcessor",
    "InterRecordBoundedCumulatedDifferenceProcessor",
    "InterRecordBoundedRangeDifferenceProcessor",
    "InterRecordCumulatedDifferenceProcessor",
    "PerturbationProcessor",
    "Processor",
    "ProcessorChain",
    "ProportionProcessor",
    "ToCategoricalProcessor",
]
