#include "drm/cpix.hpp"

#include <expat.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <span>

#include <fmt/format.h>

#include "packaging/bmff.hpp"
#include "util/base64.hpp"
#include "util/xml.hpp"

namespace st {
namespace {

constexpr std::string_view kCpixNamespace = "urn:dashif:org:cpix";
constexpr std::string_view kPskcNamespace = "urn:ietf:params:xml:ns:keyprov:pskc";
constexpr int kMaxDepth = 16;
constexpr std::size_t kMaxTextBytes = std::size_t{64} * 1024;  // a PSSH with a PlayReady header fits many times
constexpr std::size_t kMaxElements = 4096;

// CPIX 2.3 5.3.2 VideoFilter: SD up to 720x576 pixels, HD up to 1920x1080, UHD above.
std::string usage_filter(TrackType type) {
  switch (type) {
    case TrackType::kAudio:
      return "<cpix:AudioFilter />";
    case TrackType::kSd:
      return R"(<cpix:VideoFilter maxPixels="414720" />)";
    case TrackType::kHd:
      return R"(<cpix:VideoFilter minPixels="414721" maxPixels="2073600" />)";
    case TrackType::kUhd:
      return R"(<cpix:VideoFilter minPixels="2073601" />)";
    case TrackType::kVideo:
      return "<cpix:VideoFilter />";
  }
  return "<cpix:VideoFilter />";
}

// What the answer holds, as read by the expat callbacks.
struct Answer {
  std::string content_id;
  bool saw_root = false;
  struct Key {
    std::string kid;
    std::string value;  // base64
    bool encrypted = false;
  };
  std::vector<Key> keys;
  struct System {
    std::string kid;
    std::string system_id;
    std::string pssh;  // base64
  };
  std::vector<System> systems;
};

class Reader {
 public:
  Reader() : parser_(XML_ParserCreateNS(nullptr, '|'), &XML_ParserFree) {}

  Result<Answer> read(std::string_view document) {
    if (!parser_) return fail(ErrorCode::kInternal, "cannot start the XML parser");
    XML_SetUserData(parser_.get(), this);
    XML_SetElementHandler(parser_.get(), &Reader::on_start, &Reader::on_end);
    XML_SetCharacterDataHandler(parser_.get(), &Reader::on_text);
    // No DTD: no entity can be declared, so none can expand.
    XML_SetStartDoctypeDeclHandler(parser_.get(), &Reader::on_doctype);
    const auto status = XML_Parse(parser_.get(), document.data(), static_cast<int>(document.size()), 1);
    if (!problem_.empty()) return fail(ErrorCode::kInvalidInput, problem_);
    if (status != XML_STATUS_OK) {
      return fail(ErrorCode::kInvalidInput,
                  fmt::format("not XML: {} at line {}", XML_ErrorString(XML_GetErrorCode(parser_.get())),
                              XML_GetCurrentLineNumber(parser_.get())));
    }
    return std::move(answer_);
  }

 private:
  static Reader& self(void* data) { return *static_cast<Reader*>(data); }

  void stop(std::string why) {
    if (problem_.empty()) problem_ = std::move(why);
    XML_StopParser(parser_.get(), XML_FALSE);
  }

  static std::optional<std::string> attribute(const XML_Char** attributes, std::string_view name) {
    for (int i = 0; attributes[i] != nullptr; i += 2) {
      if (name == attributes[i]) return std::string(attributes[i + 1]).substr(0, 256);
    }
    return std::nullopt;
  }

  static void XMLCALL on_doctype(void* data, const XML_Char*, const XML_Char*, const XML_Char*, int) {
    self(data).stop("a document type declaration is not accepted");
  }

