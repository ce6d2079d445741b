"""Stage ``data``: procedural training tasks written as SynthSmith records (``data_gen.procedural``)
and a held-out split of unseen instances, phrasings and framings as LiveCodeBench rows."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from pipeline.config import PipelineConfig
from xcoder.io import atomic_write_jsonl, atomic_write_text


def make_judge(cfg: PipelineConfig):
    """The judge every stage of the pipeline uses (its ``judge`` section)."""
    from xcoder.judge import Judge

    return Judge(cfg.judge)


def stage_data(cfg: PipelineConfig, console: Console) -> dict[str, Any]:
    from data_gen.procedural import holdout_problems, instance_records, sample_instances
    from data_gen.storage import write_records
    from xcoder.problem import problem_to_lcb_row

    pc = cfg.procedural
    with console.status("sampling procedural tasks"):
        train = sample_instances(pc, "train")
        holdout = sample_instances(pc, "holdout")
    tasks, solutions, tests = [], [], []
    for inst in train:
        task, sols, tin = instance_records(inst, pc)
        tasks.append(task)
        solutions.extend(sols)
        tests.append(tin)
    synth = cfg.out / "synth"
    # A changed config must not leave records of an earlier run behind in the stage directories.
    for stage, records in (("tasks", tasks), ("solutions", solutions), ("tests", tests)):
        write_records(synth, stage, records, writer="procedural")
    with make_judge(cfg) as judge:
        problems = holdout_problems(holdout, judge, progress=True)
    atomic_write_jsonl(cfg.out / "data" / "holdout.jsonl", [problem_to_lcb_row(p) for p in problems])
    roles: dict[str, int] = {}
    for s in solutions:
        roles[s.provenance.extra["role"]] = roles.get(s.provenance.extra["role"], 0) + 1
    corpus = [f"{t.question}\n{s.code}" for t, s in zip(tasks, (s for s in solutions if s.index == 0))]
    atomic_write_text(
        cfg.out / "data" / "tokenizer_corpus.txt", "\n========\n".join(corpus[: cfg.data.tokenizer_corpus_tasks])
    )
    return {
        "train_tasks": len(tasks),
        "candidates": roles,
        "holdout_problems": len(problems),
        "families": len({i.family.name for i in train}),
        "test_inputs": sum(len(t.inputs) for t in tests),
    }
