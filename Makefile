# Everything a developer or CI runs. `make test` and `make preview` set up what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LOCALES := templates/locales
CATALOGS := $(wildcard $(LOCALES)/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)
HOST ?= 127.0.0.1
PORT ?= 8025
ARCH ?= x86_64
LAMBDA_PYTHON ?= 3.13

.PHONY: setup test lint typecheck pytest check preview translations extract compile snapshots system-deps clean package lock

BOTODATA := sender/data/botocore.json
SKELETONS := sender/data/skeletons/.built
TEMPLATE_FILES := $(shell find templates -type f -not -name '*.mo' 2>/dev/null)
RENDER_CODE := $(wildcard sender/render.py sender/values.py sender/templating.py sender/skeletons.py sender/model.py sender/i18n.py sender/brand.py sendertools/prebuild.py sendertools/samples.py)

setup: $(STAMP) $(COMPILED) $(BOTODATA) $(SKELETONS)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

# Compiled catalogs are build products: never committed, never edited by hand.
$(LOCALES)/%/LC_MESSAGES/messages.mo: $(LOCALES)/%/LC_MESSAGES/messages.po | $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d $(LOCALES) -D messages -l $* 

compile: $(COMPILED)

# botocore's endpoints and models trimmed to the sender's operations (faster clients); a build
# product like the catalogs, remade whenever the installed packages change.
$(BOTODATA): $(STAMP) sender/botosession.py sendertools/prebuild.py
	$(BIN)/python -m sendertools.prebuild botocore $@

# Every sample's email shape rendered ahead of time in every locale (sendertools/prebuild.py), so
# a cold start needs neither Jinja2 nor MJML; remade when templates, catalogs or packages change.
$(SKELETONS): $(STAMP) $(COMPILED) $(TEMPLATE_FILES) $(RENDER_CODE)
	$(BIN)/python -m sendertools.prebuild skeletons $(@D)
	touch $@

# Extract every string from the templates, merge it into each catalog, compile.
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output -w 100 -o $(LOCALES)/messages.pot templates
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-pot-creation-date -w 100 -i $(LOCALES)/messages.pot -d $(LOCALES) -D messages
	$(BIN)/pybabel compile -d $(LOCALES) -D messages

system-deps:
	bash scripts/system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint infra/template.yaml

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: setup system-deps
	$(BIN)/pytest

check: setup
	$(BIN)/cognito-sender check

test: setup system-deps lint typecheck check pytest

snapshots: setup
	$(BIN)/pytest tests/snapshots --snapshot-update

preview: setup
	$(BIN)/cognito-sender preview --host $(HOST) --port $(PORT)

# The Lambda zip that infra/template.yaml deploys (build/lambda.zip); see infra/README.md.
package: setup
	$(BIN)/cognito-sender package --arch $(ARCH) --python $(LAMBDA_PYTHON)

# Pins the bundle's runtime closure (locks/lambda-$(ARCH)-py$(LAMBDA_PYTHON).txt: versions and
# wheel hashes, resolved for Lambda's platform, not this machine's); run after changing
# [project].dependencies, commit the result. `make package` installs exactly that lock.
lock: setup
	$(BIN)/cognito-sender package --arch $(ARCH) --python $(LAMBDA_PYTHON) --update-lock

clean:
	rm -rf $(VENV) build dist *.egg-info $(COMPILED) $(BOTODATA) sender/data/skeletons
