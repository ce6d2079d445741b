"""Generation backends: problem prompts in, sampled completions out.

Every backend reports finished samples through a callback as soon as they exist, so the runner
can write them to its cache and a killed eval loses at most the batch in flight. Seeds are derived
per problem or per pack of problems (transformers) or per sample (vllm, openai) from the run seed
and the question ids, so a rerun regenerates exactly what was lost, whatever was already cached.

Backends:
  ``transformers`` — local model, CPU-capable (the tiny test model), one problem's n samples per batch,
                     or whole problems packed together when ``batch_size`` holds two or more problems' n;
  ``vllm``         — offline engine for GPU users (imported only when chosen; the ``vllm`` extra);
  ``openai``       — any OpenAI-compatible server via :mod:`xcoder.llm` (async, bounded concurrency, retries);
  ``samples``      — no model: score an existing LiveCodeBench ``{"question_id", "code_list"}`` file.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xcoder import cancel
from xcoder.config import help_field
from xcoder.hashing import seed_from_text
from xcoder.problem import Problem
from xcoder.prompts import DEFAULT_SYSTEM_PROMPT, build_messages, build_prompt_text

log = logging.getLogger("eval.generate")

BACKENDS = ("transformers", "vllm", "openai", "samples")
DEFAULT_N = 8


class GenerationError(RuntimeError):
    """Generation could not run or finish (missing model, unreachable server, …)."""


@dataclass
class SamplingConfig:
    """How completions are sampled. Defaults follow X-Coder's LiveCodeBench protocol."""

    n: int | None = help_field(
        "Samples per problem (avg@n); default 8, or the samples file's count with the samples backend.", default=None
    )
    temperature: float = help_field("Sampling temperature.", default=0.6)
    top_p: float = help_field("Nucleus sampling.", default=0.95)
    top_k: int | None = help_field("Top-k sampling (default: the backend's, no top-k).", default=None)
    max_tokens: int = help_field(
        "Completion token budget per sample; reasoning models need tens of thousands.", default=32768
    )
    seed: int = help_field("Run seed; each sample's seed is derived from it and the question id.", default=0)

    def __post_init__(self) -> None:
        if self.n is not None and self.n < 1:
            raise ValueError(f"n must be >= 1, got {self.n}")
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {self.max_tokens}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")


@dataclass
class GenerationConfig:
    """Which model answers and how prompts are built."""

    backend: str = help_field("transformers | vllm | openai | samples.", default="transformers")
    model: str | None = help_field(
        "Local model dir or hub id; the served model name for the openai backend.", default=None
    )
    system_prompt: str | None = help_field(
        "System message (None: none; on the command line --no-system-prompt).", default=DEFAULT_SYSTEM_PROMPT
    )
    chat_template_kwargs: dict[str, Any] = help_field(
        'Passed to the chat template, e.g. {"enable_thinking": true}.', default_factory=dict
    )
    # transformers
    batch_size: int = help_field(
        "transformers: sequences per generate() call. Up to 2n-1: one problem's n samples, in calls of this size; "
        "from 2n: batch_size // n whole problems per call, left-padded (fewer, fuller calls: 1.3x faster for the "
        "tiny model on a CPU, BENCHMARKS.md; the samples differ from the per-problem ones, equally seeded).",
        default=8,
    )
    device: str | None = help_field("transformers: cpu, cuda, cuda:1 (default: cuda if available).", default=None)
    dtype: str = help_field("auto (bf16 on GPU, fp32 on CPU), float32, bfloat16, float16.", default="auto")
    # vllm
    tensor_parallel_size: int = help_field("vllm: GPUs per model.", default=1)
    gpu_memory_utilization: float = help_field("vllm: fraction of GPU memory the engine may use.", default=0.9)
    max_model_len: int | None = help_field("vllm: context length (default: the model's).", default=None)
    chunk_size: int = help_field("vllm: samples per generate() call (cache granularity).", default=512)
    # openai
    base_url: str | None = help_field(
        "openai: server URL ending in /v1 (default $OPENAI_BASE_URL or http://127.0.0.1:8000/v1).", default=None
    )
    api_key_env: str | None = help_field(
        "openai: name of the env var holding the API key (default OPENAI_API_KEY if set).", default=None
    )
    max_concurrency: int = help_field("openai: requests in flight.", default=64)
    request_timeout: float = help_field("openai: seconds one request may take.", default=1800.0)
    max_retries: int = help_field("openai: retries per request after the first attempt.", default=6)
    # samples
    samples_path: str | None = help_field(
        "samples: LCB samples JSONL ({question_id, code_list}) to score instead of a model.", default=None
    )

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")


