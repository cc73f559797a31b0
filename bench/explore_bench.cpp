// Exploration throughput, in this process: one scenario run per iteration, as explore's
// workers run seeds (fresh machine each time: set-up and tear-down included), against the
// engine's ceiling, a raw Boost.Context switch loop doing the same number of points. Both are
// this thread's CPU time, so the ratio is CPU per point against CPU per point. The breakdown
// variants turn tracing or the lock validator off. The pool half is explore_pool_bench.cpp.

#include <sys/mman.h>

#include <boost/context/detail/fcontext.hpp>
#include <cstdlib>
#include <span>
#include <vector>

#include "explore_configs.hpp"
#include "ratio.hpp"

namespace lockstep::bench {
namespace {

namespace fc = boost::context::detail;

/// Seeds the ceiling's point count is taken from (the mean of their runs).
constexpr std::uint64_t kCeilingSeeds = 8;

/// Runs seeds 1, 2, 3, ... of `c`, one per iteration. `ops` is the mean points per run, so
/// the time per op is CPU time per scheduling point; items are points.
void run_loop(benchmark::State& state, ExploreConfig c) {
  std::uint64_t seed = 1, points = 0;
  for (auto _ : state) {
    const sim::ScenarioRun run = sim::run_scenario(explore_options(c, seed++));
    if (!run.passed) {
      state.SkipWithError(("seed " + std::to_string(seed - 1) + " failed: " + run.reason).c_str());
      return;
    }
    points += run.machine.steps;
  }
  const double runs = static_cast<double>(state.iterations());
  set_ops_per_iteration(state, static_cast<double>(points) / runs);
  state.SetItemsProcessed(static_cast<std::int64_t>(points));
  state.counters["runs_per_s"] = benchmark::Counter(runs, benchmark::Counter::kIsRate);
}

std::span<std::byte> ceiling_stack() {
  constexpr std::size_t kBytes = 64 * 1024;
  static const std::span<std::byte> stack = [] {
    void* p = ::mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) std::abort();
    return std::span<std::byte>(static_cast<std::byte*>(p), kBytes);
  }();
  return stack;
}

/// The ceiling of `c`: per iteration, a fresh fiber and as many jump_fcontext calls as a run of
/// `c` has scheduling points (the mean of kCeilingSeeds seeds): what a run would cost if every
/// point were a bare switch and nothing else.
void raw_switch_loop(benchmark::State& state, ExploreConfig c) {
  const std::uint64_t n = points_of_seeds(c, 1, kCeilingSeeds) / kCeilingSeeds;  // Before the clock runs.
  if (n == 0) {
    state.SkipWithError("a seed of the configuration failed");
    return;
  }
  const std::span<std::byte> stack = ceiling_stack();
  for (auto _ : state) {
    fc::fcontext_t partner = fc::make_fcontext(stack.data() + stack.size(), stack.size(), [](fc::transfer_t t) {
      for (;;) t = fc::jump_fcontext(t.fctx, nullptr);
    });
    // Each call is two switches (there and back): n / 2 calls are n switches.
    for (std::uint64_t i = 0; i < n / 2; ++i) partner = fc::jump_fcontext(partner, nullptr).fctx;
    benchmark::DoNotOptimize(partner);
  }
  set_ops_per_iteration(state, static_cast<double>(n / 2 * 2));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * (n / 2 * 2)));
}

const std::vector<ExploreConfig>& matrix() {
  static const std::vector<ExploreConfig> m = [] {
    std::vector<ExploreConfig> v;
    for (emu::Strategy s : {emu::kDefaultSearchStrategy, emu::Strategy::kRandom}) {
      for (const char* scenario : {"mixed", "spinlock-stress"})
        for (std::uint32_t cpus : {4u, 8u, 64u}) v.push_back({scenario, cpus, s});
      v.push_back({"boot", 2, s});  // The tiny one: a 2-CPU bring-up, set-up dominated.
    }
    return v;
  }();
  return m;
}

