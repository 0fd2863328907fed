# The README's two commands: `make demo` and `make test`. Both set everything up on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
BUILD := $(CURDIR)/.build
# ansible-playbook, ansible-doc and pytest import the collection through this link;
# ansible-test needs a real copy (it resolves symlinks and must run inside ansible_collections/junos/ztp).
COLLECTIONS := $(BUILD)/collections
LINK := $(COLLECTIONS)/ansible_collections/junos/ztp
# ansible-test skips every file when a directory above the collection is hidden (.build), so its copy lives in TMPDIR.
SANITY_COPY := $(or $(TMPDIR),/tmp)/junos-ztp-sanity/ansible_collections/junos/ztp
ANSIBLE_TEST_PIP := 24_2

export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH := false
export PYTHONPATH := $(CURDIR)/tests:$(COLLECTIONS)

.PHONY: help setup demo test sanity units wire lint docs clean test-containers

help:
	@echo "make demo   - run the main job end to end against the simulated Virtual Chassis"
	@echo "make test   - sanity, unit, over-the-wire and lint tests"
	@echo "make test-containers - the simulator's container image and the molecule scenario 'containers' (podman)"

$(VENV)/.installed: requirements.txt requirements-dev.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(BUILD)/.debian: tools/install-debian-packages.sh
	bash tools/install-debian-packages.sh
	mkdir -p $(BUILD) && touch $@

$(LINK):
	mkdir -p $(dir $@)
	ln -sfn $(CURDIR) $@

setup: $(VENV)/.installed $(BUILD)/.debian $(LINK)

demo: setup
	$(PY) tools/demo.py

test: setup sanity units wire lint

units: setup
	$(PY) -m pytest -q tests/unit

wire: setup
	$(PY) -m pytest -q tests/wire

# Not part of `make test`: building the image and running the scenario add minutes it has no room for (docs/testing.md).
test-containers: setup
	$(PY) -m pytest -q tests/containers

sanity: setup
	mkdir -p $(HOME)/.ansible/test/cache
	cp tools/get_pip_offline.py $(HOME)/.ansible/test/cache/get_pip_$(ANSIBLE_TEST_PIP).py
	rm -rf $(SANITY_COPY) && mkdir -p $(SANITY_COPY)
	git ls-files -co --exclude-standard -z | rsync -a --from0 --files-from=- ./ $(SANITY_COPY)/
	cd $(SANITY_COPY) && $(VENV)/bin/ansible-test sanity --venv --python 3.11 --color no

lint: setup
	# ansible-lint wants its own bin on PATH and collections found on sys.path like a user install.
	env -u ANSIBLE_COLLECTIONS_SCAN_SYS_PATH PATH=$(VENV)/bin:$$PATH $(VENV)/bin/ansible-lint --offline --profile production

docs: setup
	$(PY) tools/render_data_model_docs.py

clean:
	rm -rf $(BUILD) tests/output
