# juanji: `make lab` to open the notebooks, `make test` to check everything.
# See README.md. Every target first runs kernels/install.sh, which does
# nothing (in seconds) when all is already set up.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Where `make lab` listens: loopback unless you ask otherwise on the command line
# (`make lab LAB_HOST=0.0.0.0`); a HOST variable in the environment is not used. The token
# is random unless JUPYTER_TOKEN is set.
LAB_HOST ?= 127.0.0.1
PORT ?= 8888
# Notebooks `make test` executes (all by default).
NOTEBOOKS ?= $(wildcard notebooks/*.ipynb)

.PHONY: help install lab test test-full vet go-test go-test-full notebooks notebooks-full e2e

help:
	@echo "make lab        set up (kernels/install.sh), then start Jupyter on notebooks/ at http://$(LAB_HOST):$(PORT)"
	@echo "make test       set up, go vet, go test -short, then run every notebook in quick mode and check its outputs"
	@echo "make test-full  the same with the long Go tests and full-size notebooks (slow)"
	@echo "make install    only the set-up: GoNB kernel, goimports, gopls, Jupyter"
	@echo "make e2e        open 00_hello and 01_lenet_mnist (quick) in headless Chromium on a real Jupyter server, Run All, check the pages"

install:
	@kernels/install.sh

# JupyterLab when it is installed, else the classic Notebook (Debian's). JUPYTER_CONFIG_PATH adds
# kernels/notebook-config: the classic Notebook's editor then draws Go's tabs as indentation,
# not as arrows (your own ~/.jupyter settings still come first).
lab: install
	@set -euo pipefail; \
	token=$${JUPYTER_TOKEN:-$$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}; \
	if jupyter lab --version >/dev/null 2>&1; then app=lab; cfg=ServerApp; else app=notebook; cfg=NotebookApp; fi; \
	args=(--no-browser --ip="$(LAB_HOST)" --port="$(PORT)" --$$cfg.port_retries=0); \
	if [[ $$(id -u) == 0 ]]; then args+=(--allow-root); fi; \
	echo; \
	echo "  Jupyter $$app on notebooks/ -- open:  http://$(LAB_HOST):$(PORT)/?token=$$token"; \
	echo "  (Ctrl-C to stop; PORT=8890 make lab for another port)"; \
	echo; \
	cd notebooks && JUPYTER_TOKEN="$$token" \
		JUPYTER_CONFIG_PATH="$(CURDIR)/kernels/notebook-config$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
		exec jupyter $$app "$${args[@]}"

test: install vet go-test notebooks e2e

test-full: install vet go-test-full notebooks-full e2e

vet:
	go vet ./...

go-test:
	go test -short ./...
	@# The engine once more on its pure-Go kernels, as on CPUs without AVX2:
	JUANJI_GEMM=generic go test -short -count=1 ./pkg/gocpu/...
	@# The fault-injection suite's summary (hidden above when it passes):
	@set -o pipefail; go test -short -v ./internal/faults | grep -E '^(faults|security):'

go-test-full:
	go test ./...

notebooks: install
	@JUANJI_QUICK=1 kernels/run-notebooks.sh $(NOTEBOOKS)

notebooks-full: install
	@JUANJI_QUICK=0 kernels/run-notebooks.sh $(NOTEBOOKS)

# End to end in a real browser: Jupyter + GoNB + headless Chromium (playwright-core).
# Installs Chromium (apt-get) and e2e/node_modules (npm ci) when missing.
e2e: install
	@e2e/run.sh
