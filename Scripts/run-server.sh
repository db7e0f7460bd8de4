#!/usr/bin/env bash
# Builds and starts redstart-server (release build) on its defaults, installing the
# system libraries the build needs first. Arguments go to the server.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-build-deps.sh
# The flag builds every module, SwiftNIO's too, without Swift's dynamic exclusivity checks
# (ARCHITECTURE.md, "Decisions"): 7% fewer instructions per EVALSHA at pipeline depth 1.
exec swift run -c release -Xswiftc -enforce-exclusivity=unchecked redstart-server "$@"
