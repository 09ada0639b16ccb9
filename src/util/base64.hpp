// Base64url (RFC 4648 section 5) without padding, as JOSE and our cursors use
// it, and base64 (section 4) with padding, as XML documents and manifests carry bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace st {

std::string base64url_encode(std::string_view bytes);
// nullopt for a character outside the alphabet, padding, or an impossible length.
std::optional<std::string> base64url_decode(std::string_view text);

std::string base64_encode(std::string_view bytes);
std::string base64_encode(std::span<const std::uint8_t> bytes);
// nullopt for a character outside the alphabet, misplaced padding, or an impossible length.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace st
