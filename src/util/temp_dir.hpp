// A directory that deletes itself, unless its contents were handed over.
#pragma once

#include <filesystem>

#include "util/error.hpp"

namespace st {

class TempDir {
 public:
  // Creates a fresh directory named `<parent>/<prefix>XXXXXX`. Created beside the
  // final destination, a staging directory can later be renamed into place
  // atomically (rename(2) does not cross filesystems).
  static Result<TempDir> create(const std::filesystem::path& parent, const std::string& prefix);

  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

  // Atomically renames the directory to `destination` (which must not exist or be
  // an empty directory) and gives up ownership: nothing is deleted afterwards.
  Result<void> commit_to(const std::filesystem::path& destination);

 private:
  explicit TempDir(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

}  // namespace st
