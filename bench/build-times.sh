#!/usr/bin/env bash
# Build times a learner meets, measured in fresh target directories under
# /tmp so that nothing is reused from earlier builds. Slow by nature
# (several minutes on 2 cores), so it is kept out of the main bench table.
#
#   bench/build-times.sh [--markdown FILE] [EXERCISE_PACKAGE]
#
# Measures:
#   1. cold `cargo run -p chapter1`   (target <= 15 s)
#   2. cold `cargo test` at the root  (target <= 90 s on 2 cores)
#   3. first switch: `cargo build -p CHAPTER` for every chapter, one after
#      the other, right after step 2, as a learner running each chapter for
#      the first time after `cargo test` (target: no dependency rebuilt,
#      only the chapter's crate and course);
#   4. warm edit -> `cargo test -p EXERCISE` (target <= 5 s); the edit is a
#      `touch` of the exercise's source. Starters fail their tests until
#      solved: a test failure there is expected, only the time counts;
#   5. first book: `cargo xtask book --build` in a fresh target directory:
#      compiling xtask, installing the pinned mdBook, building the book
#      (target <= 90 s).
# The registry cache (~/.cargo/registry) is used as is: "cold" means no
# compiled artifacts, not a fresh download.
set -uo pipefail

cd "$(dirname "$0")/.."
markdown=""
exercise=""
while [ $# -gt 0 ]; do
    case "$1" in
        --markdown) markdown="${2:?--markdown needs a FILE}"; shift 2 ;;
        -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
        -*) echo "error: unknown option $1" >&2; exit 2 ;;
        *) exercise="$1"; shift ;;
    esac
done