  static void XMLCALL on_start(void* data, const XML_Char* qualified, const XML_Char** attributes) {
    auto& r = self(data);
    if (++r.depth_ > kMaxDepth) return r.stop(fmt::format("nested deeper than {} levels", kMaxDepth));
    if (++r.elements_ > kMaxElements) return r.stop(fmt::format("more than {} elements", kMaxElements));
    const std::string_view name(qualified);
    r.text_.clear();
    const auto separator = name.find('|');
    const auto space = separator == std::string_view::npos ? std::string_view() : name.substr(0, separator);
    const auto local = separator == std::string_view::npos ? name : name.substr(separator + 1);
    r.element_ = std::string(local);
    if (space == kCpixNamespace && local == "CPIX") {
      r.answer_.saw_root = r.depth_ == 1;
      r.answer_.content_id = attribute(attributes, "contentId").value_or("");
    } else if (space == kCpixNamespace && local == "ContentKey") {
      r.answer_.keys.push_back({.kid = attribute(attributes, "kid").value_or(""), .value = {}, .encrypted = false});
    } else if (space == kCpixNamespace && local == "DRMSystem") {
      r.answer_.systems.push_back({.kid = attribute(attributes, "kid").value_or(""),
                                   .system_id = attribute(attributes, "systemId").value_or(""),
                                   .pssh = {}});
    } else if (space == kPskcNamespace && local == "EncryptedValue" && !r.answer_.keys.empty()) {
      r.answer_.keys.back().encrypted = true;
    }
    r.in_key_value_ = space == kPskcNamespace && local == "PlainValue";
    r.in_pssh_ = space == kCpixNamespace && local == "PSSH";
  }

  static void XMLCALL on_text(void* data, const XML_Char* text, int length) {
    auto& r = self(data);
    if (!r.in_key_value_ && !r.in_pssh_) return;
    if (r.text_.size() + static_cast<std::size_t>(length) > kMaxTextBytes) {
      return r.stop(fmt::format("a {} longer than {} bytes", r.element_, kMaxTextBytes));
    }
    r.text_.append(text, static_cast<std::size_t>(length));
  }

  static void XMLCALL on_end(void* data, const XML_Char* /*name*/) {
    auto& r = self(data);
    --r.depth_;
    if (r.in_key_value_ && !r.answer_.keys.empty()) r.answer_.keys.back().value = r.text_;
    if (r.in_pssh_ && !r.answer_.systems.empty()) r.answer_.systems.back().pssh = r.text_;
    r.in_key_value_ = false;
    r.in_pssh_ = false;
    r.text_.clear();
  }

  std::unique_ptr<XML_ParserStruct, decltype(&XML_ParserFree)> parser_;
  Answer answer_;
  std::string problem_;
  std::string element_;
  std::string text_;
  int depth_ = 0;
  std::size_t elements_ = 0;
  bool in_key_value_ = false;
  bool in_pssh_ = false;
};

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

}  // namespace

std::string cpix_request(const std::string& content_id, const std::string& scheme,
                         const std::vector<CpixKeyRequest>& keys, const std::vector<std::string>& system_ids) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format(
      "<cpix:CPIX contentId=\"{}\" version=\"2.3\" xmlns:cpix=\"urn:dashif:org:cpix\" "
      "xmlns:pskc=\"urn:ietf:params:xml:ns:keyprov:pskc\">\n",
      xml_escape(content_id));
  out += "  <cpix:ContentKeyList>\n";
  for (const auto& key : keys) {
    out += fmt::format("    <cpix:ContentKey kid=\"{}\" commonEncryptionScheme=\"{}\" />\n", key.kid.uuid(),
                       xml_escape(scheme));
  }
  out += "  </cpix:ContentKeyList>\n  <cpix:DRMSystemList>\n";
  for (const auto& key : keys) {
    for (const auto& system : system_ids) {
      out += fmt::format("    <cpix:DRMSystem kid=\"{}\" systemId=\"{}\">\n", key.kid.uuid(), xml_escape(system));
      out += "      <cpix:PSSH />\n      <cpix:ContentProtectionData />\n";
      out +=
          "      <cpix:HLSSignalingData playlist=\"media\" />\n      <cpix:HLSSignalingData playlist=\"master\" />\n";
      out += "    </cpix:DRMSystem>\n";
    }
  }
  out += "  </cpix:DRMSystemList>\n  <cpix:ContentKeyUsageRuleList>\n";
  for (const auto& key : keys) {
    out += fmt::format("    <cpix:ContentKeyUsageRule kid=\"{}\" intendedTrackType=\"{}\">\n      {}\n", key.kid.uuid(),
                       to_string(key.type), usage_filter(key.type));
    out += "    </cpix:ContentKeyUsageRule>\n";
  }
  out += "  </cpix:ContentKeyUsageRuleList>\n</cpix:CPIX>\n";
  return out;
}

