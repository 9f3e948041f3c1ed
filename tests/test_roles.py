"""Column roles detected at upload: on the real fixture tables, on generated columns of each
role, and on the traps a greedy detector falls into (unique measurements)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from faker import Faker

from avatar_server.api.schemas import ColumnSchema
from avatar_server.services.roles import (
    SAMPLE_SIZE,
    SAMPLED_CHARACTERS,
    UNDETECTED,
    ColumnSample,
    RoleGuess,
    detect_role,
    stored_role,
)
from avatar_server.services.tables import _dtype_name
from avatar_yaml import ColumnRole
from avatars import ApiClient
from tests.server import ServerProcess

ID_LIKE = ColumnRole.ID_LIKE
DIRECT = ColumnRole.DIRECT_IDENTIFIER
FREE_TEXT = ColumnRole.FREE_TEXT
DATE = ColumnRole.DATE
CONSTANT = ColumnRole.CONSTANT
ORDINARY = ColumnRole.QUASI_IDENTIFIER

FIXTURE_TABLES = (
    "wbcd",
    "iris",
    "epl",
    "patient",
    "doctor",
    "visit",
    "sensors_vanilla",
    "sensors_timeseries1",
    "sensors_timeseries2",
)
KEYS = {"p_id", "d_id", "visit_id", "patient_id", "doctor_id", "primary_key", "id"}
"""The fixtures' key columns: primary keys, and the foreign keys of visit and the series."""


def _roles(client: ApiClient, source: Path | pd.DataFrame) -> dict[str, str]:
    dataset = client.datasets.upload_dataset(source)
    again = client.datasets.get_dataset(dataset.id)  # as stored, not only as answered
    assert [(c.role, c.role_reason) for c in again.columns] == [
        (c.role, c.role_reason) for c in dataset.columns
    ]
    assert all(c.role_reason for c in dataset.columns)
    return {c.name: c.role for c in dataset.columns}


def test_fixture_tables_hold_no_identifier_but_their_keys(
    user: ApiClient, shared_data: Path
) -> None:
    found = {path.stem for path in shared_data.glob("*.csv")}
    assert set(FIXTURE_TABLES) <= found, f"missing fixtures: {set(FIXTURE_TABLES) - found}"
    for table in sorted(found):
        roles = _roles(user, shared_data / f"{table}.csv")
        identifiers = {name for name, role in roles.items() if role in (ID_LIKE, DIRECT)}
        keys = set(roles) & KEYS
        assert identifiers == keys, f"{table}: {roles}"
        assert FREE_TEXT not in roles.values(), f"{table}: {roles}"
        if table == "epl":
            assert roles["career_start_date"] == roles["club_signing_date"] == DATE
        if table in ("patient", "doctor"):
            assert roles["age"] == ORDINARY and roles.get("height", ORDINARY) == ORDINARY
        if table == "sensors_vanilla":
            assert roles["fnlwgt"] == ORDINARY  # unique, but a survey weight


def _fr_mobile(rng: np.random.Generator, style: int) -> str:
    """A valid French mobile number (06/07 and eight digits), or a US or UK one, written in
    the notations people use."""
    digits = "".join(map(str, rng.integers(0, 10, 8)))
    pairs = " ".join(digits[i : i + 2] for i in range(0, 8, 2))
    return [
        f"06 {pairs}",
        f"+33 6 {pairs}",
        "07." + pairs.replace(" ", "."),
        f"+336{digits}",
        f"0033 7 {pairs}",
        f"(212) {rng.integers(2, 10)}{digits[:2]}-{digits[2:6]}",
        f"+1 415 {rng.integers(2, 10)}{digits[:2]} {digits[2:6]}",
        f"07911 {digits[:6]}",
    ][style % 8]


