#include "util/temp_dir.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace st {

namespace fs = std::filesystem;

Result<TempDir> TempDir::create(const fs::path& parent, const std::string& prefix) {
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) {
    return fail(ErrorCode::kIo, fmt::format("cannot create {}: {}", parent.string(), ec.message()));
  }
  std::string pattern = (parent / (prefix + "XXXXXX")).string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) {
    return fail(ErrorCode::kIo,
                fmt::format("cannot create a directory in {}: {}", parent.string(), std::strerror(errno)));
  }
  return TempDir(fs::path(buffer.data()));
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);  // best effort: a destructor has no one to report to
}

Result<void> TempDir::commit_to(const fs::path& destination) {
  std::error_code ec;
  if (fs::is_directory(destination, ec) && fs::is_empty(destination, ec)) {
    fs::remove(destination, ec);
  }
  if (std::rename(path_.c_str(), destination.c_str()) != 0) {
    return fail(ErrorCode::kIo,
                fmt::format("cannot move {} to {}: {}", path_.string(), destination.string(), std::strerror(errno)));
  }
  path_.clear();
  return {};
}

}  // namespace st
