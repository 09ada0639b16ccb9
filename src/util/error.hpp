// Error values returned across module boundaries.
//
// Failure is normal at every boundary this service has (files, child processes,
// media that is not what it claims to be), so those paths return
// `Result<T>` instead of throwing. Exceptions are kept for programming errors.
#pragma once

#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace st {

enum class ErrorCode {
  kInvalidInput,   // the input is not something we can or will process
  kLimitExceeded,  // the input is valid but beyond a configured limit
  kUsage,          // the caller asked for something impossible (bad option)
  kIo,             // local filesystem failure
  kProcess,        // a child process failed to start or failed while running
  kTimeLimit,      // the work outran a time limit set for it (--time-limit, the encode budget)
  kCancelled,      // a stop was requested (signal, job cancel)
  kUnavailable,    // a dependency (database, broker, storage) is down: retry later
  kNotFound,       // the thing asked for does not exist
  kConflict,       // the request contradicts the current state (a stale fencing token)
  kInternal,       // a bug or an invariant we could not keep
};

std::string_view to_string(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  // A sentence a person can act on: what failed, and why, without jargon when possible.
  std::string message;

  // True when retrying with the same input cannot help (bad media, bad options).
  [[nodiscard]] bool is_permanent() const {
    return code == ErrorCode::kInvalidInput || code == ErrorCode::kLimitExceeded || code == ErrorCode::kUsage ||
           code == ErrorCode::kTimeLimit;
  }
};

template <typename T>
using Result = tl::expected<T, Error>;

// `return fail(ErrorCode::kIo, "...")` reads better than spelling out tl::unexpected.
inline tl::unexpected<Error> fail(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace st
