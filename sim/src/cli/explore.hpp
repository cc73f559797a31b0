#pragma once
// Exploration: many seeds of one configuration in worker processes, and its JSON result.

#include <cstdint>
#include <functional>
#include <lockstep/sim/scenario_run.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace lockstep::sim::cli {

struct ExploreFailure {
  std::uint64_t seed;
  std::string reason;
};

/// The seeds of a sweep: indices 0..runs-1 (seed = seed_start + index) whose index % shard_count
/// == shard_index.
struct SeedPlan {
  std::uint64_t seed_start = 1;
  std::uint64_t runs = 0;
  std::uint64_t shard_index = 0;
  std::uint64_t shard_count = 1;

  /// How many runs this shard holds.
  std::uint64_t shard_runs() const noexcept {
    return runs > shard_index ? (runs - shard_index + shard_count - 1) / shard_count : 0;
  }
  /// The seed of this shard's `j`-th run.
  std::uint64_t seed(std::uint64_t j) const noexcept { return seed_start + shard_index + j * shard_count; }
};

struct ExploreOutcome {
  std::uint64_t completed = 0;
  std::vector<ExploreFailure> failures;  ///< Sorted by seed.
  double seconds = 0;
  bool stopped_early = false;
};

/// Runs the plan's seeds of `base` in `jobs` forked worker processes (the core's state is
/// global: never threads). Stops at the first failure unless `keep_going`. A crashing worker
/// counts as a failure of the seed it was running. Progress goes to stderr.
ExploreOutcome explore(const RunOptions& base, const SeedPlan& plan, unsigned jobs, bool keep_going);

/// One seed's verdict: empty when it passed, else the reason.
using SeedRunner = std::function<std::string(std::uint64_t seed)>;

/// As above for any machine: `run` judges one seed (called in the workers).
ExploreOutcome explore(const SeedRunner& run, const SeedPlan& plan, unsigned jobs, bool keep_going);

/// The JSON result of a sweep (one shard or a merge).
struct ExploreReport {
  std::string scenario;
  std::uint32_t cpus = 0;
  std::string strategy;
  std::uint32_t pct_depth = 0;
  std::uint64_t pct_horizon = 0;
  std::uint64_t max_steps = emu::MachineConfig{}.max_steps;
  std::uint64_t max_cycles = emu::MachineConfig{}.max_cycles;
  std::string faults;
  SeedPlan plan;
  std::vector<std::uint64_t> shards;  ///< Shard indices covered.
  ExploreOutcome outcome;
};

nlohmann::json to_json(const ExploreReport& r);
/// Parses a result written by to_json. Throws InputError naming `name` and the problem.
ExploreReport report_from_json(const nlohmann::json& j, const std::string& name);

}  // namespace lockstep::sim::cli
