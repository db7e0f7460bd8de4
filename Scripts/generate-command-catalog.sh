#!/bin/sh
# Regenerates Sources/RedstartEngine/Commands/Generated/GeneratedCommandCatalog.swift from a temporary redis-server 7.0.15 on a free port; extra arguments go to the generator.
cd "$(dirname "$0")/.." || exit 1; port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'); redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --loglevel warning >/dev/null & pid=$!; python3 Scripts/generate-command-catalog.py --port "$port" --wait 10 "$@"; status=$?; kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; exit $status
