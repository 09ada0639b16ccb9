#include "drm/static_key_provider.hpp"

#include <fstream>
#include <iterator>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/json_fields.hpp"

namespace st {
namespace {

constexpr std::size_t kMaxEntries = 64;
constexpr std::size_t kMaxDocumentBytes = std::size_t{64} * 1024;

}  // namespace

Result<StaticKeyProvider> StaticKeyProvider::load(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(ErrorCode::kUsage, fmt::format("drm static keys: cannot read {}", file));
  std::string document;
  document.resize(kMaxDocumentBytes + 1);
  in.read(document.data(), static_cast<std::streamsize>(document.size()));
  document.resize(static_cast<std::size_t>(in.gcount()));
  if (document.size() > kMaxDocumentBytes) {
    return fail(ErrorCode::kUsage, fmt::format("drm static keys: {} is larger than {} bytes", file, kMaxDocumentBytes));
  }
  return parse(document);
}

Result<StaticKeyProvider> StaticKeyProvider::parse(const std::string& document) {
  auto parsed = parse_json_object(document, {.max_bytes = kMaxDocumentBytes, .max_depth = 4, .max_string_bytes = 256});
  if (!parsed) return fail(ErrorCode::kUsage, fmt::format("drm static keys: {}", parsed.error().message));
  const auto keys = parsed->find("keys");
  if (keys == parsed->end() || !keys->is_array() || keys->empty() || keys->size() > kMaxEntries) {
    return fail(
        ErrorCode::kUsage,
        fmt::format("drm static keys: \"keys\" must be an array of 1 to {} {{trackType, kid, key}}", kMaxEntries));
  }
  StaticKeyProvider provider;
  std::vector<std::string> problems;
  for (std::size_t i = 0; i < keys->size(); ++i) {
    const auto& item = (*keys)[i];
    const auto text = [&](const char* name) -> std::string {
      const auto it = item.is_object() ? item.find(name) : item.end();
      return item.is_object() && it != item.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    Entry entry;
    const auto type = text("trackType");
    if (type != "ALL") {
      entry.type = parse_track_type(type);
      if (!entry.type) {
        problems.push_back(fmt::format("keys[{}].trackType must be VIDEO, SD, HD, UHD1, AUDIO or ALL", i));
        continue;
      }
    }
    auto kid = KeyId::parse(text("kid"));
    auto key = ContentKey::parse_hex(text("key"));
    if (!kid) problems.push_back(fmt::format("keys[{}].kid: {}", i, kid.error().message));
    if (!key) problems.push_back(fmt::format("keys[{}].key: {}", i, key.error().message));
    if (!kid || !key) continue;
    entry.kid = *kid;
    entry.key = *key;
    for (const auto& other : provider.entries_) {
      if (other.type == entry.type) problems.push_back(fmt::format("keys[{}]: a second key for {}", i, type));
      if (other.kid == entry.kid && other.key.bytes() != entry.key.bytes()) {
        problems.push_back(fmt::format("keys[{}]: key ID {} names two different keys", i, entry.kid.hex()));
      }
    }
    provider.entries_.push_back(std::move(entry));
  }
  if (!problems.empty()) {
    return fail(ErrorCode::kUsage, fmt::format("drm static keys: {}", fmt::join(problems, "; ")));
  }
  return provider;
}

Result<ContentKeys> StaticKeyProvider::keys_for(const KeyRequest& request) {
  ContentKeys out{.content_id = request.content_id, .keys = {}};
  for (const auto type : request.types) {
    if (out.for_type(type) != nullptr) continue;
    const Entry* chosen = nullptr;
    for (const auto& e : entries_) {
      if (e.type == type) chosen = &e;
      if (!e.type && chosen == nullptr) chosen = &e;
    }
    // A type without a key may have no track to encrypt (no UHD rendition of
    // an HD source): the packager refuses a track whose key is missing.
    if (chosen == nullptr) continue;
    out.keys.push_back({.type = type, .kid = chosen->kid, .key = chosen->key, .pssh = {}});
  }
  if (out.keys.empty()) return fail(ErrorCode::kUsage, "drm static keys: no key for any requested track type");
  return out;
}

}  // namespace st
