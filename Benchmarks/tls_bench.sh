#!/usr/bin/env bash
# Throughput over TLS, Redstart against redis-server (Debian's is built with TLS), both on a
# tls-port with the same certificates (Scripts/gen-test-certs.sh) and client certificates
# required: redis-benchmark --tls, 50 clients, pipeline depths 1 and 16, alternating rounds.
# Prints each round, the median ratio and the CPU-per-request ratio per test.
#
#   Benchmarks/tls_bench.sh [--rounds N] [--requests N] [--candidate BINARY] [--tests ping,set,get]
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/side_by_side.sh
tests=ping_mbulk,set,get,incr,lpush,hset
args=()
while (($#)); do
    case $1 in
        --tests) tests=$2; shift 2 ;;
        *) args+=("$1"); shift ;;
    esac
done
parse_options "${args[@]}"
certs=$(mktemp -d)
Scripts/gen-test-certs.sh "$certs" >/dev/null
tls=(--tls-cert-file "$certs/server.crt" --tls-key-file "$certs/server.key" --tls-ca-cert-file "$certs/ca.crt")
client_tls=(--tls --cacert "$certs/ca.crt" --cert "$certs/client.crt" --key "$certs/client.key")
port_redstart=7811
port_redis=7812
# Each server in an empty directory of its own (side_by_side.sh says why).
mkdir "$certs/redstart" "$certs/redis"
"$candidate" --port 0 --tls-port "$port_redstart" "${tls[@]}" --dir "$certs/redstart" --save "" --appendonly no >/dev/null 2>&1 &
pid_redstart=$!
redis-server --port 0 --tls-port "$port_redis" "${tls[@]}" --dir "$certs/redis" --save "" --appendonly no >/dev/null 2>&1 &
pid_redis=$!
trap 'kill $pid_redstart $pid_redis 2>/dev/null; rm -rf "$certs"' EXIT
for port in $port_redstart $port_redis; do
    for _ in $(seq 100); do redis-cli -p "$port" "${client_tls[@]}" ping >/dev/null 2>&1 && break; sleep 0.1; done
done

# measure <port> <pid> <side> <pipeline>: "requests-per-second cpu-ticks" for $test.
measure() {
    local before after rps
    before=$(cpu_ticks "$2")
    rps=$(redis-benchmark -p "$1" "${client_tls[@]}" -t "$test" -n "$requests" -c 50 -P "$4" -q --csv 2>/dev/null \
        | tail -1 | awk -F'"' '{ print $4 }')
    after=$(cpu_ticks "$2")
    echo "${rps%.*} $((after - before))"
}

print_header test
for pipeline in 1 16; do
    for test in ${tests//,/ }; do
        compare_rounds "$test" "$pipeline" measure
    done
done
