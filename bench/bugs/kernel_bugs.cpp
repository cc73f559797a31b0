// Kernel-style bugs of our own, written the way they appear in SMP kernels, each a scenario.

#include "harness.hpp"

namespace lockstep::bugs {
namespace {

// --- tas_lock: a test-then-set "lock": two CPUs both see it free and both enter ---------------

hal::Atomic<std::uint32_t> g_tas{0};
hal::Atomic<int> g_tas_count{0};
hal::Atomic<int> g_tas_inside{0};  // The assertion a kernel would make: one CPU inside at a time.
constexpr int kTasRounds = 3;

void tas_thread(std::uint32_t) {
  for (int k = 0; k < kTasRounds; ++k) {
    while (g_tas.load(std::memory_order_relaxed) != 0) hal::relax();
    g_tas.store(1, std::memory_order_relaxed);  // BUG: not one atomic test-and-set.
    if (g_tas_inside.fetch_add(1) != 0) bug("tas_lock: two CPUs were in the critical section");
    g_tas_count.store(g_tas_count.load() + 1);
    g_tas_inside.fetch_sub(1);
    g_tas.store(0, std::memory_order_release);
  }
}

// --- lost_wakeup: the waiter checks the condition, then registers itself --------------------

hal::Atomic<bool> g_ready{false}, g_registered{false};
core::Event g_wakeup{"lost_wakeup.wakeup"};

void lost_wakeup_thread(std::uint32_t i) {
  if (i == 0) {  // The consumer.
    if (!g_ready.load()) {
      g_registered.store(true);  // BUG: registered after the check, not atomically with it.
      g_wakeup.wait();
    }
    return;
  }
  g_ready.store(true);  // The producer: wakes only a registered waiter.
  if (g_registered.load()) g_wakeup.signal();
}

// --- abba_irq: two IRQ-safe locks taken in opposite orders, a third CPU using one of them ----

core::TicketSpinlock g_runqueue_lock{"abba.runqueue"}, g_timer_lock{"abba.timer"};
hal::Atomic<int> g_abba_work{0};

void abba_thread(std::uint32_t i) {
  if (i == 0) {
    core::IrqSpinlockGuard a(g_runqueue_lock);
    core::IrqSpinlockGuard b(g_timer_lock);
    g_abba_work.fetch_add(1);
  } else if (i == 1) {
    core::IrqSpinlockGuard b(g_timer_lock);
    core::IrqSpinlockGuard a(g_runqueue_lock);  // BUG: the opposite order.
    g_abba_work.fetch_add(1);
  } else {
    core::IrqSpinlockGuard a(g_runqueue_lock);
    g_abba_work.fetch_add(1);
  }
}

// --- call_under_lock: a cross-CPU call waited for while holding a lock the target takes with
// interrupts off: the target spins on the lock and cannot take the call's IPI ---------------

core::RawSpinlock g_config_lock{"call.config"};
hal::Atomic<int> g_config{0};
hal::Atomic<hal::CpuId> g_target_cpu{hal::kInvalidCpu};

void call_under_lock_thread(std::uint32_t i) {
  if (i == 1) {
    g_target_cpu.store(hal::current_cpu_id());
    core::IrqSpinlockGuard g(g_config_lock);  // Interrupts off while it spins.
    g_config.fetch_add(1);
    return;
  }
  hal::CpuId target = hal::kInvalidCpu;
  while ((target = g_target_cpu.load()) == hal::kInvalidCpu) hal::relax();
  core::SpinlockGuard g(g_config_lock);
  // BUG: waits for a call on a CPU that may be spinning, interrupts off, on the lock it holds.
  (void)core::call_on_cpu(target, [](void*) { g_config.fetch_add(1); }, nullptr, true);
}

// --- percpu_migration: a per-CPU counter updated with preemption enabled: the task can be
// preempted (and migrate) between the read and the write, and an update is lost ------------

constexpr int kPerCpuIncrements = 100;  // Long enough for timer ticks (every 20,000 cycles) to preempt.
constexpr std::uint32_t kPerCpuTasks = 8;  // Two per CPU on 4 CPUs: stealing cannot spread them apart.
core::PerCpuVar<hal::Atomic<int>>* g_per_cpu_counts = nullptr;

void percpu_thread(std::uint32_t) {
  for (int k = 0; k < kPerCpuIncrements; ++k) {
    hal::Atomic<int>& mine = g_per_cpu_counts->local();  // BUG: no preempt_disable around it.
    const int v = mine.load();
    for (int spin = 0; spin < 20; ++spin) hal::relax();  // Some work between read and write.
    mine.store(v + 1);
  }
}

}  // namespace
}  // namespace lockstep::bugs

namespace bugs = lockstep::bugs;

LOCKSTEP_SCENARIO(tas_lock, "kernel bug: a test-then-set lock lets two CPUs in (4 CPUs)") {
  bugs::g_tas.store(0);
  bugs::g_tas_count.store(0);
  bugs::g_tas_inside.store(0);
  bugs::run_threads(result, 4, bugs::tas_thread, 0, [] {
    if (bugs::g_tas_count.load() != 4 * bugs::kTasRounds) bugs::bug("tas_lock: an increment was lost");
  });
}

LOCKSTEP_SCENARIO(lost_wakeup, "kernel bug: a waiter that registers itself after checking the condition") {
  bugs::g_ready.store(false);
  bugs::g_registered.store(false);
  bugs::g_wakeup.reset();
  bugs::run_threads(result, 2, bugs::lost_wakeup_thread);
}

LOCKSTEP_SCENARIO(abba_irq, "kernel bug: two IRQ-safe ticket locks taken in opposite orders (3 CPUs)") {
  bugs::g_abba_work.store(0);
  bugs::run_threads(result, 3, bugs::abba_thread);
}

LOCKSTEP_SCENARIO(call_under_lock, "kernel bug: a waited-for cross-CPU call made while holding a lock the target "
                                   "takes with interrupts off") {
  bugs::g_config.store(0);
  bugs::g_target_cpu.store(lockstep::hal::kInvalidCpu);
  bugs::run_threads(result, 2, bugs::call_under_lock_thread);
}

LOCKSTEP_SCENARIO(percpu_migration, "kernel bug: a per-CPU counter updated without disabling preemption (8 tasks)") {
  static lockstep::core::PerCpuVar<lockstep::hal::Atomic<int>> counts;
  bugs::g_per_cpu_counts = &counts;
  counts.for_each(lockstep::hal::kMaxCpus, [](lockstep::hal::CpuId, lockstep::hal::Atomic<int>& c) { c.store(0); });
  bugs::run_threads(result, bugs::kPerCpuTasks, bugs::percpu_thread, 0, [] {
    int total = 0;
    bugs::g_per_cpu_counts->for_each(lockstep::hal::kMaxCpus,
                                     [&](lockstep::hal::CpuId, lockstep::hal::Atomic<int>& c) { total += c.load(); });
    if (total != static_cast<int>(bugs::kPerCpuTasks) * bugs::kPerCpuIncrements)
      bugs::bug("percpu_migration: a per-CPU update was lost");
  });
}
