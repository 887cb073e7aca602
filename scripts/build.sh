#!/bin/sh
# Builds the platform for production: what the Dockerfile runs, and what
# tests/production/test_production_shape.py runs against a throwaway STATIC_ROOT.
#
#   BUILD_INSTALL=0   skip `pip install .` (the package is already installed, e.g. a dev venv)
#   PYTHON            the interpreter (default: python)
#   STATIC_ROOT       where collectstatic writes (default: the settings' staticfiles/)
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python}"

if [ "${BUILD_INSTALL:-1}" = "1" ]; then
    "$PYTHON" -m pip install --no-cache-dir .
fi

# Production settings (DEBUG=0), so that collectstatic uses whitenoise's manifest storage and
# writes staticfiles.json: without it every {% static %} fails with "Missing staticfiles manifest
# entry". Nothing here signs or stores anything, so a throwaway key is enough for the build.
export DEBUG=0
export SECRET_KEY="${SECRET_KEY:-build-only-not-used-at-runtime}"
"$PYTHON" manage.py compilemessages --ignore '.venv/*'
"$PYTHON" manage.py collectstatic --noinput --clear
test -s "${STATIC_ROOT:-staticfiles}/staticfiles.json"
