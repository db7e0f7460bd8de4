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

# Each server gets an empty directory of its own: started where a dump.rdb lies (the
# repository's root after a test run), a server loads it, and an RDB that carries
# replication history gives it a replication backlog to feed on every write.
start_servers() {
    server_dirs=$(mktemp -d)
    mkdir "$server_dirs/redstart" "$server_dirs/redis"
    "$candidate" --port "$1" --dir "$server_dirs/redstart" --save "" --appendonly no >/dev/null 2>&1 &
    pid_redstart=$!
    redis-server --port "$2" --dir "$server_dirs/redis" --save "" --appendonly no >/dev/null 2>&1 &
    pid_redis=$!
    trap 'kill $pid_redstart $pid_redis 2>/dev/null; wait $pid_redstart $pid_redis 2>/dev/null; rm -rf "$server_dirs"' EXIT
    for port in "$1" "$2"; do
        for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    done
}

stop_servers() {
    kill "$pid_redstart" "$pid_redis" 2>/dev/null
    wait "$pid_redstart" "$pid_redis" 2>/dev/null || true
    rm -rf "$server_dirs"
}

# CPU ticks (user + system) a process has used.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# The median of numbers on standard input, one per line.
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# compare_rounds <name> <pipeline> <measure>: ROUNDS rounds, in alternating order, of
# `<measure> <port> <pid> <side> <pipeline>` (side: redstart or redis; it prints
# "requests-per-second cpu-ticks") against each server. Prints a row per round and a
# median line, and leaves the median ratio in $median_ratio.
compare_rounds() {
    local name=$1 pipeline=$2 measure=$3 round a ca b cb
    local ratios=() cpus=()
    for round in $(seq "$rounds"); do
        if ((round % 2)); then
            read -r a ca < <("$measure" "$port_redstart" "$pid_redstart" redstart "$pipeline")
            read -r b cb < <("$measure" "$port_redis" "$pid_redis" redis "$pipeline")
        else
            read -r b cb < <("$measure" "$port_redis" "$pid_redis" redis "$pipeline")
            read -r a ca < <("$measure" "$port_redstart" "$pid_redstart" redstart "$pipeline")
        fi
        ratios+=("$(echo "$a $b" | awk '{ printf "%.3f", $1 / $2 }')")
        cpus+=("$(echo "$ca $cb" | awk '{ printf "%.3f", ($2 > 0) ? $1 / $2 : 0 }')")
        printf '%-11s %-3s %12s %12s %7s %8s\n' "$name" "$pipeline" "$a" "$b" "${ratios[-1]}" "${cpus[-1]}"
    done
    median_ratio=$(printf '%s\n' "${ratios[@]}" | median)
    printf '%-11s %-3s median ratio %s, cpu/request ratio %s\n' "$name" "$pipeline" "$median_ratio" \
        "$(printf '%s\n' "${cpus[@]}" | median)"
}

# The header of compare_rounds' table, its first column named $1.
print_header() { printf '%-11s %-3s %12s %12s %7s %8s\n' "$1" P redstart redis ratio "cpu x"; }
