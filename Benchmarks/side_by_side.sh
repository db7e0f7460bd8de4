# Sourced by the side-by-side benchmarks (script_bench.sh, stream_bench.sh): their
# common options, starting Redstart and redis-server the same way, CPU accounting.
#
#   --rounds N (3)  --requests N (200000)  --candidate BINARY (.build/release/redstart-server)
#
# After `parse_options "$@"` and `start_servers PORT_REDSTART PORT_REDIS`, the servers'
# pids are in $pid_redstart and $pid_redis; both are stopped when the script exits.

rounds=3
requests=200000
candidate=.build/release/redstart-server

parse_options() {
    while (($#)); do
        case $1 in
            --rounds) rounds=$2; shift 2 ;;
            --requests) requests=$2; shift 2 ;;
            --candidate) candidate=$2; shift 2 ;;
            *) echo "unknown argument $1" >&2; exit 2 ;;
        esac
    done
}

start_servers() {
    "$candidate" --port "$1" --save "" --appendonly no >/dev/null 2>&1 &
    pid_redstart=$!
    redis-server --port "$2" --save "" --appendonly no >/dev/null 2>&1 &
    pid_redis=$!
    trap 'kill $pid_redstart $pid_redis 2>/dev/null' EXIT
    for port in "$1" "$2"; do
        for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    done
}

stop_servers() {
    kill "$pid_redstart" "$pid_redis" 2>/dev/null
    wait "$pid_redstart" "$pid_redis" 2>/dev/null || true
}

# CPU ticks (user + system) a process has used.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# The median of numbers on standard input, one per line.
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