def awkward_table(rows: int, seed: int = 0) -> tuple[pd.DataFrame, dict[str, ColumnRole]]:
    """A patient table of the kinds the product must not leak, and each column's role."""
    rng = np.random.default_rng(seed)
    fr, us = Faker("fr_FR"), Faker("en_US")
    fr.seed_instance(seed)
    us.seed_instance(seed)
    ibans = [fr.iban() for _ in range(rows)]
    notes = [
        f"{fr.sentence()} Rappeler au {fr.phone_number()}, {fr.address().replace(chr(10), ' ')}."
        for _ in range(rows)
    ]
    start = pd.Timestamp("2018-01-01")
    table = pd.DataFrame(
        {
            "id": np.arange(1, rows + 1),
            "patient_id": [f"PAT-{v}" for v in rng.choice(900_000, rows, replace=False) + 100_000],
            "token": [str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in range(rows)],
            "session": [rng.bytes(8).hex() for _ in range(rows)],
            "email": [(fr if i % 2 else us).email() for i in range(rows)],
            "phone": [_fr_mobile(rng, i) for i in range(rows)],
            # Digits only, with a leading 0: a CSV reader types them as whole numbers.
            "mobile": [f"0{rng.choice([6, 7])}{rng.integers(10**7, 10**8)}" for _ in range(rows)],
            "iban": [
                v if i % 3 else " ".join(v[j : j + 4] for j in range(0, len(v), 4))
                for i, v in enumerate(ibans)
            ],
            "card": [us.credit_card_number() for _ in range(rows)],
            "nir": [fr.ssn() for _ in range(rows)],
            "name": [(fr if i % 2 else us).name() for i in range(rows)],
            "notes": notes,
            "visit_date": [
                None
                if rng.random() < 0.15
                else (start + pd.Timedelta(days=int(d))).strftime("%d/%m/%Y")
                for d in rng.integers(0, 2000, rows)
            ],
            "admitted": start + pd.to_timedelta(rng.integers(0, 10**8, rows), unit="s"),
            "country": "France",
            "height_cm": np.round(rng.normal(170, 10, rows), 3),
            "income_eur": np.round(np.exp(rng.normal(10.4, 0.5, rows))).astype(np.int64),
            "last_login": 1_600_000_000 + rng.choice(10**8, rows, replace=False),
            "age": rng.integers(18, 90, rows),
            "sex": rng.choice(["F", "M"], rows),
            "smoker": rng.random(rows) < 0.3,
        }
    )
    expected = {
        "id": ID_LIKE,
        "patient_id": ID_LIKE,
        "token": ID_LIKE,
        "session": ID_LIKE,
        "email": DIRECT,
        "phone": DIRECT,
        "mobile": DIRECT,
        "iban": DIRECT,
        "card": DIRECT,
        "nir": DIRECT,
        "name": DIRECT,
        "notes": FREE_TEXT,
        "visit_date": DATE,
        "admitted": DATE,
        "country": CONSTANT,
        "height_cm": ORDINARY,
        "income_eur": ORDINARY,
        "last_login": ORDINARY,
        "age": ORDINARY,
        "sex": ORDINARY,
        "smoker": ORDINARY,
    }
    return table, expected


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_generated_columns_get_their_role(
    user: ApiClient, tmp_path: Path, file_format: str
) -> None:
    # More rows than the sample holds, so the sample is drawn, not the whole column.
    table, expected = awkward_table(SAMPLE_SIZE + 500)
    path = tmp_path / f"awkward.{file_format}"
    if file_format == "csv":
        table.to_csv(path, index=False)
    else:
        table.to_parquet(path, index=False)
    assert _roles(user, path) == expected


def _guess(name: str, values: Iterable[Any]) -> RoleGuess:
    """The role the upload would give ``values``, without a server (same dtype and counts)."""
    series = pd.Series(values)
    present = series.dropna()
    sample = ColumnSample()
    for start in range(0, len(present), 700):  # in chunks, like the upload
        sample.add(present.iloc[start : start + 700])
    return detect_role(name, _dtype_name(present), int(present.nunique()), sample)


@pytest.mark.parametrize("style", range(8))
def test_phone_numbers_in_each_notation(style: int) -> None:
    rng = np.random.default_rng(style)
    guess = _guess("contact", [_fr_mobile(rng, style) for _ in range(300)])
    assert guess.role == DIRECT and "phone numbers" in guess.reason, guess


@pytest.mark.parametrize(
    ("locale", "method"),
    [("en_US", "ssn"), ("es_ES", "nif"), ("it_IT", "ssn"), ("fr_FR", "ssn")],
)
def test_national_numbers(locale: str, method: str) -> None:
    fake = Faker(locale)
    fake.seed_instance(1)
    guess = _guess("number", [getattr(fake, method)() for _ in range(300)])
    assert guess.role == DIRECT and "national numbers" in guess.reason, guess


def test_card_numbers_stored_as_integers() -> None:
    """Card numbers without spaces are read as integers: checked as numbers all the same."""
    fake = Faker("en_US")
    fake.seed_instance(2)
    cards = [int(fake.credit_card_number(card_type="visa16")) for _ in range(300)]
    assert _guess("pan", cards).role == DIRECT


