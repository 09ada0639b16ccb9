#include "http/cursor.hpp"

#include <array>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util/base64.hpp"

namespace st {

std::string CursorCodec::sign(const std::string& payload, const std::string& binding) const {
  const auto message = payload + '\n' + binding;
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), mac.data(), &length);
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(mac.data()), length));
}

std::string CursorCodec::encode(const JobCursor& cursor, const std::string& binding) const {
  const auto payload = base64url_encode(cursor.created_at + '|' + cursor.id);
  return payload + '.' + sign(payload, binding);
}

Result<JobCursor> CursorCodec::decode(const std::string& text, const std::string& binding) const {
  const auto refuse = [] { return fail(ErrorCode::kUsage, "cursor is not a cursor of this listing"); };
  if (text.size() > 256) return refuse();
  const auto dot = text.find('.');
  if (dot == std::string::npos) return refuse();
  const auto payload = text.substr(0, dot);
  const auto signature = text.substr(dot + 1);
  const auto expected = sign(payload, binding);
  if (signature.size() != expected.size() || CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) != 0) {
    return refuse();
  }
  const auto decoded = base64url_decode(payload);
  if (!decoded) return refuse();
  const auto bar = decoded->find('|');
  if (bar == std::string::npos) return refuse();
  return JobCursor{decoded->substr(0, bar), decoded->substr(bar + 1)};
}

}  // namespace st
