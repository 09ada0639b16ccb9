// What a worker does with a claimed job. The service's handler runs the
// transcoding pipeline; tests plug in handlers that count, fail or stall.
#pragma once

#include <stop_token>
#include <string>

#include "jobs/job.hpp"
#include "pipeline/pipeline.hpp"
#include "util/error.hpp"

namespace st {

// Given to a handler for the duration of one job. Called from the handler's
// thread. As a PipelineObserver it takes the job's progress: the handler
// reports its own steps (fetch, publish) and passes the context to the
// pipeline for the rest; the worker publishes it (live, and to the database).
class JobContext : public PipelineObserver {
 public:
  // Requested when the lease was lost, the job cancelled or the service stops.
  [[nodiscard]] virtual std::stop_token stop_token() const = 0;
  // Renews the lease now and says whether the job is still this worker's:
  // kConflict (or kNotFound) when another attempt owns it. Called right
  // before a step that others would see (publishing outputs).
  virtual Result<void> confirm_lease() = 0;
};

class JobHandler {
 public:
  virtual ~JobHandler() = default;
  // What the job produced (stored with the job and announced), or why it
  // failed: Error::is_permanent() failures are not retried.
  virtual Result<JobOutcome> run(const Job& job, JobContext& context) = 0;
};

}  // namespace st
