"""A real local chat-completions server with scripted answers, for tests and benchmarks.

Tests of the LLM client and of whole data-generation pipelines talk to this server over real HTTP
(stdlib ``ThreadingHTTPServer`` on 127.0.0.1, ephemeral port), so retries, timeouts, concurrency and
caching are exercised end to end instead of being mocked away.

Scripting: a *responder* receives a :class:`Call` (the request JSON, the choice index, the request
number) once per choice and returns the answer text (or a :class:`Reply`), or raises one of the
injected errors below (:class:`HTTPError` e.g. 429 with Retry-After, :class:`Hang`,
:class:`MalformedBody`, :class:`TruncatedBody`, :class:`DropConnection`). ``errors=[...]`` injects a
fixed sequence of failures into the first requests; ``latency`` delays every answer.

    with FakeChatServer(lambda call: "42", latency=0.05) as server:
        config = LLMConfig(base_url=server.url, model="fake")
        ...
        assert server.request_count == 1 and server.max_in_flight <= 8

Also a tiny CLI (``python -m xcoder.llm.testing serve|batch``) used by the kill -9 resume test and
the concurrency benchmark to run the server or a cached client batch in a separate process.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# ----------------------------------------------------------------------------------------------
# Scripting vocabulary


@dataclass
class Call:
    """What a responder sees: one choice of one request."""

    body: dict[str, Any]
    choice_index: int
    request_number: int

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.body.get("messages", [])

    @property
    def last_user(self) -> str:
        """Content of the last user message (the usual thing to script on)."""
        for message in reversed(self.messages):
            if message.get("role") == "user":
                content = message.get("content")
                return content if isinstance(content, str) else json.dumps(content)
        return ""


@dataclass
class Reply:
    """A richer answer than a plain string."""

    text: str
    reasoning: str | None = None
    finish_reason: str = "stop"


class InjectedError(Exception):
    """Base of failures a responder (or ``errors=``) can inject."""


class HTTPError(InjectedError):
    """Answer with this status (e.g. 429 with ``retry_after``, 500, 400 with a message)."""

    def __init__(self, status: int, message: str = "injected error", retry_after: float | None = None):
        super().__init__(f"HTTP {status}: {message}")
        self.status, self.message, self.retry_after = status, message, retry_after


class Hang(InjectedError):
    """Send nothing for ``seconds`` (None: until the server stops), then close the connection."""

    def __init__(self, seconds: float | None = None):
        super().__init__(f"hang {seconds}s")
        self.seconds = seconds


class MalformedBody(InjectedError):
    """Answer 200 with a body that is not valid JSON (correct Content-Length)."""

    def __init__(self, body: str = '{"id": "x", "choices": [{"index": 0, "message": {"content": "trunc'):
        super().__init__("malformed body")
        self.body = body


class TruncatedBody(InjectedError):
    """Announce a longer Content-Length than sent, then close: the connection dies mid-body."""


class DropConnection(InjectedError):
    """Close the connection without any answer."""


Responder = Callable[[Call], "str | Reply"]


def echo_responder(call: Call) -> str:
    """The default: says which choice answers which prompt (distinct per choice, deterministic)."""
    return f"answer {call.choice_index} to: {call.last_user}"


def queue_responder(items: Iterable[str | Reply | InjectedError]) -> Responder:
    """Answer successive calls with successive items; an exception item is raised (injected)."""
    pending = deque(items)
    lock = threading.Lock()

    def respond(call: Call) -> str | Reply:
        with lock:
            if not pending:
                raise HTTPError(500, "queue_responder ran out of scripted answers")
            item = pending.popleft()
        if isinstance(item, InjectedError):
            raise item
        return item

    return respond


@dataclass
class LoggedRequest:
    number: int
    path: str
    body: Any
    headers: dict[str, str]
    started: float
    finished: float | None = None
    status: int | None = None


def _count_tokens(text: str) -> int:
    return len(text.split())


# ----------------------------------------------------------------------------------------------
# The server


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 1024  # the stdlib default (5) drops bursts of concurrent connections
    fake: FakeChatServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away (killed, timed out) is expected in tests; anything else is a bug.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
    # Buffer the response so headers and body leave in one segment (the stdlib flushes after each
    # request); no Nagle delay either way.
    wbufsize = -1
    disable_nagle_algorithm = True
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_GET(self) -> None:
        fake = self.server.fake
        if self.path.rstrip("/").endswith("/models"):
            self._send_json(200, {"object": "list", "data": [{"id": fake.model, "object": "model"}]})
        else:
            self._send_json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        entry = fake._begin(self.path, raw, dict(self.headers))
        status = None
        try:
            status = self._handle(fake, entry)
        except _Closed:
            self.close_connection = True
        finally:
            fake._end(entry, status)

    # -- helpers -----------------------------------------------------------------------------

    def _handle(self, fake: FakeChatServer, entry: LoggedRequest) -> int:
        if not self.path.rstrip("/").endswith("/chat/completions"):
            return self._send_json(404, {"error": {"message": f"no route {self.path}"}})
        if fake.api_key is not None and self.headers.get("Authorization") != f"Bearer {fake.api_key}":
            return self._send_json(401, {"error": {"message": "invalid api key"}})
        body = entry.body
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return self._send_json(400, {"error": {"message": "body must be JSON with a messages list"}})
        if fake.latency:
            fake._stopping.wait(fake.latency)
        try:
            injected = fake._next_injected()
            if injected is not None:
                raise injected
            if fake.reject_response_format and "response_format" in body:
                raise HTTPError(400, "response_format is not supported by this server")
            n = int(body.get("n") or 1)
            if fake.reject_n and n > 1:
                raise HTTPError(400, "'n' must be 1 for this model")
            served = n if fake.max_n is None else min(n, fake.max_n)
            replies = [fake.responder(Call(body, i, entry.number)) for i in range(served)]
        except InjectedError as err:
            return self._inject(fake, err)
        choices, completion_tokens = [], 0
        for i, reply in enumerate(replies):
            if isinstance(reply, str):
                reply = Reply(reply)
            message: dict[str, Any] = {"role": "assistant", "content": reply.text}
            if reply.reasoning is not None:
                message["reasoning_content"] = reply.reasoning
            choices.append({"index": i, "message": message, "finish_reason": reply.finish_reason})
            completion_tokens += _count_tokens(reply.text) + _count_tokens(reply.reasoning or "")
        prompt_tokens = sum(_count_tokens(str(m.get("content", ""))) for m in body["messages"])
        return self._send_json(
            200,
            {
                "id": f"chatcmpl-{entry.number}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", fake.model),
                "choices": choices,
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            },
        )

    def _inject(self, fake: FakeChatServer, err: InjectedError) -> int:
        if isinstance(err, HTTPError):
            headers = {} if err.retry_after is None else {"Retry-After": f"{err.retry_after:g}"}
            return self._send_json(err.status, {"error": {"message": err.message, "code": err.status}}, headers)
        if isinstance(err, Hang):
            fake._stopping.wait(err.seconds)
            raise _Closed
        if isinstance(err, MalformedBody):
            return self._send_raw(200, err.body.encode())
        if isinstance(err, TruncatedBody):
            payload = b'{"id": "x", "choices": [{"index": 0, "message": {"content": "'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload) + 100))
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
            raise _Closed
        if isinstance(err, DropConnection):
            raise _Closed
        raise TypeError(f"unknown injected error {err!r}")

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> int:
        return self._send_raw(status, json.dumps(payload).encode(), headers)

    def _send_raw(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> int:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        return status


class _Closed(Exception):
    """Internal: the handler closed the connection without a (complete) answer."""


class FakeChatServer:
    """A scripted ``/v1/chat/completions`` (+ ``/v1/models``) server; a context manager.

    Args:
        responder: called once per choice; returns text/:class:`Reply` or raises an injected error.
        latency: seconds every chat request waits before answering.
        errors: failures injected into the first requests, in order (None entries mean "no error").
        max_n: most choices per answer (1 mimics a server that ignores ``n``); None honours ``n``.
        reject_n: answer 400 to any ``n > 1`` (some hosted APIs do).
        reject_response_format: answer 400 to any request carrying ``response_format``.
        api_key: when set, requests must carry ``Authorization: Bearer <api_key>``.
        model: the id ``GET /v1/models`` lists.
        port: 0 picks a free port.
    """

    def __init__(
        self,
        responder: Responder = echo_responder,
        *,
        latency: float = 0.0,
        errors: Iterable[InjectedError | None] = (),
        max_n: int | None = None,
        reject_n: bool = False,
        reject_response_format: bool = False,
        api_key: str | None = None,
        model: str = "fake-model",
        port: int = 0,
    ):
        self.responder = responder
        self.latency = latency
        self.max_n = max_n
        self.reject_n = reject_n
        self.reject_response_format = reject_response_format
        self.api_key = api_key
        self.model = model
        self._errors: deque[InjectedError | None] = deque(errors)
        self._lock = threading.Lock()
        self._numbers = itertools.count()
        self._stopping = threading.Event()
        self.requests: list[LoggedRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._httpd = _HTTPServer(("127.0.0.1", port), _Handler)
        self._httpd.fake = self
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL in the OpenAI convention (ends in ``/v1``)."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    @property
    def request_count(self) -> int:
        """Chat-completion requests received so far."""
        with self._lock:
            return sum(1 for r in self.requests if r.path.rstrip("/").endswith("/chat/completions"))

    def chat_bodies(self) -> list[dict[str, Any]]:
        """Parsed bodies of the chat requests received (a client killed mid-send leaves none)."""
        with self._lock:
            return [
                r.body
                for r in self.requests
                if r.path.rstrip("/").endswith("/chat/completions") and isinstance(r.body, dict)
            ]

    def inject(self, *errors: InjectedError | None) -> None:
        """Queue more failures for the next requests."""
        with self._lock:
            self._errors.extend(errors)

    def reset(self) -> None:
        """Forget the request log and in-flight maximum (between phases of a test)."""
        with self._lock:
            self.requests.clear()
            self.max_in_flight = self.in_flight

    def start(self) -> FakeChatServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="FakeChatServer", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wake hanging and sleeping handlers
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeChatServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- used by the handler -------------------------------------------------------------------

    def _begin(self, path: str, raw: bytes, headers: dict[str, str]) -> LoggedRequest:
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        headers = {k: ("<redacted>" if k.lower() == "authorization" else v) for k, v in headers.items()}
        with self._lock:
            entry = LoggedRequest(next(self._numbers), path, body, headers, time.monotonic())
            self.requests.append(entry)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        return entry

    def _end(self, entry: LoggedRequest, status: int | None) -> None:
        with self._lock:
            self.in_flight -= 1
            entry.finished, entry.status = time.monotonic(), status

    def _next_injected(self) -> InjectedError | None:
        with self._lock:
            return self._errors.popleft() if self._errors else None


# ----------------------------------------------------------------------------------------------
# CLI for multi-process tests and benchmarks


def numbered_requests(count: int, n: int = 1) -> list[Any]:
    """``count`` distinct single-message requests ("request 0", "request 1", ...)."""
    from xcoder.llm.client import ChatRequest

    return [ChatRequest([{"role": "user", "content": f"request {i}"}], n=n) for i in range(count)]


def _serve(args: argparse.Namespace) -> None:
    with FakeChatServer(latency=args.latency, port=args.port) as server:
        print(server.url, flush=True)
        try:
            sys.stdin.read()  # serve until stdin closes (the parent exits or closes the pipe)
        except KeyboardInterrupt:
            pass


def _batch(args: argparse.Namespace) -> None:
    from xcoder.llm.client import LLMConfig, chat_many_sync

    config = LLMConfig(
        base_url=args.base_url,
        model="fake-model",
        max_concurrency=args.concurrency,
        cache_path=args.cache,
        max_retries=2,
        backoff_base=0.05,
    )
    results, stats = chat_many_sync(config, numbered_requests(args.count, n=args.n), progress=False)
    errors = [r for r in results if not hasattr(r, "texts")]
    print(json.dumps({"errors": len(errors), **stats.total().__dict__}), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m xcoder.llm.testing", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the echo server; prints its URL; stops when stdin closes")
    serve.add_argument("--latency", type=float, default=0.0)
    serve.add_argument("--port", type=int, default=0)
    batch = sub.add_parser("batch", help="run numbered_requests(count) through a cached client")
    batch.add_argument("--base-url", required=True)
    batch.add_argument("--cache", required=True)
    batch.add_argument("--count", type=int, default=100)
    batch.add_argument("--n", type=int, default=1)
    batch.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args(argv)
    {"serve": _serve, "batch": _batch}[args.command](args)


if __name__ == "__main__":
    main()
