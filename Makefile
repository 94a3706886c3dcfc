# Two commands for everything: `make html` builds the website, `make test` runs the whole suite
# (`make unit` is the quick loop: library tests and doctests, no notebooks, no browser).
# Both create the virtual environment .venv and install the pinned requirements when missing.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt pyproject.toml | cksum | cut -d' ' -f1)
JOBS   ?= 2
CHROMIUM ?= /usr/bin/chromium
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: html html-offline browser test unit lint bench serve lab notebooks check-notebooks clean conformance

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

## html: build the website into _build/html (warnings are errors; every notebook is re-executed)
html: $(STAMP)
	$(VENV)/bin/jupyter-book build --all -W -n --keep-going .
	@echo "Website built: open _build/html/index.html (or run 'make serve')"

## html-offline: the same site, checked to need no network (MathJax is served locally in every build)
html-offline: html
	@! grep -rlE '<(script|img|iframe|link)[^>]+(src|href)="(https?:)?//' _build/html --include='*.html' \
	  || { echo "^ these pages load something from the network"; exit 1; }
	@echo "Offline site in _build/html: copy the folder, then 'make serve' (or any static web server)"

## browser: install Debian's Chromium (and a CJK font for the glossary) for the browser test; no-op when present
browser:
	@if [ -x $(CHROMIUM) ] && fc-list :lang=zh 2>/dev/null | grep -q .; then echo "browser test: $(CHROMIUM) present"; \
	else $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y chromium fonts-wqy-microhei; fi

## test: build the website (which executes every chapter once), lint, then run every test: unit,
## property, doctest, stored outputs against the build's execution, and the browser test
test: html browser lint
	$(PY) -m pytest -n $(JOBS) --dist loadscope

## unit: the quick loop (under a minute on two cores): library tests and doctests, no notebooks, no browser
unit: $(STAMP)
	$(PY) -m pytest -m "not slow" -n $(JOBS) --dist loadscope

## lint: ruff (pyflakes, pycodestyle, import order, bugbear; configured in pyproject.toml)
lint: $(STAMP)
	$(VENV)/bin/ruff check .

## bench: time anchorlib against floors measured in the same run, and beside the peer libraries when the
## conformance environment exists (ANCHORLIB_PEERS_PYTHON, sources in SOURCES); writes benchmarks/results.json
bench: $(STAMP)
	$(PY) benchmarks/run.py --suite --peers

## serve: preview the built website on http://127.0.0.1:8000
serve: $(STAMP)
	$(PY) -m http.server 8000 --bind 127.0.0.1 --directory _build/html

## lab: open the chapters in JupyterLab
lab: $(STAMP)
	$(VENV)/bin/jupyter lab book/

## notebooks: re-execute every chapter in place, top to bottom in a fresh kernel (after editing one)
notebooks: $(STAMP)
	$(PY) tools/notebooks.py run book/*.ipynb

## check-notebooks: fail if any stored output (figures included) differs from a fresh run
check-notebooks: $(STAMP)
	$(PY) tools/notebooks.py check book/*.ipynb

# ---- conformance: goldens made by running the real libraries (not part of `make test`) ----------
CONFORMANCE_VENV  ?= .venv-conformance
SOURCES           ?= sources
CONFORMANCE_BUILD ?= .conformance-build
CPY               := $(CONFORMANCE_VENV)/bin/python
CONFORMANCE_STAMP := $(CONFORMANCE_VENV)/.installed-$(shell cat tools/conformance/requirements.txt | cksum | cut -d' ' -f1)
MMCV_SDIST_SHA256 := d387bcab66b467479b6660310e23746cfc79c6e57acf04094680adb499a5cd3f
CONFORMANCE_SCRIPTS = $(filter-out tools/conformance/_%,$(wildcard tools/conformance/*.py))
CONFORMANCE_TF_VENV ?= .venv-conformance-tf
CONFORMANCE_TF_STAMP := $(CONFORMANCE_TF_VENV)/.installed-$(shell cat tools/conformance/requirements-tf.txt | cksum | cut -d' ' -f1)

$(CONFORMANCE_TF_STAMP): tools/conformance/requirements-tf.txt
	@test -x $(CONFORMANCE_TF_VENV)/bin/python || $(PYTHON) -m venv $(CONFORMANCE_TF_VENV)
	$(CONFORMANCE_TF_VENV)/bin/python -m pip install --quiet -r tools/conformance/requirements-tf.txt
	$(CONFORMANCE_TF_VENV)/bin/python -m pip install --quiet --no-deps keras-retinanet==1.0.0
	@rm -f $(CONFORMANCE_TF_VENV)/.installed-*
	@touch $@

$(CONFORMANCE_STAMP): tools/conformance/requirements.txt
	@test -x $(CPY) || $(PYTHON) -m venv $(CONFORMANCE_VENV)
	$(CPY) -m pip install --quiet --upgrade pip
	$(CPY) -m pip install --quiet -r tools/conformance/requirements.txt
	@# mmcv 2.1.0 from its source release without compiled ops. Its setup.py needs pkg_resources
	@# (setuptools < 81) and, to report the name `mmcv` when downloading, MMCV_WITH_OPS=1.
	$(CPY) -m pip install --quiet setuptools==69.5.1
	rm -rf $(CONFORMANCE_BUILD)/mmcv && mkdir -p $(CONFORMANCE_BUILD)/mmcv
	MMCV_WITH_OPS=1 $(CPY) -m pip download --quiet --no-deps --no-build-isolation --no-binary :all: mmcv==2.1.0 -d $(CONFORMANCE_BUILD)/mmcv
	echo "$(MMCV_SDIST_SHA256)  $(CONFORMANCE_BUILD)/mmcv/mmcv-2.1.0.tar.gz" | sha256sum -c -
	MMCV_WITH_OPS=0 $(CPY) -m pip install --quiet --no-build-isolation $(CONFORMANCE_BUILD)/mmcv/mmcv-2.1.0.tar.gz
	$(CPY) -m pip install --quiet -r tools/conformance/requirements.txt
	$(CPY) -m pip install --quiet --no-deps keras-retinanet==1.0.0
	@rm -f $(CONFORMANCE_VENV)/.installed-*
	@touch $@

## conformance: regenerate tests/conformance/ goldens with the real libraries (SOURCES=dir of git snapshots; tools/conformance/README.md)
conformance: $(CONFORMANCE_STAMP) $(CONFORMANCE_TF_STAMP)
	@test -d $(SOURCES) || { echo "conformance: SOURCES=$(SOURCES) is not a directory (see tools/conformance/README.md)"; exit 2; }
	@for script in $(CONFORMANCE_SCRIPTS); do \
	  module=$$(basename $$script .py); echo "== $$module"; \
	  SOURCES=$(abspath $(SOURCES)) CONFORMANCE_BUILD=$(abspath $(CONFORMANCE_BUILD)) \
	  CONFORMANCE_TF_PYTHON=$(abspath $(CONFORMANCE_TF_VENV))/bin/python \
	    $(CPY) -W ignore -m tools.conformance.$$module || exit 1; \
	done

clean:
	rm -rf _build .pytest_cache .hypothesis
