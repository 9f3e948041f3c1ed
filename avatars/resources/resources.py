"""``client.resources``: the YAML documents of runs (resource sets)."""

from __future__ import annotations

import uuid
from typing import cast

from avatars_api.api.resources import get_resources, list_resources, put_resources
from avatars_api.models import ResourceSetCreate, ResourceSetDetail, ResourceSetOut
from avatars_api.types import UNSET

from avatars._http import HttpCore


class Resources:
    def __init__(self, core: HttpCore) -> None:
        self._core = core

    def put_resources(self, display_name: str, yaml: str) -> ResourceSetOut:
        """Store a run's documents; returns the new set (a new ``set_name`` on every call).

        The server checks them against your datasets and answers 422 naming the culprit.
        """
        return self._core.call(
            put_resources.sync_detailed,
            ResourceSetOut,
            idempotent=False,
            display_name=display_name,
            body=ResourceSetCreate(yaml=yaml),
        )

    def get_resources(self, set_name: uuid.UUID | str) -> ResourceSetDetail:
        return self._core.call(
            get_resources.sync_detailed,
            ResourceSetDetail,
            idempotent=True,
            set_name=uuid.UUID(str(set_name)),
        )

    def list_resources(
        self, display_name: str | None = None, limit: int = 100
    ) -> list[ResourceSetOut]:
        return cast(
            list[ResourceSetOut],
            self._core.call(
                list_resources.sync_detailed,
                list,
                idempotent=True,
                display_name=display_name if display_name is not None else UNSET,
                limit=limit,
            ),
        )
