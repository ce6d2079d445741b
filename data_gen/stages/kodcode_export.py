"""KodCode mode, stage 5, ``kodcode_export``: the datasets, in KodCode-V1's columns and as xcoder rows.

``output_dir/kodcode_export/`` receives (``.jsonl`` and/or ``.parquet``, ``kodcode.export.formats``):

* ``kodcode_v1`` -- every triplet (both styles) in KodCode-V1's columns (``style``, ``subset``,
  ``question_id``, ``question``, ``solution``, ``test``, ``test_info``, ``gpt_pass_sequence``,
  ``gpt_pass_trial_num``, ``gpt_difficulty``, ``gpt_pass_percentage``, ``trials``, ``chosen_trial``,
  ``metadata``, ``version``): the self-verification statistics go in the ``gpt_*`` columns
  whatever model made them (the generator model is in the card). ``xcoder judge``, eval, the SFT
  and GRPO loaders read these rows like the published ones;
* ``kodcode_v1_sft`` -- with reject sampling, the triplets with a passing answer plus KodCode-V1-SFT-R1's
  columns (``r1_pass_sequence``, ``r1_pass_trial_num``, ``r1_correctness``, ``r1_solution``,
  ``conversations``);
* ``sft`` -- xcoder SFT rows (``id``, ``messages``, ``style``, ``difficulty``, ``source``): the
  KodCode prompt then a passing answer (``sft_response: reasoning``; reasoning returned separately
  by the server is put back as ``<think>...</think>`` unless ``keep_think: false``) or the verified
  solution (``sft_response: solution``);
* ``rl`` -- xcoder RL rows (``prompt``, ``test_file``, empty ``input_output``, ``question_id``, ...)
  whose execution rewards run the pytest file;
* ``README.md`` -- a dataset card with counts per stage, drop reasons, styles and difficulty, whose
  YAML header lets ``datasets.load_dataset(dir, "sft" | "rl" | "kodcode_v1")`` find the files.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

from data_gen.config import KODCODE_STAGES
from data_gen.kodcode_records import KodSamples, KodTriplet
from data_gen.stage import Drop, ItemResult, Stage, WorkItem
from data_gen.stages.export import write_parquet
from data_gen.stages.kodcode_reject_sampling import triplet_messages
from data_gen.storage import StageSummary, stage_summary
from xcoder.config import config_to_dict
from xcoder.hashing import digest
from xcoder.io import atomic_write_jsonl, atomic_write_text
from xcoder.kodcode import strip_think


def answer_text(response: Any, keep_think: bool) -> str:
    text = response.response.strip()
    if keep_think and response.reasoning and "<think>" not in text:
        return f"<think>\n{response.reasoning.strip()}\n</think>\n\n{text}"
    if not keep_think:
        text = (strip_think(text) or "").strip()
    return text


def sft_rows(triplet: KodTriplet, samples: KodSamples | None, config: Any) -> list[dict[str, Any]]:
    cfg = config.kodcode.export
    prompt = triplet_messages(triplet, config)
    if cfg.sft_response == "solution":
        answers = [f"```python\n{triplet.solution.strip()}\n```"]
    else:
        passing = samples.passing[: config.kodcode.reject_sampling.keep] if samples else []
        answers = [answer_text(r, cfg.keep_think) for r in passing]
    return [
        {
            "id": triplet.id if i == 0 else f"{triplet.id}#{i}",
            "messages": prompt + [{"role": "assistant", "content": answer}],
            "style": triplet.style,
            "difficulty": triplet.difficulty,
            "source": f"kodcode:{triplet.subset}",
        }
        for i, answer in enumerate(answers)
        if answer
    ]


def rl_row(triplet: KodTriplet, config: Any) -> dict[str, Any]:
    return {
        "id": triplet.id,
        "question_id": triplet.id,
        "prompt": triplet_messages(triplet, config),
        "input_output": "",
        "test_file": triplet.test,
        "question_content": triplet.question,
        "style": triplet.style,
        "subset": triplet.subset,
        "difficulty": triplet.difficulty,
        "pass_rate": round(sum(triplet.pass_sequence) / len(triplet.pass_sequence), 4),
        "num_tests": max(a.tests_total for a in triplet.attempts if a.index == triplet.chosen_attempt),
        "source": f"kodcode:{triplet.subset}",
    }


def sft_release_row(triplet: KodTriplet, samples: KodSamples, version: str) -> dict[str, Any]:
    """A KodCode-V1-SFT-R1 row: the KodCode-V1 columns (less trials) plus the reject-sampling ones."""
    row = triplet.to_kodcode_row(version)
    row.pop("trials")
    row.pop("chosen_trial")
    best = samples.passing[0]
    row.update(
        r1_pass_sequence=list(samples.pass_sequence),
        r1_pass_trial_num=sum(samples.pass_sequence),
        r1_correctness="True",
        r1_solution=best.code,
        conversations=[
            {"from": "human", "value": triplet.question},
            {"from": "gpt", "value": answer_text(best, True)},
        ],
    )
    return row


def dataset_card(
    name: str,
    summaries: list[StageSummary],
    triplets: list[KodTriplet],
    counts: dict[str, int],
    formats: list[str],
    config: Any,
) -> str:
    ext = "parquet" if "parquet" in formats else "jsonl"
    styles = Counter(t.style for t in triplets)
    labels = Counter(t.difficulty for t in triplets)
    lines = ["---", "configs:"]
    for stem in ("kodcode_v1", "kodcode_v1_sft", "sft", "rl"):
        if counts.get(stem):
            lines += [f"- config_name: {stem}", f"  data_files: {stem}.{ext}"]
    lines += [
        "tags:",
        "- code",
        "- synthetic",
        "- unit-tests",
        "---",
        "",
        f"# {name}",
        "",
        "Function-level Python questions with verified solutions and pytest files, made by xcoder's KodCode "
        "mode (questions from seeds → self-verification in the judge → rewriting into the other style → "
        "reject sampling for SFT).",
        "",
        f"- generator model: `{config.llm.model}`",
        "- rows: " + ", ".join(f"{stem} {n}" for stem, n in counts.items()),
        "",
        "## Counts per stage",
        "",
        "| stage | items | kept | dropped |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {s.stage} | {s.items} | {s.kept} | {sum(s.dropped.values())} |" for s in summaries]
    lines += ["", "## Drop reasons", "", "| stage | reason | count |", "|---|---|---:|"]
    for s in summaries:
        lines += [f"| {s.stage} | {r} | {n} |" for r, n in sorted(s.dropped.items(), key=lambda x: (-x[1], x[0]))]
    lines += ["", "## Styles and difficulty", "", "| style | triplets |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in styles.most_common()]
    lines += ["", "| difficulty (share of self-verification attempts passed) | triplets |", "|---|---:|"]
    lines += [f"| {k} | {labels[k]} |" for k in ("easy", "medium", "hard") if labels.get(k)]
    lines += ["", "## Configuration", "", "```json", json.dumps(config_to_dict(config.kodcode), indent=1), "```", ""]
    return "\n".join(lines)


class KodExportStage(Stage):
    name = "kodcode_export"
    inputs = ("kodcode_self_verify", "kodcode_rewrite", "kodcode_reject_sampling")
    single_item = True

    def items(self) -> Iterable[WorkItem]:
        self._triplets = self.ctx.read("kodcode_self_verify", KodTriplet) + self.ctx.read(
            "kodcode_rewrite", KodTriplet
        )
        self._samples = {s.question_id: s for s in self.ctx.read("kodcode_reject_sampling", KodSamples)}
        options = digest(json.dumps(config_to_dict(self.config.kodcode), sort_keys=True), 12)
        content = digest(" ".join(t.id for t in self._triplets) + "|" + " ".join(sorted(self._samples)), 12)
        return [WorkItem(f"kodcode_export:{options}:{content}")]

    async def process(self, item: WorkItem) -> ItemResult:
        cfg = self.config.kodcode.export
        triplets = self._triplets
        if not triplets:
            raise Drop("no_triplets")
        out = self.ctx.output_dir / self.name
        out.mkdir(parents=True, exist_ok=True)
        files: dict[str, list[dict[str, Any]]] = {
            "kodcode_v1": [t.to_kodcode_row(cfg.version) for t in triplets],
            "kodcode_v1_sft": [
                sft_release_row(t, self._samples[t.id], cfg.version) for t in triplets if t.id in self._samples
            ],
            "sft": [row for t in triplets for row in sft_rows(t, self._samples.get(t.id), self.config)],
            "rl": [rl_row(t, self.config) for t in triplets],
        }
        for stem, rows in files.items():
            for fmt in ("jsonl", "parquet"):
                (out / f"{stem}.{fmt}").unlink(missing_ok=True)
            if not rows:
                continue
            if "jsonl" in cfg.formats:
                atomic_write_jsonl(out / f"{stem}.jsonl", rows)
            if "parquet" in cfg.formats:
                write_parquet(out / f"{stem}.parquet", rows)
        counts = {stem: len(rows) for stem, rows in files.items()}
        summaries = [stage_summary(self.ctx.output_dir, s) for s in KODCODE_STAGES if s != self.name]
        atomic_write_text(
            out / "README.md", dataset_card(cfg.name, summaries, triplets, counts, cfg.formats, self.config)
        )
        return ItemResult(kept=len(triplets))


STAGE = KodExportStage