def test_phone_numbers_read_as_whole_numbers() -> None:
    """'0612345678' read as a number is 612345678, '+33612345678' written without its + a
    plain number: checked with the 0 or the + put back. Named like a phone, any width a
    phone has and repeated values (a household's line); named otherwise, only unique values of
    one width, and never 10 digits (Unix timestamps in seconds)."""
    rng = np.random.default_rng(5)
    lost_zero = [int(f"6{v}") for v in rng.integers(10**7, 10**8, 300)]
    guess = _guess("contact", lost_zero)
    assert guess.role == DIRECT and "leading 0" in guess.reason, guess
    assert "phone numbers" in guess.reason
    country = [int(f"336{v}") for v in rng.integers(10**7, 10**8, 300)]
    guess = _guess("contact", country)
    assert guess.role == DIRECT and "leading +" in guess.reason, guess
    shared = lost_zero[:100] * 3  # each number three times: not unique, but named
    assert _guess("telephone", shared).role == DIRECT
    assert _guess("contact", shared).role == ORDINARY
    us = [
        int(f"{a}{b}")
        for a, b in zip(rng.integers(2, 10, 300), rng.integers(10**8, 10**9, 300), strict=True)
    ]
    assert _guess("mobile_number", us).role == DIRECT
    assert _guess("reading", us).role == ORDINARY  # 10 digits, named otherwise: not tried
    landlines = [
        int(f"{a}{b}")
        for a, b in zip(rng.integers(1, 6, 300), rng.integers(10**7, 10**8, 300), strict=True)
    ]
    assert _guess("phone", landlines).role == DIRECT  # named: any phone number counts
    assert _guess("contact", landlines).role == ORDINARY  # unnamed: only mobiles do


def test_whole_numbers_of_a_phones_width_are_not_taken_for_phones() -> None:
    """Most 9-digit numbers are a valid French number once given a 0, few are mobiles: unique
    amounts, codes and counts of that width keep their role; keys keep theirs."""
    rng = np.random.default_rng(6)
    nine = list(rng.integers(10**8, 10**9, 300))
    for name in ("amount_cents", "siren", "record", "population", "cell_count"):
        assert _guess(name, nine).role == ORDINARY, name
    assert _guess("mobile_data_bytes", nine).role == ORDINARY
    for name in ("customer_id", "order_number"):
        assert _guess(name, nine).role == ID_LIKE, name
    assert _guess("created_ts", list(rng.integers(9 * 10**8, 10**9, 300))).role == ORDINARY
    for width in (11, 12):
        codes = list(rng.integers(10 ** (width - 1), 10**width, 300))
        assert _guess("record", codes).role == ORDINARY, width


def test_unique_measurements_stay_ordinary() -> None:
    """Uniqueness alone never makes an identifier."""
    rng = np.random.default_rng(3)
    n = 5_000
    incomes = np.round(np.exp(rng.normal(10.4, 0.6, n))).astype(np.int64)
    assert len(set(incomes)) > 0.9 * n
    assert _guess("income", incomes).role == ORDINARY
    assert _guess("weight", rng.normal(70, 12, n)).role == ORDINARY
    assert _guess("fnlwgt", rng.choice(np.arange(10_000, 1_500_000), n, False)).role == ORDINARY
    timestamps = 1_600_000_000 + rng.choice(10**8, n, replace=False)
    assert _guess("event_time", timestamps).role == ORDINARY
    per_second = 1_600_000_000 + np.arange(n)  # a log, one row a second: a time, not a key
    assert _guess("timestamp", per_second).role == ORDINARY
    assert _guess("epoch", per_second).role == ORDINARY
    small = np.random.default_rng(30)
    tiny_ages = [_guess("age", small.integers(18, 60, 25)).role for _ in range(200)]
    assert ID_LIKE not in tiny_ages  # 25 random ages are often mostly unique, never a sequence
    # Numbers written as text (a decimal comma, a stray marker) are numbers, not labels.
    as_text = [f"{v:.3f}".replace(".", ",") for v in rng.normal(70, 12, n)] + ["n/a"]
    assert _guess("weight", as_text).role == ORDINARY
    with_units = [f"{v:.2f} kg" for v in rng.normal(70, 12, n)]
    assert _guess("weight", with_units).role == ORDINARY
    assert _guess("price", [f"€{v:,.2f}" for v in rng.uniform(10, 10_000, n)]).role == ORDINARY
    # A unique measurement named with 'no' in it is still spread like a measurement: the name
    # alone is a hint, the values decide (the numbers are not unique enough to be codes).
    assert _guess("no_of_steps", rng.integers(0, 20_000, n)).role == ORDINARY


