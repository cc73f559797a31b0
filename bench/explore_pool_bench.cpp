// Exploration throughput through explore's worker pool (sim/src/cli/explore_pool.cpp, the
// function `lockstep explore` calls): the wall time of a whole sweep of the same seeds with
// --jobs 1 and --jobs 2, and the same seeds run in a loop in this process. Every figure here is
// wall time against wall time (the pool's work is in other processes, invisible to this
// thread's CPU clock). Fork, the workers' first runs in fresh address spaces, the pipes and the
// parent's polling are all inside the sweep.

#include <fcntl.h>
#include <unistd.h>

#include <exception>
#include <vector>

#include "explore.hpp"
#include "explore_configs.hpp"
#include "ratio.hpp"

namespace lockstep::bench {
namespace {

struct SweepConfig {
  ExploreConfig config;
  std::uint64_t runs;  ///< Seeds 1..runs: about half a second of work for one core.
};

/// explore() reports progress on stderr; one line per sweep would bury Google Benchmark's
/// output, so stderr is pointed at /dev/null for the duration of a sweep.
class QuietStderr {
 public:
  QuietStderr() : saved_(::dup(STDERR_FILENO)) {
    const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null >= 0) {
      ::dup2(null, STDERR_FILENO);
      ::close(null);
    }
  }
  ~QuietStderr() {
    if (saved_ < 0) return;
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
  }
  QuietStderr(const QuietStderr&) = delete;
  QuietStderr& operator=(const QuietStderr&) = delete;

 private:
  int saved_;
};

/// Counters shared by the sweeps: points per wall second per job (`per_core`), runs per second.
void sweep_counters(benchmark::State& state, std::uint64_t points, std::uint64_t runs, unsigned jobs) {
  const double n = static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(points * state.iterations()));
  state.counters["runs_per_s"] = benchmark::Counter(n * static_cast<double>(runs), benchmark::Counter::kIsRate);
  state.counters["points_per_s_per_core"] =
      benchmark::Counter(n * static_cast<double>(points) / jobs, benchmark::Counter::kIsRate);
}

void pool_sweep(benchmark::State& state, SweepConfig s, unsigned jobs) {
  const std::uint64_t points = points_of_seeds(s.config, 1, s.runs);  // Untimed; deterministic.
  if (points == 0) {
    state.SkipWithError("a seed of the sweep failed in this process");
    return;
  }
  sim::cli::SeedPlan plan;
  plan.seed_start = 1;
  plan.runs = s.runs;
  const sim::RunOptions base = explore_options(s.config, 1);
  for (auto _ : state) {
    sim::cli::ExploreOutcome out;
    try {
      QuietStderr quiet;
      out = sim::cli::explore(base, plan, jobs, /*keep_going=*/false);
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      return;
    }
    if (out.completed != s.runs || !out.failures.empty()) {
      state.SkipWithError(out.failures.empty() ? "the sweep stopped short" : out.failures.front().reason.c_str());
      return;
    }
  }
  sweep_counters(state, points, s.runs, jobs);
}

/// The same seeds, one after another on this thread: the pool's work without the pool.
void loop_sweep(benchmark::State& state, SweepConfig s) {
  const std::uint64_t points = points_of_seeds(s.config, 1, s.runs);
  if (points == 0) {
    state.SkipWithError("a seed of the sweep failed in this process");
    return;
  }
  for (auto _ : state)
    for (std::uint64_t seed = 1; seed <= s.runs; ++seed)
      if (!sim::run_scenario(explore_options(s.config, seed)).passed) {
        state.SkipWithError("a run failed");
        return;
      }
  sweep_counters(state, points, s.runs, 1);
}

const std::vector<SweepConfig>& sweeps() {
  static const std::vector<SweepConfig> v = {
      {{"mixed", 8, emu::kDefaultSearchStrategy}, 200},
      {{"mixed", 8, emu::Strategy::kRandom}, 200},  // The row: explore --scenario mixed --cpus 8.
      {{"spinlock-stress", 8, emu::kDefaultSearchStrategy}, 300},
      {{"mixed", 64, emu::kDefaultSearchStrategy}, 16},
      {{"boot", 2, emu::kDefaultSearchStrategy}, 20000},
  };
  return v;
}

[[maybe_unused]] const bool registered = [] {
  for (const SweepConfig& s : sweeps()) {
    const std::string name = config_name(s.config) + "/runs:" + std::to_string(s.runs);
    for (unsigned jobs : {1u, 2u})
      benchmark::RegisterBenchmark(("BM_PoolSweep/" + name + "/jobs:" + std::to_string(jobs)).c_str(), pool_sweep, s,
                                   jobs)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    benchmark::RegisterBenchmark(("BM_LoopSweep/" + name).c_str(), loop_sweep, s)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    const std::string pool = "BM_PoolSweep/" + name + "/jobs:";
    declare_ratio({.name = "pool_jobs2_speedup/" + name,
                   .subject = pool + "2/real_time",
                   .baseline = pool + "1/real_time",
                   .inverted = true,
                   .goal = Goal::kAtLeast,
                   .target = 1.8,
                   .note = "wall of the sweep with --jobs 1 / with --jobs 2 (target >= 1.8 on 2 cores)"});
    declare_ratio({.name = "pool_jobs1_vs_loop/" + name,
                   .subject = pool + "1/real_time",
                   .baseline = "BM_LoopSweep/" + name + "/real_time",
                   .note = "wall of the sweep through one worker process / the same seeds in a loop here"});
    declare_ratio({.name = "pool_jobs2_points_per_s_per_core/" + name,
                   .subject = pool + "2/real_time",
                   .metric = Metric::kCounterHigher,
                   .counter = "points_per_s_per_core",
                   .goal = Goal::kAtLeast,
                   .target = 40e6,
                   .note = "points per wall second per worker with --jobs 2 (issue 14: >= 40 M/s per core)"});
  }
  return true;
}();

}  // namespace
}  // namespace lockstep::bench
