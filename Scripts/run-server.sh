#!/usr/bin/env bash
# Builds and starts redstart-server (release build) on its defaults, installing the
# system libraries the build needs first. Arguments go to the server.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-build-deps.sh
exec swift run -c release redstart-server "$@"
