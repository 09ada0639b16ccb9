#include "media/languages.hpp"

#include <algorithm>
#include <cctype>

namespace st {
namespace {

constexpr std::string_view kUndetermined = "und";
constexpr std::string_view kUndeterminedName = "Unknown language";
constexpr std::size_t kMaxRegionLength = 8;  // RFC 5646 subtags are at most 8 characters

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool all_letters(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isalpha(c); });
}

bool all_alphanumeric(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isalnum(c); });
}

const detail::LanguageEntry* by_code(std::string_view code) {
  const auto table = detail::iso639_2_table();
  const auto it = std::lower_bound(table.begin(), table.end(), code,
                                   [](const detail::LanguageEntry& e, std::string_view c) { return e.code < c; });
  return it != table.end() && it->code == code ? &*it : nullptr;
}

const detail::LanguageEntry* by_tag(std::string_view tag) {
  const auto table = detail::iso639_2_table();
  const auto it = std::find_if(table.begin(), table.end(), [&](const auto& e) { return e.tag == tag; });
  return it != table.end() ? &*it : nullptr;
}

}  // namespace

Language language_from_tag(std::string_view code) {
  // "pt-BR", "zh-Hant": the primary subtag decides; a well-formed rest is kept.
  const auto dash = code.find_first_of("-_");
  const auto primary = lower(code.substr(0, dash));
  std::string rest;
  if (dash != std::string_view::npos) {
    const auto tail = code.substr(dash + 1);
    if (tail.size() <= kMaxRegionLength && all_alphanumeric(tail)) rest = "-" + std::string(tail);
  }
  if (all_letters(primary)) {
    const detail::LanguageEntry* entry = nullptr;
    if (primary.size() == 2) entry = by_tag(primary);
    if (primary.size() == 3) entry = by_code(primary);
    if (entry != nullptr && entry->tag != kUndetermined) {
      return Language{std::string(entry->tag) + rest, std::string(entry->name)};
    }
  }
  return Language{std::string(kUndetermined), std::string(kUndeterminedName)};
}

}  // namespace st
