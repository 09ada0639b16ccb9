#include "storage/source_policy.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "storage/naming.hpp"

namespace st {

Result<void> SourcePolicy::check(const JobSource& source) const {
  if (!is_safe_key(source.key) || source.key.back() == '/') {
    return fail(ErrorCode::kInvalidInput,
                "source.key must be a relative object key (1-1024 characters, no '.' or '..' segments, no "
                "control characters or backslashes)");
  }
  if (!source.bucket.empty() && !is_valid_bucket_name(source.bucket)) {
    return fail(ErrorCode::kInvalidInput, "source.bucket is not a valid S3 bucket name");
  }
  if (!uses_buckets) return {};
  if (source.bucket.empty()) return fail(ErrorCode::kInvalidInput, "source.bucket is required");
  if (std::find(allowed_buckets.begin(), allowed_buckets.end(), source.bucket) == allowed_buckets.end()) {
    // The name is valid (checked above), so it can be quoted safely.
    return fail(ErrorCode::kInvalidInput,
                fmt::format("source.bucket '{}' is not one this service reads sources from (s3.source_buckets)",
                            source.bucket));
  }
  return {};
}

}  // namespace st
