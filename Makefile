# edgefed: two commands do everything on a fresh machine.
#   make demo   the main job on the example federation
#   make test   the whole suite (lint, types, layering, unit, integration)
.PHONY: demo test unit venv lint plan stacks bench clean
# Recipes are bash (scripts/env.sh, sourced by the scripts, is bash).
SHELL := /bin/bash

venv:
	@scripts/setup-venv
	@scripts/setup-venv policies/eu-residency/.venv -e .

demo: venv
	@scripts/demo

test: venv
	@scripts/test

lint: venv
	@.venv/bin/ruff check components tests scripts policies
	@.venv/bin/ruff format --check components tests scripts policies
	@.venv/bin/mypy
	@.venv/bin/lint-imports

unit: venv
	@.venv/bin/python -m pytest -q -m "not engine and not s3"

plan: venv
	@.venv/bin/edgefed plan

stacks: venv
	@.venv/bin/edgefed render

bench: venv
	@.venv/bin/edgefed bench
	@.venv/bin/edgefed bench --federation
	@scripts/bootstrap --quiet && .venv/bin/edgefed bench --preview acme-fr

clean:
	rm -rf .venv .tools .state
