#!/usr/bin/env bash
# The watch mode (`cargo learn`) in a real terminal: tmux, 80x24.
#
# Starts `cargo progress --watch 01-runtime`, then plays the learner:
# saves a wrong implementation of exercise 1 and waits for the rerun and
# its diagnosis, presses `h` and waits for the hint, saves the solution and
# waits for the watch to move on to exercise 2, presses `q`. Every wait has
# a timeout, and the exercise's file is put back byte for byte
# however the script ends (with a new modification time, so that cargo
# rebuilds it). CI runs it.
#
# Usage: scripts/test-watch.sh   (needs tmux)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! command -v tmux >/dev/null; then
    echo "test-watch: needs tmux (apt-get install tmux)" >&2
    exit 1
fi

exercise=01-runtime
file="exercises/$exercise/src/lib.rs"
first_check=$(sed -n 's/.*CHECKS: .*= &\["\([^"]*\)".*/\1/p' exercises/checker/src/exercises/ex01.rs)
[ -n "$first_check" ] || { echo "test-watch: cannot read ex01's CHECKS" >&2; exit 1; }

backup="$(mktemp)"
cp -p "$file" "$backup"
session="async-tour-watch-$$"
screen_log="$(mktemp)"
cleanup() {
    tmux kill-session -t "$session" 2>/dev/null || true
    # Not `cp -p`: an old modification time would make cargo reuse the
    # build of the edited file.
    cat "$backup" >"$file"
    rm -f "$backup" "$screen_log"
}
trap cleanup EXIT

# Build first, so that the waits below measure the watch, not a cold build.
cargo build -q -p checker
cargo test -q --no-run -p ex01-runtime 2>/dev/null

# wait_for TEXT SECONDS: until the screen shows TEXT; else print the screen
# and fail.
wait_for() {
    local text="$1" limit="$2" waited=0
    while [ "$waited" -lt $((limit * 5)) ]; do
        tmux capture-pane -p -t "$session" >"$screen_log" 2>/dev/null || true
        if grep -qF -- "$text" "$screen_log"; then return 0; fi
        sleep 0.2
        waited=$((waited + 1))
    done
    echo "test-watch: FAILED: no \"$text\" on the screen after $limit s. The screen:" >&2
    sed 's/^/  | /' "$screen_log" >&2
    exit 1
}

tmux -f /dev/null new-session -d -s "$session" -x 80 -y 24 \
    "cargo run -q -p checker -- --watch $exercise; echo \"watch exited with \$?\"; sleep 60"

echo "test-watch: the untouched starter is 'not started'"
wait_for "Exercise 1 of" 60
wait_for "Not started" 120

echo "test-watch: a wrong answer, saved, is checked again and diagnosed"
cat >"$file" <<'EOF'
//! # Exercise 1: start a runtime and block on a future
//!
//! **Hint:** a hint for the test.

/// Wrong on purpose: returns the URL instead of fetching it.
pub fn fetch_blocking(url: &str) -> anyhow::Result<String> {
    Ok(url.to_string())
}
EOF
wait_for "✘ $first_check" 120
wait_for "h: hint" 5

echo "test-watch: h shows the hint"
tmux send-keys -t "$session" h
wait_for "Hint: a hint for the test." 10

echo "test-watch: the solution, saved, passes, and the watch moves on"
cp "solutions/$exercise/src/lib.rs" "$file"
wait_for "$exercise passes every check: on to the next one." 120
wait_for "Exercise 2 of" 10

echo "test-watch: q quits"
tmux send-keys -t "$session" q
wait_for "watch exited with 0" 10

cat "$backup" >"$file"
git diff --quiet -- "$file" || { echo "test-watch: FAILED: $file was not restored" >&2; exit 1; }
echo "test-watch: ok (the exercise's file is as it was)"
