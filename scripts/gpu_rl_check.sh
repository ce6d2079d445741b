#!/usr/bin/env bash
# `make gpu-rl-check`: the RL path at a real model shape on one GPU, offline, in about 6 minutes
# (on an H200: model 22 s, GRPO 104 s, selection 191 s; BENCHMARKS.md).
#   1. environment (scripts/gpu_env.py, as gpu-check);
#   2. a random-weight model of the Qwen2.5-Coder-1.5B shape with the tiny tokenizer (xcoder.model_shapes);
#   3. recipes/grpo.py with the settings of recipes/qwen2.5-coder-7b-instruct/grpo.yaml (xcoder_graded,
#      dapo loss, epsilon_high, entropy_coef, mask_truncated_completions, activation checkpointing, bf16,
#      scale_rewards group) on one GPU without vLLM: 4 prompts x 8 completions of up to 256 tokens a step,
#      GPU_RL_CHECK_STEPS steps, on our RL rows (recipes/tiny/data/grpo.jsonl, the export layout);
#   4. `xcoder rl select` with the transformers backend on the GPU: the same model, k=4, 16 rows.
# Random weights write no code, so every reward is -2 and every group has zero spread: this checks that
# the path runs and what it costs (seconds, GPU memory), not learning.
# Installs nothing; it needs torch with CUDA and the `train` extra. Results go to $GPU_RL_CHECK_DIR
# (default runs/gpu-rl-check/<time>): env.txt, model.log, grpo.log, grpo_log_history.json, groups.jsonl,
# select.log, select/ (the selection's report), gpu_memory_*.csv, results.json, summary.md. The model
# and the GRPO output (GBs) live in work/ and are deleted at the end unless GPU_RL_CHECK_KEEP=1.
# Time limits (seconds): GPU_RL_CHECK_MODEL_S, GPU_RL_CHECK_GRPO_S, GPU_RL_CHECK_SELECT_S. Shape:
# GPU_RL_CHECK_PRESET (xcoder.model_shapes); extra recipe flags: GPU_RL_CHECK_GRPO_ARGS.
# GPU_RL_CHECK_CPU=1 runs every step on the CPU at the tiny shape (a test of this script, ~1-2 min).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
CPU="${GPU_RL_CHECK_CPU:-0}"
RUN="${GPU_RL_CHECK_DIR:-runs/gpu-rl-check/$(date +%Y%m%d-%H%M%S)}"
MODEL_S="${GPU_RL_CHECK_MODEL_S:-150}"
GRPO_S="${GPU_RL_CHECK_GRPO_S:-300}"
SELECT_S="${GPU_RL_CHECK_SELECT_S:-300}"  # transformers generates one task's k samples per call
STEPS="${GPU_RL_CHECK_STEPS:-5}"
if [[ "$CPU" == 1 ]]; then
    PRESET="${GPU_RL_CHECK_PRESET:-tiny}" DEVICE=cpu CPU_ARGS=(--dtype float32)
else
    PRESET="${GPU_RL_CHECK_PRESET:-qwen2.5-coder-1.5b}" DEVICE=cuda CPU_ARGS=()
fi
DATA=recipes/tiny/data/grpo.jsonl
WORK="$RUN/work"
mkdir -p "$RUN"
rm -f "$RUN/steps.tsv"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
SUMMARY="$RUN/summary.md"
FAILED=0

# shellcheck source=scripts/gpu_steps.sh
source "$ROOT/scripts/gpu_steps.sh"  # say, step

# The card's memory in use (nvidia-smi, MiB, every 0.2 s) while a step runs: its peak is what the
# step needed of the card (weights, activations, the allocator's cache, the CUDA context).
MEMLOG_PID=""
memory_log() {
    if [[ "$CPU" == 1 ]] || ! command -v nvidia-smi >/dev/null; then return 0; fi
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 > "$1" 2>/dev/null &
    MEMLOG_PID=$!
}
memory_log_stop() {
    if [[ -n "$MEMLOG_PID" ]]; then kill "$MEMLOG_PID" 2>/dev/null; wait "$MEMLOG_PID" 2>/dev/null; fi
    MEMLOG_PID=""
}
trap memory_log_stop EXIT

echo "# gpu-rl-check $(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$SUMMARY"
say "results: $RUN"
say ""

