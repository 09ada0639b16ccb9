// The job store and the work queue against a real PostgreSQL.
#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "db/migrations.hpp"
#include "jobs/worker_pool.hpp"
#include "postgres_fixture.hpp"

namespace st {
namespace {

using namespace std::chrono_literals;
using testing::PostgresTest;
using testing::TestJobStore;

NewJob new_job(const std::string& video, int max_attempts = 3) {
  return NewJob{.tenant_id = "tenant-a",
                .video_id = video,
                .source_version = "v1",
                .source = {.bucket = "", .key = "masters/" + video + ".mp4", .size_bytes = 1000, .checksum = ""},
                .profile_set = {"720p", "360p"},
                .output_prefix = "out",
                .priority = 0,
                .max_attempts = max_attempts};
}

class FunctionHandler final : public JobHandler {
 public:
  using Body = std::function<Result<std::string>(const Job&, JobContext&)>;
  explicit FunctionHandler(Body body) : body_(std::move(body)) {}
  Result<JobOutcome> run(const Job& job, JobContext& context) override {
    auto result = body_(job, context);
    if (!result) return tl::unexpected(result.error());
    return outcome_from_json(nlohmann::json::parse(result->empty() ? std::string("{}") : *result));
  }

 private:
  Body body_;
};

WorkerOptions fast_options(const std::string& owner, int concurrency = 1) {
  return WorkerOptions{.owner = owner,
                       .concurrency = concurrency,
                       .lease = 3s,
                       .heartbeat = 1s,
                       .poll = 50ms,
                       .reaper_interval = 200ms,
                       .retry_base = 20ms,
                       .retry_cap = 100ms};
}

// The transactional outbox: an event exists exactly when a final status does.
OutboxMessage test_event(const Job& job) {
  return {.topic = "outcomes",
          .key = job.spec.video_id,
          .payload = std::string(to_string(job.status)),
          .headers = {{"CorrelationId", "c-1"}}};
}

template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds timeout = 60s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return predicate();
}

using Migrations = PostgresTest;

TEST_F(Migrations, ApplyFromEmptyAndAReRunChangesNothing) {
  // SetUp migrated this database from empty.
  const auto count = std::to_string(embedded_migrations().size());
  EXPECT_EQ(scalar("SELECT count(*) FROM schema_migrations"), count);
  EXPECT_EQ(scalar("SELECT min(name) FROM schema_migrations"), "0001_jobs");
  EXPECT_EQ(scalar("SELECT max(name) FROM schema_migrations"), embedded_migrations().back().name);
  const auto again = Migrator(conninfo_, embedded_migrations()).migrate();
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_TRUE(again->applied.empty());
  EXPECT_EQ(again->schema_version, embedded_migrations().back().version);
}

TEST_F(Migrations, TenConcurrentMigratorsApplyEachMigrationOnce) {
  pqxx::connection c(conninfo_);
  pqxx::nontransaction(c).exec(
      "DROP FUNCTION record_job_facts; "
      "DROP TABLE rendition_daily, rendition_facts, job_facts, outbox, tenant_policies, tenant_queue, jobs; "
      "DROP TYPE job_status; "
      "DROP FUNCTION jobs_notify_queued, jobs_register_tenant, jobs_notify_cancelled, jobs_record_facts, "
      "roll_up_renditions, report_step_seconds, jsonb_number; "
      "DELETE FROM schema_migrations");
  std::atomic<int> applied{0};
  std::atomic<int> failed{0};
  {
    std::vector<std::jthread> pods;
    for (int i = 0; i < 10; ++i) {
      pods.emplace_back([&] {
        auto outcome = Migrator(conninfo_, embedded_migrations()).migrate();
        if (!outcome) {
          ++failed;
          return;
        }
        applied += static_cast<int>(outcome->applied.size());
      });
    }
  }
  const auto count = static_cast<int>(embedded_migrations().size());
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(applied.load(), count);
  EXPECT_EQ(scalar("SELECT count(*) FROM schema_migrations"), std::to_string(count));
}

TEST_F(Migrations, AnAppliedMigrationThatChangedIsAnError) {
  auto migrations = embedded_migrations();
  migrations.front().sql += "\n-- edited after release\n";
  const auto outcome = Migrator(conninfo_, migrations).migrate();
  ASSERT_FALSE(outcome.has_value());
  EXPECT_NE(outcome.error().message.find("was changed after it was applied"), std::string::npos);
}

using JobStoreTest = PostgresTest;

TEST_F(JobStoreTest, TwoHundredConcurrentInsertsOfTheSameVideoMakeOneJob) {
  auto pool = make_pool();
  TestJobStore store(*pool);
  std::atomic<int> created{0};
  std::mutex mutex;
  std::set<std::string> ids;
  {
    std::vector<std::jthread> clients;
    for (int i = 0; i < 200; ++i) {
      clients.emplace_back([&] {
        auto result = store.create(new_job("video-1"));
        ASSERT_TRUE(result.has_value()) << result.error().message;
        if (result->created) ++created;
        std::lock_guard lock(mutex);
        ids.insert(result->job.id);
      });
    }
  }
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(ids.size(), 1U);
  EXPECT_EQ(scalar("SELECT count(*) FROM jobs"), "1");
  EXPECT_LE(pool->peak_open_connections(), 30U);
}

TEST_F(JobStoreTest, ANewSourceVersionOfTheSameVideoIsANewJob) {
  auto pool = make_pool();
  TestJobStore store(*pool);
  auto first = store.create(new_job("video-1"));
  auto spec = new_job("video-1");
  spec.source_version = "v2";
  auto second = store.create(spec);
  ASSERT_TRUE(first && second);
  EXPECT_TRUE(second->created);
  EXPECT_NE(first->job.id, second->job.id);
}

TEST_F(JobStoreTest, RejectsIdsThatCouldEscapeATenantsPrefix) {
  auto pool = make_pool();
  TestJobStore store(*pool);
  auto spec = new_job("../other-tenant");
  const auto result = store.create(spec);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kUsage);
}

