"""TRL's ``GRPOTrainer`` with dynamic sampling and an online curriculum (``GroupSamplingOptions``).

Both act on *groups*: the ``num_generations`` completions of one prompt. A group whose rewards are
all equal has zero advantage, so it costs a generation and teaches nothing.

* **Dynamic sampling** (DAPO's; verl and prime-rl have it): after a generation batch is scored, its
  zero-std groups are dropped and the batch is refilled with the mixed groups of freshly drawn
  prompts, up to ``dynamic_sampling_max_rounds`` extra rounds (each a whole generation batch, the
  shape TRL's generation expects); if the budget runs out the batch is padded with zero-std groups,
  which carry zero advantage anyway. The batch handed to TRL keeps its size, so
  ``steps_per_generation`` and the loss normalisation are unchanged. Each group keeps the advantages
  computed in its own round (group-local by default; batch statistics of that round with
  ``scale_rewards: batch``).
* **Online curriculum**: :class:`OnlineCurriculumSampler` replaces TRL's ``RepeatSampler`` with the
  same layout (each prompt ``num_generations`` times in a row, each generation batch repeated
  ``num_iterations * steps_per_generation`` times) but draws each generation batch's prompts with
  weight ``p(1-p) + curriculum_min_weight``, ``p`` a running (EMA) pass rate per task updated from
  every scored group. The data loader runs a batch ahead, so a batch's draw sees the rewards of all
  batches but the one before it.
* **SFT replay** (``replay_dataset``, :mod:`xcoder.train.replay`): ``replay_coef`` times the mean NLL of a
  batch of supervised rows is added to each training loss computation (PPO-ptx), logged as ``replay/nll``.
* **Balanced prompts** (``balance_by``): :class:`WeightedRepeatSampler`, the same layout with fixed
  weights 1 / (rows sharing a column's value), e.g. one share per task family; with the curriculum
  the two weights multiply.

Every process sees the same gathered rewards, so the curriculum is the same on every rank. Dynamic
sampling selects groups per process, so with several processes each must hold whole groups
(``per_device_train_batch_size * steps_per_generation`` divisible by ``num_generations``).

TRL internals used (TRL 1.16, ``trl/trainer/grpo_trainer.py``): ``_get_train_sampler`` (the
sampler layout of ``RepeatSampler``), ``_calculate_rewards`` (returns the rewards of every process,
gathered, one column per reward function), ``_generate_and_score_completions`` (one generation
batch in, a dict of per-row tensors plus the scalar ``num_items_in_batch`` out), ``_metrics``,
``reward_weights``, ``num_generations``. The per-step log gets ``groups/all_pass``,
``groups/all_fail``, ``groups/mixed`` (over every group generated for the step),
``dynamic_sampling/rounds`` and ``dynamic_sampling/padded_groups``, ``curriculum/seen_tasks`` and
``curriculum/mean_pass_rate``.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils.data import Sampler
from trl import GRPOTrainer

from xcoder.train.grpo import GroupSamplingOptions
from xcoder.train.replay import ReplayBatches, ReplayOptions, answer_nll, load_replay_rows, tokenize_rows

logger = logging.getLogger(__name__)

# Keys of TRL's generation-batch dict that dynamic sampling knows how to merge, and their padding.
LEFT_PADDED = ("prompt_ids", "prompt_mask")
RIGHT_PADDED = (
    "completion_ids",
    "completion_mask",
    "old_per_token_logps",
    "ref_per_token_logps",
    "sampling_per_token_logps",
    "importance_sampling_ratio",
    "tool_mask",
)
PER_ROW = ("advantages",)
GROUPS_FILE = "groups.jsonl"  # group_log: one line per scored group


def task_key(row: dict[str, Any]) -> str:
    """The task a row belongs to: its ``question_id``, else its prompt."""
    qid = row.get("question_id")
    if qid not in (None, ""):
        return str(qid)
    return json.dumps(row.get("prompt"), sort_keys=True, default=str)


def dataset_keys(dataset) -> list[str]:
    """:func:`task_key` of every row of a map-style dataset, read column-wise."""
    columns = getattr(dataset, "column_names", None) or []
    if "question_id" in columns:
        ids = dataset["question_id"]
        if all(q not in (None, "") for q in ids):
            return [str(q) for q in ids]
    return [task_key(dataset[i]) for i in range(len(dataset))]


# --------------------------------------------------------------------------------------------
# Group statistics


@dataclass
class GroupStats:
    """Per group of one scored generation batch (all processes): whether its rewards differ, and
    its pass rate (NaN when no completion could be scored)."""

    mixed: torch.Tensor  # bool, (groups,)
    pass_rate: torch.Tensor  # float, (groups,)
    mean_reward: torch.Tensor | None = None  # float, (groups,): mean total reward of the scored completions

    @property
    def all_pass(self) -> torch.Tensor:
        return ~self.mixed & (self.pass_rate >= 1.0)

    @property
    def all_fail(self) -> torch.Tensor:
        return ~self.mixed & ~(self.pass_rate >= 1.0)


def full_marks(reward_funcs: Sequence[Any]) -> list[float | None]:
    """Each reward function's full mark (``rewards.execution.ExecutionReward.full_mark``, reached through
    its ``reward``), None for one without (shaping rewards, reward models, plain functions)."""
    return [getattr(getattr(f, "reward", None), "full_mark", None) for f in reward_funcs]


def group_stats(
    rewards_per_func: torch.Tensor,
    weights: torch.Tensor,
    num_generations: int,
    threshold: float | None,
    marks: Sequence[float | None] = (),
) -> GroupStats:
    """Groups of ``num_generations`` consecutive rows. A completion's reward is the weighted sum of
    its rewards (NaN when every reward function said None, as in TRL); a group is mixed when two of
    its scored completions differ. A completion passes when its reward reaches ``threshold``; with
    ``threshold`` None, when every reward function with a full mark in ``marks`` reaches it (scored only
    when all of them scored it), else when its reward reaches 1."""
    total = (rewards_per_func * weights.to(rewards_per_func.device).unsqueeze(0)).nansum(dim=1)
    total[torch.isnan(rewards_per_func).all(dim=1)] = torch.nan
    grouped = total.view(-1, num_generations).float().cpu()
    valid = ~torch.isnan(grouped)
    high = torch.where(valid, grouped, torch.full_like(grouped, -torch.inf)).amax(dim=1)
    low = torch.where(valid, grouped, torch.full_like(grouped, torch.inf)).amin(dim=1)
    mixed = (high - low) > 1e-6
    marked = [j for j, mark in enumerate(marks) if mark is not None]
    if threshold is None and marked:
        cols = rewards_per_func[:, marked].float().cpu()
        need = torch.tensor([marks[j] for j in marked], dtype=cols.dtype)
        scored = ~torch.isnan(cols).any(dim=1)
        ok = ((cols >= need - 1e-9).all(dim=1) & scored).view(-1, num_generations)
        passed, counted = ok.float().sum(dim=1), scored.view(-1, num_generations).float().sum(dim=1)
    else:
        passed = ((grouped >= (1.0 if threshold is None else threshold) - 1e-9) & valid).float().sum(dim=1)
        counted = valid.float().sum(dim=1)
    rate = torch.where(counted > 0, passed / counted.clamp(min=1), torch.full_like(counted, torch.nan))
    summed = torch.where(valid, grouped, torch.zeros_like(grouped)).sum(dim=1)
    mean = torch.where(counted > 0, summed / counted.clamp(min=1), torch.full_like(counted, torch.nan))
    return GroupStats(mixed=mixed, pass_rate=rate, mean_reward=mean)


# --------------------------------------------------------------------------------------------
# Prompt samplers: balanced (balance_by) and the online curriculum


def balance_weights(values: Sequence[Any]) -> list[float]:
    """``balance_by``: weight 1 / (rows sharing the value) per row, so every value's rows together weigh 1."""
    counts: dict[str, int] = {}
    labels = [json.dumps(v, sort_keys=True, default=str) for v in values]
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    return [1.0 / counts[label] for label in labels]


