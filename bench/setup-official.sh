#!/usr/bin/env bash
# Separate environment for the official client (octopize-avatar 1.30.x), the peer of
# `make bench-processors`. The official client pins its own dependencies, which must not enter the
# project's .venv; its code is only installed here, never copied into the repository.
#
#     bench/setup-official.sh            # creates bench/.venv-official (gitignored: bench/.venv-*/)
#     OFFICIAL_PYTHON=python3.13 bench/setup-official.sh   # the client needs Python >= 3.12
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-official"
version="${OFFICIAL_VERSION:-1.30.*}"
python="${OFFICIAL_PYTHON:-}"
if [[ -z "$python" ]]; then
    # 1.30 requires Python >= 3.12; the project's own may be older (3.11 here): take the first
    # 3.12/3.13 found (pyenv's, then the PATH's).
    for candidate in /root/.pyenv/versions/3.12*/bin/python /root/.pyenv/versions/3.13*/bin/python \
        python3.12 python3.13; do
        if command -v "$candidate" >/dev/null 2>&1; then
            python="$candidate"
            break
        fi
    done
fi
if [[ -z "$python" ]]; then
    echo "setup-official: no Python >= 3.12 found; set OFFICIAL_PYTHON=/path/to/python3.12" >&2
    exit 1
fi

if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip)
# -I: the repository's own ``avatars`` (the current directory) must not answer for the official one.
if ! "$venv/bin/python" -I -c "import avatars.processors, pyarrow" 2>/dev/null; then
    "${pip[@]}" install -q --upgrade pip
    "${pip[@]}" install -q "octopize-avatar==$version" pyarrow
fi
"$venv/bin/python" -I - <<'PY'
import importlib.metadata as md
import platform

packages = ("octopize-avatar", "pandas", "numpy", "pyarrow")
print(
    f"setup-official: ready (Python {platform.python_version()}):",
    ", ".join(f"{p} {md.version(p)}" for p in packages),
)
PY