TEST_F(JobStoreTest, GetReturnsNotFoundForUnknownOrMalformedIds) {
  auto pool = make_pool();
  TestJobStore store(*pool);
  EXPECT_EQ(store.get("not-a-uuid").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store.get("00000000-0000-0000-0000-000000000000").error().code, ErrorCode::kNotFound);
}

TEST_F(JobStoreTest, ClaimsByPriorityThenAge) {
  auto pool = make_pool();
  TestJobStore store(*pool);
  auto low = new_job("low");
  auto high = new_job("high");
  high.priority = 10;
  ASSERT_TRUE(store.create(low) && store.create(new_job("low-later")) && store.create(high));
  std::vector<std::string> order;
  for (int i = 0; i < 3; ++i) {
    auto claimed = store.claim("w", 30s);
    ASSERT_TRUE(claimed && *claimed);
    order.push_back((*claimed)->spec.video_id);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"high", "low", "low-later"}));
  auto none = store.claim("w", 30s);
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());
}

TEST_F(JobStoreTest, ATenantWithTwoHundredQueuedJobsDoesNotStarveOneThatQueuesFiveAfterIt) {
  auto pool = make_pool();
  TestJobStore store(*pool);
  std::vector<NewJob> a_jobs;
  for (int i = 0; i < 200; ++i) {
    auto job = new_job(fmt::format("a-{}", i));
    job.tenant_id = "tenant-a";
    a_jobs.push_back(job);
  }
  ASSERT_TRUE(store.create_all(a_jobs));
  std::vector<NewJob> b_jobs;
  for (int i = 0; i < 5; ++i) {
    auto job = new_job(fmt::format("b-{}", i));
    job.tenant_id = "tenant-b";
    b_jobs.push_back(job);
  }
  ASSERT_TRUE(store.create_all(b_jobs));

  // Workers claim one after another (and finish at once): the order of service.
  int a_claimed = 0;
  int b_claimed = 0;
  int a_claimed_when_b_done = -1;
  for (int i = 0; i < 205; ++i) {
    auto claimed = store.claim("w", 30s);
    ASSERT_TRUE(claimed && *claimed) << "claim " << i;
    ASSERT_TRUE(store.succeed({(*claimed)->id, (*claimed)->fencing_token}, "{}"));
    if ((*claimed)->spec.tenant_id == "tenant-a") {
      ++a_claimed;
    } else if (++b_claimed == 5) {
      a_claimed_when_b_done = a_claimed;
    }
  }
  EXPECT_EQ(b_claimed, 5);
  EXPECT_GE(a_claimed_when_b_done, 0);
  EXPECT_LT(a_claimed_when_b_done, 19) << "B's five jobs must all start before A's 20th";
}

