"""Check at start-up that the storage ``AVATAR_STORAGE_URL`` names can be used, and say plainly
what is wrong when it cannot: the server then refuses to start, rather than failing the first
upload with a botocore stack trace.

An S3 bucket is checked with the calls the server makes: a listing (endpoint reachable,
credentials valid, bucket present), then a small object written and erased (write and erase
permission: erasing is what deleting a dataset does). botocore is asked directly, not through
s3fs, because s3fs folds the error codes that tell these cases apart into ``PermissionError``.
A local folder needs no check here: ``Storage`` makes it private and says so if it cannot.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import fsspec
from fsspec.core import split_protocol

from avatar_server.startup_errors import StartupError
from avatar_server.storage import S3_PROTOCOLS

PROBE_FOLDER = ".avatars-storage-check"
_LOCAL_PROTOCOLS = (None, "file", "local")
_CREDENTIAL_CODES = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken"}
_REGION_CODES = {"AuthorizationHeaderMalformed", "PermanentRedirect", "IllegalLocationConstraint"}


def check_storage(url: str) -> None:
    """Raise :class:`StartupError` saying what to fix when ``url`` cannot store objects."""
    protocol, rest = split_protocol(url)
    if protocol in _LOCAL_PROTOCOLS:
        return
    if protocol not in S3_PROTOCOLS:
        _check_known_protocol(url, protocol)
        return
    try:
        import s3fs  # noqa: F401  (what the server reads and writes S3 with)
    except ImportError:
        raise StartupError(
            f"AVATAR_STORAGE_URL is {url}, an S3 bucket, but the server's S3 support is not "
            "installed: pip install 'open-avatars[s3]'"
        ) from None
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise StartupError(f"AVATAR_STORAGE_URL {url} names no bucket: write s3://bucket/prefix")
    S3Check(url, bucket, prefix.strip("/")).run()


def _check_known_protocol(url: str, protocol: str) -> None:
    try:
        fsspec.get_filesystem_class(protocol)
    except ValueError:
        raise StartupError(
            f"AVATAR_STORAGE_URL {url}: fsspec knows no protocol {protocol!r}; use a folder or "
            "s3://bucket/prefix"
        ) from None
    except ImportError as error:
        raise StartupError(f"AVATAR_STORAGE_URL {url} needs a package: {error}") from None


class S3Check:
    """The checks of one S3 storage URL, each turning botocore's answer into a plain message."""

    def __init__(self, url: str, bucket: str, prefix: str) -> None:
        import botocore.session
        from botocore.config import Config

        self.url = url
        self.bucket = bucket
        self.prefix = prefix
        session = botocore.session.get_session()
        # Short waits and one retry: a start-up check should answer in seconds, not minutes.
        self.client = session.create_client(
            "s3",
            config=Config(connect_timeout=5, read_timeout=20, retries={"total_max_attempts": 2}),
        )
        self.endpoint = self.client.meta.endpoint_url
        self.region = self.client.meta.region_name
        self.access_key = os.environ.get("AWS_ACCESS_KEY_ID", "(from the AWS configuration)")

    def run(self) -> None:
        self._call("list the bucket", "list_objects_v2", Prefix=self.prefix, MaxKeys=1)
        probe = f"{self.prefix}/{PROBE_FOLDER}/{uuid.uuid4().hex}".lstrip("/")
        self._call("write an object", "put_object", Key=probe, Body=b"avatars storage check")
        self._call(
            f"erase an object (it wrote s3://{self.bucket}/{probe}, left there)",
            "delete_object",
            Key=probe,
        )

    def _call(self, what: str, method: str, **arguments: Any) -> None:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            NoCredentialsError,
            PartialCredentialsError,
        )

        try:
            getattr(self.client, method)(Bucket=self.bucket, **arguments)
        except (NoCredentialsError, PartialCredentialsError):
            raise StartupError(
                f"AVATAR_STORAGE_URL is {self.url} but no S3 credentials were found: set "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            ) from None
        except ClientError as error:
            raise StartupError(self._refusal(what, error.response)) from None
        except BotoCoreError as error:
            raise StartupError(
                f"cannot reach the S3 endpoint {self.endpoint} ({error}): check "
                "AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL) and that the server is running"
            ) from None

    def _refusal(self, what: str, response: dict[str, Any]) -> str:
        details = response.get("Error", {})
        code = str(details.get("Code", ""))
        where = f"the S3 server at {self.endpoint}"
        if code == "InvalidAccessKeyId":
            return (
                f"{where} does not know the access key {self.access_key}: check AWS_ACCESS_KEY_ID"
            )
        if code in _CREDENTIAL_CODES:
            return (
                f"{where} refused the signature made for access key {self.access_key}: "
                "AWS_SECRET_ACCESS_KEY is not its secret (check it; it is not shown here)"
            )
        if code == "NoSuchBucket":
            return (
                f"bucket {self.bucket!r} does not exist at {self.endpoint}: create it (e.g. "
                f"'aws s3 mb s3://{self.bucket}'), or fix AVATAR_STORAGE_URL ({self.url})"
            )
        if code in _REGION_CODES:
            return (
                f"bucket {self.bucket!r} is not in region {self.region}: set "
                "AWS_DEFAULT_REGION to the bucket's region"
            )
        if code in {"AccessDenied", "403", "Forbidden"}:
            return (
                f"{where} does not let access key {self.access_key} {what} in bucket "
                f"{self.bucket!r}: the server needs to list, read, write and erase objects "
                f"under {self.url}"
            )
        message = details.get("Message", "")
        return f"{where} refused to {what} in bucket {self.bucket!r}: {code} {message}".strip()
