#include "drm/content_keys.hpp"

#include <openssl/crypto.h>

#include <algorithm>

namespace st {
namespace {

constexpr std::array<std::pair<TrackType, std::string_view>, 5> kTrackTypes = {{
    {TrackType::kVideo, "VIDEO"},
    {TrackType::kSd, "SD"},
    {TrackType::kHd, "HD"},
    {TrackType::kUhd, "UHD1"},
    {TrackType::kAudio, "AUDIO"},
}};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// 32 hex digits into 16 bytes; false for anything else.
bool parse_16_bytes(std::string_view hex, std::array<std::uint8_t, 16>& out) {
  if (hex.size() != 32) return false;
  for (std::size_t i = 0; i < 16; ++i) {
    const int high = hex_value(hex[2 * i]);
    const int low = hex_value(hex[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    out[i] = static_cast<std::uint8_t>(high * 16 + low);
  }
  return true;
}

std::string to_hex(const std::array<std::uint8_t, 16>& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(32);
  for (const auto b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0F]);
  }
  return out;
}

}  // namespace

std::string_view to_string(TrackType type) {
  for (const auto& [value, name] : kTrackTypes) {
    if (value == type) return name;
  }
  return "HD";
}

std::optional<TrackType> parse_track_type(std::string_view text) {
  for (const auto& [value, name] : kTrackTypes) {
    if (name == text) return value;
  }
  return std::nullopt;
}

TrackType video_track_type(int width, int height) {
  const int side = std::min(width, height);
  if (side < 720) return TrackType::kSd;
  if (side <= 1080) return TrackType::kHd;
  return TrackType::kUhd;
}

Result<KeyId> KeyId::parse(std::string_view text) {
  std::string digits;
  if (text.size() == 36) {
    // 8-4-4-4-12
    for (std::size_t i = 0; i < text.size(); ++i) {
      const bool hyphen = i == 8 || i == 13 || i == 18 || i == 23;
      if (hyphen != (text[i] == '-')) return fail(ErrorCode::kInvalidInput, "a key ID is 32 hex digits or a UUID");
      if (!hyphen) digits.push_back(text[i]);
    }
    text = digits;
  }
  KeyId id;
  if (!parse_16_bytes(text, id.bytes)) return fail(ErrorCode::kInvalidInput, "a key ID is 32 hex digits or a UUID");
  return id;
}

std::string KeyId::hex() const {
  return to_hex(bytes);
}

std::string KeyId::uuid() const {
  const auto h = hex();
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

Result<ContentKey> ContentKey::parse_hex(std::string_view text) {
  std::array<std::uint8_t, 16> bytes{};
  if (!parse_16_bytes(text, bytes)) {
    OPENSSL_cleanse(bytes.data(), bytes.size());
    return fail(ErrorCode::kInvalidInput, "a content key is 32 hex digits");
  }
  ContentKey key(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return key;
}

ContentKey::~ContentKey() {
  OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

std::string ContentKey::hex_for_packager() const {
  return to_hex(bytes_);
}

const KeyEntry* ContentKeys::for_type(TrackType type) const {
  const auto it = std::find_if(keys.begin(), keys.end(), [&](const KeyEntry& e) { return e.type == type; });
  return it != keys.end() ? &*it : nullptr;
}

}  // namespace st
