#include "pipeline/pipeline.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "observability/tracing.hpp"
#include "packaging/output_names.hpp"
#include "packaging/webvtt.hpp"
#include "pipeline/packager.hpp"
#include "util/files.hpp"
#include "util/thread_context.hpp"

namespace st {
namespace {

namespace fs = std::filesystem;

// The CPU time of this thread plus that of the children charged to the job
// (those of helper threads too): other jobs' children, which RUSAGE_CHILDREN
// would count, are not in it.
double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_THREAD, &usage);
  const double own = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                     static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  const auto& account = this_thread_context().cpu;
  return own + (account ? account->seconds() : 0.0);
}

std::int64_t self_peak_rss_bytes() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::int64_t>(usage.ru_maxrss) * 1024;
}

// One step: its span (a child of the job's), its wall and CPU time in the
// report, and its end told to the observer (the step metrics).
class StepTimer {
 public:
  StepTimer(std::string name, std::vector<StepTiming>& sink, PipelineObserver& observer)
      : sink_(sink),
        observer_(observer),
        span_("step " + name, SpanKind::kInternal),
        name_(std::move(name)),
        wall_start_(std::chrono::steady_clock::now()),
        cpu_start_(cpu_seconds()) {
    span_.set("st.step", name_);
  }
  StepTimer(const StepTimer&) = delete;
  StepTimer& operator=(const StepTimer&) = delete;
  ~StepTimer() {
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count();
    const double cpu = cpu_seconds() - cpu_start_;
    span_.set("st.step.cpu_seconds", cpu);
    sink_.push_back({name_, wall, cpu});
    observer_.step_finished(name_, wall);
  }
  void failed(const Error& error) { span_.set_error(error.message); }

 private:
  std::vector<StepTiming>& sink_;
  PipelineObserver& observer_;
  Span span_;
  std::string name_;
  std::chrono::steady_clock::time_point wall_start_;
  double cpu_start_;
};

// Each rendition's finished segments, found on disk: the muxer starts segment
// n+1 only once segment n is complete. Follows one encode; cheap to call
// often (one stat per rendition while nothing changes).
class RenditionWatch {
 public:
  RenditionWatch(const EncodeCommand& command, const Ladder& ladder, double duration, double segment_seconds)
      : command_(command), duration_(duration), segment_seconds_(segment_seconds) {
    for (const auto& v : ladder.video) renditions_.push_back({.name = v.name, .percent = 0, .segments = 0});
  }

  std::vector<RenditionProgress> update(double encode_percent, bool finished) {
    const double total_segments = duration_ > 0 ? std::max(1.0, std::ceil(duration_ / segment_seconds_)) : 1.0;
    for (std::size_t i = 0; i < renditions_.size(); ++i) {
      auto& r = renditions_[i];
      std::error_code ec;
      const int representation = command_.video.at(i).representation;
      while (fs::exists(command_.segment_file(representation, r.segments + 2), ec)) ++r.segments;
      const double done = 100.0 * r.segments / total_segments;
      const double next = 100.0 * (r.segments + 1) / total_segments;
      r.percent = finished ? 100.0 : std::clamp(encode_percent, done, std::min(next, 100.0));
    }
    return renditions_;
  }

 private:
  const EncodeCommand& command_;
  double duration_;
  double segment_seconds_;
  std::vector<RenditionProgress> renditions_;
};

// The poster is looked for while the encode runs: it reads the source on its
// own, and searching after the encode added its time (0.2 to 0.4 s) to every
// job's. The search runs on a thread charged to the job (its ffmpeg's CPU is
// the job's); leaving early stops it.
class PosterSearch {
 public:
  PosterSearch(PosterOptions options, fs::path source, const MediaInfo& info, fs::path destination,
               std::stop_token outer)
      : thread_([this, options, source = std::move(source), info, destination = std::move(destination),
                 outer = std::move(outer), context = ThreadContext::current()](const std::stop_token& own) {
          const ThreadContextScope scope(context);
          std::stop_source either;
          const std::stop_callback on_own(own, [&either] { either.request_stop(); });
          const std::stop_callback on_outer(outer, [&either] { either.request_stop(); });
          try {
            result_ = PosterExtractor(options).extract(source, info, destination, either.get_token());
          } catch (const std::exception& e) {  // no exception leaves a thread
            result_ = fail(ErrorCode::kInternal, fmt::format("the poster search failed: {}", e.what()));
          }
        }) {}
  PosterSearch(const PosterSearch&) = delete;
  PosterSearch& operator=(const PosterSearch&) = delete;
  ~PosterSearch() = default;  // the thread is asked to stop and joined