# ---- 1. Environment ---------------------------------------------------------------------------
"$PYTHON" scripts/gpu_env.py "$RUN/env.txt"
rc=$?
say "## environment"
say "$(cat "$RUN/env.txt")"
say ""
if [[ $rc -eq 4 && "$CPU" != 1 ]]; then
    say "gpu-rl-check: no GPU on this machine; nothing else to check (GPU_RL_CHECK_CPU=1 tests the script on the CPU). (Results: $RUN)"
    exit 2
elif [[ $rc -ne 0 && $rc -ne 4 ]]; then
    say "gpu-rl-check: the environment is not ready (see above); nothing was installed. (Results: $RUN)"
    exit 2
fi
[[ "$CPU" == 1 ]] && say "GPU_RL_CHECK_CPU=1: every step on the CPU at the $PRESET shape (a test of this script)" && say ""

# ---- 2. The model -------------------------------------------------------------------------------
rm -rf "$WORK"
step "model: random-weight $PRESET model (xcoder.model_shapes)" "$MODEL_S" "$RUN/model.log" \
    "$PYTHON" -m xcoder.model_shapes --preset "$PRESET" --out "$WORK/model" --device "$DEVICE"
if [[ ! -f "$WORK/model/config.json" ]]; then
    say "gpu-rl-check: no model, nothing else to check. (Results: $RUN)"
    exit 1
fi

# ---- 3. GRPO: the 7B recipe's settings, one GPU, no vLLM ----------------------------------------
# 32 completions a step: 8 per micro-batch x 4 accumulated, one generation per step (4 prompts x 8).
GRPO_ARGS=(
    --config recipes/qwen2.5-coder-7b-instruct/grpo.yaml
    --model_name_or_path "$WORK/model" --output_dir "$WORK/grpo"
    --dataset_files "$DATA" --dataset_format rl --dataset_num_proc 1
    --use_vllm false --num_generations 8 --max_completion_length 256
    --per_device_train_batch_size 8 --gradient_accumulation_steps 4 --steps_per_generation 4
    --max_steps "$STEPS" --save_strategy no --group_log true
)
memory_log "$RUN/gpu_memory_grpo.csv"
# shellcheck disable=SC2086
step "grpo: recipes/grpo.py at the $PRESET shape ($STEPS steps)" "$GRPO_S" "$RUN/grpo.log" \
    "$PYTHON" recipes/grpo.py "${GRPO_ARGS[@]}" "${CPU_ARGS[@]}" ${GPU_RL_CHECK_GRPO_ARGS:-}
memory_log_stop
[[ -f "$WORK/grpo/trainer_state.json" ]] && cp "$WORK/grpo/trainer_state.json" "$RUN/grpo_log_history.json"
[[ -f "$WORK/grpo/groups.jsonl" ]] && cp "$WORK/grpo/groups.jsonl" "$RUN/groups.jsonl"

# ---- 4. RL data selection by the policy's pass rate ---------------------------------------------
memory_log "$RUN/gpu_memory_select.csv"
step "select: xcoder rl select, transformers on $DEVICE (k=4, 16 rows)" "$SELECT_S" "$RUN/select.log" \
    "$PYTHON" -m xcoder.cli rl select --data "$DATA" --limit 16 --model "$WORK/model" --backend transformers \
    --device "$DEVICE" --k 4 --temperature 1.0 --top-p 1.0 --max-tokens 256 --batch-size 32 \
    --out "$RUN/select/selected.jsonl"
memory_log_stop

if [[ "${GPU_RL_CHECK_KEEP:-0}" != 1 ]]; then rm -rf "$WORK"; fi

# ---- Summary --------------------------------------------------------------------------------------
"$PYTHON" - "$RUN" "$PRESET" <<'PY' | tee -a "$SUMMARY"
"""The figures of each step from its own outputs, as results.json and a short table."""
import json, statistics, sys
from pathlib import Path

run, preset = Path(sys.argv[1]), sys.argv[2]
steps = {}
if (run / "steps.tsv").exists():
    for line in (run / "steps.tsv").read_text().splitlines():
        name, status, seconds = line.split("\t")
        steps[name.split(":")[0]] = {"status": status, "seconds": int(seconds)}

