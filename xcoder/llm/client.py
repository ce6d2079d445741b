"""Async client for OpenAI-compatible chat-completions endpoints (``vllm serve``, SGLang, hosted APIs).

Built directly on ``httpx.AsyncClient`` rather than the ``openai`` package so that retries, timeouts,
endpoint choice and ``n`` fallbacks follow one policy we control and can test.

Usage::

    from xcoder.llm import LLMClient, LLMConfig, ChatRequest

    config = LLMConfig(base_url=["http://gpu1:8000/v1", "http://gpu2:8000/v1"], model="Qwen/Qwen3-8B",
                       max_concurrency=128, cache_path="runs/gen/llm_cache.sqlite")
    async with LLMClient(config) as llm:
        result = await llm.chat([{"role": "user", "content": "Say hi"}], n=4)
        result.texts                                # 4 samples
        plan = (await llm.chat(msgs, json_schema=SCHEMA)).json()   # parsed dict
        results = await llm.chat_many([ChatRequest(m) for m in many], description="tasks")
        async for index, res in llm.chat_stream(requests):   # as they finish, for writing shards
            ...
        console.print(llm.stats.table())

    chat_many_sync(config, requests)                # the same from a plain script

Behaviour, in short:

* at most ``max_concurrency`` HTTP requests in flight in total (so size it as per-server x servers),
  spread over the endpoints by least in-flight; an endpoint that fails (connection error, timeout,
  5xx, 429) is avoided for a growing cool-down;
* retries with exponential backoff and jitter on 408/429/5xx, timeouts, connection errors and
  malformed bodies (``Retry-After`` honoured); any other 4xx fails at once with status and body;
* ``n`` samples per request; when a server returns fewer choices than asked (it ignores or limits
  ``n``) the rest is fetched in further requests — with shifted seeds, so samples stay distinct;
* ``json_schema=``/``json=True`` ask for structured output (config ``structured_output``), degrading
  automatically when a server rejects ``response_format``; :meth:`ChatResult.json` extracts JSON
  from free text either way;
* with ``cache_path`` set, answers are stored in a :class:`~xcoder.llm.cache.ResponseCache`; a hit
  makes no HTTP request, so reruns are free and killed runs resume where they stopped. Identical
  requests therefore give identical answers: ask for ``n`` samples (or vary ``seed``) to get variety;
* token usage, cache hits, retries per model in :attr:`LLMClient.stats`; the API key is read from the
  environment variable named by ``api_key_env`` and never logged or stored.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import os
import random
import re
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from xcoder.llm.cache import ResponseCache, cache_key
from xcoder.llm.config import (
    LLMConfig,
    LLMConfigError,
    LLMError,
    LLMHTTPError,
    LLMRetriesExhausted,
    LLMUnavailable,
    body_excerpt,
)
from xcoder.llm.json_extract import extract_json
from xcoder.llm.stats import LLMStats

log = logging.getLogger("xcoder.llm")

Message = Mapping[str, Any]
SAMPLING_PARAMS = ("temperature", "top_p", "max_tokens", "seed", "stop")
RETRYABLE_STATUS = {408, 425, 429}
# httpcore 1.0's pool re-scans all connections for every queued request on every event, so one
# AsyncClient with 64 busy connections spends its time there (measured: 39 req/s instead of 320 at
# 64 in flight, 200 ms latency). Small independent pools ("lanes") keep that scan cheap; 4 measured
# a little cheaper per request than 8 (benchmarks/datagen_concurrency.py).
LANE_SIZE = 4


# ----------------------------------------------------------------------------------------------
# Results


@dataclass
class ChatResult:
    """The samples of one chat call. ``texts[i]`` is sample i's content (reasoning excluded when the
    server separates it into ``reasoning[i]``)."""

    texts: list[str]
    finish_reasons: list[str | None]
    reasoning: list[str | None]
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False
    key: str | None = None

    @property
    def text(self) -> str:
        return self.texts[0]

    def json(self, index: int = 0, expect: type | tuple[type, ...] | None = dict) -> Any:
        """Sample ``index`` parsed as JSON (raises ``JSONExtractionError`` when none is found)."""
        return extract_json(self.texts[index], expect=expect)

    def json_values(self, expect: type | tuple[type, ...] | None = dict) -> list[Any | None]:
        """Every sample parsed as JSON, None where extraction failed."""
        out: list[Any | None] = []
        for text in self.texts:
            try:
                out.append(extract_json(text, expect=expect))
            except ValueError:
                out.append(None)
        return out

    def to_cache(self) -> dict[str, Any]:
        return {
            "texts": self.texts,
            "finish_reasons": self.finish_reasons,
            "reasoning": self.reasoning,
            "model": self.model,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
        }

    @classmethod
    def from_cache(cls, data: Mapping[str, Any], key: str) -> ChatResult:
        return cls(
            texts=list(data["texts"]),
            finish_reasons=list(data["finish_reasons"]),
            reasoning=list(data["reasoning"]),
            model=data["model"],
            prompt_tokens=data.get("prompt_tokens", 0),
            completion_tokens=data.get("completion_tokens", 0),
            cached=True,
            key=key,
        )


@dataclass
class ChatRequest:
    """One item of a batch: what :meth:`LLMClient.chat` takes, as data. ``params`` overrides
    sampling fields (temperature, top_p, max_tokens, seed, stop, extra_body)."""

    messages: list[dict[str, Any]]
    n: int | None = None
    json_schema: dict[str, Any] | None = None
    json: bool = False
    model: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------------------------------------
# Internals: what a call asks, endpoints, attempt outcomes


@dataclass
class _Ask:
    """What one chat call asks for (everything but ``n``), as sent to the server."""

    model: str
    messages: list[dict[str, Any]]
    sampling: dict[str, Any]
    extra_body: dict[str, Any]
    structured: dict[str, Any] | None  # {"schema": dict | None} when JSON was requested


@dataclass
class _Endpoint:
    url: str
    in_flight: int = 0
    consecutive_failures: int = 0
    down_until: float = 0.0
    busy_since: float = 0.0  # when in_flight last went from 0 to 1
    last_answer: float = 0.0  # when any attempt last ended (answer or error)
    last_warned: float = 0.0


class _Retryable(Exception):
    """Internal: an attempt failed in a way worth retrying."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


