#!/usr/bin/env bash
# Optional set-up for the bench's peer section (`cargo run --release -p bench -- --peer`):
# installs httpbin, gunicorn and gevent from PyPI into a venv under the
# cargo target directory. The bench starts and stops gunicorn itself, on
# 127.0.0.1 only. Nothing else on the machine changes; delete the venv to undo.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
target="${CARGO_TARGET_DIR:-$here/../target}"
venv="$target/peer-venv"
python="${PYTHON:-python3}"

if ! command -v "$python" >/dev/null 2>&1; then
    echo "error: $python not found: install Python 3 or set PYTHON=/path/to/python3" >&2
    exit 1
fi

mkdir -p "$target"
echo "creating $venv with $("$python" --version 2>&1)"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet httpbin gunicorn packaging
# gunicorn's gevent worker needs gevent >= 24.10.1, which needs greenlet 3;
# httpbin 0.10 declares greenlet < 3 on Python < 3.12 (for its own optional
# gevent use), so pip cannot resolve both at once. Installed in a second step,
# httpbin's /delay works fine with it; pip prints a conflict warning.
"$venv/bin/python" -m pip install --quiet 'gevent>=24.10.1' 2>&1 | grep -v -i -e 'dependency resolver' -e 'incompatible' || true
"$venv/bin/python" -c 'import httpbin, gunicorn, gevent, packaging, gunicorn.workers.ggevent; print("httpbin", getattr(httpbin, "__version__", "?"), "gunicorn", gunicorn.__version__, "gevent", gevent.__version__)'
echo "peer venv ready: $venv"
echo "run: cargo run --release -p bench -- --peer   (or --only peer)"
