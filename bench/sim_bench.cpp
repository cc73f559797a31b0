// Whole runs of lock-heavy scenarios on the deterministic engine, with and without the lock
// validator (core/lockdep.hpp): what `--lockdep on` (the default) costs a sweep. Each iteration
// is one run of a fixed seed, in this process, the way explore's workers run seeds.

#include <lockstep/core/lockdep.hpp>
#include <lockstep/sim/scenario_run.hpp>
#include <string>

#include "ratio.hpp"

namespace lockstep::bench {
namespace {

void run_scenario_bench(benchmark::State& state, const char* scenario) {
  sim::RunOptions o;
  o.scenario = scenario;
  o.machine.cpus = 4;
  o.trace_records_per_cpu = 64;  // As explore runs.
  o.lockdep = state.range(0) != 0;
  core::lockdep_forget();
  std::uint64_t seed = 1;
  for (auto _ : state) {
    o.machine.seed = seed++;
    const sim::ScenarioRun run = sim::run_scenario(o);
    if (!run.passed) {
      state.SkipWithError(("the run failed: " + run.reason).c_str());
      break;
    }
  }
}

void BM_SpinlockStressRun(benchmark::State& state) { run_scenario_bench(state, "spinlock-stress"); }
void BM_MixedRun(benchmark::State& state) { run_scenario_bench(state, "mixed"); }
BENCHMARK(BM_SpinlockStressRun)->ArgName("lockdep")->Arg(1)->Arg(0);
BENCHMARK(BM_MixedRun)->ArgName("lockdep")->Arg(1)->Arg(0);

}  // namespace

LOCKSTEP_RATIO({.name = "lockdep_on_vs_off_spinlock_stress",
                .subject = "BM_SpinlockStressRun/lockdep:1",
                .baseline = "BM_SpinlockStressRun/lockdep:0",
                .goal = Goal::kAtMost,
                .target = 1.3,
                .note = "a whole 4-CPU run with the lock validator against one without"});
LOCKSTEP_RATIO({.name = "lockdep_on_vs_off_mixed",
                .subject = "BM_MixedRun/lockdep:1",
                .baseline = "BM_MixedRun/lockdep:0",
                .goal = Goal::kAtMost,
                .target = 1.3,
                .note = "the demo scenario, with and without the validator"});

}  // namespace lockstep::bench
