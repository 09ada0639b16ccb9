// Bounded parallelism for I/O-bound batches (object transfers).
#pragma once

#include <cstddef>
#include <functional>

#include "util/error.hpp"

namespace st {

// Runs `task(i)` for i in [0, count) on up to `concurrency` threads (the calling
// thread is one of them). The first error stops new tasks from starting and is
// returned once the running ones have finished. The helper threads run in the
// caller's ThreadContext.
Result<void> parallel_for(std::size_t count, int concurrency, const std::function<Result<void>(std::size_t)>& task);

}  // namespace st
