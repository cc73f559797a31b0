// The weak-memory bugs and the data race of bench/bugs/memory_bugs.cpp against the memory models
// and the race detector, at explore's default strategy: each bug is found under the model that
// exposes it within a bound (about 10x the worst trial measured, docs/ARCHITECTURE.md "Memory
// models"), and never under the models that forbid it within a larger budget; the fixed
// versions pass everywhere; the race report names both accesses, their locks and their sites.

#include <gtest/gtest.h>

#include <lockstep/sim/isolated_run.hpp>
#include <string>

#include "bugs/trials.hpp"

namespace {

using lockstep::emu::MemoryModel;
using lockstep::sim::RunOptions;

RunOptions options(const std::string& scenario, MemoryModel model) {
  RunOptions o;
  o.scenario = scenario;
  o.machine.cpus = 2;
  o.machine.memory_model = model;
  o.machine.strategy = lockstep::emu::kDefaultSearchStrategy;
  o.machine.races = true;
  o.trace_records_per_cpu = 64;
  return o;
}

void expect_found(const std::string& scenario, MemoryModel model, std::uint64_t budget) {
  constexpr unsigned kTrials = 4;
  const auto trials = lockstep::bugs::run_trials(options(scenario, model), kTrials, budget, 2, 1);
  for (unsigned t = 0; t < kTrials; ++t)
    EXPECT_NE(trials[t].runs, 0u) << scenario << " under " << to_string(model) << ": trial " << t
                                  << " found nothing in " << budget << " runs";
}

void expect_never(const std::string& scenario, MemoryModel model, std::uint64_t runs) {
  EXPECT_EQ(lockstep::bugs::count_failures(options(scenario, model), 1, runs), 0u)
      << scenario << " failed under " << to_string(model);
}

constexpr MemoryModel kModels[] = {MemoryModel::kSc, MemoryModel::kTso, MemoryModel::kArm};

TEST(MemoryBugs, ARelaxedUnlockIsCaughtUnderArmOnly) {
  expect_found("relaxed_unlock", MemoryModel::kArm, 100);
  expect_never("relaxed_unlock", MemoryModel::kSc, 1000);
  expect_never("relaxed_unlock", MemoryModel::kTso, 1000);
  for (MemoryModel m : kModels) expect_never("release_unlock", m, 1000);
}

TEST(MemoryBugs, ARelaxedFlagIsCaughtUnderArmNotTso) {
  expect_found("mp_relaxed_flag", MemoryModel::kArm, 100);
  expect_never("mp_relaxed_flag", MemoryModel::kSc, 1000);
  expect_never("mp_relaxed_flag", MemoryModel::kTso, 1000);
  for (MemoryModel m : kModels) expect_never("mp_release_flag", m, 1000);
}

TEST(MemoryBugs, StoreBufferingIsCaughtUnderTsoAndArm) {
  expect_found("dekker", MemoryModel::kTso, 2000);
  expect_found("dekker", MemoryModel::kArm, 2000);
  expect_never("dekker", MemoryModel::kSc, 2000);
}

TEST(RaceDetector, NamesBothAccessesOfAWrongLockRaceUnderEveryModel) {
  for (MemoryModel m : kModels) {
    const auto run = lockstep::sim::run_isolated(options("wrong_lock_race", m));
    ASSERT_TRUE(run.completed) << run.reason;
    EXPECT_EQ(run.status, lockstep::emu::RunStatus::kDataRace) << to_string(m) << ": " << run.reason;
    const std::string& r = run.reason;
    EXPECT_EQ(r.rfind("data race on a tracked datum of 4 bytes:", 0), 0u) << r;
    EXPECT_NE(r.find("write by vCPU 0"), std::string::npos) << r;
    EXPECT_NE(r.find("read by vCPU 1"), std::string::npos) << r;
    EXPECT_NE(r.find("holding 'wrong_lock.a'): memory_bugs.cpp:"), std::string::npos) << r;
    EXPECT_NE(r.find("holding 'wrong_lock.b'): memory_bugs.cpp:"), std::string::npos) << r;
    EXPECT_NE(r.find("in wrong_lock_thread"), std::string::npos) << r;
    EXPECT_EQ(r.find('/'), r.find("release/acquire") + 7) << "a site with a directory: " << r;
  }
}

TEST(RaceDetector, IsOffWhenAskedAndThenTheRacePasses) {
  RunOptions o = options("wrong_lock_race", MemoryModel::kSc);
  o.machine.races = false;
  EXPECT_EQ(lockstep::bugs::count_failures(o, 1, 20), 0u);
}

TEST(RaceDetector, TheCoreWorkloadsHaveNoRaceUnderAnyModel) {
  for (const char* scenario : {"mixed", "spinlock-stress", "work-stealing", "hotplug", "ipi-storm", "shootdown"})
    for (MemoryModel m : kModels) {
      RunOptions o = options(scenario, m);
      o.machine.cpus = 4;
      EXPECT_EQ(lockstep::bugs::count_failures(o, 1, 30), 0u) << scenario << " under " << to_string(m);
    }
}

}  // namespace
