// The demo: producers hand work to consumers that block on events, under locks, with IPIs and
// stealing in between. Everything the viewer can show happens here.

#include <lockstep/core/ipi.hpp>
#include <lockstep/core/profiler.hpp>
#include <lockstep/core/spinlock.hpp>

#include "util.hpp"

namespace lockstep::core::workloads {
namespace {

constexpr std::uint32_t kItemsPerProducer = 6;

Spinlock<std::uint64_t> g_ledger{"mixed.ledger", 0};
hal::Atomic<std::uint64_t> g_consumed{0};
hal::Atomic<std::uint64_t> g_calls{0};
Event g_start;
ProfileLabel g_label_work = 0;
ProfileCounter g_counter_items = 0;

void touch(void*) { g_calls.fetch_add(1); }

void mixed_task(void* arg) {
  const std::uint32_t i = task_index(arg);
  if (i % 4 == 0) {
    g_start.signal();
  } else {
    g_start.wait();
  }
  for (std::uint32_t k = 0; k < kItemsPerProducer; ++k) {
    {
      ProfileScope scope(g_label_work);
      const hal::Cycles start = hal::cycle_counter();
      while (hal::cycle_counter() - start < 1'500) hal::relax();
    }
    {
      auto ledger = g_ledger.lock_irq();
      ++*ledger;
    }
    profile_count(g_counter_items);
    g_consumed.fetch_add(1);
    if (k == 2) call_on_others(touch, nullptr, (i % 2) == 0);
    if (k % 2 == 1) yield();
  }
  g_tasks_done.done();
}

}  // namespace

void run_mixed(WorkloadResult& r) {
  *g_ledger.lock_irq() = 0;
  g_consumed.store(0);
  g_calls.store(0);
  g_start.reset();
  g_label_work = profile_label("mixed.work");
  g_counter_items = profile_counter("mixed.items");
  register_lock_stats(g_ledger.raw().stats());
  const std::uint32_t tasks = cpu_count() * 4 < kMaxWorkloadTasks ? cpu_count() * 4 : kMaxWorkloadTasks;
  // Half start on CPU 0 so that the others must steal.
  g_tasks_done.reset(tasks, hal::current_cpu_id());
  {
    RescheduleBatch batch;
    for (std::uint32_t i = 0; i < tasks; ++i) {
      const hal::CpuId cpu = (i % 2 == 0) ? 0 : i % cpu_count();
      if (spawn_task(mixed_task, reinterpret_cast<void*>(static_cast<std::uintptr_t>(i)), static_cast<std::uint8_t>(i % 3),
                     cpu_is_online(cpu) ? cpu : hal::kInvalidCpu) == nullptr) {
        fail(r, "could not spawn task {}", i);
        g_tasks_done.done();
      }
    }
  }
  run_scheduler_until([](void*) { return g_tasks_done.complete(); }, nullptr);
  const std::uint64_t expected = std::uint64_t{tasks} * kItemsPerProducer;
  if (*g_ledger.lock_irq() != expected) fail(r, "ledger {} != {}", *g_ledger.lock_irq(), expected);
  if (g_consumed.load() != expected) fail(r, "consumed {} != {}", g_consumed.load(), expected);
}

}  // namespace lockstep::core::workloads
