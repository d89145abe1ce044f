#!/usr/bin/env bash
# Build the API reference of the sim package from its docstrings (pdoc) into docs/api/,
# or into the folder given: scripts/api_docs.sh [OUT_DIR]. Open docs/api/index.html.
# Every module is named: sim's __all__ lists names, not modules, so pdoc would not find them itself.
source "$(dirname "$0")/_python.sh"
out="${1:-docs/api}"
modules=$(.venv/bin/python -c 'import pkgutil, sim; print(" ".join(["sim"] + [m.name for m in pkgutil.walk_packages(sim.__path__, "sim.")]))')
# shellcheck disable=SC2086  # one word per module
exec .venv/bin/python -W ignore -m pdoc --docformat google --no-show-source --output-directory "$out" $modules
