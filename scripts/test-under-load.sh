#!/usr/bin/env bash
# Runs the whole test suite N times (default 10) while two CPU-bound
# processes keep both cores of a 2-core machine busy, and reports how many
# runs passed. Slow by design; not part of the README's test command.
#
#   scripts/test-under-load.sh [RUNS]
#
# The failing runs' output is kept in target/load-test/run-K.log.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
logs=target/load-test
mkdir -p "$logs"

echo "building the tests first (not timed, not under load)"
cargo test --locked --no-run -q || exit 1

hogs=()
current=""
cleanup() { for pid in "${hogs[@]}" $current; do kill "$pid" 2>/dev/null; done; }
# Ctrl-C or kill ends the whole script (a trap that only cleaned up would
# let the loop go on to the next run), and the hogs go with it.
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
for _ in 1 2; do
  # A busy loop in a shell: one core each, stops when this script ends.
  ( while :; do :; done ) &
  hogs+=("$!")
done
echo "two CPU hogs running (pids ${hogs[*]}); load: $(cut -d' ' -f1-3 /proc/loadavg)"

passed=0
for k in $(seq 1 "$runs"); do
  t0=$(date +%s)
  # --no-fail-fast: one flaky test must not hide the test binaries after it.
  # In the background, and waited for, so that Ctrl-C stops the script at
  # once (bash runs a trap only once its foreground command has ended).
  cargo test --locked --no-fail-fast -q >"$logs/run-$k.log" 2>&1 &
  current=$!
  if wait "$current"; then
    passed=$((passed + 1)); verdict=passed
    rm -f "$logs/run-$k.log"
  else
    verdict="FAILED (see $logs/run-$k.log)"
    grep -E '^---- ' "$logs/run-$k.log" | head -n 10 || true
  fi
  echo "run $k/$runs: $verdict in $(( $(date +%s) - t0 )) s"
done
echo "load test: $passed of $runs runs passed with both cores busy"
[ "$passed" -eq "$runs" ]
