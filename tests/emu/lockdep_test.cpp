// The deadlock and lock validator reports (label emu): each rule reported for the bug it is
// about, naming the locks, tasks and events, soon after the fact (never at the step limit); and
// a correct program with nested locks, interrupt-safe locks and cross-CPU calls reported by no
// rule over 10,000 seeds. Report formats: docs/ARCHITECTURE.md, "Deadlock and lock reports".

#include <gtest/gtest.h>

#include <lockstep/core/ipi.hpp>
#include <lockstep/core/lockdep.hpp>
#include <lockstep/core/sched.hpp>
#include <lockstep/core/spinlock.hpp>
#include <lockstep/sim/isolated_run.hpp>
#include <lockstep/sim/report_lines.hpp>
#include <lockstep/sim/scenario_run.hpp>
#include <string>

#include "bugs/harness.hpp"

namespace lockstep::bugs {
namespace {

// A lock taken by an interrupt handler (the call's IPI) and by a task with interrupts enabled.
Mutex g_unsafe{"ld.irq_unsafe"};
void take_unsafe(void*) {
  g_unsafe.lock();
  g_unsafe.unlock();
}
void irq_unsafe_thread(std::uint32_t i) {
  if (i == 0) {
    (void)core::call_on_cpu(1, take_unsafe, nullptr, /*wait=*/false);
  } else {
    g_unsafe.lock();  // Interrupts on: the call's IPI may arrive right here.
    g_unsafe.unlock();
  }
}

// A task that yields while it holds a spinlock.
Mutex g_held_across_yield{"ld.yield_lock"};
void block_thread(std::uint32_t i) {
  if (i != 0) return;
  g_held_across_yield.lock();
  core::yield();
  g_held_across_yield.unlock();
}

// A holder that never lets go (it spins on a flag nobody sets): no cycle of waits, a lockup.
Mutex g_kept{"ld.kept"};
hal::Atomic<int> g_never{0};
void kept_thread(std::uint32_t i) {
  if (i == 0) {
    g_kept.lock();
    while (g_never.load() == 0) hal::relax();
    g_kept.unlock();
  } else {
    for (const hal::Cycles start = hal::cycle_counter(); hal::cycle_counter() - start < 1'000;) hal::relax();
    g_kept.lock();
    g_kept.unlock();
  }
}

// The correct program: a consistent nesting order, an interrupt-safe lock taken with interrupts
// off in tasks and in the call handler, calls waited for with no lock held, an event.
Mutex g_outer{"ld.outer"};
Mutex g_inner{"ld.inner"};
core::Spinlock<std::uint64_t> g_irq_safe{"ld.irq_safe", 0};
hal::Atomic<std::uint64_t> g_nested{0};
core::Event g_ready{"ld.ready"};
void count_in_handler(void*) { ++*g_irq_safe.lock_irq(); }
void clean_thread(std::uint32_t i) {
  if (i == 0) g_ready.signal();
  for (int k = 0; k < 2; ++k) {
    {
      core::SpinlockGuard outer(g_outer);
      core::SpinlockGuard inner(g_inner);
      g_nested.fetch_add(1);
    }
    ++*g_irq_safe.lock_irq();
    if (k == 0) (void)core::call_on_cpu((i + 1) % core::cpu_count(), count_in_handler, nullptr, /*wait=*/true);
  }
  if (i != 0) g_ready.wait();
}
constexpr std::uint32_t kCleanThreads = 3;
void clean_check() {
  if (g_nested.load() != kCleanThreads * 2) bug("nested count is wrong");
  if (*g_irq_safe.lock_irq() != kCleanThreads * 3) bug("irq-safe count is wrong");
}

}  // namespace
}  // namespace lockstep::bugs

LOCKSTEP_SCENARIO(ld_irq_unsafe, "lockdep test: a lock taken in an IPI handler and with interrupts on") {
  lockstep::bugs::run_threads(result, 2, lockstep::bugs::irq_unsafe_thread);
}
LOCKSTEP_SCENARIO(ld_block_under_lock, "lockdep test: yield() with a spinlock held") {
  lockstep::bugs::run_threads(result, 2, lockstep::bugs::block_thread);
}
LOCKSTEP_SCENARIO(ld_kept_lock, "lockdep test: a lock whose holder never lets go") {
  lockstep::bugs::run_threads(result, 2, lockstep::bugs::kept_thread);
}
LOCKSTEP_SCENARIO(ld_clean, "lockdep test: correct nesting, IRQ-safe locks and calls") {
  lockstep::bugs::g_nested.store(0);
  *lockstep::bugs::g_irq_safe.lock_irq() = 0;
  lockstep::bugs::g_ready.reset();
  lockstep::bugs::run_threads(result, lockstep::bugs::kCleanThreads, lockstep::bugs::clean_thread, 0,
                              lockstep::bugs::clean_check);
}

namespace {

using lockstep::sim::IsolatedRun;
using lockstep::sim::RunOptions;

// Far below the step limit (50 M): a report that waited for the limit fails here.
constexpr std::uint64_t kReportWithin = 200'000;

RunOptions options(const std::string& scenario, std::uint32_t cpus, std::uint64_t seed) {
  RunOptions o;
  o.scenario = scenario;
  o.machine.cpus = cpus;
  o.machine.seed = seed;
  o.trace_records_per_cpu = 64;
  return o;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// The failing runs among `seeds` seeds, each in its own process (a fresh lock graph: every
/// report must come from its own run).
std::vector<IsolatedRun> failures(const std::string& scenario, std::uint32_t cpus, std::uint64_t seeds) {
  std::vector<IsolatedRun> out;
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    lockstep::core::lockdep_forget();
    IsolatedRun r = lockstep::sim::run_isolated(options(scenario, cpus, seed));
    EXPECT_TRUE(r.completed) << scenario << " seed " << seed << ": " << r.reason;
    if (!r.passed) out.push_back(std::move(r));
  }
  return out;
}

TEST(Lockdep, AbbaIsACycleOfWaitsNamingTasksAndHeldLocksOrAnOrderCycle) {
  const auto found = failures("abba_irq", 3, 60);
  ASSERT_FALSE(found.empty());
  bool saw_deadlock = false;
  for (const IsolatedRun& r : found) {
    EXPECT_LT(r.steps, kReportWithin) << r.reason;
    if (has(r.reason, "deadlock: a cycle of waits")) {
      saw_deadlock = true;
      EXPECT_TRUE(has(r.reason, "(task ")) << r.reason;
      EXPECT_TRUE(has(r.reason, "holding 'abba.runqueue' (since cycle ")) << r.reason;
      EXPECT_TRUE(has(r.reason, " at kernel_bugs.cpp:")) << "the holder's acquisition site: " << r.reason;
      EXPECT_TRUE(has(r.reason, "holding 'abba.timer'")) << r.reason;
      EXPECT_TRUE(has(r.reason, "waits for lock 'abba.timer' held by cpu")) << r.reason;
      EXPECT_TRUE(has(r.reason, "waits for lock 'abba.runqueue' held by cpu")) << r.reason;
      // What the viewer draws from it: one wait per CPU of the cycle, to the other, with when
      // the other took the lock.
      const auto lines = lockstep::sim::report_lines(r.reason, 0);
      ASSERT_GE(lines.size(), 2u) << r.reason;
      for (std::size_t i = 0; i < 2; ++i) {
        ASSERT_TRUE(lines[i].cpu && lines[i].time && lines[i].waits_on_cpu && lines[i].waits_on_time) << lines[i].text;
        EXPECT_NE(*lines[i].cpu, *lines[i].waits_on_cpu);
      }
    } else {
      EXPECT_TRUE(has(r.reason, "lockdep: possible circular locking dependency")) << r.reason;
      EXPECT_TRUE(has(r.reason, "'abba.runqueue' then 'abba.timer' by cpu")) << r.reason;
      EXPECT_TRUE(has(r.reason, " (kernel_bugs.cpp:")) << "each edge's source location: " << r.reason;
      EXPECT_TRUE(has(r.reason, "'abba.timer' then 'abba.runqueue' by cpu")) << r.reason;
    }
  }
  EXPECT_TRUE(saw_deadlock) << "60 seeds and not one deadlock";
}

TEST(ReportLines, ValidatorSitesArePlacedOnlyInTheirOwnRun) {
  const std::string reason =
      "lockdep: possible circular locking dependency: 'a' -> 'b' -> 'a'; 'a' then 'b' by cpu 1 at cycle 300 of run 7; "
      "'b' then 'a' by cpu 2 at cycle 400 of run 9 (seen in different runs: no single run shows it)";
  const auto lines = lockstep::sim::report_lines(reason, 7);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_FALSE(lines[0].cpu);
  EXPECT_EQ(lines[1].cpu, 1u);
  EXPECT_EQ(lines[1].time, 300u);
  EXPECT_FALSE(lines[2].cpu) << "run 9 is another run: its cycle is not on this trace's clock";
  const auto blocked = lockstep::sim::report_lines(
      "machine stopped: deadlock; blocked: task 3 on event 'e' since cycle 1234 (cpu 2), never signalled", 1);
  ASSERT_EQ(blocked.size(), 2u);
  EXPECT_EQ(blocked[1].cpu, 2u);
  EXPECT_EQ(blocked[1].time, 1234u);
}

TEST(Lockdep, OrderCycleIsReportedWhenNoRunDeadlocks) {
  const auto found = failures("deadlock01", 2, 20);
  ASSERT_FALSE(found.empty());
  for (const IsolatedRun& r : found) {
    EXPECT_LT(r.steps, kReportWithin) << r.reason;
    const bool cycle = has(r.reason, "deadlock: a cycle of waits");
    EXPECT_TRUE(cycle || has(r.reason, "lockdep: possible circular locking dependency: 'deadlock01.")) << r.reason;
  }
}

TEST(Lockdep, CallUnderALockTakenWithInterruptsOff) {
  const auto found = failures("call_under_lock", 4, 20);
  ASSERT_FALSE(found.empty());
  for (const IsolatedRun& r : found) {
    EXPECT_LT(r.steps, kReportWithin) << r.reason;
    const bool rule = has(r.reason, "lockdep: cross-CPU call waited for while holding 'call.config', which is also "
                                    "taken with interrupts off");
    const bool cycle = has(r.reason, "waits for its cross-CPU call on cpu") && has(r.reason, "waits for lock 'call.config'");
    EXPECT_TRUE(rule || cycle) << r.reason;
  }
}

TEST(Lockdep, LostWakeupNamesTheTaskTheEventAndItsSignals) {
  const auto found = failures("lost_wakeup", 4, 60);
  ASSERT_FALSE(found.empty());
  for (const IsolatedRun& r : found) {
    EXPECT_LT(r.steps, kReportWithin) << r.reason;
    EXPECT_TRUE(has(r.reason, "blocked: task ")) << r.reason;
    EXPECT_TRUE(has(r.reason, " on event 'lost_wakeup.wakeup' since cycle ")) << r.reason;
    EXPECT_TRUE(has(r.reason, "never signalled") || has(r.reason, "last signalled at cycle")) << r.reason;
  }
}

TEST(Lockdep, InterruptUnsafeLockIsInconsistentUsage) {
  const auto found = failures("ld_irq_unsafe", 2, 10);
  ASSERT_EQ(found.size(), 10u) << "both usages happen in every run";
  for (const IsolatedRun& r : found) {
    EXPECT_LT(r.steps, kReportWithin) << r.reason;
    const bool usage = has(r.reason, "lockdep: inconsistent lock usage: 'ld.irq_unsafe' is taken in interrupt context");
    const bool self = has(r.reason, "'ld.irq_unsafe'");  // Or the interrupt came while the task held it.
    EXPECT_TRUE(usage || self) << r.reason;
  }
}

TEST(Lockdep, BlockingWithASpinlockHeldIsNamed) {
  const auto found = failures("ld_block_under_lock", 2, 3);
  ASSERT_EQ(found.size(), 3u);
  for (const IsolatedRun& r : found) EXPECT_TRUE(has(r.reason, "yield() would block with spinlock 'ld.yield_lock' held")) << r.reason;
}

TEST(Watchdog, AHolderThatNeverLetsGoIsALockupNamingLockHolderAndWaiter) {
  const auto found = failures("ld_kept_lock", 2, 3);
  ASSERT_EQ(found.size(), 3u);
  for (const IsolatedRun& r : found) {
    EXPECT_TRUE(has(r.reason, "spinlock lockup suspected: cpu 1 (task ")) << r.reason;
    EXPECT_TRUE(has(r.reason, "spun on lock 'ld.kept' held by cpu 0 for ")) << r.reason;
    EXPECT_LT(r.steps, RunOptions{}.machine.max_steps / 2) << "reported by the watchdog, not the step limit";
  }
}

TEST(Lockdep, OffMeansNoValidatorReport) {
  RunOptions o = options("ld_irq_unsafe", 2, 1);
  o.lockdep = false;
  lockstep::core::lockdep_forget();
  const IsolatedRun r = lockstep::sim::run_isolated(o);
  EXPECT_FALSE(has(r.reason, "lockdep:")) << r.reason;
}

// No false positives: one sweep's graph over 10,000 seeds (as explore keeps it in a worker).
TEST(Lockdep, CorrectProgramHasNoReportOver10000Seeds) {
  lockstep::core::lockdep_forget();
  RunOptions o = options("ld_clean", 3, 1);
  for (std::uint64_t seed = 1; seed <= 10'000; ++seed) {
    o.machine.seed = seed;
    const lockstep::sim::ScenarioRun run = lockstep::sim::run_scenario(o);
    ASSERT_TRUE(run.passed) << "seed " << seed << ": " << run.reason;
  }
}

}  // namespace