TEST_F(JobStoreTest, ATenantAtItsRunningCapIsSkippedUntilOneOfItsJobsEnds) {
  auto pool = make_pool();
  TestJobStore store(*pool);
  pqxx::connection c(conninfo_);
  pqxx::nontransaction(c).exec("INSERT INTO tenant_policies (tenant_id, max_running) VALUES ('tenant-a', 1)");
  for (const auto* video : {"a-1", "a-2"}) ASSERT_TRUE(store.create(new_job(video)));
  auto other = new_job("b-1");
  other.tenant_id = "tenant-b";
  ASSERT_TRUE(store.create(other));

  auto first = store.claim("w", 30s);
  ASSERT_TRUE(first && *first);
  EXPECT_EQ((*first)->spec.tenant_id, "tenant-a");
  auto second = store.claim("w", 30s);
  ASSERT_TRUE(second && *second);
  EXPECT_EQ((*second)->spec.tenant_id, "tenant-b");
  auto none = store.claim("w", 30s);
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value()) << "tenant-a already runs its one job";
  ASSERT_TRUE(store.succeed({(*first)->id, (*first)->fencing_token}, "{}"));
  auto third = store.claim("w", 30s);
  ASSERT_TRUE(third && *third);
  EXPECT_EQ((*third)->spec.video_id, "a-2");
}

TEST_F(JobStoreTest, CancelAndRetryFollowTheTransitionTableAndVoidTheLease) {
  auto pool = make_pool();
  TestJobStore store(*pool, test_event);
  auto& catalog = store.catalog();
  const auto scope = TenantScope::of("tenant-a");
  auto queued = store.create(new_job("queued"));
  ASSERT_TRUE(queued);
  auto cancelled = catalog.cancel(scope, queued->job.id);
  ASSERT_TRUE(cancelled) << cancelled.error().message;
  EXPECT_EQ(cancelled->status, JobStatus::kCancelled);
  EXPECT_EQ(catalog.cancel(scope, queued->job.id).error().code, ErrorCode::kConflict);
  EXPECT_EQ(catalog.cancel(TenantScope::of("tenant-b"), queued->job.id).error().code, ErrorCode::kNotFound);

  ASSERT_TRUE(store.create(new_job("running")));
  auto running = store.claim("w", 30s);
  ASSERT_TRUE(running && *running);
  const JobLease lease{(*running)->id, (*running)->fencing_token};
  ASSERT_TRUE(catalog.cancel(scope, lease.job_id));
  // The worker's lease is void: nothing it reports is recorded.
  EXPECT_EQ(store.heartbeat(lease, 30s).error().code, ErrorCode::kConflict);
  EXPECT_EQ(store.succeed(lease, "{}").error().code, ErrorCode::kConflict);
  EXPECT_EQ(store.fail(lease, {ErrorCode::kProcess, "killed"}, false, 0ms).error().code, ErrorCode::kConflict);
  EXPECT_EQ(scalar("SELECT count(*) FROM outbox WHERE payload = 'cancelled'"), "2");

  EXPECT_EQ(catalog.retry(scope, queued->job.id)->status, JobStatus::kQueued);
  EXPECT_EQ(catalog.retry(scope, queued->job.id).error().code, ErrorCode::kConflict) << "queued is not retryable";
  EXPECT_EQ(catalog.retry(scope, "not-a-uuid").error().code, ErrorCode::kNotFound);
}

TEST_F(JobStoreTest, AStaleFencingTokenCannotWrite) {
  auto pool = make_pool();
  TestJobStore store(*pool);
  ASSERT_TRUE(store.create(new_job("video-1")));
  auto first = store.claim("worker-a", 1s);
  ASSERT_TRUE(first && *first);
  const JobLease stale{(*first)->id, (*first)->fencing_token};
  std::this_thread::sleep_for(1100ms);
  auto requeued = store.requeue_expired();
  ASSERT_TRUE(requeued.has_value());
  EXPECT_EQ(requeued->size(), 1U);
  auto second = store.claim("worker-b", 30s);
  ASSERT_TRUE(second && *second);
  EXPECT_GT((*second)->fencing_token, stale.fencing_token);
  EXPECT_EQ((*second)->attempt, 2);

  EXPECT_EQ(store.heartbeat(stale, 30s).error().code, ErrorCode::kConflict);
  EXPECT_EQ(store.succeed(stale, "{}").error().code, ErrorCode::kConflict);
  EXPECT_TRUE(store.succeed({(*second)->id, (*second)->fencing_token}, R"({"ok":true})").has_value());
  EXPECT_EQ(store.get((*second)->id)->status, JobStatus::kSucceeded);
}

