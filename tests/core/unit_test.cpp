// Unit tests of the core's components: data structures on a host thread (HostCpuScope), and
// behaviours in small scenarios on the deterministic engine.

#include <gtest/gtest.h>

#include <algorithm>
#include <lockstep/core/cpu.hpp>
#include <lockstep/core/ipi.hpp>
#include <lockstep/core/print.hpp>
#include <lockstep/core/profiler.hpp>
#include <lockstep/core/run_queue.hpp>
#include <lockstep/core/sched.hpp>
#include <lockstep/core/spinlock.hpp>
#include <lockstep/emu/host_cpu.hpp>
#include <lockstep/sim/scenario.hpp>
#include <lockstep/sim/scenario_run.hpp>
#include <string>
#include <vector>

namespace lockstep::core {
namespace {

// --- RunQueue -----------------------------------------------------------------------------

TEST(RunQueue, HighestPriorityFirstFifoWithin) {
  emu::HostCpuScope cpu(0);
  Task tasks[6];
  RunQueue q;
  const std::uint8_t prio[] = {1, 3, 1, 0, 3, 2};
  for (int i = 0; i < 6; ++i) {
    tasks[i].id = static_cast<TaskId>(i);
    tasks[i].priority = prio[i];
    ASSERT_EQ(q.push(tasks[i], 0), EnqueueResult::kOk);
  }
  EXPECT_EQ(q.length(), 6u);
  const TaskId expected[] = {1, 4, 5, 0, 2, 3};
  for (TaskId e : expected) {
    Task* t = q.pop();
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->id, e);
    EXPECT_EQ(t->queued_on, hal::kInvalidCpu);
  }
  EXPECT_EQ(q.pop(), nullptr);
}

TEST(RunQueue, FullQueueRefusesAndDoubleQueueIsCaught) {
  emu::HostCpuScope cpu(0);
  Task tasks[kRunQueueCapacity + 1];
  RunQueue q;
  for (std::uint32_t i = 0; i < kRunQueueCapacity; ++i) ASSERT_EQ(q.push(tasks[i], 0), EnqueueResult::kOk);
  EXPECT_EQ(q.push(tasks[kRunQueueCapacity], 0), EnqueueResult::kFull);
  EXPECT_EQ(tasks[kRunQueueCapacity].queued_on, hal::kInvalidCpu);
  RunQueue other;
  EXPECT_EQ(other.push(tasks[0], 1), EnqueueResult::kAlreadyQueued);
}

TEST(RunQueue, TakeStealsFromTheTail) {
  emu::HostCpuScope cpu(0);
  Task tasks[5];
  RunQueue q;
  for (int i = 0; i < 5; ++i) {
    tasks[i].id = static_cast<TaskId>(i);
    (void)q.push(tasks[i], 0);
  }
  Task* out[5];
  ASSERT_EQ(q.take(out, 2), 2u);
  EXPECT_EQ(out[0]->id, 4u);
  EXPECT_EQ(out[1]->id, 3u);
  EXPECT_EQ(q.length(), 3u);
  EXPECT_EQ(q.pop()->id, 0u);
}

// --- choose_victim (pure) -------------------------------------------------------------------

TEST(ChooseVictim, BusiestEligibleLowestIdHalfTheDifference) {
  const std::uint32_t loads[] = {1, 6, 9, 9, 0};
  const bool eligible[] = {true, true, true, true, true};
  StealPlan p = choose_victim(loads, eligible, 4);
  EXPECT_EQ(p.victim, 2u);
  EXPECT_EQ(p.count, 4u);
}

TEST(ChooseVictim, SkipsIneligibleAndSmallDifferences) {
  const std::uint32_t loads[] = {5, 2, 3, 0};
  const bool eligible[] = {false, true, true, true};
  EXPECT_EQ(choose_victim(loads, eligible, 3).victim, 2u);
  EXPECT_EQ(choose_victim(loads, eligible, 3).count, 1u);
  EXPECT_EQ(choose_victim(loads, eligible, 1).victim, hal::kInvalidCpu);  // 3 vs 2: not worth it.
  const std::uint32_t one[] = {1, 0};
  const bool both[] = {true, true};
  EXPECT_EQ(choose_victim(one, both, 1).victim, hal::kInvalidCpu);  // A single task stays put.
  EXPECT_EQ(choose_victim(one, both, 7).victim, hal::kInvalidCpu);  // Bad self: no plan.
}

// --- balance_candidates (pure): what one balance reads ------------------------------------------

std::vector<hal::CpuId> candidates(hal::CpuId self, hal::CpuId n, hal::CpuId hint, hal::CpuId cursor) {
  hal::CpuId out[kBalanceMaxCandidates];
  const std::uint32_t count = balance_candidates(self, n, hint, cursor, out);
  return {out, out + count};
}

TEST(BalanceCandidates, OneGroupIsTheWholeMachineInIdOrder) {
  EXPECT_EQ(candidates(2, 4, hal::kInvalidCpu, 0), (std::vector<hal::CpuId>{0, 1, 2, 3}));
  EXPECT_EQ(candidates(7, 8, 3, 5), (std::vector<hal::CpuId>{0, 1, 2, 3, 4, 5, 6, 7}));  // Hint inside: in place.
}

TEST(BalanceCandidates, HintFirstThenTheGroupThenAWindowElsewhere) {
  const auto c = candidates(9, 1024, 700, 696);
  ASSERT_EQ(c.size(), 1u + kBalanceGroupCpus + kBalanceSampleCpus - 1);  // 700 is in the window too.
  EXPECT_EQ(c[0], 700u);
  EXPECT_EQ(std::vector<hal::CpuId>(c.begin() + 1, c.begin() + 9),
            (std::vector<hal::CpuId>{8, 9, 10, 11, 12, 13, 14, 15}));
  EXPECT_EQ(std::vector<hal::CpuId>(c.begin() + 9, c.end()),
            (std::vector<hal::CpuId>{696, 697, 698, 699, 701, 702, 703}));
}

TEST(BalanceCandidates, BoundedAndDistinctAtAnySize) {
  for (hal::CpuId n : {2u, 9u, 17u, 64u, 1024u})
    for (hal::CpuId self = 0; self < n; self += 7)
      for (hal::CpuId cursor = 0; cursor < n; cursor += 5) {
        const auto c = candidates(self, n, (self * 31 + 3) % n, cursor);
        EXPECT_LE(c.size(), kBalanceMaxCandidates);
        EXPECT_EQ(std::count(c.begin(), c.end(), self), 1) << "self is read once, in its group";
        std::vector<hal::CpuId> sorted = c;
        std::sort(sorted.begin(), sorted.end());
        EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end()) << "n " << n << " self " << self;
        for (hal::CpuId x : c) EXPECT_LT(x, n);
      }
  // The window wraps around the end of the machine.
  const auto wrap = candidates(9, 20, hal::kInvalidCpu, 18);
  EXPECT_EQ(std::vector<hal::CpuId>(wrap.begin() + 8, wrap.end()), (std::vector<hal::CpuId>{18, 19, 0, 1, 2, 3, 4, 5}));
  // ... and leaves out the CPU's own group.
  const auto own = candidates(1, 20, hal::kInvalidCpu, 18);
  EXPECT_EQ(std::vector<hal::CpuId>(own.begin() + 8, own.end()), (std::vector<hal::CpuId>{18, 19}));
}