@dataclass
class Generation:
    """One sample of one problem. ``code`` is set only when the source already extracted it
    (``samples`` files); otherwise the runner extracts it from ``output``."""

    question_id: str
    sample: int
    output: str
    finish_reason: str | None = None
    num_tokens: int | None = None
    reasoning: str | None = None
    code: str | None = None
    error: str | None = None  # the request failed for good (e.g. prompt longer than the context)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class Job:
    """A problem and the sample indices still missing for it (empty: complete, passed along so that
    backends sampling several problems together see the same companions on a rerun)."""

    problem: Problem
    samples: list[int]


OnResult = Callable[[Generation], None]


def problems_per_call(batch_size: int, n: int) -> int:
    """Problems the transformers backend samples together: whole problems once ``batch_size`` holds
    two problems' n samples, else 1 (one problem's samples, in calls of ``batch_size``)."""
    return batch_size // n if batch_size >= 2 * n else 1


def answer_prefix(problem: Problem) -> str:
    """A prefilled start of the answer (the prompt ends with it), which is part of the answer."""
    return str(problem.metadata.get("assistant_prefix") or "")


def _check_model(model: str | None, backend: str) -> None:
    """Fail fast on a missing local model; hub ids are left to the loader."""
    if not model:
        raise GenerationError(f"--model is required for the {backend} backend")
    looks_local = model.startswith(("/", "./", "../", "~")) or os.path.exists(os.path.expanduser(model))
    if looks_local and not Path(model).expanduser().is_dir():
        raise GenerationError(f"model not found: {model} is not a directory")


class Backend:
    """Interface: ``generate(jobs, on_result)`` calls ``on_result`` once per finished sample."""

    name = "backend"

    def __init__(self, gen: GenerationConfig, sampling: SamplingConfig):
        self.gen, self.sampling = gen, sampling

    def generate(self, jobs: Sequence[Job], on_result: OnResult) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


# --------------------------------------------------------------------------------------------
# transformers


