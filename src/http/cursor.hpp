// The opaque, signed cursor of GET /v1/jobs: where the next page starts
// (created_at, id), bound to the listing it came from (scope and filters), and
// signed with HMAC-SHA256 so that a client can neither forge one nor carry it
// to another tenant's listing. Every pod must share the key (api.cursor_key)
// for a cursor to work on whichever pod the next request reaches.
#pragma once

#include <string>

#include "jobs/job_catalog.hpp"
#include "util/error.hpp"

namespace st {

class CursorCodec {
 public:
  explicit CursorCodec(std::string key) : key_(std::move(key)) {}

  // `binding` names the listing (scope and filters) the cursor belongs to.
  [[nodiscard]] std::string encode(const JobCursor& cursor, const std::string& binding) const;
  // kUsage when it is not a cursor of this listing signed with our key.
  [[nodiscard]] Result<JobCursor> decode(const std::string& text, const std::string& binding) const;

 private:
  [[nodiscard]] std::string sign(const std::string& payload, const std::string& binding) const;
  std::string key_;
};

}  // namespace st
