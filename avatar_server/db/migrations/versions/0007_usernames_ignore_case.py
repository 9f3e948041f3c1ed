"""usernames unique whatever their letter case

Revision ID: 0007
Revises: 0006

A database holding usernames that differ only in case ("Alice" and "alice") cannot take the
index: the upgrade stops, names them and says how to rename all but one of each, and changes
nothing (the server then refuses to start until it is done).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    names = op.get_bind().execute(sa.text("SELECT username FROM users")).scalars()
    by_lower: dict[str, list[str]] = defaultdict(list)
    for name in names:
        by_lower[name.lower()].append(name)
    clashes = [sorted(group) for group in by_lower.values() if len(group) > 1]
    if clashes:
        listed = "; ".join(", ".join(repr(name) for name in group) for group in sorted(clashes))
        raise RuntimeError(
            "usernames are now compared regardless of letter case, and these differ only in "
            f"case: {listed}. Rename all but one of each (UPDATE users SET username = "
            "'new-name' WHERE username = 'old-name'), then start the server again."
        )
    op.create_index("uq_users_lower_username", "users", [sa.text("lower(username)")], unique=True)


def downgrade() -> None:
    op.drop_index("uq_users_lower_username", table_name="users")
