"""The processors bench's own pieces: the table it generates and the comparison it reports.

A comparison that missed a difference would print "no cell differs" for outputs that do
differ; a table without what each processor needs would time nothing. Both are checked here
on small frames (the bench itself, and the official client it compares with, are not run).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from avatars.processors import ProcessorChain
from bench.processors_compare import compare
from bench.processors_data import processor_table, shuffled_columns
from bench.processors_worker import CASES, build


def test_table_has_what_each_processor_needs() -> None:
    table = processor_table(3000, seed=4)
    assert len(table) == 3000
    stays = table.groupby("patient", sort=False).size()
    assert stays.min() >= 1 and stays.max() <= 20
    # Records of a patient together and in visit order, each stay after the previous one.
    assert (table.groupby("patient")["visit"].diff().dropna() == 1).all()
    previous_end = table.groupby("patient")["stay_end"].shift()
    assert (table["stay_start"] >= previous_end).where(previous_end.notna(), True).all()
    assert (table["stay_end"] >= table["stay_start"]).all()
    for column in ("admitted", "part_c", "lon", "income", "category"):
        assert 0 < table[column].isna().mean() < 0.05, column
    assert table[["part_a", "part_b"]].ge(0).all().all()
    assert table["score"].nunique() == 5 and table["flag"].nunique() == 2
    counts = table["category"].value_counts()
    assert (counts <= 1).sum() > 10  # rare modalities for GroupModalities
    assert table.equals(processor_table(3000, seed=4))


def test_shuffled_columns_keep_values_and_dtypes() -> None:
    table = processor_table(500)
    avatars = shuffled_columns(table)
    assert avatars.dtypes.equals(table.dtypes)
    assert avatars.index.equals(table.index)
    assert sorted(avatars["income"].dropna()) == sorted(table["income"].dropna())
    assert not avatars["income"].equals(table["income"])


def test_compare_finds_numbers_gaps_and_labels() -> None:
    ours = pd.DataFrame(
        {
            "x": [1.0, 2.0, np.nan],
            "when": pd.to_datetime(pd.Series(["2020-01-01", None, "2020-01-02"])),
            "c": ["a", None, "b"],
        }
    )
    same = compare(ours, ours.copy())
    assert same.max_abs == 0 and same.cells == 0 and same.notes == []

    peer = ours.copy()
    peer["x"] = [1.0, 2.5, 4.0]  # one value moved, one gap filled
    peer["when"] = pd.to_datetime(pd.Series(["2020-01-01 00:00:03", None, "2020-01-02 00:00:00"]))
    peer["c"] = ["a", None, "z"]
    found = compare(ours, peer)
    assert found.max_abs == 3.0  # the date, in seconds
    assert found.columns == {"x": 1, "c": 1}
    assert "max \\|Δ\\| 3" in found.summary() and "2 cells differ" in found.summary()


def test_compare_reads_object_numbers_and_names_what_differs() -> None:
    ours = pd.DataFrame({"x": [1.5, 2.0], "k": [1, 2]}, index=[10, 11])
    peer = pd.DataFrame({"x": [1.5, 2.0], "k": [1, 2], "extra": [0, 0]}).astype(object)
    found = compare(ours, peer)
    assert found.max_abs == 0 and found.cells == 0
    summary = found.summary()
    assert "only official: ['extra']" in summary
    assert "index differs (paired by position)" in summary
    assert "x float64/object" in summary

    shorter = compare(ours, ours.iloc[:1], ignore=["k"])
    assert "rows: ours 2, official 1" in shorter.summary()
    assert "not compared (random draws): ['k']" in shorter.summary()


def test_every_case_builds_and_round_trips_with_ours() -> None:
    table = processor_table(400)
    for name, case in CASES.items():
        processor, is_chain = build(case, len(table))
        assert is_chain == isinstance(processor, ProcessorChain), name
        encoded = processor.preprocess(table)
        undo = processor.postprocess
        back = undo(encoded) if is_chain else undo(table, encoded)
        assert list(back.columns) == list(table.columns), name
        assert len(back) == len(table), name
