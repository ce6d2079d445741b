"""SFT replay during GRPO: a next-token loss on supervised rows added to the policy loss.

Why: GRPO's update acts only on the prompts it samples, and with ``beta: 0`` nothing holds the rest
of the policy where SFT left it. On the tiny learning benchmark GRPO lost about 5 points on fresh
instances of the statements SFT had trained on while gaining on its own (docs/notes/rl_learning.md).
Mixing a supervised term into the RL loss is InstructGPT's "PPO-ptx": the loss becomes
``policy_loss + replay_coef * NLL(replay batch)``, the NLL a mean over the replay rows' answer tokens.

Rows come in any SFT layout ``recipes/sft.py`` reads (``messages``, ``prompt``/``completion``, X-Coder's
``query``/``response``, ShareGPT, KodCode), rendered with the policy's chat template exactly as GRPO
renders its prompts; the loss covers the tokens after the prompt (the answer and its end-of-turn).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from xcoder.config import help_field

logger = logging.getLogger(__name__)


@dataclass
class ReplayOptions:
    """An SFT replay term in the GRPO loss (off unless ``replay_dataset`` is set)."""

    replay_dataset: str | None = help_field(
        "Supervised rows (a JSONL/JSON/Parquet file or dataset name, any layout recipes/sft.py reads) whose "
        "next-token loss is added to the GRPO loss at every step, weighted by replay_coef, so the policy keeps "
        "what SFT taught on prompts GRPO does not sample (PPO-ptx). Unset: no replay.",
        default=None,
    )
    replay_coef: float = help_field(
        "Weight of the replay loss (mean NLL per answer token) against the policy loss.", default=1.0
    )
    replay_batch_size: int = help_field(
        "Replay rows per process in each loss computation (drawn without replacement, epoch by epoch).", default=8
    )
    replay_max_length: int | None = help_field(
        "Cut replay rows (prompt + answer) to this many tokens; rows whose prompt alone reaches it are dropped. "
        "Unset: whole rows.",
        default=None,
    )

    def check_replay(self) -> None:
        if self.replay_dataset is None:
            return
        if self.replay_coef <= 0:
            raise ValueError(f"replay_coef must be positive when replay_dataset is set, got {self.replay_coef}")
        if self.replay_batch_size < 1:
            raise ValueError(f"replay_batch_size must be at least 1, got {self.replay_batch_size}")
        if self.replay_max_length is not None and self.replay_max_length < 2:
            raise ValueError(f"replay_max_length must be at least 2, got {self.replay_max_length}")

    def replay_options(self) -> ReplayOptions:
        """These options alone (what the trainer takes)."""
        return ReplayOptions(
            replay_dataset=self.replay_dataset,
            replay_coef=self.replay_coef,
            replay_batch_size=self.replay_batch_size,
            replay_max_length=self.replay_max_length,
        )


def _ids(encoded: Any) -> list[int]:
    """``apply_chat_template(tokenize=True)``'s ids, whether it returned a list or a BatchEncoding."""
    return list(encoded["input_ids"] if hasattr(encoded, "keys") else encoded)


def tokenize_rows(
    rows: Sequence[dict[str, list[dict]]], tokenizer: Any, max_length: int | None, source: str
) -> list[tuple[list[int], int]]:
    """``prompt``/``completion`` turn lists -> (token ids, prompt length) per row. The prompt is rendered
    with the generation prompt, as GRPO renders its prompts; a template that does not render the
    whole conversation with the prompt as its prefix is an error naming the row."""
    out: list[tuple[list[int], int]] = []
    dropped = 0
    for index, row in enumerate(rows):
        prompt = _ids(tokenizer.apply_chat_template(row["prompt"], add_generation_prompt=True, tokenize=True))
        full = _ids(tokenizer.apply_chat_template(row["prompt"] + row["completion"], tokenize=True))
        if full[: len(prompt)] != prompt or len(full) <= len(prompt):
            raise ValueError(
                f"{source} row {index}: the chat template does not render the conversation as the prompt "
                "(with its generation prompt) followed by the answer, so the answer tokens cannot be found"
            )
        if max_length is not None:
            if len(prompt) >= max_length:
                dropped += 1
                continue
            full = full[:max_length]
        out.append((full, len(prompt)))
    if dropped:
        logger.warning(
            "replay: %d of %d rows of %s dropped (prompt reaches replay_max_length)", dropped, len(rows), source
        )
    if not out:
        raise ValueError(f"{source}: no replay rows left (replay_max_length {max_length})")
    return out


def load_replay_rows(path: str) -> list[dict[str, list[dict]]]:
    """Any SFT layout -> ``prompt``/``completion`` turn lists (bad rows raise, naming file and row)."""
    from xcoder.train.sft import load_source, to_sft_format

    ds = to_sft_format(load_source(path, split="train"), "prompt_completion", path)
    return [{"prompt": row["prompt"], "completion": row["completion"]} for row in ds]


class ReplayBatches:
    """Draws replay batches (a fresh permutation each pass over the rows) and computes their loss."""

    def __init__(self, rows: list[tuple[list[int], int]], batch_size: int, pad_id: int, seed: int):
        self.rows, self.batch_size, self.pad_id = rows, batch_size, pad_id
        self.generator = torch.Generator().manual_seed(seed)
        self.order: list[int] = []

    def next_indices(self) -> list[int]:
        picked: list[int] = []
        while len(picked) < self.batch_size:
            if not self.order:
                self.order = torch.randperm(len(self.rows), generator=self.generator).tolist()
            picked.append(self.order.pop())
        return picked

    def batch(self, device: torch.device | str) -> dict[str, torch.Tensor]:
        """Right-padded ids, attention mask and labels (-100 on the prompt and the padding)."""
        chosen = [self.rows[i] for i in self.next_indices()]
        width = max(len(ids) for ids, _ in chosen)
        input_ids = torch.full((len(chosen), width), self.pad_id, dtype=torch.long)
        attention = torch.zeros((len(chosen), width), dtype=torch.long)
        labels = torch.full((len(chosen), width), -100, dtype=torch.long)
        for r, (ids, prompt_len) in enumerate(chosen):
            row = torch.tensor(ids, dtype=torch.long)
            input_ids[r, : len(ids)] = row
            attention[r, : len(ids)] = 1
            labels[r, prompt_len : len(ids)] = row[prompt_len:]
        return {"input_ids": input_ids.to(device), "attention_mask": attention.to(device), "labels": labels.to(device)}


def answer_nll(model: Any, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean negative log-likelihood per answer token (labels != -100) of a right-padded batch."""
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], use_cache=False).logits
    shifted = logits[:, :-1, :].float()
    targets = batch["labels"][:, 1:]
    return torch.nn.functional.cross_entropy(
        shifted.reshape(-1, shifted.size(-1)), targets.reshape(-1), ignore_index=-100, reduction="mean"
    )


__all__ = ["ReplayBatches", "ReplayOptions", "answer_nll", "load_replay_rows", "tokenize_rows"]
