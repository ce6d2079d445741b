"""SFT throughput: tokens/s, MFU, step time and peak memory of the SFT recipe's trainer.

A model of a chosen shape is built from its config (random weights, nothing downloaded) and
trained on synthetic token rows through the recipe's own setup (``xcoder.train.sft``: its
``SFTConfig``, ``check_options``, the packing check of ``xcoder.train.attention`` and
``make_trainer``), for each setting of packing, Liger, attention implementation and activation
checkpointing:

    python benchmarks/sft_throughput.py                                  # GPU: Qwen2.5-Coder-1.5B shape, 8k
    python benchmarks/sft_throughput.py --preset qwen2.5-coder-7b --max-length 4096
    python benchmarks/sft_throughput.py --sweep full --attn sdpa,flex_attention --liger off
    python benchmarks/sft_throughput.py --preset tiny --max-length 256   # CPU: a few seconds

Also on the tiny model with the tiny SFT data (``--data recipes/tiny/data/sft.jsonl``), where
it reports how full the packed rows are (the older ``sft_packing`` benchmark's question).

MFU counts useful work only: 6 x N x tokens (N: the parameters of every matrix multiply, the
output layer included, the input embedding lookup not) plus causal attention within each
document, 6 x layers x heads x head_dim x sum(len^2), forward and backward, not the recomputed
forward of activation checkpointing. The peak is the GPU's dense bf16 figure from
:data:`PEAK_BF16_TFLOPS` by device name, or ``--peak-tflops``.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import platform
import random
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from xcoder.model_shapes import PRESETS  # noqa: E402  (the published shapes, shared with the GPU checks)
from xcoder.model_shapes import model_config as shape_config  # noqa: E402

# Dense bf16 tensor-core peak (TFLOP/s) by device name, most specific first (NVIDIA datasheets).
PEAK_BF16_TFLOPS: tuple[tuple[str, float], ...] = (
    ("GH200", 989.0),
    ("H200", 989.0),
    ("H100 PCIe", 756.0),
    ("H100 NVL", 835.0),
    ("H100", 989.0),  # SXM ("NVIDIA H100 80GB HBM3")
    ("H800", 989.0),
    ("B200", 2250.0),
    ("A100", 312.0),
    ("A800", 312.0),
    ("L40S", 362.0),
    ("L4", 121.0),
    ("A10", 125.0),
)


@dataclass(frozen=True)
class Setting:
    packing: bool
    attn: str
    liger: bool
    activation_checkpointing: bool

    @property
    def name(self) -> str:
        return (
            f"{'packed' if self.packing else 'padded'} {self.attn} liger={'on' if self.liger else 'off'} "
            f"AC={'on' if self.activation_checkpointing else 'off'}"
        )


def peak_tflops(device_name: str) -> float | None:
    for key, value in PEAK_BF16_TFLOPS:
        if key.lower() in device_name.lower():
            return value
    return None


def model_config(preset: str, vocab_floor: int):
    """The preset's config for training (no generation cache)."""
    return shape_config(preset, vocab_floor, use_cache=False)


def matmul_params(model) -> int:
    """Parameters that take part in a matrix multiply per token: all but the input embedding,
    plus the output layer once even when it shares the embedding's weight."""
    total = sum(p.numel() for p in model.parameters())
    embed = model.get_input_embeddings().weight
    tied = model.get_output_embeddings().weight is embed
    return total - embed.numel() + (embed.numel() if tied else 0)


# --------------------------------------------------------------------------------------------
# Data


def synthetic_rows(n: int, min_len: int, max_len: int, low_id: int, high_id: int, seed: int) -> list[dict]:
    """Token rows with lengths log-uniform in [min_len, max_len] (SFT answers vary over orders of
    magnitude), ids uniform in [low_id, high_id)."""
    import math

    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        length = int(math.exp(rng.uniform(math.log(min_len), math.log(max_len))))
        rows.append({"input_ids": [rng.randrange(low_id, high_id) for _ in range(length)]})
    return rows


