# Set-up is by need: `make corpus` installs the data pipeline only (Beam, pyarrow, DuckDB, matplotlib for
# the report); `make test`, `make train`, `make evaluate`, `make lint` and `make bench` add the trainer
# (torch CPU wheel, TRL, transformers) and the dev tools. Each creates .venv when it is missing.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --progress-bar on
DATA_STAMP  := $(VENV)/.swe-corpus-data
TRAIN_STAMP := $(VENV)/.swe-corpus-train
OUT    ?=
HOURS  ?=
GHARCHIVE_URL ?=
GIT_URL_TEMPLATE ?=
CONFIG ?=
DECONTAMINATE ?=
OVERWRITE ?=
ARGS   ?=
# training: the seeds `make corpus` wrote, the CPU smoke config (see docs/training.md)
TRAIN_CONFIG ?= training/configs/cpu-smoke.yaml
TRAIN_DATA   ?= $(if $(OUT),$(OUT),out)/rl_seed

.PHONY: install install-data test corpus train evaluate lint bench clean

install: $(TRAIN_STAMP)
install-data: $(DATA_STAMP)

$(PY):
	python3 -m venv $(VENV)
	$(PIP) --upgrade pip

# the data pipeline and the report
$(DATA_STAMP): pyproject.toml | $(PY)
	$(PIP) -e '.[report]'
	@touch $@

# the trainer and dev tools; torch first, from the local CPU wheel where it exists, so that
# trl/transformers do not pull several GB of CUDA builds
$(TRAIN_STAMP): $(DATA_STAMP)
	$(PIP) torch==2.13.0 || echo "torch==2.13.0 CPU wheel not found; pip will choose torch for trl"
	$(PIP) -e '.[report,train,dev]'
	@touch $@

test: $(TRAIN_STAMP)
	$(PY) -m pytest -q $(ARGS)

corpus: $(DATA_STAMP)
	$(VENV)/bin/swe-corpus corpus \
	  $(if $(OUT),--out $(OUT)) \
	  $(if $(HOURS),--hours $(HOURS)) \
	  $(if $(GHARCHIVE_URL),--gharchive-url $(GHARCHIVE_URL)) \
	  $(if $(GIT_URL_TEMPLATE),--git-url-template $(GIT_URL_TEMPLATE)) \
	  $(if $(CONFIG),--config $(CONFIG)) \
	  $(if $(DECONTAMINATE),--decontaminate $(DECONTAMINATE)) \
	  $(if $(OVERWRITE),--overwrite) \
	  $(ARGS)

train: $(TRAIN_STAMP)
	$(VENV)/bin/swe-corpus train --config $(TRAIN_CONFIG) --data $(TRAIN_DATA) $(ARGS)

evaluate: $(TRAIN_STAMP)
	$(VENV)/bin/swe-corpus evaluate --config $(TRAIN_CONFIG) --data $(TRAIN_DATA) $(ARGS)

lint: $(TRAIN_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: $(TRAIN_STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) build dist *.egg-info
