// POST /v1/jobs as it arrives on the socket: Beast's parser with the server's
// limits, then the router and the jobs handler, on a store that accepts every
// job (the database is not what is being fuzzed).
#include <cstddef>
#include <cstdint>
#include <string>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "http/jobs_api.hpp"

namespace {

namespace bhttp = boost::beast::http;

class AcceptingStore final : public st::JobStore {
 public:
  st::Result<st::CreatedJob> create(const st::NewJob& job) override {
    return st::CreatedJob{.job = {.id = "00000000-0000-0000-0000-000000000001", .spec = job}, .created = true};
  }
  st::Result<std::vector<st::CreatedJob>> create_all(const std::vector<st::NewJob>& jobs) override {
    std::vector<st::CreatedJob> out;
    for (const auto& job : jobs) out.push_back(*create(job));
    return out;
  }
  st::Result<st::Job> get(const std::string& id) override { return st::fail(st::ErrorCode::kNotFound, "no job " + id); }
  st::Result<std::optional<st::Job>> claim(const std::string&, std::chrono::seconds) override { return std::nullopt; }
  st::Result<void> heartbeat(const st::JobLease&, std::chrono::seconds, double) override { return {}; }
  st::Result<void> succeed(const st::JobLease&, const std::string&) override { return {}; }
  st::Result<st::JobStatus> fail(const st::JobLease&, const st::Error&, bool, std::chrono::milliseconds) override {
    return st::JobStatus::kFailed;
  }
  st::Result<void> release(const st::JobLease&) override { return {}; }
  st::Result<std::vector<std::string>> requeue_expired() override { return std::vector<std::string>{}; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static AcceptingStore store;
  static const st::Router router = [] {
    st::Router r;
    st::add_health_routes(r, [] { return std::vector<st::DependencyCheck>{}; });
    st::add_jobs_routes(r, store,
                        {.sources = {.uses_buckets = true, .allowed_buckets = {"uploads"}}, .max_body_bytes = 1 << 16});
    return r;
  }();

  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(1 << 16);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec == bhttp::error::need_more) parser.put_eof(ec);
  if (ec || !parser.is_done()) return 0;
  auto& message = parser.get();
  st::HttpRequest request;
  request.method = std::string(message.method_string());
  const std::string_view target(message.target());
  request.path = std::string(target.substr(0, target.find('?')));
  request.body = message.body();
  const auto response = router.dispatch(std::move(request));
  if (response.status < 200 || response.status > 599) __builtin_trap();
  return 0;
}
