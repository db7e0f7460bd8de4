#!/usr/bin/env bash
# Builds RedstartClient's DocC documentation into .build/docs/RedstartClient.doccarchive
# (static hosting layout: serve the folder and open /documentation/redstartclient/).
# Symbol graphs come from `swift package dump-symbol-graph`, which reuses the ordinary debug
# build (no swift-docc-plugin needed); docc is the toolchain's. Without docc it says so
# and exits 0. --check: any DocC warning (an unresolved symbol link, a bad topic) fails.
# On a shared machine run it under the build lock: flock /tmp/swift-build.lock Scripts/build-docs.sh
set -euo pipefail
cd "$(dirname "$0")/.."

check=()
[ "${1:-}" = "--check" ] && check=(--warnings-as-errors)

docc="${DOCC:-$(command -v docc || true)}"
if [ -z "$docc" ] && [ -x "$(dirname "$(readlink -f "$(command -v swift)")")/docc" ]; then
    docc="$(dirname "$(readlink -f "$(command -v swift)")")/docc"
fi
if [ -z "$docc" ]; then
    echo "build-docs: docc not found (set DOCC); documentation not built"
    exit 0
fi

swift package dump-symbol-graph --emit-extension-block-symbols >/dev/null
graphs=.build/docs/symbol-graphs
rm -rf "$graphs" && mkdir -p "$graphs"
# RedstartClient.symbols.json and its extensions of other modules' types (RedstartClient@Swift…).
cp .build/*/symbolgraph/RedstartClient.symbols.json .build/*/symbolgraph/RedstartClient@*.symbols.json "$graphs/"

rm -rf .build/docs/RedstartClient.doccarchive
"$docc" convert Sources/RedstartClient/RedstartClient.docc \
    --additional-symbol-graph-dir "$graphs" \
    --fallback-display-name RedstartClient --fallback-bundle-identifier org.redstart.RedstartClient \
    --transform-for-static-hosting \
    --output-path .build/docs/RedstartClient.doccarchive "${check[@]}"
echo "build-docs: .build/docs/RedstartClient.doccarchive"