class TransformersBackend(Backend):
    """Local generation with ``transformers``. A problem's n samples come from seeded batches of
    its own, or, when ``batch_size`` holds several problems' n samples, from one seeded batch per
    pack of problems. Packs are cut from the whole problem list, complete problems included, so
    either way a problem regenerated after a crash gets the same samples."""

    name = "transformers"

    def __init__(self, gen: GenerationConfig, sampling: SamplingConfig):
        super().__init__(gen, sampling)
        _check_model(gen.model, "transformers")
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.torch = torch
        self.device = gen.device or ("cuda" if torch.cuda.is_available() else "cpu")
        if gen.dtype == "auto":
            dtype = torch.bfloat16 if self.device.startswith("cuda") else torch.float32
        else:
            dtype = getattr(torch, gen.dtype)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(gen.model)
            self.model = AutoModelForCausalLM.from_pretrained(gen.model, dtype=dtype).to(self.device)
        except OSError as exc:
            raise GenerationError(
                f"model not found: could not load {gen.model!r} as a local directory or hub id "
                f"({str(exc).splitlines()[0]})"
            ) from None
        self.model.eval()
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.max_positions = getattr(self.model.config, "max_position_embeddings", None)

    def _sample_batch(
        self, prompt_ids: Any, count: int, seed: int, attention_mask: Any = None
    ) -> list[tuple[str, str, int]]:
        """``count`` samples of each prompt row (rows in order, each row's samples together)."""
        torch = self.torch
        s = self.sampling
        max_new = s.max_tokens
        if self.max_positions:
            max_new = min(max_new, self.max_positions - prompt_ids.shape[1])
            if max_new < 1:
                raise GenerationError(
                    f"prompt of {prompt_ids.shape[1]} tokens does not fit the model's {self.max_positions} positions"
                )
        kwargs: dict[str, Any] = dict(
            max_new_tokens=max_new, num_return_sequences=count, pad_token_id=self.tokenizer.pad_token_id
        )
        if s.temperature > 0:
            kwargs.update(do_sample=True, temperature=s.temperature, top_p=s.top_p)
            if s.top_k:
                kwargs["top_k"] = s.top_k
        else:
            kwargs.update(do_sample=False)
        from transformers import StoppingCriteria, StoppingCriteriaList

        class _StopRequested(StoppingCriteria):  # a stop request ends the batch early; it is discarded
            def __call__(self, input_ids: Any, scores: Any, **kw: Any) -> bool:
                return cancel.requested()

        torch.manual_seed(seed)
        with torch.no_grad():
            out = self.model.generate(
                input_ids=prompt_ids,
                attention_mask=torch.ones_like(prompt_ids) if attention_mask is None else attention_mask,
                stopping_criteria=StoppingCriteriaList([_StopRequested()]),
                **kwargs,
            )
        cancel.check()
        eos = self.model.generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos]) - {None}
        results = []
        for seq in out[:, prompt_ids.shape[1] :].tolist():
            cut = next((i for i, t in enumerate(seq) if t in eos_ids), None)
            tokens = seq if cut is None else seq[:cut]
            text = self.tokenizer.decode(tokens, skip_special_tokens=True)
            results.append((text, "length" if cut is None else "stop", len(tokens)))
        return results

    def generate(self, jobs: Sequence[Job], on_result: OnResult) -> None:
        from xcoder.progress import progress_bar

        n, bs = self.sampling.n, max(1, self.gen.batch_size)
        per_call = problems_per_call(bs, n)
        if per_call > 1:
            self._generate_packed(jobs, on_result, per_call)
            return
        with progress_bar(f"generating ({self.name})", total=sum(len(j.samples) for j in jobs)) as advance:
            for job in jobs:
                if not job.samples:
                    continue
                text = build_prompt_text(
                    self.tokenizer, job.problem, self.gen.system_prompt, self.gen.chat_template_kwargs
                )
                ids = self.tokenizer(text, return_tensors="pt", add_special_tokens=False).input_ids.to(self.device)
                wanted = set(job.samples)
                for start in range(0, n, bs):
                    chunk = range(start, min(n, start + bs))
                    if not wanted.intersection(chunk):
                        continue
                    cancel.check()
                    seed = seed_from_text(f"{self.sampling.seed}:{job.problem.question_id}:{start}")
                    prefix = answer_prefix(job.problem)
                    for i, (out, finish, ntok) in zip(chunk, self._sample_batch(ids, len(chunk), seed)):
                        if i in wanted:
                            on_result(Generation(job.problem.question_id, i, prefix + out, finish, ntok))
                            advance()

    def _generate_packed(self, jobs: Sequence[Job], on_result: OnResult, per_call: int) -> None:
        """All n samples of ``per_call`` consecutive problems per generate() call, prompts left-padded.
        A pack is regenerated whole when any of its samples is missing; only those are reported."""
        from xcoder.progress import progress_bar

        n = self.sampling.n
        with progress_bar(f"generating ({self.name})", total=sum(len(j.samples) for j in jobs)) as advance:
            for start in range(0, len(jobs), per_call):
                pack = jobs[start : start + per_call]
                if not any(j.samples for j in pack):
                    continue
                cancel.check()
                texts = [
                    build_prompt_text(self.tokenizer, j.problem, self.gen.system_prompt, self.gen.chat_template_kwargs)
                    for j in pack
                ]
                enc = self.tokenizer(
                    texts, return_tensors="pt", padding=True, padding_side="left", add_special_tokens=False
                ).to(self.device)
                qids = [j.problem.question_id for j in pack]
                seed = seed_from_text(f"{self.sampling.seed}:pack:{'|'.join(qids)}")
                outs = self._sample_batch(enc.input_ids, n, seed, attention_mask=enc.attention_mask)
                for k, job in enumerate(pack):
                    prefix = answer_prefix(job.problem)
                    for i in job.samples:
                        out, finish, ntok = outs[k * n + i]
                        on_result(Generation(job.problem.question_id, i, prefix + out, finish, ntok))
                        advance()


