#!/usr/bin/env bash
# Installs the system libraries the build links (Debian packages): Lua 5.1 as Redis embeds
# it, with the cjson and bit libraries Redis gives scripts, found through pkg-config, and
# jemalloc, the server's heap (as Redis's).
set -euo pipefail

missing=()
for package in pkg-config liblua5.1-0-dev lua-cjson-dev lua-bitop-dev libjemalloc-dev; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
