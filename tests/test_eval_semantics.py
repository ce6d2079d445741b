"""``xcoder eval --semantics xcoder|lcb``: one generation scored under both judge semantics, the
headline under the chosen one, the other beside it, and the samples whose verdict differs counted by
the LCB mechanism behind the difference. Programs are rows of the LCB-vs-real-run difference table
(research note on LCB's runner); the judge side of each difference is tested with the judge."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest

from eval.dataset import DatasetConfig
from eval.generate import GenerationConfig, SamplingConfig
from eval.runner import EvalConfig, run_eval
from xcoder.judge import JudgeConfig

if not any(f.name == "semantics" for f in fields(JudgeConfig)):
    pytest.skip("JudgeConfig.semantics (judgekinds branch) is not in this checkout yet", allow_module_level=True)

from xcoder.judge import lcb  # noqa: E402 - the semantics module of the judge

FIXTURE = Path(__file__).parent / "fixtures" / "lcb_mini"
SUM = "a, b = map(int, input().split())\nprint(a + b)\n"  # fx001: print A + B
PROGRAMS = {
    "right under both": SUM,
    "open(0): LCB's mocked stdin": "print(sum(map(int, open(0).read().split())))\n",
    "sys.stdin.buffer: LCB's mocked stdin": "import sys\nprint(sum(map(int, sys.stdin.buffer.read().split())))\n",
    "sys.exit(1) after the answer: exit codes": SUM + "import sys\nsys.exit(1)\n",
}


@pytest.mark.parametrize("chosen", ["xcoder", "lcb"])
def test_both_semantics_from_one_generation(tmp_path, chosen):
    samples = tmp_path / "s.jsonl"
    samples.write_text(json.dumps({"question_id": "fx001", "code_list": list(PROGRAMS.values())}) + "\n")
    cfg = EvalConfig(
        dataset=DatasetConfig(str(FIXTURE), question_ids=("fx001",)),
        output_dir=str(tmp_path / "out"),
        generation=GenerationConfig(backend="samples", samples_path=str(samples)),
        sampling=SamplingConfig(n=4),
        judge=JudgeConfig(timeout=5.0, workers=2, semantics=chosen),
    )
    res = run_eval(cfg)
    xcoder_avg, lcb_avg = 3 / 4, 2 / 4  # xcoder: the first three; lcb: the first and the last
    other = "lcb" if chosen == "xcoder" else "xcoder"
    assert res["overall"]["avg@4"] == pytest.approx(xcoder_avg if chosen == "xcoder" else lcb_avg)
    v = res["variants"][f"semantics_{other}"]
    assert v["label"] == f"{other} semantics"
    assert v["differing_samples"] == 3
    reasons = v["differing_by_reason"]
    assert reasons == {lcb.MOCKED_STDIN: 2, lcb.EXIT_CODES: 1}
    md = (tmp_path / "out" / "report.md").read_text()
    assert f"| {other} semantics |" in md and f"{lcb.MOCKED_STDIN}: 2 samples" in md
