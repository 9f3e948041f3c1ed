"""``ApiClient``: the low-level interface to an avatars server.

It owns the HTTP connection, the credentials (username/password with lazy token refresh, or an
API key), timeouts, retries and error mapping, and exposes one facade per area of the API.
"""

from __future__ import annotations

import dataclasses
import enum
import weakref

import httpx

from avatars._http import HttpCore
from avatars.client_config import ClientConfig, env_bool, server_root
from avatars.errors import AvatarError
from avatars.resources.api_keys import ApiKeys
from avatars.resources.auth import Auth
from avatars.resources.compatibility import Compatibility
from avatars.resources.datasets import Datasets
from avatars.resources.health import Health
from avatars.resources.jobs import Jobs
from avatars.resources.resources import Resources
from avatars.resources.results import Results
from avatars.resources.users import Users
from avatars.retry import RetryPolicy
from avatars.version import client_version

# The server learns the client's version from this header (GET /api/check_client).
USER_AGENT = f"avatars-python/{client_version()}"


class _Unset(enum.Enum):
    UNSET = enum.auto()


_UNSET = _Unset.UNSET  # "not given", where None has a meaning (timeout=None: no timeout)


def _settings(
    base_url: str | None,
    timeout: float | _Unset | None,
    should_verify_ssl: bool | None,
    api_key: str | None,
    config: ClientConfig | None,
) -> ClientConfig:
    """The settings in force: ``config``; else the arguments, over the ``AVATAR_*``
    variables when no ``base_url`` is given (over the defaults when one is, but for
    ``AVATAR_VERIFY_COMPATIBILITY``, which ``Manager(api_client=...)`` always followed)."""
    if config is not None:
        return config
    if base_url is None:
        base = ClientConfig.from_env()
    else:
        verify = env_bool("AVATAR_VERIFY_COMPATIBILITY", True)
        base = ClientConfig(verify_compatibility=verify)
    changes: dict[str, object] = {}
    if base_url is not None:
        changes["base_url"] = base_url
    if not isinstance(timeout, _Unset):
        changes["timeout"] = timeout
    if should_verify_ssl is not None:
        changes["should_verify_ssl"] = should_verify_ssl
    if api_key is not None:
        changes["api_key"] = api_key
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


