// Test-only scenarios linked into lockstep_test_scenarios: a counter incremented with a
// read-modify-write that is not atomic (a deliberate race `explore` must find), and the fixed
// version that must pass every seed.

#include <lockstep/core/cpu.hpp>
#include <lockstep/core/sched.hpp>
#include <lockstep/core/spinlock.hpp>
#include <lockstep/core/task.hpp>
#include <lockstep/hal/atomic.hpp>
#include <lockstep/hal/cpu.hpp>
#include <lockstep/sim/scenario.hpp>

namespace {

using lockstep::hal::Atomic;
constexpr std::uint32_t kTasks = 4;
constexpr std::uint64_t kIncrements = 10;

Atomic<std::uint64_t> g_counter{0};
lockstep::core::Completion g_done;

void racy_task(void*) {
  for (std::uint64_t i = 0; i < kIncrements; ++i) {
    const std::uint64_t v = g_counter.load(std::memory_order_relaxed);
    g_counter.store(v + 1, std::memory_order_relaxed);  // Another CPU may have stored in between.
  }
  g_done.done();
}

void fixed_task(void*) {
  for (std::uint64_t i = 0; i < kIncrements; ++i) g_counter.fetch_add(1, std::memory_order_relaxed);
  g_done.done();
}

void run_counter(lockstep::core::WorkloadResult& result, lockstep::core::TaskEntry entry) {
  namespace core = lockstep::core;
  g_counter.store(0);
  g_done.reset(kTasks, lockstep::hal::current_cpu_id());
  for (std::uint32_t t = 0; t < kTasks; ++t)
    if (core::spawn_task(entry, nullptr, 1, t % core::cpu_count()) == nullptr) {
      core::workload_fail(result, "could not spawn");
      g_done.done();
    }
  core::run_scheduler_until([](void*) { return g_done.complete(); }, nullptr);
  if (g_counter.load() != kTasks * kIncrements) core::workload_fail(result, "lost update: the counter is short");
}

}  // namespace

LOCKSTEP_SCENARIO(racy_counter, "tasks increment a counter with load + store: a deliberate race") {
  run_counter(result, racy_task);
}

LOCKSTEP_SCENARIO(fixed_counter, "the same counter incremented with fetch_add") { run_counter(result, fixed_task); }

// Two tasks race for one turn; the winner takes two locks in an order that depends on which task
// won. No run deadlocks or shows both orders, but the seeds of a sweep show both: only the
// validator's graph merged across runs (workers, shards) can report the cycle.
namespace {

lockstep::core::RawSpinlock g_first{"split.first"};
lockstep::core::RawSpinlock g_second{"split.second"};
Atomic<std::uint32_t> g_turn{0};

void split_task(void* arg) {
  namespace core = lockstep::core;
  const auto me = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(arg));
  if (g_turn.exchange(1) == 0) {
    core::RawSpinlock& outer = me == 0 ? g_first : g_second;
    core::RawSpinlock& inner = me == 0 ? g_second : g_first;
    outer.lock();
    inner.lock();
    inner.unlock();
    outer.unlock();
  }
  g_done.done();
}

}  // namespace

LOCKSTEP_SCENARIO(split_order, "the winner of a race takes two locks in its own order: one order per run") {
  namespace core = lockstep::core;
  g_turn.store(0);
  g_done.reset(2, lockstep::hal::current_cpu_id());
  for (std::uintptr_t t = 0; t < 2; ++t)
    if (core::spawn_task(split_task, reinterpret_cast<void*>(t), 1, static_cast<lockstep::hal::CpuId>(t + 1) % core::cpu_count()) ==
        nullptr) {
      core::workload_fail(result, "could not spawn");
      g_done.done();
    }
  core::run_scheduler_until([](void*) { return g_done.complete(); }, nullptr);
}
