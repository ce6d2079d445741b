# The two commands a newcomer needs: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.xcoder-setup

.PHONY: setup lint test demo bench gpu-check gpu-rl-check clean

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/setup.sh
	bash scripts/setup.sh $(VENV)
	touch $(STAMP)

# ruff (pyproject's [tool.ruff], line length 119): lint and format check, before the tests.
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint
	$(PY) -m pytest -q

# The whole pipeline offline on a CPU (docs/demo.md): tiny model -> procedural tasks -> verify/export
# -> SFT -> GRPO -> held-out avg@8 of base, SFT and RL; report in runs/demo/report.md. Reruns resume.
demo: setup
	$(PY) -m xcoder.cli pipeline --config recipes/tiny/pipeline.yaml

bench: setup
	$(PY) benchmarks/judge_throughput.py
	$(PY) benchmarks/judge_throughput.py --host-mb 2000

# On a GPU machine with torch (CUDA) and the train extra installed: environment report, packed-batch
# correctness per attention implementation, the tiny pipeline and SFT throughput, ~8 min, offline,
# installs nothing (scripts/gpu_check.sh); results in runs/gpu-check/<time>/.
gpu-check:
	PYTHON="$${PYTHON:-$(if $(wildcard $(PY)),$(PY),python3)}" bash scripts/gpu_check.sh

# On the same kind of machine: recipes/grpo.py with the 7B GRPO recipe's settings (one GPU, no vLLM) and
# `xcoder rl select` on CUDA, both at the Qwen2.5-Coder-1.5B shape with random weights, ~6 min, offline,
# installs nothing (scripts/gpu_rl_check.sh); results in runs/gpu-rl-check/<time>/.
gpu-rl-check:
	PYTHON="$${PYTHON:-$(if $(wildcard $(PY)),$(PY),python3)}" bash scripts/gpu_rl_check.sh

clean:
	rm -rf $(VENV) runs .pytest_cache