def tokenized_rows(path: str, tokenizer, max_len: int) -> list[dict]:
    """Rows of a chat JSONL (``messages``) tokenized with the chat template, cut to max_len."""
    from xcoder.io import iter_jsonl

    rows = []
    for lineno, row, error in iter_jsonl(path):
        if error:
            raise ValueError(f"{path} line {lineno}: {error}")
        text = tokenizer.apply_chat_template(row["messages"], tokenize=False)
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        rows.append({"input_ids": ids[:max_len]})
    return rows


class DocLengths:
    """Wraps the trainer's collator and records the document lengths of every batch it builds."""

    def __init__(self, collator):
        self.collator = collator
        self.lengths: list[int] = []
        self.computed = 0
        self.rows = 0  # rows before the padding-free collator flattens them: packed bins

    def __call__(self, examples):
        batch = self.collator(examples)
        ids = batch["input_ids"]
        self.rows += len(examples)
        self.computed += ids.numel()
        if "attention_mask" in batch:
            self.lengths += [int(n) for n in batch["attention_mask"].sum(-1)]
        else:  # padding-free: documents start where position_ids restart at 0
            for row in batch["position_ids"]:
                starts = (row == 0).nonzero().flatten().tolist() + [len(row)]
                self.lengths += [b - a for a, b in zip(starts, starts[1:])]
        return batch


# --------------------------------------------------------------------------------------------
# One setting


