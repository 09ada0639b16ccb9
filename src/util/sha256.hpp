// SHA-256 of files, streamed (never the whole file in memory): S3 payload
// signatures (a part of a file) and master checksums (a whole file).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "util/error.hpp"

namespace st {

struct Sha256 {
  std::string hex;     // lowercase, 64 digits
  std::string base64;  // 44 characters, as S3 and some uploaders write it
};

// `size` bytes of the open file `fd` from `offset`.
Result<Sha256> sha256_of_file_range(int fd, std::uint64_t offset, std::uint64_t size);
Result<Sha256> sha256_of_file(const std::filesystem::path& file);

}  // namespace st
