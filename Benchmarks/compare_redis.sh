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

# rps <port> <pid> <test> <pipeline> -> "requests-per-second cpu-ticks"
rps() {
    local before after out
    redis-cli -p "$1" flushall >/dev/null
    before=$(cpu_ticks "$2")
    out=$(redis-benchmark -p "$1" -c 50 -n "$requests" -P "$4" -r 100000 --csv -t "$3" | tail -n1)
    after=$(cpu_ticks "$2")
    echo "$(echo "$out" | cut -d, -f2 | tr -d '"') $((after - before))"
}

printf '%-11s %-3s %12s %12s %7s %8s\n' test P redstart redis ratio "cpu x"
for pipeline in 1 16; do
    medians=()
    IFS=, read -r -a names <<< "$tests"
    for test in "${names[@]}"; do
        ratios=()
        cpus=()
        for round in $(seq "$rounds"); do
            if ((round % 2)); then
                read -r a ca < <(rps $port_redstart $pid_redstart "$test" "$pipeline")
                read -r b cb < <(rps $port_redis $pid_redis "$test" "$pipeline")
            else
                read -r b cb < <(rps $port_redis $pid_redis "$test" "$pipeline")
                read -r a ca < <(rps $port_redstart $pid_redstart "$test" "$pipeline")
            fi
            ratios+=("$(echo "$a $b" | awk '{ printf "%.3f", $1 / $2 }')")
            cpus+=("$(echo "$ca $cb" | awk '{ printf "%.3f", ($2 > 0) ? $1 / $2 : 0 }')")
        done
        median_ratio=$(printf '%s\n' "${ratios[@]}" | median)
        medians+=("$median_ratio")
        printf '%-11s %-3s %12s %12s %7s %8s\n' "$test" "$pipeline" "$a" "$b" "$median_ratio" \
            "$(printf '%s\n' "${cpus[@]}" | median)"
    done
    printf 'P%-2s throughput geomean ratio %s\n' "$pipeline" \
        "$(printf '%s\n' "${medians[@]}" | awk '{ s += log($1) } END { printf "%.3f", exp(s / NR) }')"
done
