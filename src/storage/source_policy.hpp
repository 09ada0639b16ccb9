// Which sources a job may name, checked where a job is accepted (the API, the
// upload consumer) and again where it is fetched (the worker): a job row
// written before a configuration change, or by hand, gets no further.
//
// With S3, a source's bucket must be one of `allowed_buckets` (s3.source_buckets):
// nobody can make the service read (and publish under their tenant) an object
// of a bucket its credentials happen to reach. With the file store, the bucket
// is not used (one directory holds every source) and the key is resolved
// beneath storage.source_dir only (FileStore::open_beneath).
#pragma once

#include <string>
#include <vector>

#include "jobs/job.hpp"
#include "util/error.hpp"

namespace st {

struct SourcePolicy {
  bool uses_buckets = false;  // S3; false: the file store
  std::vector<std::string> allowed_buckets;

  // kInvalidInput naming the field (source.bucket, source.key) that is refused.
  [[nodiscard]] Result<void> check(const JobSource& source) const;
};

}  // namespace st
