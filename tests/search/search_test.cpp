// Regression tests of the schedule search (label search): the default strategy finds every
// planted bug of bench/bugs within a bound the benchmark (bench_search) showed holds with a
// wide margin, PCT finds bugs of depth 1 and 2 at least at the rate its analysis promises,
// and a shrunk schedule replays its failure exactly. Fixed seed ranges: a change that weakens
// the search fails here, not in a user's sweep.

#include <gtest/gtest.h>

#include <cmath>
#include <lockstep/sim/isolated_run.hpp>
#include <lockstep/sim/pct_horizon.hpp>
#include <lockstep/sim/shrink.hpp>
#include <string>

#include "bugs/harness.hpp"
#include "bugs/trials.hpp"

namespace lockstep::bugs {
namespace {

// Two test programs of known depth (Burckhardt et al.: the fewest ordering constraints that
// expose the bug). Depth 1: thread 1 must run before thread 0. Depth 2: thread 0 must also be
// preempted between its two stores.
hal::Atomic<int> g_x{0};

void order_thread(std::uint32_t i) {
  if (i == 0) {
    g_x.store(1);
  } else if (g_x.load() == 0) {
    bug("depth 1: the reader ran first");
  }
}

void atomicity_thread(std::uint32_t i) {
  if (i == 0) {
    g_x.store(1);
    g_x.store(2);
  } else if (g_x.load() == 1) {
    bug("depth 2: the reader saw the first of two stores");
  }
}

}  // namespace
}  // namespace lockstep::bugs

LOCKSTEP_SCENARIO(depth1_order, "search test: depth-1 ordering bug") {
  lockstep::bugs::g_x.store(0);
  lockstep::bugs::run_threads(result, 2, lockstep::bugs::order_thread);
}
LOCKSTEP_SCENARIO(depth2_atomicity, "search test: depth-2 atomicity bug") {
  lockstep::bugs::g_x.store(0);
  lockstep::bugs::run_threads(result, 2, lockstep::bugs::atomicity_thread);
}

namespace {

using lockstep::emu::Strategy;
using lockstep::sim::RunOptions;

RunOptions options(const std::string& scenario, std::uint32_t cpus) {
  RunOptions o;
  o.scenario = scenario;
  o.machine.cpus = cpus;
  o.trace_records_per_cpu = 64;
  return o;
}

struct Bound {
  const char* program;
  std::uint32_t cpus;
  std::uint64_t runs;  ///< Every trial must find the bug within this many runs.
};

class DefaultStrategy : public ::testing::TestWithParam<Bound> {};

// Bounds: about 10x the worst of 20 trials in the benchmark at the default strategy (POS), so
// noise does not fail them but losing the search's power does.
TEST_P(DefaultStrategy, FindsThePlantedBugInEveryTrial) {
  const Bound b = GetParam();
  RunOptions o = options(b.program, b.cpus);
  o.machine.strategy = lockstep::emu::kDefaultSearchStrategy;
  constexpr unsigned kTrials = 4;
  const auto trials = lockstep::bugs::run_trials(o, kTrials, b.runs, 2, 1);
  for (unsigned t = 0; t < kTrials; ++t)
    EXPECT_NE(trials[t].runs, 0u) << b.program << ": trial " << t << " (seeds from " << 1 + t * b.runs
                                  << ") found nothing in " << b.runs << " runs";
}

INSTANTIATE_TEST_SUITE_P(PlantedBugs, DefaultStrategy,
                         ::testing::Values(Bound{"reorder_3", 3, 200}, Bound{"reorder_10", 10, 300},
                                           Bound{"twostage", 2, 400}, Bound{"wronglock_3", 4, 300},
                                           Bound{"bluetooth_driver", 2, 600}, Bound{"deadlock01", 2, 200},
                                           Bound{"carter01", 4, 400}, Bound{"stack", 2, 200},
                                           Bound{"token_ring", 4, 300}, Bound{"work_steal_queue", 3, 2000},
                                           Bound{"tas_lock", 4, 200}, Bound{"lost_wakeup", 2, 400},
                                           Bound{"abba_irq", 3, 400}, Bound{"call_under_lock", 2, 400},
                                           Bound{"percpu_migration", 4, 2000}),
                         [](const auto& info) { return std::string(info.param.program); });

// PCT's guarantee: a bug of depth d is found with probability at least 1 / (n * k^(d-1)) per
// run, n CPUs, k the horizon. With N runs the expected count is at least N * p; the assertion
// allows a generous statistical slack (half of it) and would still catch a PCT that lost the
// bound (the first version found none of these in 10,000 runs).
void expect_pct_rate(const std::string& scenario, std::uint32_t depth, std::uint64_t runs) {
  RunOptions o = options(scenario, 2);
  o.machine.strategy = Strategy::kPct;
  o.machine.pct_depth = depth;
  o.machine.pct_horizon = lockstep::sim::measure_pct_horizon(o);
  const double k = static_cast<double>(o.machine.pct_horizon);
  const double bound = 1.0 / (2.0 * std::pow(k, depth - 1.0));
  const std::uint64_t found = lockstep::bugs::count_failures(o, 1, runs);
  const double rate = static_cast<double>(found) / static_cast<double>(runs);
  ::testing::Test::RecordProperty("rate", std::to_string(rate));
  EXPECT_GE(rate, bound / 2) << scenario << " at depth " << depth << ": " << found << " of " << runs << " runs (k = " << k
                             << "), PCT promises at least " << bound;
}

TEST(Pct, FindsADepthOneBugAtItsPromisedRate) { expect_pct_rate("depth1_order", 1, 400); }
TEST(Pct, FindsADepthTwoBugAtItsPromisedRate) { expect_pct_rate("depth2_atomicity", 2, 2000); }

// A PCT run without change points keeps its initial priorities: the depth-2 bug needs a
// preemption, so depth 1 must never find it (a PCT that preempts on its own would).
TEST(Pct, DepthOneNeverPreempts) {
  RunOptions o = options("depth2_atomicity", 2);
  o.machine.strategy = Strategy::kPct;
  o.machine.pct_depth = 1;
  o.machine.pct_horizon = 100;
  EXPECT_EQ(lockstep::bugs::count_failures(o, 1, 300), 0u);
}

TEST(Shrink, TheShrunkScheduleReplaysTheFailureExactly) {
  RunOptions o = options("deadlock01", 2);
  const auto first = lockstep::bugs::run_trials(o, 1, 200, 1, 1);
  ASSERT_NE(first[0].runs, 0u);
  o.machine.seed = first[0].runs;  // Seeds from 1: the failing one.
  const auto shrunk = lockstep::sim::shrink_failure(o);
  ASSERT_TRUE(shrunk.reproduced);
  EXPECT_LE(shrunk.preemptions_after, shrunk.preemptions_before);
  EXPECT_LE(shrunk.decisions_after, shrunk.decisions_before);
  EXPECT_EQ(shrunk.shrunk.machine.strategy, Strategy::kSchedule);
  const auto once = lockstep::sim::run_isolated(shrunk.shrunk);
  const auto twice = lockstep::sim::run_isolated(shrunk.shrunk);
  ASSERT_TRUE(once.completed && twice.completed);
  EXPECT_FALSE(once.passed);
  EXPECT_EQ(lockstep::sim::failure_class(once.reason), lockstep::sim::failure_class(shrunk.reason));
  EXPECT_EQ(once.event_hash, twice.event_hash);
  EXPECT_NE(once.reason.find("deadlock"), std::string::npos) << once.reason;
}

}  // namespace
