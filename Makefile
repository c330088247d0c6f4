# The two commands of the README:
#   make run    install, build the embedded graph from data/, open the app
#   make test   install, then run the whole test suite (starts a real Neo4j when needed)
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: run test install build lint neo4j-start neo4j-stop bench clean

$(STAMP): requirements.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

build: $(STAMP)
	$(BIN)/python -m graph build

run: build
	$(BIN)/streamlit run app.py --server.headless true --browser.gatherUsageStats false

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

neo4j-start: $(STAMP)
	$(BIN)/python tools/neo4j/server.py start

neo4j-stop:
	$(BIN)/python tools/neo4j/server.py stop

bench: $(STAMP)
	$(BIN)/python bench/load.py

clean:
	rm -rf var/graph.lbdb* .pytest_cache
