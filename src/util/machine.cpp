#include "util/machine.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <thread>

namespace st {

double available_cpus() {
  const double cores = std::max(1U, std::thread::hardware_concurrency());
  std::ifstream in("/sys/fs/cgroup/cpu.max");
  std::string quota;
  double period = 0;
  if (in >> quota >> period && quota != "max" && period > 0) {
    try {
      return std::min(cores, std::stod(quota) / period);
    } catch (const std::exception&) {
    }
  }
  return cores;
}

std::uint64_t available_memory_bytes() {
  const auto physical =
      static_cast<std::uint64_t>(::sysconf(_SC_PHYS_PAGES)) * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  std::ifstream in("/sys/fs/cgroup/memory.max");
  std::string limit;
  if (in >> limit && limit != "max") {
    try {
      return std::min<std::uint64_t>(physical, std::stoull(limit));
    } catch (const std::exception&) {
    }
  }
  return physical;
}

int default_worker_concurrency(double cpus, std::uint64_t memory_bytes) {
  constexpr std::uint64_t kBytesPerJob = std::uint64_t{2} * 1024 * 1024 * 1024;
  const int by_cpu = static_cast<int>(std::floor(cpus));
  const int by_memory = static_cast<int>(memory_bytes / kBytesPerJob);
  return std::max(1, std::min(by_cpu, by_memory));
}

}  // namespace st
