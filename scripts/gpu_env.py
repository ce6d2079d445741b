"""The environment report of the GPU checks (``scripts/gpu_check.sh``, ``scripts/gpu_rl_check.sh``).

Why one file: both checks must judge a machine the same way. Appends to ENV_FILE the GPU and
driver (nvidia-smi), Python, torch/CUDA, the training packages and the version floors. Exit code:
0 ready, 3 a package missing or below its floor (nothing is installed), 4 no CUDA GPU.

    python scripts/gpu_env.py ENV_FILE
"""

from __future__ import annotations

import importlib.metadata as md
import platform
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIRED = {
    "transformers": "train extra",
    "trl": "train extra",
    "accelerate": "train extra",
    "datasets": "train extra",
    "peft": "train extra (LoRA only)",
}
OPTIONAL = {
    "flash-attn": "flash_attention_2 (pip install flash-attn --no-build-isolation)",
    "liger-kernel": "Liger kernels (pip install 'xcoder[liger]')",
    "deepspeed": "ZeRO configs (pip install 'xcoder[deepspeed]')",
    "vllm": "GRPO generation (xcoder[vllm])",
}


def main(path: str) -> int:
    out = open(path, "a")

    def line(text: str = "") -> None:
        out.write(text + "\n")
        out.flush()

    line("## nvidia-smi")
    if shutil.which("nvidia-smi"):
        query = ["nvidia-smi", "--query-gpu=name,driver_version,memory.total,compute_cap", "--format=csv"]
        done = subprocess.run(query, capture_output=True, text=True)
        line((done.stdout + done.stderr).strip())
    else:
        line("nvidia-smi: not found")
    line(f"python {platform.python_version()} ({sys.executable})")
    try:
        import torch
    except ImportError:
        line("missing: torch (install the CUDA build for your driver: https://pytorch.org/get-started/locally/)")
        return 3
    cuda = torch.cuda.is_available()
    line(f"torch {torch.__version__}, CUDA runtime {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}")
    if cuda:
        for i in range(torch.cuda.device_count()):
            p = torch.cuda.get_device_properties(i)
            line(f"GPU {i}: {p.name}, {p.total_memory / 2**30:.0f} GiB, compute capability {p.major}.{p.minor}")
    missing = []
    for name, what in {**REQUIRED, **OPTIONAL}.items():
        try:
            line(f"{name} {md.version(name)}")
        except md.PackageNotFoundError:
            if name in REQUIRED and name != "peft":
                missing.append(name)
            line(f"{'MISSING' if name in missing else 'not installed'}: {name} -- needed for {what}")
    sys.path.insert(0, str(ROOT))
    from xcoder.train.versions import version_problems

    problems = version_problems()
    for problem in problems:
        line(f"VERSION: {problem}")
    if missing:
        line(f"missing packages: {', '.join(missing)}: pip install -e '.[train]' (the GPU checks install nothing)")
        return 3
    if problems:
        return 3
    if not cuda:
        build = "a CPU-only torch build" if torch.version.cuda is None else "no device visible to this CUDA build"
        line(f"no CUDA GPU: torch.cuda.is_available() is False ({build})")
        return 4
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
