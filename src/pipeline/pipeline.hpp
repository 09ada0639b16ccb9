// The transcoding pipeline for one local source: probe -> plan -> (analyse,
// for the per-title ladder) -> encode -> quality -> package -> thumbnails -> report, all written into one output root.
//
// The caller owns where the root lives: the `transcode` command stages it
// beside the final directory and renames it into place; the service's worker
// will upload it. The pipeline itself never touches the network.
#pragma once

#include <filesystem>
#include <stop_token>
#include <string_view>

#include "media/probe.hpp"
#include "pipeline/encoder.hpp"
#include "pipeline/ladder.hpp"
#include "pipeline/packager.hpp"
#include "pipeline/quality.hpp"
#include "pipeline/report.hpp"
#include "pipeline/sidecar_subtitles.hpp"
#include "pipeline/thumbnails.hpp"
#include "pipeline/title_analysis.hpp"
#include "util/error.hpp"

namespace st {

struct PipelineOptions {
  ProbeLimits limits;
  LadderOptions ladder;
  EncodeOptions encode;
  PosterOptions poster;
  SidecarLimits sidecars;
  EncryptorOptions encryptor;
  QualityOptions quality;
  LadderMode ladder_mode = LadderMode::kFixed;
  PerTitleOptions per_title;
  // A source that decodes to less than this share of its stated duration is truncated.
  double min_decoded_share = 0.9;
};

// One job's media: the source, subtitle files uploaded beside it, and the
// content protection its tenant asks for.
struct PipelineInput {
  std::filesystem::path source;
  std::vector<SidecarFile> sidecars;
  std::optional<ProtectionPlan> protection;
};

// Told what happens, on the calling thread. Defaults do nothing.
class PipelineObserver {
 public:
  virtual ~PipelineObserver() = default;
  virtual void step_started(std::string_view /*step*/) {}
  virtual void step_finished(std::string_view /*step*/, double /*wall_seconds*/) {}
  virtual void encode_progress(const EncodeProgress& /*progress*/, const ProgressEstimate& /*estimate*/) {}
};

class Pipeline {
 public:
  explicit Pipeline(PipelineOptions options) : options_(std::move(options)) {}

  // Writes the outputs of docs/outputs.md under `root` (an existing, empty
  // directory). On failure `root` holds partial files that the caller discards.
  Result<TranscodeReport> run(const std::filesystem::path& source, const std::filesystem::path& root,
                              PipelineObserver& observer, const std::stop_token& stop) const;
  // With subtitle files uploaded beside the source: each usable one becomes a
  // subtitle track after the source's own; one that is not is reported in
  // the ladder's skipped streams and never fails the job.
  Result<TranscodeReport> run(const std::filesystem::path& source, const std::vector<SidecarFile>& sidecars,
                              const std::filesystem::path& root, PipelineObserver& observer,
                              const std::stop_token& stop) const;
  Result<TranscodeReport> run(const PipelineInput& input, const std::filesystem::path& root, PipelineObserver& observer,
                              const std::stop_token& stop) const;

 private:
  PipelineOptions options_;
};

}  // namespace st
