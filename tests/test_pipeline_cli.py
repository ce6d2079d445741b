"""``xcoder pipeline`` / ``xcoder ablations`` conventions: ``--config/-c``, ``--stages a,b``, and user
errors as one ``error:`` line naming the file or key, exit 2, no traceback. All cheap: nothing here
runs a stage that needs a model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline.cli import split_list
from pipeline.config import load_pipeline_config
from pipeline.locate import INSTALL_ROOT, locate
from xcoder.config import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def xcoder(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "xcoder.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def assert_user_error(res: subprocess.CompletedProcess, *needles: str) -> None:
    assert res.returncode == 2, res.stderr[-2000:]
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    assert "Traceback" not in res.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def test_split_list():
    assert split_list("data, model,,verify") == ["data", "model", "verify"]
    assert split_list(["data,model", "eval"]) == ["data", "model", "eval"]
    assert split_list(None) == [] and split_list("") == []


@pytest.mark.parametrize("command", ["pipeline", "ablations"])
def test_missing_config_file_is_a_user_error(tmp_path, command):
    missing = tmp_path / "nope.yaml"
    assert_user_error(xcoder(command, "-c", str(missing)), str(missing), "does not exist")


def test_bad_key_names_file_and_key(tmp_path):
    config = tmp_path / "p.yaml"
    config.write_text(yaml.safe_dump({"judge": {"memory_mbb": 1}}))
    assert_user_error(xcoder("pipeline", "--config", str(config)), str(config), "judge", "memory_mbb")
    config.write_text(yaml.safe_dump({"eval": {"n": "eight"}}))
    assert_user_error(xcoder("pipeline", "-c", str(config)), str(config), "eval.n")
    config.write_text(yaml.safe_dump({"sft": {"config": "no/such/sft.yaml"}}))
    assert_user_error(xcoder("pipeline", "-c", str(config)), str(config), "sft.config", "no/such/sft.yaml")


def test_unknown_stage_is_a_user_error(tmp_path):
    config = tmp_path / "p.yaml"
    config.write_text(yaml.safe_dump({"output_dir": str(tmp_path / "out")}))
    assert_user_error(xcoder("pipeline", "-c", str(config), "--stages", "data,modle"), "modle", "--stages")
    assert_user_error(xcoder("pipeline", "-c", str(config), "--force", "evl"), "evl", "--force")
    assert not (tmp_path / "out").exists()  # nothing ran


def test_stage_whose_inputs_are_missing_is_a_user_error(tmp_path):
    config = tmp_path / "p.yaml"
    config.write_text(yaml.safe_dump({"output_dir": str(tmp_path / "out")}))
    assert_user_error(
        xcoder("pipeline", "-c", str(config), "--stages", "verify,sft"),
        "cannot run stage 'verify'",
        "stage 'data' has not finished",
        str(tmp_path / "out"),
    )


def test_unknown_experiment_is_a_user_error(tmp_path):
    config = tmp_path / "a.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "base": str(ROOT / "recipes" / "tiny" / "pipeline.yaml"),
                "output_dir": str(tmp_path / "abl"),
                "experiments": {"e": {"variants": {"a": {}, "b": {}}}},
            }
        )
    )
    assert_user_error(xcoder("ablations", "-c", str(config), "--experiments", "e,f"), "unknown experiment", "f")
    config.write_text(yaml.safe_dump({"base": "missing/pipeline.yaml"}))
    assert_user_error(xcoder("ablations", "-c", str(config)), "base: missing/pipeline.yaml", "not found")


def test_stages_runs_only_the_listed_prefix(tmp_path):
    """``--stages data`` runs the data stage only, from any working directory."""
    out = tmp_path / "out"
    config = tmp_path / "p.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "output_dir": str(out),
                "judge": {"workers": 1},
                "procedural": {"families": ["sum_mod", "gcd_all"], "train_tasks": 4, "holdout_tasks": 2},
            }
        )
    )
    res = xcoder("pipeline", "-c", str(config), "--stages", "data", cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    state = json.loads((out / "pipeline_state.json").read_text())["stages"]
    assert set(state) == {"data"} and state["data"]["finished"]
    assert (out / "data" / "holdout.jsonl").is_file() and (out / "data" / "tokenizer_corpus.txt").is_file()


def test_recipe_files_are_found_beside_the_config_in_the_cwd_or_installed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # The bundled names resolve from anywhere (the installed recipes/, here the checkout).
    assert locate("recipes/tiny/sft.yaml") == INSTALL_ROOT / "recipes" / "tiny" / "sft.yaml"
    # A file beside the config wins, then one in the cwd.
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "recipes" / "tiny").mkdir(parents=True)
    mine = tmp_path / "conf" / "recipes" / "tiny" / "sft.yaml"
    mine.write_text("learning_rate: 1.0\n")
    assert locate("recipes/tiny/sft.yaml", tmp_path / "conf") == mine
    (tmp_path / "grpo_here.yaml").write_text("x: 1\n")
    assert locate("grpo_here.yaml", tmp_path / "conf") == tmp_path / "grpo_here.yaml"
    with pytest.raises(ConfigError, match="grpo.config: nope.yaml: file not found"):
        locate("nope.yaml", tmp_path / "conf", "grpo.config: nope.yaml")
    # The demo config keeps naming its recipes by their checkout paths; they resolve from elsewhere too.
    cfg = load_pipeline_config(ROOT / "recipes" / "tiny" / "pipeline.yaml")
    assert cfg.sft.recipe == "recipes/sft.py" and cfg.locate("sft.recipe") == INSTALL_ROOT / "recipes" / "sft.py"
    assert cfg.locate("grpo.config") == INSTALL_ROOT / "recipes" / "tiny" / "grpo.yaml"


def test_demo_config_keeps_the_demo_values():
    """The sections are now JudgeConfig and TinyModelSpec, whose defaults differ from the old copies:
    the demo's values are explicit in the YAML, so ``make demo`` builds the same model and judge."""
    cfg = load_pipeline_config(ROOT / "recipes" / "tiny" / "pipeline.yaml")
    m = cfg.model
    assert (
        m.vocab_size,
        m.hidden_size,
        m.num_layers,
        m.num_heads,
        m.num_kv_heads,
        m.max_position_embeddings,
        m.seed,
        m.intermediate_size,
    ) == (4096, 192, 4, 4, 2, 1024, 0, 512)
    assert (cfg.judge.workers, cfg.judge.timeout, cfg.judge.memory_mb) == (2, 6.0, 2048)
    assert cfg.data.tokenizer_corpus_tasks == 300 and cfg.data.sft_solutions_per_task == 1
    # What BENCHMARKS.md measured for the demo: RL rows selected at GRPO's temperature, the graded reward.
    assert (cfg.select.enabled, cfg.select.k, cfg.select.temperature, cfg.select.band) == (True, 8, 0.7, "0,1")
    assert cfg.grpo.args["temperature"] == cfg.select.temperature and not cfg.select.inclusive
    assert cfg.grpo.args["reward_funcs"] == ["xcoder_graded"] and cfg.grpo.args["group_log"] is True
    # 8 prompts x 8 completions a step (BENCHMARKS.md "Learning benchmark", the 8-prompt test).
    assert (cfg.grpo.args["per_device_train_batch_size"], cfg.grpo.args["num_generations"]) == (64, 8)


