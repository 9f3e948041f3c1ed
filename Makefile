# avatars — every task a developer or CI runs. The environment lives in .venv/.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
EXTRAS := server,dev,team

.DEFAULT_GOAL := install
.PHONY: install demo docs docs-images test test-heavy test-integration check check-generated lint format typecheck spec codegen serve lock clean bench-transfer bench-sdv-env bench bench-workflow bench-load bench-roles bench-wide-categories bench-linked bench-series bench-scale bench-official-env bench-processors bench-anonymeter-env bench-attacks bench-exact-values bench-singling-out-control bench-inference-control bench-attack-targets bench-quality

$(STAMP): pyproject.toml constraints.txt scripts/system-packages.sh
	bash scripts/system-packages.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[$(EXTRAS)]"
	@touch $@

install: $(STAMP) ## create .venv with everything pinned by constraints.txt

demo: $(STAMP) ## anonymization demo end to end on the embedded server
	$(BIN)/python -m avatars.demo

docs: $(STAMP) ## API reference from the docstrings into docs/api/ (pdoc; generated, not committed)
	rm -rf docs/api
	$(BIN)/pdoc avatars avatar_yaml -o docs/api --docformat google
	@echo "API reference: docs/api/index.html; user guide: docs/index.md"

docs-images: $(STAMP) ## wbcd report pages (pdftoppm) and HTML screenshot (chromium) -> docs/report/
	$(BIN)/python docs/report_images.py

test: $(STAMP) ## the test suite (starts real servers on loopback), one worker per core up to 4
	$(BIN)/python -m pytest -n auto --maxprocesses 4 --dist loadfile

test-heavy: $(STAMP) ## the heavy suites: faults, leases, fuzzing, multi-process servers (~2.5 min)
	$(BIN)/python -m pytest -m heavy

test-integration: $(STAMP) ## PostgreSQL, SeaweedFS (S3) and Dask started on loopback by tests/stack; the workflow tests again on them
	$(BIN)/python -m pytest --stack -m "integration or not heavy" tests/integration tests/test_workflow.py

spec: $(STAMP) ## write openapi.json from the app object
	$(BIN)/python -m avatar_server.spec openapi.json

codegen: spec ## regenerate generated/avatars_api from openapi.json
	./codegen.sh

check-generated: $(STAMP) ## fail if openapi.json or generated/ is stale
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(BIN)/python -m avatar_server.spec "$$tmp/openapi.json" && \
	./codegen.sh "$$tmp/openapi.json" "$$tmp/generated" >/dev/null && \
	{ diff -u openapi.json "$$tmp/openapi.json" >/dev/null || { echo "openapi.json is stale: run make codegen" >&2; exit 1; }; } && \
	{ diff -r -x __pycache__ generated/avatars_api "$$tmp/generated/avatars_api" || { echo "generated/ is stale: run make codegen" >&2; exit 1; }; } && \
	echo "openapi.json and generated/ are up to date"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP)
	$(BIN)/mypy avatars avatar_server avatar_yaml avatar_figures tests bench
	cd generated && $(abspath $(BIN))/mypy --strict -p avatars_api

check: check-generated lint typecheck ## everything CI checks besides the tests

serve: $(STAMP) ## run a server on 127.0.0.1:8080
	$(BIN)/avatars serve

lock: ## re-resolve the newest allowed versions into constraints.txt
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install -q --upgrade pip
	.lock-venv/bin/python -m pip install -q -e ".[$(EXTRAS)]"
	{ echo "# Exact versions used by 'make' (pip install -c constraints.txt). Refresh with 'make lock'."; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable; } > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .demo

bench-transfer: $(STAMP) ## upload/download throughput and server memory -> bench/results/transfer.md
	$(BIN)/python -m bench.transfer

bench-sdv-env: ## separate venv bench/.venv-sdv with SDV (pandas < 3, CPU torch) for the engine bench
	PYTHON=$(PYTHON) bash bench/setup-sdv.sh

bench-anonymeter-env: ## separate venv bench/.venv-anonymeter with anonymeter (numpy < 1.27) for bench-attacks
	bash bench/setup-anonymeter.sh

bench-attacks: $(STAMP) ## anonymeter's and our engine's attack risks on avatars vs GaussianCopula, cross-checked -> bench/results/attacks.md
	$(BIN)/python -m bench.attacks

bench-exact-values: $(STAMP) ## singling out on the audit release as made and with its numbers jittered -> bench/results/exact-values.md
	$(BIN)/python -m bench.exact_values

bench-attack-targets: $(STAMP) ## issue 19's attack target over 10 splits, k = 20, 40, 80: our upper bounds beside GaussianCopula's -> bench/results/attack-targets.md
	$(BIN)/python -m bench.attack_targets

bench-singling-out-control: $(STAMP) ## null release at the audit's sizes: does the singling-out risk read 0 when nothing leaks -> bench/results/singling-out-control.md
	$(BIN)/python -m bench.singling_out_control

bench-inference-control: $(STAMP) ## null release: does the worst inference secret read 0 when nothing leaks -> bench/results/inference-control.md
	$(BIN)/python -m bench.inference_control

bench: $(STAMP) ## engine speed, memory, quality vs floor and GaussianCopula -> bench/results/engine.md
	$(BIN)/python -m bench.engine

bench-quality: $(STAMP) ## dependence structure vs the noise floor and GaussianCopula (needs bench-sdv-env) -> bench/results/quality.md
	$(BIN)/python -m bench.quality

bench-workflow: $(STAMP) ## run() -> shuffled() latency on the embedded server -> bench/results/workflow.md
	$(BIN)/python -m bench.workflow

bench-load: $(STAMP) ## API under load (status polls, job lists) during an avatarization -> bench/results/load.md
	$(BIN)/python -m bench.load

bench-roles: $(STAMP) ## upload of 1M rows with and without column-role detection -> bench/results/roles.md
	$(BIN)/python -m bench.roles


bench-wide-categories: $(STAMP) ## wide categorical columns end to end -> bench/results/wide-categories.md
	$(BIN)/python -m bench.wide_categories

bench-linked: $(STAMP) ## linked tables (clinic; 100k x 300k) vs SDV HMASynthesizer -> bench/results/linked.md
	$(BIN)/python -m bench.linked

bench-series: $(STAMP) ## time series (sensors; 100k x 50) vs SDV PARSynthesizer -> bench/results/series.md
	$(BIN)/python -m bench.series

bench-official-env: ## separate venv bench/.venv-official with the official client (octopize-avatar 1.30.x, Python >= 3.12)
	bash bench/setup-official.sh

bench-processors: $(STAMP) bench-official-env ## client-side processors vs the official client's, 100k and 1M rows -> bench/results/processors.md
	$(BIN)/python -m bench.processors

bench-scale: $(STAMP) ## 100k-10M rows on local workers and on PostgreSQL + S3 + Dask (~20 min) -> bench/results/scale.md
	$(BIN)/python -m bench.scale
