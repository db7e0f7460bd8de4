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


# rps <port> <pid> <sha> <pipeline> -> "requests-per-second cpu-ticks"
rps() {
    local before after out
    before=$(cpu_ticks "$2")
    out=$(redis-benchmark -p "$1" -c 50 -n "$requests" -P "$4" -r 100000 --csv evalsha "$3" 1 "key:__rand_int__" | tail -n1)
    after=$(cpu_ticks "$2")
    echo "$(echo "$out" | cut -d, -f2 | tr -d '"') $((after - before))"
}

printf '%-10s %-3s %12s %12s %7s %8s\n' script P redstart redis ratio "cpu x"
for name in one ten; do
    body=${!name}
    sha_redstart=$(redis-cli -p $port_redstart script load "$body")
    sha_redis=$(redis-cli -p $port_redis script load "$body")
    for pipeline in 1 16; do
        ratios=()
        cpus=()
        for round in $(seq "$rounds"); do
            if ((round % 2)); then
                read -r a ca < <(rps $port_redstart $pid_redstart "$sha_redstart" "$pipeline")
                read -r b cb < <(rps $port_redis $pid_redis "$sha_redis" "$pipeline")
            else
                read -r b cb < <(rps $port_redis $pid_redis "$sha_redis" "$pipeline")
                read -r a ca < <(rps $port_redstart $pid_redstart "$sha_redstart" "$pipeline")
            fi
            ratios+=("$(echo "$a $b" | awk '{ printf "%.3f", $1 / $2 }')")
            cpus+=("$(echo "$ca $cb" | awk '{ printf "%.3f", ($2 > 0) ? $1 / $2 : 0 }')")
            printf '%-10s %-3s %12s %12s %7s %8s\n' "$name" "$pipeline" "$a" "$b" "${ratios[-1]}" "${cpus[-1]}"
        done
        median=$(printf '%s\n' "${ratios[@]}" | median)
        cpu=$(printf '%s\n' "${cpus[@]}" | median)
        printf '%-10s %-3s median ratio %s, cpu/request ratio %s\n' "$name" "$pipeline" "$median" "$cpu"
    done
done
