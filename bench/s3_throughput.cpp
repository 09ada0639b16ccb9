// S3 upload and download throughput of S3Store with 1, 4 and 8 parts in flight.
//
//   s3_throughput ENDPOINT FILE [ROUNDS]
//
// Uploads FILE as a multipart upload (16 MiB parts) and downloads it back with
// ranged GETs, for each concurrency, alternating, ROUNDS times; prints the
// median MiB/s of each and the ratios to one part at a time.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "storage/s3_store.hpp"

namespace {

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s ENDPOINT FILE [ROUNDS]\n", argv[0]);
    return 2;
  }
  const std::string endpoint = argv[1];
  const std::filesystem::path file = argv[2];
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 3;
  const auto mib = static_cast<double>(std::filesystem::file_size(file)) / (1 << 20);
  auto credentials = std::make_shared<st::StaticCredentials>(
      st::AwsCredentials{.access_key_id = "bench", .secret_access_key = "bench"});
  st::S3Store admin("bench", {.endpoint = endpoint}, credentials);
  if (auto created = admin.create_bucket(); !created) {
    std::fprintf(stderr, "%s\n", created.error().message.c_str());
    return 1;
  }
  const std::vector<int> concurrencies = {1, 4, 8};
  std::map<int, std::vector<double>> up;
  std::map<int, std::vector<double>> down;
  const auto back = file.parent_path() / "s3-throughput.back";
  for (int round = 0; round < rounds; ++round) {
    for (const int c : concurrencies) {
      st::S3Store s3(
          "bench",
          {.endpoint = endpoint, .part_size = 16ULL << 20, .multipart_threshold = 16ULL << 20, .concurrency = c},
          credentials);
      const auto key = fmt::format("bench/{}-{}", round, c);
      auto start = std::chrono::steady_clock::now();
      if (auto put = s3.put(key, file, "application/octet-stream"); !put) {
        std::fprintf(stderr, "%s\n", put.error().message.c_str());
        return 1;
      }
      up[c].push_back(mib / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      start = std::chrono::steady_clock::now();
      if (auto got = s3.get(key, back, {}); !got) {
        std::fprintf(stderr, "%s\n", got.error().message.c_str());
        return 1;
      }
      down[c].push_back(mib / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      static_cast<void>(s3.remove_prefix(key));
    }
  }
  std::filesystem::remove(back);
  fmt::print("{:.0f} MiB, 16 MiB parts, median of {} rounds\n", mib, rounds);
  fmt::print("{:>12} {:>14} {:>14} {:>10} {:>10}\n", "parts", "upload MiB/s", "download MiB/s", "up x1", "down x1");
  for (const int c : concurrencies) {
    fmt::print("{:>12} {:>14.1f} {:>14.1f} {:>10.2f} {:>10.2f}\n", c, median(up[c]), median(down[c]),
               median(up[c]) / median(up[1]), median(down[c]) / median(down[1]));
  }
  return 0;
}
