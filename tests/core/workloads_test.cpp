// Every built-in workload on the deterministic engine: 1..64 CPUs, many seeds, random and PCT.
// A failure prints the seed and the command that reproduces it.

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <lockstep/sim/scenario.hpp>
#include <lockstep/sim/scenario_run.hpp>
#include <string>

namespace lockstep::sim {
namespace {

struct Case {
  std::string scenario;
  hal::CpuId cpus;
  emu::Strategy strategy;
};

std::string repro(const Case& c, std::uint64_t seed) {
  return "lockstep run --scenario " + c.scenario + " --cpus " + std::to_string(c.cpus) + " --seed " + std::to_string(seed) +
         " --strategy " + std::string(emu::to_string(c.strategy));
}

/// Seeds per case: 200, or LOCKSTEP_SEEDS (the sanitizer builds run fewer).
std::uint64_t seeds_for() {
  if (const char* env = std::getenv("LOCKSTEP_SEEDS")) return std::strtoull(env, nullptr, 10);
  return 200;
}

class WorkloadSweep : public ::testing::TestWithParam<Case> {};

TEST_P(WorkloadSweep, PassesOverSeeds) {
  const Case& c = GetParam();
  const std::uint64_t seeds = seeds_for();
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    RunOptions o;
    o.scenario = c.scenario;
    o.machine.cpus = c.cpus;
    o.machine.seed = seed;
    o.machine.strategy = c.strategy;
    o.trace_records_per_cpu = 256;
    ScenarioRun r = run_scenario(o);
    if (std::getenv("LOCKSTEP_VERBOSE"))
      std::fprintf(stderr, "%s seed %lu: %lu steps, %lu cycles, %lu switches\n", repro(c, seed).c_str(),
                   static_cast<unsigned long>(seed), static_cast<unsigned long>(r.machine.steps),
                   static_cast<unsigned long>(r.machine.max_cycles), static_cast<unsigned long>(r.totals.context_switches));
    ASSERT_TRUE(r.passed) << outcome_line(r) << "\nreproduce: " << repro(c, seed) << "\n" << r.machine.report;
  }
}

std::vector<Case> all_cases() {
  std::vector<Case> out;
  for (const auto& s : all_scenarios())
    for (hal::CpuId cpus : {1u, 2u, 4u, 8u, 64u})
      for (auto st : {emu::Strategy::kRandom, emu::Strategy::kPct}) out.push_back({s.name, cpus, st});
  return out;
}

INSTANTIATE_TEST_SUITE_P(All, WorkloadSweep, ::testing::ValuesIn(all_cases()), [](const auto& info) {
  std::string n = info.param.scenario + "_" + std::to_string(info.param.cpus) + "cpu_" +
                  std::string(emu::to_string(info.param.strategy));
  for (auto& ch : n)
    if (ch == '-') ch = '_';
  return n;
});

}  // namespace
}  // namespace lockstep::sim
