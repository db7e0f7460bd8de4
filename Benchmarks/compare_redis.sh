#!/usr/bin/env bash
# Redstart against redis-server on redis-benchmark's own tests, side by side: both
# servers are started here the same way, then for each test and pipeline depth (1 and
# 16, 50 clients) redis-benchmark runs against each in turns (ROUNDS rounds, order
# alternating). Prints requests per second, the median ratio Redstart/Redis per test,
# the ratio of server CPU per request, and the geometric mean of the ratios per depth.
#
#   Benchmarks/compare_redis.sh [--rounds 3] [--requests 200000] [--candidate BINARY]
#                               [--tests ping_mbulk,set,get,...]
#
# Only ratios from the same run mean anything on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."

source Benchmarks/side_by_side.sh
tests=ping_mbulk,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,mset
arguments=()
while (($#)); do
    case $1 in
        --tests) tests=$2; shift 2 ;;
        *) arguments+=("$1"); shift ;;
    esac
done
parse_options "${arguments[@]+"${arguments[@]}"}"
port_redstart=7621
port_redis=7622
start_servers $port_redstart $port_redis

# rps <port> <pid> <side> <pipeline> -> "requests-per-second cpu-ticks" for test $test
rps() {
    local before after out
    redis-cli -p "$1" flushall >/dev/null
    before=$(cpu_ticks "$2")
    out=$(redis-benchmark -p "$1" -c 50 -n "$requests" -P "$4" -r 100000 --csv -t "$test" | tail -n1)
    after=$(cpu_ticks "$2")
    echo "$(echo "$out" | cut -d, -f2 | tr -d '"') $((after - before))"
}

print_header test
IFS=, read -r -a names <<< "$tests"
for pipeline in 1 16; do
    medians=()
    for test in "${names[@]}"; do
        compare_rounds "$test" "$pipeline" rps
        medians+=("$median_ratio")
    done
    printf 'P%-2s throughput geomean ratio %s\n' "$pipeline" \
        "$(printf '%s\n' "${medians[@]}" | awk '{ s += log($1) } END { printf "%.3f", exp(s / NR) }')"
done
