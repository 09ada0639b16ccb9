#!/usr/bin/env bash
# The README's walkthrough, verbatim, from a fresh clone: the block between
# `<!-- walkthrough:begin -->` and `<!-- walkthrough:end -->` is run with
# `bash -e` in a clone of the committed sources, as a newcomer would paste it.
# What the walkthrough says comes before it is provided: the build
# (`scripts/demo.sh` makes build/release/src/stream-transcoding; this build's
# binary is copied in) and the npm packages `scripts/setup.sh test` installs
# (linked). The clone's dev stack gets ports of its own (ST_DEV_*_PORT, which
# the README documents), so it runs beside the stack of the tests.
#   readme_walkthrough.sh SOURCE_DIR BINARY WORK_DIR
set -euo pipefail
source_dir=$1
binary=$2
work=$3
rm -rf "$work" && mkdir -p "$work"
clone=$work/clone
fail() { echo "walkthrough: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The walkthrough's API listens on the default port, 8080.
if python3 -c 'import socket; s = socket.socket(); s.bind(("0.0.0.0", 8080))' 2> /dev/null; then :; else
  fail "port 8080 is in use: the walkthrough's service could not listen"
fi

git clone -q "$source_dir" "$clone"
mkdir -p "$clone/build/release/src"
cp "$binary" "$clone/build/release/src/stream-transcoding"
ln -s "$source_dir/tests/player/node_modules" "$clone/tests/player/node_modules"
awk '/<!-- walkthrough:begin -->/ { inside = 1; next } /<!-- walkthrough:end -->/ { inside = 0 }
     inside && /^```/ { fence = !fence; next } inside && fence' "$clone/README.md" > "$work/walkthrough.sh"
[ "$(grep -c . "$work/walkthrough.sh")" -gt 10 ] || fail "no walkthrough found in README.md"

stop() {
  # Whatever the walkthrough left running (its `serve` if a step failed), then the clone's stack.
  [ -z "${group:-}" ] || kill -- "-$group" 2> /dev/null || true
  (cd "$clone" && scripts/dev-stack.sh down > /dev/null 2>&1) || true
}
trap stop EXIT
status=0
(
  cd "$clone"
  # A clean environment, as a new shell: nothing from the tests' own stack leaks in.
  exec env -i PATH="$PATH" HOME="$HOME" LANG=C.UTF-8 ST_DEV_PG_PORT="$(free_port)" ST_DEV_S3_PORT="$(free_port)" \
    ST_DEV_REDIS_PORT="$(free_port)" timeout 300 bash -e "$work/walkthrough.sh"
) > "$work/output.txt" 2>&1 &
group=$!
wait "$group" || status=$?
cat "$work/output.txt"
[ "$status" -eq 0 ] || fail "the walkthrough exited with $status"
grep -q '^job: succeeded 100%' "$work/output.txt" || fail "the job was not followed to 'succeeded'"
grep -q '"status": "succeeded"' "$work/output.txt" || fail "no succeeded outcome event"
grep -q '^4 passed, 0 failed' "$work/output.txt" || fail "the players did not play it"
echo "walkthrough: passed"
