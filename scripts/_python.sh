# Sourced by the other scripts: creates .venv with a Python >= 3.12 and installs the project.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
find_python() {
  for cand in "${PYTHON:-}" python3.13 python3.12 python3 python \
              "$HOME"/.pyenv/versions/3.13*/bin/python3 "$HOME"/.pyenv/versions/3.12*/bin/python3; do
    [ -n "$cand" ] || continue
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      command -v "$cand"; return 0
    fi
  done
  echo "error: no Python >= 3.12 found on PATH (set PYTHON=/path/to/python3.12)" >&2
  return 1
}
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
  rm -rf .venv
  "$(find_python)" -m venv .venv
fi
if ! .venv/bin/python -c 'import sim, pytest, hypothesis, playwright' 2>/dev/null || [ pyproject.toml -nt .venv/.installed ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
  touch .venv/.installed
fi
