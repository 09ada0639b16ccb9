#!/usr/bin/env bash
# Builds the libFuzzer targets (clang-14, ASan + UBSan) and runs each for
# SECONDS (default 30) on its seed corpus in tests/fuzz/corpus/. Every seed is
# replayed first, so a crash found once and saved there stays a regression test.
#
#   scripts/fuzz.sh [SECONDS]
#
# New interesting inputs go to build/fuzz/corpus/ (not the repository); a crash
# is saved to build/fuzz/crashes/ and fails the run: copy it into the seed
# corpus once fixed. The random seed is fixed (ST_FUZZ_SEED, default 1) so that
# a run is reproducible: CI replays what was run before a change was submitted.
# Set another seed, or more seconds, to explore further.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
seed=${ST_FUZZ_SEED:-1}

for package in clang-14 libclang-rt-14-dev libfuzzer-14-dev; do
  dpkg-query -W -f='${Status}' "$package" 2> /dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ -n "${missing[*]:-}" ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi

cmake --preset fuzz > /dev/null
cmake --build --preset fuzz -j "$(nproc)"

failed=0
for seeds in tests/fuzz/corpus/*/; do
  name=$(basename "$seeds")
  work=build/fuzz/corpus/$name
  crashes=build/fuzz/crashes/$name
  mkdir -p "$work" "$crashes"
  echo "fuzz: $name for $seconds s"
  # detect_leaks=0: libFuzzer's leak check flags the targets' static routers and caches.
  if ! ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "build/fuzz/tests/fuzz/${name}_fuzzer" "$work" "$seeds" -seed="$seed" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=262144 -print_final_stats=1 -artifact_prefix="$crashes/" \
    > "build/fuzz/$name.log" 2>&1; then
    echo "fuzz: $name FAILED (see build/fuzz/$name.log, input in $crashes)" >&2
    tail -n 40 "build/fuzz/$name.log" >&2
    failed=1
  else
    grep -E "stat::number_of_executed_units|stat::new_units_added" "build/fuzz/$name.log" | sed "s/^/fuzz: $name /" || true
  fi
done
exit $failed