def peak_gib(name):
    path = run / f"gpu_memory_{name}.csv"
    values = [int(v) for v in path.read_text().split() if v.isdigit()] if path.exists() else []
    return round(max(values) / 1024, 1) if values else None

results = {"preset": preset, "steps": steps, "grpo": {}, "select": {}}
history = run / "grpo_log_history.json"
if history.exists():
    logs = json.loads(history.read_text())["log_history"]
    per_step = [h for h in logs if "step_time" in h]
    final = next((h for h in logs if "train_runtime" in h), {})
    times = [h["step_time"] for h in per_step]
    keys = ("reward", "reward_std", "frac_reward_zero_std", "groups/all_fail", "groups/mixed", "groups/all_pass",
            "completions/mean_length", "completions/clipped_ratio", "rewards/xcoder_graded/no_code", "loss", "entropy")
    results["grpo"] = {
        "steps": len(per_step),
        "step_time_first_s": times[0] if times else None,
        "step_time_median_after_first_s": statistics.median(times[1:]) if len(times) > 1 else None,
        "train_runtime_s": final.get("train_runtime"),
        "peak_gpu_memory_gib": peak_gib("grpo"),
        "per_step": [{k: h.get(k) for k in ("step", "step_time", *keys)} for h in per_step],
    }
report = run / "select" / "selected.report.md"
if report.exists():
    rates = [json.loads(x) for x in (run / "select" / "selected.pass_rates.jsonl").read_text().splitlines() if x]
    gens_file = run / "select" / "selected.generations.jsonl"
    gens = [json.loads(x) for x in gens_file.read_text().splitlines() if x] if gens_file.exists() else []
    results["select"] = {
        "rows": len(rates),
        "kept": sum(r["decision"] == "kept" for r in rates),
        "samples": len(gens),
        "mean_sample_tokens": statistics.mean(g["num_tokens"] for g in gens) if gens else None,
        "peak_gpu_memory_gib": peak_gib("select"),
        "report": str(report),
    }
(run / "results.json").write_text(json.dumps(results, indent=2) + "\n")

def cell(value, fmt="{:.2f}"):
    return "-" if value is None else fmt.format(value)

g, s = results["grpo"], results["select"]
last = g.get("per_step", [{}])[-1] if g.get("per_step") else {}
print(f"## Results ({preset} shape, random weights: rewards of -2 and zero-spread groups are expected)\n")
print("| check | outcome | wall s | step s (first / median of the rest) | peak GPU GiB (nvidia-smi) | logged |")
print("|---|---|---|---|---|---|")
for key, label, row in (("model", "model", None), ("grpo", "GRPO", g), ("select", "rl select", s)):
    st = steps.get(key, {"status": "not run", "seconds": None})
    if label == "GRPO" and g:
        timing = f"{cell(g['step_time_first_s'])} / {cell(g['step_time_median_after_first_s'])} ({g['steps']} steps)"
        logged = (f"reward {cell(last.get('reward'))}, zero-std groups {cell(last.get('frac_reward_zero_std'))}, "
                  f"groups all_fail/mixed/all_pass {cell(last.get('groups/all_fail'), '{:.0f}')}/"
                  f"{cell(last.get('groups/mixed'), '{:.0f}')}/{cell(last.get('groups/all_pass'), '{:.0f}')}, "
                  f"mean completion {cell(last.get('completions/mean_length'), '{:.0f}')} tokens "
                  f"(truncated {cell(last.get('completions/clipped_ratio'))}) (last step)")
    elif label == "rl select" and s:
        timing = "-"
        logged = (f"{s['rows']} rows x k=4: {s['samples']} samples of {cell(s['mean_sample_tokens'], '{:.0f}')} "
                  f"tokens on average, {s['kept']} kept")
    else:
        timing, logged = "-", "-"
    peak = cell(row.get("peak_gpu_memory_gib"), "{:.1f}") if row else "-"
    print(f"| {label} | {st['status']} | {cell(st['seconds'], '{}')} | {timing} | {peak} | {logged} |")
PY

say ""
if [[ $FAILED -eq 0 ]]; then say "gpu-rl-check: all steps passed. Results: $RUN"; else say "gpu-rl-check: some steps failed (above). Results: $RUN"; fi
exit $FAILED
