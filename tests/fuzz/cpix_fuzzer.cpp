// A key server's CPIX answer: XML from another service, read for keys and
// PSSH boxes (DTDs refused, depth, element count and value sizes bounded).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "drm/cpix.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<st::CpixKeyRequest> requested = {
      {.kid = *st::KeyId::parse("9d9e3878f070c8ed99fc1b005bbd3da5"), .type = st::TrackType::kVideo},
      {.kid = *st::KeyId::parse("ae289d07740d1fa0937ae73c5c549445"), .type = st::TrackType::kAudio}};
  static const std::vector<std::string> systems = {"edef8ba9-79d6-4ace-a3c8-27dcd51d21ed",
                                                   "9a04f079-9840-4286-ab92-e65be0885f95"};
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  static_cast<void>(st::parse_cpix_response(text, "acme/video-1", requested, systems));
  return 0;
}