# --------------------------------------------------------------------------------------------
# vLLM


class VLLMBackend(Backend):
    """vLLM's offline engine; one request per sample with its own seed (batch-independent)."""

    name = "vllm"

    def __init__(self, gen: GenerationConfig, sampling: SamplingConfig):
        super().__init__(gen, sampling)
        _check_model(gen.model, "vllm")
        try:
            from vllm import LLM, SamplingParams
        except ImportError:
            raise GenerationError("the vllm backend needs vLLM: pip install 'xcoder[vllm]' (GPU machines)") from None
        self.SamplingParams = SamplingParams
        kwargs: dict[str, Any] = dict(
            model=gen.model,
            tensor_parallel_size=gen.tensor_parallel_size,
            gpu_memory_utilization=gen.gpu_memory_utilization,
            seed=sampling.seed,
        )
        if gen.max_model_len:
            kwargs["max_model_len"] = gen.max_model_len
        if gen.dtype != "auto":
            kwargs["dtype"] = gen.dtype
        self.llm = LLM(**kwargs)
        self.tokenizer = self.llm.get_tokenizer()

    def generate(self, jobs: Sequence[Job], on_result: OnResult) -> None:
        from xcoder.progress import progress_bar

        s = self.sampling
        items = []
        prefixes: dict[str, str] = {}  # a prefilled answer start is part of the answer
        for job in jobs:
            text = build_prompt_text(
                self.tokenizer, job.problem, self.gen.system_prompt, self.gen.chat_template_kwargs
            )
            items.extend((job.problem.question_id, i, text) for i in job.samples)
            prefixes[job.problem.question_id] = answer_prefix(job.problem)
        with progress_bar(f"generating ({self.name})", total=len(items)) as advance:
            for start in range(0, len(items), self.gen.chunk_size):
                cancel.check()
                chunk = items[start : start + self.gen.chunk_size]
                extra = {"top_k": s.top_k} if s.top_k else {}
                params = [
                    self.SamplingParams(
                        n=1,
                        temperature=s.temperature,
                        top_p=s.top_p,
                        max_tokens=s.max_tokens,
                        seed=seed_from_text(f"{s.seed}:{qid}:{i}"),
                        **extra,
                    )
                    for qid, i, _ in chunk
                ]
                outputs = self.llm.generate([text for _, _, text in chunk], params, use_tqdm=False)
                for (qid, i, _), out in zip(chunk, outputs):
                    c = out.outputs[0]
                    on_result(Generation(qid, i, prefixes[qid] + c.text, c.finish_reason, len(c.token_ids)))
                    advance()


# --------------------------------------------------------------------------------------------
# OpenAI-compatible servers


class OpenAIBackend(Backend):
    """Any OpenAI-compatible chat endpoint through the shared :class:`xcoder.llm.LLMClient`:
    one request per sample with its own seed, bounded concurrency, retries with backoff."""

    name = "openai"

    def __init__(self, gen: GenerationConfig, sampling: SamplingConfig):
        super().__init__(gen, sampling)
        from xcoder.llm import LLMConfig

        if not gen.model:
            raise GenerationError("--model is required for the openai backend (the served model name)")
        api_key_env = gen.api_key_env or ("OPENAI_API_KEY" if os.environ.get("OPENAI_API_KEY") else None)
        extra: dict[str, Any] = {}
        if sampling.top_k:
            extra["top_k"] = sampling.top_k
        if gen.chat_template_kwargs:
            extra["chat_template_kwargs"] = gen.chat_template_kwargs
        self.config = LLMConfig(
            base_url=gen.base_url or os.environ.get("OPENAI_BASE_URL") or "http://127.0.0.1:8000/v1",
            model=gen.model,
            api_key_env=api_key_env,
            max_concurrency=gen.max_concurrency,
            timeout=gen.request_timeout,
            max_retries=gen.max_retries,
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            max_tokens=sampling.max_tokens,
            extra_body=extra,
            n_mode="separate",
        )

    def generate(self, jobs: Sequence[Job], on_result: OnResult) -> None:
        import asyncio

        from xcoder.llm import ChatRequest, LLMClient, LLMHTTPError, LLMUnavailable

        s = self.sampling
        keys = [(job.problem.question_id, i) for job in jobs for i in job.samples]
        messages = {job.problem.question_id: build_messages(job.problem, self.gen.system_prompt) for job in jobs}
        requests = [
            ChatRequest(messages[qid], n=1, params={"seed": seed_from_text(f"{s.seed}:{qid}:{i}")}) for qid, i in keys
        ]
        failed: list[str] = []

        async def run() -> None:
            async with LLMClient(self.config) as llm:
                try:
                    await llm.preflight()
                except LLMUnavailable as err:
                    raise GenerationError(str(err)) from None
                stream = llm.chat_stream(requests, description=f"generating ({self.name})")
                async for index, res in stream:
                    qid, i = keys[index]
                    if isinstance(res, LLMHTTPError):  # the server refuses this prompt for good
                        on_result(Generation(qid, i, "", "error", error=str(res)))
                    elif isinstance(res, Exception):  # retries exhausted: leave it for a rerun
                        failed.append(f"{qid}#{i}: {res}")
                    else:
                        on_result(
                            Generation(
                                qid,
                                i,
                                res.texts[0],
                                res.finish_reasons[0],
                                res.completion_tokens or None,
                                res.reasoning[0],
                            )
                        )

        asyncio.run(cancel.watch(run()))
        if failed:
            raise GenerationError(
                f"{len(failed)} sample(s) could not be generated (server unreachable or failing); the others "
                f"are cached — rerun the same command to resume. First: {failed[0]}"
            )


