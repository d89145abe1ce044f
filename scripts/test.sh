#!/usr/bin/env bash
# Set up .venv (first time) and run the whole test suite.
source "$(dirname "$0")/_python.sh"
exec .venv/bin/python -m pytest -q "$@"
