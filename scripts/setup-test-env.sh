#!/usr/bin/env bash
# Installs what the integration tests start on loopback: moto (PyPI, into ./.venv), LocalStack
# (PyPI, into ./.venv-localstack, on Python 3.13), redis-server and postgresql (Debian), and
# cfn-lint (PyPI, into ./.venv-cfn-lint). fauxqs comes from npm
# with the other dev dependencies. Idempotent and quiet when everything is in place, so `npm test`
# runs it every time.
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

# LocalStack 4.14.0 needs Python 3.13 (with 3.11 it fails to start). pyenv's shim for python3.13
# exists even when 3.13 is not the selected version, and then fails: check that it runs.
find_python313() {
  local candidate
  for candidate in "$(command -v python3.13 || true)" \
    "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python3.13 /usr/bin/python3.13; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] &&
      "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

ls_requirements=libs/emulators/localstack/requirements.txt
ls_version=4.14.0
ls_stamp=.venv-localstack/.requirements.sha256
ls_want="$(sha256sum "$ls_requirements" | cut -d' ' -f1) localstack-core==$ls_version"
if [ ! -x .venv-localstack/bin/python ] || [ "$(cat "$ls_stamp" 2>/dev/null)" != "$ls_want" ]; then
  python313=$(find_python313) || {
    echo "setup-test-env: LocalStack needs Python 3.13 (python3.13 on PATH or under pyenv)" >&2
    exit 1
  }
  echo "setup-test-env: installing LocalStack $ls_version into .venv-localstack ($python313)" >&2
  rm -rf .venv-localstack
  "$python313" -m venv .venv-localstack
  pip=(.venv-localstack/bin/pip install --quiet --disable-pip-version-check)
  # Its own pins first, then the package alone: a resolver would pick newer, incompatible ones.
  "${pip[@]}" -r "$ls_requirements"
  "${pip[@]}" --no-deps "localstack-core==$ls_version"
  echo "$ls_want" > "$ls_stamp"
fi
# The service catalog index, built once as LocalStack's Docker image does at build time;
# startLocalStack links this folder into each run's file system (else each run builds it anew).
ls_static=.venv-localstack/filesystem/usr/lib/localstack
if ! compgen -G "$ls_static/service-catalog-*.dill" >/dev/null; then
  mkdir -p "$ls_static"
  FILESYSTEM_ROOT="$PWD/.venv-localstack/filesystem" OVERRIDE_IN_DOCKER=0 \
    .venv-localstack/bin/python -W ignore -m localstack.aws.spec
fi

# cfn-lint (PyPI) for the CLI's CloudFormation templates, in a virtualenv of its own: its
# dependencies (jsonschema, aws-sam-translator, …) stay out of moto's.
lint_requirements=libs/emulators/cfn-lint/requirements.txt
lint_stamp=.venv-cfn-lint/.requirements.sha256
lint_want=$(sha256sum "$lint_requirements" | cut -d' ' -f1)
if [ ! -x .venv-cfn-lint/bin/cfn-lint ] || [ "$(cat "$lint_stamp" 2>/dev/null)" != "$lint_want" ]; then
  echo "setup-test-env: installing cfn-lint into .venv-cfn-lint" >&2
  python3 -m venv .venv-cfn-lint
  .venv-cfn-lint/bin/pip install --quiet --disable-pip-version-check -r "$lint_requirements"
  echo "$lint_want" > "$lint_stamp"
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

# PostgreSQL for the outbox tests: libs/emulators starts a throwaway cluster (initdb) from these
# binaries, so only the server package is needed; no cluster is created or started here.
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && ! command -v initdb >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup-test-env: PostgreSQL is missing; install Debian's postgresql package (needs root)" >&2
    exit 1
  fi
  echo "setup-test-env: installing postgresql" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
