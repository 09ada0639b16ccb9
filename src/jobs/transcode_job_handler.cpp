#include "jobs/transcode_job_handler.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "storage/staged_directory.hpp"

namespace st {
namespace {

// Forwards encode progress to the job's heartbeat.
class ProgressToJob final : public PipelineObserver {
 public:
  explicit ProgressToJob(JobContext& context) : context_(context) {}
  void encode_progress(const EncodeProgress& /*progress*/, const ProgressEstimate& estimate) override {
    context_.report_progress(estimate.percent / 100.0);
  }

 private:
  JobContext& context_;
};

}  // namespace

std::string TranscodeJobHandler::output_key_prefix(const Job& job) {
  auto prefix = job.spec.output_prefix;
  if (!prefix.empty() && !prefix.ends_with('/')) prefix += '/';
  return fmt::format("{}{}/{}/{}/", prefix, job.spec.tenant_id, job.spec.video_id, job.id);
}

std::filesystem::path TranscodeJobHandler::output_for(const Job& job) const {
  auto prefix = output_key_prefix(job);
  prefix.pop_back();  // a directory, not "dir/": StagedDirectory renames it
  return options_.output_dir / prefix;
}

Result<std::string> TranscodeJobHandler::run(const Job& job, JobContext& context) {
  const std::filesystem::path key(job.spec.source.key);
  const auto source = key.is_absolute() ? key : options_.source_dir / key;

  auto pipeline_options = options_.pipeline;
  pipeline_options.ladder.renditions = job.spec.profile_set;

  auto staged = StagedDirectory::prepare(output_for(job), /*replace=*/true);
  if (!staged) return tl::unexpected(staged.error());
  ProgressToJob observer(context);
  auto report = Pipeline(pipeline_options).run(source, staged->path(), observer, context.stop_token());
  if (!report) return tl::unexpected(report.error());
  if (auto committed = staged->commit(); !committed) return tl::unexpected(committed.error());

  // Keys relative to the output root: what the VideoTranscoded event publishes.
  const auto prefix = output_key_prefix(job);
  nlohmann::json renditions = nlohmann::json::array();
  for (const auto& v : report->presentation.video) {
    renditions.push_back({{"name", v.id},
                          {"width", v.width},
                          {"height", v.height},
                          {"frameRate", v.frame_rate.value()},
                          {"codecs", v.codecs},
                          {"averageBitRate", v.bit_rates.average_bps},
                          {"peakBitRate", v.bit_rates.peak_bps},
                          {"sizeBytes", v.total_segment_bytes()},
                          {"playlistKey", fmt::format("{}{}/{}", prefix, v.folder, v.playlist_file)}});
  }
  nlohmann::json audio = nlohmann::json::array();
  for (const auto& a : report->presentation.audio) {
    nlohmann::json track = {{"name", a.id},
                            {"codecs", a.codecs},
                            {"channels", a.channels},
                            {"averageBitRate", a.bit_rates.average_bps},
                            {"sizeBytes", a.total_segment_bytes()}};
    if (!a.language.empty()) track["language"] = a.language;
    audio.push_back(track);
  }
  return nlohmann::json{{"output", staged->destination().string()},
                        {"outputPrefix", prefix},
                        {"masterPlaylist", "master.m3u8"},
                        {"dashManifest", "manifest.mpd"},
                        {"posterKey", prefix + "thumbnails/poster.jpg"},
                        {"durationSeconds", report->presentation.duration_seconds},
                        {"renditions", renditions},
                        {"audio", audio}}
      .dump();
}

}  // namespace st
