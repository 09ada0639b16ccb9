// The service's JobHandler: one job from its master to its published outputs.
//
//   fetch    the master from its ObjectStore (S3, or the embedded file store,
//            which reads only beneath storage.source_dir) to a scratch folder
//            of its own, after checking the source against the SourcePolicy
//            and that the disk can hold it; size and checksum checked against
//            the job; then its sidecar subtitle files from the same bucket
//            (one that is missing or too large is reported, not fatal)
//   plan     the tenant's policy (allowed profiles, top rung, segment
//            duration, preset, input limits) over the service's defaults
//   keys     when the policy encrypts, the content keys from the KeyProvider
//            (a key server that is down fails the job as retryable, before
//            the master is downloaded); they live in memory only
//   run      the Pipeline (probe, plan, encode, package, thumbnails, report),
//            ffmpeg limited in wall time, CPU, memory and file size
//   publish  once the lease is confirmed, to the output store under
//            {prefix/}{tenantId}/{videoId}/{jobId}/run-{fencingToken}/, media
//            first and manifests last (OutputPublisher); the published
//            report.json holds no local path or command line (the full report
//            is the job's result)
//
// The scratch folder (in the process's ScratchSpace) is removed when the job
// ends, whatever the outcome; a crash's leftovers go when the service restarts.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>

#include "drm/content_keys.hpp"
#include "jobs/job_handler.hpp"
#include "jobs/tenant_policy.hpp"
#include "pipeline/pipeline.hpp"
#include "storage/object_store.hpp"
#include "storage/source_policy.hpp"

namespace st {

struct TranscodeJobOptions {
  std::filesystem::path scratch_dir;
  std::string output_prefix;  // before {tenantId}/...; may be empty
  PipelineOptions pipeline;
  int upload_concurrency = 8;
  // Free space a job needs on the scratch disk, as a multiple of its master's
  // size (the master, the encoder's scratch output and the packaged copy).
  double scratch_space_factor = 3.0;
  SourcePolicy sources;
  // ffmpeg's limits, scaled to the probed duration (see EncodeBudget).
  EncodeBudget budget;
  // The output bucket, named in the outcome's keys; empty for a directory.
  std::string output_bucket;
  // Content protection for tenants whose policy does not say, and where players get licences.
  DrmPolicy drm;
  ProtectionSignalling signalling;
};

// The pipeline's options for one job of a tenant: `base` (the service's
// configuration) narrowed by the tenant's policy and the job's own profiles.
// kInvalidInput naming the policy field when the job asks for what it forbids.
Result<PipelineOptions> options_for(const PipelineOptions& base, const TenantPolicy& policy,
                                    const std::vector<std::string>& requested_profiles);

// The store that holds a source bucket's objects.
using SourceStores = std::function<std::shared_ptr<ObjectStore>(const std::string& bucket)>;

class TranscodeJobHandler final : public JobHandler {
 public:
  // `policies` may be null: every tenant gets the service's defaults.
  // `keys` may be null: a job whose policy encrypts then fails for good.
  TranscodeJobHandler(TranscodeJobOptions options, SourceStores sources, std::shared_ptr<ObjectStore> outputs,
                      TenantPolicies* policies = nullptr, std::shared_ptr<KeyProvider> keys = nullptr)
      : options_(std::move(options)),
        sources_(std::move(sources)),
        outputs_(std::move(outputs)),
        policies_(policies),
        keys_(std::move(keys)) {}
  Result<JobOutcome> run(const Job& job, JobContext& context) override;

 private:
  Result<std::filesystem::path> fetch(const Job& job, const std::filesystem::path& scratch,
                                      const std::stop_token& stop);
  Result<std::vector<SidecarFile>> fetch_sidecars(const Job& job, const SidecarLimits& limits,
                                                  const std::filesystem::path& scratch, const std::stop_token& stop);

  TranscodeJobOptions options_;
  SourceStores sources_;
  std::shared_ptr<ObjectStore> outputs_;
  TenantPolicies* policies_;
  std::shared_ptr<KeyProvider> keys_;
};

}  // namespace st
