#include "media/input_policy.hpp"

namespace st {

std::vector<std::string> safe_input_arguments(const std::filesystem::path& source) {
  // An absolute path behind `file:` cannot be read as another protocol ("concat:",
  // "http:") or as an option (a name starting with '-').
  const auto absolute = std::filesystem::absolute(source).lexically_normal();
  return {"-protocol_whitelist",         "file", "-format_whitelist",
          std::string(kAllowedDemuxers), "-i",   "file:" + absolute.string()};
}

}  // namespace st
