"""The GRPO recipe: config parsing, RL data in every layout, curriculum, fail-early checks, and an
end-to-end run of the real ``accelerate launch recipes/grpo.py`` on the tiny model."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from xcoder.problem import parse_input_output
from xcoder.train.grpo import (
    GRPOScriptArguments,
    detect_rl_layout,
    load_rl_dataset,
    make_parser,
    prepare_model,
    reward_options,
    to_rl_row,
)

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted(ROOT.glob("recipes/**/grpo.yaml"))
LCB_FIXTURE = ROOT / "tests/fixtures/lcb_mini/test.jsonl"
TINY_DATA = ROOT / "recipes/tiny/data/grpo.jsonl"

USER = [{"role": "user", "content": "Add two numbers."}]
ADD_IO = {"inputs": ["1 2\n", "3 4\n"], "outputs": ["3", "7"]}


def parse(*argv):
    return make_parser().parse_args_and_config(list(argv), fail_with_unknown_args=True)


# -- configs -------------------------------------------------------------------------------------


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_grpo_configs_parse_with_no_stale_keys(config):
    script_args, training_args, model_args = parse("--config", str(config))
    assert script_args.reward_funcs
    assert training_args.num_generations >= 2
    from rewards import get_reward_funcs

    funcs = get_reward_funcs(script_args.reward_funcs, **reward_options(script_args, training_args))
    assert len(funcs) == len(script_args.reward_funcs)


def test_qwen_config_maps_xcoder_rl_settings():
    s, t, m = parse("--config", str(ROOT / "recipes/qwen2.5-coder-7b-instruct/grpo.yaml"))
    assert (t.num_generations, t.temperature, t.learning_rate, t.epsilon_high, t.beta) == (8, 1.0, 4e-7, 0.28, 0.0)
    assert t.mask_truncated_completions and t.use_vllm and t.max_completion_length > 16000
    assert s.reward_funcs == ["xcoder_graded"] and s.dataset_format == "xcoder"
    # 1 x 8 GPUs x 128 accumulation = 1024 completions per optimizer step; 4096 per generation.
    assert t.per_device_train_batch_size * 8 * t.gradient_accumulation_steps == 1024
    assert t.per_device_train_batch_size * 8 * t.steps_per_generation == 4096


def test_tiny_config_runs_on_cpu():
    s, t, m = parse("--config", str(ROOT / "recipes/tiny/grpo.yaml"))
    assert not t.use_vllm and not t.bf16
    assert not t.gradient_checkpointing  # TRL's default is on: pure recomputation for a tiny model on a CPU
    assert Path(ROOT / s.dataset_name).is_file()


def test_stale_key_fails(tmp_path):
    import yaml

    cfg = yaml.safe_load((ROOT / "recipes/tiny/grpo.yaml").read_text())
    cfg["max_prompt_length"] = 512  # removed from TRL's GRPOConfig: must not be silently ignored
    (tmp_path / "grpo.yaml").write_text(yaml.safe_dump(cfg))
    with pytest.raises(ValueError, match="max_prompt_length"):
        parse("--config", str(tmp_path / "grpo.yaml"))


def test_warmup_sft_config_parses_with_the_sft_parser():
    from xcoder.train.sft import parse_args as parse_sft

    script_args, training_args, _, _ = parse_sft(["--config", str(ROOT / "recipes/tiny/sft_warmup.yaml")])
    assert Path(ROOT / script_args.dataset_name).is_file()
    assert training_args.max_steps > 0 and not training_args.bf16


def test_reward_options_from_yaml_or_cli_and_overlong_limit():
    s, t, _ = parse(
        "--config",
        str(ROOT / "recipes/tiny/grpo.yaml"),
        "--reward_funcs",
        "pass_rate",
        "overlong",
        "--reward_options",
        '{"timeout": 3}',
        "--max_completion_length",
        "50",
    )
    options = reward_options(s, t)
    assert options == {"timeout": 3, "overlong": {"max_completion_length": 50}}


# -- rows ---------------------------------------------------------------------------------------------


def test_layout_detection():
    assert detect_rl_layout(["prompt", "input_output", "question_id"], "x") == "rl"
    assert detect_rl_layout(["prompt", "input_output", "prompter_type", "id"], "x") == "xcoder"
    assert detect_rl_layout(["question_id", "public_test_cases", "private_test_cases"], "x") == "lcb"
    assert detect_rl_layout(["question_id", "question", "input_output"], "x") == "problems"
    with pytest.raises(ValueError, match="cannot tell"):
        detect_rl_layout(["messages"], "data.jsonl")


def test_rl_row_keeps_metadata_and_normalises_functional_tests():
    row = {
        "question_id": "q1",
        "prompt": USER,
        "difficulty": "easy",
        "solution": "x",
        "input_output": json.dumps({"inputs": [[1, 2], [3, 4]], "outputs": [3, 7], "fn_name": "add"}),
    }
    out = to_rl_row(row, "rl", "rows.jsonl row 0")
    assert out["difficulty"] == "easy" and out["solution"] == "x" and out["question_id"] == "q1"
    tests, fn_name = parse_input_output(out["input_output"])
    assert fn_name == "add" and tests[0].input == "1\n2" and tests[1].output == "7"


def test_xcoder_rows_convert():
    synthetic = {
        "id": "syn-1",
        "prompt": USER,
        "prompter_type": "codeforces",
        "type": "stdin_stdout",
        "input_output": json.dumps(json.dumps(ADD_IO)),
        "selected_uts": None,
        "data_source": "xcoder",
    }
    lcb = {
        "id": "lcb-1",
        "prompt": USER,
        "prompter_type": "livecodebench",
        "type": None,
        "input_output": None,
        "selected_uts": json.dumps(
            {"input_output": json.dumps({"inputs": [[1, 2]], "outputs": [3], "fn_name": "add"})}
        ),
    }
    a = to_rl_row(synthetic, "xcoder", "part.parquet row 0")
    b = to_rl_row(lcb, "xcoder", "part.parquet row 1")
    assert a["question_id"] == "syn-1" and a["data_source"] == "xcoder" and "selected_uts" not in a
    assert json.loads(a["input_output"]) == ADD_IO
    assert json.loads(b["input_output"]) == {"inputs": ["1\n2"], "outputs": ["3"], "fn_name": "add"}


def test_bad_rows_name_the_row():
    with pytest.raises(ValueError, match=r"rows.jsonl row 3 \(question_id=q\): 'input_output' has 1 inputs but 2"):
        to_rl_row(
            {"question_id": "q", "prompt": USER, "input_output": json.dumps({"inputs": ["1"], "outputs": ["1", "2"]})},
            "rl",
            "rows.jsonl row 3",
        )
    with pytest.raises(ValueError, match="last message is a assistant turn"):
        to_rl_row(
            {
                "question_id": "q",
                "prompt": USER + [{"role": "assistant", "content": "x"}],
                "input_output": json.dumps(ADD_IO),
            },
            "rl",
            "r",
        )
    with pytest.raises(ValueError, match="LeetCode assert-style"):
        to_rl_row(
            {
                "id": "lc",
                "prompt": USER,
                "prompter_type": "leetcode",
                "selected_uts": None,
                "input_output": json.dumps({"test_cases": ["assert Solution().f(1) == 2"]}),
            },
            "xcoder",
            "r",
        )
    with pytest.raises(ValueError, match="no 'question_id'"):
        to_rl_row({"prompt": USER, "input_output": json.dumps(ADD_IO)}, "rl", "r")


def test_load_xcoder_parquet_files_in_order_with_skipped_rows(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    def part(name, ids, leetcode=False):
        rows = [
            {
                "id": i,
                "prompt": USER,
                "prompter_type": "codeforces",
                "selected_uts": None,
                "input_output": json.dumps(ADD_IO),
            }
            for i in ids
        ]
        if leetcode:
            rows.append(
                {
                    "id": "lc",
                    "prompt": USER,
                    "prompter_type": "leetcode",
                    "selected_uts": None,
                    "input_output": json.dumps({"test_cases": ["assert f(1) == 2"]}),
                }
            )
        pq.write_table(pa.Table.from_pylist(rows), tmp_path / name)
        return str(tmp_path / name)

    files = [part("easy.parquet", ["e1", "e2"]), part("part_0000.parquet", ["h1"], leetcode=True)]
    args = GRPOScriptArguments(dataset_files=files, skip_invalid_rows=True)
    ds = load_rl_dataset(args)["train"]
    assert ds["question_id"] == ["e1", "e2", "h1"]
    with pytest.raises(ValueError, match="part_0000.parquet row 1 .*LeetCode"):
        load_rl_dataset(GRPOScriptArguments(dataset_files=files))


def test_load_lcb_problems_builds_the_eval_prompt():
    from xcoder.problem import load_problems
    from xcoder.prompts import build_messages

    ds = load_rl_dataset(GRPOScriptArguments(dataset_name=str(LCB_FIXTURE)))["train"]
    problems, errors = load_problems(LCB_FIXTURE)
    assert not errors and len(ds) == len(problems)
    for row in ds:
        problem = problems[row["question_id"]]
        assert row["prompt"] == build_messages(problem)
        tests, fn_name = parse_input_output(row["input_output"])
        assert tests == problem.tests and fn_name == problem.fn_name


def test_tiny_data_and_curriculum(tmp_path):
    rows = [json.loads(line) for line in TINY_DATA.read_text().splitlines()]
    for i, row in enumerate(rows):
        row["pass_rate"] = (i % 7) / 7
    path = tmp_path / "rl.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))

    _, training_args, _ = parse("--config", str(ROOT / "recipes/tiny/grpo.yaml"))
    assert training_args.shuffle_dataset
    ds = load_rl_dataset(
        GRPOScriptArguments(dataset_name=str(path), curriculum_column="pass_rate", max_train_samples=20), training_args
    )["train"]
    assert len(ds) == 20 and ds["pass_rate"] == sorted(ds["pass_rate"], reverse=True)
    assert training_args.shuffle_dataset is False
    with pytest.raises(ValueError, match="curriculum_column 'solve_rate' is not a column"):
        load_rl_dataset(GRPOScriptArguments(dataset_name=str(path), curriculum_column="solve_rate"))


def test_max_prompt_tokens_drops_long_prompts(tmp_path):
    from xcoder.tiny_model import build_tiny_model

    model = tmp_path / "model"
    build_tiny_model(model)
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model)
    short = {"question_id": "s", "prompt": USER, "input_output": json.dumps(ADD_IO)}
    long = {
        "question_id": "l",
        "prompt": [{"role": "user", "content": "add " * 300}],
        "input_output": json.dumps(ADD_IO),
    }
    path = tmp_path / "rl.jsonl"
    path.write_text(json.dumps(short) + "\n" + json.dumps(long) + "\n")
    ds = load_rl_dataset(GRPOScriptArguments(dataset_name=str(path), max_prompt_tokens=100), tokenizer=tokenizer)
    assert ds["train"]["question_id"] == ["s"]


def test_missing_tiny_model_says_how_to_make_it(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    s, t, m = parse("--config", str(ROOT / "recipes/tiny/grpo.yaml"), "--model_name_or_path", "runs/tiny/no-such-sft")
    with pytest.raises(FileNotFoundError, match="recipes/tiny/sft_warmup.yaml"):
        prepare_model(s, t, m)


def test_vllm_on_cpu_fails_early():
    from xcoder.train.grpo import check_options

    s, t, _ = parse("--config", str(ROOT / "recipes/tiny/grpo.yaml"), "--use_vllm", "true")
    with pytest.raises((ValueError, ImportError), match="vLLM|vllm"):
        check_options(s, t)
    s, t, _ = parse("--config", str(ROOT / "recipes/tiny/grpo.yaml"), "--reward_weights", "1.0", "0.5")
    with pytest.raises(ValueError, match="reward_weights has 2 values for 1"):
        check_options(s, t)


# -- end to end ---------------------------------------------------------------------------------------


def _launch(script: str, config: str, *overrides: str, timeout: int) -> subprocess.CompletedProcess:
    cmd = [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--num_processes",
        "1",
        "--cpu",
        script,
        "--config",
        config,
        *overrides,
    ]
    # One torch thread: on a shared 2-core machine, torch's spinning OpenMP threads fight the judge
    # and other jobs for the cores; one thread made the warm-up 5x faster there (accelerate reads
    # OMP_NUM_THREADS instead of picking one thread per core).
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return proc


def _logged_steps(text: str) -> list[dict]:
    """The trainer's per-step log lines ({'loss': ..., ...}) parsed into dicts of floats."""
    steps = []
    for line in text.replace("\r", "\n").splitlines():
        start = line.find("{'loss'")
        if start < 0:
            continue
        record = ast.literal_eval(line[start : line.index("}", start) + 1])
        steps.append({k: float(v) for k, v in record.items()})
    return steps


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_tiny_grpo_end_to_end(tmp_path):
    """The documented CPU flow with the real recipes: the SFT warm-up (so the policy solves the
    problems *sometimes*), then GRPO: execution rewards are logged every step, differ within a
    group at some step, and a model is saved."""
    sft_dir, grpo_dir = tmp_path / "sft-warmup", tmp_path / "grpo"
    _launch(
        "recipes/sft.py",
        "recipes/tiny/sft_warmup.yaml",
        "--model_name_or_path",
        str(tmp_path / "base"),
        "--output_dir",
        str(sft_dir),
        timeout=600,
    )
    proc = _launch(
        "recipes/grpo.py",
        "recipes/tiny/grpo.yaml",
        "--model_name_or_path",
        str(sft_dir),
        "--output_dir",
        str(grpo_dir),
        timeout=600,
    )
    steps = _logged_steps(proc.stdout + proc.stderr)
    assert len(steps) == 8, proc.stdout[-2000:]
    for step in steps:  # the execution reward and its outcome counts are logged every step
        assert 0.0 <= step["rewards/pass_rate/mean"] <= 1.0
        assert {"rewards/pass_rate/no_code", "rewards/pass_rate/syntax_error", "rewards/pass_rate/timeout"} <= set(
            step
        )
    # Some group of 4 completions of one prompt got different rewards: GRPO had a signal.
    assert any(s["reward_std"] > 0 and s["frac_reward_zero_std"] < 1 for s in steps), steps
    assert (grpo_dir / "config.json").is_file() and any(grpo_dir.glob("*.safetensors"))
