#!/usr/bin/env bash
# Streams, Redstart against redis-server, side by side: both servers are started
# here, then redis-benchmark (50 clients) runs each test against each in turns
# (ROUNDS rounds, order alternating) and the script prints requests per second, the
# median ratio Redstart/Redis, and the ratio of server CPU per request:
#
#   xadd        XADD s * job <random> payload <32 bytes>, pipeline 1 and 16
#   xrange100   XRANGE of 100 entries (of a 10,000-entry stream), pipeline 1
#   xreadgroup  XREADGROUP GROUP g c COUNT 1 STREAMS big > on a prefilled stream: each
#               call delivers one new entry and makes it pending; pipeline 1 and 16
#   xack        XACK big g <random id> on the entries delivered above; pipeline 1 and 16
#
# Then memory: 1,000,000 entries of `job <n> payload <32 bytes>` loaded into an empty
# server, used_memory and used_memory_rss per entry for both.
#
#   Benchmarks/stream_bench.sh [--rounds 3] [--requests 200000] [--candidate BINARY]
#
# Only ratios from the same run mean anything on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."

source Benchmarks/side_by_side.sh
parse_options "$@"
port_redstart=7611
port_redis=7612
start_servers $port_redstart $port_redis

payload=0123456789abcdef0123456789abcdef

# fill <port> <key> <count>: entries 1-0 ... count-0, `job <n> payload <32 bytes>`.
fill() {
    python3 - "$1" "$2" "$3" "$payload" <<'EOF'
import sys, redis
port, key, count, payload = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
r = redis.Redis(port=port)
pipe = r.pipeline(transaction=False)
for n in range(1, count + 1):
    pipe.xadd(key, {"job": n, "payload": payload}, id="%d-0" % n)
    if n % 5000 == 0:
        pipe.execute()
pipe.execute()
EOF
}

# prepare <test> <port>: the data a round of <test> needs.
prepare() {
    case $1 in
        xadd) redis-cli -p "$2" del s >/dev/null ;;
        xrange100) [ "$(redis-cli -p "$2" xlen r)" = 10000 ] || { redis-cli -p "$2" del r >/dev/null; fill "$2" r 10000; } ;;
        xreadgroup)
            [ "$(redis-cli -p "$2" xlen big)" -ge $((requests + 1)) ] || { redis-cli -p "$2" del big >/dev/null; fill "$2" big $((requests + 1)); }
            redis-cli -p "$2" xgroup destroy big g >/dev/null
            redis-cli -p "$2" xgroup create big g 0 >/dev/null ;;
        xack) ;;  # acknowledges what the xreadgroup round before it delivered
    esac
}

# bench_command <test>: the redis-benchmark command line of <test>.
bench_command() {
    case $1 in
        xadd) echo "XADD s * job __rand_int__ payload $payload" ;;
        xrange100) echo "XRANGE r - + COUNT 100" ;;
        xreadgroup) echo "XREADGROUP GROUP g c COUNT 1 STREAMS big >" ;;
        xack) echo "XACK big g __rand_int__-0" ;;
    esac
}

# rps <port> <pid> <side> <pipeline> -> "requests-per-second cpu-ticks" for test $test
rps() {
    local before after out words
    prepare "$test" "$1"
    before=$(cpu_ticks "$2")
    read -r -a words <<< "$(bench_command "$test")"  # split at spaces; `*` stays a word
    out=$(redis-benchmark -p "$1" -c 50 -n "$requests" -P "$4" -r "$requests" --csv "${words[@]}" | tail -n1)
    after=$(cpu_ticks "$2")
    echo "$(echo "$out" | cut -d, -f2 | tr -d '"') $((after - before))"
}


print_header test
for spec in xadd:1 xadd:16 xrange100:1 xreadgroup:1 xack:1 xreadgroup:16 xack:16; do
    test=${spec%%:*}
    compare_rounds "$test" "${spec##*:}" rps
done

# Memory per entry: 1M entries loaded into a server started for it (so that RSS is not
# memory left over from the tests above), after a warm-up of 20,000 entries that are
# deleted again (the first XADDs page in code and allocator metadata, which are not per
# entry). RSS is read from /proc for both servers the same way: Redis's INFO
# used_memory_rss is the value its cron sampled, up to 100 ms old, so it misses the last
# entries of the fill.
stop_servers
start_servers $port_redstart $port_redis
echo
printf '%-10s %14s %14s\n' server "used/entry" "rss/entry"
for server in redstart:$port_redstart:$pid_redstart redis:$port_redis:$pid_redis; do
    IFS=: read -r name port pid <<< "$server"
    python3 - "$port" "$payload" "$name" "$pid" <<'EOF'
import sys, time, redis
port, payload, name, pid = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
r = redis.Redis(port=port)
def fill(key, count):
    pipe = r.pipeline(transaction=False)
    for n in range(count):
        pipe.xadd(key, {"job": n, "payload": payload})
        if n % 5000 == 4999:
            pipe.execute()
    pipe.execute()
def memory():
    with open("/proc/%s/statm" % pid) as statm:
        rss = int(statm.read().split()[1]) * 4096
    return r.info("memory")["used_memory"], rss
fill("warm-up", 20_000)
r.delete("warm-up")
time.sleep(0.5)
used, rss = memory()
fill("jobs", 1_000_000)
after_used, after_rss = memory()
print("%-10s %14.2f %14.2f" % (name, (after_used - used) / 1e6, (after_rss - rss) / 1e6))
EOF
done
