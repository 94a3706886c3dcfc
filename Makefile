# Two commands for everything: `make html` builds the website, `make test` runs the whole suite.
# Both create the virtual environment .venv and install the pinned requirements when missing.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt pyproject.toml | cksum | cut -d' ' -f1)
JOBS   ?= 2

.PHONY: html test serve lab notebooks check-notebooks clean

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

## test: build the website, then run unit, property, doctest, notebook (nbval) and site tests
test: html
	$(PY) -m pytest -n $(JOBS) --dist loadscope

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

clean:
	rm -rf _build .pytest_cache .hypothesis
