#pragma once
// Exploration: many seeds of one configuration in worker processes, and its JSON result.

#include <cstdint>
#include <functional>
#include <lockstep/sim/lock_facts.hpp>
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
  std::vector<LockFact> lock_facts;      ///< The lock validator's merged graph (lock_facts.hpp).
  double seconds = 0;
  bool stopped_early = false;
};

/// Runs the plan's seeds of `base` in `jobs` forked worker processes (the core's state is
/// global: never threads). Stops at the first failure unless `keep_going`. A crashing worker
/// counts as a failure of the seed it was running. Progress goes to stderr.
ExploreOutcome explore(const RunOptions& base, const SeedPlan& plan, unsigned jobs, bool keep_going);

/// Records that `seed` failed; one failure per seed. A run's own `verdict` replaces what the
/// merged lock graph said of the same seed (it is what running the seed again shows); a merged
/// report never replaces a verdict. True if the seed is new.
bool add_failure(std::vector<ExploreFailure>& failures, std::uint64_t seed, std::string reason, bool verdict);

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
  bool lockdep = true;
  SeedPlan plan;
  std::vector<std::uint64_t> shards;  ///< Shard indices covered.
  ExploreOutcome outcome;
};

struct Context;
/// The failure to reproduce first: the lowest seed that shows its failure on its own (a lock
/// report joining several runs only if there is nothing else). `failures` is not empty.
const ExploreFailure& best_witness(const std::vector<ExploreFailure>& failures);
/// Prints how to reproduce a failure with `reason`: `repro`'s command, or one per run when the
/// reason is a lock validator report joining several runs. True if one run shows the failure
/// (so it can be shrunk).
bool print_reproduce(const Context& ctx, RunOptions repro, const std::string& reason);

nlohmann::json to_json(const ExploreReport& r);
/// Parses a result written by to_json. Throws InputError naming `name` and the problem.
ExploreReport report_from_json(const nlohmann::json& j, const std::string& name);

}  // namespace lockstep::sim::cli
