#include "jobs/transcode_job_handler.hpp"

#include <chrono>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "observability/tracing.hpp"
#include "packaging/output_names.hpp"
#include "storage/naming.hpp"
#include "storage/output_publisher.hpp"
#include "util/files.hpp"
#include "util/sha256.hpp"
#include "util/temp_dir.hpp"
#include "util/thread_context.hpp"

namespace st {
namespace {

// Seconds of media per second of the encode step.
double encode_speed(const TranscodeReport& report) {
  for (const auto& step : report.steps) {
    if (step.name == "encode" && step.wall_seconds > 0) return report.presentation.duration_seconds / step.wall_seconds;
  }
  return 0;
}

// The job's children from its CPU account (the worker's), else the pipeline's.
double job_cpu_seconds(const TranscodeReport& report) {
  const auto& account = this_thread_context().cpu;
  return account ? account->seconds() : report.children_cpu_seconds;
}

namespace fs = std::filesystem;

constexpr const char* kScratchPrefix = "job-";

// "sha256:<hex or base64>" against the file; other algorithms are not checked.
Result<void> check_checksum(const fs::path& file, const std::string& checksum) {
  if (!checksum.starts_with("sha256:")) return {};
  const auto expected = checksum.substr(7);
  auto actual = sha256_of_file(file);
  if (!actual) return tl::unexpected(actual.error());
  const auto& hex = actual->hex;
  const auto& b64 = actual->base64;
  if (expected == hex || expected == b64) return {};
  return fail(ErrorCode::kInvalidInput,
              fmt::format("the master's SHA-256 is {} but the upload event says {}: it changed or was cut short after "
                          "upload; upload it again",
                          hex, expected));
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// A job's error goes to the API and to other teams in the VideoTranscoded
// event: it names the master, not where this worker keeps its copy.
Error without_local_paths(Error error, const fs::path& master, const fs::path& scratch) {
  replace_all(error.message, "file:" + master.string(), "the master");
  replace_all(error.message, master.string(), "the master");
  replace_all(error.message, scratch.string(), "(scratch)");
  return error;
}

// Lowers `limit` to the policy's value when that is stricter, and says so.
template <typename Limit, typename Policy>
void tighten(Limit& limit, const std::optional<Policy>& policy, std::string& limit_by, const char* field) {
  if (!policy || static_cast<Limit>(*policy) >= limit) return;
  limit = static_cast<Limit>(*policy);
  limit_by = fmt::format("the tenant policy's {}", field);
}

// A track's protection as the outcome states it: the key's ID, never the key.
std::optional<EncryptionOutput> encryption_output(const Track& track) {
  if (!track.protection) return std::nullopt;
  EncryptionOutput out{.scheme = std::string(to_string(track.protection->scheme)),
                       .key_id = track.protection->kid.uuid(),
                       .key_type = std::string(to_string(track.protection->key_type)),
                       .systems = {}};
  for (const auto system : track.protection->systems) out.systems.emplace_back(to_string(system));
  return out;
}

std::optional<RenditionQuality> rendition_quality(const TranscodeReport& report, const std::string& rendition) {
  if (!report.quality) return std::nullopt;
  for (const auto& q : report.quality->renditions) {
    if (q.rendition == rendition) return q;
  }
  return std::nullopt;
}

}  // namespace

Result<PipelineOptions> options_for(const PipelineOptions& base, const TenantPolicy& policy,
                                    const std::vector<std::string>& requested_profiles) {
  auto options = base;
  std::vector<std::string> profiles = requested_profiles;
  if (policy.allowed_profiles && !policy.allowed_profiles->empty()) {
    const auto& allowed = *policy.allowed_profiles;
    for (const auto& name : profiles) {
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        return fail(ErrorCode::kInvalidInput,
                    fmt::format("the profile {} is not among the tenant policy's allowedProfiles", name));
      }
    }
    if (profiles.empty()) profiles = allowed;
  }
  if (policy.top_rung) {
    const auto top = ProfileFactory::find(*policy.top_rung);
    if (!top)
      return fail(ErrorCode::kInvalidInput, fmt::format("the tenant policy's topRung {} is unknown", *policy.top_rung));
    if (profiles.empty()) {
      for (const auto& p : ProfileFactory::standard()) profiles.push_back(p.name);
    }
    std::vector<std::string> kept;
    for (const auto& name : profiles) {
      const auto profile = ProfileFactory::find(name);
      if (profile && profile->long_side <= top->long_side) kept.push_back(name);
    }
    if (kept.empty()) {
      return fail(ErrorCode::kInvalidInput,
                  fmt::format("every requested profile is above the tenant policy's topRung {}", *policy.top_rung));
    }
    profiles = std::move(kept);
  }
  options.ladder.renditions = std::move(profiles);
  if (policy.segment_seconds) options.encode.segment_seconds = *policy.segment_seconds;
  if (policy.preset) options.encode.preset = *policy.preset;
  if (policy.hdr_ladder) options.ladder.hdr_ladder = *policy.hdr_ladder;
  if (policy.quality_scores) options.quality.enabled = *policy.quality_scores;
  if (policy.ladder) options.ladder_mode = ladder_mode_from_string(*policy.ladder).value_or(options.ladder_mode);
  // A floor or ceiling of its own is checked against the other as the service set it.
  if (policy.bitrate_floor) options.per_title.floor = *policy.bitrate_floor;
  if (policy.bitrate_ceiling) options.per_title.ceiling = *policy.bitrate_ceiling;
  options.per_title.floor = std::min(options.per_title.floor, options.per_title.ceiling);
  auto& limits = options.limits;
  tighten(limits.max_duration_seconds, policy.max_duration_seconds, limits.duration_limit_by, "maxDurationSeconds");
  tighten(limits.max_width, policy.max_width, limits.size_limit_by, "maxWidth");
  tighten(limits.max_height, policy.max_height, limits.size_limit_by, "maxHeight");
  tighten(limits.max_frame_rate, policy.max_frame_rate, limits.frame_rate_limit_by, "maxFrameRate");
  return options;
}

Result<fs::path> TranscodeJobHandler::fetch(const Job& job, const fs::path& scratch, const std::stop_token& stop) {
  const auto& source = job.spec.source;
  // Checked again here, not only where the job was accepted: a row written
  // before a configuration change (or by hand) gets no further.
  if (auto allowed = options_.sources.check(source); !allowed) return tl::unexpected(allowed.error());
  auto store = sources_(source.bucket);
  auto info = store->head(source.key);
  if (!info) {
    if (info.error().code == ErrorCode::kNotFound) {
      // One message for every reason (missing, a symbolic link, a directory,
      // outside the source directory): the answer reveals nothing else.
      return fail(ErrorCode::kInvalidInput,
                  fmt::format("the master '{}' cannot be read from {}: no such object (deleted after upload, or the "
                              "job names the wrong key)",
                              source.key, store->location()));
    }
    return tl::unexpected(info.error());
  }
  if (source.size_bytes && static_cast<std::uint64_t>(*source.size_bytes) != info->size) {
    return fail(ErrorCode::kInvalidInput, fmt::format("the master {}/{} has {} bytes but the upload event says {}",
                                                      store->location(), source.key, info->size, *source.size_bytes));
  }
  const auto free_bytes = static_cast<double>(free_disk_bytes(scratch));
  const auto needed = static_cast<double>(info->size) * options_.scratch_space_factor;
  if (free_bytes < needed) {
    return fail(ErrorCode::kUnavailable,
                fmt::format("not enough scratch space for a {:.1f} GiB master: {:.1f} GiB free in {}, {:.1f} GiB "
                            "needed; will retry",
                            static_cast<double>(info->size) / (1 << 30), free_bytes / (1 << 30),
                            options_.scratch_dir.string(), needed / (1 << 30)));
  }
  const auto extension = fs::path(source.key).extension().string();
  const auto local = scratch / ("master" + (extension.size() <= 8 ? extension : std::string()));
  if (auto got = store->get(source.key, local, stop); !got) return tl::unexpected(got.error());
  if (auto checked = check_checksum(local, source.checksum); !checked) return tl::unexpected(checked.error());
  return local;
}

Result<std::vector<SidecarFile>> TranscodeJobHandler::fetch_sidecars(const Job& job, const SidecarLimits& limits,
                                                                     const fs::path& scratch,
                                                                     const std::stop_token& stop) {
  std::vector<SidecarFile> files;
  if (job.spec.subtitles.empty()) return files;
  auto store = sources_(job.spec.source.bucket);
  for (std::size_t k = 0; k < job.spec.subtitles.size(); ++k) {
    const auto& sidecar = job.spec.subtitles[k];
    SidecarFile file{.path = {}, .name = sidecar.key, .language = sidecar.language, .kind = sidecar.kind};
    // The master's bucket, checked like the master: the key again here too.
    if (auto allowed = options_.sources.check({.bucket = job.spec.source.bucket, .key = sidecar.key}); !allowed) {
      file.unavailable = allowed.error().message;
    } else if (auto info = store->head(sidecar.key); !info) {
      if (info.error().code != ErrorCode::kNotFound) return tl::unexpected(info.error());
      file.unavailable = "no such object";
    } else if (info->size > limits.max_bytes) {
      file.unavailable =
          fmt::format("{} bytes, more than the {} a subtitle file may have", info->size, limits.max_bytes);
    } else {
      file.path = scratch / fmt::format("sidecar-{}.txt", k);
      if (auto got = store->get(sidecar.key, file.path, stop); !got) {
        if (got.error().code != ErrorCode::kNotFound) return tl::unexpected(got.error());
        file.path.clear();
        file.unavailable = "no such object";
      }
    }
    files.push_back(std::move(file));
  }
  return files;
}

Result<JobOutcome> TranscodeJobHandler::run(const Job& job, JobContext& context) {
  auto prefix =
      output_key_prefix(options_.output_prefix, job.spec.tenant_id, job.spec.video_id, job.id, job.fencing_token);
  if (!prefix) return tl::unexpected(prefix.error());
  TenantPolicy policy{.tenant_id = job.spec.tenant_id};
  if (policies_ != nullptr) {
    auto stored = policies_->get(job.spec.tenant_id);
    if (!stored) return tl::unexpected(stored.error());
    policy = std::move(*stored);
  }
  auto planned = options_for(options_.pipeline, policy, job.spec.profile_set);
  if (!planned) return tl::unexpected(planned.error());

  const auto drm = policy.drm.value_or(options_.drm);
  std::optional<ProtectionPlan> protection;
  if (drm.encrypts()) {
    if (!keys_) {
      return fail(ErrorCode::kInvalidInput,
                  "the tenant's outputs are to be encrypted but the service has no key provider (drm.key_provider)");
    }
    // The content ID the key server and the DRM service know the title by.
    auto keys = keys_->keys_for(drm.key_request(fmt::format("{}/{}", job.spec.tenant_id, job.spec.video_id)));
    if (!keys) return tl::unexpected(keys.error());
    protection = ProtectionPlan{.policy = drm, .keys = std::move(*keys), .signalling = options_.signalling};
  }

  std::error_code error;
  fs::create_directories(options_.scratch_dir, error);
  auto scratch = TempDir::create(options_.scratch_dir, fmt::format("{}{}-", kScratchPrefix, job.id));
  if (!scratch) return tl::unexpected(scratch.error());

  using Clock = std::chrono::steady_clock;
  const auto seconds_since = [](Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  auto started = Clock::now();
  context.step_started("fetch");
  auto pipeline_options = std::move(*planned);
  Result<fs::path> source = fail(ErrorCode::kInternal, "not fetched");
  Result<std::vector<SidecarFile>> sidecars = fail(ErrorCode::kInternal, "not fetched");
  {
    Span span("step fetch", SpanKind::kInternal);
    span.set("st.step", "fetch");
    source = fetch(job, scratch->path(), context.stop_token());
    if (source) sidecars = fetch_sidecars(job, pipeline_options.sidecars, scratch->path(), context.stop_token());
    if (!source || !sidecars) span.set_error(!source ? source.error().message : sidecars.error().message);
  }
  if (!source) return tl::unexpected(source.error());
  if (!sidecars) return tl::unexpected(sidecars.error());
  const auto fetch_seconds = seconds_since(started);
  context.step_finished("fetch", fetch_seconds);

  pipeline_options.encode.budget = options_.budget;
  pipeline_options.encode.budget.scratch = scratch->path();
  const auto root = scratch->path() / "out";
  fs::create_directories(root, error);
  started = Clock::now();
  const PipelineInput input{.source = *source, .sidecars = std::move(*sidecars), .protection = std::move(protection)};
  auto report = Pipeline(pipeline_options).run(input, root, context, context.stop_token());
  if (!report) return tl::unexpected(without_local_paths(report.error(), *source, scratch->path()));
  if (context.stop_token().stop_requested()) return fail(ErrorCode::kCancelled, "stopped before publishing");
  const auto transcode_seconds = seconds_since(started);
  // The published report is for readers of the outputs; the full one (local
  // paths, command lines) stays in the job's record.
  if (auto written = write_text_file(root / kReportFile, to_public_json(*report).dump(2) + "\n"); !written) {
    return tl::unexpected(written.error());
  }
  // A worker that lost its lease while encoding stops here, before anyone
  // could see its outputs; one that loses it while uploading writes only
  // beneath its own run prefix, and its success is refused by the fencing
  // token (succeed() checks it in the same statement that writes the outbox).
  if (auto ours = context.confirm_lease(); !ours) return tl::unexpected(ours.error());

  started = Clock::now();
  context.step_started("publish");
  Result<PublishedOutput> published = fail(ErrorCode::kInternal, "not published");
  {
    Span span("step publish", SpanKind::kInternal);
    span.set("st.step", "publish");
    published = OutputPublisher(*outputs_, options_.upload_concurrency).publish(root, *prefix, context.stop_token());
    if (!published) span.set_error(published.error().message);
  }
  if (!published) return tl::unexpected(published.error());
  const auto publish_seconds = seconds_since(started);
  context.step_finished("publish", publish_seconds);
  spdlog::info("published {} objects ({:.1f} MiB) to {}/{}", published->objects,
               static_cast<double>(published->bytes) / (1 << 20), outputs_->location(), *prefix);

  JobOutcome outcome{
      .bucket = options_.output_bucket,
      .output_prefix = *prefix,
      .master_playlist_key = fmt::format("{}{}", *prefix, kMasterPlaylistFile),
      .dash_manifest_key =
          report->presentation.aes128 ? std::string() : fmt::format("{}{}", *prefix, kDashManifestFile),
      .poster_key = report->poster_file.empty() ? std::string() : fmt::format("{}{}", *prefix, report->poster_file),
      .report_key = fmt::format("{}{}", *prefix, kReportFile),
      .objects = static_cast<std::int64_t>(published->objects),
      .bytes = static_cast<std::int64_t>(published->bytes),
      .duration_seconds = report->presentation.duration_seconds,
      .timings = {.fetch_seconds = fetch_seconds,
                  .transcode_seconds = transcode_seconds,
                  .publish_seconds = publish_seconds,
                  .cpu_seconds = job_cpu_seconds(*report),
                  .encode_speed = encode_speed(*report)},
      .renditions = {},
      .audio = {},
      .report = to_json(*report)};
  for (const auto& v : report->presentation.video) {
    outcome.renditions.push_back(
        {.name = v.id,
         .width = v.width,
         .height = v.height,
         .frame_rate = v.frame_rate.value(),
         .codecs = v.codecs,
         .video_range = v.video_range,
         .average_bit_rate = static_cast<std::int64_t>(v.bit_rates.average_bps),
         .peak_bit_rate = static_cast<std::int64_t>(v.bit_rates.peak_bps),
         .size_bytes = static_cast<std::int64_t>(v.total_segment_bytes()),
         .playlist_key = fmt::format("{}{}/{}", *prefix, v.folder, v.playlist_file),
         .iframe_playlist_key = v.iframe_playlist_file.empty()
                                    ? std::string()
                                    : fmt::format("{}{}/{}", *prefix, v.folder, v.iframe_playlist_file),
         .encryption = encryption_output(v),
         .quality = rendition_quality(*report, v.id)});
  }
  for (const auto& a : report->presentation.audio) {
    outcome.audio.push_back({.name = a.id,
                             .codecs = a.codecs,
                             .language = a.language,
                             .label = a.label,
                             .role = std::string(to_string(a.role)),
                             .is_default = a.is_default,
                             .channels = a.channels,
                             .average_bit_rate = static_cast<std::int64_t>(a.bit_rates.average_bps),
                             .size_bytes = static_cast<std::int64_t>(a.total_segment_bytes()),
                             .playlist_key = fmt::format("{}{}/{}", *prefix, a.folder, a.playlist_file),
                             .encryption = encryption_output(a)});
  }
  for (const auto& t : report->presentation.subtitles) {
    outcome.subtitles.push_back({.name = t.id,
                                 .language = t.language,
                                 .label = t.label,
                                 .kind = t.caption ? "caption" : "subtitle",
                                 .forced = t.forced,
                                 .playlist_key = fmt::format("{}{}/{}", *prefix, t.folder, t.playlist_file),
                                 .vtt_key = fmt::format("{}{}/{}", *prefix, t.folder, t.vtt_file)});
  }
  for (const auto& s : report->ladder.skipped) {
    outcome.skipped_streams.push_back(
        {.index = s.index, .sidecar = s.sidecar, .codec = s.codec, .language = s.language, .reason = s.reason});
  }
  if (const auto& sprites = report->presentation.sprites) {
    outcome.sprites = SpriteOutput{.track_key = fmt::format("{}{}", *prefix, sprites->track_file),
                                   .sheets = static_cast<int>(sprites->files.size()),
                                   .thumbnails = sprites->thumbnails,
                                   .interval_seconds = sprites->interval_seconds,
                                   .columns = sprites->columns,
                                   .rows = sprites->rows,
                                   .tile_width = sprites->tile_width,
                                   .tile_height = sprites->tile_height};
  }
  return outcome;
}

}  // namespace st