using WorkQueue = PostgresTest;

TEST_F(JobStoreTest, CreateAllInsertsABatchInOneTransactionAndFindsDuplicatesWithinIt) {
  auto pool = make_pool();
  TestJobStore store(*pool);
  ASSERT_TRUE(store.create(new_job("existing")));
  const auto created = store.create_all({new_job("a"), new_job("b"), new_job("a"), new_job("existing")});
  ASSERT_TRUE(created.has_value()) << created.error().message;
  ASSERT_EQ(created->size(), 4U);
  EXPECT_TRUE((*created)[0].created);
  EXPECT_TRUE((*created)[1].created);
  EXPECT_FALSE((*created)[2].created);
  EXPECT_EQ((*created)[2].job.id, (*created)[0].job.id);
  EXPECT_FALSE((*created)[3].created);
  EXPECT_EQ(scalar("SELECT count(*) FROM jobs"), "3");
  // All or nothing: one row the database refuses takes the batch with it.
  auto bad = new_job("c");
  bad.max_attempts = 0;
  const auto refused = store.create_all({new_job("d"), bad});
  ASSERT_FALSE(refused.has_value());
  EXPECT_TRUE(refused.error().is_permanent());
  EXPECT_EQ(scalar("SELECT count(*) FROM jobs"), "3");
}

TEST_F(JobStoreTest, EveryFinalStatusWritesItsEventInTheSameTransactionAndOnlyThen) {
  auto pool = make_pool();
  TestJobStore store(*pool, test_event);
  auto job = new_job("v", /*max_attempts=*/2);
  job.priority = 10;  // claimed again before w after its retry
  job.origin = {.message_id = "m-1", .correlation_id = "c-1", .conversation_id = "", .traceparent = ""};
  ASSERT_TRUE(store.create(job));
  ASSERT_TRUE(store.create(new_job("w")));

  auto first = store.claim("w1", 30s);
  ASSERT_TRUE(first && *first);
  EXPECT_EQ((*first)->spec.origin.correlation_id, "c-1");
  const JobLease lease{(*first)->id, (*first)->fencing_token};
  // A failure that will be retried is not final: no event.
  ASSERT_EQ(store.fail(lease, {ErrorCode::kUnavailable, "s3 down"}, false, 0ms).value(), JobStatus::kQueued);
  EXPECT_EQ(scalar("SELECT count(*) FROM outbox"), "0");
  // A writer with a stale token changes nothing and announces nothing.
  EXPECT_FALSE(store.succeed(lease, "{}").has_value());
  EXPECT_EQ(scalar("SELECT count(*) FROM outbox"), "0");

  auto second = store.claim("w1", 30s);
  ASSERT_TRUE(second && *second);
  const JobLease lease2{(*second)->id, (*second)->fencing_token};
  ASSERT_EQ(store.fail(lease2, {ErrorCode::kUnavailable, "s3 down"}, false, 0ms).value(), JobStatus::kDead);
  EXPECT_EQ(scalar("SELECT count(*) FROM outbox"), "1");
  EXPECT_EQ(scalar("SELECT payload FROM outbox"), "dead");
  EXPECT_EQ(scalar("SELECT headers->>'CorrelationId' FROM outbox"), "c-1");
  EXPECT_EQ(scalar("SELECT job_id::text FROM outbox"), (*second)->id);

  auto third = store.claim("w1", 30s);
  ASSERT_TRUE(third && *third);
  ASSERT_TRUE(store.succeed({(*third)->id, (*third)->fencing_token}, R"({"outputPrefix":"x/"})"));
  EXPECT_EQ(scalar("SELECT count(*) FROM outbox WHERE payload = 'succeeded'"), "1");
  EXPECT_EQ(scalar("SELECT count(*) FROM outbox WHERE sent_at IS NULL"), "2");
}

