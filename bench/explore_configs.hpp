#pragma once
// The configurations bench_explore measures, shared by its in-process and pool halves: one
// scenario run as `lockstep explore` runs it (sim::cli::explore's RunOptions), and the
// scheduling points a fixed set of its seeds takes (deterministic, so measured once, untimed).

#include <cstdint>
#include <lockstep/emu/config.hpp>
#include <lockstep/sim/scenario_run.hpp>
#include <string>

namespace lockstep::bench {

struct ExploreConfig {
  const char* scenario;
  std::uint32_t cpus;
  emu::Strategy strategy = emu::kDefaultSearchStrategy;
  bool tracing = true;  ///< explore's 64-record rings; false: trace_records_per_cpu = 0.
  bool lockdep = true;  ///< explore's default (--lockdep on).
  bool races = true;    ///< explore's default (--races auto: on up to 64 CPUs).
  emu::MemoryModel model = emu::MemoryModel::kSc;
};

/// "mixed/cpus:8/pos" plus "/trace:0", "/lockdep:0", "/races:0" or "/tso", "/arm" for the
/// breakdown variants.
std::string config_name(const ExploreConfig& c);

/// The RunOptions explore's workers use for `c` (explore_pool.cpp sets 64 trace records).
sim::RunOptions explore_options(const ExploreConfig& c, std::uint64_t seed);

/// Scheduling points of seeds first..first+count-1 of `c`, summed (cached per configuration;
/// runs them in this process the first time). Zero if a run failed.
std::uint64_t points_of_seeds(const ExploreConfig& c, std::uint64_t first, std::uint64_t count);

}  // namespace lockstep::bench
