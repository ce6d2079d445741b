"""Which attention and kernels a training run uses: the fastest that is correct for its batches.

Why: packed SFT batches are padding-free -- several documents in one row, told apart only by
``position_ids`` restarting at 0. That is correct only with attention that keeps the documents
apart: flash-attention's varlen kernel (``flash_attention_2``), or a mask that transformers builds
from the position ids (``sdpa``, ``eager``, ``flex_attention``). :func:`packed_loss_gap` measures
it: the per-token losses of a packed row against the same documents run one by one
(``tests/test_attention.py`` on the CPU, ``scripts/gpu_check.sh`` on a GPU). An implementation not
in :data:`PACKING_SAFE` is refused with packing.

With ``attn_implementation`` unset (or ``auto``) the recipes pick, on a GPU,
``flash_attention_2`` when flash-attn is installed (no mask at all, and no work across documents),
else ``flex_attention`` for packed rows (its block mask skips the work across documents that
``sdpa``'s dense mask pays for: 26.5-37.6% MFU against 8.1-23.3% on an H100, BENCHMARKS.md
§ SFT throughput), else ``sdpa``; on a CPU ``sdpa``. SFT also turns on Liger kernels on a GPU when
liger-kernel is installed. The choice is printed at launch; ``auto_kernels: false`` keeps the
config as written.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from dataclasses import dataclass

logger = logging.getLogger(__name__)

# Correct with padding-free packed rows in transformers >= the floor: the CPU ones are checked by
# tests/test_attention.py (per-token losses packed == unpacked); flash_attention_2/3 take the
# document boundaries from position_ids (cu_seqlens, varlen kernel) and are checked by gpu_check.
PACKING_SAFE = ("flash_attention_2", "flash_attention_3", "flex_attention", "sdpa", "eager")
# Preference on a GPU, fastest first, among the installed and packing-safe ones; flex_attention only
# for packed (padding-free) rows, where it was measured ahead of sdpa (padded batches: not measured).
GPU_PREFERENCE = ("flash_attention_2", "flex_attention", "sdpa")
AUTO = (None, "", "auto")


@dataclass(frozen=True)
class KernelChoice:
    attn_implementation: str
    use_liger_kernel: bool
    reason: str

    def line(self) -> str:
        liger = "on" if self.use_liger_kernel else "off"
        return f"attention: {self.attn_implementation}, Liger kernels: {liger} ({self.reason})"


def flash_attn_usable() -> bool:
    """flash-attn installed and a CUDA GPU of compute capability >= 8.0 (Ampere or newer)."""
    if importlib.util.find_spec("flash_attn") is None:
        return False
    import torch

    return torch.cuda.is_available() and torch.cuda.get_device_capability()[0] >= 8


def liger_installed() -> bool:
    return importlib.util.find_spec("liger_kernel") is not None


def flex_attention_available() -> bool:
    """torch ships flex_attention (2.5 and newer)."""
    import torch

    return hasattr(torch.nn.attention, "flex_attention") or bool(
        importlib.util.find_spec("torch.nn.attention.flex_attention")
    )


def available_implementations(on_gpu: bool) -> list[str]:
    """The attention implementations this machine can run (for the benchmark's sweep)."""
    impls = ["sdpa", "eager"]
    if flex_attention_available():
        impls.append("flex_attention")
    if on_gpu and flash_attn_usable():
        impls.append("flash_attention_2")
    return impls


def choose_attention(
    requested: str | None, padding_free: bool, on_gpu: bool, flash_attn: bool, flex: bool = False
) -> tuple[str, str]:
    """``(implementation, reason)``. A requested implementation is kept, unless it is not correct
    for padding-free batches and the batches are padding-free (``ValueError``). ``flash_attn`` and
    ``flex``: whether those are usable here."""
    if requested not in AUTO:
        if padding_free and requested not in PACKING_SAFE:
            raise ValueError(
                f"attn_implementation {requested!r} does not keep packed documents apart (padding-free batches); "
                f"use one of {', '.join(PACKING_SAFE)}, or set packing: false and padding_free: false"
            )
        return str(requested), "as configured"
    if not on_gpu:
        return "sdpa", "CPU"
    if flash_attn:
        return "flash_attention_2", "flash-attn installed"
    if padding_free and flex:
        return (
            "flex_attention",
            "packed rows: a block mask skips work across documents; pip install flash-attn for varlen",
        )
    why = "packed rows kept apart by position ids" if padding_free else "flash-attn not installed"
    return "sdpa", f"{why}; pip install flash-attn for the varlen kernel"


def choose_kernels(
    requested_attn: str | None, padding_free: bool, on_gpu: bool, use_liger: bool, auto_liger: bool
) -> KernelChoice:
    """Attention as :func:`choose_attention`; Liger on when asked, or when ``auto_liger`` on a GPU
    with liger-kernel installed."""
    attn, reason = choose_attention(
        requested_attn, padding_free, on_gpu, on_gpu and flash_attn_usable(), on_gpu and flex_attention_available()
    )
    liger = use_liger or (auto_liger and on_gpu and liger_installed())
    if liger and not use_liger:
        reason += "; liger-kernel installed"
    return KernelChoice(attn, liger, reason)


def apply_kernel_choice(script_args, training_args, model_args, *, liger: bool) -> KernelChoice | None:
    """Set ``model_args.attn_implementation`` (and for SFT ``use_liger_kernel``) from the choice and
    print it once. Does nothing with ``auto_kernels: false`` beyond the packing check."""
    from xcoder.dist import is_main_process
    from xcoder.train.precision import cpu_only

    padding_free = bool(getattr(training_args, "padding_free", False)) or (
        bool(getattr(training_args, "packing", False))
        and getattr(training_args, "packing_strategy", "") in ("bfd", "bfd_split", "bfd-requeue")
    )
    on_gpu = not cpu_only(getattr(training_args, "use_cpu", False))
    requested = model_args.attn_implementation
    if not getattr(script_args, "auto_kernels", True):
        choose_attention(requested if requested not in AUTO else "sdpa", padding_free, on_gpu, False)
        if requested in AUTO:
            model_args.attn_implementation = None  # transformers' own default
        return None
    use_liger = bool(getattr(training_args, "use_liger_kernel", False))
    choice = choose_kernels(requested, padding_free, on_gpu, use_liger, auto_liger=liger)
    model_args.attn_implementation = choice.attn_implementation
    if liger:
        training_args.use_liger_kernel = choice.use_liger_kernel
    if is_main_process():
        sys.stderr.write(choice.line() + "\n")
    logger.info(choice.line())
    return choice


# --------------------------------------------------------------------------------------------
# The correctness check


def packed_position_ids(docs: list[list[int]], restart: bool = True):
    """Position ids of a padding-free packed row, as TRL's collator makes them: restarting at 0 for
    every document (``restart=False``: one long sequence, the documents would see each other)."""
    import torch

    if not restart:
        return torch.arange(sum(len(d) for d in docs)).unsqueeze(0)
    return torch.cat([torch.arange(len(d)) for d in docs]).unsqueeze(0)


def packed_loss_gap(model, docs: list[list[int]], restart: bool = True) -> float:
    """Largest absolute difference between the per-token losses of ``docs`` packed into one
    padding-free row (``position_ids`` restart per document, no attention mask) and the same
    documents run one at a time. 0 up to rounding when the attention keeps documents apart."""
    import torch
    import torch.nn.functional as F

    def token_losses(logits, ids):
        return F.cross_entropy(logits[:-1].float(), ids[1:], reduction="none")

    device = next(model.parameters()).device
    ids = torch.tensor([sum(docs, [])], device=device)
    position_ids = packed_position_ids(docs, restart).to(device)
    with torch.no_grad():
        # use_cache=False as in training: with a cache transformers does not look for packed rows
        packed_logits = model(input_ids=ids, position_ids=position_ids, use_cache=False).logits[0]
        gap = 0.0
        start = 0
        for doc in docs:
            one = torch.tensor([doc], device=device)
            alone = token_losses(model(input_ids=one, use_cache=False).logits[0], one[0])
            packed = token_losses(packed_logits[start : start + len(doc)], one[0])
            gap = max(gap, float((packed - alone).abs().max()))
            start += len(doc)
    return gap
