#!/usr/bin/env bash
# EVALSHA throughput, Redstart against redis-server, side by side: both servers are
# started here, the scripts loaded with SCRIPT LOAD, then redis-benchmark runs
# `EVALSHA <sha> 1 <random key>` against each in turns (ROUNDS rounds, order
# alternating), at pipeline depth 1 and 16 with 50 clients. Prints requests per
# second per round and the median ratio Redstart/Redis, and server CPU per request.
#
#   Benchmarks/script_bench.sh [--rounds 3] [--requests 200000] [--candidate BINARY]
#
# Scripts: one call (`return redis.call('incr', KEYS[1])`) and ten calls (ten INCRs of
# the key). Only ratios from the same run mean anything on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."

source Benchmarks/side_by_side.sh
parse_options "$@"
port_redstart=7601
port_redis=7602
start_servers $port_redstart $port_redis

one="return redis.call('incr', KEYS[1])"
ten="local n for i = 1, 10 do n = redis.call('incr', KEYS[1]) end return n"


# evalsha <port> <pid> <side> <pipeline> -> "requests-per-second cpu-ticks" for script $name
evalsha() {
    local before after out sha
    sha=$(redis-cli -p "$1" script load "${!name}")
    before=$(cpu_ticks "$2")
    out=$(redis-benchmark -p "$1" -c 50 -n "$requests" -P "$4" -r 100000 --csv evalsha "$sha" 1 "key:__rand_int__" | tail -n1)
    after=$(cpu_ticks "$2")
    echo "$(echo "$out" | cut -d, -f2 | tr -d '"') $((after - before))"
}

print_header script
for name in one ten; do
    for pipeline in 1 16; do compare_rounds "$name" "$pipeline" evalsha; done
done
