#!/usr/bin/env bash
# Builds the fuzz targets and runs each for SECONDS (default 30) from its committed seeds.
#
#   fuzz/run.sh [SECONDS] [TARGET...]      (default: every target in fuzz/Cargo.toml)
#
# New corpus entries go to fuzz/corpus/<target> (gitignored; it grows across runs and is read
# back as a corpus next time), crashes to fuzz/artifacts/<target>/, full libFuzzer output to
# fuzz/target/logs/<target>.log. Exits non-zero if any target crashed, leaked, timed out or ran
# out of memory. Needs the nightly toolchain; installs cargo-fuzz if it is missing.
set -euo pipefail

SECONDS_PER_TARGET="${1:-30}"
shift $(( $# > 0 ? 1 : 0 ))
case "$SECONDS_PER_TARGET" in
    '' | *[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if ! rustup toolchain list | grep -q '^nightly'; then
    echo "==> installing the nightly toolchain"
    rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "==> installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

if [ $# -gt 0 ]; then
    TARGETS=("$@")
else
    mapfile -t TARGETS < <(cargo +nightly fuzz list)
fi

echo "==> building ${TARGETS[*]}"
build_start=$(date +%s)
cargo +nightly fuzz build
echo "==> build took $(( $(date +%s) - build_start ))s"

LOGS="fuzz/target/logs"
mkdir -p "$LOGS"
failed=()
summary=()
for t in "${TARGETS[@]}"; do
    mkdir -p "fuzz/corpus/$t" "fuzz/seeds/$t"
    log="$LOGS/$t.log"
    echo "==> fuzzing $t for ${SECONDS_PER_TARGET}s"
    status=0
    cargo +nightly fuzz run "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
        -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1 || status=$?

    # libFuzzer's last status line: "#<execs> DONE cov: <edges> ft: <features> corp: <n>/<size> ... exec/s: <rate> rss: <mb>"
    done_line="$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true)"
    execs="$(sed -nE 's/^stat::number_of_executed_units:[[:space:]]+([0-9]+).*/\1/p' "$log" | tail -n 1)"
    rate="$(sed -nE 's/^stat::average_exec_per_sec:[[:space:]]+([0-9]+).*/\1/p' "$log" | tail -n 1)"
    cov="$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$done_line")"
    ft="$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$done_line")"
    corp="$(sed -nE 's/.* corp: ([0-9]+\/[0-9A-Za-z]+).*/\1/p' <<<"$done_line")"
    rss="$(sed -nE 's/.* rss: ([0-9]+Mb).*/\1/p' <<<"$done_line")"
    if [ "$status" -ne 0 ] || [ -z "$done_line" ]; then
        failed+=("$t")
        line="$t: FAILED (exit $status), see $log and fuzz/artifacts/$t/"
        echo "$line"
        grep -E 'panicked|ERROR: libFuzzer|SUMMARY|Test unit written|cargo fuzz run' "$log" | head -n 20 || true
    else
        line="$t: execs ${execs:-?} (${rate:-?}/s), cov ${cov:-?} edges, ft ${ft:-?}, corpus ${corp:-?}, rss ${rss:-?}"
        echo "$line"
    fi
    summary+=("$line")
done

echo "==> summary (${SECONDS_PER_TARGET}s per target)"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "==> FAILED: ${failed[*]}" >&2
    exit 1
fi
