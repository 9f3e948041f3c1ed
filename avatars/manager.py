"""``Manager``: the entry point — connect (or start the embedded server), sign in, make runners.

``Manager()`` with no server URL anywhere (argument, config, ``AVATAR_BASE_URL``) starts the
embedded server in-process and signs in its local user, so the documentation's examples run on
a laptop with nothing else installed. With a URL it talks to that server.
"""

from __future__ import annotations

import dataclasses
import uuid
import warnings
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from avatars_api.models import BulkDeleteResponse

from avatar_yaml import (
    Config,
    DataRecipient,
    DataSubject,
    DataType,
    JobKind,
    JobStatus,
    ReportLanguage,
    ResultsFormat,
    SensitivityLevel,
)
from avatars.client import ApiClient
from avatars.client_config import ClientConfig
from avatars.display import JobList, ResultSummaries
from avatars.errors import AvatarError
from avatars.results import cancel_unfinished
from avatars.runner import Runner

if TYPE_CHECKING:
    import os

    from avatars_api.models import JobOut

_LIST_LIMIT = 1000  # the server's largest page of jobs


class Manager:
    """High-level facade: one authenticated :class:`avatars.client.ApiClient`
    (:attr:`auth_client`) and shortcuts to make runners and inspect jobs.

    Args:
        base_url: The server, with or without a trailing ``/api``.
        api_client: An existing client to use as is (exclusive with every other argument
            but ``should_verify_compatibility``).
        api_key: Authenticate with this API key (else :meth:`authenticate`).
        config: Full connection settings (exclusive with ``base_url`` and ``api_key``).
        should_verify_compatibility: Ask the server whether it serves this client version
            (default: ``AVATAR_VERIFY_COMPATIBILITY``, on).

    Without ``api_client`` or ``config``, the ``AVATAR_*`` variables fill in what the
    arguments leave out. Without any server URL, the embedded server is started (once per
    process) and its local user signed in.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        api_client: ApiClient | None = None,
        api_key: str | None = None,
        config: ClientConfig | None = None,
        should_verify_compatibility: bool | None = None,
    ) -> None:
        if api_client is not None and (
            base_url is not None or api_key is not None or config is not None
        ):
            raise ValueError("api_client cannot be combined with base_url, api_key or config")
        if config is not None and (base_url is not None or api_key is not None):
            raise ValueError("config cannot be combined with base_url or api_key")
        self.embedded = False
        self._owns_client = api_client is None
        if api_client is not None:
            self.auth_client = api_client
            verify = api_client.verify_compatibility
        else:
            settings = config if config is not None else ClientConfig.from_env()
            if base_url is not None:
                settings = dataclasses.replace(settings, base_url=base_url)
            if api_key is not None:
                settings = dataclasses.replace(settings, api_key=api_key)
            verify = settings.verify_compatibility
            self.auth_client = self._connect(settings)
        if should_verify_compatibility is not None:
            verify = should_verify_compatibility
        if verify:
            self._check_compatibility()
        if self.embedded and not self.auth_client.is_using_api_key():
            from avatars.local import shared_embedded_server

            self.auth_client.authenticate(*shared_embedded_server().local_credentials())
        elif self.auth_client.is_using_api_key() and api_client is None:
            self.auth_client.users.get_me()  # a wrong key fails here, not at the first run

    def _connect(self, settings: ClientConfig) -> ApiClient:
        api_url = settings.api_url
        if api_url is None:
            from avatars.local import shared_embedded_server

            api_url = shared_embedded_server().base_url
            self.embedded = True
        return ApiClient(
            api_url,
            timeout=settings.timeout,
            should_verify_ssl=settings.should_verify_ssl,
            api_key=settings.api_key,
        )

    def _check_compatibility(self) -> None:
        answer = self.auth_client.compatibility.check_client()
        status = str(answer.status)
        latest = answer.most_recent_compatible_client
        advice = f" (most recent compatible client: {latest})" if latest else ""
        if status == "incompatible":
            raise AvatarError(
                f"this client does not work with the server at {self.auth_client.base_url}: "
                f"{answer.message}{advice}"
            )
        if status == "unknown":
            warnings.warn(
                f"the server could not tell whether this client works with it: "
                f"{answer.message}{advice}",
                UserWarning,
                stacklevel=3,
            )

    def __repr__(self) -> str:
        where = "embedded server" if self.embedded else self.auth_client.base_url
        return f"Manager({where!r})"

    def close(self) -> None:
        """Close the connections of the client this Manager made (not of an ``api_client``
        passed in). Optional: they are closed at exit anyway; ``with Manager() as manager:``
        closes them at the end of the block. The embedded server stops at exit."""
        if self._owns_client:
            self.auth_client.close()

    def __enter__(self) -> Manager:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- authentication ----------------------------------------------------------------------

    def authenticate(
        self, username: str, password: str, should_verify_compatibility: bool | None = None
    ) -> None:
        """Sign in with a username and password (not with an API key in use).

        On the embedded server, a name signing in for the first time becomes a user.
        """
        if self.auth_client.is_using_api_key():
            raise AvatarError(
                "this Manager authenticates with an API key: authenticate() is not needed "
                "(create a Manager without api_key to sign in with a password)"
            )
        if should_verify_compatibility:
            self._check_compatibility()
        self.auth_client.authenticate(username, password)

    def forgotten_password(self, email: str) -> None:
        """Ask the server to email a password reset token (same answer for unknown emails)."""
        self.auth_client.auth.forgotten_password(email)

    def reset_password(
        self,
        email: str,
        new_password: str,
        new_password_repeated: str,
        token: str | uuid.UUID,
    ) -> None:
        """Set a new password with the token from the reset email."""
        self.auth_client.auth.reset_password(email, new_password, new_password_repeated, str(token))

    # -- runners -----------------------------------------------------------------------------

    def create_runner(
        self,
        set_name: str,
        seed: int | None = None,
        max_distribution_plots: int | None = None,
        pia_data_recipient: DataRecipient | str = DataRecipient.UNKNOWN,
        pia_data_type: DataType | str = DataType.UNKNOWN,
        pia_data_subject: DataSubject | str = DataSubject.UNKNOWN,
        pia_sensitivity_level: SensitivityLevel | str = SensitivityLevel.UNDEFINED,
        report_language: ReportLanguage = ReportLanguage.EN,
        *,
        output_format: ResultsFormat | str | None = None,
        approver_name: str | None = None,
        approver_role: str | None = None,
        approver_organisation: str | None = None,
        approver_date: date | str | None = None,
    ) -> Runner:
        """A new, empty run named ``set_name`` (no request is made).

        ``output_format`` (``csv`` or ``parquet``) is the format the run writes its avatar
        tables in, and so the files :meth:`~avatars.runner.Runner.get_specific_result_urls`
        gives; unset, each table keeps the format it was uploaded in.

        The ``pia_*`` facts and the ``approver_*`` (name, role, organisation, date as a
        ``datetime.date`` or ``"YYYY-MM-DD"``) are printed in the reports; those not given
        read "to be completed" (see :meth:`avatars.runner.Runner.set_pia`).
        """
        return Runner(
            self.auth_client,
            set_name,
            seed=seed,
            max_distribution_plots=max_distribution_plots,
            output_format=output_format,
            pia_data_recipient=pia_data_recipient,
            pia_data_type=pia_data_type,
            pia_data_subject=pia_data_subject,
            pia_sensitivity_level=pia_sensitivity_level,
            approver_name=approver_name,
            approver_role=approver_role,
            approver_organisation=approver_organisation,
            approver_date=approver_date,
            report_language=report_language,
        )

    def create_runner_from_id(self, set_name: str | uuid.UUID) -> Runner:
        """A runner over a stored run (``runner.set_name`` of a past run), with its results.

        Its results are read without running anything again, and it keeps the run's name
        (``display_name``): it is that run, read back. Calling ``run()`` on it stores a new
        run under the same name, as running a new runner of that name would (it warns with
        the old ``set_name``, whose results stay); :meth:`create_runner_from_name` then gives
        the newest, and :meth:`find_ids_by_name` lists them all. For a new name, use
        ``create_runner`` or :meth:`create_runner_from_yaml`.

        Raises TypeError if ``set_name`` is not a str or UUID, ValueError if it is not a
        UUID, NotFoundError if you have no such set.
        """
        if isinstance(set_name, uuid.UUID):
            set_id = set_name
        elif isinstance(set_name, str):
            try:
                set_id = uuid.UUID(set_name)
            except ValueError:
                raise ValueError(f"set_name {set_name!r} is not a UUID") from None
        else:
            raise TypeError(f"set_name must be a str or UUID, got {type(set_name).__name__}")
        stored = self.auth_client.resources.get_resources(set_id)
        config = Config.from_yaml(stored.yaml)
        jobs = self.auth_client.jobs.get_jobs(set_name=set_id, limit=_LIST_LIMIT).jobs
        runner = Runner(self.auth_client, stored.display_name)
        runner.adopt(config, str(set_id), jobs)
        return runner

    def create_runner_from_name(self, display_name: str) -> Runner:
        """A runner over the newest run named ``display_name``, with that name and its
        results (see :meth:`create_runner_from_id`); ValueError if there is none."""
        runs = self.find_ids_by_name(display_name)
        if not runs:
            raise ValueError(f"no run named {display_name!r}")
        return self.create_runner_from_id(runs[0][0])

    def create_runner_from_yaml(self, yaml_path: str | os.PathLike[str], set_name: str) -> Runner:
        """A new runner named ``set_name`` whose configuration is read from a YAML file (its
        tables must name datasets you uploaded). A file written by the official client is
        read too, each table's ``file`` found among your datasets (see
        :meth:`avatars.runner.Runner.from_yaml`)."""
        runner = self.create_runner(set_name)
        runner.from_yaml(yaml_path)
        return runner

    # -- jobs and results --------------------------------------------------------------------

    def find_ids_by_name(self, set_name: str) -> list[tuple[str, list[JobOut]]]:
        """The runs named ``set_name``: ``(set_name UUID, jobs)`` pairs, newest run first.
        Advice jobs are left out (they are not runs)."""
        jobs = self.auth_client.jobs.get_jobs(display_name=set_name, limit=_LIST_LIMIT).jobs
        groups: dict[str, list[JobOut]] = {}
        for job in jobs:
            if job.kind == JobKind.ADVICE:
                continue
            groups.setdefault(str(job.set_name), []).append(job)

        def newest(item: tuple[str, list[JobOut]]) -> datetime:
            return max(job.created_at for job in item[1])

        return sorted(groups.items(), key=newest, reverse=True)

    def get_last_jobs(self, count: int = 1, name: str | None = None) -> JobList:
        """Your ``count`` most recent jobs (of the runs named ``name``, if given), by job
        name (a dict; a table in notebooks)."""
        jobs = self.auth_client.jobs.get_jobs(display_name=name, limit=_count(count)).jobs
        return JobList((job.name, job) for job in jobs)

    def get_jobs_by_name(self, name: str) -> list[JobOut]:
        """Every job of every run named ``name`` (a run's display name), newest first."""
        if not isinstance(name, str) or not name:
            raise TypeError(f"name: expected a run's display name, got {name!r}")
        return list(self.auth_client.jobs.get_jobs(display_name=name, limit=_LIST_LIMIT).jobs)

    def get_jobs_by_id(self, id: uuid.UUID | str) -> list[JobOut]:
        """Every job of the run whose ``set_name`` is ``id``, newest first (ValueError if
        ``id`` is not a UUID)."""
        set_id = _set_id(id)
        return list(self.auth_client.jobs.get_jobs(set_name=set_id, limit=_LIST_LIMIT).jobs)

    def get_last_set(self) -> list[JobOut]:
        """The jobs of your most recent set: the set of your newest job (an advice's set
        too, since advice is stored as a set of its own); empty if you have no job."""
        newest = self.auth_client.jobs.get_jobs(limit=1).jobs
        if not newest:
            return []
        return self.get_jobs_by_id(newest[0].set_name)

    def get_last_results(self, count: int = 1) -> ResultSummaries:
        """The result files of your ``count`` most recently created finished jobs, as
        ``{result kind: [file names]}`` maps (a list; a table in notebooks)."""
        jobs = self.auth_client.jobs.get_jobs(status=JobStatus.DONE, limit=_count(count)).jobs
        summaries = ResultSummaries()
        for job in jobs:
            files: dict[str, list[str]] = {}
            for entry in self.auth_client.results.get_results(job.name).files:
                files.setdefault(entry.kind, []).append(entry.name)
            summaries.append(files)
        return summaries

    def get_health(self) -> dict[str, str]:
        """The server's health (``status``) and version."""
        health = self.auth_client.health.get_health()
        return {key: str(value) for key, value in health.to_dict().items()}

    def _only_run(self, name: str, action: str) -> str:
        """The set of the one run named ``name``; ValueError when there is none, or several
        (listing the ``<action>_job_by_id`` call for each, newest first)."""
        runs = self.find_ids_by_name(name)
        if not runs:
            raise ValueError(f"no run named {name!r}")
        if len(runs) > 1:
            calls = "\n".join(
                f"  manager.{action}_job_by_id(UUID('{set_id}'))" for set_id, _ in runs
            )
            raise ValueError(
                f"{len(runs)} runs are named {name!r}; {action} one of them by id "
                f"(newest first):\n{calls}"
            )
        return runs[0][0]

    def delete_job(self, name: str) -> BulkDeleteResponse:
        """Delete every job of the run named ``name``.

        Raises ValueError when no run has that name, or when several do: the message then
        lists the ``delete_job_by_id`` call for each, newest first.
        """
        return self.delete_job_by_id(self._only_run(name, "delete"))

    def delete_job_by_id(self, id: uuid.UUID | str) -> BulkDeleteResponse:
        """Delete every job (and result) of the run whose ``set_name`` is ``id``."""
        return self.delete_jobs([job.name for job in self.get_jobs_by_id(id)])

    def delete_jobs(self, job_names: Sequence[str] | str) -> BulkDeleteResponse:
        """Delete any number of jobs by name (a bare string is one name); one answer
        (unknown names are in ``failed_jobs``)."""
        return self.auth_client.jobs.bulk_delete_jobs(_names(job_names))

    def cancel_job(self, name: str) -> list[JobOut]:
        """Cancel the unfinished jobs of the run named ``name``; returns the cancelled jobs.

        Raises ValueError when no run has that name, or when several do: the message then
        lists the ``cancel_job_by_id`` call for each, newest first.
        """
        return self.cancel_job_by_id(self._only_run(name, "cancel"))

    def cancel_job_by_id(self, id: uuid.UUID | str) -> list[JobOut]:
        """Cancel the unfinished jobs of the run whose ``set_name`` is ``id``; returns the
        cancelled jobs; ValueError when you have no run of that id."""
        jobs = self.get_jobs_by_id(id)
        if not jobs:
            raise ValueError(f"no run of yours has the set_name {str(id)!r}")
        return self.cancel_jobs([job.name for job in jobs])

    def cancel_jobs(self, job_names: Sequence[str] | str) -> list[JobOut]:
        """Cancel the unfinished jobs among ``job_names`` (a bare string is one name);
        returns the cancelled ones, as the server answered. Finished jobs are left as they
        are; an unknown name raises ValueError, before any is cancelled.

        Newest first: a job waits only for older ones, and cancelling a job cancels those
        waiting for it, so each job is still unfinished when its turn comes.
        """
        names = _names(job_names)
        jobs = self.auth_client.jobs.get_jobs(names=names).jobs
        missing = sorted(set(names) - {job.name for job in jobs})
        if missing:
            raise ValueError(f"no job named {', '.join(map(repr, missing))} among yours")
        return cancel_unfinished(self.auth_client, [job.name for job in jobs])


def _count(count: int) -> int:
    """A number of jobs to list: 1 to the server's largest page, refused by name otherwise
    (the server's own message would name its ``limit``, not the argument given)."""
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= _LIST_LIMIT:
        raise ValueError(f"count: expected a whole number from 1 to {_LIST_LIMIT}, got {count!r}")
    return count


def _set_id(id: uuid.UUID | str) -> uuid.UUID:
    """A run's ``set_name`` as a UUID; ValueError naming what was given otherwise."""
    if isinstance(id, uuid.UUID):
        return id
    try:
        return uuid.UUID(str(id))
    except ValueError:
        raise ValueError(f"id {id!r} is not a UUID (a runner's set_name)") from None


def _names(job_names: Sequence[str] | str) -> list[str]:
    """Job names as a list; a bare string is one name, never its characters."""
    if isinstance(job_names, str):
        return [job_names]
    if not isinstance(job_names, Sequence) or not all(isinstance(n, str) for n in job_names):
        raise TypeError(f"job_names: expected a job name or a list of them, got {job_names!r}")
    return list(job_names)
