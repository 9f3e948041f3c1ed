"""how each CSV dataset is read: delimiter, quote character and encoding

Revision ID: 0004
Revises: 0003

The CSV files stored before this revision were all accepted as UTF-8 with commas and double
quotes (nothing else was), so that is what they are given; Parquet datasets keep NULL.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DATASETS = sa.table("datasets", sa.column("format", sa.String), sa.column("csv_dialect", sa.JSON))


def upgrade() -> None:
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("csv_dialect", sa.JSON(), nullable=True))
    op.execute(
        _DATASETS.update()
        .where(_DATASETS.c.format == "csv")
        .values(csv_dialect={"delimiter": ",", "quotechar": '"', "encoding": "utf-8"})
    )


def downgrade() -> None:
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.drop_column("csv_dialect")
