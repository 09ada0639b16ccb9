#include "util/thread_context.hpp"

#include <utility>

namespace st {
namespace {

thread_local ThreadContext context;

}  // namespace

ThreadContext ThreadContext::current() {
  return context;
}

ThreadContext& this_thread_context() {
  return context;
}

ThreadContextScope::ThreadContextScope(ThreadContext next) : previous_(std::exchange(context, std::move(next))) {}

ThreadContextScope::~ThreadContextScope() {
  context = std::move(previous_);
}

}  // namespace st