TEST_F(JobStoreTest, AJobWhoseLeaseExpiredWithNoAttemptsLeftIsAnnouncedDead) {
  auto pool = make_pool();
  TestJobStore store(*pool, test_event);
  ASSERT_TRUE(store.create(new_job("v", /*max_attempts=*/1)));
  ASSERT_TRUE(store.claim("w1", 1s).value());
  std::this_thread::sleep_for(1500ms);
  ASSERT_EQ(store.requeue_expired().value().size(), 1U);
  EXPECT_EQ(scalar("SELECT payload FROM outbox"), "dead");
}

TEST_F(WorkQueue, TenWorkersRunEachOfOneHundredJobsExactlyOnce) {
  auto pool = make_pool();
  TestJobStore store(*pool);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(store.create(new_job("video-" + std::to_string(i))));

  std::mutex mutex;
  std::multiset<std::string> runs;
  FunctionHandler handler([&](const Job& job, JobContext&) -> Result<std::string> {
    std::this_thread::sleep_for(5ms);
    std::lock_guard lock(mutex);
    runs.insert(job.id);
    return std::string("{}");
  });
  std::vector<std::unique_ptr<WorkerPool>> workers;
  for (int i = 0; i < 10; ++i) {
    workers.push_back(std::make_unique<WorkerPool>(store, handler, fast_options("worker-" + std::to_string(i))));
    workers.back()->start();
  }
  EXPECT_TRUE(eventually([&] { return scalar("SELECT count(*) FROM jobs WHERE status = 'succeeded'") == "100"; }));
  for (auto& w : workers) w->shutdown(5s);

  std::set<std::string> distinct(runs.begin(), runs.end());
  EXPECT_EQ(runs.size(), 100U) << "some job ran more than once";
  EXPECT_EQ(distinct.size(), 100U);
  EXPECT_EQ(scalar("SELECT count(*) FROM jobs WHERE attempt <> 1"), "0");
}

TEST_F(WorkQueue, AJobThatFailsThreeTimesEndsDeadWithItsError) {
  auto pool = make_pool();
  TestJobStore store(*pool);
  auto created = store.create(new_job("flaky", /*max_attempts=*/3));
  ASSERT_TRUE(created);
  std::atomic<int> attempts{0};
  FunctionHandler handler([&](const Job&, JobContext&) -> Result<std::string> {
    ++attempts;
    return fail(ErrorCode::kProcess, "ffmpeg exited with code 1: disk quota exceeded");
  });
  WorkerPool workers(store, handler, fast_options("worker"));
  workers.start();
  EXPECT_TRUE(eventually([&] { return store.get(created->job.id)->status == JobStatus::kDead; }));
  workers.shutdown(5s);
  const auto job = store.get(created->job.id);
  EXPECT_EQ(attempts.load(), 3);
  EXPECT_EQ(job->attempt, 3);
  EXPECT_EQ(job->error_code, "process");
  EXPECT_EQ(job->error_message, "ffmpeg exited with code 1: disk quota exceeded");
}

TEST_F(WorkQueue, APermanentFailureIsNotRetried) {
  auto pool = make_pool();
  TestJobStore store(*pool);
  auto created = store.create(new_job("broken"));
  ASSERT_TRUE(created);
  std::atomic<int> attempts{0};
  FunctionHandler handler([&](const Job&, JobContext&) -> Result<std::string> {
    ++attempts;
    return fail(ErrorCode::kInvalidInput, "the input has no video stream");
  });
  WorkerPool workers(store, handler, fast_options("worker"));
  workers.start();
  EXPECT_TRUE(eventually([&] { return store.get(created->job.id)->status == JobStatus::kFailed; }));
  std::this_thread::sleep_for(300ms);
  workers.shutdown(5s);
  EXPECT_EQ(attempts.load(), 1);
}

TEST_F(WorkQueue, AJobWhoseWorkerDiedRunsAgainElsewhereAfterTheLeaseExpires) {
  auto pool = make_pool();
  TestJobStore store(*pool);
  auto created = store.create(new_job("orphan"));
  ASSERT_TRUE(created);
  // A worker that claims and then vanishes without a word.
  auto abandoned = store.claim("dead-worker", 1s);
  ASSERT_TRUE(abandoned && *abandoned);

  std::atomic<int> runs{0};
  FunctionHandler handler([&](const Job&, JobContext&) -> Result<std::string> {
    ++runs;
    return std::string("{}");
  });
  WorkerPool workers(store, handler, fast_options("survivor"));
  workers.start();
  EXPECT_TRUE(eventually([&] { return store.get(created->job.id)->status == JobStatus::kSucceeded; }, 20s));
  workers.shutdown(5s);
  EXPECT_EQ(runs.load(), 1);
  EXPECT_EQ(store.get(created->job.id)->attempt, 2);
}

