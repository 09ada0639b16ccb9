#!/usr/bin/env bash
# Jobs accepted per second (idempotent inserts) and claim-and-complete cycles per
# second with 1 to 8 workers, against the dev-stack PostgreSQL.
#   bench/queue_throughput.sh [JOBS] [CLIENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_build build queue_throughput
eval "$(scripts/dev-stack.sh up)"
echo "machine: $(nproc) cores; PostgreSQL: $(psql "$ST_DATABASE__URL" -tAc 'show server_version')"
build/release/bench/queue_throughput "${1:-20000}" "${2:-8}"
