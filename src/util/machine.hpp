// What this machine (or this container's cgroup) offers.
#pragma once

#include <cstdint>

namespace st {

// CPUs available: the cgroup v2 quota (cpu.max) when set, else the online cores.
double available_cpus();
// Bytes of memory available: the cgroup v2 limit (memory.max) when set, else physical memory.
std::uint64_t available_memory_bytes();

// Transcodes to run at once: one per CPU and per 2 GiB of memory (a 4K
// ladder's working set), at least one. A job leaves cores idle while it
// downloads, probes, measures and uploads; a second job fills them
// (bench/load.sh: +50% throughput on short clips, +5% on 1080p, two cores;
// docs/performance.md#load-test).
int default_worker_concurrency(double cpus, std::uint64_t memory_bytes);

}  // namespace st