TEST_F(WorkQueue, HeartbeatsKeepALongJobLeasedAndRecordProgress) {
  auto pool = make_pool();
  TestJobStore store(*pool);
  auto created = store.create(new_job("long"));
  ASSERT_TRUE(created);
  FunctionHandler handler([&](const Job&, JobContext& context) -> Result<std::string> {
    context.step_started("encode");
    context.encode_progress({.encoded_seconds = 5, .speed = 2, .frame = 120, .finished = false},
                            {.percent = 50, .eta_seconds = 2.5, .renditions = {{"720p", 50, 1}}});
    std::this_thread::sleep_for(4500ms);  // longer than the 3 s lease
    return std::string("{}");
  });
  WorkerPool workers(store, handler, fast_options("worker"));
  workers.start();
  // Persisted at the step boundary, with its detail.
  EXPECT_TRUE(
      eventually([&] { return scalar("SELECT coalesce(progress_detail->>'step', '') FROM jobs") == "encode"; }, 10s));
  EXPECT_EQ(scalar("SELECT progress_detail->'renditions'->0->>'name' FROM jobs"), "720p");
  EXPECT_EQ(scalar("SELECT progress_detail->>'frame' FROM jobs"), "120");
  EXPECT_TRUE(eventually([&] { return store.get(created->job.id)->status == JobStatus::kSucceeded; }, 20s));
  workers.shutdown(5s);
  EXPECT_EQ(store.get(created->job.id)->attempt, 1) << "the reaper took a job whose worker was alive";
}

TEST_F(WorkQueue, GracefulShutdownReleasesJobsThatOutliveTheGracePeriod) {
  auto pool = make_pool();
  TestJobStore store(*pool);
  auto created = store.create(new_job("endless"));
  ASSERT_TRUE(created);
  std::atomic<bool> started{false};
  FunctionHandler handler([&](const Job&, JobContext& context) -> Result<std::string> {
    started = true;
    while (!context.stop_token().stop_requested()) std::this_thread::sleep_for(10ms);
    return fail(ErrorCode::kCancelled, "stopped");
  });
  WorkerPool workers(store, handler, fast_options("worker"));
  workers.start();
  ASSERT_TRUE(eventually([&] { return started.load(); }, 10s));
  workers.shutdown(300ms);
  const auto job = store.get(created->job.id);
  EXPECT_EQ(job->status, JobStatus::kQueued);
  EXPECT_EQ(job->attempt, 0) << "a release is not a failed attempt";
}

TEST_F(WorkQueue, ThePoolNeverOpensMoreThanItsMaximumUnderOneHundredUsers) {
  auto pool = make_pool(/*max_size=*/8);
  {
    std::vector<std::jthread> users;
    for (int i = 0; i < 100; ++i) {
      users.emplace_back([&] {
        auto lease = pool->acquire();
        ASSERT_TRUE(lease.has_value()) << lease.error().message;
        pqxx::nontransaction(**lease).exec("SELECT pg_sleep(0.02)");
      });
    }
  }
  EXPECT_LE(pool->peak_open_connections(), 8U);
  EXPECT_GE(pool->peak_open_connections(), 2U);
  EXPECT_LE(std::stoi(scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")), 9);
}

TEST_F(WorkQueue, ThePoolReplacesConnectionsTheServerClosed) {
  auto pool = make_pool(2);
  TestJobStore store(*pool);
  ASSERT_TRUE(store.create(new_job("a")));
  scalar(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> "
      "pg_backend_pid()");
  // The first use of the dead connection fails and discards it; the next one reconnects.
  auto first = store.get("00000000-0000-0000-0000-000000000000");
  auto second = store.create(new_job("b"));
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_TRUE(first.has_value() || first.error().code == ErrorCode::kUnavailable ||
              first.error().code == ErrorCode::kNotFound);
}

}  // namespace
}  // namespace st