# --------------------------------------------------------------------------------------------
# Existing samples


class SamplesBackend(Backend):
    """Reads a LiveCodeBench samples file: one JSON object per line with ``question_id`` and
    ``code_list`` (extracted programs) or ``output_list`` (raw completions, extracted here).
    Problems or samples the file lacks are reported by the runner and scored as failures."""

    name = "samples"

    def __init__(self, gen: GenerationConfig, sampling: SamplingConfig):
        super().__init__(gen, sampling)
        if not gen.samples_path:
            raise GenerationError("--samples FILE is required for the samples backend")
        path = Path(gen.samples_path)
        if not path.is_file():
            raise GenerationError(f"samples file not found: {path}")
        self.path = path
        self.rows = self.read_rows(path)

    @staticmethod
    def read_rows(path: Path) -> dict[str, dict[str, list[str] | None]]:
        """Rows by question id. Besides LCB's ``{question_id, code_list|output_list}`` rows, the
        samples of human-eval (``{task_id, completion}``, a body continuing the prompt) and of
        EvalPlus (``{task_id, solution}``, a whole program) are read, one line per sample, in file
        order; a bare number as task_id is an MBPP task (``Mbpp/<n>``)."""
        rows: dict[str, dict[str, list[str] | None]] = {}
        tool_ids: set[str] = set()
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                where = f"{path}:{lineno}"
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise GenerationError(f"{where}: invalid JSON ({exc})") from None
                if isinstance(row, dict) and not row.get("question_id") and row.get("task_id") not in (None, ""):
                    qid, code = _tool_sample(row, where)
                    if qid in rows and qid not in tool_ids:
                        raise GenerationError(f"{where}: task_id {qid!r} also has a question_id row")
                    tool_ids.add(qid)
                    entry = rows.setdefault(qid, {"code_list": [], "output_list": None})
                    entry["code_list"].append(code)  # type: ignore[union-attr]
                    continue
                if not isinstance(row, dict) or not row.get("question_id"):
                    raise GenerationError(
                        f"{where}: expected an object with 'question_id' (or 'task_id' with 'completion'/'solution')"
                    )
                qid = str(row["question_id"])
                if qid in rows:
                    raise GenerationError(f"{where}: question_id {qid!r} appears twice")
                lists: dict[str, list[str] | None] = {}
                for name in ("code_list", "output_list"):
                    value = row.get(name)
                    if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                        raise GenerationError(f"{where}: field {name!r} must be a list of strings")
                    lists[name] = value
                if lists["code_list"] is None and lists["output_list"] is None:
                    raise GenerationError(f"{where}: needs 'code_list' or 'output_list'")
                rows[qid] = lists
        return rows

    def generate(self, jobs: Sequence[Job], on_result: OnResult) -> None:
        for job in jobs:
            row = self.rows.get(job.problem.question_id)
            if row is None:
                continue
            codes, outputs = row["code_list"], row["output_list"]
            for i in job.samples:
                if codes is not None and i < len(codes):
                    output = outputs[i] if outputs is not None and i < len(outputs) else codes[i]
                    on_result(Generation(job.problem.question_id, i, output, code=codes[i]))
                elif codes is None and outputs is not None and i < len(outputs):
                    on_result(Generation(job.problem.question_id, i, outputs[i]))


