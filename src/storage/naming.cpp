#include "storage/naming.hpp"

#include <fmt/format.h>

namespace st {

bool is_safe_id(std::string_view id) {
  if (id.empty() || id.size() > 128 || id.find("..") != std::string_view::npos) return false;
  const auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  };
  if (!allowed(id.front()) || id.front() == '.' || id.front() == '_' || id.front() == '-') return false;
  for (const char c : id) {
    if (!allowed(c)) return false;
  }
  return true;
}

bool is_safe_key(std::string_view key) {
  if (key.empty() || key.front() == '/' || key.size() > 1024) return false;
  for (const char c : key) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\') return false;
  }
  std::size_t start = 0;
  while (start <= key.size()) {
    auto end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    const auto segment = key.substr(start, end - start);
    // A trailing "/" (a prefix) is fine; empty segments elsewhere are not.
    if ((segment.empty() && end != key.size()) || segment == "." || segment == "..") return false;
    start = end + 1;
  }
  return true;
}

bool is_valid_bucket_name(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) return false;
  const auto is_lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!is_lower_or_digit(name.front()) || !is_lower_or_digit(name.back())) return false;
  bool only_digits_and_dots = true;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (!is_lower_or_digit(c) && c != '.' && c != '-') return false;
    if (c == '.' && (name[i - 1] == '.' || name[i - 1] == '-' || name[i + 1] == '-')) return false;
    if ((c < '0' || c > '9') && c != '.') only_digits_and_dots = false;
  }
  // "192.168.5.4" is refused by S3 (it looks like an address).
  if (only_digits_and_dots) return false;
  for (const std::string_view reserved_prefix : {"xn--", "sthree-", "amzn-s3-demo-"}) {
    if (name.starts_with(reserved_prefix)) return false;
  }
  for (const std::string_view reserved_suffix : {"-s3alias", "--ol-s3", "--x-s3", ".mrap"}) {
    if (name.ends_with(reserved_suffix)) return false;
  }
  return true;
}

Result<std::string> output_key_prefix(std::string_view prefix, std::string_view tenant_id, std::string_view video_id,
                                      std::string_view job_id, std::int64_t fencing_token) {
  for (const auto& [name, id] : {std::pair{"tenant id", tenant_id}, {"video id", video_id}, {"job id", job_id}}) {
    if (!is_safe_id(id)) {
      return fail(
          ErrorCode::kInvalidInput,
          fmt::format("the {} '{}' cannot name an output folder: use letters, digits, '.', '_' and '-'", name, id));
    }
  }
  std::string out(prefix);
  while (!out.empty() && out.back() == '/') out.pop_back();
  if (!out.empty() && !is_safe_key(out)) {
    return fail(ErrorCode::kUsage, fmt::format("the output prefix '{}' is not a safe key prefix", prefix));
  }
  if (!out.empty()) out += '/';
  return fmt::format("{}{}/{}/{}/run-{}/", out, tenant_id, video_id, job_id, fencing_token);
}

}  // namespace st
