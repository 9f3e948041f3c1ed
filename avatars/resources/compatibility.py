"""``client.compatibility``: does this client work with the server?"""

from __future__ import annotations

from avatars_api.api.compatibility import check_client
from avatars_api.models import CompatibilityResponse

from avatars._http import HttpCore


class Compatibility:
    def __init__(self, core: HttpCore) -> None:
        self._core = core

    def check_client(self) -> CompatibilityResponse:
        return self._core.call(
            check_client.sync_detailed,
            CompatibilityResponse,
            idempotent=True,
            authenticated=False,
        )