  Result<Poster> take() {
    thread_.join();
    return std::move(result_);
  }

 private:
  Result<Poster> result_ = fail(ErrorCode::kInternal, "the poster search did not run");
  std::jthread thread_;  // last: started once the result exists, joined before it goes
};

// The job's sidecar files, read: the usable ones as subtitle streams for the
// planner (their cues kept by sidecar index), the rest with their reasons.
struct SidecarTracks {
  std::vector<SubtitleStreamInfo> usable;
  std::map<int, std::vector<WebVttCue>> cues;
  std::vector<SkippedStream> unusable;
  std::vector<std::vector<std::string>> commands;
};

// Only a failure that is not the file's (ffmpeg missing, cancelled) is an error.
Result<SidecarTracks> read_sidecars(const std::vector<SidecarFile>& sidecars, const MediaInfo& source,
                                    const SidecarLimits& limits, const std::stop_token& stop) {
  SidecarTracks out;
  const auto embedded = static_cast<std::size_t>(
      std::count_if(source.subtitles.begin(), source.subtitles.end(), [](const auto& s) { return s.is_text(); }));
  for (std::size_t k = 0; k < sidecars.size(); ++k) {
    const auto& file = sidecars[k];
    const auto skip = [&](std::string reason) {
      out.unusable.push_back({.index = -1,
                              .sidecar = file.name,
                              .codec = "unknown",
                              .language = file.language,
                              .reason = std::move(reason)});
    };
    if (embedded + out.usable.size() >= kMaxSubtitleTracks) {
      skip(fmt::format("more than {} subtitle tracks", kMaxSubtitleTracks));
      continue;
    }
    if (!file.unavailable.empty()) {
      skip(file.unavailable);
      continue;
    }
    auto read = read_sidecar(file, limits, stop);
    if (!read && read.error().code != ErrorCode::kInvalidInput) return tl::unexpected(read.error());
    if (!read) {
      skip(read.error().message);
      continue;
    }
    if (!read->command.empty()) out.commands.push_back(std::move(read->command));
    out.usable.push_back(sidecar_stream(file, read->format, static_cast<int>(k)));
    out.cues.emplace(static_cast<int>(k), std::move(read->cues));
  }
  return out;
}

}  // namespace

Result<TranscodeReport> Pipeline::run(const fs::path& source, const fs::path& root, PipelineObserver& observer,
                                      const std::stop_token& stop) const {
  return run(source, {}, root, observer, stop);
}

Result<TranscodeReport> Pipeline::run(const fs::path& source, const std::vector<SidecarFile>& sidecars,
                                      const fs::path& root, PipelineObserver& observer,
                                      const std::stop_token& stop) const {
  return run(PipelineInput{.source = source, .sidecars = sidecars, .protection = std::nullopt}, root, observer, stop);
}