/// The breakdown: explore's configuration with one part turned off.
const std::vector<ExploreConfig>& breakdown() {
  static const std::vector<ExploreConfig> b = {
      {"mixed", 8, emu::kDefaultSearchStrategy, /*tracing=*/false, true},
      {"mixed", 8, emu::kDefaultSearchStrategy, true, /*lockdep=*/false},
      {"spinlock-stress", 8, emu::kDefaultSearchStrategy, false, true},
      {"spinlock-stress", 8, emu::kDefaultSearchStrategy, true, false},
  };
  return b;
}

[[maybe_unused]] const bool registered = [] {
  for (const ExploreConfig& c : matrix()) {
    benchmark::RegisterBenchmark(("BM_Run/" + config_name(c)).c_str(), run_loop, c)->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("BM_RawSwitch/" + config_name(c)).c_str(), raw_switch_loop, c)
        ->Unit(benchmark::kMicrosecond);
    declare_ratio({.name = "run_vs_raw_switch/" + config_name(c),
                   .subject = "BM_Run/" + config_name(c),
                   .baseline = "BM_RawSwitch/" + config_name(c),
                   .note = "CPU per scheduling point of a whole run (set-up, tear-down, lockdep, 64-record tracing) / "
                           "CPU per bare jump_fcontext"});
    declare_ratio({.name = "points_per_s_per_core/" + config_name(c),
                   .subject = "BM_Run/" + config_name(c),
                   .metric = Metric::kCounterHigher,
                   .counter = "items_per_second",
                   .goal = Goal::kAtLeast,
                   .target = 40e6,
                   .note = "scheduling points per CPU second of this thread (issue 14: >= 40 M/s per core)"});
  }
  // The memory models and the race detector (issue 17: arm <= 3x sc per point, the detector
  // <= 2x more): CPU per point against CPU per point of the same scenario's seeds.
  for (const char* scenario : {"mixed", "spinlock-stress"}) {
    const ExploreConfig sc{scenario, 8};
    ExploreConfig no_races = sc;
    no_races.races = false;
    ExploreConfig tso = sc;
    tso.model = emu::MemoryModel::kTso;
    ExploreConfig arm = sc;
    arm.model = emu::MemoryModel::kArm;
    for (const ExploreConfig& c : {no_races, tso, arm})
      benchmark::RegisterBenchmark(("BM_Run/" + config_name(c)).c_str(), run_loop, c)->Unit(benchmark::kMicrosecond);
    declare_ratio({.name = "races_on_vs_off/" + config_name(sc),
                   .subject = "BM_Run/" + config_name(sc),
                   .baseline = "BM_Run/" + config_name(no_races),
                   .goal = Goal::kAtMost,
                   .target = 2,
                   .note = "CPU per point with the race detector (explore's default) / without it, under sc"});
    for (const ExploreConfig& weak : {tso, arm})
      declare_ratio({.name = std::string(emu::to_string(weak.model)) + "_vs_sc/" + config_name(sc),
                     .subject = "BM_Run/" + config_name(weak),
                     .baseline = "BM_Run/" + config_name(sc),
                     .goal = weak.model == emu::MemoryModel::kArm ? Goal::kAtMost : Goal::kNone,
                     .target = 3,
                     .note = "CPU per point under the weak model / under sc (both with the race detector)"});
  }
  for (const ExploreConfig& c : breakdown()) {
    benchmark::RegisterBenchmark(("BM_Run/" + config_name(c)).c_str(), run_loop, c)->Unit(benchmark::kMicrosecond);
    ExploreConfig full = c;
    full.tracing = full.lockdep = true;
    declare_ratio({.name = std::string(c.tracing ? "lockdep_on_vs_off/" : "tracing_on_vs_off/") + config_name(full),
                   .subject = "BM_Run/" + config_name(full),
                   .baseline = "BM_Run/" + config_name(c),
                   .note = "CPU per run with explore's defaults / the same seeds with this part off"});
  }
  return true;
}();

}  // namespace
}  // namespace lockstep::bench