class _LeaderCancelled(Exception):
    """Internal: the call that was fetching an answer for identical waiting calls was cancelled."""


class _Rejected(Exception):
    """Internal: a non-retryable 4xx, kept apart so fallbacks can inspect it before it surfaces."""

    def __init__(self, error: LLMHTTPError):
        super().__init__(str(error))
        self.error = error


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


_RESPONSE_FORMAT_REJECTION = re.compile(r"response_format|json_schema|json_object|guided|structured", re.I)
_N_REJECTION = re.compile(r"(?<![\w\\-])['\"`]?n['\"`]?(?![\w-])")


# ----------------------------------------------------------------------------------------------
# The client


class LLMClient:
    """See the module docstring. Use as ``async with LLMClient(config) as llm: ...``."""

    def __init__(self, config: LLMConfig, cache: ResponseCache | None = None):
        self.config = config
        self.stats = LLMStats()
        self._endpoints = [_Endpoint(url) for url in config.base_urls]
        self._rotation = 0
        headers = {"Content-Type": "application/json"}
        if config.api_key_env:
            key = os.environ.get(config.api_key_env)
            if not key:
                raise LLMConfigError(
                    f"environment variable {config.api_key_env!r} (llm.api_key_env) is not set or empty"
                )
            headers["Authorization"] = f"Bearer {key}"
        n_lanes = -(-config.max_concurrency // LANE_SIZE)
        ssl_context = httpx.create_ssl_context()  # loading CA certificates is slow: do it once
        self._lanes = [
            httpx.AsyncClient(
                headers=headers,
                verify=ssl_context,
                timeout=httpx.Timeout(config.timeout, connect=min(config.connect_timeout, config.timeout)),
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=LANE_SIZE * len(self._endpoints)),
            )
            for _ in range(n_lanes)
        ]
        # One token per allowed in-flight request: taking one both bounds concurrency (like a
        # semaphore) and says which lane's connection pool to use.
        self._slots: asyncio.Queue[httpx.AsyncClient] = asyncio.Queue()
        for i in range(config.max_concurrency):
            self._slots.put_nowait(self._lanes[i % n_lanes])
        self._owns_cache = cache is None and config.cache_path is not None
        self.cache = ResponseCache(config.cache_path, durable=config.cache_durable) if self._owns_cache else cache
        self._pending: dict[str, asyncio.Future[ChatResult]] = {}
        # What we learnt about the servers: the most choices one answer carried when it returned
        # fewer than asked, and how far structured output had to degrade.
        self._n_cap: int | None = 1 if config.n_mode == "separate" else None
        self._structured_level = 0  # 0: as configured, 1: json_object, 2: none
        # Circuit breaker: attempts failed in a row (over all endpoints) and since when; once open,
        # every request fails at once with this error.
        self._streak = 0
        self._streak_since = 0.0
        self._broken: LLMUnavailable | None = None
        self._watchdog: asyncio.Task | None = None

    async def __aenter__(self) -> LLMClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        for lane in self._lanes:
            await lane.aclose()
        if self._owns_cache and self.cache is not None:
            self.cache.close()

    # -- public API ------------------------------------------------------------------------

    async def chat(
        self,
        messages: Sequence[Message],
        *,
        n: int | None = None,
        json_schema: Mapping[str, Any] | None = None,
        json: bool = False,
        model: str | None = None,
        use_cache: bool = True,
        **params: Any,
    ) -> ChatResult:
        """Sample ``n`` completions (default 1) of ``messages``.

        ``params`` override the config's sampling fields (temperature, top_p, max_tokens, seed,
        stop, extra_body). ``json_schema`` (a JSON Schema dict) or ``json=True`` request structured
        output; parse with :meth:`ChatResult.json`. Raises :class:`LLMError` subclasses.
        """
        unknown = set(params) - set(SAMPLING_PARAMS) - {"extra_body"}
        if unknown:
            raise TypeError(f"chat() got unknown parameter(s) {sorted(unknown)}; known: {SAMPLING_PARAMS}")
        n = 1 if n is None else int(n)
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        model = model or self.config.model
        msgs = [dict(m) for m in messages]
        sampling = {name: params.get(name, getattr(self.config, name)) for name in SAMPLING_PARAMS}
        extra_body = {**self.config.extra_body, **(params.get("extra_body") or {})}
        structured: dict[str, Any] | None = None
        if json_schema is not None:
            structured = {"schema": dict(json_schema)}
        elif json:
            structured = {"schema": None}
        stats = self.stats.model(model)
        stats.requests += 1

        ask = _Ask(model, msgs, sampling, extra_body, structured)
        if self.cache is None or not use_cache:
            return await self._sample(ask, n)
        key = cache_key(model, msgs, {**sampling, "n": n, "extra_body": extra_body, "structured": structured})
        while True:
            hit = await asyncio.to_thread(self.cache.get, key)
            if hit is not None:
                stats.cache_hits += 1
                return ChatResult.from_cache(hit, key)
            pending = self._pending.get(key)
            if pending is None:
                break
            try:  # the same request is already on its way: share its answer
                result = await asyncio.shield(pending)
            except _LeaderCancelled:
                continue  # its caller was cancelled, not us: take over
            stats.cache_hits += 1
            return ChatResult(**{**result.__dict__, "cached": True})

        stats.cache_misses += 1
        future: asyncio.Future[ChatResult] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            result = await self._sample(ask, n)
            result.key = key
            request_record = {
                "model": model,
                "messages": msgs,
                "n": n,
                **sampling,
                "extra_body": extra_body,
                "structured": structured,
            }
            written = await asyncio.to_thread(
                self.cache.put, key, result.to_cache(), model=model, request=request_record
            )
            if not written:  # another process stored this key first: agree with the cache
                stored = await asyncio.to_thread(self.cache.get, key)
                if stored is not None:
                    result = ChatResult(**{**ChatResult.from_cache(stored, key).__dict__, "cached": False})
            future.set_result(result)
            return result
        except BaseException as err:
            future.set_exception(_LeaderCancelled() if isinstance(err, asyncio.CancelledError) else err)
            future.exception()  # mark retrieved: there may be no follower to read it
            raise
        finally:
            del self._pending[key]

    async def chat_stream(
        self,
        requests: Iterable[ChatRequest],
        *,
        progress: bool = True,
        description: str = "LLM requests",
        total: int | None = None,
    ) -> AsyncIterator[tuple[int, ChatResult | LLMError]]:
        """Run many requests, yielding ``(index, result_or_error)`` as each finishes.

        Errors of the :class:`LLMError` family are yielded, not raised, so one bad item never stops
        a stage. Requests are pulled lazily, so a generator of millions is fine.
        """
        if total is None and hasattr(requests, "__len__"):
            total = len(requests)  # type: ignore[arg-type]
        iterator = iter(enumerate(requests))
        queue: asyncio.Queue[tuple[int, ChatResult | LLMError] | Exception | None] = asyncio.Queue()

        async def worker() -> None:
            try:
                for index, req in iterator:
                    try:
                        res: ChatResult | LLMError = await self.chat(
                            req.messages,
                            n=req.n,
                            json_schema=req.json_schema,
                            json=req.json,
                            model=req.model,
                            **req.params,
                        )
                    except LLMError as err:
                        res = err
                    await queue.put((index, res))
            except Exception as bug:  # not an LLM failure: a bug, surface it at once
                await queue.put(bug)
            finally:
                await queue.put(None)

        n_workers = self.config.max_concurrency
        workers = [asyncio.create_task(worker()) for _ in range(n_workers)]
        progress_bar = None
        if progress:
            from xcoder.progress import make_progress  # rich only when a bar is shown

            progress_bar = make_progress(counters="cache hits {task.fields[hits]} · errors {task.fields[errors]}")
            progress_bar.add_task(description, total=total, hits=0, errors=0)
        try:
            if progress_bar is not None:
                progress_bar.__enter__()
            finished = errors = hits = 0
            while finished < n_workers:
                item = await queue.get()
                if item is None:
                    finished += 1
                    continue
                if isinstance(item, Exception):
                    raise item
                errors += isinstance(item[1], LLMError)
                hits += isinstance(item[1], ChatResult) and item[1].cached
                if progress_bar is not None:
                    progress_bar.update(0, advance=1, errors=errors, hits=hits)
                yield item
        finally:
            for task in workers:
                task.cancel()
            if progress_bar is not None:
                progress_bar.__exit__(None, None, None)

    async def chat_many(
        self,
        requests: Sequence[ChatRequest],
        *,
        progress: bool = True,
        description: str = "LLM requests",
        on_result: Callable[[int, ChatResult | LLMError], None] | None = None,
    ) -> list[ChatResult | LLMError]:
        """Run all ``requests``; results in input order (errors in place, see :meth:`chat_stream`)."""
        out: list[ChatResult | LLMError | None] = [None] * len(requests)
        async for index, res in self.chat_stream(requests, progress=progress, description=description):
            out[index] = res
            if on_result is not None:
                on_result(index, res)
        return out  # type: ignore[return-value]

    async def list_models(self) -> list[str]:
        """Model ids served by the first endpoint (``GET /models``)."""
        url = self._endpoints[0].url + "/models"
        response = await self._lanes[0].get(url)
        if response.status_code != 200:
            raise LLMHTTPError(response.status_code, response.text, url)
        return [m["id"] for m in response.json().get("data", [])]

    async def preflight(self) -> None:
        """One cheap request (``GET /models``) per endpoint before any work, within
        ``preflight_timeout``: an endpoint that refuses connections, never answers, rejects the key
        or fails raises :class:`LLMUnavailable` naming it, instead of hours of retries. A server
        without the route (404/405) passes; a model it does not list is a warning."""
        timeout = httpx.Timeout(
            self.config.preflight_timeout, connect=min(self.config.connect_timeout, self.config.preflight_timeout)
        )
        for endpoint in self._endpoints:
            url = endpoint.url + "/models"
            try:
                response = await _get_within(self._lanes[0], url, timeout, self.config.preflight_timeout)
            except (TimeoutError, httpx.TimeoutException) as err:
                raise LLMUnavailable(
                    endpoint.url,
                    f"no answer to GET /models within {self.config.preflight_timeout:g}s ({type(err).__name__})",
                ) from None
            except httpx.TransportError as err:
                raise LLMUnavailable(endpoint.url, f"connection error: {_transport_error(err)}") from None
            status = response.status_code
            if status in (404, 405):
                continue
            if status != 200:
                raise LLMUnavailable(
                    endpoint.url, f"GET /models answered HTTP {status}: {body_excerpt(response.text, 200)}"
                )
            try:
                served = [m.get("id") for m in response.json().get("data", []) if isinstance(m, dict)]
            except (ValueError, AttributeError):
                continue
            if served and self.config.model not in served:
                log.warning(
                    "%s does not list model %r (it serves %s)",
                    endpoint.url,
                    self.config.model,
                    ", ".join(map(str, served[:5])),
                )

    async def _watch_hangs(self) -> None:
        """Warn while requests get no answer at all (a server that accepts but never replies)."""
        every = self.config.hang_warning
        while True:
            await asyncio.sleep(max(0.05, min(every / 4, 5.0)))
            now = time.monotonic()
            for e in self._endpoints:
                if not e.in_flight:
                    continue
                silent = now - max(e.busy_since, e.last_answer)
                if silent >= every and now - e.last_warned >= every:
                    e.last_warned = now
                    log.warning(
                        "no answer from %s for %.0fs (%d request(s) waiting; each may take up to %gs, "
                        "then is retried)",
                        e.url,
                        silent,
                        e.in_flight,
                        self.config.timeout,
                    )

    def _note_failure(self, url: str, err: Exception) -> None:
        """Count a failed attempt; open the breaker when every attempt failed for long enough."""
        now = time.monotonic()
        if self._streak == 0:
            self._streak_since = now
        self._streak += 1
        cfg = self.config
        if (
            cfg.breaker_failures
            and self._streak >= cfg.breaker_failures
            and now - self._streak_since >= cfg.breaker_seconds
        ):
            self._broken = self._broken or LLMUnavailable(
                url, f"the last {self._streak} attempts failed over {now - self._streak_since:.0f}s; last error: {err}"
            )

    # -- sampling with n fallback ----------------------------------------------------------

    async def _sample(self, ask: _Ask, n: int) -> ChatResult:
        stats = self.stats.model(ask.model)
        texts: list[str] = []
        finish: list[str | None] = []
        reasoning: list[str | None] = []
        usage = [0, 0]
        served_model = ask.model

        def chunks(offset: int, remaining: int) -> list[tuple[int, int]]:
            cap = remaining if self.config.n_mode == "native" or self._n_cap is None else self._n_cap
            return [(offset + i, min(cap, remaining - i)) for i in range(0, remaining, cap)]

        while len(texts) < n:
            parts = chunks(len(texts), n - len(texts))
            calls = [self._request_with_fallbacks(ask, start, size) for start, size in parts]
            answers = [await calls[0]] if len(calls) == 1 else await asyncio.gather(*calls)
            for (_, size), answer in zip(parts, answers):
                choices = answer["choices"][:size]
                if len(choices) < size and self.config.n_mode != "native":
                    # The server ignores or limits n: remember the largest count it gave us.
                    self._n_cap = max(1, min(self._n_cap or size, len(choices)))
                for choice in sorted(choices, key=lambda c: c.get("index", 0)):
                    message = choice.get("message") or {}
                    texts.append(message.get("content") or "")
                    reasoning.append(message.get("reasoning_content") or message.get("reasoning"))
                    finish.append(choice.get("finish_reason"))
                u = answer.get("usage") or {}
                usage[0] += int(u.get("prompt_tokens") or 0)
                usage[1] += int(u.get("completion_tokens") or 0)
                served_model = answer.get("model") or served_model
            if self.config.n_mode == "native":
                break
        stats.prompt_tokens += usage[0]
        stats.completion_tokens += usage[1]
        return ChatResult(texts[:n], finish[:n], reasoning[:n], served_model, usage[0], usage[1])

    def _response_format(self, structured: dict[str, Any] | None) -> dict[str, Any] | None:
        if structured is None:
            return None
        mode = self.config.structured_output
        if mode == "none":
            return None
        if mode == "auto":
            mode = ("json_schema", "json_object", "none")[self._structured_level]
            if mode == "none":
                return None
        if mode == "json_schema" and structured["schema"] is not None:
            return {"type": "json_schema", "json_schema": {"name": "response", "schema": structured["schema"]}}
        return {"type": "json_object"}

    async def _request_with_fallbacks(self, ask: _Ask, offset: int, size: int) -> dict[str, Any]:
        """One chat-completions answer for ``size`` choices; degrades ``n`` or ``response_format``
        when a server rejects them with a 4xx naming them."""
        while True:
            body: dict[str, Any] = {**ask.extra_body, "model": ask.model, "messages": ask.messages}
            for name, value in ask.sampling.items():
                if value is not None:
                    body[name] = value
            if size > 1:
                body["n"] = size
            if offset and body.get("seed") is not None:
                body["seed"] = int(body["seed"]) + offset  # distinct samples from follow-up requests
            response_format = self._response_format(ask.structured)
            if response_format is not None:
                body["response_format"] = response_format
            try:
                return await self._post(body, ask.model)
            except _Rejected as rejected:
                err = rejected.error
                if (
                    response_format is not None
                    and self.config.structured_output == "auto"
                    and self._structured_level < 2
                    and _RESPONSE_FORMAT_REJECTION.search(err.body)
                ):
                    self._structured_level += 1
                    log.warning(
                        "server rejected response_format %s; degrading structured output", response_format["type"]
                    )
                    continue
                if size > 1 and self.config.n_mode == "auto" and _N_REJECTION.search(err.body):
                    log.warning("server rejected n=%d; sending one request per sample", size)
                    self._n_cap = 1
                    size = 1
                    # Only one choice of the chunk comes back; _sample asks again for the rest.
                    continue
                raise err from None

    # -- one HTTP request with retries -----------------------------------------------------

    def _pick_endpoint(self) -> _Endpoint:
        now = time.monotonic()
        healthy = [e for e in self._endpoints if e.down_until <= now]
        if not healthy:  # everything is cooling down: probe the one that recovers first
            return min(self._endpoints, key=lambda e: e.down_until)
        self._rotation += 1
        k = len(healthy)
        return min((healthy[(self._rotation + i) % k] for i in range(k)), key=lambda e: e.in_flight)

    def _mark_failure(self, endpoint: _Endpoint, retry_after: float | None) -> None:
        endpoint.consecutive_failures += 1
        if retry_after is not None:
            cooldown = min(retry_after, self.config.max_retry_after)
        else:
            cooldown = self.config.endpoint_cooldown * 2 ** min(endpoint.consecutive_failures - 1, 6)
        endpoint.down_until = max(endpoint.down_until, time.monotonic() + cooldown)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        cfg = self.config
        # "Equal jitter": half the exponential delay for sure, the other half random, so that
        # many clients hit by one outage do not come back in lock-step.
        delay = min(cfg.backoff_max, cfg.backoff_base * 2 ** (attempt - 1))
        delay = delay / 2 + random.uniform(0, delay / 2)
        if retry_after is not None:
            delay = max(delay, min(retry_after, cfg.max_retry_after))
        return delay

    async def _post(self, body: dict[str, Any], model: str) -> dict[str, Any]:
        stats = self.stats.model(model)
        attempt = 0
        while True:
            attempt += 1
            if self._broken is not None:
                stats.failures += 1
                raise self._broken
            if self._watchdog is None and self.config.hang_warning > 0:
                self._watchdog = asyncio.get_running_loop().create_task(self._watch_hangs())
            http = await self._slots.get()
            try:
                endpoint = self._pick_endpoint()
                url = endpoint.url + "/chat/completions"
                ep_stats = self.stats.endpoint(endpoint.url)
                if endpoint.in_flight == 0:
                    endpoint.busy_since = time.monotonic()
                endpoint.in_flight += 1
                stats.http_requests += 1
                ep_stats.http_requests += 1
                try:
                    answer = await self._attempt(http, url, body)
                except _Retryable as err:
                    ep_stats.errors += 1
                    self._mark_failure(endpoint, err.retry_after)
                    self._note_failure(endpoint.url, err)
                    failure: _Retryable | None = err
                except _Rejected:
                    ep_stats.errors += 1
                    stats.failures += 1
                    self._streak = 0
                    raise
                else:
                    endpoint.consecutive_failures = 0
                    endpoint.down_until = 0.0
                    self._streak = 0
                    return answer
                finally:
                    endpoint.in_flight -= 1
                    endpoint.last_answer = time.monotonic()
            finally:
                self._slots.put_nowait(http)
            assert failure is not None
            if self._broken is not None:
                stats.failures += 1
                raise self._broken
            if attempt > self.config.max_retries:
                stats.failures += 1
                raise LLMRetriesExhausted(attempt, f"{failure} ({url})")
            stats.retries += 1
            delay = self._backoff(attempt, failure.retry_after)
            log.info("retrying in %.2fs after %s (%s, attempt %d)", delay, failure, endpoint.url, attempt)
            await asyncio.sleep(delay)

    async def _attempt(self, http: httpx.AsyncClient, url: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await _post_within(http, url, body, self.config.timeout)
        except (TimeoutError, httpx.TimeoutException) as err:
            raise _Retryable(f"timeout after {self.config.timeout}s ({type(err).__name__})") from None
        except httpx.TransportError as err:
            raise _Retryable(f"connection error: {_transport_error(err)}") from None
        status = response.status_code
        if status in RETRYABLE_STATUS or status >= 500:
            retry_after = _parse_retry_after(response.headers.get("retry-after"))
            raise _Retryable(f"HTTP {status}: {body_excerpt(response.text, 200)}", retry_after)
        if status >= 400:
            raise _Rejected(LLMHTTPError(status, response.text, url))
        try:
            answer = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise _Retryable(f"malformed JSON body ({err}): {body_excerpt(response.text, 200)}") from None
        if not isinstance(answer, dict) or not isinstance(answer.get("choices"), list) or not answer["choices"]:
            raise _Retryable(f"answer without choices: {body_excerpt(response.text, 200)}")
        return answer


async def _post_within(http: httpx.AsyncClient, url: str, body: dict[str, Any], seconds: float) -> httpx.Response:
    """POST with a cap on the total time (httpx's own timeouts are per read). ``asyncio.timeout``
    (3.11+) is used where it exists: it avoids the extra task ``wait_for`` creates per request."""
    if hasattr(asyncio, "timeout"):
        async with asyncio.timeout(seconds):
            return await http.post(url, json=body)
    return await asyncio.wait_for(http.post(url, json=body), timeout=seconds)  # Python 3.10


def _transport_error(err: BaseException) -> str:
    """httpx's message plus the OS error under it ("All connection attempts failed" alone does not
    say "connection refused")."""
    text = f"{type(err).__name__}: {err}"
    cause, seen = err.__cause__ or err.__context__, 0
    while cause is not None and seen < 8:
        if isinstance(cause, OSError) and cause.errno:
            return f"{text} ({os.strerror(cause.errno)})"
        cause, seen = cause.__cause__ or cause.__context__, seen + 1
    return text


async def _get_within(http: httpx.AsyncClient, url: str, timeout: httpx.Timeout, seconds: float) -> httpx.Response:
    if hasattr(asyncio, "timeout"):
        async with asyncio.timeout(seconds):
            return await http.get(url, timeout=timeout)
    return await asyncio.wait_for(http.get(url, timeout=timeout), timeout=seconds)  # Python 3.10


def chat_many_sync(
    config: LLMConfig, requests: Sequence[ChatRequest], **kwargs: Any
) -> tuple[list[ChatResult | LLMError], LLMStats]:
    """Blocking convenience for scripts: run a batch, return (results, stats)."""

    async def run() -> tuple[list[ChatResult | LLMError], LLMStats]:
        async with LLMClient(config) as llm:
            return await llm.chat_many(requests, **kwargs), llm.stats

    return asyncio.run(run())


def chat_sync(config: LLMConfig, messages: Sequence[Message], **kwargs: Any) -> ChatResult:
    """Blocking convenience for one call (opens and closes a client; use chat_many_sync for many)."""

    async def run() -> ChatResult:
        async with LLMClient(config) as llm:
            return await llm.chat(messages, **kwargs)

    return asyncio.run(run())


__all__ = [
    "ChatRequest",
    "ChatResult",
    "LLMClient",
    "LLMConfig",
    "LLMConfigError",
    "LLMError",
    "LLMHTTPError",
    "LLMRetriesExhausted",
    "LLMUnavailable",
    "chat_many_sync",
    "chat_sync",
]
