"""Configuration and errors of the LLM client, importable without httpx (configs of data_gen and
eval embed :class:`LLMConfig` and are parsed long before any request is made)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xcoder.config import ConfigError, help_field

N_MODES = ("auto", "native", "separate")
STRUCTURED_MODES = ("auto", "json_schema", "json_object", "none")


@dataclass
class LLMConfig:
    """Where and how to call a model. Sampling fields are defaults each call may override."""

    base_url: str | list[str] = help_field(
        "OpenAI-compatible base URL(s), ending in /v1; a list spreads load over servers.",
        default="http://127.0.0.1:8000/v1",
    )
    model: str = help_field("Model name as the server knows it.", default="")
    api_key_env: str | None = help_field(
        "Name of the environment variable holding the API key (None: no auth header).",
        default=None,
    )
    max_concurrency: int = help_field("Max HTTP requests in flight, over all endpoints.", default=64)
    timeout: float = help_field("Seconds one HTTP request may take in total.", default=600.0)
    connect_timeout: float = help_field("Seconds to establish a connection (apart from timeout).", default=10.0)
    preflight_timeout: float = help_field(
        "Seconds the first request to each endpoint (GET /models, before any work) may take.", default=30.0
    )
    breaker_failures: int = help_field(
        "Stop (LLMUnavailable) once this many attempts in a row failed for breaker_seconds; 0: never.", default=16
    )
    breaker_seconds: float = help_field(
        "How long every attempt must have failed before the breaker opens.", default=30.0
    )
    hang_warning: float = help_field("Warn when requests in flight got no answer for this many seconds.", default=60.0)
    max_retries: int = help_field("Retries per request after the first attempt.", default=6)
    backoff_base: float = help_field("First backoff delay (s); doubles per retry.", default=1.0)
    backoff_max: float = help_field("Cap on one backoff delay (s).", default=60.0)
    max_retry_after: float = help_field("Cap on a server's Retry-After (s).", default=300.0)
    endpoint_cooldown: float = help_field(
        "Seconds a failing endpoint is avoided; doubles per consecutive failure (up to 64x).",
        default=5.0,
    )
    temperature: float | None = help_field("Sampling temperature (None: server default).", default=0.7)
    top_p: float | None = help_field("Nucleus sampling (None: server default).", default=None)
    max_tokens: int | None = help_field("Max completion tokens (None: server default).", default=None)
    seed: int | None = help_field("Sampling seed, where the server honours it.", default=None)
    stop: list[str] | None = help_field("Stop sequences.", default=None)
    n_mode: str = help_field(
        "auto: send n, fetch missing samples separately; native: trust n; separate: n requests.",
        default="auto",
    )
    structured_output: str = help_field(
        "auto (json_schema, degrading on rejection) | json_schema | json_object | none.",
        default="auto",
    )
    extra_body: dict[str, Any] = help_field(
        "Extra request fields, e.g. {'top_k': 20} or chat_template_kwargs for vLLM.",
        default_factory=dict,
    )
    cache_path: str | None = help_field("SQLite response cache file (None: no cache).", default=None)
    cache_durable: bool = help_field("fsync every cache entry (survives power loss).", default=False)

    def __post_init__(self) -> None:
        urls = [self.base_url] if isinstance(self.base_url, str) else list(self.base_url)
        if not urls or not all(isinstance(u, str) and u.startswith(("http://", "https://")) for u in urls):
            raise LLMConfigError(f"llm.base_url must be one or more http(s) URLs, got {self.base_url!r}")
        if not self.model:
            raise LLMConfigError("llm.model is required (the model name the server serves)")
        if self.max_concurrency < 1:
            raise LLMConfigError(f"llm.max_concurrency must be >= 1, got {self.max_concurrency}")
        if self.max_retries < 0:
            raise LLMConfigError(f"llm.max_retries must be >= 0, got {self.max_retries}")
        if self.n_mode not in N_MODES:
            raise LLMConfigError(f"llm.n_mode must be one of {N_MODES}, got {self.n_mode!r}")
        if self.structured_output not in STRUCTURED_MODES:
            raise LLMConfigError(
                f"llm.structured_output must be one of {STRUCTURED_MODES}, got {self.structured_output!r}"
            )

    @property
    def base_urls(self) -> list[str]:
        urls = [self.base_url] if isinstance(self.base_url, str) else list(self.base_url)
        return [u.rstrip("/") for u in urls]


class LLMError(Exception):
    """Base of the errors a request can end in; batch helpers return these instead of raising."""


class LLMConfigError(LLMError, ConfigError):
    """Invalid client configuration (a :class:`~xcoder.config.ConfigError`, so it names its key)."""


class LLMHTTPError(LLMError):
    """A non-retryable HTTP answer (a 4xx other than 408/425/429)."""

    def __init__(self, status: int, body: str, url: str):
        self.status, self.body, self.url = status, body, url
        super().__init__(f"HTTP {status} from {url}: {body_excerpt(body)}")


class LLMRetriesExhausted(LLMError):
    """Every attempt failed with a retryable error; ``last_error`` describes the final one."""

    def __init__(self, attempts: int, last_error: str):
        self.attempts, self.last_error = attempts, last_error
        super().__init__(f"gave up after {attempts} attempts; last error: {last_error}")


class LLMUnavailable(LLMError):
    """The endpoint(s) cannot be used: the preflight failed, or every recent attempt failed (the
    circuit breaker opened). Work should stop, not be dropped item by item."""

    def __init__(self, url: str, last_error: str):
        self.url, self.last_error = url, last_error
        super().__init__(f"LLM endpoint {url} is not usable: {last_error}")


def body_excerpt(text: str, limit: int = 500) -> str:
    text = text.strip().replace("\n", "\\n")
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"
