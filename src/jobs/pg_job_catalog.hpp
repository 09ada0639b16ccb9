// JobCatalog on PostgreSQL: the API's and messaging's statements.
#pragma once

#include <pqxx/transaction>

#include "db/pool.hpp"
#include "jobs/job_catalog.hpp"
#include "jobs/job_transitions.hpp"
#include "jobs/outbox.hpp"

namespace st {

class PgJobCatalog final : public JobCatalog {
 public:
  // The pool's connections must have been prepared with prepare_statements().
  // With an `announcer`, a cancellation also writes the event that announces
  // it to the outbox, in the same transaction.
  explicit PgJobCatalog(ConnectionPool& pool, OutcomeAnnouncer announcer = {})
      : pool_(pool), announcer_(std::move(announcer)) {}

  static void prepare_statements(pqxx::connection& connection);

  Result<CreatedJob> create(const NewJob& job) override;
  Result<std::vector<CreatedJob>> create_all(const std::vector<NewJob>& jobs) override;
  Result<Job> get(const TenantScope& scope, const std::string& id) override;
  Result<JobPage> list(const TenantScope& scope, const JobQuery& query) override;
  Result<Job> cancel(const TenantScope& scope, const std::string& id) override;
  Result<Job> retry(const TenantScope& scope, const std::string& id) override;
  Result<std::int64_t> queued_count(const std::string& tenant) override;

 private:
  // cancel and retry: one statement, then (when it changed nothing) why not.
  Result<Job> transition(const TenantScope& scope, const std::string& id, JobEvent event);
  // Cancels the older unfinished jobs of `newer`'s video and announces them; their ids.
  std::vector<std::string> supersede_older(pqxx::work& tx, const Job& newer);

  ConnectionPool& pool_;
  OutcomeAnnouncer announcer_;
};

}  // namespace st
