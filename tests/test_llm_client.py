"""The LLM client against a real local chat-completions server (xcoder.llm.testing): no mocks."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import pytest

from xcoder.config import ConfigError, build
from xcoder.llm import (
    ChatRequest,
    ChatResult,
    JSONExtractionError,
    LLMClient,
    LLMConfig,
    LLMConfigError,
    LLMHTTPError,
    LLMRetriesExhausted,
    ResponseCache,
    chat_many_sync,
    chat_sync,
    extract_json,
)
from xcoder.llm.testing import (
    Call,
    DropConnection,
    FakeChatServer,
    Hang,
    HTTPError,
    MalformedBody,
    Reply,
    TruncatedBody,
    numbered_requests,
)

USER = [{"role": "user", "content": "hello"}]


def config(url: str | list[str], **kw) -> LLMConfig:
    defaults = dict(
        model="fake-model", backoff_base=0.01, backoff_max=0.05, endpoint_cooldown=0.5, timeout=10.0, max_retries=3
    )
    return LLMConfig(base_url=url, **{**defaults, **kw})


def run(coro):
    return asyncio.run(coro)


async def one_chat(cfg: LLMConfig, messages=USER, **kw) -> tuple[ChatResult, LLMClient]:
    async with LLMClient(cfg) as llm:
        return await llm.chat(messages, **kw), llm


def dead_url() -> str:
    """A URL on which nothing listens (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


# ---------------------------------------------------------------------------------------------
# Basics


def test_basic_call_usage_and_stats():
    with FakeChatServer(lambda call: f"hi, you said {call.last_user}") as server:
        result, llm = run(one_chat(config(server.url), temperature=0.2, max_tokens=50))
        assert result.text == "hi, you said hello"
        assert result.finish_reasons == ["stop"] and not result.cached
        assert (result.prompt_tokens, result.completion_tokens) == (1, 4)
        stats = llm.stats.models["fake-model"]
        assert (stats.requests, stats.http_requests, stats.prompt_tokens, stats.completion_tokens) == (1, 1, 1, 4)
        body = server.chat_bodies()[0]
        assert body["temperature"] == 0.2 and body["max_tokens"] == 50 and "n" not in body
        assert body["messages"] == USER and body["model"] == "fake-model"


def test_reasoning_content_kept_apart():
    with FakeChatServer(lambda call: Reply("final", reasoning="let me think", finish_reason="length")) as server:
        result, _ = run(one_chat(config(server.url)))
        assert result.texts == ["final"] and result.reasoning == ["let me think"]
        assert result.finish_reasons == ["length"]


def test_n_samples_in_one_request():
    with FakeChatServer() as server:
        result, _ = run(one_chat(config(server.url), n=3))
        assert result.texts == [f"answer {i} to: hello" for i in range(3)]
        assert server.request_count == 1 and server.chat_bodies()[0]["n"] == 3


def test_n_fallback_when_server_ignores_n_uses_distinct_seeds():
    with FakeChatServer(max_n=1) as server:
        result, llm = run(one_chat(config(server.url, seed=7), n=4))
        assert len(result.texts) == 4
        seeds = sorted(b["seed"] for b in server.chat_bodies())
        # First request asks for n=4 and gets 1; the 3 others go out separately with shifted seeds.
        assert server.request_count == 4 and seeds == [7, 8, 9, 10]
        assert llm.stats.models["fake-model"].http_requests == 4


def test_n_fallback_when_server_limits_n():
    with FakeChatServer(max_n=2) as server:
        result, _ = run(one_chat(config(server.url), n=5))
        assert len(result.texts) == 5
        assert sorted(b.get("n", 1) for b in server.chat_bodies()) == [1, 2, 5]


def test_n_fallback_when_server_rejects_n():
    with FakeChatServer(reject_n=True) as server:
        result, _ = run(one_chat(config(server.url), n=3))
        assert len(result.texts) == 3
        statuses = [r.status for r in server.requests]
        assert statuses[0] == 400 and statuses[1:] == [200, 200, 200]


def test_sync_wrappers():
    with FakeChatServer() as server:
        assert chat_sync(config(server.url), USER).text == "answer 0 to: hello"
        results, stats = chat_many_sync(config(server.url), numbered_requests(5), progress=False)
        assert [r.text for r in results] == [f"answer 0 to: request {i}" for i in range(5)]
        assert stats.total().requests == 5


def test_list_models():
    async def go(url):
        async with LLMClient(config(url)) as llm:
            return await llm.list_models()

    with FakeChatServer(model="served-model") as server:
        assert run(go(server.url)) == ["served-model"]


# ---------------------------------------------------------------------------------------------
# Concurrency and endpoints


def test_concurrency_bound_is_respected():
    with FakeChatServer(latency=0.05) as server:
        results, _ = chat_many_sync(config(server.url, max_concurrency=5), numbered_requests(40), progress=False)
        assert all(isinstance(r, ChatResult) for r in results)
        assert server.request_count == 40
        assert server.max_in_flight == 5  # reached, never exceeded


def test_batch_results_in_input_order_with_errors_in_place():
    def respond(call: Call) -> str:
        if call.last_user == "request 3":
            raise HTTPError(400, "prompt too long")
        return call.last_user.upper()

    with FakeChatServer(respond) as server:
        results, stats = chat_many_sync(config(server.url), numbered_requests(8), progress=False)
        assert isinstance(results[3], LLMHTTPError) and results[3].status == 400
        assert "prompt too long" in str(results[3])
        assert [r.text for i, r in enumerate(results) if i != 3] == [f"REQUEST {i}" for i in range(8) if i != 3]
        assert stats.total().failures == 1


def test_progress_bar_and_streaming():
    async def go(url):
        async with LLMClient(config(url, max_concurrency=2)) as llm:
            seen = [i async for i, _ in llm.chat_stream(numbered_requests(6), description="stream test")]
            results = await llm.chat_many(numbered_requests(3), progress=True, description="bar test")
            first_two = []
            async for item in llm.chat_stream(iter(numbered_requests(50)), progress=False):
                first_two.append(item)
                if len(first_two) == 2:
                    break  # leaving early cancels the remaining work
            return seen, results, first_two

    with FakeChatServer(latency=0.01) as server:
        seen, results, first_two = run(go(server.url))
        assert sorted(seen) == list(range(6)) and len(results) == 3 and len(first_two) == 2
        assert server.request_count < 6 + 3 + 50


def test_load_spreads_over_endpoints():
    with FakeChatServer(latency=0.02) as a, FakeChatServer(latency=0.02) as b:
        results, stats = chat_many_sync(
            config([a.url, b.url], max_concurrency=8), numbered_requests(60), progress=False
        )
        assert all(isinstance(r, ChatResult) for r in results)
        assert a.request_count + b.request_count == 60
        assert min(a.request_count, b.request_count) >= 20
        assert stats.endpoints[a.url].http_requests == a.request_count


def test_failover_avoids_a_dead_endpoint():
    dead = dead_url()
    with FakeChatServer() as live:
        cfg = config([dead, live.url], max_concurrency=4, endpoint_cooldown=30.0)
        results, stats = chat_many_sync(cfg, numbered_requests(40), progress=False)
        assert all(isinstance(r, ChatResult) for r in results)
        assert live.request_count == 40
        dead_attempts = stats.endpoints[dead].http_requests
        # Only the first wave can hit the dead server; after one failure it is avoided.
        assert 1 <= dead_attempts <= 4 and stats.endpoints[dead].errors == dead_attempts
        assert stats.total().retries == dead_attempts


def test_failover_when_one_endpoint_returns_500s():
    def broken(call: Call) -> str:
        raise HTTPError(503, "overloaded")

    with FakeChatServer(broken) as bad, FakeChatServer() as good:
        results, _ = chat_many_sync(
            config([bad.url, good.url], max_concurrency=2, endpoint_cooldown=30.0),
            numbered_requests(20),
            progress=False,
        )
        assert all(isinstance(r, ChatResult) for r in results)
        assert good.request_count == 20 and bad.request_count <= 2


# ---------------------------------------------------------------------------------------------
# Retries, errors, timeouts


def test_retries_on_429_and_500_honouring_retry_after():
    with FakeChatServer(errors=[HTTPError(429, "slow down", retry_after=0.3), HTTPError(500)]) as server:
        result, llm = run(one_chat(config(server.url)))
        assert result.text == "answer 0 to: hello"
        assert [r.status for r in server.requests] == [429, 500, 200]
        # Retry-After (0.3 s) beats the 10-50 ms backoff; the 500 is retried after the short one.
        first, second, third = server.requests
        assert second.started - first.finished >= 0.29
        assert third.started - second.finished < 0.29
        assert llm.stats.models["fake-model"].retries == 2


def test_gives_up_after_max_retries_with_clear_error():
    with FakeChatServer(errors=[HTTPError(502, "bad gateway")] * 10) as server:
        with pytest.raises(LLMRetriesExhausted) as info:
            run(one_chat(config(server.url, max_retries=2)))
        assert info.value.attempts == 3 and server.request_count == 3
        assert "HTTP 502" in str(info.value) and "bad gateway" in str(info.value)


def test_no_retry_on_other_4xx():
    with FakeChatServer(errors=[HTTPError(422, "max_tokens must be positive")]) as server:
        with pytest.raises(LLMHTTPError) as info:
            run(one_chat(config(server.url)))
        assert info.value.status == 422 and "max_tokens must be positive" in str(info.value)
        assert server.request_count == 1


def test_timeout_is_retried_then_gives_up():
    with FakeChatServer(errors=[Hang()]) as server:
        result, _ = run(one_chat(config(server.url, timeout=0.3)))
        assert result.text == "answer 0 to: hello" and server.request_count == 2
        hung, retried = server.requests
        # gave up on the hang after the 0.3 s timeout (the server logs arrival, which a busy machine delays)
        assert 0.15 <= retried.started - hung.started < 2.0
    with FakeChatServer(errors=[Hang()] * 5) as server:
        with pytest.raises(LLMRetriesExhausted, match="timeout"):
            run(one_chat(config(server.url, timeout=0.2, max_retries=1)))


def test_malformed_truncated_and_dropped_answers_are_retried():
    with FakeChatServer(errors=[MalformedBody(), TruncatedBody(), DropConnection()]) as server:
        result, llm = run(one_chat(config(server.url)))
        assert result.text == "answer 0 to: hello"
        assert server.request_count == 4 and llm.stats.models["fake-model"].retries == 3


def test_api_key_from_env_and_never_logged(monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("XCODER_TEST_KEY", "sk-very-secret")
    with FakeChatServer(api_key="sk-very-secret", errors=[HTTPError(500)]) as server:
        cfg = config(server.url, api_key_env="XCODER_TEST_KEY")
        result, llm = run(one_chat(cfg))
        assert result.text == "answer 0 to: hello"
        assert "sk-very-secret" not in caplog.text + repr(cfg) + str(llm.stats.to_dict())
    with FakeChatServer(api_key="another-key") as server:
        with pytest.raises(LLMHTTPError) as info:
            run(one_chat(config(server.url, api_key_env="XCODER_TEST_KEY")))
        assert info.value.status == 401 and "sk-very-secret" not in str(info.value)
    monkeypatch.delenv("XCODER_TEST_KEY")
    with pytest.raises(LLMConfigError, match="XCODER_TEST_KEY"):
        LLMClient(config("http://127.0.0.1:1/v1", api_key_env="XCODER_TEST_KEY"))


def test_config_validation():
    with pytest.raises(ConfigError, match=r"llm: unknown key\(s\) \['temprature'\]"):
        build(LLMConfig, {"base_url": "http://x/v1", "model": "m", "temprature": 0.5}, "llm")
    with pytest.raises(ConfigError, match=r"^llm.max_concurrency must be >= 1"):  # __post_init__ names its key
        build(LLMConfig, {"model": "m", "max_concurrency": 0}, "llm")
    with pytest.raises(LLMConfigError, match="base_url"):
        LLMConfig(base_url="localhost:8000", model="m")
    with pytest.raises(LLMConfigError, match="model"):
        LLMConfig(base_url="http://x/v1")
    assert build(LLMConfig, {"base_url": ["http://a/v1/", "http://b/v1"], "model": "m"}).base_urls == [
        "http://a/v1",
        "http://b/v1",
    ]


# ---------------------------------------------------------------------------------------------
# JSON


SCHEMA = {"type": "object", "properties": {"features": {"type": "array"}}, "required": ["features"]}


def test_structured_output_sends_json_schema():
    with FakeChatServer(lambda call: '{"features": ["dp", "graphs"]}') as server:
        result, _ = run(one_chat(config(server.url), json_schema=SCHEMA))
        assert result.json() == {"features": ["dp", "graphs"]}
        rf = server.chat_bodies()[0]["response_format"]
        assert rf["type"] == "json_schema" and rf["json_schema"]["schema"] == SCHEMA
    with FakeChatServer(lambda call: '{"a": 1}') as server:
        result, _ = run(one_chat(config(server.url, structured_output="json_object"), json_schema=SCHEMA))
        assert server.chat_bodies()[0]["response_format"] == {"type": "json_object"}
    with FakeChatServer(lambda call: '{"a": 1}') as server:
        run(one_chat(config(server.url, structured_output="none"), json=True))
        assert "response_format" not in server.chat_bodies()[0]


def test_structured_output_degrades_when_rejected_and_free_text_is_parsed():
    answer = 'Sure! Here it is:\n```json\n{"features": ["two pointers"], "note": "use {braces}"}\n```\nDone.'
    with FakeChatServer(lambda call: answer, reject_response_format=True) as server:

        async def go():
            async with LLMClient(config(server.url)) as llm:
                first = await llm.chat(USER, json_schema=SCHEMA)
                second = await llm.chat([{"role": "user", "content": "again"}], json_schema=SCHEMA)
                return first, second

        first, second = run(go())
        assert first.json() == {"features": ["two pointers"], "note": "use {braces}"}
        assert second.json_values() == [first.json()]
        formats = [b.get("response_format", {}).get("type") for b in server.chat_bodies()]
        assert formats == ["json_schema", "json_object", None, None]  # degraded once, remembered
    with FakeChatServer(reject_response_format=True) as server:  # explicit mode: no silent change
        with pytest.raises(LLMHTTPError, match="response_format"):
            run(one_chat(config(server.url, structured_output="json_schema"), json_schema=SCHEMA))


@pytest.mark.parametrize(
    "text, expected",
    [
        ('{"a": 1}', {"a": 1}),
        ("  [1, 2]  ", [1, 2]),
        ('Answer:\n```json\n{"a": [1, {"b": "}"}]}\n```', {"a": [1, {"b": "}"}]}),
        ('```\n{"a": 2}\n```', {"a": 2}),
        ('I think {not json} but then {"a": "x { y"} and {"b": 1}', {"a": "x { y"}),
        ('<think>maybe {"wrong": true}</think>\nFinal: {"right": true}', {"right": True}),
        ('reasoning leaked {"wrong": 1}</think>{"right": 2}', {"right": 2}),
        ('```python\nprint({1: 2})\n```\n```json\n{"k": "v"}\n```', {"k": "v"}),
        ('{"escaped": "quote \\" and brace }"} trailing', {"escaped": 'quote " and brace }'}),
    ],
)
def test_extract_json(text, expected):
    assert extract_json(text) == expected


def test_extract_json_failures_name_the_answer():
    with pytest.raises(JSONExtractionError, match="no JSON"):
        extract_json("I cannot help with that {unbalanced")
    with pytest.raises(JSONExtractionError, match="dict"):
        extract_json("[1, 2, 3]", expect=dict)
    assert extract_json('[1, 2, 3] then {"a": 1}', expect=dict) == {"a": 1}
    assert extract_json("42", expect=None) == 42


def test_json_values_marks_unparseable_samples():
    answers = iter(['{"ok": 1}', "sorry, no"])
    with FakeChatServer(lambda call: next(answers)) as server:
        result, _ = run(one_chat(config(server.url), n=2, json=True))
        assert result.json_values() == [{"ok": 1}, None]
        with pytest.raises(JSONExtractionError):
            result.json(1)


# ---------------------------------------------------------------------------------------------
# Cache


def test_cache_second_run_makes_no_http_request(tmp_path):
    cache = str(tmp_path / "cache.sqlite")
    with FakeChatServer() as server:
        first, stats1 = chat_many_sync(
            config(server.url, cache_path=cache), numbered_requests(20, n=2), progress=False
        )
        assert server.request_count == 20 and stats1.total().cache_misses == 20
    # A different server (other URL, same model) and a fresh client: everything comes from disk.
    with FakeChatServer(lambda call: "SHOULD NOT BE CALLED") as other:
        second, stats2 = chat_many_sync(
            config(other.url, cache_path=cache), numbered_requests(20, n=2), progress=False
        )
        assert other.request_count == 0
        assert [r.texts for r in second] == [r.texts for r in first]
        assert all(r.cached for r in second)
        total = stats2.total()
        assert (total.cache_hits, total.cache_misses, total.http_requests) == (20, 0, 0)
        # Anything that changes the answer changes the key: here the temperature and n.
        changed, _ = run(
            one_chat(
                config(other.url, cache_path=cache, temperature=0.1), [{"role": "user", "content": "request 0"}], n=2
            )
        )
        assert changed.texts == ["SHOULD NOT BE CALLED"] * 2 and other.request_count == 1
        run(one_chat(config(other.url, cache_path=cache), [{"role": "user", "content": "request 0"}], n=3))
        assert other.request_count == 2


def test_cache_use_cache_false_bypasses(tmp_path):
    cache = str(tmp_path / "c.sqlite")
    with FakeChatServer() as server:
        run(one_chat(config(server.url, cache_path=cache)))
        run(one_chat(config(server.url, cache_path=cache), use_cache=False))
        assert server.request_count == 2


def test_identical_concurrent_requests_share_one_http_request(tmp_path):
    with FakeChatServer(latency=0.1) as server:
        requests = [ChatRequest(USER) for _ in range(10)]
        results, stats = chat_many_sync(
            config(server.url, cache_path=str(tmp_path / "c.sqlite")), requests, progress=False
        )
        assert server.request_count == 1
        assert {r.text for r in results} == {"answer 0 to: hello"}
        assert stats.total().cache_hits == 9


def test_cancelled_request_does_not_break_identical_waiting_one(tmp_path):
    async def go(url):
        async with LLMClient(config(url, cache_path=str(tmp_path / "c.sqlite"))) as llm:
            first = asyncio.create_task(llm.chat(USER))
            await asyncio.sleep(0.1)
            second = asyncio.create_task(llm.chat(USER))  # waits for the first one's answer
            await asyncio.sleep(0.1)
            first.cancel()
            return await second, first.cancelled()

    with FakeChatServer(latency=0.4) as server:
        result, first_cancelled = run(go(server.url))
        assert first_cancelled and result.text == "answer 0 to: hello" and not result.cached
        assert server.request_count == 2  # the second call took over after the first was cancelled


def test_cache_is_shared_by_concurrent_processes(tmp_path):
    """Two processes fill one cache file at the same time without errors or lost entries."""
    cache = tmp_path / "shared.sqlite"
    with FakeChatServer(latency=0.01) as server:
        cmd = [
            sys.executable,
            "-m",
            "xcoder.llm.testing",
            "batch",
            "--base-url",
            server.url,
            "--cache",
            str(cache),
            "--count",
            "150",
            "--concurrency",
            "8",
        ]
        procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = [p.communicate(timeout=60)[0] for p in procs]
        assert all(p.returncode == 0 for p in procs), outputs
        assert all('"errors": 0' in out for out in outputs)
    with ResponseCache(cache) as c:
        assert len(c) == 150
        for _, request, response in c.entries():
            assert response["texts"] == [f"answer 0 to: {request['messages'][0]['content']}"]


def test_cache_survives_kill_9_and_resume_repeats_no_completed_request(tmp_path):
    cache = tmp_path / "cache.sqlite"
    count = 400
    with FakeChatServer(latency=0.01) as server:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "xcoder.llm.testing",
                "batch",
                "--base-url",
                server.url,
                "--cache",
                str(cache),
                "--count",
                str(count),
                "--concurrency",
                "8",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while server.request_count < 120 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert proc.poll() is None, f"batch ended before it could be killed: {proc.stderr.read()}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL

        # The file opens, passes SQLite's own check, and every entry is a complete answer.
        with sqlite3.connect(cache) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        with ResponseCache(cache) as c:
            done = {}
            for key, request, response in c.entries():
                prompt = request["messages"][0]["content"]
                assert response["texts"] == [f"answer 0 to: {prompt}"], key
                assert response["finish_reasons"] == ["stop"]
                done[prompt] = key
        assert 0 < len(done) < count
        answered_before_kill = {b["messages"][0]["content"] for b in server.chat_bodies()}
        assert set(done) <= answered_before_kill

        server.reset()
        results, stats = chat_many_sync(
            config(server.url, cache_path=str(cache), max_concurrency=8), numbered_requests(count), progress=False
        )
        assert [r.text for r in results] == [f"answer 0 to: request {i}" for i in range(count)]
        resumed = [b["messages"][0]["content"] for b in server.chat_bodies()]
        assert not set(resumed) & set(done), "a completed request was sent again"
        assert len(resumed) == len(set(resumed)) == count - len(done)
        assert stats.total().cache_hits == len(done)
