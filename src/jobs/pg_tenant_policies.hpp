// TenantPolicies on PostgreSQL (the tenant_policies table).
#pragma once

#include "db/pool.hpp"
#include "jobs/tenant_policy.hpp"

namespace st {

class PgTenantPolicies final : public TenantPolicies {
 public:
  explicit PgTenantPolicies(ConnectionPool& pool) : pool_(pool) {}
  static void prepare_statements(pqxx::connection& connection);

  Result<TenantPolicy> get(const std::string& tenant_id) override;
  Result<TenantPolicy> put(const TenantPolicy& policy) override;

 private:
  ConnectionPool& pool_;
};

}  // namespace st
