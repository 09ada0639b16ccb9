#!/usr/bin/env bash
# Installs what is missing, starts the servers (scripts/dev-stack.sh), builds,
# lints and runs every test: unit, integration (real ffmpeg and PostgreSQL) and
# player (hls.js, dash.js, Shaka in chromium) on the release build, each fuzz
# target for 30 s (scripts/fuzz.sh), then unit and integration again under
# AddressSanitizer + UBSan, and once more for coverage (scripts/coverage.sh:
# line and branch coverage of src/, failing under its floor).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh test
# ccache (CMakeLists.txt) shares compilations between clones of the same sources:
# paths below the checkout are hashed relative to it.
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=true
# The servers the integration tests use, on loopback (PostgreSQL today).
# In two steps: a server that fails to start must stop the run (eval "$(...)" would hide it).
stack=$(scripts/dev-stack.sh up)
eval "$stack"

jobs=$(nproc)
cmake --preset release > /dev/null
cmake --build --preset release -j "$jobs"
scripts/lint.sh build/release
ctest --preset release -j "$jobs"
scripts/fuzz.sh "${ST_FUZZ_SECONDS:-30}"

cmake --preset asan > /dev/null
cmake --build --preset asan -j "$jobs"
ctest --preset asan -j "$jobs" --label-exclude "player|bench"

scripts/coverage.sh
