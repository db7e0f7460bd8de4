#!/usr/bin/env bash
# Coverage-guided fuzzing of one target with libFuzzer (Swift's -sanitize=fuzzer, with
# AddressSanitizer): builds the fuzzing binary once (.build-fuzz/), then fuzzes for the
# given time, growing a working corpus (Fuzz/work/TARGET, not committed) from the seeds
# (Fuzz/corpus/TARGET). An input that crashes, traps or hangs is written to
# Fuzz/crashes/TARGET/; once fixed it goes to Fuzz/regressions/TARGET/, which the test
# suite replays (Tests/Python/test_fuzz_corpora.py). Leak detection is off: LeakSanitizer
# reports the lazily made Swift globals (the command catalog, say) as leaks.
#
#   Fuzz/run.sh TARGET [SECONDS=60] [WORKERS=1]     targets: parser commands restore rdb aof
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: Fuzz/run.sh TARGET [SECONDS] [WORKERS]}
seconds=${2:-60}
workers=${3:-1}
swift build -c release --scratch-path .build-fuzz --product redstart-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING >&2
case $target in
    parser | commands) max_len=4096 ;;
    *) max_len=65536 ;;
esac
mkdir -p "Fuzz/work/$target" "Fuzz/crashes/$target"
ASAN_OPTIONS=detect_leaks=0 REDSTART_FUZZ_TARGET=$target exec .build-fuzz/release/redstart-fuzz \
    -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=4096 -detect_leaks=0 \
    -workers="$workers" -jobs="$workers" -print_final_stats=1 \
    -artifact_prefix="Fuzz/crashes/$target/" "Fuzz/work/$target" "Fuzz/corpus/$target" \
    $( [ -d "Fuzz/regressions/$target" ] && echo "Fuzz/regressions/$target" )
