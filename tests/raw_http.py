"""HTTP requests written byte by byte on a socket, for what a well-behaved client never does.

``httpx`` sends a whole body before it reads the answer and always frames a body correctly;
the tests of request bounds need to see when the server answers (before the body is sent?),
to declare a length they do not send, and to hang up in the middle of a body.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

# Chunks are sent with a timeout: a server that stopped reading without answering would
# otherwise block the test forever once the socket buffers are full.
SEND_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 15.0


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    bytes_sent: int
    """How much of the body was sent before the server answered or stopped reading."""
    raw_size: int
    """The size of the whole answer as received (status line, headers and body)."""

    def json(self) -> Any:
        return json.loads(self.body)


def repeated(piece: bytes, total: int, chunk: int = 256 * 1024) -> Iterator[bytes]:
    """``total`` bytes of ``piece`` repeated, in chunks of ``chunk`` bytes."""
    block = piece * (chunk // len(piece) + 1)
    sent = 0
    while sent < total:
        size = min(chunk, total - sent)
        yield block[:size]
        sent += size


def json_string_body(field: str, total: int) -> Iterator[bytes]:
    """A JSON object ``{"<field>": "xxxx..."}`` of about ``total`` bytes, streamed."""
    yield f'{{"{field}": "'.encode()
    yield from repeated(b"x", total)
    yield b'"}'


def request(
    port: int,
    method: str,
    path: str,
    body: Iterable[bytes] = (),
    *,
    headers: dict[str, str] | None = None,
    content_length: int | None = None,
) -> RawResponse:
    """Send a request, its body chunk by chunk, and read the answer.

    Without ``content_length`` the body is sent chunked; with it, that length is declared
    whatever the body holds. Sending stops as soon as the server answers, closes the
    connection or stops reading, so a server that refuses a body early is seen doing so."""
    with socket.create_connection(("127.0.0.1", port), timeout=SEND_TIMEOUT_S) as sock:
        head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
        head += [f"{name}: {value}" for name, value in (headers or {}).items()]
        head.append(
            "Transfer-Encoding: chunked"
            if content_length is None
            else f"Content-Length: {content_length}"
        )
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        sent = _send_body(sock, body, chunked=content_length is None)
        return _read_response(sock, sent)


def _answered(sock: socket.socket) -> bool:
    """Whether the server has sent something (or closed): the answer came before the body."""
    sock.setblocking(False)
    try:
        return bool(sock.recv(1, socket.MSG_PEEK))  # b"": closed, also an answer
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        sock.setblocking(True)
        sock.settimeout(SEND_TIMEOUT_S)


def _send_body(sock: socket.socket, body: Iterable[bytes], *, chunked: bool) -> int:
    sent = 0
    try:
        for chunk in body:
            if _answered(sock):
                return sent
            framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk
            if chunk or not chunked:
                sock.sendall(framed)
            sent += len(chunk)
        if chunked:
            sock.sendall(b"0\r\n\r\n")
    except (TimeoutError, BrokenPipeError, ConnectionResetError):
        pass  # the server stopped reading or hung up: its answer, if any, is read next
    return sent


def _read_response(sock: socket.socket, sent: int) -> RawResponse:
    sock.settimeout(READ_TIMEOUT_S)
    received = b""
    try:
        while b"\r\n\r\n" not in received:
            data = sock.recv(65536)
            if not data:
                break
            received += data
        head, _, body = received.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines[1:])
        }
        length = int(headers.get("content-length", "-1"))
        while len(body) < length:
            data = sock.recv(65536)
            if not data:
                break
            body += data
    except ConnectionResetError as error:
        raise AssertionError(
            f"the server reset the connection before answering ({sent} body bytes sent)"
        ) from error
    if not lines[0].startswith("HTTP/1.1 "):
        raise AssertionError(f"no answer from the server ({sent} body bytes sent): {received!r}")
    status = int(lines[0].split()[1])
    return RawResponse(status, headers, body, sent, len(head) + 4 + len(body))