// --- text formatting --------------------------------------------------------------------------

TEST(TextBuffer, FormatsPlaceholders) {
  TextBuffer b;
  b.format("cpu {} hw {:x} {} {} {}", 3u, 0x1fu, -42, true, "ok");
  EXPECT_EQ(std::string(b.data(), b.size()), "cpu 3 hw 1f -42 true ok");
}

TEST(TextBuffer, TruncatesInsteadOfOverflowing) {
  TextBuffer b;
  for (std::size_t i = 0; i < TextBuffer::kCapacity + 100; ++i) b.put('x');
  EXPECT_EQ(b.size(), TextBuffer::kCapacity);
}

// --- behaviours on the deterministic engine -------------------------------------------------

sim::ScenarioRun run(const std::string& scenario, hal::CpuId cpus, std::uint64_t seed = 1, const char* faults = "") {
  sim::RunOptions o;
  o.scenario = scenario;
  o.machine.cpus = cpus;
  o.machine.seed = seed;
  std::string err;
  auto f = emu::parse_faults(faults, err);
  EXPECT_TRUE(f) << err;
  if (f) o.machine.faults = *f;
  return sim::run_scenario(o);
}

RawSpinlock g_twice{"unit.twice"};

LOCKSTEP_SCENARIO(unit_recursive_lock, "takes the same lock twice on one CPU") {
  SpinlockGuard a(g_twice);
  SpinlockGuard b(g_twice);
}