def test_codes_and_keys() -> None:
    rng = np.random.default_rng(4)
    n = 3_000
    with_gaps = np.sort(rng.choice(np.arange(1, int(n * 1.6)), n, replace=False))
    assert _guess("row", with_gaps).role == ID_LIKE  # a sequence with deleted rows
    assert _guess("customer_number", rng.choice(10**7, n, replace=False)).role == ID_LIKE
    assert _guess("customer", rng.choice(10**7, n, replace=False)).role == ORDINARY
    padded = [f"{v:08d}" for v in rng.choice(10**6, n, replace=False)]
    assert _guess("dossier", padded).role == ID_LIKE
    suffixed = [f"{v}X" for v in rng.choice(10**7, n, replace=False)]
    assert _guess("dossier", suffixed).role == ID_LIKE  # capitals glued on: a code, not a unit
    foreign = rng.integers(0, 400, n)
    assert _guess("household_id", foreign).role == ID_LIKE
    assert _guess("household", foreign).role == ORDINARY
    float_ids = pd.Series(np.arange(n), dtype="float64").where(rng.random(n) > 0.05)
    assert _guess("record", float_ids).role == ID_LIKE  # integers with gaps read as floats
    assert _guess("label", [f"item {v}" for v in range(n)]).role == ID_LIKE


def test_categories_stay_ordinary() -> None:
    rng = np.random.default_rng(5)
    n = 2_000
    # Surnames as category labels: too few values to be a column of names.
    race = rng.choice(
        ["White", "Black", "Asian-Pac-Islander", "Other"], n, p=[0.8, 0.1, 0.05, 0.05]
    )
    assert _guess("race", race).role == ORDINARY
    icd = rng.choice([f"{c}{d:02d}.{e}" for c in "EIJK" for d in range(10) for e in range(3)], n)
    assert _guess("diagnosis_code", icd).role == ORDINARY
    postcodes = [f"{v:05d}" for v in rng.integers(1_000, 9_000, n)]
    assert _guess("postcode", postcodes).role == ORDINARY
    answers = rng.choice(
        ["I strongly agree with this statement", "I somewhat disagree with this statement"], n
    )
    assert _guess("answer", answers).role == ORDINARY  # long text with spaces, few values
    assert _guess("flag", [True, False] * 50).role == ORDINARY
    assert _guess("empty", [None] * 10).role == CONSTANT


def test_sample_is_uniform_and_bounded() -> None:
    sample = ColumnSample()
    total = 1_000_000
    for start in range(0, total, 100_000):
        sample.add(pd.Series(np.arange(start, start + 100_000)))
    assert sample.seen == total and sample.values.size == SAMPLE_SIZE
    assert (sample.low, sample.high) == (0, total - 1)
    values = sample.values.astype(np.int64)
    assert len(set(values)) == SAMPLE_SIZE
    # Each tenth of the column holds about a tenth of the sample (binomial, sd ~ 9.5).
    per_chunk = np.bincount(values // 100_000, minlength=10)
    assert per_chunk.min() > 50 and per_chunk.max() < 150, per_chunk


def test_sampled_text_is_cut() -> None:
    """The sample's memory is bounded in bytes too: long text is cut, and still free text."""
    long_notes = [f"note {i} " + "words and more words " * 200 for i in range(3_000)]
    sample = ColumnSample()
    sample.add(pd.Series(long_notes))
    assert max(map(len, sample.values)) == SAMPLED_CHARACTERS
    assert detect_role("notes", "string", 3_000, sample).role == FREE_TEXT


def test_columns_stored_before_roles_read_as_ordinary() -> None:
    old = {"name": "x", "dtype": "int64", "missing": 0, "distinct": 3}
    assert stored_role(old) == UNDETECTED and UNDETECTED.role == ORDINARY
    shown = ColumnSchema.model_validate(old)
    assert (shown.role, shown.role_reason) == (UNDETECTED.role, UNDETECTED.reason)
    assert "before column roles" in shown.role_reason


def test_cli_shows_roles(server: ServerProcess, user: ApiClient, tmp_path: Path) -> None:
    table, _ = awkward_table(200)
    dataset = user.datasets.upload_dataset(table, name="awkward")
    key = user.api_keys.create_api_key("cli").key
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVATAR_")}
    env |= {"AVATAR_API_KEY": key, "AVATAR_PROGRESS": "0"}
    avatars = str(Path(sys.executable).parent / "avatars")

    def run(*args: str) -> str:
        done = subprocess.run(
            [avatars, "datasets", *args, "--base-url", server.base_url],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    assert str(dataset.id) in run() and "awkward" in run()
    lines = run(str(dataset.id)).splitlines()
    email = next(line for line in lines if line.startswith("email "))
    assert "direct_identifier*" in email and "e-mail addresses" in email
    height = next(line for line in lines if line.startswith("height_cm "))
    assert "quasi_identifier " in height and "measurement" in height
    assert lines[-1].startswith("* identifies people by itself")
