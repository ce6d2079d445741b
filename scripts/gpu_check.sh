#!/usr/bin/env bash
# `make gpu-check`: what a GPU machine can do with xcoder, in about 8 minutes on one GPU, offline.
#   1. environment: GPU, driver, torch/CUDA, package versions, the version floors;
#   2. packed-batch correctness of each attention implementation on the GPU (xcoder.train.attention);
#   3. the tiny pipeline (recipes/tiny/pipeline.yaml) with its recipes running on the GPU;
#   4. SFT throughput (benchmarks/sft_throughput.py: Qwen2.5-Coder-1.5B shape, 8k packed rows).
# Installs nothing; it needs torch with CUDA and the `train` extra already there. Results go to
# $GPU_CHECK_DIR (default runs/gpu-check/<time>): env.txt, attention.json, pipeline/, sft_throughput.json,
# summary.md. Time limits (seconds): GPU_CHECK_ATTENTION_S, GPU_CHECK_PIPELINE_S, GPU_CHECK_BENCH_S.
# Extra benchmark flags: GPU_CHECK_BENCH_ARGS (e.g. "--preset qwen2.5-coder-7b --max-length 4096").
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
RUN="${GPU_CHECK_DIR:-runs/gpu-check/$(date +%Y%m%d-%H%M%S)}"
ATTENTION_S="${GPU_CHECK_ATTENTION_S:-75}"
PIPELINE_S="${GPU_CHECK_PIPELINE_S:-225}"  # its eval stage runs on the CPU
BENCH_S="${GPU_CHECK_BENCH_S:-180}"  # results are written after every setting
mkdir -p "$RUN"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
SUMMARY="$RUN/summary.md"
FAILED=0

# shellcheck source=scripts/gpu_steps.sh
source "$ROOT/scripts/gpu_steps.sh"  # say, step

echo "# gpu-check $(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$SUMMARY"
say "results: $RUN"
say ""

# ---- 1. Environment (scripts/gpu_env.py) -------------------------------------------------------
"$PYTHON" scripts/gpu_env.py "$RUN/env.txt"
rc=$?
say "## environment"
say "$(cat "$RUN/env.txt")"
say ""
if [[ $rc -eq 4 ]]; then
    say "gpu-check: no GPU on this machine; nothing else to check. (Results: $RUN)"
    exit 2
elif [[ $rc -ne 0 ]]; then
    say "gpu-check: the environment is not ready (see above); nothing was installed. (Results: $RUN)"
    exit 2
fi

# ---- 2. Packed-batch correctness on the GPU ------------------------------------------------------
cat > "$RUN/attention_check.py" <<'PY'
"""Per-token losses of a packed row vs the documents alone, per attention implementation, on the GPU."""
import json, sys, tempfile
import torch
from transformers import AutoModelForCausalLM
from xcoder.tiny_model import TinyModelSpec, build_tiny_model
from xcoder.train.attention import PACKING_SAFE, available_implementations, packed_loss_gap

model_dir = build_tiny_model(tempfile.mkdtemp() + "/model", TinyModelSpec(hidden_size=128, num_layers=2))
g = torch.Generator().manual_seed(0)
docs = [torch.randint(10, 2000, (n,), generator=g).tolist() for n in (37, 5, 120, 64, 9)]
results = {}
# flex_attention last: it compiles, and a timeout should cost only its own row
for impl in sorted(available_implementations(on_gpu=True), key=lambda i: i == "flex_attention"):
    dtype = torch.bfloat16 if impl.startswith("flash") else torch.float32
    tolerance = 5e-2 if dtype == torch.bfloat16 else 1e-3
    try:
        model = AutoModelForCausalLM.from_pretrained(model_dir, attn_implementation=impl, dtype=dtype).cuda().eval()
        gap, leak = packed_loss_gap(model, docs), packed_loss_gap(model, docs, restart=False)
        ok = gap < tolerance
        results[impl] = {"dtype": str(dtype), "gap": gap, "tolerance": tolerance, "control_gap_without_restart": leak,
                         "correct": ok, "packing_safe_in_recipes": impl in PACKING_SAFE}
    except Exception as exc:
        results[impl] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    print(impl, results[impl], flush=True)
    json.dump(results, open(sys.argv[1], "w"), indent=2)
wrong = [i for i, r in results.items() if r.get("correct") is False and r.get("packing_safe_in_recipes")]
if wrong:
    print(f"WRONG packed losses with {wrong}: remove them from xcoder.train.attention.PACKING_SAFE")
    sys.exit(1)
PY
step "packed-batch correctness per attention implementation" "$ATTENTION_S" "$RUN/attention.log" \
    "$PYTHON" "$RUN/attention_check.py" "$RUN/attention.json"

# ---- 3. The tiny pipeline on the GPU ------------------------------------------------------------
step "tiny pipeline (recipes/tiny/pipeline.yaml)" "$PIPELINE_S" "$RUN/pipeline.log" \
    "$PYTHON" -m xcoder.cli pipeline --config recipes/tiny/pipeline.yaml --output-dir "$RUN/pipeline"
if [[ -f "$RUN/pipeline/report.md" ]]; then say "pipeline report: $RUN/pipeline/report.md"; say ""; fi

# ---- 4. SFT throughput ----------------------------------------------------------------------------
# shellcheck disable=SC2086
step "SFT throughput (benchmarks/sft_throughput.py)" "$BENCH_S" "$RUN/sft_throughput.log" \
    "$PYTHON" benchmarks/sft_throughput.py --out "$RUN/sft_throughput.json" ${GPU_CHECK_BENCH_ARGS:-}
if [[ -f "$RUN/sft_throughput.json" ]]; then
    "$PYTHON" - "$RUN/sft_throughput.json" <<'PY' | tee -a "$SUMMARY"
import json, sys
data = json.load(open(sys.argv[1]))
m = data["meta"]
print(f"{m['preset']} at {m['max_length']} tokens on {m['device']} (peak {m['peak_tflops']} TFLOP/s bf16)\n")
print("| rows | attention | Liger | AC | tokens/s | MFU | step s | peak GiB |")
print("|---|---|---|---|---|---|---|---|")
for r in data["results"]:
    head = f"| {'packed' if r['packing'] else 'padded'} | {r['attn']} | {'on' if r['liger'] else 'off'} | " \
           f"{'on' if r['activation_checkpointing'] else 'off'} |"
    if "error" in r:
        print(f"{head} {r['error'][:60]} | | | |")
    else:
        mfu = f"{r['mfu']:.1%}" if r["mfu"] is not None else "-"
        mem = f"{r['peak_memory_gib']:.1f}" if r["peak_memory_gib"] is not None else "-"
        print(f"{head} {r['tokens_per_second']:,.0f} | {mfu} | {r['step_seconds']:.3f} | {mem} |")
for note in m.get("notes", []):
    print(f"\nnote: {note}")
PY
fi

say ""
if [[ $FAILED -eq 0 ]]; then say "gpu-check: all steps passed. Results: $RUN"; else say "gpu-check: some steps failed (above). Results: $RUN"; fi
exit $FAILED