def run_setting(setting: Setting, opts, tokenizer, rows: list[dict], device: str, out_dir: str) -> dict:
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, TrainerCallback

    from xcoder.train.attention import choose_attention, flash_attn_usable
    from xcoder.train.sft import SFTConfig, SFTScriptArguments, check_options, make_trainer

    on_gpu = device == "cuda"
    steps = opts.warmup + opts.steps
    mean_len = sum(len(r["input_ids"]) for r in rows) / len(rows)
    batch = opts.packed_batch if setting.packing else max(1, round(opts.packed_batch * opts.max_length / mean_len))
    args = SFTConfig(
        output_dir=out_dir,
        max_steps=steps,
        per_device_train_batch_size=batch,
        gradient_accumulation_steps=1,
        packing=setting.packing,
        packing_strategy="bfd",
        padding_free=setting.packing,
        max_length=opts.max_length,
        activation_checkpointing=setting.activation_checkpointing,
        activation_checkpointing_kwargs={"use_reentrant": False},
        use_liger_kernel=setting.liger,
        bf16=on_gpu,
        use_cpu=not on_gpu,
        learning_rate=1e-5,
        lr_scheduler_type="constant",
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        seed=0,
        dataloader_num_workers=0,
    )
    check_options(SFTScriptArguments(dataset_name="synthetic"), args)
    padding_free = setting.packing
    choose_attention(setting.attn, padding_free, on_gpu, on_gpu and flash_attn_usable())  # refuses unsafe ones

    config = model_config(opts.preset, len(tokenizer))
    dtype = torch.bfloat16 if on_gpu else torch.float32
    torch.manual_seed(0)
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, attn_implementation=setting.attn, dtype=dtype)
    n_matmul = matmul_params(model)
    trainer = make_trainer(model, args, Dataset.from_list(rows), processing_class=tokenizer)
    recorder = DocLengths(trainer.data_collator)
    trainer.data_collator = recorder

    times: list[float] = []
    cpu: list[float] = []  # process CPU seconds: on a shared CPU box less disturbed than wall time

    class Clock(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if on_gpu:
                torch.cuda.synchronize()
            times.append(time.perf_counter())
            cpu.append(time.process_time())

    trainer.add_callback(Clock())
    if on_gpu:
        torch.cuda.reset_peak_memory_stats()
    trainer.train()
    peak_gib = torch.cuda.max_memory_allocated() / 2**30 if on_gpu else None
    tokens = [h["num_tokens"] for h in trainer.state.log_history if "num_tokens" in h]
    if len(times) < steps or len(tokens) < steps:
        raise RuntimeError(f"ran {len(times)} of {steps} steps")
    seconds = times[-1] - times[opts.warmup - 1]
    seen = tokens[-1] - tokens[opts.warmup - 1]
    lengths = recorder.lengths
    sq_per_token = sum(n * n for n in lengths) / max(1, sum(lengths))
    head_dim = config.hidden_size // config.num_attention_heads
    attn_flops = 6 * config.num_hidden_layers * config.num_attention_heads * head_dim * sq_per_token
    flops_per_token = 6 * n_matmul + attn_flops
    tps = seen / seconds
    peak = opts.peak_tflops or (peak_tflops(torch.cuda.get_device_name()) if on_gpu else None)
    result = {
        **asdict(setting),
        "name": setting.name,
        "per_device_train_batch_size": batch,
        "steps_timed": opts.steps,
        "tokens_timed": seen,
        "tokens_per_step": seen / opts.steps,
        "real_share": sum(lengths) / max(1, recorder.computed),
        "bin_fill": sum(lengths) / (recorder.rows * opts.max_length) if setting.packing else None,
        "cpu_seconds_per_1k_tokens": None if on_gpu else 1000 * (cpu[-1] - cpu[opts.warmup - 1]) / seen,
        "step_seconds": seconds / opts.steps,
        "tokens_per_second": tps,
        "model_tflops_per_second": tps * flops_per_token / 1e12,
        "attention_share_of_flops": attn_flops / flops_per_token,
        "mfu": tps * flops_per_token / (peak * 1e12) if peak else None,
        "peak_memory_gib": peak_gib,
        "matmul_params": n_matmul,
        "final_loss": next((h["loss"] for h in reversed(trainer.state.log_history) if "loss" in h), None),
    }
    del trainer, model
    gc.collect()
    if on_gpu:
        torch.cuda.empty_cache()
    return result


# --------------------------------------------------------------------------------------------
# Sweep


def _flags(text: str, available: list[str] | None = None) -> list:
    values = [v.strip() for v in text.split(",") if v.strip()]
    if available is None:
        return [{"on": True, "off": False}[v] for v in values]
    return values


def settings_to_run(opts, on_gpu: bool, available: list[str], liger_ok: bool) -> tuple[list[Setting], list[str]]:
    """The settings and the notes on what was left out. ``oat``: the recipe's own choice on this
    machine, then one factor changed at a time, plus the issue's baseline (packed, sdpa, no Liger,
    AC on); ``full``: the cross product of the flags."""
    from xcoder.train.attention import choose_attention, flash_attn_usable, flex_attention_available

    notes = []
    attns = _flags(opts.attn, available) if opts.attn else [a for a in available if a != "eager" or not on_gpu]
    for a in list(attns):
        if a not in available:
            notes.append(f"{a}: not available here (flash-attn not installed, or no GPU)")
            attns.remove(a)
    if not on_gpu and "flex_attention" in attns and not opts.attn:
        attns.remove("flex_attention")  # compiles for minutes on a CPU
        notes.append("flex_attention: left out on the CPU (compilation takes minutes); ask with --attn")
    ligers = _flags(opts.liger) if opts.liger else [False, True]
    if True in ligers and not liger_ok:
        ligers = [x for x in ligers if not x] or [False]
        notes.append("Liger: liger-kernel not installed (pip install 'xcoder[liger]'), or no GPU")
    packings, acs = _flags(opts.packing), _flags(opts.ac)
    if opts.sweep == "full":
        chosen = [Setting(p, a, lg, ac) for p, a, lg, ac in itertools.product(packings, attns, ligers, acs)]
    else:
        auto_attn, _ = choose_attention(
            None, True, on_gpu, on_gpu and flash_attn_usable(), on_gpu and flex_attention_available()
        )
        base = Setting(
            True in packings, auto_attn if auto_attn in attns else attns[0], liger_ok and True in ligers, True in acs
        )
        issue = Setting(base.packing, "sdpa", False, base.activation_checkpointing)  # the measured baseline
        chosen = [base, issue] if "sdpa" in attns else [base]
        chosen += [Setting(base.packing, a, base.liger, base.activation_checkpointing) for a in attns]
        chosen += [Setting(base.packing, base.attn, lg, base.activation_checkpointing) for lg in ligers]
        chosen += [Setting(base.packing, base.attn, base.liger, ac) for ac in acs]
        chosen += [Setting(p, base.attn, base.liger, base.activation_checkpointing) for p in packings]
    unique = list(dict.fromkeys(chosen))
    safe = []
    for s in unique:
        try:
            choose_attention(s.attn, s.packing, on_gpu, True)
            safe.append(s)
        except ValueError as exc:
            notes.append(f"{s.name}: skipped ({exc})")
    return safe, notes


def print_table(results: list[dict], title: str, console) -> None:
    from rich.table import Table

    table = Table(title=title)
    cols = (
        "rows",
        "attention",
        "Liger",
        "AC",
        "tokens/s",
        "MFU",
        "step s",
        "tokens/step",
        "real/computed",
        "bin fill",
        "peak GiB",
        "note",
    )
    for col in cols:
        table.add_column(col, justify="left" if col in ("rows", "attention", "note") else "right")
    for r in results:
        head = (
            "packed" if r["packing"] else "padded",
            r["attn"],
            "on" if r["liger"] else "off",
            "on" if r["activation_checkpointing"] else "off",
        )
        if "error" in r:
            table.add_row(*head, *["-"] * 7, r["error"][:80])
            continue
        table.add_row(
            *head,
            f"{r['tokens_per_second']:,.0f}",
            f"{r['mfu']:.1%}" if r["mfu"] is not None else "-",
            f"{r['step_seconds']:.3f}",
            f"{r['tokens_per_step']:,.0f}",
            f"{r['real_share']:.1%}",
            f"{r['bin_fill']:.1%}" if r["bin_fill"] is not None else "-",
            f"{r['peak_memory_gib']:.1f}" if r["peak_memory_gib"] is not None else "-",
            "",
        )
    console.print(table)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default=None,
        help="model shape (default: qwen2.5-coder-1.5b on a GPU, tiny on a CPU)",
    )
    parser.add_argument("--max-length", type=int, default=None, help="packed row length (default 8192 GPU, 256 CPU)")
    parser.add_argument(
        "--steps", type=int, default=None, help="timed optimizer steps per setting (default 8 GPU, 3 CPU)"
    )
    parser.add_argument("--warmup", type=int, default=None, help="untimed first steps (default 3 GPU, 1 CPU)")
    parser.add_argument(
        "--sweep",
        choices=("oat", "full"),
        default="oat",
        help="oat: the recipe's choice, then one factor at a time; full: every combination",
    )
    parser.add_argument("--packing", default="on,off", help="on,off")
    parser.add_argument("--liger", default="", help="on,off (default: both where liger-kernel is installed)")
    parser.add_argument(
        "--attn", default="", help="sdpa,flex_attention,flash_attention_2,eager (default: those available)"
    )
    parser.add_argument("--ac", default="on,off", help="activation checkpointing: on,off")
    parser.add_argument(
        "--packed-batch", type=int, default=1, help="packed rows per step (padded batches hold about as many tokens)"
    )
    parser.add_argument("--data", default=None, help="a chat JSONL to tokenize instead of synthetic rows")
    parser.add_argument("--min-doc", type=int, default=None, help="shortest synthetic row (default max_length/64)")
    parser.add_argument("--max-doc", type=int, default=None, help="longest synthetic row (default max_length/2)")
    parser.add_argument("--peak-tflops", type=float, default=None, help="the GPU's peak bf16 TFLOP/s for MFU")
    parser.add_argument("--cpu", action="store_true", help="run on the CPU even if a GPU is present")
    parser.add_argument("--out", default=str(ROOT / "runs/bench/sft_throughput.json"))
    opts = parser.parse_args(argv)

    import torch
    from rich.console import Console

    from xcoder.tiny_model import PAD_TOKEN, SPECIAL_TOKENS, corpus_documents, train_tokenizer
    from xcoder.train.attention import available_implementations, liger_installed

    on_gpu = torch.cuda.is_available() and not opts.cpu
    device = "cuda" if on_gpu else "cpu"
    opts.preset = opts.preset or ("qwen2.5-coder-1.5b" if on_gpu else "tiny")
    opts.max_length = opts.max_length or (8192 if on_gpu else 256)
    opts.steps = opts.steps or (8 if on_gpu else 3)
    opts.warmup = max(1, opts.warmup if opts.warmup is not None else (3 if on_gpu else 1))
    console = Console(width=None if sys.stdout.isatty() else 150)

    tokenizer = train_tokenizer(corpus_documents(), 4096, opts.max_length)
    total_steps = opts.warmup + opts.steps
    if opts.data:
        rows = tokenized_rows(opts.data, tokenizer, opts.max_length)
    else:
        lo, hi = opts.min_doc or max(16, opts.max_length // 64), opts.max_doc or opts.max_length // 2
        mean = (hi - lo) / max(1e-9, __import__("math").log(hi / lo))
        n = int(1.5 * total_steps * opts.packed_batch * max(opts.max_length / mean, 1) + 16)
        rows = synthetic_rows(n, lo, hi, len(SPECIAL_TOKENS), len(tokenizer), seed=0)
    assert tokenizer.convert_tokens_to_ids(PAD_TOKEN) < len(SPECIAL_TOKENS)  # synthetic ids never hit padding

    settings, notes = settings_to_run(opts, on_gpu, available_implementations(on_gpu), on_gpu and liger_installed())
    gpu = torch.cuda.get_device_name() if on_gpu else None
    meta = {
        "device": gpu or f"CPU ({platform.machine()}, {os.cpu_count()} cores, {torch.get_num_threads()} threads)",
        "preset": opts.preset,
        "shape": PRESETS[opts.preset],
        "max_length": opts.max_length,
        "steps": opts.steps,
        "warmup": opts.warmup,
        "rows": len(rows),
        "data": opts.data or "synthetic",
        "peak_tflops": opts.peak_tflops or (peak_tflops(gpu) if gpu else None),
        "torch": torch.__version__,
        "versions": _versions(),
        "notes": notes,
    }
    console.print(
        f"[bold]SFT throughput[/bold]: {opts.preset} at {opts.max_length} tokens on {meta['device']}; "
        f"{len(settings)} settings, {opts.warmup}+{opts.steps} steps each"
    )
    for note in notes:
        console.print(f"[dim]note: {note}[/dim]")
    results = []
    with tempfile.TemporaryDirectory(prefix="sft-throughput-") as tmp:
        for setting in settings:
            console.print(f"- {setting.name}")
            try:
                results.append(run_setting(setting, opts, tokenizer, rows, device, tmp))
            except Exception as exc:  # an OOM or a missing kernel is a result too
                results.append({**asdict(setting), "name": setting.name, "error": f"{type(exc).__name__}: {exc}"})
                gc.collect()
                if on_gpu:
                    torch.cuda.empty_cache()
            _write(opts.out, meta, results)  # partial results survive a timeout
    print_table(results, f"SFT throughput: {opts.preset}, {opts.max_length} tokens, {meta['device']}", console)
    console.print(f"wrote {opts.out}")
    return {"meta": meta, "results": results}


def _versions() -> dict[str, str | None]:
    from xcoder.train.versions import installed

    return {p: installed(p) for p in ("transformers", "trl", "accelerate", "liger-kernel", "flash-attn")}


def _write(path: str, meta: dict, results: list[dict]) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
