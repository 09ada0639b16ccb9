# shellcheck shell=bash
# Sourced by the benchmarks (each has already cd'd to the repository).
#
#   bench_build PROFILE TARGET...
#
# Installs what scripts/setup.sh PROFILE installs (build or test), then builds
# the targets in the release preset: a benchmark measures the optimised build.
bench_build() {
  local profile=$1
  shift
  scripts/setup.sh "$profile" > /dev/null
  cmake --preset release > /dev/null
  cmake --build --preset release --target "$@" > /dev/null
}
