# The two commands a new user needs: `make demo` and `make test`. Both create (or reuse) the
# virtual environment .venv with the pinned versions of requirements.lock.
#
# Variables a user sets (make VAR=value) reach the shell only as environment variables ("$$CONFIG"),
# or, for the paths make itself uses (VENV, PYTHON), after a check that they hold no shell syntax:
# a config path can never inject a command.
VENV      ?= .venv
PY        := $(VENV)/bin/python
SNAKEMAKE := $(VENV)/bin/snakemake
CORES     ?= 2
PYTHON    ?= python3
CONFIG    ?= config/demo.yaml
PLAN_CONFIG ?= config/paper.yaml
# make preflight: the config whose base models are measured, and the Snakemake profile it is
# submitted through (PROFILE= runs it on this machine with CORES cores, e.g. the demo on a CPU).
PREFLIGHT_CONFIG ?= config/paper.yaml
PROFILE   ?= slurm
export CONFIG PLAN_CONFIG CORES PREFLIGHT_CONFIG PROFILE

# Refuse a path variable holding characters the shell would read as syntax (or a space).
UNSAFE_CHARS := ; & | < > ( ) ` ' " * ? [ ] { } ~ ! \ $$ \#
check_path = $(if $(filter-out 1,$(words $($(1)))),$(error $(1) must be one path without spaces: '$($(1))'))$(foreach c,$(UNSAFE_CHARS),$(if $(findstring $(c),$($(1))),$(error $(1) holds '$(c)', which the shell would read as syntax: '$($(1))')))
$(call check_path,VENV)
$(call check_path,PYTHON)

.PHONY: install demo demo-spontaneous test test-fast lint format plan preflight paper report clean help
# The run name of $$CONFIG, printed only once the whole config has passed validation (a shell
# command line, used inside a recipe: an invalid config stops the recipe before anything runs).
RUN_NAME  = $(PY) -m mlpt.config "$$CONFIG"
# $$CORES must be a whole number before it reaches snakemake.
CHECK_CORES = case "$$CORES" in ''|*[!0-9]*) echo "CORES must be a whole number, got '$$CORES'" >&2; exit 2;; esac

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
	@$(CHECK_CORES)
	$(SNAKEMAKE) --configfile config/demo.yaml --cores "$$CORES"

demo-spontaneous: install  ## study B on a tiny model (config/spontaneous-demo.yaml), CPU, a few minutes
	@$(CHECK_CORES)
	$(SNAKEMAKE) --configfile config/spontaneous-demo.yaml --cores "$$CORES"

test: install  ## the test suite: unit, workflow (dry-runs, lint, format), end to end
	$(PY) -m pytest -ra

test-fast: install  ## everything but the end-to-end runs
	$(PY) -m pytest -ra -m "not e2e"

lint: install  ## snakemake --lint and snakefmt --check
	PATH=$(abspath $(VENV))/bin:$$PATH $(SNAKEMAKE) --lint --configfile config/paper.yaml
	PATH=$(abspath $(VENV))/bin:$$PATH $(VENV)/bin/snakefmt --check Snakefile workflow/rules

format: install  ## format the workflow files with snakefmt
	PATH=$(abspath $(VENV))/bin:$$PATH $(VENV)/bin/snakefmt Snakefile workflow/rules

plan: install  ## the paper's plan: jobs per rule, GPU-hours (measured where a preflight ran) and disk (PLAN_CONFIG=...)
	$(PY) -m mlpt.plan_cli --configfile "$$PLAN_CONFIG"

preflight: install  ## per base model one measured SFT job on its GPU tier -> results/<run>/preflight.json (PROFILE=slurm)
	@if [ -n "$$PROFILE" ]; then \
	  $(SNAKEMAKE) preflight --configfile "$$PREFLIGHT_CONFIG" --profile "$$PROFILE"; \
	else \
	  $(CHECK_CORES); $(SNAKEMAKE) preflight --configfile "$$PREFLIGHT_CONFIG" --cores "$$CORES"; \
	fi

paper: install  ## build results/<run>/paper/main.pdf for CONFIG (needs a TeX engine: latexmk or pdflatex)
	@$(RUN_NAME) >/dev/null
	@$(CHECK_CORES)
	@command -v latexmk >/dev/null || command -v pdflatex >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "No TeX engine: installing Debian texlive"; \
	    apt-get update -qq && apt-get install -y -qq texlive-latex-recommended texlive-latex-extra latexmk; \
	  else \
	    echo "No TeX engine (latexmk or pdflatex) found. Install one, then run make paper again:" >&2; \
	    echo "  Debian/Ubuntu: sudo apt-get install texlive-latex-recommended texlive-latex-extra latexmk" >&2; \
	    echo "  without root:  TinyTeX or a TeX Live user install (https://tug.org/texlive/), on PATH" >&2; \
	    exit 1; \
	  fi; }
	run=$$($(RUN_NAME)) && $(SNAKEMAKE) --configfile "$$CONFIG" --cores "$$CORES" "results/$$run/paper/main.pdf"

report: install  ## HTML report of CONFIG's run with every figure and table: results/<run>/report.html
	run=$$($(RUN_NAME)) && $(SNAKEMAKE) --configfile "$$CONFIG" --report "results/$$run/report.html"

clean:  ## remove the results of the runs make starts by itself (demo, demo-spontaneous); never a paper run
	@for config in config/demo.yaml config/spontaneous-demo.yaml; do \
	  run=$$($(PY) -m mlpt.config "$$config") || exit 1; \
	  echo "rm -rf results/$$run"; rm -rf "results/$$run"; \
	done