Result<TranscodeReport> Pipeline::run(const PipelineInput& input, const fs::path& root, PipelineObserver& observer,
                                      const std::stop_token& stop) const {
  // Without a job around it (the transcode command), the run has its own CPU account.
  std::optional<ThreadContextScope> own_account;
  if (!this_thread_context().cpu) {
    auto context = ThreadContext::current();
    context.cpu = std::make_shared<CpuAccount>();
    own_account.emplace(std::move(context));
  }
  const double children_cpu_start = this_thread_context().cpu->seconds();
  const auto& source = input.source;
  const auto& sidecars = input.sidecars;
  TranscodeReport report;
  report.source_path = source.string();
  const double segment_seconds = options_.encode.segment_seconds;
  std::map<int, std::vector<WebVttCue>> sidecar_cues;  // by sidecar index, for those that are usable

  {
    observer.step_started("probe");
    StepTimer timer("probe", report.steps, observer);
    const Prober prober(options_.limits);
    report.commands.push_back({"probe", prober.command_for(source)});
    auto info = prober.probe(source, stop);
    if (!info) return tl::unexpected(info.error());
    report.source = std::move(*info);
  }
  {
    observer.step_started("plan");
    StepTimer timer("plan", report.steps, observer);
    auto read = read_sidecars(sidecars, report.source, options_.sidecars, stop);
    if (!read) return tl::unexpected(read.error());
    for (auto& argv : read->commands) report.commands.push_back({"subtitles", std::move(argv)});
    auto ladder = LadderPlanner(options_.ladder).plan(report.source, read->usable);
    if (!ladder) return tl::unexpected(ladder.error());
    report.ladder = std::move(*ladder);
    report.ladder.skipped.insert(report.ladder.skipped.end(), read->unusable.begin(), read->unusable.end());
    sidecar_cues = std::move(read->cues);
  }

  report.ladder_mode = options_.ladder_mode;
  if (options_.ladder_mode == LadderMode::kPerTitle) {
    // The fixed ladder refit to this video. An analysis that fails keeps the
    // fixed ladder (noted): it never fails a job that can be encoded.
    observer.step_started("analyse");
    StepTimer timer("analyse", report.steps, observer);
    std::vector<std::vector<std::string>> argvs;
    auto per_title = options_.per_title;
    per_title.limits = options_.encode.budget.limits_for(0, per_title.limits);
    auto analysis = TitleAnalyser(per_title).analyse(source, report.source, report.ladder, options_.encode.preset,
                                                     segment_seconds, root / ".analysis", stop, argvs);
    for (auto& argv : argvs) report.commands.push_back({"analyse", std::move(argv)});
    if (!analysis && analysis.error().code == ErrorCode::kCancelled) return tl::unexpected(analysis.error());
    if (analysis) {
      TitleFit fit{.analysis = std::move(*analysis), .rungs = {}};
      report.ladder = fit_ladder_to_title(std::move(report.ladder), fit.analysis, options_.per_title, fit.rungs);
      report.per_title = std::move(fit);
    } else {
      std::error_code ec;
      fs::remove_all(root / ".analysis", ec);
      report.per_title_note = fmt::format("the fixed ladder was kept: {}", analysis.error().message);
    }
  }

  // Started now, taken after packaging.
  std::optional<PosterSearch> poster_search;
  poster_search.emplace(options_.poster, source, report.source, root / kPosterFile, stop);
  const fs::path scratch = root / ".encoder";
  const auto command = build_encode_command(source, report.source, report.ladder, options_.encode, scratch);
  {
    observer.step_started("encode");
    StepTimer timer("encode", report.steps, observer);
    report.commands.push_back({"encode", command.argv});
    const double duration = report.source.duration_seconds;
    const auto& budget = options_.encode.budget;
    RenditionWatch watch(command, report.ladder, duration, segment_seconds);
    const double quality_seconds =
        options_.quality.enabled ? expected_quality_cost(options_.quality, duration, segment_seconds) : 0;
    RecentSpeed speed;
    // Every rendition at 0% from the start: ffmpeg's first progress report can
    // take seconds (its outputs all open first), and watchers should not see an
    // encode without renditions meanwhile.
    {
      const EncodeProgress start{};
      auto e = estimate(start, duration);
      e.renditions = watch.update(0, false);
      observer.encode_progress(start, e);
    }
    auto result = Encoder().run(
        command,
        [&](const EncodeProgress& p) {
          const double recent = speed.update(p.encoded_seconds, RecentSpeed::Clock::now());
          auto e = estimate(p, duration, recent);
          // The job's ETA includes the quality step that follows the encode.
          const double rate = recent > 0 ? recent : p.speed;
          if (e.eta_seconds > 0 && rate > 0) e.eta_seconds += quality_seconds / rate;
          e.renditions = watch.update(e.percent, p.finished);
          observer.encode_progress(p, e);
        },
        stop, budget.limits_for(duration, options_.encode.limits), budget);
    if (!result) return tl::unexpected(result.error());
    report.ffmpeg_peak_rss_bytes = result->max_rss_bytes;
  }
  // The sidecars' cues where the packager finds every subtitle track's WebVTT.
  for (std::size_t k = 0; k < report.ladder.subtitles.size(); ++k) {
    const auto& rendition = report.ladder.subtitles[k];
    const auto cues = sidecar_cues.find(rendition.sidecar);
    if (cues == sidecar_cues.end()) continue;
    const auto file = command.subtitle_file(command.subtitles.at(k).representation);
    if (auto written = write_text_file(file, write_webvtt(cues->second)); !written) {
      return tl::unexpected(written.error());
    }
  }
  // Scores from the clear segments, before packaging encrypts and moves them.
  // Scores that cannot be measured never fail a job that encoded.
  if (options_.quality.enabled) {
    observer.step_started("quality");
    StepTimer timer("quality", report.steps, observer);
    std::vector<std::vector<std::string>> argvs;
    auto quality_options = options_.quality;
    // A hostile source cannot make the measuring take more memory or disk than the encode may.
    quality_options.limits = options_.encode.budget.limits_for(0, quality_options.limits);
    auto quality = QualityMeter(quality_options)
                       .measure(source, report.source, report.ladder, command, segment_seconds, stop, argvs);
    for (auto& argv : argvs) report.commands.push_back({"quality", std::move(argv)});
    if (!quality && quality.error().code == ErrorCode::kCancelled) return tl::unexpected(quality.error());
    if (quality) {
      report.quality = std::move(*quality);
    } else {
      report.quality_note = fmt::format("no quality scores: {}", quality.error().message);
    }
  } else {
    report.quality_note = "quality scores switched off";
  }
  // Trick play from the smallest rendition's keyframes, before packaging moves
  // its files: sprites that cannot be made never fail a job that encoded.
  std::optional<SpriteSheets> sprites;
  std::string sprite_note;
  if (report.ladder.sprites && !command.video.empty()) {
    StepTimer timer("sprites", report.steps, observer);
    const int smallest = command.video.back().representation;
    std::vector<fs::path> segments;
    std::error_code ec;
    for (int n = 1; fs::exists(command.segment_file(smallest, n), ec); ++n)
      segments.push_back(command.segment_file(smallest, n));
    std::vector<std::string> argv;
    auto made = SpriteMaker().make(command.init_file(smallest), segments, segment_seconds, *report.ladder.sprites, root,
                                   stop, argv);
    if (!argv.empty()) report.commands.push_back({"sprites", argv});
    if (!made && made.error().code == ErrorCode::kCancelled) return tl::unexpected(made.error());
    if (made) {
      sprites = std::move(*made);
    } else {
      sprite_note = fmt::format("no sprite sheets: {}", made.error().message);
    }
  }
  {
    observer.step_started("package");
    StepTimer timer("package", report.steps, observer);
    Packager packager(options_.encryptor);
    auto presentation = packager.package(command, report.ladder, segment_seconds, root, sprites,
                                         input.protection ? &*input.protection : nullptr, stop);
    for (const auto& argv : packager.commands()) report.commands.push_back({"encrypt", argv});
    if (!presentation) return tl::unexpected(presentation.error());
    report.presentation = std::move(*presentation);
    if (!sprite_note.empty()) report.presentation.notes.push_back(sprite_note);
    std::error_code ec;
    fs::remove_all(scratch, ec);
  }

  // A truncated file often probes fine (its index is at the front) and decodes
  // until the data runs out; only the decoded length gives it away.
  const auto& video = report.source.video;
  const double stated = video.duration_seconds > 0 ? video.duration_seconds : report.source.duration_seconds;
  const double decoded = report.presentation.video.empty() ? 0 : report.presentation.video.front().duration_seconds();
  if (decoded < stated * options_.min_decoded_share - segment_seconds / 2) {
    return fail(ErrorCode::kInvalidInput,
                fmt::format("{} is truncated or corrupt: only {:.1f} s of its {:.1f} s of video could be decoded",
                            source.string(), decoded, stated));
  }

  {
    observer.step_started("thumbnails");
    StepTimer timer("thumbnails", report.steps, observer);
    // A poster that cannot be made never fails a job that encoded: the
    // encoded top rendition is the fallback, and no poster the last resort.
    const PosterExtractor extractor(options_.poster);
    const auto destination = root / kPosterFile;
    auto poster = poster_search->take();
    if (!poster && poster.error().code != ErrorCode::kCancelled && !report.presentation.video.empty()) {
      const auto why = poster.error().message;
      const auto& top = report.presentation.video.front();
      poster = extractor.extract_from_rendition(root / top.folder, top, destination, stop);
      if (poster) poster->note = fmt::format("taken from the {} rendition: {}", top.id, why);
    }
    if (!poster && poster.error().code == ErrorCode::kCancelled) return tl::unexpected(poster.error());
    if (poster) {
      for (auto& argv : poster->commands) report.commands.push_back({"thumbnails", argv});
      report.poster = std::move(*poster);
      report.poster_file = std::string(kPosterFile);
    } else {
      report.poster.note = fmt::format("no poster: {}", poster.error().message);
    }
  }

  report.self_peak_rss_bytes = self_peak_rss_bytes();
  report.children_cpu_seconds = this_thread_context().cpu->seconds() - children_cpu_start;
  if (auto written = write_text_file(root / kReportFile, to_json(report).dump(2) + "\n"); !written) {
    return tl::unexpected(written.error());
  }
  return report;
}

}  // namespace st
