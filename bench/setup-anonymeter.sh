#!/usr/bin/env bash
# Separate environment for the anonymeter cross-check used by `make bench-attacks`.
#
# anonymeter pins numpy < 1.27 (and an older pandas), which may not enter the project's .venv
# (numpy 2, pandas 3 there), and those pins have wheels only for Pythons up to 3.12: the venv is
# built with a pyenv 3.11 or 3.12 unless PYTHON names another interpreter.
#
#     bench/setup-anonymeter.sh          # creates bench/.venv-anonymeter (gitignored: bench/.venv-*/)
#     PYTHON=python3.12 bench/setup-anonymeter.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-anonymeter"
anonymeter_version="1.1.0"

python="${PYTHON:-}"
if [[ -z "$python" ]]; then
    for candidate in /root/.pyenv/versions/3.11*/bin/python /root/.pyenv/versions/3.12*/bin/python \
        python3.11 python3.12; do
        if command -v "$candidate" >/dev/null 2>&1; then
            python="$candidate"
            break
        fi
    done
fi
if [[ -z "$python" ]]; then
    echo "setup-anonymeter: no Python 3.11 or 3.12 found; set PYTHON=/path/to/python3.11" >&2
    exit 1
fi
minor="$("$python" -c 'import sys; print(sys.version_info[1])')"
if [[ "$minor" -lt 9 || "$minor" -gt 12 ]]; then
    echo "setup-anonymeter: $python is 3.$minor; anonymeter's numpy < 1.27 needs 3.9-3.12" >&2
    exit 1
fi

if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip)
"${pip[@]}" install -q --upgrade pip
"${pip[@]}" install -q "anonymeter==$anonymeter_version" pyarrow

"$venv/bin/python" - <<'PY'
import importlib.metadata as md

print("setup-anonymeter: ready:", ", ".join(f"{p} {md.version(p)}" for p in ("anonymeter", "pandas", "numpy", "scikit-learn")))
PY
