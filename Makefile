# Two commands on a fresh machine (Python 3.11, make, git):
#   make demo   set up .venv if needed, then run the most complete pipeline
#   make test   set up .venv if needed, then run the whole test suite
# Also: make bazel-test (needs Debian's bazel-bootstrap; .ci/run installs it).

PYTHON ?= python3
VENV ?= .venv
STAMP := $(VENV)/.requirements-installed

.PHONY: demo test bazel-test venv clean

venv: $(STAMP)

$(STAMP): requirements.txt
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/python -m pipeline.demo_main --output_dir=out/demo

# One pytest worker per core (at most 4), a test file's tests on one worker.
# A single file still runs serially: .venv/bin/python -m pytest tests/x.py
test: $(STAMP)
	$(VENV)/bin/python -m pytest -n auto --maxprocesses=4 --dist=loadfile

bazel-test: $(STAMP)
	bash .ci/bazel_test.sh $(VENV)

clean:
	rm -rf out
