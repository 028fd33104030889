# The two commands a new user needs: `make demo` and `make test`. Both create (or reuse) the
# virtual environment .venv with the pinned versions of requirements.lock.
VENV      ?= .venv
PY        := $(VENV)/bin/python
SNAKEMAKE := $(VENV)/bin/snakemake
CORES     ?= 2
PYTHON    ?= python3

.PHONY: install demo demo-spontaneous test test-fast lint format plan paper report clean help
CONFIG    ?= config/demo.yaml
# The run name of CONFIG, printed only once the whole config has passed validation (a shell
# command line, used inside a recipe: an invalid config stops the recipe before anything runs).
RUN_NAME  = $(PY) -m mlpt.config '$(CONFIG)'

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

install: $(VENV)/.installed  ## create .venv with the pinned packages (idempotent)

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	@# torch first and pinned: an unpinned torch would pull a multi-GB CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	touch $@

demo: install  ## run the whole study on tiny models (config/demo.yaml), CPU, minutes
	$(SNAKEMAKE) --configfile config/demo.yaml --cores $(CORES)

demo-spontaneous: install  ## study B on a tiny model (config/spontaneous-demo.yaml), CPU, a few minutes
	$(SNAKEMAKE) --configfile config/spontaneous-demo.yaml --cores $(CORES)

test: install  ## the test suite: unit, workflow (dry-runs, lint, format), end to end
	$(PY) -m pytest -ra

test-fast: install  ## everything but the end-to-end runs
	$(PY) -m pytest -ra -m "not e2e"

lint: install  ## snakemake --lint and snakefmt --check
	PATH=$(abspath $(VENV))/bin:$$PATH $(SNAKEMAKE) --lint --configfile config/paper.yaml
	PATH=$(abspath $(VENV))/bin:$$PATH $(VENV)/bin/snakefmt --check Snakefile workflow/rules

format: install  ## format the workflow files with snakefmt
	PATH=$(abspath $(VENV))/bin:$$PATH $(VENV)/bin/snakefmt Snakefile workflow/rules

plan: install  ## the paper's plan: jobs per rule, GPU-hour and disk estimate (PLAN_CONFIG=... for another)
	$(PY) -m mlpt.plan_cli --configfile $(or $(PLAN_CONFIG),config/paper.yaml)

paper: install  ## build results/<run>/paper/main.pdf for CONFIG (installs Debian texlive if no TeX is found)
	@$(RUN_NAME) >/dev/null
	@command -v latexmk >/dev/null || command -v pdflatex >/dev/null || \
	  (echo "No TeX engine: installing Debian texlive (needs root)"; \
	   apt-get update -qq && apt-get install -y -qq texlive-latex-recommended texlive-latex-extra latexmk)
	run=$$($(RUN_NAME)) && $(SNAKEMAKE) --configfile '$(CONFIG)' --cores $(CORES) "results/$$run/paper/main.pdf"

report: install  ## HTML report of CONFIG's run with every figure and table: results/<run>/report.html
	run=$$($(RUN_NAME)) && $(SNAKEMAKE) --configfile '$(CONFIG)' --report "results/$$run/report.html"

clean:  ## remove the demo's results (never the paper run's)
	rm -rf results/demo