class ApiClient:
    """Low-level client: ``auth``, ``users``, ``api_keys``, ``datasets``, ``resources``, ``jobs``,
    ``results``, ``health`` and ``compatibility`` facades.

    Args:
        base_url: The server, with or without a trailing ``/api`` (rules:
            :func:`avatars.client_config.server_root`); :attr:`base_url` is then the API
            root, always ending in ``/api``.
        timeout: Seconds to wait to connect, and between bytes when reading or writing.
        should_verify_ssl: Verify TLS certificates.
        verify_auth: Refuse, client-side, to call authenticated endpoints without credentials.
        http_client: An ``httpx.Client`` to use (proxies, custom TLS...). Its ``auth`` is
            replaced so the client's credentials apply.
        api_key: Authenticate every request with this API key (exclusive with
            :meth:`authenticate`).
        retry: How to retry transient failures; ``RetryPolicy.none()`` disables retries.
        config: All the connection settings at once (a :class:`ClientConfig`; exclusive with
            ``base_url``, ``timeout``, ``should_verify_ssl`` and ``api_key``). Its
            ``verify_compatibility`` is kept as :attr:`verify_compatibility`, which
            ``Manager(api_client=...)`` follows.

    With neither ``base_url`` nor ``config``, the ``AVATAR_*`` variables
    (:meth:`ClientConfig.from_env`) say where and how to connect.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout: float | _Unset | None = _UNSET,
        should_verify_ssl: bool | None = None,
        verify_auth: bool = True,
        http_client: httpx.Client | None = None,
        api_key: str | None = None,
        retry: RetryPolicy | None = None,
        config: ClientConfig | None = None,
    ) -> None:
        if config is not None:
            given = {
                "base_url": base_url is not None,
                "timeout": timeout is not _UNSET,
                "should_verify_ssl": should_verify_ssl is not None,
                "api_key": api_key is not None,
            }
            clashing = [name for name, present in given.items() if present]
            if clashing:
                raise ValueError(
                    f"config cannot be combined with {', '.join(clashing)}: set them in the "
                    "ClientConfig"
                )
        settings = _settings(base_url, timeout, should_verify_ssl, api_key, config)
        if settings.base_url is None:
            raise ValueError(
                "ApiClient needs a server: base_url=..., config=ClientConfig(base_url=...) or "
                "AVATAR_BASE_URL (Manager() without any starts the embedded server)"
            )
        base_url, timeout, api_key = settings.base_url, settings.timeout, settings.api_key
        should_verify_ssl = settings.should_verify_ssl
        self.verify_compatibility = settings.verify_compatibility
        root = server_root(base_url)
        self.base_url = f"{root}/api"
        self.timeout = timeout
        self.should_verify_ssl = should_verify_ssl
        self.verify_auth = verify_auth
        if http_client is None:
            http_client = httpx.Client(
                base_url=root,
                timeout=httpx.Timeout(timeout),
                verify=should_verify_ssl,
                headers={"User-Agent": USER_AGENT},
            )
            # Closed when this client is garbage-collected or at interpreter exit at the
            # latest: a script that never calls close() must not end with "ResourceWarning:
            # unclosed <socket.socket ...>" for the connections kept alive in the pool.
            self._finalizer: weakref.finalize[[], ApiClient] | None = weakref.finalize(
                self, http_client.close
            )
        else:
            if not str(http_client.base_url):
                http_client.base_url = httpx.URL(root)
            http_client.headers["User-Agent"] = USER_AGENT
            self._finalizer = None
        self._core = HttpCore(
            root,
            http_client,
            retry=retry or RetryPolicy(),
            verify_auth=verify_auth,
            api_key=api_key,
        )
        self.auth = Auth(self._core)
        self.users = Users(self._core)
        self.api_keys = ApiKeys(self._core)
        self.datasets = Datasets(self._core)
        self.health = Health(self._core)
        self.resources = Resources(self._core)
        self.jobs = Jobs(self._core)
        self.results = Results(self._core)
        self.compatibility = Compatibility(self._core)
        self._core.set_refresher(self._refresh_tokens)

    def set_header(self, k: str, v: str) -> None:
        """Send header ``k`` with value ``v`` with every request (the official client's
        parameter names); ``Authorization`` excepted: it carries the client's credentials,
        set by ``api_key`` or :meth:`authenticate`."""
        if k.strip().lower() == "authorization":
            raise ValueError(
                "set_header: Authorization carries the client's credentials; pass api_key=... "
                "or call authenticate()"
            )
        self._core.http.headers[k] = v

    def is_using_api_key(self) -> bool:
        return self._core.credentials.api_key is not None

    def authenticate(self, username: str, password: str) -> None:
        """Sign in; the access token is refreshed lazily for as long as the refresh token lives."""
        if self.is_using_api_key():
            raise AvatarError(
                "this client authenticates with an API key; username/password sign-in is "
                "not available on it (create another ApiClient without api_key)"
            )
        tokens = self.auth.login(username, password)
        self._core.credentials.set_tokens(
            tokens.access_token, tokens.refresh_token, tokens.expires_in
        )

    def _refresh_tokens(self, refresh_token: str) -> tuple[str, str, float]:
        tokens = self.auth.refresh(refresh_token)
        return tokens.access_token, tokens.refresh_token, float(tokens.expires_in)

    def close(self) -> None:
        """Close the connections (those of an ``http_client`` passed in stay its owner's);
        done by itself at exit, or as a context manager (``with ApiClient(...) as client``)."""
        if self._finalizer is not None:
            self._finalizer()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "api key" if self.is_using_api_key() else "user"
        return f"ApiClient({self.base_url!r}, auth={mode})"
