#!/usr/bin/env bash
# Installs the JWT libraries the adapters of this folder wrap, pinned, locally and idempotently:
#   PyJWT (requirements.txt)            into adapters/jwt/.venv       (python3 -m venv + pip)
#   jsonwebtoken, jose (package-lock)   into adapters/jwt/node_modules (npm ci)
# The one entry point for these packages: the tests (cli/tests/jwt_libs.rs) and CI call it. A second run with
# nothing changed does nothing (each part keeps a stamp of the pin file it installed from).
# Needs python3 with venv (Debian: python3-venv), node >= 18 (Debian 12 ships 18) and npm (Debian: nodejs, npm).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

need() {
    command -v "$1" >/dev/null 2>&1 || { echo "install.sh: $1 not found; install the Debian package $2" >&2; exit 1; }
}
need python3 "python3 python3-venv"
need node nodejs
need npm npm

# Python: a virtualenv with exactly requirements.txt.
if ! cmp -s requirements.txt .venv/.installed-requirements 2>/dev/null; then
    if [ ! -x .venv/bin/python ]; then
        python3 -m venv .venv || { echo "install.sh: python3 -m venv failed; install the Debian package python3-venv" >&2; exit 1; }
    fi
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-input -r requirements.txt
    cp requirements.txt .venv/.installed-requirements
fi

# Node: node_modules exactly as package-lock.json says (npm ci refuses a lock that disagrees with package.json).
if ! cmp -s package-lock.json node_modules/.installed-lock 2>/dev/null; then
    if [ -f package-lock.json ]; then
        npm ci --no-audit --no-fund --loglevel=error
    else
        npm install --no-audit --no-fund --loglevel=error  # first time only: writes package-lock.json (commit it)
    fi
    cp package-lock.json node_modules/.installed-lock
fi
echo "adapters/jwt: PyJWT $(.venv/bin/python -c 'import jwt; print(jwt.__version__)'), jsonwebtoken $(node -p 'require("./node_modules/jsonwebtoken/package.json").version'), jose $(node -p 'require("./node_modules/jose/package.json").version')"
