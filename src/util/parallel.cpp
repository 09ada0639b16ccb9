#include "util/parallel.hpp"

#include "util/thread_context.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace st {

Result<void> parallel_for(std::size_t count, int concurrency, const std::function<Result<void>(std::size_t)>& task) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mutex;
  Error first_error;
  // No exception leaves a thread: one thrown by a task (an allocation that
  // fails, a library that throws) is that task's error.
  const auto run = [&](std::size_t i) -> Result<void> {
    try {
      return task(i);
    } catch (const std::exception& e) {
      return fail(ErrorCode::kInternal, e.what());
    } catch (...) {
      return fail(ErrorCode::kInternal, "a task threw something that is not an exception");
    }
  };
  auto worker = [&] {
    for (auto i = next++; i < count && !failed; i = next++) {
      if (auto done = run(i); !done) {
        std::lock_guard lock(mutex);
        if (!failed.exchange(true)) first_error = done.error();
      }
    }
  };
  // The helpers work for the caller: its job's log fields, span and CPU account go along.
  const auto context = ThreadContext::current();
  auto helper = [&] {
    const ThreadContextScope scope(context);
    worker();
  };
  {
    std::vector<std::jthread> threads;
    const auto n = std::min<std::size_t>(count, static_cast<std::size_t>(std::max(concurrency, 1)));
    for (std::size_t t = 1; t < n; ++t) threads.emplace_back(helper);
    worker();
  }
  if (failed) return tl::unexpected(first_error);
  return {};
}

}  // namespace st
