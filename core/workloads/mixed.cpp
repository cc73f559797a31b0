// The demo: producers hand work to consumers that block on events, under locks, with IPIs and
// stealing in between. Everything the viewer can show happens here.
//
// It scales as a kernel's work does: the CPUs form nodes of kNodeCpus, each with its own ledger
// lock, and a task's call goes to the CPUs of its node (as a shootdown goes to an address
// space's CPUs, not to the machine), so the work per task stays the same from 8 to 1,024 CPUs.
// On up to kNodeCpus CPUs there is one node: one ledger, calls to every other CPU.

#include <lockstep/core/ipi.hpp>
#include <lockstep/core/profiler.hpp>
#include <lockstep/core/spinlock.hpp>

#include "util.hpp"

namespace lockstep::core::workloads {
namespace {

constexpr std::uint32_t kItemsPerProducer = 6;
constexpr hal::CpuId kNodeCpus = 8;
constexpr hal::CpuId kMaxNodes = (hal::kMaxCpus + kNodeCpus - 1) / kNodeCpus;

struct Ledger {
  Spinlock<std::uint64_t> lock{"mixed.ledger", 0};
};
Ledger g_ledgers[kMaxNodes];
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
    const hal::CpuId node = hal::current_cpu_id() / kNodeCpus;
    {
      auto ledger = g_ledgers[node].lock.lock_irq();
      ++*ledger;
    }
    profile_count(g_counter_items);
    g_consumed.fetch_add(1);
    if (k == 2) call_on_cpus(node * kNodeCpus, (node + 1) * kNodeCpus, touch, nullptr, (i % 2) == 0);
    if (k % 2 == 1) yield();
  }
  g_tasks_done.done();
}

hal::CpuId nodes() noexcept { return (cpu_count() + kNodeCpus - 1) / kNodeCpus; }

std::uint64_t ledger_total() noexcept {
  std::uint64_t total = 0;
  for (hal::CpuId n = 0; n < nodes(); ++n) total += *g_ledgers[n].lock.lock_irq();
  return total;
}

}  // namespace

void run_mixed(WorkloadResult& r) {
  for (hal::CpuId n = 0; n < nodes(); ++n) {
    *g_ledgers[n].lock.lock_irq() = 0;
    register_lock_stats(g_ledgers[n].lock.raw().stats());
  }
  g_consumed.store(0);
  g_calls.store(0);
  g_start.reset();
  g_label_work = profile_label("mixed.work");
  g_counter_items = profile_counter("mixed.items");
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
  if (ledger_total() != expected) fail(r, "ledger {} != {}", ledger_total(), expected);
  if (g_consumed.load() != expected) fail(r, "consumed {} != {}", g_consumed.load(), expected);
}

}  // namespace lockstep::core::workloads
