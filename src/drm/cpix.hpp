// CPIX 2.3 documents as SPEKE v2.0 exchanges them (DASH-IF CPIX, AWS's
// "SPEKE API v2" profile): the request an encryptor sends for one content's
// keys, and the key server's answer read back.
//
// The answer comes from another service and is read as hostile: at most
// kMaxCpixBytes, parsed by expat with no DTD (so no entity of any kind), at
// most 16 levels deep, and every value bounded before it is decoded. Keys
// are accepted in the clear only (pskc:PlainValue over HTTPS; SPEKE's
// document-level key encryption is not used), and never appear in a message.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "drm/content_keys.hpp"
#include "util/error.hpp"

namespace st {

inline constexpr std::size_t kMaxCpixBytes = std::size_t{1} << 20;

// One key to ask for: its (fresh) key ID and the track type it is for.
struct CpixKeyRequest {
  KeyId kid;
  TrackType type = TrackType::kVideo;
};

// The request document: a ContentKey per key, a DRMSystem per key and
// system (asking for its PSSH and signalling data), and a usage rule per key
// with a video filter by resolution (SD up to 576 lines, HD up to 1080) or an
// audio filter.
std::string cpix_request(const std::string& content_id, const std::string& scheme,
                         const std::vector<CpixKeyRequest>& keys, const std::vector<std::string>& system_ids);

// The answer: for every requested key its value and the PSSH boxes the
// server made for it (of the requested systems). kInvalidInput naming what is
// wrong (not CPIX, another content ID, a key missing, not 16 bytes, a key ID
// not asked for, a PSSH that is not one), never quoting a key.
Result<ContentKeys> parse_cpix_response(std::string_view document, const std::string& content_id,
                                        const std::vector<CpixKeyRequest>& requested,
                                        const std::vector<std::string>& system_ids);

}  // namespace st
