// Content keys, as the packager needs them and as nothing else may see them.
//
// A key ID names a key and is public: it goes into init segments, manifests,
// the outcome event and the DRM service's records. A content key is the
// secret: it lives in memory and in the packager's input only, prints as
// "[redacted]", and its bytes are wiped when it goes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "util/error.hpp"

namespace st {

// The track types a key policy tells apart (SPEKE v2's intended track types):
// VIDEO is every video rendition under one key, SD/HD/UHD1 split them.
enum class TrackType { kVideo, kSd, kHd, kUhd, kAudio };
std::string_view to_string(TrackType type);  // "VIDEO", "SD", "HD", "UHD1", "AUDIO"
std::optional<TrackType> parse_track_type(std::string_view text);
// A video rendition's type by its smaller side: SD below 720, HD up to 1080, UHD above.
TrackType video_track_type(int width, int height);

struct KeyId {
  std::array<std::uint8_t, 16> bytes{};

  // 32 hex digits ("cf1c..."), or a UUID with its hyphens; kInvalidInput otherwise.
  static Result<KeyId> parse(std::string_view text);
  [[nodiscard]] std::string hex() const;   // lowercase, 32 digits
  [[nodiscard]] std::string uuid() const;  // 8-4-4-4-12, as cenc:default_KID
  friend bool operator==(const KeyId&, const KeyId&) = default;
};

// 16 secret bytes. Copyable (the packager's input is built from it), never
// printable, wiped on destruction.
class ContentKey {
 public:
  ContentKey() = default;
  // 32 hex digits; the message of a failure never repeats the text.
  static Result<ContentKey> parse_hex(std::string_view text);
  explicit ContentKey(const std::array<std::uint8_t, 16>& bytes) : bytes_(bytes) {}
  ContentKey(const ContentKey&) = default;
  ContentKey& operator=(const ContentKey&) = default;
  ~ContentKey();

  // For the packager's input alone: the one place the key is written out.
  [[nodiscard]] std::string hex_for_packager() const;
  [[nodiscard]] const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }

 private:
  std::array<std::uint8_t, 16> bytes_{};
};

struct KeyEntry {
  TrackType type = TrackType::kHd;
  KeyId kid;
  ContentKey key;
  // PSSH boxes (whole, public) the key server made for this key; none when
  // the packager is to write them for the policy's systems.
  std::vector<std::vector<std::uint8_t>> pssh;
};

// The keys of one piece of content, one per track type the policy asks for.
struct ContentKeys {
  std::string content_id;
  std::vector<KeyEntry> keys;

  // nullptr when the policy gave that type no key.
  [[nodiscard]] const KeyEntry* for_type(TrackType type) const;
};

// What one job asks of the key provider: SPEKE v2's encryption contract.
struct KeyRequest {
  std::string content_id;
  std::vector<TrackType> types;  // one key each
  std::string scheme;            // "cenc", "cbcs" or "aes-128" (CPIX commonEncryptionScheme)
  // The DRM systems (their IDs, as UUIDs) whose signalling data to ask for.
  std::vector<std::string> system_ids;
};

// Where keys come from: the static provider (a secret file or the
// environment) or a SPEKE v2 key server. kUnavailable when the source is
// away (the job is retried), kInvalidInput or kUsage when it answered with
// something unusable.
class KeyProvider {
 public:
  virtual ~KeyProvider() = default;
  virtual Result<ContentKeys> keys_for(const KeyRequest& request) = 0;
};

}  // namespace st

// A content key in a log line, a message or a report is a bug; this makes it a harmless one.
template <>
struct fmt::formatter<st::ContentKey> : fmt::formatter<std::string_view> {
  template <typename Context>
  auto format(const st::ContentKey& /*key*/, Context& context) const {
    return fmt::formatter<std::string_view>::format("[redacted]", context);
  }
};
