"""LLM endpoints fail fast and loudly: a real closed port, a real server that accepts connections but
never answers, a real server that fails every request; and `xcoder gen run` against them."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.datagen_fake import ScriptedModel
from xcoder.llm import LLMClient, LLMConfig, LLMError, LLMUnavailable
from xcoder.llm.testing import FakeChatServer, Hang, HTTPError

ROOT = Path(__file__).resolve().parents[1]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again on exit: connections are refused


class Silent:
    """Listens (the kernel accepts connections into the backlog) and never answers anything."""

    def __enter__(self) -> str:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"

    def __exit__(self, *exc) -> None:
        self.sock.close()


def preflight(url: str, **kw) -> None:
    async def run() -> None:
        async with LLMClient(LLMConfig(base_url=url, **{"model": "m", **kw})) as llm:
            await llm.preflight()

    asyncio.run(run())


def test_preflight_names_a_refused_endpoint():
    url = f"http://127.0.0.1:{closed_port()}/v1"
    with pytest.raises(LLMUnavailable, match="Connection refused") as info:
        preflight(url)
    assert url in str(info.value)


def test_preflight_gives_up_on_a_server_that_never_answers():
    with Silent() as url:
        t0 = time.monotonic()
        with pytest.raises(LLMUnavailable, match="no answer to GET /models within 0.5s") as info:
            preflight(url, preflight_timeout=0.5, timeout=1200)
        assert time.monotonic() - t0 < 5 and url in str(info.value)


def test_preflight_passes_a_live_server():
    with FakeChatServer() as server:
        preflight(server.url, model="fake-model")


def test_circuit_breaker_stops_when_every_attempt_fails():
    with FakeChatServer(lambda call: (_ for _ in ()).throw(HTTPError(503, "down", retry_after=0))) as server:
        config = LLMConfig(
            base_url=server.url,
            model="m",
            max_retries=1000,
            backoff_base=0.01,
            backoff_max=0.05,
            endpoint_cooldown=0.01,
            breaker_failures=5,
            breaker_seconds=0.5,
        )

        async def run() -> None:
            async with LLMClient(config) as llm:
                await llm.chat([{"role": "user", "content": "hi"}])

        t0 = time.monotonic()
        with pytest.raises(LLMUnavailable, match="attempts failed over") as info:
            asyncio.run(run())
        assert time.monotonic() - t0 < 10 and server.url in str(info.value) and "HTTP 503" in str(info.value)


def test_hanging_requests_are_warned_about(caplog):
    with FakeChatServer(lambda call: (_ for _ in ()).throw(Hang(3))) as server:
        config = LLMConfig(base_url=server.url, model="m", timeout=1.5, max_retries=0, hang_warning=0.4)

        async def run() -> None:
            async with LLMClient(config) as llm:
                await llm.chat([{"role": "user", "content": "hi"}])

        with caplog.at_level(logging.WARNING, logger="xcoder.llm"), pytest.raises(LLMError):
            asyncio.run(run())
    assert any(f"no answer from {server.url}" in r.getMessage() for r in caplog.records), caplog.text


def gen(cfg: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "xcoder.cli", "gen", "run", "--config", str(cfg), "--no-progress", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def write_config(path: Path, url: str, out: Path, **llm) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "output_dir": str(out),
                "seeds": {"limit": 2},
                "llm": {"base_url": url, "model": "fake-model", "backoff_base": 0.01, **llm},
            }
        )
    )
    return path


def test_gen_run_against_a_dead_endpoint_fails_naming_it_then_a_rerun_does_the_work(tmp_path):
    port = closed_port()
    url = f"http://127.0.0.1:{port}/v1"
    cfg = write_config(tmp_path / "gen.yaml", url, tmp_path / "run")
    t0 = time.monotonic()
    proc = gen(cfg, "--stages", "features")
    assert proc.returncode == 1 and time.monotonic() - t0 < 30, proc.stderr
    assert url in proc.stderr and "refused" in proc.stderr.lower() and "Traceback" not in proc.stderr
    assert (
        not list((tmp_path / "run" / "features").glob("manifest-*.json"))
        or '"finished": true' not in (tmp_path / "run" / "features" / "manifest-000of001.json").read_text()
    )
    with FakeChatServer(ScriptedModel(), port=port):
        again = gen(cfg, "--stages", "features")
    assert again.returncode == 0, again.stderr
    assert "features: 2 kept" in again.stdout


def test_gen_run_against_a_silent_endpoint_fails_fast(tmp_path):
    with Silent() as url:
        cfg = write_config(tmp_path / "gen.yaml", url, tmp_path / "run", timeout=1200, preflight_timeout=1)
        t0 = time.monotonic()
        proc = gen(cfg, "--stages", "features")
    assert proc.returncode == 1 and time.monotonic() - t0 < 30, proc.stderr
    assert url in proc.stderr and "no answer" in proc.stderr


def test_gen_run_with_items_lost_to_endpoint_errors_is_not_finished_and_exits_1(tmp_path):
    with FakeChatServer(lambda call: (_ for _ in ()).throw(HTTPError(502, "bad gateway"))) as server:
        cfg = write_config(tmp_path / "gen.yaml", server.url, tmp_path / "run", max_retries=1, endpoint_cooldown=0.01)
        proc = gen(cfg, "--stages", "features")
    assert proc.returncode == 1 and "not finished" in proc.stderr and "HTTP 502" in proc.stderr, proc.stderr
    manifest = (tmp_path / "run" / "features" / "manifest-000of001.json").read_text()
    assert '"finished": false' in manifest


def test_eval_openai_backend_preflight_names_a_dead_endpoint(tmp_path):
    url = f"http://127.0.0.1:{closed_port()}/v1"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "xcoder.cli",
            "eval",
            "--backend",
            "openai",
            "--model",
            "m",
            "--base-url",
            url,
            "--dataset",
            str(ROOT / "tests" / "fixtures" / "lcb_mini"),
            "--n",
            "1",
            "--output-dir",
            str(tmp_path / "out"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and url in proc.stderr and "Connection refused" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
