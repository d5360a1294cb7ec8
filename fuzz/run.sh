#!/usr/bin/env bash
# Builds the fuzz targets and runs each for a bounded time, one after another.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 120); all targets unless some are named. Each runs from a copy of
# fuzz/seeds/<target> in fuzz/corpus/<target> (kept between runs, not committed), its log in
# fuzz/logs/<target>.log. Prints per target the executions run and any crash artifact; exits 1 if
# any target crashed (or ran out of time or memory on an input), 2 if the build failed.
#
# The stable toolchain is enough: RUSTC_BOOTSTRAP=1 lets it take the nightly flags cargo-fuzz
# passes. SANITIZER=address|none (default address) picks the sanitizer.
set -uo pipefail

cd "$(dirname "$0")"
seconds=${1:-120}
shift $(($# > 0 ? 1 : 0))
all=(native_lines har goreplay rule_file snapshot outcomes data_csv data_jsonl data_jsonl_zst)
targets=("${@:-${all[@]}}")
sanitizer=${SANITIZER:-address}

export RUSTC_BOOTSTRAP=1
# The readers read files: the fuzzed bytes go to a scratch folder, in memory where possible.
base=/tmp
[ -d /dev/shm ] && base=/dev/shm
TMPDIR=$(mktemp -d "$base/shadowdiff-fuzz.XXXXXX") || exit 2
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT

if ! cargo fuzz build --sanitizer "$sanitizer"; then
    echo "the fuzz targets do not build" >&2
    exit 2
fi

mkdir -p logs
failed=0
printf '%-14s %8s %14s  %s\n' target seconds executions result
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target" "artifacts/$target"
    cp -n "seeds/$target"/* "corpus/$target/" 2>/dev/null
    log="logs/$target.log"
    cargo fuzz run --sanitizer "$sanitizer" "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        >"$log" 2>&1
    code=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$')
    result=ok
    if [ "$code" -ne 0 ]; then
        failed=1
        artifact=$(grep -o 'Test unit written to [^ ]*' "$log" | tail -n 1 | cut -d' ' -f5)
        result="FAILED (exit $code): ${artifact:-no artifact, see fuzz/$log}"
    fi
    printf '%-14s %8s %14s  %s\n' "$target" "$seconds" "${runs:-?}" "$result"
done
exit "$failed"
