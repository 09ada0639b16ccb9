// An output directory that appears complete or not at all.
//
// Everything is written into a hidden sibling of the destination and renamed into
// place by commit(). A failed, cancelled or killed run leaves no destination at
// all (or the previous one untouched), so a reader never finds a manifest that
// names missing segments.
#pragma once

#include <filesystem>

#include "util/error.hpp"
#include "util/temp_dir.hpp"

namespace st {

class StagedDirectory {
 public:
  // Refuses an existing non-empty destination unless `replace` is set.
  static Result<StagedDirectory> prepare(const std::filesystem::path& destination, bool replace);

  [[nodiscard]] const std::filesystem::path& path() const { return staging_.path(); }
  [[nodiscard]] const std::filesystem::path& destination() const { return destination_; }

  // Moves the staged contents to the destination, replacing what was there.
  Result<void> commit();

 private:
  StagedDirectory(TempDir staging, std::filesystem::path destination)
      : staging_(std::move(staging)), destination_(std::move(destination)) {}

  TempDir staging_;
  std::filesystem::path destination_;
};

}  // namespace st
