#!/usr/bin/env bash
# Builds the book with the pinned mdBook and reads every page of it in
# headless Chromium (see browser-test.mjs for what is checked).
#
# Installs what is missing: Debian's chromium (as root, with apt-get) and
# playwright-core from npm (`npm ci`: the pinned version, which downloads
# no browser of its own). Prints the path of a screenshot of one chapter.
#
# Usage: book/browser-test/run.sh   (from anywhere)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if [ ! -x /usr/bin/chromium ] && [ -z "${CHROMIUM:-}" ]; then
    echo "browser-test: installing Debian's chromium (about half a minute)"
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "browser-test: needs Node.js 20 or later and npm (apt-get install nodejs npm)" >&2
    exit 1
fi

# Reinstall when the lock file changed since the last install.
if [ ! -d "$here/node_modules/playwright-core" ] \
    || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
    echo "browser-test: npm ci (playwright-core, no browser download)"
    (cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi

(cd "$root" && cargo xtask book --build)

node "$here/browser-test.mjs" "$root/book" "$root/target/book-screenshot.png"
