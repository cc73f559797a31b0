#include "harness.hpp"

namespace lockstep::bugs {
namespace {

hal::Atomic<const char*> g_bug{nullptr};
core::StartBarrier g_start;
core::Completion g_done;
ThreadFn g_fn = nullptr;

void thread_entry(void* arg) {
  const auto index = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(arg));
  g_start.arrive_and_wait();
  g_fn(index);
  g_done.done();
}

}  // namespace

void bug(const char* what) noexcept {
  const char* none = nullptr;
  (void)g_bug.compare_exchange_strong(none, what);
}

void run_threads(core::WorkloadResult& result, std::uint32_t threads, ThreadFn fn, std::uint32_t on_cpus,
                 void (*after)()) noexcept {
  const std::uint32_t cpus = on_cpus != 0 && on_cpus < core::cpu_count() ? on_cpus : core::cpu_count();
  g_bug.store(nullptr);
  g_fn = fn;
  g_start.reset(threads);
  g_done.reset(threads, hal::current_cpu_id());
  for (std::uint32_t i = 0; i < threads; ++i) {
    if (core::spawn_task(thread_entry, reinterpret_cast<void*>(std::uintptr_t{i}), 1, i % cpus) == nullptr) {
      core::workload_fail(result, "could not spawn a thread of the program");
      return;
    }
  }
  core::run_scheduler_until([](void*) { return g_done.complete(); }, nullptr);
  hal::test_focus(false);
  if (after != nullptr) after();
  if (const char* what = g_bug.load()) core::workload_fail(result, what);
}

}  // namespace lockstep::bugs