TEST(Spinlock, RecursiveAcquireIsReportedNamingTheLock) {
  sim::ScenarioRun r = run("unit_recursive_lock", 2);
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.reason.find("recursive acquire of lock 'unit.twice'"), std::string::npos) << r.reason;
}

hal::Atomic<std::uint32_t> g_release{0};
hal::Atomic<std::uint32_t> g_in_handler{0};

LOCKSTEP_SCENARIO(unit_coalescing, "two reschedule IPIs to a CPU that has interrupts off") {
  const std::uint64_t coalesced_before = this_cpu().counters.ipi_coalesced[0];
  const std::uint64_t sent_before = this_cpu().counters.ipi_sent[0];
  g_release.store(0);
  g_in_handler.store(0);
  // CPU 1 sits in a Call handler (interrupts off) until released.
  call_on_cpu(1, [](void*) {
    g_in_handler.store(1);
    while (g_release.load() == 0) hal::relax();
  }, nullptr, false);
  spin_until([] { return g_in_handler.load() == 1; });
  if (!send_ipi(1, IpiKind::kReschedule) || !send_ipi(1, IpiKind::kReschedule))
    workload_fail(result, "send_ipi to an online CPU returned false");
  g_release.store(1);
  if (this_cpu().counters.ipi_sent[0] - sent_before != 1) workload_fail(result, "expected exactly one IPI sent");
  if (this_cpu().counters.ipi_coalesced[0] - coalesced_before != 1) workload_fail(result, "expected one coalesced");
  if (send_ipi(0, IpiKind::kReschedule)) workload_fail(result, "an IPI to self was accepted");
  if (send_ipi(5000, IpiKind::kReschedule)) workload_fail(result, "an IPI to an unknown CPU was accepted");
}

TEST(Ipi, SecondRequestWhilePendingIsCoalesced) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    sim::ScenarioRun r = run("unit_coalescing", 2, seed);
    EXPECT_TRUE(r.passed) << "seed " << seed << ": " << r.reason;
  }
}

TEST(BringUp, CpuThatNeverArrivesIsReportedAndSkipped) {
  sim::ScenarioRun r = run("boot", 4, 1, "fail-start=2");
  EXPECT_EQ(r.machine.status, emu::RunStatus::kFinished) << r.machine.report;
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.reason.find("cpu 2"), std::string::npos) << r.reason;
  EXPECT_NE(r.machine.console.find("cpu 2 (hw 2): did not check in"), std::string::npos) << r.machine.console;
  // The rest of the machine works: the other workloads still pass without CPU 2.
  EXPECT_TRUE(run("spinlock-stress", 4, 1, "fail-start=2").passed);
}

TEST(Tracer, OverflowIsCountedNotSilent) {
  sim::RunOptions o;
  o.scenario = "mixed";
  o.machine.cpus = 4;
  o.trace_records_per_cpu = 16;
  sim::ScenarioRun r = sim::run_scenario(o);
  ASSERT_TRUE(r.passed) << r.reason;
  EXPECT_GT(r.totals.trace_lost, 0u);
  EXPECT_EQ(r.trace[0].size(), 16u);
  std::uint64_t lost = 0;
  for (auto l : r.trace_lost) lost += l;
  EXPECT_EQ(lost, r.totals.trace_lost);
}

TEST(Profiler, LabelsCountersAndLockStatsReachTheReport) {
  sim::RunOptions o;
  o.scenario = "mixed";
  o.machine.cpus = 4;
  o.print_core_report = true;
  sim::ScenarioRun r = sim::run_scenario(o);
  ASSERT_TRUE(r.passed) << r.reason;
  EXPECT_NE(r.machine.console.find("mixed.work calls "), std::string::npos) << r.machine.console;
  EXPECT_NE(r.machine.console.find("counter mixed.items = 96"), std::string::npos) << r.machine.console;
  EXPECT_NE(r.machine.console.find("mixed.ledger acquisitions"), std::string::npos);
  EXPECT_GT(r.totals.lock_acquisitions, 0u);
}

TEST(Hotplug, UnplugFaultTakesACpuOfflineAndTasksStillFinish) {
  sim::ScenarioRun r = run("spinlock-stress", 4, 3, "unplug=2@20000");
  EXPECT_TRUE(r.passed) << r.reason;
}

}  // namespace
}  // namespace lockstep::core
