"""The HTTP transport: one kept-alive connection per thread, retries with backoff, streamed bodies."""
import http.client
import json
import os
import random
import socket
import ssl
import threading
import time
import urllib.parse
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Union

from .errors import ApiError, ConnectionFailed, api_error

Body = Union[None, bytes, Iterable[bytes], Any]  # bytes, an iterable of bytes, or a binary file object
CHUNK = 1 << 20
RETRIED_STATUSES = (429, 503)
_NETWORK_ERRORS = (ConnectionError, socket.timeout, TimeoutError, http.client.HTTPException, OSError)


class Response:
    """An answer. Unless streamed, its bytes are in ``body``; a streamed one is read with
    ``iter_bytes()`` or ``readline()`` and must be closed (it is a context manager)."""

    def __init__(self, raw: http.client.HTTPResponse, release: Callable[[bool], None]):
        self.status = raw.status
        self.headers: Dict[str, str] = {k.lower(): v for k, v in raw.getheaders()}
        self.body = b""
        self._raw = raw
        self._release = release
        self._done = False

    def read(self) -> bytes:
        try:
            self.body = self._raw.read()
            return self.body
        finally:
            self.close()

    def json(self) -> Any:
        data = self.body or self.read()
        return json.loads(data) if data else None

    def iter_bytes(self, size: int = CHUNK) -> Iterable[bytes]:
        try:
            while True:
                chunk = self._raw.read1(size)
                if not chunk:
                    return
                yield chunk
        finally:
            self.close()

    def readline(self) -> bytes:
        return self._raw.readline()

    def close(self) -> None:
        if not self._done:
            self._done = True
            # The connection can carry the next request only if this answer was read to its end.
            whole = self._raw.isclosed()
            if not whole:
                self._raw.close()
            self._release(whole and not self._raw.will_close)

    def __enter__(self) -> "Response":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class Transport:
    """Sends requests to one Spool; safe to share between threads.

    Connection errors, 429 and 503 are retried with exponential backoff and jitter (honouring
    ``Retry-After``) for up to ``retry_for`` seconds. Every write the SDK makes is safe to repeat:
    submits and batches carry an idempotency key, worker reports are fenced by their attempt.
    """

    def __init__(self, base_url: str, api_key: Optional[str], timeout: float = 60.0, retry_for: float = 30.0,
                 user_agent: str = "spool-python", headers: Optional[Mapping[str, str]] = None):
        parsed = urllib.parse.urlsplit(base_url.rstrip("/"))
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError("base_url must be http(s)://host[:port][/prefix], not %r" % base_url)
        self.base_url = base_url.rstrip("/")
        self._scheme = parsed.scheme
        self._host = parsed.hostname
        self._port = parsed.port or (443 if parsed.scheme == "https" else 80)
        self._prefix = parsed.path.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.retry_for = retry_for
        self._headers = {"User-Agent": user_agent, "Accept": "application/json"}
        self._headers.update(headers or {})
        self._local = threading.local()
        self._kept: set = set()  # every thread's connection, so that close() can close them all
        self._kept_lock = threading.Lock()

    # ------------------------------------------------------------------ connections

    def _new_connection(self, timeout: Optional[float]) -> http.client.HTTPConnection:
        if self._scheme == "https":
            return http.client.HTTPSConnection(self._host, self._port, timeout=timeout,
                                               context=ssl.create_default_context())
        return http.client.HTTPConnection(self._host, self._port, timeout=timeout)

    def _connection(self, timeout: Optional[float]) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._new_connection(timeout)
            self._local.conn = conn
        if conn.sock is None:  # new, or closed (by close(), or after an error): kept for close() again
            with self._kept_lock:
                self._kept.add(conn)
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with self._kept_lock:
                self._kept.discard(conn)
            conn.close()

    def close(self) -> None:
        """Closes the connections of every thread (a later request opens a new one)."""
        with self._kept_lock:
            kept, self._kept = list(self._kept), set()
        for conn in kept:
            conn.close()

    # ------------------------------------------------------------------ requests

    def url(self, path: str, params: Optional[Mapping[str, Any]] = None) -> str:
        return self._prefix + path + query(params)

    def request(self, method: str, path: str, *, params: Optional[Mapping[str, Any]] = None, json_body: Any = None,
                body: Body = None, headers: Optional[Mapping[str, str]] = None, timeout: Optional[float] = None,
                retry_for: Optional[float] = None, stream: bool = False, auth: bool = True) -> Response:
        """Sends one request, retried as the class says; raises :class:`ApiError` for 4xx and 5xx."""
        all_headers = dict(self._headers)
        if auth and self.api_key:
            all_headers["Authorization"] = "Bearer " + self.api_key
        if json_body is not None:
            body = json.dumps(json_body, separators=(",", ":")).encode()
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        target = self.url(path, params)
        rewind = _rewinder(body)
        deadline = time.monotonic() + (self.retry_for if retry_for is None else retry_for)
        tries = 0
        while True:
            tries += 1
            wait: Optional[float] = None
            try:
                answer = self._send(method, target, body, all_headers, self.timeout if timeout is None else timeout,
                                    stream)
            except _NETWORK_ERRORS as e:
                if not stream:
                    self._drop()
                if rewind is None or time.monotonic() >= deadline:
                    raise ConnectionFailed("%s %s: %s" % (method, self.base_url + target, e)) from e
                wait = backoff(tries)
            else:
                if answer.status < 400:
                    if not stream:
                        answer.read()
                    return answer
                error = _error(answer)
                if answer.status not in RETRIED_STATUSES or rewind is None or time.monotonic() >= deadline:
                    raise error
                wait = error.retry_after if error.retry_after is not None else backoff(tries)
            wait = min(wait, max(0.0, deadline - time.monotonic()))
            time.sleep(wait)
            rewind()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """A request whose answer is JSON (or empty): the parsed body."""
        return self.request(method, path, **kwargs).json()

    def _send(self, method: str, target: str, body: Body, headers: Dict[str, str], timeout: Optional[float],
              own: bool) -> Response:
        # A streamed answer holds its connection while it is read: it gets one of its own.
        conn = self._new_connection(timeout) if own else self._connection(timeout)
        length = _length(body)
        chunked = False
        if body is not None and length is None:
            chunked = True
        elif body is not None:
            headers = dict(headers, **{"Content-Length": str(length)})
        conn.putrequest(method, target, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        if chunked:
            conn.putheader("Transfer-Encoding", "chunked")
        elif body is None and method in ("POST", "PUT", "PATCH"):
            conn.putheader("Content-Length", "0")
        conn.endheaders()
        try:
            if body is not None:
                for piece in _pieces(body):
                    if piece:
                        conn.send(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                if chunked:
                    conn.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading (a 413, say): its answer says why
        try:
            raw = conn.getresponse()
        except BaseException:
            if own:
                conn.close()
            raise

        def release(reusable: bool) -> None:
            if own:
                conn.close()
            elif not reusable:
                self._drop()

        return Response(raw, release)


def query(params: Optional[Mapping[str, Any]]) -> str:
    """``?a=1&b=x,y``: None values left out, lists joined by commas, dicts as ``name[key]=value``."""
    if not params:
        return ""
    pairs = []
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            pairs.extend(("%s[%s]" % (name, k), str(v)) for k, v in value.items())
        elif isinstance(value, (list, tuple, set)):
            pairs.append((name, ",".join(str(v) for v in value)))
        elif isinstance(value, bool):
            pairs.append((name, "true" if value else "false"))
        else:
            pairs.append((name, str(value)))
    return "?" + urllib.parse.urlencode(pairs) if pairs else ""


def backoff(tries: int, base: float = 0.25, cap: float = 10.0) -> float:
    """Exponential backoff with full jitter: up to base * 2^(tries-1), at most cap."""
    return random.uniform(base / 2, min(cap, base * (2 ** (tries - 1))))


def _error(answer: Response) -> ApiError:
    data = answer.read()
    try:
        problem = json.loads(data) if data else {}
        if not isinstance(problem, dict):
            problem = {"detail": str(problem)}
    except ValueError:
        problem = {"detail": data[:500].decode("utf-8", "replace")}
    return api_error(answer.status, problem, answer.headers)


def _length(body: Body) -> Optional[int]:
    if body is None:
        return None
    if isinstance(body, (bytes, bytearray, memoryview)):
        return len(body)
    if hasattr(body, "fileno") and hasattr(body, "tell"):
        try:
            return os.fstat(body.fileno()).st_size - body.tell()
        except (OSError, ValueError):
            return None
    return getattr(body, "length", None)


def _pieces(body: Body) -> Iterable[bytes]:
    if isinstance(body, (bytes, bytearray, memoryview)):
        yield bytes(body)
    elif hasattr(body, "read"):
        while True:
            piece = body.read(CHUNK)
            if not piece:
                return
            yield piece
    else:
        yield from body


def _rewinder(body: Body) -> Optional[Callable[[], None]]:
    """How to send the body again on a retry; None when it cannot be (a generator already consumed)."""
    if body is None or isinstance(body, (bytes, bytearray, memoryview)):
        return lambda: None
    if hasattr(body, "rewind"):
        return body.rewind
    if hasattr(body, "seek") and hasattr(body, "tell"):
        try:
            start = body.tell()
            return lambda: body.seek(start)
        except (OSError, ValueError):
            return None
    return None
