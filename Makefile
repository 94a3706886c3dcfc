# Two commands for everything: `make html` builds the website, `make test` runs the whole suite.
# Both create the virtual environment .venv and install the pinned requirements when missing.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt pyproject.toml | cksum | cut -d' ' -f1)
JOBS   ?= 2
CHROMIUM ?= /usr/bin/chromium
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: html html-offline browser test bench serve lab notebooks check-notebooks clean

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

## test: build the website, then run unit, property, doctest, notebook (nbval) and browser tests
test: html browser
	$(PY) -m pytest -n $(JOBS) --dist loadscope

## bench: time anchorlib against the memory-bandwidth limit; writes benchmarks/results.json (not a test)
bench: $(STAMP)
	$(PY) benchmarks/run.py --suite

## serve: preview the built website on http://127.0.0.1:8000
serve: $(STAMP)
	$(PY) -m http.server 8000 --bind 127.0.0.1 --directory _build/html

## lab: open the chapters in JupyterLab (as root too: --allow-root when uid is 0)
LAB_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
lab: $(STAMP)
	$(VENV)/bin/jupyter lab $(LAB_ROOT) book/

## notebooks: re-execute every chapter in place, top to bottom in a fresh kernel (after editing one)
notebooks: $(STAMP)
	$(PY) tools/notebooks.py run book/*.ipynb

## check-notebooks: fail if any stored output (figures included) differs from a fresh run
check-notebooks: $(STAMP)
	$(PY) tools/notebooks.py check book/*.ipynb

clean:
	rm -rf _build .pytest_cache .hypothesis
