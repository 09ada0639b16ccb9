#include "util/sha256.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include <fmt/format.h>

namespace st {

Result<Sha256> sha256_of_file_range(int fd, std::uint64_t offset, std::uint64_t size) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr);
  std::vector<char> buffer(std::size_t{1} << 20);
  while (size > 0) {
    const auto chunk = static_cast<std::size_t>(std::min<std::uint64_t>(size, buffer.size()));
    const auto got = ::pread(fd, buffer.data(), chunk, static_cast<off_t>(offset));
    if (got <= 0) {
      return fail(ErrorCode::kIo, fmt::format("cannot read the file to hash: {}",
                                              got == 0 ? "it is shorter than expected" : std::strerror(errno)));
    }
    EVP_DigestUpdate(context.get(), buffer.data(), static_cast<std::size_t>(got));
    offset += static_cast<std::uint64_t>(got);
    size -= static_cast<std::uint64_t>(got);
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(context.get(), digest.data(), &length);
  Sha256 out;
  for (unsigned int i = 0; i < length; ++i) out.hex += fmt::format("{:02x}", digest[i]);
  std::array<unsigned char, 64> base64{};
  const int base64_length = EVP_EncodeBlock(base64.data(), digest.data(), static_cast<int>(length));
  out.base64.assign(reinterpret_cast<const char*>(base64.data()), static_cast<std::size_t>(base64_length));
  return out;
}

Result<Sha256> sha256_of_file(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(ErrorCode::kIo, fmt::format("cannot open {}: {}", file.string(), std::strerror(errno)));
  std::error_code error;
  const auto size = std::filesystem::file_size(file, error);
  auto hashed = error ? fail(ErrorCode::kIo, fmt::format("cannot size {}: {}", file.string(), error.message()))
                      : sha256_of_file_range(fd, 0, size);
  ::close(fd);
  return hashed;
}

}  // namespace st