def _tool_sample(row: dict[str, Any], where: str) -> tuple[str, str]:
    """(question id, code) of a human-eval ``completion`` or EvalPlus ``solution`` sample row."""
    code = row.get("solution", row.get("completion"))
    if not isinstance(code, str):
        raise GenerationError(
            f"{where}: a task_id row needs a 'completion' (human-eval) or 'solution' (EvalPlus) string"
        )
    task = str(row["task_id"])
    return (f"Mbpp/{task}" if task.isdigit() else task), code


def generation_fingerprint(gen: GenerationConfig, sampling: SamplingConfig) -> dict[str, Any]:
    """What decides the samples. Cached generations are reused only while this is unchanged,
    and it is computable without loading the model (a fully cached run never loads it)."""
    if gen.backend == "samples":
        return {"backend": "samples", "samples_path": gen.samples_path}
    fp: dict[str, Any] = {
        "backend": gen.backend,
        "model": gen.model,
        "system_prompt": gen.system_prompt,
        "chat_template_kwargs": gen.chat_template_kwargs,
        "n": sampling.n,
        "temperature": sampling.temperature,
        "top_p": sampling.top_p,
        "top_k": sampling.top_k,
        "max_tokens": sampling.max_tokens,
        "seed": sampling.seed,
    }
    if gen.backend == "transformers":
        fp["batch_size"] = gen.batch_size  # samples are drawn per batch
    return fp


def make_backend(gen: GenerationConfig, sampling: SamplingConfig) -> Backend:
    """Construct the chosen backend; heavy imports happen only here."""
    classes = {
        "transformers": TransformersBackend,
        "vllm": VLLMBackend,
        "openai": OpenAIBackend,
        "samples": SamplesBackend,
    }
    return classes[gen.backend](gen, sampling)


def generate_cached(
    gen: GenerationConfig, sampling: SamplingConfig, problems: Sequence[Problem], n: int, cache: Path | None
) -> dict[tuple[str, int], Generation]:
    """``n`` generations per problem: those already in the JSONL ``cache`` plus the missing ones from
    the backend, each appended to ``cache`` as it arrives (a killed run loses nothing it generated).
    ``cache=None`` keeps nothing (a samples file is simply re-read). Ctrl-C stops the backend and
    raises :class:`xcoder.cancel.Cancelled` saying what was kept."""
    from xcoder.cancel import Cancelled
    from xcoder.io import JsonlAppender, iter_jsonl_tolerant

    gens: dict[tuple[str, int], Generation] = {}
    if cache is not None:
        wanted = {p.question_id for p in problems}
        for row in iter_jsonl_tolerant(cache, log.warning):
            if isinstance(row, dict) and row.get("question_id") in wanted and 0 <= row.get("sample", -1) < n:
                g = Generation(**row)
                gens[(g.question_id, g.sample)] = g
    # Complete problems stay in the list with nothing missing: a backend that samples several problems
    # together (transformers packs) must see the same companions on a rerun.
    jobs = [Job(p, [i for i in range(n) if (p.question_id, i) not in gens]) for p in problems]
    if not any(j.samples for j in jobs):
        if cache is not None:
            log.info("all %d generations cached", len(gens))
        return gens
    backend = make_backend(gen, sampling)
    appender = JsonlAppender(cache) if cache is not None else None

    def on_result(g: Generation) -> None:
        gens[(g.question_id, g.sample)] = g
        if appender is not None:
            appender.write(g.to_json())

    try:
        backend.generate(jobs, on_result)
    except Cancelled:
        raise Cancelled(f"{len(gens)} generations cached in {cache}" if cache else "nothing generated") from None
    finally:
        backend.close()
        if appender is not None:
            appender.close()
    return gens
