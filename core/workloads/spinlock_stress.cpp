// Shared counters under each kind of lock. The increment is a load and a store with a
// scheduling point between them, so any lock that fails to exclude loses updates.

#include <lockstep/core/spinlock.hpp>

#include "util.hpp"

namespace lockstep::core::workloads {
namespace {

constexpr std::uint32_t kRounds = 24;

struct Counters {
  hal::Atomic<std::uint64_t> value{0};
};

RawSpinlock g_ttas{"stress.ttas"};
Counters g_ttas_counter;
Spinlock<std::uint64_t, TicketSpinlock> g_ticket{"stress.ticket", 0};
hal::Atomic<std::uint64_t> g_ticket_shadow{0};
Spinlock<std::uint64_t> g_irq{"stress.irq", 0};
hal::Atomic<std::uint64_t> g_irq_shadow{0};

void bump(hal::Atomic<std::uint64_t>& c) {
  const std::uint64_t v = c.load(std::memory_order_relaxed);
  c.store(v + 1, std::memory_order_relaxed);
}

void stress_task(void*) {
  for (std::uint32_t i = 0; i < kRounds; ++i) {
    {
      SpinlockGuard guard(g_ttas);
      bump(g_ttas_counter.value);
    }
    {
      auto v = g_ticket.lock();
      ++*v;
      bump(g_ticket_shadow);
    }
    {
      auto v = g_irq.lock_irq();
      ++*v;
      bump(g_irq_shadow);
    }
    if (i % 8 == 7) yield();
  }
  g_tasks_done.done();
}

}  // namespace

void run_spinlock_stress(WorkloadResult& r) {
  g_ttas_counter.value.store(0);
  *g_ticket.lock() = 0;
  *g_irq.lock_irq() = 0;
  g_ticket_shadow.store(0);
  g_irq_shadow.store(0);
  register_lock_stats(g_ttas.stats());
  register_lock_stats(g_ticket.raw().stats());
  register_lock_stats(g_irq.raw().stats());
  const std::uint32_t tasks = cpu_count() * 3 < kMaxWorkloadTasks ? cpu_count() * 3 : kMaxWorkloadTasks;
  spawn_and_wait(tasks, stress_task, hal::kInvalidCpu, r);
  const std::uint64_t expected = std::uint64_t{tasks} * kRounds;
  const std::uint64_t ttas = g_ttas_counter.value.load();
  const std::uint64_t ticket = *g_ticket.lock();
  const std::uint64_t irq = *g_irq.lock_irq();
  if (ttas != expected) fail(r, "ttas counter {} != {}", ttas, expected);
  if (ticket != expected || g_ticket_shadow.load() != expected)
    fail(r, "ticket counter {} (shadow {}) != {}", ticket, g_ticket_shadow.load(), expected);
  if (irq != expected || g_irq_shadow.load() != expected)
    fail(r, "irq-safe counter {} (shadow {}) != {}", irq, g_irq_shadow.load(), expected);
}

}  // namespace lockstep::core::workloads