work="$(mktemp -d /tmp/async-tour-build-times.XXXXXX)"
# Logs of failed steps are kept for a look; everything else goes.
cleanup() {
    rm -rf "$work/t1" "$work/t2" "$work/t3"
    if [ ${#failed_logs[@]} -eq 0 ]; then rm -rf "$work"; else echo "logs of failed steps kept: ${failed_logs[*]}" >&2; fi
}
trap cleanup EXIT
unset RUSTC_WRAPPER CARGO_BUILD_RUSTC_WRAPPER CARGO_TARGET_DIR

verdict() { awk -v t="$1" -v lim="$2" 'BEGIN { print (t <= lim) ? "met" : "NOT met" }'; }

rows=()
row() { rows+=("| $1 | $2 | $3 | $4 |"); echo "  $1: $2" >&2; }

# run LABEL TARGET_DIR CMD...: sets LAST_TIME (wall seconds), LAST_CPU (user +
# system seconds of cargo and everything it ran: unlike the wall time, this
# barely moves when other programs load the machine) and LAST_STATUS. The
# output goes to $work/LABEL.log.
run() {
    local label="$1" dir="$2"; shift 2
    local times
    LAST_STATUS=0
    times=$( { TIMEFORMAT='%R %U %S'; time CARGO_TARGET_DIR="$dir" "$@" >"$work/$label.log" 2>&1 || echo "status $?" >"$work/$label.status"; } 2>&1 )
    if [ -f "$work/$label.status" ]; then
        LAST_STATUS=$(cut -d' ' -f2 "$work/$label.status")
        failed_logs+=("$work/$label.log")
    fi
    LAST_TIME=$(echo "$times" | awk '{ printf "%.1f", $1 }')
    LAST_CPU=$(echo "$times" | awk '{ printf "%.0f", $2 + $3 }')
}
failed_logs=()

load_start=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?")
echo "build-times: $(nproc) cores, load average $load_start; working in $work" >&2

# 1. cold cargo run -p chapter1: the build, then the program itself.
if cargo metadata --no-deps --format-version 1 2>/dev/null | grep -q '"name":"chapter1"'; then
    run chapter1-build "$work/t1" cargo build -p chapter1
    t_build=$LAST_TIME
    c_build=$LAST_CPU
    s_build=$LAST_STATUS
    run chapter1-run "$work/t1" cargo run -q -p chapter1
    t_run=$LAST_TIME
    s_run=$LAST_STATUS
    total=$(awk -v a="$t_build" -v b="$t_run" 'BEGIN { printf "%.1f", a + b }')
    note="build $t_build s, $c_build s of CPU; run $t_run s"
    [ "$s_build" -ne 0 ] || [ "$s_run" -ne 0 ] && note="$note; FAILED (exit $s_build/$s_run)"
    row 'cold `cargo run -p chapter1`' "$total s ($note)" "≤ 15 s (build)" "$(verdict "$t_build" 15)"
else
    row 'cold `cargo run -p chapter1`' "not run: no package chapter1 yet" "≤ 15 s" ""
fi
rm -rf "$work/t1"

# 2. cold cargo test at the root (default members): build, then run.
run test-build "$work/t2" cargo test --no-run
t_build=$LAST_TIME
c_build=$LAST_CPU
s_build=$LAST_STATUS
run test-run "$work/t2" cargo test -q
t_run=$LAST_TIME
s_run=$LAST_STATUS
total=$(awk -v a="$t_build" -v b="$t_run" 'BEGIN { printf "%.1f", a + b }')
note="build $t_build s, $c_build s of CPU; tests $t_run s"
[ "$s_build" -ne 0 ] && note="$note; build FAILED"
if [ "$s_run" -ne 0 ]; then
    failing=$(grep -E '^test .* FAILED$|^---- ' "$work/test-run.log" | sed 's/^test //; s/ \.\.\. FAILED$//; s/^---- //; s/ stdout ----$//' | sort -u | head -5 | paste -sd, -)
    note="$note; some tests FAILED: ${failing:-see log}"
fi
row 'cold `cargo test` (workspace)' "$total s ($note)" "≤ 90 s" "$(verdict "$total" 90)"

# 3. first switch to each chapter after cargo test, in the target dir of step 2.
chapters=$(cargo metadata --no-deps --format-version 1 2>/dev/null |
    python3 -c 'import json,sys,re
m=json.load(sys.stdin)
names=[p["name"] for p in m["packages"] if "/chapters/" in p["manifest_path"]]
num=lambda n: int(re.sub(r"\D","",n) or 10**6)
print("\n".join(sorted(names, key=lambda n: (num(n), n))))')
if [ -n "$chapters" ]; then
    times=()
    rebuilt_total=0
    for chapter in $chapters; do
        run "switch-$chapter" "$work/t2" cargo build -v -p "$chapter"
        # Dependencies carry no path in parentheses; workspace crates do.
        rebuilt=$(grep -E '^ *Compiling ' "$work/switch-$chapter.log" | grep -vc ' (/' || true)
        rebuilt_total=$((rebuilt_total + rebuilt))
        entry="$chapter $LAST_TIME s"
        [ "$rebuilt" -gt 0 ] && entry="$entry ($rebuilt deps rebuilt: $(grep -E '^ *Compiling ' "$work/switch-$chapter.log" | grep -v ' (/' | awk '{print $2}' | paste -sd' ' -))"
        [ "$LAST_STATUS" -ne 0 ] && entry="$entry (FAILED)"
        times+=("$entry")
    done
    verdict_switch="met"
    [ "$rebuilt_total" -gt 0 ] && verdict_switch="NOT met"
    row 'first `cargo run -p chapterN` after `cargo test` (build)' "$(printf '%s, ' "${times[@]}" | sed 's/, $//')" "no dependency rebuilt" "$verdict_switch"
fi

# 4. warm edit -> cargo test -p EXERCISE, in the target dir of step 2.
if [ -z "$exercise" ]; then
    for manifest in exercises/*/Cargo.toml; do
        [ -f "$manifest" ] || continue
        exercise=$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$manifest" | head -1)
        # The first real exercise, not a shared helper crate.
        case "$exercise" in *checker*|*common*|*shared*) exercise=""; continue ;; esac
        [ -n "$exercise" ] && break
    done
fi
if [ -n "$exercise" ]; then
    src=$(cargo metadata --no-deps --format-version 1 2>/dev/null |
        python3 -c 'import json,sys
m=json.load(sys.stdin); name=sys.argv[1]
for p in m["packages"]:
    if p["name"]==name:
        for t in p["targets"]:
            print(t["src_path"]); break' "$exercise" 2>/dev/null | head -1)
    if [ -n "$src" ] && [ -f "$src" ]; then
        run exercise-first "$work/t2" cargo test -v -p "$exercise"
        [ "$LAST_STATUS" -ne 0 ] && unset 'failed_logs[-1]'
        t_first=$LAST_TIME
        deps_first=$(grep -E '^ *Compiling ' "$work/exercise-first.log" | grep -vc ' (/' || true)
        touch "$src"
        run exercise-edit "$work/t2" cargo test -p "$exercise"
        t=$LAST_TIME
        note="touch $(basename "$src"), rebuild and test, $LAST_CPU s of CPU; the first run after \`cargo test\`: $t_first s, $deps_first dependencies rebuilt"
        if [ "$LAST_STATUS" -ne 0 ]; then
            note="$note; tests fail (expected for an unsolved starter)"
            # Not a failure of the measurement: drop it from the kept logs.
            unset 'failed_logs[-1]'
        fi
        row "warm edit → \`cargo test -p $exercise\`" "$t s ($note)" "≤ 5 s" "$(verdict "$t" 5)"
    else
        row "warm edit → \`cargo test -p $exercise\`" "not run: no source found for $exercise" "≤ 5 s" ""
    fi
else
    row 'warm edit → `cargo test -p <exercise>`' "not run: no exercise package yet" "≤ 5 s" ""
fi

# 5. the first book: compile xtask, install mdBook, build the book, in a
# fresh target directory (xtask installs tools under CARGO_TARGET_DIR).
run book "$work/t3" cargo xtask book --build
note="$LAST_CPU s of CPU"
[ "$LAST_STATUS" -ne 0 ] && note="$note; FAILED"
row 'first `cargo xtask book --build` (fresh target)' "$LAST_TIME s ($note)" "≤ 90 s" "$(verdict "$LAST_TIME" 90)"
rm -rf "$work/t3"

load_end=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?")
{
    echo "Build times on $(nproc) cores, $(rustc --version 2>/dev/null), load average $load_start at the start, $load_end at the end."
    echo
    echo "| Build | Time | Target | Verdict |"
    echo "|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
} | tee "${markdown:-/dev/null}"
