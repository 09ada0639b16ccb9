// The naming scheme of outputs (docs/outputs.md), and the checks that keep
// every key inside its tenant's prefix whatever an event contains.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/error.hpp"

namespace st {

// True for a tenant, video or job id that can be a path segment: letters,
// digits, ".", "_", "-", starting with a letter or digit, no "..", at most 128.
bool is_safe_id(std::string_view id);

// True for an object key with no empty, "." or ".." segment, no leading "/",
// no control characters or backslashes.
bool is_safe_key(std::string_view key);

// True for a name that S3 accepts for a general purpose bucket: 3-63 of
// a-z, 0-9, '.' and '-', starting and ending with a letter or digit, no "..",
// not an IPv4 address, none of AWS's reserved prefixes and suffixes. A name
// that passes is also a valid DNS label sequence, so it can stand in a
// virtual-host URL.
bool is_valid_bucket_name(std::string_view name);

// "{prefix/}{tenantId}/{videoId}/{jobId}/run-{fencingToken}/": where one
// attempt of a job puts its outputs. Each claim of a job has a fencing token of
// its own, so a stale worker that lost its lease can only ever write beneath
// its own run: it cannot overwrite the outputs that the job's current owner
// publishes and announces. kInvalidInput names the id that is not safe.
Result<std::string> output_key_prefix(std::string_view prefix, std::string_view tenant_id, std::string_view video_id,
                                      std::string_view job_id, std::int64_t fencing_token);

}  // namespace st
