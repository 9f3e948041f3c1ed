"""What every processor offers, and a chain that remembers what to undo.

Undoing a chain by hand means keeping each stage's input to hand back to the matching
``postprocess``, in reverse order; :class:`ProcessorChain` keeps them, so the usual flow is
two calls around the avatarization.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import pandas as pd


@runtime_checkable
class Processor(Protocol):
    """The contract of a client-side processor (docs/processors.md): ``preprocess`` returns a
    new frame for the avatarization; ``postprocess`` takes the frame ``preprocess`` was given
    (``source``) and a frame in preprocessed shape (``dest``, the avatars), and returns a new
    frame in the source's shape. Neither mutates its arguments."""

    def preprocess(self, df: pd.DataFrame) -> pd.DataFrame: ...

    def postprocess(self, source: pd.DataFrame, dest: pd.DataFrame) -> pd.DataFrame: ...


class ProcessorChain:
    """Processors applied in order by :meth:`preprocess` and undone in reverse order by
    :meth:`postprocess`, each given back the frame its ``preprocess`` received.

    ``postprocess`` undoes the last ``preprocess``: preprocess the table, avatarize the result
    (keep the avatars in the row order of what you uploaded, e.g.
    ``Runner.sensitive_unshuffled``, for processors that pair rows), then postprocess them.
    """

    def __init__(self, processors: Sequence[Processor]) -> None:
        for position, processor in enumerate(processors):
            if not isinstance(processor, Processor):
                raise TypeError(
                    f"processors[{position}] is a {type(processor).__name__}, not a processor "
                    "(it needs preprocess(df) and postprocess(source, dest))"
                )
        self.processors = list(processors)
        self._sources: list[pd.DataFrame] | None = None

    def preprocess(self, df: pd.DataFrame) -> pd.DataFrame:
        """The table as the avatarization should see it; the stages are kept for undoing."""
        sources = []
        for processor in self.processors:
            sources.append(df)
            df = processor.preprocess(df)
        self._sources = sources
        return df

    def postprocess(self, dest: pd.DataFrame) -> pd.DataFrame:
        """``dest`` (the avatars of the preprocessed table) in the original table's shape."""
        if self._sources is None:
            raise RuntimeError("postprocess() needs a preprocess() first: it undoes that call")
        for processor, source in zip(
            reversed(self.processors), reversed(self._sources), strict=True
        ):
            dest = processor.postprocess(source, dest)
        return dest