def test_old_training_packages_stop_the_pipeline_before_any_work(tmp_path, monkeypatch):
    """A training package below its floor stops `--stages ...,sft` at once, naming both versions,
    instead of failing at the sft stage after the data work."""
    from pipeline.runner import run_pipeline
    from xcoder.cli_errors import UserError
    from xcoder.train import versions

    monkeypatch.setitem(versions.FLOORS, "transformers", "999.0")
    cfg = load_pipeline_config(ROOT / "recipes/tiny/pipeline.yaml", {"output_dir": str(tmp_path / "run")})
    with pytest.raises(
        UserError, match=r"transformers \S+ is installed; the training recipes need transformers>=999.0"
    ):
        run_pipeline(cfg, stages=("data", "model", "verify", "sft"))
    assert not (tmp_path / "run" / "data").exists()


def test_rl_phrasings_keep_grpo_tasks_out_of_sft(tmp_path):
    """``data.rl_phrasings: 1``: the last training phrasing of every family goes to GRPO only; SFT
    and RL rows are disjoint and together are every exported task."""
    from pipeline.runner import run_pipeline
    from pipeline.variants import split_by_phrasing

    cfg = load_pipeline_config(
        ROOT / "recipes/tiny/pipeline.yaml",
        {
            "output_dir": str(tmp_path / "run"),
            "procedural.families": ["sum_mod", "count_vowels"],
            "procedural.train_tasks": 24,
            "procedural.holdout_tasks": 2,
            "data.rl_phrasings": 1,
            "judge.workers": 1,
        },
    )
    run_pipeline(cfg, stages=("data", "model", "verify"))
    info = json.loads((tmp_path / "run" / "pipeline_state.json").read_text())["stages"]["verify"]["info"]
    assert info["sft_file"].endswith("sft_split.jsonl") and info["rl_file"].endswith("rl_split.jsonl")
    read = lambda name: [json.loads(x) for x in (tmp_path / "run" / info[name]).read_text().splitlines()]  # noqa: E731
    sft_ids, rl_ids = {r["id"] for r in read("sft_file")}, {r["id"] for r in read("rl_file")}
    all_ids = {json.loads(x)["id"] for x in (tmp_path / "run/synth/export/sft.jsonl").read_text().splitlines()}
    assert sft_ids and rl_ids and not sft_ids & rl_ids and sft_ids | rl_ids == all_ids
    with pytest.raises(ValueError, match="no SFT phrasing"):
        split_by_phrasing(tmp_path / "run" / "synth", 9)
    # five training phrasings per family: rl_phrasings 2 gives GRPO phrasings 3 and 4, SFT keeps 0-2
    from data_gen.records import Task
    from data_gen.storage import read_records

    phrasing = {t.id: t.provenance.extra["phrasing"] for t in read_records(tmp_path / "run/synth", "tasks", Task)}
    sft2, rl2 = split_by_phrasing(tmp_path / "run" / "synth", 2)
    assert {phrasing[r["id"]] for r in sft2} == {0, 1, 2} and {phrasing[r["id"]] for r in rl2} == {3, 4}