Result<ContentKeys> parse_cpix_response(std::string_view document, const std::string& content_id,
                                        const std::vector<CpixKeyRequest>& requested,
                                        const std::vector<std::string>& system_ids) {
  if (document.size() > kMaxCpixBytes) {
    return fail(ErrorCode::kInvalidInput, fmt::format("a CPIX answer of more than {} bytes", kMaxCpixBytes));
  }
  auto answer = Reader().read(document);
  if (!answer) return tl::unexpected(answer.error());
  if (!answer->saw_root) return fail(ErrorCode::kInvalidInput, "not a CPIX document (no cpix:CPIX root)");
  if (answer->content_id != content_id) {
    return fail(ErrorCode::kInvalidInput,
                fmt::format("the CPIX answer is for content '{:.80}', not '{}'", answer->content_id, content_id));
  }
  ContentKeys out{.content_id = content_id, .keys = {}};
  for (const auto& want : requested) {
    const auto uuid = want.kid.uuid();
    const auto key = std::find_if(answer->keys.begin(), answer->keys.end(), [&](const Answer::Key& k) {
      auto kid = KeyId::parse(k.kid);
      return kid && *kid == want.kid;
    });
    if (key == answer->keys.end()) {
      return fail(ErrorCode::kInvalidInput, fmt::format("the CPIX answer has no content key {}", uuid));
    }
    if (key->encrypted) {
      return fail(ErrorCode::kInvalidInput,
                  fmt::format("content key {} is encrypted (pskc:EncryptedValue); only keys in the clear over HTTPS "
                              "are supported",
                              uuid));
    }
    if (trimmed(key->value).empty()) {
      return fail(ErrorCode::kInvalidInput, fmt::format("the CPIX answer has no value for content key {}", uuid));
    }
    auto bytes = base64_decode(trimmed(key->value));
    if (!bytes || bytes->size() != 16) {
      return fail(ErrorCode::kInvalidInput, fmt::format("content key {} is not 16 bytes of base64", uuid));
    }
    std::array<std::uint8_t, 16> raw{};
    std::copy(bytes->begin(), bytes->end(), raw.begin());
    KeyEntry entry{.type = want.type, .kid = want.kid, .key = ContentKey(raw), .pssh = {}};
    OPENSSL_cleanse(bytes->data(), bytes->size());
    for (const auto& system : answer->systems) {
      auto kid = KeyId::parse(system.kid);
      if (!kid || *kid != want.kid) continue;
      if (std::find(system_ids.begin(), system_ids.end(), system.system_id) == system_ids.end()) continue;
      const auto pssh_text = trimmed(system.pssh);
      if (pssh_text.empty()) continue;  // FairPlay, for one, has none
      const auto box = base64_decode(pssh_text);
      if (!box)
        return fail(ErrorCode::kInvalidInput,
                    fmt::format("the PSSH of {} for {} is not base64", system.system_id, uuid));
      const std::vector<std::uint8_t> bytes_of_box(box->begin(), box->end());
      auto parsed = parse_pssh(bytes_of_box);
      if (!parsed || parsed->system_id != system.system_id) {
        return fail(ErrorCode::kInvalidInput,
                    fmt::format("the PSSH of {} for {} is not a 'pssh' box of that system", system.system_id, uuid));
      }
      entry.pssh.push_back(bytes_of_box);
    }
    out.keys.push_back(std::move(entry));
  }
  for (const auto& key : answer->keys) {
    auto kid = KeyId::parse(key.kid);
    const bool asked =
        kid && std::any_of(requested.begin(), requested.end(), [&](const CpixKeyRequest& r) { return r.kid == *kid; });
    if (!asked) {
      return fail(ErrorCode::kInvalidInput, fmt::format("the CPIX answer has a key ID not asked for: {:.40}", key.kid));
    }
  }
  for (auto& key : answer->keys) OPENSSL_cleanse(key.value.data(), key.value.size());
  return out;
}

}  // namespace st
