// Small filesystem helpers that report failures as Errors.
#pragma once

#include <filesystem>
#include <string_view>

#include "util/error.hpp"

namespace st {

Result<void> write_text_file(const std::filesystem::path& path, std::string_view content);
Result<void> make_directories(const std::filesystem::path& path);
Result<void> move_file(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace st