def balance_column(dataset, column: str) -> list[float]:
    """:func:`balance_weights` of a map-style dataset's ``column``; a missing column is an error naming it."""
    columns = list(getattr(dataset, "column_names", None) or [])
    if column not in columns:
        raise ValueError(f"balance_by: the RL data has no column {column!r} (its columns: {', '.join(columns)})")
    return balance_weights(dataset[column])


class WeightedRepeatSampler(Sampler[int]):
    """TRL's ``RepeatSampler`` layout (each prompt ``mini_repeat_count`` times in a row, each generation
    batch repeated ``repeat_count`` times), with each generation batch's prompts drawn without
    replacement by a weight per row (``balance_by``: :func:`balance_weights`)."""

    def __init__(
        self,
        keys: Sequence[str],
        mini_repeat_count: int,
        batch_size: int = 1,
        repeat_count: int = 1,
        seed: int = 0,
        base_weights: Sequence[float] | None = None,
    ):
        self.keys = list(keys)
        if base_weights is not None and len(base_weights) != len(self.keys):
            raise ValueError(f"{len(base_weights)} base weights for {len(self.keys)} rows")
        self.base = torch.tensor(
            base_weights if base_weights is not None else [1.0] * len(self.keys), dtype=torch.float64
        )
        self.mini_repeat_count, self.batch_size, self.repeat_count = mini_repeat_count, batch_size, repeat_count
        self.generator = torch.Generator().manual_seed(seed)

    def weights(self) -> torch.Tensor:
        """One weight per dataset row."""
        return self.base

    def draw(self, n: int, generator: torch.Generator | None = None) -> list[int]:
        """``n`` row indices drawn by weight, without replacement while the data has enough rows."""
        weights = self.weights()
        replacement = n > len(weights)
        return torch.multinomial(weights, n, replacement=replacement, generator=generator or self.generator).tolist()

    def __iter__(self) -> Iterator[int]:
        for _ in range(len(self.keys) // self.batch_size):
            chunk = self.draw(self.batch_size)  # drawn lazily: the weights of now
            for _ in range(self.repeat_count):
                for index in chunk:
                    for _ in range(self.mini_repeat_count):
                        yield index

    def __len__(self) -> int:
        return (len(self.keys) // self.batch_size) * self.batch_size * self.mini_repeat_count * self.repeat_count


class OnlineCurriculumSampler(WeightedRepeatSampler):
    """Each generation batch's prompts drawn (without replacement) with weight ``p(1-p) + min_weight``
    from a running pass rate ``p`` per task, times the row's base weight (``balance_by``)."""

    def __init__(
        self,
        keys: Sequence[str],
        mini_repeat_count: int,
        *,
        ema: float = 0.5,
        prior: float = 0.5,
        min_weight: float = 0.02,
        **layout: Any,
    ):
        super().__init__(keys, mini_repeat_count, **layout)
        self.ema, self.prior, self.min_weight = ema, prior, min_weight
        self.rates: dict[str, float] = {}

    def weight(self, rate: float) -> float:
        return rate * (1.0 - rate) + self.min_weight

    def weights(self) -> torch.Tensor:
        """One weight per dataset row (rows of one task share its pass rate)."""
        rates = [self.weight(self.rates.get(k, self.prior)) for k in self.keys]
        return torch.tensor(rates, dtype=torch.float64) * self.base

    def update(self, keys: Sequence[str], pass_rates: Sequence[float]) -> None:
        """Fold each scored group's pass rate into its task's running rate (NaN: nothing learnt)."""
        for key, rate in zip(keys, pass_rates):
            if rate != rate:  # NaN
                continue
            old = self.rates.get(key)
            self.rates[key] = float(rate) if old is None else (1 - self.ema) * old + self.ema * float(rate)


# --------------------------------------------------------------------------------------------
# The trainer


class GroupSamplingGRPOTrainer(GRPOTrainer):
    """``GRPOTrainer`` plus ``group_sampling`` (:class:`GroupSamplingOptions`) and ``replay``
    (:class:`~xcoder.train.replay.ReplayOptions`); with all of them off it is TRL's trainer unchanged."""

    def __init__(
        self,
        *args: Any,
        group_sampling: GroupSamplingOptions | None = None,
        replay: ReplayOptions | None = None,
        **kwargs: Any,
    ):
        self.group_sampling = group_sampling if group_sampling is not None else GroupSamplingOptions()
        self.group_sampling.check_group_sampling()
        self._sampler: WeightedRepeatSampler | None = None  # curriculum or balance_by: our own prompt draws
        self._curriculum: OnlineCurriculumSampler | None = None
        self._last_rewards: torch.Tensor | None = None
        self.replay = replay if replay is not None else ReplayOptions()
        self.replay.check_replay()
        super().__init__(*args, **kwargs)
        self._full_marks = full_marks(self.reward_funcs)  # what counts as a pass in the group statistics
        self._replay: ReplayBatches | None = None
        if self.replay.replay_dataset is not None:
            self._replay = self._replay_batches()
        opts, args_ = self.group_sampling, self.args
        if not (opts.group_sampling_enabled or opts.custom_sampler):
            return
        from datasets import IterableDataset

        if isinstance(self.train_dataset, IterableDataset):
            raise ValueError(
                "dynamic_sampling, curriculum: online and balance_by need a map-style dataset (no streaming)"
            )
        local_rows = args_.per_device_train_batch_size * args_.steps_per_generation
        if opts.dynamic_sampling and self.accelerator.num_processes > 1 and local_rows % self.num_generations:
            raise ValueError(
                f"dynamic_sampling with {self.accelerator.num_processes} processes needs whole groups on each: "
                f"per_device_train_batch_size x steps_per_generation ({local_rows}) must be a multiple of "
                f"num_generations ({self.num_generations})"
            )
        seed = args_.seed + 1 + self.accelerator.process_index  # refill draws differ between processes
        self._refill_generator = torch.Generator().manual_seed(seed)

    def _replay_batches(self) -> ReplayBatches:
        """The replay rows, tokenized with the policy's chat template; each process draws its own batches."""
        source = self.replay.replay_dataset
        assert source is not None
        tokenizer = getattr(self.processing_class, "tokenizer", self.processing_class)
        rows = tokenize_rows(load_replay_rows(source), tokenizer, self.replay.replay_max_length, source)
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        logger.info(
            "replay: %d rows of %s, %d per step, coef %s",
            len(rows),
            source,
            self.replay.replay_batch_size,
            self.replay.replay_coef,
        )
        seed = self.args.seed + 7919 * (1 + self.accelerator.process_index)
        return ReplayBatches(rows, self.replay.replay_batch_size, pad, seed)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        """TRL's GRPO loss, plus ``replay_coef`` x the replay batch's NLL while training (scaled for
        gradient accumulation like TRL's own terms)."""
        loss = super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        if self._replay is None or not self.model.training:
            return loss
        nll = answer_nll(model, self._replay.batch(loss.device))
        loss = loss + self.replay.replay_coef * nll / self.current_gradient_accumulation_steps
        self._metrics["train"]["replay/nll"].append(self.accelerator.gather(nll.detach()).mean().item())
        return loss

    def train(self, resume_from_checkpoint=None, *args: Any, **kwargs: Any):
        """TRL's ``train``; a run that does not resume starts ``groups.jsonl`` afresh (``group_log``)."""
        if self.group_sampling.group_log and not resume_from_checkpoint and self.accelerator.is_main_process:
            path = os.path.join(self.args.output_dir, GROUPS_FILE)
            if os.path.exists(path):
                os.remove(path)
        return super().train(resume_from_checkpoint, *args, **kwargs)

    # -- sampler -----------------------------------------------------------------------------

    def _get_train_sampler(self, dataset=None):
        opts = self.group_sampling
        if not opts.custom_sampler:
            return super()._get_train_sampler(dataset)
        if self._sampler is None:
            data = dataset if dataset is not None else self.train_dataset
            layout = {
                "mini_repeat_count": self.num_generations,
                "batch_size": self.args.generation_batch_size // self.num_generations,
                "repeat_count": self.num_iterations * self.args.steps_per_generation,
                "seed": self.args.seed,
                "base_weights": balance_column(data, opts.balance_by) if opts.balance_by else None,
            }
            if opts.curriculum == "online":
                self._sampler = self._curriculum = OnlineCurriculumSampler(
                    dataset_keys(data),
                    ema=opts.curriculum_ema,
                    prior=opts.curriculum_prior,
                    min_weight=opts.curriculum_min_weight,
                    **layout,
                )
            else:
                self._sampler = WeightedRepeatSampler(dataset_keys(data), **layout)
        return self._sampler

    # -- rewards -----------------------------------------------------------------------------

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        rewards = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        self._last_rewards = rewards  # every process's rows, gathered (TRL normalises per group from it)
        return rewards

    def _score_groups(self, inputs: list[dict[str, Any]]) -> GroupStats:
        """Group statistics of the batch just scored; feeds the curriculum."""
        from accelerate.utils import gather_object

        assert self._last_rewards is not None
        stats = group_stats(
            self._last_rewards,
            self.reward_weights,
            self.num_generations,
            self.group_sampling.pass_reward_threshold,
            self._full_marks,
        )
        if self._curriculum is not None or self.group_sampling.group_log:
            keys = gather_object([task_key(row) for row in inputs])[:: self.num_generations]
            if self._curriculum is not None:
                self._curriculum.update(keys, stats.pass_rate.tolist())
            if self.group_sampling.group_log and self.accelerator.is_main_process:
                self._write_groups(keys, stats)
        return stats

    def _write_groups(self, keys: list[str], stats: GroupStats) -> None:
        """Append the scored groups to ``output_dir/groups.jsonl`` (``group_log``); ``step`` is the
        optimizer step these completions train (the log history's numbering)."""
        step = self.state.global_step + 1
        assert stats.mean_reward is not None
        lines = [
            json.dumps(
                {
                    "step": step,
                    "task": key,
                    "pass_rate": None if math.isnan(rate) else rate,
                    "mean_reward": None if math.isnan(mean) else mean,
                    "mixed": bool(mixed),
                }
            )
            for key, rate, mean, mixed in zip(
                keys, stats.pass_rate.tolist(), stats.mean_reward.tolist(), stats.mixed.tolist()
            )
        ]
        os.makedirs(self.args.output_dir, exist_ok=True)
        with open(os.path.join(self.args.output_dir, GROUPS_FILE), "a", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in lines))

    # -- generation --------------------------------------------------------------------------

    def _generate_and_score_completions(self, inputs):
        opts = self.group_sampling
        if not self.model.training or not (opts.group_sampling_enabled or opts.group_log):
            return super()._generate_and_score_completions(inputs)
        output = super()._generate_and_score_completions(inputs)
        stats = self._score_groups(inputs)
        rounds = [(output, stats)]
        if self.group_sampling.dynamic_sampling:
            output, padded = self._refill(inputs, rounds)
        else:
            padded = 0
        self._log_groups(rounds, padded)
        return output

    def _local_groups(self, inputs: list[dict[str, Any]]) -> slice:
        n = len(inputs) // self.num_generations
        return slice(self.accelerator.process_index * n, (self.accelerator.process_index + 1) * n)

    def _refill(self, inputs: list[dict[str, Any]], rounds: list[tuple[dict, GroupStats]]) -> tuple[dict, int]:
        """Generate fresh groups until this batch's zero-std groups are replaced (on every process)
        or the budget is spent; returns the merged batch and how many zero-std groups padded it."""
        g = self.num_generations
        local = self._local_groups(inputs)
        wanted = local.stop - local.start
        mixed: list[tuple[int, int]] = []  # (round, local group)
        flat: list[tuple[int, int]] = []

        def sort(r: int) -> None:
            is_mixed = rounds[r][1].mixed[local].tolist()
            for i, m in enumerate(is_mixed):
                (mixed if m else flat).append((r, i))

        sort(0)
        while True:
            short = torch.tensor([max(0, wanted - len(mixed))], device=self.accelerator.device)
            spent = len(rounds) - 1 >= self.group_sampling.dynamic_sampling_max_rounds
            if spent or self.accelerator.gather(short).max().item() == 0:
                break
            fresh = self._fresh_rows(wanted)
            out = GRPOTrainer._generate_and_score_completions(self, fresh)
            rounds.append((out, self._score_groups(fresh)))
            sort(len(rounds) - 1)
        chosen = sorted(mixed[:wanted] + flat[: max(0, wanted - len(mixed))])
        padded = max(0, wanted - len(mixed))
        if len(rounds) == 1:
            return rounds[0][0], padded
        rows = [[i * g + j for j in range(g)] for _, i in chosen]  # local row indices per group
        pieces = [(rounds[r][0], idx) for (r, _), idx in zip(chosen, rows)]
        return self._merge(pieces), padded

    def _fresh_rows(self, groups: int) -> list[dict[str, Any]]:
        """``groups`` prompts not from the sampler's stream (the curriculum's or balance weights when on),
        each repeated ``num_generations`` times, as TRL's data loader hands them over."""
        n = len(self.train_dataset)
        if self._sampler is not None:
            indices = self._sampler.draw(groups, self._refill_generator)
        elif groups <= n:
            indices = torch.randperm(n, generator=self._refill_generator)[:groups].tolist()
        else:
            indices = torch.randint(n, (groups,), generator=self._refill_generator).tolist()
        return [dict(self.train_dataset[i]) for i in indices for _ in range(self.num_generations)]

    def _merge(self, pieces: list[tuple[dict[str, Any], list[int]]]) -> dict[str, Any]:
        """The chosen rows of several generation batches as one batch, re-padded."""
        from trl.trainer.utils import pad

        keys = list(pieces[0][0])
        merged: dict[str, Any] = {}
        for key in keys:
            if key == "num_items_in_batch":
                continue
            values = [out[key] for out, _ in pieces]
            if not all(isinstance(v, torch.Tensor) for v in values):
                raise ValueError(
                    f"dynamic_sampling cannot merge the generation batch field {key!r} "
                    "(multimodal inputs are not supported)"
                )
            parts = [v[idx] for v, (_, idx) in zip(values, pieces)]
            if key in PER_ROW or parts[0].ndim == 1:
                merged[key] = torch.cat(parts)
            elif key in LEFT_PADDED or key in RIGHT_PADDED:
                value = self._tokenizer.pad_token_id if key in ("prompt_ids", "completion_ids") else 0
                value = 1 if key == "tool_mask" else value
                rows = [row for part in parts for row in part]
                merged[key] = pad(rows, padding_value=value, padding_side="left" if key in LEFT_PADDED else "right")
            else:
                raise ValueError(f"dynamic_sampling cannot merge the generation batch field {key!r}")
        if "num_items_in_batch" in pieces[0][0]:
            mask = merged["completion_mask"]
            if "tool_mask" in merged:
                mask = mask * merged["tool_mask"]
            merged["num_items_in_batch"] = self.accelerator.gather(mask.sum()).sum()
        return merged

    # -- logging -----------------------------------------------------------------------------

    def _log_groups(self, rounds: list[tuple[dict, GroupStats]], padded: int) -> None:
        metrics = self._metrics["train"]
        for name in ("all_pass", "all_fail", "mixed"):
            metrics[f"groups/{name}"].append(float(sum(getattr(s, name).sum().item() for _, s in rounds)))
        if self.group_sampling.dynamic_sampling:
            total = self.accelerator.gather(torch.tensor([padded], device=self.accelerator.device)).sum().item()
            metrics["dynamic_sampling/rounds"].append(float(len(rounds) - 1))
            metrics["dynamic_sampling/padded_groups"].append(float(total))
        if self._curriculum is not None:
            rates = list(self._curriculum.rates.values())
            metrics["curriculum/seen_tasks"].append(float(len(rates)))
            metrics["curriculum/mean_pass_rate"].append(sum(rates) / len(rates) if rates else float("nan"))


__all__ = [
    "GROUPS_FILE",
    "GroupSamplingGRPOTrainer",
    "GroupStats",
    "OnlineCurriculumSampler",
    "WeightedRepeatSampler",
    "balance_weights",
    "full_marks",
    "group_stats",
    "task_key",
]
