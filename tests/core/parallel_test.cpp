// Every built-in workload on the parallel engine: real host threads, real atomics. Built with
// ThreadSanitizer in the tsan preset, where any data race in the core fails the test.

#include <gtest/gtest.h>

#include <lockstep/sim/scenario.hpp>
#include <lockstep/sim/scenario_run.hpp>
#include <string>

namespace lockstep::sim {
namespace {

struct Case {
  std::string scenario;
  hal::CpuId cpus;
};

class ParallelWorkloads : public ::testing::TestWithParam<Case> {};

TEST_P(ParallelWorkloads, PassOnHostThreads) {
  const Case& c = GetParam();
  for (int repeat = 0; repeat < 3; ++repeat) {
    RunOptions o;
    o.scenario = c.scenario;
    o.engine = Engine::kParallel;
    o.machine.cpus = c.cpus;
    o.machine.max_seconds = 60;
    o.tick_period = 20'000;  // Host nanoseconds: a 50 kHz tick, so balancing happens within a task.
    o.trace_records_per_cpu = 1024;
    ScenarioRun r = run_scenario(o);
    ASSERT_TRUE(r.passed) << outcome_line(r) << "\nreproduce: lockstep run --engine parallel --scenario " << c.scenario
                          << " --cpus " << c.cpus << "\n"
                          << r.machine.report;
  }
}

std::vector<Case> all_cases() {
  std::vector<Case> out;
  for (const auto& s : all_scenarios())
    for (hal::CpuId cpus : {1u, 2u, 4u, 8u}) out.push_back({s.name, cpus});
  return out;
}

INSTANTIATE_TEST_SUITE_P(All, ParallelWorkloads, ::testing::ValuesIn(all_cases()), [](const auto& info) {
  std::string n = info.param.scenario + "_" + std::to_string(info.param.cpus) + "cpu";
  for (auto& ch : n)
    if (ch == '-') ch = '_';
  return n;
});

}  // namespace
}  // namespace lockstep::sim
