#include "explore_configs.hpp"

#include <map>
#include <tuple>

namespace lockstep::bench {

std::string config_name(const ExploreConfig& c) {
  std::string name =
      std::string(c.scenario) + "/cpus:" + std::to_string(c.cpus) + "/" + std::string(emu::to_string(c.strategy));
  if (!c.tracing) name += "/trace:0";
  if (!c.lockdep) name += "/lockdep:0";
  if (!c.races) name += "/races:0";
  if (c.model != emu::MemoryModel::kSc) name += "/" + std::string(emu::to_string(c.model));
  return name;
}

sim::RunOptions explore_options(const ExploreConfig& c, std::uint64_t seed) {
  sim::RunOptions o;
  o.scenario = c.scenario;
  o.machine.cpus = c.cpus;
  o.machine.strategy = c.strategy;
  o.machine.seed = seed;
  o.trace_records_per_cpu = c.tracing ? 64 : 0;  // explore_pool.cpp: rings do not change the schedule.
  o.lockdep = c.lockdep;
  o.machine.memory_model = c.model;
  o.machine.races = c.races && sim::races_by_default(o);
  return o;
}

std::uint64_t points_of_seeds(const ExploreConfig& c, std::uint64_t first, std::uint64_t count) {
  using Key = std::tuple<std::string, std::uint64_t, std::uint64_t>;
  static std::map<Key, std::uint64_t> cache;
  const Key key{config_name(c), first, count};
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  std::uint64_t points = 0;
  for (std::uint64_t s = first; s < first + count; ++s) {
    const sim::ScenarioRun run = sim::run_scenario(explore_options(c, s));
    if (!run.passed) return 0;
    points += run.machine.steps;
  }
  return cache[key] = points;
}

}  // namespace lockstep::bench
