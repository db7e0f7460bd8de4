#!/usr/bin/env bash
# User-space instructions and retain/release calls per request, Redstart against
# redis-server, counted by valgrind's callgrind: unlike throughput on a shared machine,
# the counts repeat exactly, so a change to the request path can be judged by them.
# Each server runs under callgrind; the counters are zeroed after a warm-up, then
# redis-benchmark sends the workload from 10 clients and the counters are dumped.
#
#   Benchmarks/callgrind_per_request.sh [--workload incr|ping|evalsha|evalsha10] [--requests 20000] [--pipeline 1]
#       [--candidate .build/release/redstart-server] [--reference redis-server] [--callers 30]
#
# --callers N also lists, for the candidate, the N functions that call swift_retain and
# swift_release most often, per request (where to look for the next retain to remove).
#
# Workloads: INCR of random keys; PING (redis-benchmark's ping_mbulk); EVALSHA of `return redis.call('incr', KEYS[1])`; EVALSHA
# of ten such calls. The candidate is copied without its debug info (valgrind 3.19 cannot
# read the Swift toolchain's DWARF); needs valgrind, redis-benchmark and redis-cli.
set -euo pipefail
cd "$(dirname "$0")/.."

workload=evalsha
requests=20000
pipeline=1
candidate=.build/release/redstart-server
reference=redis-server
callers=0
while (($#)); do
    case $1 in
        --workload) workload=$2; shift 2 ;;
        --requests) requests=$2; shift 2 ;;
        --pipeline) pipeline=$2; shift 2 ;;
        --candidate) candidate=$2; shift 2 ;;
        --reference) reference=$2; shift 2 ;;
        --callers) callers=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 1 ;;
    esac
done
case $workload in
    incr | ping) script="" ;;
    evalsha) script="return redis.call('incr', KEYS[1])" ;;
    evalsha10) script="local n for i = 1, 10 do n = redis.call('incr', KEYS[1]) end return n" ;;
    *) echo "unknown workload $workload" >&2; exit 1 ;;
esac

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp "$candidate" "$scratch/redstart-server"
strip -g "$scratch/redstart-server"

# load <port> <requests>: the workload's requests against the server on <port>.
load() {
    if [ "$workload" = ping ]; then
        redis-benchmark -p "$1" -c 10 -n "$2" -P "$pipeline" -t ping_mbulk -q >/dev/null 2>&1
    elif [ -z "$script" ]; then
        redis-benchmark -p "$1" -c 10 -n "$2" -P "$pipeline" -r 100000 -t incr -q >/dev/null 2>&1
    else
        local sha
        sha=$(redis-cli -p "$1" script load "$script")
        redis-benchmark -p "$1" -c 10 -n "$2" -P "$pipeline" -r 100000 evalsha "$sha" 1 'key:__rand_int__' -q >/dev/null 2>&1
    fi
}

# measure <name> <binary> <port>: prints instructions, retains and releases per request.
measure() {
    local out="$scratch/$1.out" pid
    (cd "$scratch" && exec valgrind --tool=callgrind --callgrind-out-file="$out" "$2" --port "$3" \
        --save '' --appendonly no >"$out.log" 2>&1) &
    pid=$!
    for _ in $(seq 1 120); do
        redis-cli -p "$3" ping 2>/dev/null | grep -q PONG && break
        sleep 1
    done
    load "$3" 2000
    callgrind_control -z "$pid" >/dev/null 2>&1
    load "$3" "$requests"
    callgrind_control -d "$pid" >/dev/null 2>&1
    redis-cli -p "$3" shutdown nosave >/dev/null 2>&1 || true
    wait "$pid" || true
    python3 - "$1" "$out.1" "$requests" "$callers" <<'EOF'
import collections, re, subprocess, sys
name, path, requests, top = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
names, current, total, calls = {}, None, 0, collections.Counter()
by_caller = collections.Counter()
skip = False
def resolve(text):
    m = re.match(r"\((\d+)\)(?: (.*))?", text)
    if not m:
        return text
    if m.group(2):
        names[m.group(1)] = m.group(2)
    return names.get(m.group(1), m.group(1))
for line in open(path):
    if line.startswith("fn="):
        current = resolve(line[3:].strip())
    elif line.startswith("cfn="):
        callee = resolve(line[4:].strip())
    elif line.startswith("calls="):
        skip = True
        if callee in ("swift_retain", "swift_release"):
            calls[callee] += int(line[6:].split()[0])
            by_caller[(callee, current)] += int(line[6:].split()[0])
    elif line[:1].isdigit() or line[:1] in "+-*":
        fields = line.split()
        if len(fields) >= 2:
            if skip:
                skip = False
            else:
                total += int(fields[1])
print("%-10s %10.0f instructions %8.1f retains %8.1f releases per request"
      % (name, total / requests, calls["swift_retain"] / requests, calls["swift_release"] / requests))
if top and name == "redstart":
    rows = by_caller.most_common(top)
    demangled = subprocess.run(["swift", "demangle", "--simplified"], input="\n".join(c for (_, c), _ in rows),
                               capture_output=True, text=True).stdout.splitlines()
    for ((callee, _), count), caller in zip(rows, demangled):
        print("  %6.2f %-13s from %s" % (count / requests, callee, caller[:140]))
EOF
}

echo "workload $workload, $requests requests from 10 clients at depth $pipeline (user space, callgrind)"
measure redstart "$scratch/redstart-server" 7661
measure redis "$(command -v "$reference")" 7662
