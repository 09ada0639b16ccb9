#include "locks/pg_video_locks.hpp"

#include <pqxx/pqxx>

#include "db/transaction.hpp"

namespace st {
namespace {

// One 64-bit key per tenant and video (hashtextextended is PostgreSQL's own
// hash, stable across versions); a collision only makes two videos wait for
// each other.
constexpr const char* kKey = "hashtextextended($1 || '/' || $2, 7)";

class PgVideoLock final : public VideoLock {
 public:
  explicit PgVideoLock(std::unique_ptr<pqxx::connection> connection) : connection_(std::move(connection)) {}
  // Closing the session releases its advisory locks.
  ~PgVideoLock() override = default;
  PgVideoLock(const PgVideoLock&) = delete;
  PgVideoLock& operator=(const PgVideoLock&) = delete;

  Result<void> renew() override {
    try {
      pqxx::nontransaction(*connection_).exec("SELECT 1");
      return {};
    } catch (const std::exception& e) {
      // The session is gone, and the lock with it: another job may hold it now.
      return fail(ErrorCode::kConflict,
                  std::string("the video's advisory lock was lost with its session: ") + e.what());
    }
  }
  [[nodiscard]] const char* backend() const override { return "postgresql"; }

 private:
  std::unique_ptr<pqxx::connection> connection_;
};

}  // namespace

Result<std::unique_ptr<VideoLock>> PgVideoLocks::try_acquire(const std::string& tenant, const std::string& video) {
  try {
    auto connection = std::make_unique<pqxx::connection>(conninfo_);
    const auto taken = pqxx::nontransaction(*connection)
                           .exec_params1(std::string("SELECT pg_try_advisory_lock(") + kKey + ")", tenant, video)[0]
                           .as<bool>();
    if (!taken) return std::unique_ptr<VideoLock>();
    return std::unique_ptr<VideoLock>(std::make_unique<PgVideoLock>(std::move(connection)));
  } catch (const std::exception& e) {
    return fail(ErrorCode::kUnavailable, std::string("cannot take the video's advisory lock: ") + e.what());
  }
}

Result<bool> PgVideoLocks::is_free(const std::string& tenant, const std::string& video) {
  return with_connection(pool_, [&](pqxx::connection& c) -> Result<bool> {
    // A transaction-level lock that ends with the transaction: a probe.
    pqxx::work tx(c);
    const auto free =
        tx.exec_params1(std::string("SELECT pg_try_advisory_xact_lock(") + kKey + ")", tenant, video)[0].as<bool>();
    tx.commit();
    return free;
  });
}

}  // namespace st
