// SigV4 canonicalisation of whatever a key, a query or a header may hold
// (object keys come from upload events). Fields are separated by NUL bytes:
// method, path, query name, query value, header name, header value.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "storage/sigv4.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> fields(1);
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == 0 && fields.size() < 6) {
      fields.emplace_back();
    } else {
      fields.back().push_back(static_cast<char>(data[i]));
    }
  }
  fields.resize(6);
  st::SignableRequest request{
      .method = fields[0],
      .path = st::uri_encode(fields[1], true),
      .query = {{fields[2], fields[3]}},
      .headers = {{"host", "s3.amazonaws.com"}, {"x-amz-date", "20261126T000000Z"}, {fields[4], fields[5]}},
      .payload_sha256 = st::sha256_hex(fields[1])};
  const st::SigV4Signer signer("us-east-1", "s3");
  static_cast<void>(st::SigV4Signer::canonical_request(request));
  static_cast<void>(signer.authorization(request, {.access_key_id = "AKID", .secret_access_key = "secret"}));
  return 0;
}
