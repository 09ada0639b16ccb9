// How fast the PostgreSQL work queue accepts and hands out jobs.
//
//   bench/queue_throughput.sh [JOBS] [CLIENTS]
//
// In a fresh database on the dev-stack server: JOBS idempotent inserts from
// CLIENTS threads (each job inserted twice, as redelivered events are), then
// claim-and-complete cycles with 1, 2, 4 and 8 workers until the queue is empty.
#include <pqxx/pqxx>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "db/migrations.hpp"
#include "db/pool.hpp"
#include "jobs/pg_job_catalog.hpp"
#include "jobs/pg_job_queue.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

st::NewJob job(int i) {
  return st::NewJob{
      .tenant_id = "bench",
      .video_id = fmt::format("video-{}", i),
      .source_version = "v1",
      .source = {.bucket = "masters", .key = fmt::format("uploads/{}.mp4", i), .size_bytes = 1 << 20, .checksum = ""},
      .profile_set = {},
      .output_prefix = "",
      .priority = 0,
      .max_attempts = 3};
}

}  // namespace

int main(int argc, char** argv) {
  const int jobs = argc > 1 ? std::atoi(argv[1]) : 20000;
  const int clients = argc > 2 ? std::atoi(argv[2]) : 8;
  const char* admin_env = std::getenv("ST_TEST_POSTGRES_ADMIN_URL");
  if (admin_env == nullptr) {
    fmt::print(stderr, "ST_TEST_POSTGRES_ADMIN_URL is not set: eval \"$(scripts/dev-stack.sh up)\" first\n");
    return 2;
  }
  const std::string admin = admin_env;
  const std::string database = fmt::format("st_bench_{}", ::getpid());
  const std::string url = admin.substr(0, admin.rfind('/') + 1) + database;
  {
    pqxx::connection c(admin);
    pqxx::nontransaction(c).exec("CREATE DATABASE " + database);
  }
  if (auto migrated = st::Migrator(url, st::embedded_migrations()).migrate(); !migrated) {
    fmt::print(stderr, "{}\n", migrated.error().message);
    return 1;
  }
  st::ConnectionPool pool({.conninfo = url, .max_size = 30, .on_connect = [](pqxx::connection& c) {
                             st::PgJobQueue::prepare_statements(c);
                             st::PgJobCatalog::prepare_statements(c);
                           }});
  st::PgJobCatalog catalog(pool);
  st::PgJobQueue queue(pool);

  // Inserts: every job twice, from interleaved clients, as duplicated deliveries arrive.
  std::atomic<int> next{0};
  std::atomic<int> created{0};
  std::atomic<int> errors{0};
  auto start = Clock::now();
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < clients; ++t) {
      threads.emplace_back([&] {
        for (int i = next++; i < 2 * jobs; i = next++) {
          auto result = catalog.create(job(i / 2));
          if (!result) {
            ++errors;
          } else if (result->created) {
            ++created;
          }
        }
      });
    }
  }
  const double insert_seconds = seconds_since(start);
  fmt::print(
      "inserts: {} attempts ({} unique) from {} clients in {:.2f} s: {:.0f} idempotent inserts/s; {} created, {} "
      "errors\n",
      2 * jobs, jobs, clients, insert_seconds, 2 * jobs / insert_seconds, created.load(), errors.load());

  // Claim-and-complete cycles, in four rounds over the queued jobs.
  const int per_round = jobs / 4;
  for (const int workers : {1, 2, 4, 8}) {
    std::atomic<int> done{0};
    start = Clock::now();
    {
      std::vector<std::jthread> threads;
      for (int w = 0; w < workers; ++w) {
        threads.emplace_back([&, w] {
          while (done.load() < per_round) {
            auto claimed = queue.claim(fmt::format("bench-{}", w), std::chrono::seconds(60));
            if (!claimed || !*claimed) return;
            if (queue.succeed({(**claimed).id, (**claimed).fencing_token}, st::JobOutcome{})) ++done;
          }
        });
      }
    }
    const double seconds = seconds_since(start);
    fmt::print("claims: {} workers completed {} jobs in {:.2f} s: {:.0f} claim-and-complete cycles/s\n", workers,
               done.load(), seconds, done.load() / seconds);
  }

  {
    pqxx::connection c(admin);
    pqxx::nontransaction(c).exec("DROP DATABASE " + database + " WITH (FORCE)");
  }
  return errors.load() == 0 ? 0 : 1;
}
