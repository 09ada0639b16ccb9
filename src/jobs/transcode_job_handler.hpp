// The service's JobHandler: runs the transcoding pipeline for one job.
//
// Today sources are local: an absolute path, or a key below storage.source_dir
// (the embedded file store). Outputs are published to
// {output_dir}/{tenantId}/{videoId}/{jobId}/ with the layout of docs/outputs.md,
// staged beside it and renamed into place. S3 replaces both ends in issue 5.
#pragma once

#include <filesystem>

#include "jobs/job_handler.hpp"
#include "pipeline/pipeline.hpp"

namespace st {

struct TranscodeJobOptions {
  std::filesystem::path source_dir;
  std::filesystem::path output_dir;
  PipelineOptions pipeline;
};

class TranscodeJobHandler final : public JobHandler {
 public:
  explicit TranscodeJobHandler(TranscodeJobOptions options) : options_(std::move(options)) {}
  Result<std::string> run(const Job& job, JobContext& context) override;

  // Where a job's outputs go, relative to the output root: "{prefix/}{tenant}/{video}/{job}/".
  [[nodiscard]] static std::string output_key_prefix(const Job& job);
  // Where a job's outputs go on disk.
  [[nodiscard]] std::filesystem::path output_for(const Job& job) const;

 private:
  TranscodeJobOptions options_;
};

}  // namespace st
