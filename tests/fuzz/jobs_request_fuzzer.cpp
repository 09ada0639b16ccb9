// The management API's requests as they arrive on the socket: Beast's parser
// with the server's limits, then the router, its middleware and the jobs and
// tenant handlers, on a catalog that accepts every job (the database is not
// what is being fuzzed).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "http/jobs_api.hpp"
#include "http/middleware.hpp"

namespace {

namespace bhttp = boost::beast::http;

class AcceptingCatalog final : public st::JobCatalog {
 public:
  st::Result<st::CreatedJob> create(const st::NewJob& job) override {
    return st::CreatedJob{.job = {.id = "00000000-0000-0000-0000-000000000001", .spec = job}, .created = true};
  }
  st::Result<std::vector<st::CreatedJob>> create_all(const std::vector<st::NewJob>& jobs) override {
    std::vector<st::CreatedJob> out;
    for (const auto& job : jobs) out.push_back(*create(job));
    return out;
  }
  st::Result<st::Job> get(const st::TenantScope&, const std::string& id) override {
    return st::fail(st::ErrorCode::kNotFound, "no job " + id);
  }
  st::Result<st::JobPage> list(const st::TenantScope&, const st::JobQuery& query) override {
    st::JobPage page;
    page.next = st::JobCursor{query.created_before, query.video_id};
    return page;
  }
  st::Result<st::Job> cancel(const st::TenantScope&, const std::string& id) override {
    return st::fail(st::ErrorCode::kNotFound, "no job " + id);
  }
  st::Result<st::Job> retry(const st::TenantScope&, const std::string& id) override {
    return st::fail(st::ErrorCode::kConflict, "job " + id + " is queued");
  }
  st::Result<std::int64_t> queued_count(const std::string&) override { return 0; }
};

class NoPolicies final : public st::TenantPolicies {
 public:
  st::Result<st::TenantPolicy> get(const std::string& tenant) override { return st::TenantPolicy{.tenant_id = tenant}; }
  st::Result<st::TenantPolicy> put(const st::TenantPolicy& policy) override { return policy; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static AcceptingCatalog catalog;
  static NoPolicies policies;
  static const st::CursorCodec cursors("fuzz");
  // Built once, in place (a Router is neither copied nor moved).
  static const auto router_ptr = [] {
    auto made = std::make_unique<st::Router>();
    auto& r = *made;
    // Every request is an admin's: the handlers behind authentication are what is fuzzed.
    r.use(std::make_shared<st::RequestIdMiddleware>());
    r.use(std::make_shared<st::AuthMiddleware>(
        st::Authenticate{}, st::Principal{.subject = "fuzz", .tenant = "fuzz", .roles = {st::Role::kAdmin}}));
    st::add_health_routes(r, [] { return std::vector<st::DependencyCheck>{}; });
    const st::JobsApiOptions options{.sources = {.uses_buckets = true, .allowed_buckets = {"uploads"}},
                                     .max_body_bytes = 1 << 16};
    st::add_jobs_routes(r, {.catalog = catalog, .policies = policies, .cursors = cursors}, options);
    st::add_tenant_routes(r, policies, options);
    return made;
  }();
  const st::Router& router = *router_ptr;

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
