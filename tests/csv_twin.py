"""A small table as a French spreadsheet exports it: semicolons, Latin-1, quoted separators.

Shared by the upload, job and command-line tests, so each proves the same file is read into the
same columns by every reader.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CITIES = ["Besançon; Doubs", "Orléans", "Saint-Étienne", "Nîmes", 'Le "Vieux" Lyon']
NOTES = ["aucune", "suivi régulier", "allergie: pénicilline, latex", "à revoir; urgent"]


def twin_frame(rows: int = 60) -> pd.DataFrame:
    """Accented names and values, fields holding ``;``, ``,`` and ``"``, and gaps in a number
    column and a text column."""
    rng = np.random.default_rng(12)
    frame = pd.DataFrame(
        {
            "âge": rng.integers(18, 90, rows),
            "sexe": rng.choice(["F", "M"], rows),
            "ville": rng.choice(CITIES, rows).astype(object),
            "poids": rng.normal(70, 12, rows).round(1),
            "remarque": rng.choice(NOTES, rows),
        }
    )
    frame.loc[[3, 7, 17], "poids"] = np.nan
    frame.loc[[5, 12], "ville"] = np.nan
    return frame


def semicolon_latin1(frame: pd.DataFrame) -> bytes:
    """``frame`` as ``;``-separated Latin-1 CSV (fields holding ``;`` or ``"`` are quoted)."""
    return frame.to_csv(index=False, sep=";").encode("latin-1")
