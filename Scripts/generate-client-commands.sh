#!/bin/sh
# Regenerates Sources/RedstartClient/Generated/Commands+<Group>.swift from the COMMAND DOCS in GeneratedCommandCatalog.swift; extra arguments (--check) go to the generator.
cd "$(dirname "$0")/.." && exec python3 Scripts/generate-client-commands.py "$@"
