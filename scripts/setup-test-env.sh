#!/usr/bin/env bash
# Installs what the integration tests start on loopback: moto (PyPI, into ./.venv) and
# redis-server (Debian). fauxqs comes from npm with the other dev dependencies. Idempotent and
# quiet when everything is in place, so `npm test` runs it every time.
set -euo pipefail
cd "$(dirname "$0")/.."

requirements=libs/emulators/requirements.txt
stamp=.venv/.requirements.sha256
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ ! -x .venv/bin/moto_server ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup-test-env: installing moto into .venv" >&2
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$want" > "$stamp"
fi

if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup-test-env: redis-server is missing; install Debian's redis-server package (needs root)" >&2
    exit 1
  fi
  echo "setup-test-env: installing redis-server" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends redis-server >/dev/null
fi
